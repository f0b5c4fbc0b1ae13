// The step loop: stop rules, divergence, reproducibility, cancel and pause.
#include <torch/torch.h>

#include <QtTest>
#include <thread>

#include "errors.h"
#include "function_data.h"
#include "mlp.h"
#include "trainer.h"

using namespace trainlab;

namespace {
struct Recorder : TrainObserver {
    std::vector<StepRecord> steps;
    std::function<void(const StepRecord&)> hook;
    void onStep(const StepRecord& r) override {
        steps.push_back(r);
        if (hook) hook(r);
    }
};

struct Fixture {
    FunctionDataset data =
        makeFunctionDataset(TargetFunction::Sinc, {-1.5, 1.5, 101, 0}, {-1.5, 1.5, 20, 0}, false);
    Mlp model{MlpSpec{{1, 8, 8, 1}, Activation::LeakyReLU, 0.2}, 3};
    TrainResult train(const TrainConfig& c, Recorder* rec, RunControl* control = nullptr) {
        return trainModel(
            *model, [this](const torch::Tensor& x) { return model->forward(x); }, data.x, data.y, c,
            rec, control, "test model");
    }
};
}  // namespace

class TstTrainer : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void recordsEveryStep() {
        Fixture f;
        Recorder rec;
        TrainConfig c;
        c.optimizer = OptimizerKind::Adam;
        c.maxSteps = 200;
        const auto r = f.train(c, &rec);
        QCOMPARE(r.steps, 200);
        QCOMPARE(rec.steps.size(), size_t(200));
        QCOMPARE(rec.steps.front().step, 1);
        QVERIFY(rec.steps.back().loss < rec.steps.front().loss);
        for (const auto& s : rec.steps) QVERIFY(s.gradNorm > 0);
        QCOMPARE(QString::fromStdString(r.stopReason), QString("max_steps"));
    }

    void plateauRuleStopsAtTheFirstSmallChange() {
        Fixture f;
        Recorder rec;
        TrainConfig c;
        c.lr = 1e-4;  // tiny steps: the loss changes by less than the tolerance
        c.stop.kind = StopKind::Plateau;
        c.stop.tolerance = 1e-2;
        c.maxSteps = 1000;
        const auto r = f.train(c, &rec);
        QCOMPARE(r.steps, 2);
        QCOMPARE(QString::fromStdString(r.stopReason), QString("plateau"));
        QVERIFY(std::abs(rec.steps[1].loss - rec.steps[0].loss) < 1e-2);
    }

    void patienceRuleWaitsForTheWindow() {
        Fixture f;
        Recorder rec;
        TrainConfig c;
        c.lr = 1e-9;  // effectively no progress: the best loss never improves by 1%
        c.stop.kind = StopKind::Patience;
        c.stop.patience = 25;
        c.stop.minDelta = 0.01;
        c.maxSteps = 1000;
        const auto r = f.train(c, &rec);
        QCOMPARE(QString::fromStdString(r.stopReason), QString("patience"));
        QCOMPARE(r.steps, 26);  // best set at step 1, then 25 steps without improvement
    }

    void targetRuleStopsAtTheTarget() {
        Fixture f;
        Recorder rec;
        TrainConfig c;
        c.optimizer = OptimizerKind::Adam;
        c.stop.kind = StopKind::Target;
        c.stop.target = 0.05;
        c.maxSteps = 5000;
        const auto r = f.train(c, &rec);
        QCOMPARE(QString::fromStdString(r.stopReason), QString("target"));
        QVERIFY(rec.steps.back().loss <= 0.05);
        QVERIFY(rec.steps[rec.steps.size() - 2].loss > 0.05);
    }

    void divergenceFailsWithStepAndValue() {
        auto data =
            makeFunctionDataset(TargetFunction::TwoCosh, {-5, 5, 200, 0}, {-5, 5, 20, 0}, false);
        Mlp model(MlpSpec{{1, 16, 16, 1}, Activation::LeakyReLU, 0.2}, 1);
        TrainConfig c;
        c.lr = kLearningRateMax;  // the largest allowed, absurd for raw 2·cosh targets
        c.maxSteps = 1000;
        bool threw = false;
        try {
            trainModel(
                *model, [&](const torch::Tensor& x) { return model->forward(x); }, data.x, data.y,
                c, nullptr, nullptr, "Model X");
        } catch (const DivergenceError& e) {
            threw = true;
            QVERIFY(e.step() >= 1 && e.step() < 1000);
            const std::string m = e.what();
            QVERIFY(m.find("Model X") != std::string::npos);
            QVERIFY(m.find("step " + std::to_string(e.step())) != std::string::npos);
        }
        QVERIFY(threw);
    }

    void sameSeedSameNumbers() {
        auto run = [](std::uint64_t seed) {
            auto data = makeFunctionDataset(TargetFunction::SinPlusCos, {-2, 2, 256, 0},
                                            {-2, 2, 20, 0}, false);
            Mlp model(MlpSpec{{1, 10, 10, 1}, Activation::LeakyReLU, 0.2}, seed);
            TrainConfig c;
            c.batchSize = 32;  // mini-batches: the shuffling is seeded too
            c.seed = seed;
            c.maxSteps = 100;
            c.momentum = 0.9;
            Recorder rec;
            trainModel(
                *model, [&](const torch::Tensor& x) { return model->forward(x); }, data.x, data.y,
                c, &rec, nullptr);
            std::vector<double> losses;
            for (const auto& s : rec.steps) losses.push_back(s.loss);
            return losses;
        };
        const auto a = run(11), b = run(11), c = run(12);
        QCOMPARE(a.size(), size_t(100));
        QVERIFY(a == b);
        QVERIFY(a != c);
    }

    void cancelStopsBeforeTheNextStep() {
        Fixture f;
        Recorder rec;
        RunControl control;
        rec.hook = [&](const StepRecord& r) {
            if (r.step == 10) control.cancel = true;
        };
        TrainConfig c;
        c.maxSteps = 100000;
        const auto r = f.train(c, &rec, &control);
        QVERIFY(r.cancelled);
        QCOMPARE(r.steps, 10);
    }

    void pauseHoldsAndResumes() {
        Fixture f;
        Recorder rec;
        RunControl control;
        control.pause = true;
        TrainConfig c;
        c.maxSteps = 50;
        std::thread t([&] { f.train(c, &rec, &control); });
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        QCOMPARE(rec.steps.size(), size_t(0));
        control.pause = false;
        t.join();
        QCOMPARE(rec.steps.size(), size_t(50));
    }

    void absurdConfigsAreRefused() {
        Fixture f;
        TrainConfig c;
        c.lr = -1;
        c.maxSteps = 0;
        try {
            f.train(c, nullptr);
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QCOMPARE(e.problems().size(), size_t(2));
        }
    }

    void learningRateBoundIsTheSchemas() {
        // The schema allows [kLearningRateMin, kLearningRateMax]; the trainer the same upper
        // bound (its lower bound, > 0, is looser for callers that bypass the schema).
        TrainConfig c;
        c.lr = kLearningRateMax;
        validateTrainConfig(c);
        c.lr = 1e-12;
        validateTrainConfig(c);
        c.lr = kLearningRateMax * 1.01;
        try {
            validateTrainConfig(c);
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QCOMPARE(e.problems().size(), size_t(1));
            QVERIFY2(e.problems()[0].find("must be in (0, 10]") != std::string::npos,
                     e.problems()[0].c_str());
        }
    }

    void namesRoundTripThroughTheTables() {
        for (const auto& e : kStopKindNames) QCOMPARE(stopKindFromName(stopKindName(e.value)), e.value);
        for (const auto& e : kOptimizerNames) QCOMPARE(optimizerFromName(e.name), e.value);
        try {
            stopKindFromName("never");
            QFAIL("expected ConfigError");
        } catch (const ConfigError& e) {
            QCOMPARE(QString::fromStdString(e.problems().at(0)),
                     QString("stop rule 'never' is unknown (none, plateau, patience or target)"));
        }
        QVERIFY_THROWS_EXCEPTION(ConfigError, optimizerFromName("lbfgs"));
    }
};

QTEST_APPLESS_MAIN(TstTrainer)
#include "tst_trainer.moc"
