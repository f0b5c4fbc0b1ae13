// FusedMlpGradNormSquared (2-3's phase 2 without autograd) against libtorch's double
// back-propagation (gradNormSquaredStep), autograd's H·v, finite differences in float64, a
// short phase-2 descent, and its errors.
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <vector>

#include "errors.h"
#include "function_data.h"
#include "hessian.h"
#include "mlp.h"
#include "mlp_fast.h"
#include "mlp_fast_hvp.h"
#include "trainer.h"

#include <QtTest>

using namespace trainlab;

namespace {

const std::vector<std::int64_t> k23Widths{1, 12, 10, 18, 8, 6, 5, 1};

torch::Tensor randn(std::vector<std::int64_t> shape, std::uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    return torch::randn(shape, gen);
}

/// ‖∇L‖² and ∇(‖∇L‖²) (flat) by autograd; `model` may be float32 or float64.
double autogradStep(Mlp& model, const torch::Tensor& x, const torch::Tensor& y,
                    torch::Tensor* flatGrad) {
    auto params = model->parameters();
    const double v =
        gradNormSquaredStep(params, [&] { return torch::mse_loss(model->forward(x), y); });
    if (flatGrad) {
        std::vector<torch::Tensor> parts;
        for (const auto& p : params) parts.push_back(p.grad().reshape(-1));
        *flatGrad = torch::cat(parts).to(torch::kFloat64);
    }
    return v;
}

torch::Tensor flatGrads(Mlp& model) {
    std::vector<torch::Tensor> parts;
    for (const auto& p : model->parameters()) parts.push_back(p.grad().reshape(-1));
    return torch::cat(parts).to(torch::kFloat64);
}

/// max |a − ref| / max |ref|.
double relDiff(const torch::Tensor& a, const torch::Tensor& ref) {
    const double scale = std::max(ref.abs().max().item<double>(), 1e-30);
    return (a.to(torch::kFloat64) - ref.to(torch::kFloat64)).abs().max().item<double>() / scale;
}

/// Checks the fused value and gradient against autograd on one model and batch.
void compareWithAutograd(Mlp& model, const torch::Tensor& x, const torch::Tensor& y,
                         std::int64_t blockRows, const QString& where) {
    torch::Tensor refGrad;
    const double ref = autogradStep(model, x, y, &refGrad);
    for (auto& p : model->parameters()) p.mutable_grad().fill_(123.f);  // must be replaced
    FusedMlpGradNormSquared fused(model, blockRows);
    const double value = fused(x, y);
    const double valueDiff = std::abs(value - ref) / ref;
    const double gradDiff = relDiff(flatGrads(model), refGrad);
    QVERIFY2(ref > 0 && valueDiff < 2e-5,
             qPrintable(where + QString(": ‖g‖² %1 vs %2").arg(value).arg(ref)));
    QVERIFY2(gradDiff < 1e-4, qPrintable(where + QString(": gradient rel. diff %1").arg(gradDiff)));
    const double mse = torch::mse_loss(model->forward(x), y).item<double>();
    QVERIFY2(std::abs(fused.lastLoss() - mse) <= 1e-5 * mse, qPrintable(where));
}

const char* nameOf(Activation a) {
    return a == Activation::LeakyReLU ? "leaky_relu" : a == Activation::ReLU ? "relu" : "tanh";
}

}  // namespace

