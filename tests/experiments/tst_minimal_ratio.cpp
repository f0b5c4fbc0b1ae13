// The 2-3 experiment end to end on a tiny scale: every run analysed, tables written, ratios valid.
#include <torch/torch.h>

#include <QtTest>

#include "experiment_runner.h"
#include "preset.h"

using namespace trainlab;

class TstMinimalRatio : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void presetMatchesScienceMd() {
        const Preset p = resolvePreset("2-3-minimal-ratio");
        QCOMPARE(p.config["runs"].get<int>(), 100);
        QCOMPARE(p.config["train_grid"]["step"].get<double>(), 0.001);
        QCOMPARE(p.config["widths"].size(), size_t(8));
    }

    void runsPhasesHessianAndRecordsEveryRun() {
        QTemporaryDir tmp;
        RunRequest r;
        r.preset = resolvePreset("2-3-minimal-ratio");
        r.config = r.preset.config;
        r.config["runs"] = 3;
        r.config["train_grid"]["step"] = 0.05;  // 120 points
        r.config["widths"] = {1, 4, 3, 1};      // 27 parameters
        r.config["phase1"]["max_steps"] = 200;
        r.config["phase2"]["max_steps"] = 50;
        r.runsRoot = tmp.path().toStdString();
        RunControl control;
        const RunOutcome out = runExperiment(r, nullptr, control);
        QVERIFY2(out.state == RunState::Finished, out.message.c_str());
        QCOMPARE(out.results["runs"].size(), size_t(3));
        for (const auto& run : out.results["runs"]) {
            const double ratio = run["minimal_ratio"].get<double>();
            const double tol = run["minimal_ratio_tol"].get<double>();
            QVERIFY(ratio >= 0 && ratio <= 1);
            QVERIFY(tol <= ratio);  // the τ band only removes eigenvalues from the count
            // Each ratio is a count over 27 eigenvalues.
            QVERIFY(std::abs(ratio * 27 - std::round(ratio * 27)) < 1e-9);
            QVERIFY(run["lambda_min"].get<double>() <= run["lambda_max"].get<double>());
            const std::string end = run["phase2_end"].get<std::string>();
            QVERIFY(end == "threshold" || end == "step cap");
        }
        RunDirectory dir(out.runDir);
        const std::string runs = readFile(dir.seriesPath("runs"));
        QCOMPARE(std::count(runs.begin(), runs.end(), '\n'), 4L);  // header + 3 runs
        const std::string eig = readFile(dir.seriesPath("eigenvalues"));
        QVERIFY(eig.rfind("run,lambda_1,", 0) == 0);
        QVERIFY(eig.find("lambda_27") != std::string::npos);
        QCOMPARE(readSeriesCsv(dir.seriesPath("ratio")).x.size(), size_t(3));
        QCOMPARE(readSeriesCsv(dir.seriesPath("spectrum_latest")).x.size() +
                     readSeriesCsv(dir.seriesPath("spectrum_latest_negative")).x.size(),
                 size_t(27));  // every nonzero eigenvalue, by sign
        // Phase 1 and phase 2 both appear in the gradient-norm trace of the latest run.
        QVERIFY(readSeriesCsv(dir.seriesPath("grad_norm_latest")).x.size() > 200);
    }

    void lanczosGivesTheDenseExtremes() {
        QTemporaryDir tmp;
        auto once = [&](const char* analysis) {
            RunRequest r;
            r.preset = resolvePreset("2-3-minimal-ratio");
            r.config = r.preset.config;
            r.config["runs"] = 1;
            r.config["train_grid"]["step"] = 0.1;
            r.config["widths"] = {1, 6, 5, 1};
            r.config["phase1"]["max_steps"] = 100;
            r.config["phase2"]["max_steps"] = 0;
            r.config["analysis"] = analysis;
            r.runsRoot = tmp.path().toStdString();
            RunControl control;
            const RunOutcome out = runExperiment(r, nullptr, control);
            return out.results["runs"][0];
        };
        const auto dense = once("dense"), lanczos = once("lanczos");
        for (const char* key : {"lambda_min", "lambda_max"}) {
            const double a = dense[key].get<double>(), b = lanczos[key].get<double>();
            QVERIFY2(std::abs(a - b) <= 1e-4 * std::max(1.0, std::abs(a)),
                     qPrintable(QString("%1 vs %2").arg(a).arg(b)));
        }
    }

    void sameSeedSameRatios() {
        QTemporaryDir tmp;
        auto once = [&] {
            RunRequest r;
            r.preset = resolvePreset("2-3-minimal-ratio");
            r.config = r.preset.config;
            r.config["runs"] = 2;
            r.config["train_grid"]["step"] = 0.1;
            r.config["widths"] = {1, 4, 1};
            r.config["phase1"]["max_steps"] = 50;
            r.config["phase2"]["max_steps"] = 10;
            r.runsRoot = tmp.path().toStdString();
            RunControl control;
            return runExperiment(r, nullptr, control).results["runs"];
        };
        const auto a = once(), b = once();
        QCOMPARE(a.size(), size_t(2));
        QCOMPARE(QString::fromStdString(a.dump()), QString::fromStdString(b.dump()));
    }
};

QTEST_APPLESS_MAIN(TstMinimalRatio)
#include "tst_minimal_ratio.moc"
