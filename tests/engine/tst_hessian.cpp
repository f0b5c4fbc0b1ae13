// Hessians (dense autograd and the MLP closed form), spectra, Lanczos and the
// squared-gradient-norm objective against functions whose answers are known.
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <vector>

#include "errors.h"
#include "function_data.h"
#include "hessian.h"
#include "mlp.h"
#include "trainer.h"

#include <QtTest>

using namespace trainlab;

namespace {

torch::Tensor randn(std::vector<std::int64_t> shape, std::uint64_t seed,
                    torch::Dtype dtype = torch::kFloat64) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    return torch::randn(shape, gen, torch::TensorOptions().dtype(dtype));
}

Eigen::MatrixXd toEigen(const torch::Tensor& t) {
    const auto c = t.to(torch::kFloat64).contiguous();
    Eigen::MatrixXd m(c.size(0), c.size(1));
    for (std::int64_t i = 0; i < c.size(0); ++i)
        for (std::int64_t j = 0; j < c.size(1); ++j) m(i, j) = c[i][j].item<double>();
    return m;
}

/// max |a - b| / max(max |b|, tiny).
double relDiff(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
    return (a - b).cwiseAbs().maxCoeff() / std::max(b.cwiseAbs().maxCoeff(), 1e-300);
}

/// Flat gradient of `loss()` w.r.t. params (double).
Eigen::VectorXd flatGrad(const std::vector<torch::Tensor>& params,
                         const std::function<torch::Tensor()>& loss) {
    const auto g = torch::autograd::grad({loss()}, params, {}, false, false, true);
    Eigen::VectorXd out(flatParameterCount(params));
    Eigen::Index k = 0;
    for (size_t i = 0; i < params.size(); ++i) {
        const auto gi = g[i].defined() ? g[i].reshape(-1).to(torch::kFloat64).contiguous()
                                       : torch::zeros({params[i].numel()}, torch::kFloat64);
        for (std::int64_t j = 0; j < gi.numel(); ++j) out(k++) = gi.data_ptr<double>()[j];
    }
    return out;
}

Mlp makeModel(std::vector<std::int64_t> widths, Activation act, std::uint64_t seed,
              torch::Dtype dtype) {
    MlpSpec spec;
    spec.widths = std::move(widths);
    spec.activation = act;
    Mlp model(spec, seed);
    model->to(dtype);
    return model;
}

std::function<torch::Tensor()> mseOf(Mlp& model, const torch::Tensor& x, const torch::Tensor& y) {
    return [&model, x, y] { return torch::mse_loss(model->forward(x), y); };
}

}  // namespace

class TestHessian : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void quadraticFormIsExact() {
        // L = ½θᵀAθ + cᵀθ with θ split over two tensors, A symmetric with integer entries:
        // the Hessian is A, exactly.
        const std::int64_t n = 7;
        auto a = torch::round(randn({n, n}, 1) * 4);
        a = a + a.t();
        auto t1 = randn({3}, 2).requires_grad_(true);
        auto t2 = randn({2, 2}, 3).requires_grad_(true);
        const auto c = randn({n}, 4);
        const std::vector<torch::Tensor> params{t1, t2};
        const auto h = denseHessian(params, [&] {
            const auto theta = torch::cat({t1.reshape(-1), t2.reshape(-1)});
            return 0.5 * theta.dot(a.mv(theta)) + c.dot(theta);
        });
        QCOMPARE(h.rows(), n);
        QCOMPARE((h - toEigen(a)).cwiseAbs().maxCoeff(), 0.0);

