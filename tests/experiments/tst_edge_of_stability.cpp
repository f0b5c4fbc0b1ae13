// The edge-of-stability experiment (issue 17) end to end at a tiny size: full-batch gradient
// descent's sharpness rises to 2/η and stays there (Cohen et al. 2021), measuring it changes
// no loss, and the card's plateau is the median of the last third.
#include <torch/torch.h>

#include <QtTest>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "edge_of_stability_experiment.h"
#include "experiment.h"
#include "experiment_runner.h"
#include "preset.h"

namespace trainlab::testing {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string readAll(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

/// The tiny configuration: 80 points, a 1-32-32-1 tanh net, two step sizes.
json tinyConfig() {
    json c = resolvePreset("2-4-edge-of-stability").config;
    c["points"] = 80;
    c["widths"] = {1, 32, 32, 1};
    c["step_sizes"] = json::array({json{{"lr", 0.05}}, json{{"lr", 0.1}}});
    c["max_steps"] = 1000;
    c["sharpness_every"] = 10;
    c["parallel"] = false;
    return c;
}

RunOutcome runTiny(const json& config, const fs::path& root) {
    RunRequest r;
    r.preset = resolvePreset("2-4-edge-of-stability");
    r.config = config;
    r.runsRoot = root;
    RunControl control;
    return runExperiment(r, nullptr, control);
}

}  // namespace

class TstEdgeOfStability : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void plateauIsTheMedianOfTheLastThird() {
        QCOMPARE(sharpnessPlateau({5, 1, 9, 3, 4, 2}), 3.0);  // last third {4, 2}: mean of middle two
        QCOMPARE(sharpnessPlateau({1, 2, 3, 7, 8, 9, 10, 4, 5}), 5.0);  // {10, 4, 5} → 5
        QCOMPARE(sharpnessPlateau({2}), 2.0);
        QVERIFY(std::isnan(sharpnessPlateau({})));
    }

    void sharpnessReachesTwoOverEta() {
        QTemporaryDir tmp;
        const RunOutcome out = runTiny(tinyConfig(), tmp.path().toStdString());
        QVERIFY2(out.state == RunState::Finished, out.message.c_str());
        const auto& runs = out.results["step_sizes"];
        QCOMPARE(runs.size(), std::size_t(2));
        const auto& large = runs[1];
        QCOMPARE(large["threshold"].get<double>(), 2 / 0.1);
        const double fraction = large["plateau_fraction_of_threshold"].get<double>();
        QVERIFY2(std::abs(fraction - 1) < 0.15, qPrintable(QString::number(fraction)));
        // It rose to the threshold: it started well below it (about 10 at step 10).
        QVERIFY(large["first_step_at_90_percent"].get<std::int64_t>() > 10);
        QVERIFY(!large["diverged"].get<bool>());
        QVERIFY(large["instruments"]["hessian_vector_products"].get<std::int64_t>() > 0);
        const fs::path metrics = fs::path(out.runDir) / "metrics";
        for (const char* f : {"loss_r1.csv", "loss_r2.csv", "inst_sharpness_r1.csv",
                              "inst_sharpness_r2.csv", "inst_threshold_r2.csv"})
            QVERIFY2(fs::exists(metrics / f), f);
    }

    void measuringChangesNoLoss() {
        // The same training measured at two cadences: the losses agree byte for byte.
        QTemporaryDir a, b;
        json c = tinyConfig();
        c["max_steps"] = 150;
        c["sharpness_every"] = 1;
        const RunOutcome often = runTiny(c, a.path().toStdString());
        c["sharpness_every"] = 1000;
        const RunOutcome never = runTiny(c, b.path().toStdString());
        QVERIFY(often.state == RunState::Finished && never.state == RunState::Finished);
        for (const char* f : {"loss_r1.csv", "loss_r2.csv"}) {
            const std::string x = readAll(fs::path(often.runDir) / "metrics" / f);
            QVERIFY(x.size() > 100);
            QCOMPARE(x, readAll(fs::path(never.runDir) / "metrics" / f));
        }
    }

    void badSettingsAreNamed() {
        QTemporaryDir tmp;
        json c = tinyConfig();
        c["optimizer"] = "sgd";
        c["batch_size"] = 500;
        c["step_sizes"] = json::array();
        const RunOutcome out = runTiny(c, tmp.path().toStdString());
        QCOMPARE(out.state, RunState::Failed);
        QVERIFY2(out.message.find("batch_size") != std::string::npos, out.message.c_str());
        QVERIFY2(out.message.find("step_sizes") != std::string::npos, out.message.c_str());
    }
};

}  // namespace trainlab::testing

QTEST_GUILESS_MAIN(trainlab::testing::TstEdgeOfStability)
#include "tst_edge_of_stability.moc"
