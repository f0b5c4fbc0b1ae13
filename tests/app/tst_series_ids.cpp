// Issue 13: series ids are checked against the experiment's declared layout (an unknown id
// fails the run in strict mode, is logged once per id otherwise), and the run of each point
// (ExperimentSink::pointRunsReplaced) is recorded as metrics/<id>.runs.txt and read back.
#include <QTemporaryDir>
#include <QtTest>
#include <cstdlib>
#include <fstream>

#include "errors.h"
#include "experiment.h"
#include "experiment_runner.h"

using namespace trainlab;

namespace {

/// A tiny registered kind: one declared scatter series "points"; sends `extraId` data too.
class ProbeExperiment : public Experiment {
  public:
    explicit ProbeExperiment(std::string extraId) : extraId_(std::move(extraId)) {}
    PlotLayout layout() const override {
        PlotLayout l;
        l.panels.push_back(PanelSpec("p", "P", "x", "y"));
        SeriesSpec s;
        s.id = "points";
        s.panel = "p";
        s.mode = SeriesMode::Replace;
        s.style = SeriesStyle::Scatter;
        l.series.push_back(s);
        return l;
    }
    nlohmann::json run(ExperimentSink& sink, RunControl&) override {
        sink.seriesReplaced("points", {1, 2, 3}, {4, 5, 6});
        sink.pointRunsReplaced("points", {2, 1, 2});
        if (!extraId_.empty()) {
            sink.pointsAppended(extraId_, {1}, {1});
            sink.seriesReplaced(extraId_, {1}, {1});  // the same id again: logged once
            sink.pointRunsReplaced(extraId_, {1});
        }
        return {{"headline", "probed"}};
    }

  private:
    std::string extraId_;
};

void registerProbe() {
    ExperimentKind k;
    k.id = "series_ids_probe";
    k.schema = [](const nlohmann::json&) {
        std::vector<ParamSpec> specs;
        ParamSpec extra;
        extra.key = "extra";
        extra.type = ParamType::Choice;
        extra.choices = {"none", "loss_typo"};
        specs.push_back(extra);
        return specs;
    };
    k.create = [](const nlohmann::json& c, const ExperimentContext&) {
        const std::string extra = c.value("extra", std::string("none"));
        return std::make_unique<ProbeExperiment>(extra == "none" ? std::string() : extra);
    };
    registerExperimentKind(k);
}

RunOutcome runProbe(const QString& root, const std::string& extraId) {
    RunRequest r;
    r.preset.id = "probe";
    r.preset.kind = "series_ids_probe";
    r.config = {{"extra", extraId.empty() ? std::string("none") : extraId}};
    r.runsRoot = root.toStdString();
    RunControl control;
    return runExperiment(r, nullptr, control);
}

}  // namespace

class TestSeriesIds : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { registerProbe(); }
    void cleanup() { ::setenv("TRAINLAB_STRICT_SERIES", "1", 1); }

    void pointRunsAreRecordedAndReadBack() {
        QTemporaryDir tmp;
        const RunOutcome out = runProbe(tmp.path(), "");
        QCOMPARE(out.state, RunState::Finished);
        const RunDirectory dir(out.runDir);
        QCOMPARE(dir.readPointRuns("points"), (std::vector<int>{2, 1, 2}));
        QVERIFY(dir.readPointRuns("other").empty());  // none recorded: empty, no error
        QCOMPARE(dir.perRunSeriesPath("spectrum", 7).filename().string(),
                 std::string("spectrum_run7.csv"));
        QCOMPARE(perRunSeriesId("spectrum", 7), std::string("spectrum_run7"));
    }

    void aDamagedRunsFileIsRefusedNamingTheLine() {
        QTemporaryDir tmp;
        const RunOutcome out = runProbe(tmp.path(), "");
        const RunDirectory dir(out.runDir);
        std::ofstream(dir.pointRunsPath("points")) << "1\nrun 2\n";
        try {
            dir.readPointRuns("points");
            QFAIL("a runs file with text in it was read");
        } catch (const DataError& e) {
            QVERIFY2(std::string(e.what()).find("line 2") != std::string::npos, e.what());
        }
    }

    void strictModeFailsARunThatUsesAnUndeclaredId() {
        ::setenv("TRAINLAB_STRICT_SERIES", "1", 1);
        QTemporaryDir tmp;
        const RunOutcome out = runProbe(tmp.path(), "loss_typo");
        QCOMPARE(out.state, RunState::Failed);
        QVERIFY2(out.message.find("'loss_typo'") != std::string::npos, out.message.c_str());
        QVERIFY2(out.message.find("declared: points") != std::string::npos, out.message.c_str());
        QCOMPARE(RunDirectory(out.runDir).readStatus().state, RunState::Failed);
    }

    void otherwiseAnUndeclaredIdIsLoggedOnceAndDropped() {
        ::setenv("TRAINLAB_STRICT_SERIES", "0", 1);
        QTemporaryDir tmp;
        const RunOutcome out = runProbe(tmp.path(), "loss_typo");
        QCOMPARE(out.state, RunState::Finished);
        int mentions = 0;
        for (const auto& line : out.results.at("log"))
            if (line.get<std::string>().find("'loss_typo'") != std::string::npos) ++mentions;
        QCOMPARE(mentions, 1);
        const RunDirectory dir(out.runDir);
        std::error_code ec;
        QVERIFY(!std::filesystem::exists(dir.seriesPath("loss_typo"), ec));
        QVERIFY(!std::filesystem::exists(dir.pointRunsPath("loss_typo"), ec));
        QCOMPARE(dir.readPointRuns("points"), (std::vector<int>{2, 1, 2}));
    }
};

QTEST_GUILESS_MAIN(TestSeriesIds)
#include "tst_series_ids.moc"