class TestMlpFastHvp : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void matchesAutograd() {
        // Block sizes that divide no batch below: the last block is always partial.
        const std::vector<std::vector<std::int64_t>> shapes = {
            {1, 8, 6, 1}, {3, 7, 5, 2}, {2, 4}, {1, 5}, k23Widths};
        for (Activation act : {Activation::LeakyReLU, Activation::ReLU, Activation::Tanh})
            for (const auto& widths : shapes)
                for (std::int64_t n : {1, 37, 1100})
                    for (std::int64_t block : {std::int64_t{16}, std::int64_t{512}}) {
                        Mlp model(MlpSpec{widths, act, 0.2}, 7 + static_cast<std::uint64_t>(n));
                        const auto x = randn({n, widths.front()}, 11 + n);
                        const auto y = randn({n, widths.back()}, 13 + n);
                        compareWithAutograd(model, x, y, block,
                                            QString("%1 %2 layers n=%3 block=%4")
                                                .arg(nameOf(act))
                                                .arg(widths.size() - 1)
                                                .arg(n)
                                                .arg(block));
                    }
    }

    void matchesAutogradOnThe23NetAfterPhase1() {
        // The 599-parameter net on 2·cosh after some Adam steps (gradients small, as in phase
        // 2), on 6,000 points (the preset's grid; its last block of rows is partial).
        const auto data =
            makeFunctionDataset(TargetFunction::TwoCosh, {-3, 3, 0, 0.001}, {-3, 3, 10, 0}, false);
        QCOMPARE(data.x.size(0), 6000);
        for (Activation act : {Activation::LeakyReLU, Activation::Tanh}) {
            Mlp model(MlpSpec{k23Widths, act, 0.2}, 3);
            QCOMPARE(model->parameterCount(), 599);
            TrainConfig c;
            c.optimizer = OptimizerKind::Adam;
            c.lr = 1e-2;
            c.maxSteps = 150;
            trainLoop(model->parameters(), makeFusedMlpLossGrad(model, 1), data.x, data.y, c,
                      nullptr, nullptr);
            const QString where = QString("2-3 net, %1, after phase 1").arg(nameOf(act));
            compareWithAutograd(model, data.x, data.y, FusedMlpGradNormSquared::kDefaultBlockRows,
                                where);
            // Both float32 paths against float64 autograd on the same weights: the fused one
            // is no further off than rounding makes autograd's own float32 result.
            const auto fusedGrad = flatGrads(model);
            torch::Tensor autoGrad, ref64;
            autogradStep(model, data.x, data.y, &autoGrad);
            Mlp m64(model->spec(), 3);
            {
                torch::NoGradGuard noGrad;
                auto src = model->parameters(), dst = m64->parameters();
                for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
            }
            m64->to(torch::kFloat64);
            autogradStep(m64, data.x.to(torch::kFloat64), data.y.to(torch::kFloat64), &ref64);
            const double eFused = relDiff(fusedGrad, ref64), eAuto = relDiff(autoGrad, ref64);
            qInfo("F64 %s fused %.3g autograd %.3g", qPrintable(where), eFused, eAuto);
            QVERIFY2(eFused <= std::max(3 * eAuto, 1e-6),
                     qPrintable(where + QString(": vs float64 %1 (autograd %2)")
                                            .arg(eFused)
                                            .arg(eAuto)));
        }
    }

    void hessianVectorProductMatchesAutograd() {
        for (Activation act : {Activation::LeakyReLU, Activation::ReLU, Activation::Tanh}) {
            Mlp model(MlpSpec{{2, 6, 5, 3}, act, 0.1}, 21);
            const auto x = randn({50, 2}, 22), y = randn({50, 3}, 23);
            const std::int64_t p = model->parameterCount();
            FusedMlpGradNormSquared fused(model, 16);
            for (std::uint64_t seed : {31, 32}) {
                const auto v = randn({p}, seed);
                Eigen::VectorXd ve(p);
                for (std::int64_t i = 0; i < p; ++i) ve(i) = v[i].item<double>();
                const Eigen::VectorXd ref = hessianVectorProduct(
                    model->parameters(), [&] { return torch::mse_loss(model->forward(x), y); }, ve);
                const auto hv = fused.hessianVectorProduct(x, y, v);
                QCOMPARE(hv.numel(), p);
                const auto refT =
                    torch::from_blob(const_cast<double*>(ref.data()), {p}, torch::kFloat64);
                QVERIFY2(relDiff(hv, refT) < 1e-5,
                         qPrintable(QString("%1: %2").arg(nameOf(act)).arg(relDiff(hv, refT))));
            }
        }
    }

    void gradientMatchesFiniteDifferences() {
        // ‖∇L‖² in float64 by autograd, central differences per parameter (h = 1e-6), against
        // the fused float32 gradient on the same weights: float rounding apart.
        for (Activation act : {Activation::Tanh, Activation::LeakyReLU}) {
            Mlp model(MlpSpec{{2, 3, 2}, act, 0.3}, 41);
            const auto x = randn({9, 2}, 42), y = randn({9, 2}, 43);
            FusedMlpGradNormSquared fused(model);
            fused(x, y);
            const auto fusedGrad = flatGrads(model);

            Mlp m64(model->spec(), 41);
            m64->to(torch::kFloat64);
            const auto x64 = x.to(torch::kFloat64), y64 = y.to(torch::kFloat64);
            std::vector<double> fd;
            const double h = 1e-6;
            for (auto& p : m64->parameters()) {
                auto flat = p.detach().view(-1);
                for (std::int64_t e = 0; e < p.numel(); ++e) {
                    const double orig = flat[e].item<double>();
                    flat[e] = orig + h;
                    const double plus = autogradStep(m64, x64, y64, nullptr);
                    flat[e] = orig - h;
                    const double minus = autogradStep(m64, x64, y64, nullptr);
                    flat[e] = orig;
                    fd.push_back((plus - minus) / (2 * h));
                }
            }
            const auto fdT = torch::tensor(fd, torch::kFloat64);
            QCOMPARE(fdT.numel(), fusedGrad.numel());
            QVERIFY2(relDiff(fusedGrad, fdT) < 1e-5,
                     qPrintable(QString("%1: %2").arg(nameOf(act)).arg(relDiff(fusedGrad, fdT))));
        }
    }

    void descendsLikeAutograd() {
        // Ten SGD steps of phase 2 from the same weights: the same ‖∇L‖² per step up to
        // rounding, and it falls.
        const auto data =
            makeFunctionDataset(TargetFunction::TwoCosh, {-3, 3, 0, 0.01}, {-3, 3, 10, 0}, true);
        std::vector<std::vector<double>> traces;
        for (bool fusedPath : {true, false}) {
            Mlp model(MlpSpec{k23Widths, Activation::LeakyReLU, 0.2}, 9);
            struct Log : TrainObserver {
                std::vector<double> v;
                void onStep(const StepRecord& r) override { v.push_back(r.loss); }
            } log;
            TrainConfig c;
            c.lr = 0.05;
            c.maxSteps = 10;
            const LossGradFn fn =
                fusedPath ? makeFusedGradNormSquared(model)
                          : gradNormSquaredLossGrad(
                                [&](const torch::Tensor& x) { return model->forward(x); },
                                model->parameters());
            trainLoop(model->parameters(), fn, data.x, data.y, c, &log, nullptr);
            traces.push_back(log.v);
        }
        QCOMPARE(traces[0].size(), std::size_t{10});
        for (std::size_t i = 0; i < traces[0].size(); ++i)
            QVERIFY2(
                std::abs(traces[0][i] - traces[1][i]) <= 1e-4 * traces[1][i],
                qPrintable(
                    QString("step %1: %2 vs %3").arg(i + 1).arg(traces[0][i]).arg(traces[1][i])));
        QVERIFY(traces[0].back() < traces[0].front());
    }

    void repeatableAndWiredByLoss() {
        Mlp model(MlpSpec{{1, 8, 6, 1}, Activation::Tanh, 0.2}, 5);
        const auto x = randn({300, 1}, 6), y = randn({300, 1}, 7);
        FusedMlpGradNormSquared fused(model, 64);
        const double a = fused(x, y);
        const auto ga = flatGrads(model);
        const double b = fused(x, y);
        QCOMPARE(a, b);  // bit for bit: same blocks, same order
        QVERIFY(torch::equal(ga, flatGrads(model)));
        // The phase-2 selector: fused (default blocks) for MSE, unless TRAINLAB_PHASE2_AUTOGRAD=1.
        FusedMlpGradNormSquared byDefault(model);
        if (!phase2AutogradForced())
            QCOMPARE(mlpGradNormSquaredLossGrad(model)(x, y), byDefault(x, y));
    }

    void rejectsBadInput() {
        Mlp model(MlpSpec{{2, 4, 1}, Activation::ReLU, 0.2}, 1);
        FusedMlpGradNormSquared fused(model);
        QVERIFY_THROWS_EXCEPTION(ConfigError, fused(randn({5, 3}, 1), randn({5, 1}, 2)));
        QVERIFY_THROWS_EXCEPTION(ConfigError, fused(randn({5, 2}, 1), randn({4, 1}, 2)));
        QVERIFY_THROWS_EXCEPTION(ConfigError, fused(randn({5, 2}, 1).to(torch::kFloat64),
                                                    randn({5, 1}, 2).to(torch::kFloat64)));
        QVERIFY_THROWS_EXCEPTION(
            ConfigError,
            fused.hessianVectorProduct(randn({5, 2}, 1), randn({5, 1}, 2), randn({3}, 3)));
        QVERIFY_THROWS_EXCEPTION(ConfigError, FusedMlpGradNormSquared(model, 0));
        model->to(torch::kFloat64);  // parameters replaced by float64 ones
        QVERIFY_THROWS_EXCEPTION(ConfigError, fused(randn({5, 2}, 1), randn({5, 1}, 2)));
    }
};

QTEST_GUILESS_MAIN(TestMlpFastHvp)
#include "tst_mlp_fast_hvp.moc"