        // A parameter the loss ignores gives zero rows; a linear loss a zero Hessian.
        auto unused = randn({2}, 5).requires_grad_(true);
        const auto h2 = denseHessian({t1, unused}, [&] { return (t1 * t1).sum(); });
        QCOMPARE(h2.rows(), 5);
        QCOMPARE(h2.topLeftCorner(3, 3), Eigen::MatrixXd(2 * Eigen::MatrixXd::Identity(3, 3)));
        QCOMPARE(h2.bottomRows(2).cwiseAbs().maxCoeff(), 0.0);
        const auto h3 = denseHessian({t1}, [&] { return t1.sum() * 3; });
        QCOMPARE(h3.cwiseAbs().maxCoeff(), 0.0);
        QVERIFY_THROWS_EXCEPTION(ConfigError, denseHessian({t1}, [&] { return t1 * 2; }));
    }

    void tinyNetMatchesFiniteDifferences() {
        // Smooth (tanh) net in float64: central differences of the gradient, h = 1e-5.
        auto model = makeModel({2, 3, 3, 1}, Activation::Tanh, 11, torch::kFloat64);
        const auto x = randn({20, 2}, 12), y = randn({20, 1}, 13);
        auto params = model->parameters();
        const auto loss = mseOf(model, x, y);
        const auto h = denseHessian(params, loss);
        const std::int64_t n = flatParameterCount(params);
        Eigen::MatrixXd fd(n, n);
        const double step = 1e-5;
        std::int64_t j = 0;
        for (auto& p : params) {
            auto flat = p.detach().view(-1);
            for (std::int64_t e = 0; e < p.numel(); ++e, ++j) {
                const double orig = flat[e].item<double>();
                flat[e] = orig + step;
                const auto gPlus = flatGrad(params, loss);
                flat[e] = orig - step;
                const auto gMinus = flatGrad(params, loss);
                flat[e] = orig;
                fd.col(j) = (gPlus - gMinus) / (2 * step);
            }
        }
        QVERIFY2(relDiff(h, fd) < 1e-6, qPrintable(QString::number(relDiff(h, fd))));
        QVERIFY(relDiff(h, h.transpose()) == 0);
    }

    void closedFormMatchesAutograd_data() {
        QTest::addColumn<int>("activation");
        QTest::addColumn<int>("outputs");
        QTest::newRow("leaky_relu") << int(Activation::LeakyReLU) << 1;
        QTest::newRow("relu") << int(Activation::ReLU) << 1;
        QTest::newRow("tanh") << int(Activation::Tanh) << 1;
        QTest::newRow("leaky_relu_2_outputs") << int(Activation::LeakyReLU) << 2;
        QTest::newRow("relu_3_outputs") << int(Activation::ReLU) << 3;
    }

    void closedFormMatchesAutograd() {
        QFETCH(int, activation);
        QFETCH(int, outputs);
        const auto act = static_cast<Activation>(activation);
        for (std::uint64_t seed = 1; seed <= 3; ++seed) {
            auto model = makeModel({2, 4, 3, 5, outputs}, act, seed, torch::kFloat64);
            const auto x = randn({40, 2}, 100 + seed), y = randn({40, outputs}, 200 + seed);
            const auto dense = denseHessian(model->parameters(), mseOf(model, x, y));
            const auto fast = mlpMseHessian(model, x, y);
            QCOMPARE(mlpMseHessianIsClosedForm(model->spec()), act != Activation::Tanh);
            QVERIFY2(relDiff(fast, dense) < 1e-12,
                     qPrintable(QString::number(relDiff(fast, dense))));
            QVERIFY(dense.cwiseAbs().maxCoeff() > 0);
        }
        // A single linear layer (no hidden layer) and a one-input net.
        auto linear = makeModel({3, 2}, act, 7, torch::kFloat64);
        const auto x = randn({10, 3}, 8), y = randn({10, 2}, 9);
        QVERIFY(relDiff(mlpMseHessian(linear, x, y),
                        denseHessian(linear->parameters(), mseOf(linear, x, y))) < 1e-12);
    }

    void closedFormOnThe599Net() {
        // The 2-3 net on a 600-point grid: in float64 the two agree to double rounding; on the
        // float32 model (as trained), to float rounding.
        FunctionDataset data =
            makeFunctionDataset(TargetFunction::TwoCosh, {-3, 3, 0, 0.01}, {-3, 3, 50, 0}, false);
        QCOMPARE(data.x.size(0), 600);
        for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
            auto model = makeModel({1, 12, 10, 18, 8, 6, 5, 1}, Activation::LeakyReLU, 5, dtype);
            QCOMPARE(model->parameterCount(), 599);
            const auto x = data.x.to(dtype), y = data.y.to(dtype);
            const auto dense = denseHessian(model->parameters(), mseOf(model, x, y));
            const auto fast = mlpMseHessian(model, x, y);
            const double tol = dtype == torch::kFloat64 ? 1e-11 : 2e-5;
            QVERIFY2(relDiff(fast, dense) < tol, qPrintable(QString::number(relDiff(fast, dense))));
        }
    }

    void closedFormRejectsBadShapes() {
        auto model = makeModel({2, 3, 1}, Activation::ReLU, 1, torch::kFloat32);
        QVERIFY_THROWS_EXCEPTION(ConfigError,
                                 mlpMseHessian(model, torch::zeros({5, 3}), torch::zeros({5, 1})));
        QVERIFY_THROWS_EXCEPTION(ConfigError,
                                 mlpMseHessian(model, torch::zeros({5, 2}), torch::zeros({4, 1})));
    }

    void spectrumOfDiagonal() {
        Eigen::VectorXd d(8);
        d << 2, -3, 1e-9, 0, -1e-9, 5, 1e-3, -1e-4;
        const Eigen::MatrixXd h = d.asDiagonal();
        const auto s = hessianSpectrum(h, 1e-3);  // threshold 5e-3
        QCOMPARE(s.eigenvalues.size(), 8);
        for (Eigen::Index i = 1; i < 8; ++i) QVERIFY(s.eigenvalues(i - 1) <= s.eigenvalues(i));
        QCOMPARE(s.eigenvalues(0), -3.0);
        QCOMPARE(s.eigenvalues(7), 5.0);
        QCOMPARE(s.maxAbs, 5.0);
        QCOMPARE(s.tau, 1e-3);
        QCOMPARE(s.minimalRatio, 4.0 / 8);     // 1e-9, 1e-3, 2, 5
        QCOMPARE(s.minimalRatioTol, 2.0 / 8);  // 2, 5
        const auto s0 = hessianSpectrum(h, 0);
        QCOMPARE(s0.minimalRatioTol, s0.minimalRatio);
        QCOMPARE(hessianSpectrum(h, 0.3).minimalRatioTol, 2.0 / 8);  // 2, 5 > 1.5
        QCOMPARE(hessianSpectrum(h, 0.5).minimalRatioTol, 1.0 / 8);  // 5 > 2.5
        QCOMPARE(hessianSpectrum(Eigen::MatrixXd::Zero(3, 3), 0.1).minimalRatio, 0.0);
        QVERIFY_THROWS_EXCEPTION(ConfigError, hessianSpectrum(h, -1));
        QVERIFY_THROWS_EXCEPTION(ConfigError, hessianSpectrum(Eigen::MatrixXd(2, 3), 0));
        QVERIFY_THROWS_EXCEPTION(ConfigError, hessianSpectrum(Eigen::MatrixXd(0, 0), 0));
    }

    void lanczosMatchesDense() {
        auto model = makeModel({1, 4, 4, 3, 1}, Activation::LeakyReLU, 3, torch::kFloat64);
        const auto x = randn({100, 1}, 21), y = randn({100, 1}, 22);
        auto params = model->parameters();
        const int dim = static_cast<int>(flatParameterCount(params));
        QCOMPARE(dim, 47);
        const auto dense = hessianSpectrum(denseHessian(params, mseOf(model, x, y)), 0);
        const auto op = hessianVectorOperator(params, mseOf(model, x, y));
        const auto r = lanczosExtremes(op, dim, dim, 1e-10, 42);
        QVERIFY(r.converged);
        const double scale = dense.maxAbs;
        QVERIFY2(std::abs(r.largest - dense.eigenvalues(dim - 1)) < 1e-9 * scale,
                 qPrintable(QString("%1 vs %2").arg(r.largest).arg(dense.eigenvalues(dim - 1))));
        QVERIFY2(std::abs(r.smallest - dense.eigenvalues(0)) < 1e-9 * scale,
                 qPrintable(QString("%1 vs %2").arg(r.smallest).arg(dense.eigenvalues(0))));

        // The one-shot product equals the dense Hessian times v.
        Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(dim, -1, 1);
        const auto hv = hessianVectorProduct(params, mseOf(model, x, y), v);
        QVERIFY(((hv - denseHessian(params, mseOf(model, x, y)) * v).cwiseAbs().maxCoeff()) <
                1e-10 * scale);

        // Early stop on an explicit matrix with separated extremes.
        Eigen::VectorXd d = Eigen::VectorXd::LinSpaced(200, -1, 1);
        d(0) = -10;
        d(199) = 20;
        const auto diag = [&](const Eigen::VectorXd& q) -> Eigen::VectorXd {
            return d.cwiseProduct(q);
        };
        const auto e = lanczosExtremes(diag, 200, 100, 1e-8, 7);
        QVERIFY(e.converged);
        QVERIFY(e.iterations < 100);
        QVERIFY(std::abs(e.largest - 20) < 1e-6);
        QVERIFY(std::abs(e.smallest + 10) < 1e-6);
        const auto capped = lanczosExtremes(diag, 200, 2, 1e-14, 7);
        QVERIFY(!capped.converged);
        QCOMPARE(capped.iterations, 2);
        QVERIFY_THROWS_EXCEPTION(ConfigError, lanczosExtremes(diag, 0, 5, 1e-6, 1));
    }

    void gradNormSquaredOnQuadratic() {
        // L = ½θᵀAθ − bᵀθ: ‖∇L‖² = ‖Aθ − b‖², ∇‖∇L‖² = 2A(Aθ − b).
        const std::int64_t n = 5;
        const auto m = randn({n, n}, 31);
        const auto a = m.mm(m.t()) + torch::eye(n, torch::kFloat64);
        const auto b = randn({n}, 32);
        auto theta = randn({n}, 33).requires_grad_(true);
        const double value = gradNormSquaredStep(
            {theta}, [&] { return 0.5 * theta.dot(a.mv(theta)) - b.dot(theta); });
        const auto g = a.mv(theta.detach()) - b;
        QVERIFY(std::abs(value - g.dot(g).item<double>()) < 1e-12 * g.dot(g).item<double>());
        const auto expected = 2 * a.mv(g);
        QVERIFY(theta.grad().defined());
        QVERIFY(torch::allclose(theta.grad(), expected, 1e-12, 1e-12));

        // As a LossGradFn on a linear model with MSE: A = 2XᵀX/N, b = 2Xᵀy/N; then trainLoop
        // drives ‖∇L‖² to a target.
        const std::int64_t rows = 200;
        const auto x = randn({rows, 3}, 34), y = randn({rows, 1}, 35);
        auto w = randn({3, 1}, 36).requires_grad_(true);
        const auto lossGrad =
            gradNormSquaredLossGrad([&](const torch::Tensor& xb) { return xb.mm(w); }, {w});
        const double v2 = lossGrad(x, y);
        const auto aa = 2 * x.t().mm(x) / rows, bb = 2 * x.t().mm(y) / rows;
        const auto g2 = aa.mm(w.detach()) - bb;
        QVERIFY(std::abs(v2 - g2.pow(2).sum().item<double>()) < 1e-12);
        QVERIFY(torch::allclose(w.grad(), 2 * aa.mm(g2), 1e-10, 1e-12));

        const auto eig = toEigen(aa).selfadjointView<Eigen::Lower>().eigenvalues();
        TrainConfig config;
        config.optimizer = OptimizerKind::SGD;
        config.lr = 0.2 / (eig.maxCoeff() * eig.maxCoeff());
        config.maxSteps = 2000;
        config.stop.kind = StopKind::Target;
        config.stop.target = 1e-20;
        const auto result = trainLoop({w}, lossGrad, x, y, config, nullptr, nullptr, "phase2");
        QCOMPARE(QString::fromStdString(result.stopReason), QString("target"));
        QVERIFY(result.finalLoss <= 1e-20);
    }
};

QTEST_APPLESS_MAIN(TestHessian)
#include "tst_hessian.moc"
