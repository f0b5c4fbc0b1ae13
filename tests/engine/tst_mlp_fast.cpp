// FusedMlpLossGrad against autograd: gradients, loss, training, determinism, errors.
#include <torch/torch.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <thread>
#include <vector>

#include "errors.h"
#include "mlp.h"
#include "mlp_fast.h"
#include "trainer.h"

#include <QtTest>

using namespace trainlab;

namespace {

struct Batch {
    torch::Tensor x, y;
};

Batch randomBatch(std::int64_t n, std::int64_t in, std::int64_t out, std::uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    return {torch::randn({n, in}, gen), torch::randn({n, out}, gen)};
}

/// Autograd loss and gradients (copies) of `model` on the batch.
double autogradGrads(Mlp& model, const Batch& b, std::vector<torch::Tensor>& grads) {
    for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
    const auto loss = torch::mse_loss(model->forward(b.x), b.y);
    loss.backward();
    grads.clear();
    for (auto& p : model->parameters()) grads.push_back(p.grad().clone());
    return loss.item<double>();
}

double maxRelDiff(const torch::Tensor& a, const torch::Tensor& ref) {
    const double scale = std::max(ref.abs().max().item<double>(), 1e-12);
    return (a - ref).abs().max().item<double>() / scale;
}

struct LossLog : TrainObserver {
    std::vector<double> losses;
    void onStep(const StepRecord& r) override { losses.push_back(r.loss); }
};

}  // namespace

