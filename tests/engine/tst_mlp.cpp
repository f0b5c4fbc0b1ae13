// MLP builder: exact parameter counts of science.md, gradient norm vs finite differences.
#include <torch/torch.h>

#include <QtTest>

#include "errors.h"
#include "function_data.h"
#include "mlp.h"

using namespace trainlab;

class TstMlp : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void parameterCounts_data() {
        QTest::addColumn<QList<qint64>>("widths");
        QTest::addColumn<qint64>("expected");
        QTest::newRow("f1 model 1") << QList<qint64>{1, 50, 60, 30, 20, 10, 1} << qint64(5831);
        QTest::newRow("f1 model 2") << QList<qint64>{1, 50, 40, 30, 20, 1} << qint64(4011);
        QTest::newRow("f1 model 3") << QList<qint64>{1, 50, 20, 1} << qint64(1141);
        QTest::newRow("f2 model 1") << QList<qint64>{1, 5, 10, 10, 10, 10, 10, 5, 1} << qint64(571);
        QTest::newRow("f2 model 2") << QList<qint64>{1, 10, 17, 14, 6, 1} << qint64(556);
        QTest::newRow("f2 model 3") << QList<qint64>{1, 182, 1} << qint64(547);
        QTest::newRow("2-2 net") << QList<qint64>{1, 12, 10, 18, 8, 6, 5, 1} << qint64(599);
        QTest::newRow("2-1 mlp") << QList<qint64>{784, 128, 64, 10} << qint64(109386);
    }
    void parameterCounts() {
        QFETCH(QList<qint64>, widths);
        QFETCH(qint64, expected);
        MlpSpec spec;
        spec.widths.assign(widths.begin(), widths.end());
        QCOMPARE(mlpParameterCount(spec), expected);
        Mlp m(spec, 1);
        QCOMPARE(m->parameterCount(), expected);
    }

    void sameSeedSameWeights() {
        MlpSpec spec{{1, 8, 8, 1}, Activation::LeakyReLU, 0.2};
        Mlp a(spec, 42), b(spec, 42), c(spec, 43);
        const auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
        for (size_t i = 0; i < pa.size(); ++i) QVERIFY(torch::equal(pa[i], pb[i]));
        QVERIFY(!torch::equal(pa[0], pc[0]));
        // PyTorch's default Linear bound 1/sqrt(fan_in).
        QVERIFY(pa[2].abs().max().item<double>() <= 1.0 / std::sqrt(8.0) + 1e-7);
    }

    void gradientNormMatchesFiniteDifferences_data() {
        QTest::addColumn<QString>("activation");
        QTest::newRow("leaky_relu") << "leaky_relu";
        QTest::newRow("tanh") << "tanh";
    }
    void gradientNormMatchesFiniteDifferences() {
        QFETCH(QString, activation);
        torch::NoGradGuard* none = nullptr;
        (void)none;
        MlpSpec spec{{1, 4, 3, 1}, activationFromName(activation.toStdString()), 0.2};
        Mlp m(spec, 5);
        m->to(torch::kFloat64);
        const auto x = torch::linspace(-1, 1, 17, torch::kFloat64).unsqueeze(1);
        const auto y = torch::sin(3 * x);
        auto loss = torch::mse_loss(m->forward(x), y);
        loss.backward();
        const double norm = gradientNorm(m->parameters());
        // Central differences on every parameter.
        double sum = 0;
        const double h = 1e-6;
        torch::NoGradGuard noGrad;
        for (auto& p : m->parameters()) {
            auto flat = p.view(-1);
            for (int64_t i = 0; i < flat.numel(); ++i) {
                const double orig = flat[i].item<double>();
                flat[i] = orig + h;
                const double lp = torch::mse_loss(m->forward(x), y).item<double>();
                flat[i] = orig - h;
                const double lm = torch::mse_loss(m->forward(x), y).item<double>();
                flat[i] = orig;
                const double g = (lp - lm) / (2 * h);
                sum += g * g;
            }
        }
        QVERIFY2(
            std::abs(norm - std::sqrt(sum)) < 1e-6 * std::max(1.0, norm),
            qPrintable(
                QString("autograd %1 vs finite differences %2").arg(norm).arg(std::sqrt(sum))));
    }

    void invalidSpecsAreRefused() {
        QVERIFY_THROWS_EXCEPTION(ConfigError, validateMlpSpec({{1}, Activation::ReLU, 0}, "m"));
        QVERIFY_THROWS_EXCEPTION(ConfigError,
                                 validateMlpSpec({{1, 0, 1}, Activation::ReLU, 0}, "m"));
        QVERIFY_THROWS_EXCEPTION(
            ConfigError, validateMlpSpec({{1, 100000, 100000, 1}, Activation::ReLU, 0}, "m"));
        QVERIFY_THROWS_EXCEPTION(ConfigError, activationFromName("swish"));
    }

    void activationMemoryIsPointsTimesUnits() {
        QCOMPARE(mlpUnitCount({1, 50, 20, 1}), std::int64_t(72));
        // 1,000 points x 72 units x 4 bytes x (activation, gradient, pre-activation).
        QCOMPARE(mlpActivationBytes({1, 50, 20, 1}, 1000), 864000.0);
        // No integer overflow at absurd sizes: 5e7 points x 4e5 units.
        QCOMPARE(mlpActivationBytes({1, 100000, 100000, 100000, 100000, 1}, 50'000'000),
                 50e6 * 400002.0 * 12);
        QCOMPARE(activationName(Activation::Tanh), std::string("tanh"));
        try {
            activationFromName("swish");
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QCOMPARE(QString::fromStdString(e.problems().at(0)),
                     QString("activation 'swish' is unknown (leaky_relu, relu or tanh)"));
        }
        QCOMPARE(targetFunctionFromName("two_cosh"), TargetFunction::TwoCosh);
        QCOMPARE(targetFunctionName(TargetFunction::SinPlusCos), std::string("sin_cos"));
    }

    void datasetsHaveTheirRangesAndCounts() {
        auto f1 = makeFunctionDataset(TargetFunction::SinPlusCos, {-2, 2, 5000, 0},
                                      {-2, 2, 1000, 0}, false);
        QCOMPARE(f1.x.size(0), 5000);
        QCOMPARE(f1.xVal.size(0), 1000);
        QCOMPARE(f1.x[0].item<float>(), -2.0f);
        QCOMPARE(f1.x[4999].item<float>(), 2.0f);
        QVERIFY(std::abs(f1.y[0].item<double>() - (std::sin(-2.0) + std::cos(-2.0))) < 1e-6);
        auto f2 = makeFunctionDataset(TargetFunction::Sinc, {-1.5, 1.5, 301, 0},
                                      {-1.5, 1.5, 1000, 0}, false);
        QCOMPARE(f2.x.size(0), 301);
        QCOMPARE(f2.y[150].item<float>(), 1.0f);  // sinc(0) = 1
        QVERIFY(std::abs(f2.y[160].item<double>() - std::sin(5 * M_PI * 0.1) / (5 * M_PI * 0.1)) <
                1e-6);
        auto c = makeFunctionDataset(TargetFunction::TwoCosh, {-5, 5, 0, 0.001}, {-5, 5, 1000, 0},
                                     false);
        QCOMPARE(c.x.size(0), 10000);
        auto c3 =
            makeFunctionDataset(TargetFunction::TwoCosh, {-3, 3, 0, 0.001}, {-3, 3, 100, 0}, false);
        QCOMPARE(c3.x.size(0), 6000);
        QVERIFY(std::abs(c.y.max().item<double>() - 2 * std::cosh(5.0)) < 1e-3 * 148);
        auto n =
            makeFunctionDataset(TargetFunction::TwoCosh, {-5, 5, 0, 0.001}, {-5, 5, 1000, 0}, true);
        QVERIFY(std::abs(n.y.mean().item<double>()) < 1e-4);
        QVERIFY(std::abs(n.y.std().item<double>() - 1) < 1e-3);
        QVERIFY_THROWS_EXCEPTION(ConfigError, makeGrid({1, -1, 10, 0}));
        QVERIFY_THROWS_EXCEPTION(ConfigError, makeGrid({0, 1, 0, 0}));
        QVERIFY_THROWS_EXCEPTION(ConfigError, makeGrid({0, 1e6, 0, 1e-6}));  // 1e12 points
    }
};

QTEST_APPLESS_MAIN(TstMlp)
#include "tst_mlp.moc"
