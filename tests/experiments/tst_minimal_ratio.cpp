// The 2-3 experiment end to end on a tiny scale: every run analysed, tables written, ratios valid.
#include <torch/torch.h>

#include <QtTest>

#include <algorithm>
#include <map>
#include <mutex>

#include "experiment.h"
#include "experiment_runner.h"
#include "preset.h"
#include "atomic_file.h"
#include "csv.h"

using namespace trainlab;
using nlohmann::json;

namespace {
/// Keeps the scatter's labels and point runs as the experiment last replaced them.
struct ScatterSink : ExperimentSink {
    std::mutex mutex;
    std::map<std::string, std::vector<std::string>> labels;
    std::map<std::string, std::vector<int>> runs;
    std::map<std::string, size_t> points;
    void layoutDeclared(const PlotLayout&) override {}
    void pointsAppended(const std::string& id, const std::vector<double>& x,
                        const std::vector<double>&) override {
        std::lock_guard<std::mutex> lock(mutex);
        points[id] += x.size();
    }
    void seriesReplaced(const std::string&, const std::vector<double>&,
                        const std::vector<double>&) override {}
    void progressed(double, const std::string&) override {}
    void logged(const std::string&) override {}
    void labelsReplaced(const std::string& id, const std::vector<std::string>& l) override {
        std::lock_guard<std::mutex> lock(mutex);
        labels[id] = l;
    }
    void pointRunsReplaced(const std::string& id, const std::vector<int>& r) override {
        std::lock_guard<std::mutex> lock(mutex);
        runs[id] = r;
    }
};
}  // namespace

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

    // Issue 13: the window finds a point's run from the sink's point runs, not by parsing
    // its label; with parallel runs the points arrive in completion order.
    void eachScatterPointNamesItsRun() {
        json config = resolvePreset("2-3-minimal-ratio").config;
        config["runs"] = 4;
        config["parallel"] = true;
        config["train_grid"]["step"] = 0.1;
        config["widths"] = {1, 4, 1};
        config["phase1"]["max_steps"] = 30;
        config["phase2"]["max_steps"] = 5;
        const ExperimentKind* kind = findExperimentKind("minimal_ratio");
        QVERIFY(kind);
        auto experiment = kind->create(config, ExperimentContext{});
        ScatterSink sink;
        RunControl control;
        const json results = experiment->run(sink, control);
        QCOMPARE(results["runs_completed"].get<int>(), 4);
        for (const char* id : {"ratio", "ratio_tol"}) {
            const auto& runs = sink.runs[id];
            const auto& labels = sink.labels[id];
            QCOMPARE(runs.size(), size_t(4));
            QCOMPARE(sink.points[id], size_t(4));
            QCOMPARE(labels.size(), runs.size());
            std::vector<int> sorted = runs;
            std::sort(sorted.begin(), sorted.end());
            QCOMPARE(sorted, (std::vector<int>{1, 2, 3, 4}));
            for (size_t i = 0; i < runs.size(); ++i)
                QVERIFY2(labels[i].rfind("run " + std::to_string(runs[i]) + " ", 0) == 0,
                         labels[i].c_str());
        }
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