class TestMlpFast : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void gradientsMatchAutograd() {
        const std::vector<std::vector<std::int64_t>> shapes = {{1, 8, 6, 1}, {3, 7, 5, 2}, {2, 4}};
        for (Activation act : {Activation::LeakyReLU, Activation::ReLU, Activation::Tanh}) {
            for (const auto& widths : shapes) {
                for (int shards : {1, 2, 3}) {
                    for (std::int64_t n : {37, 1, 2}) {
                        Mlp model(MlpSpec{widths, act, 0.2}, 7);
                        const auto b = randomBatch(n, widths.front(), widths.back(), 11 + n);
                        std::vector<torch::Tensor> ref;
                        const double refLoss = autogradGrads(model, b, ref);

                        FusedMlpLossGrad fused(model, shards);
                        // First call: grads as autograd left them (defined); second: undefined;
                        // third: defined and zeroed.
                        for (int variant = 0; variant < 3; ++variant) {
                            if (variant == 1)
                                for (auto& p : model->parameters())
                                    p.mutable_grad() = torch::Tensor();
                            if (variant == 2)
                                for (auto& p : model->parameters()) p.mutable_grad().zero_();
                            const double loss = fused(b.x, b.y);
                            const QString where =
                                QString("%1 widths[0]=%2 shards=%3 n=%4 variant=%5")
                                    .arg(QString::fromStdString(activationName(act)))
                                    .arg(widths.front())
                                    .arg(shards)
                                    .arg(n)
                                    .arg(variant);
                            QVERIFY2(std::abs(loss - refLoss) <= 1e-6 * std::max(1.0, refLoss),
                                     qPrintable(where +
                                                QString(" loss %1 vs %2").arg(loss).arg(refLoss)));
                            const auto params = model->parameters();
                            for (size_t k = 0; k < params.size(); ++k) {
                                QVERIFY2(params[k].grad().defined(), qPrintable(where));
                                const double d = maxRelDiff(params[k].grad(), ref[k]);
                                QVERIFY2(
                                    d < 1e-5,
                                    qPrintable(where +
                                               QString(" param %1 rel diff %2").arg(k).arg(d)));
                            }
                            QVERIFY(std::abs(fused.fusedGradNorm() - gradientNorm(params)) <=
                                    1e-5 * std::max(1.0, gradientNorm(params)));
                        }
                    }
                }
            }
        }
    }

    void autogradNotNeededOrDisturbed() {
        // The fused call must not build a graph: parameters keep requires_grad, grads don't.
        Mlp model(MlpSpec{{1, 5, 1}, Activation::LeakyReLU, 0.2}, 3);
        const auto b = randomBatch(10, 1, 1, 5);
        FusedMlpLossGrad fused(model, 2);
        fused(b.x, b.y);
        for (auto& p : model->parameters()) {
            QVERIFY(p.requires_grad());
            QVERIFY(!p.grad().requires_grad());
        }
    }

    void trainingMatchesAutograd() {
        const auto x = torch::linspace(-2, 2, 501).unsqueeze(1);
        const auto y = torch::sin(x) + torch::cos(x);
        for (OptimizerKind opt : {OptimizerKind::SGD, OptimizerKind::Adam}) {
            for (int shards : {1, 2}) {
                TrainConfig c;
                c.optimizer = opt;
                c.lr = 1e-2;
                c.maxSteps = 50;
                const MlpSpec spec{{1, 20, 15, 1}, Activation::LeakyReLU, 0.2};
                Mlp a(spec, 5), f(spec, 5);
                const auto ra = trainModel(
                    *a, [&](const torch::Tensor& t) { return a->forward(t); }, x, y, c, nullptr,
                    nullptr, "autograd");
                const auto rf = trainLoop(f->parameters(), makeFusedMlpLossGrad(f, shards), x, y, c,
                                          nullptr, nullptr, "fused");
                QCOMPARE(rf.steps, 50);
                QVERIFY2(std::abs(rf.finalLoss - ra.finalLoss) <= 1e-4 * ra.finalLoss,
                         qPrintable(QString("%1 shards=%2: fused %3 vs autograd %4")
                                        .arg(QString::fromStdString(optimizerName(opt)))
                                        .arg(shards)
                                        .arg(rf.finalLoss, 0, 'g', 10)
                                        .arg(ra.finalLoss, 0, 'g', 10)));
            }
        }
    }

    void shardedIsDeterministic() {
        const auto x = torch::linspace(-1.5, 1.5, 301).unsqueeze(1);
        const auto y = torch::sin(5 * x);
        TrainConfig c;
        c.optimizer = OptimizerKind::Adam;
        c.maxSteps = 40;
        std::vector<double> runs[2];
        for (auto& losses : runs) {
            Mlp m(MlpSpec{{1, 10, 17, 14, 6, 1}, Activation::Tanh, 0.2}, 9);
            LossLog log;
            trainLoop(m->parameters(), makeFusedMlpLossGrad(m, 2), x, y, c, &log, nullptr);
            losses = log.losses;
        }
        QCOMPARE(runs[0].size(), size_t(40));
        for (size_t i = 0; i < runs[0].size(); ++i)
            QVERIFY2(runs[0][i] == runs[1][i], qPrintable(QString("step %1").arg(i + 1)));
    }

    void suggestedShardsFollowsWork() {
        QCOMPARE(suggestedShards({{1, 5, 10, 10, 10, 10, 10, 5, 1}}, 301), 1);  // f2: too little
        const int big = suggestedShards({{1, 50, 60, 30, 20, 10, 1}}, 5000);
        QVERIFY(big >= 1 && big <= 2);
        if (std::thread::hardware_concurrency() >= 2) QCOMPARE(big, 2);
        QCOMPARE(suggestedShards({{1, 50, 60, 30, 20, 10, 1}}, 5000, 1), 1);
    }

    void rejectsCrossEntropyAndBadInput() {
        Mlp m(MlpSpec{{2, 4, 3}, Activation::ReLU, 0.2}, 1);
        QVERIFY_THROWS_EXCEPTION(ConfigError, FusedMlpLossGrad(m, 1, LossKind::CrossEntropy));
        QVERIFY_THROWS_EXCEPTION(ConfigError, makeFusedMlpLossGrad(m, 2, LossKind::CrossEntropy));
        QVERIFY_THROWS_EXCEPTION(ConfigError, FusedMlpLossGrad(m, 0));
        FusedMlpLossGrad fused(m, 2);
        QVERIFY_THROWS_EXCEPTION(ConfigError, fused(torch::zeros({5, 3}), torch::zeros({5, 3})));
        QVERIFY_THROWS_EXCEPTION(
            ConfigError, fused(torch::zeros({5, 2}, torch::kFloat64), torch::zeros({5, 3})));
    }
};

QTEST_APPLESS_MAIN(TestMlpFast)
#include "tst_mlp_fast.moc"
