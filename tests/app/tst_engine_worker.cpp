// The thread boundary: signals arrive on the GUI thread, Stop within 250 ms, clean shutdown.
#include <QtTest>
#include <atomic>
#include <cmath>
#include <limits>
#include <map>

#include "bridge/engine_worker.h"
#include "preset.h"
#include "test_timing.h"
#include "atomic_file.h"
#include "csv.h"

using namespace trainlab;

namespace {
/// Reports a loss landscape as a heatmap twice (the second grid is the final one) and a marker
/// at the solution; with "bad": true, a grid whose z is one value short.
class GridExperiment : public Experiment {
  public:
    explicit GridExperiment(bool bad) : bad_(bad) {}
    PlotLayout layout() const override {
        PlotLayout l;
        l.panels.push_back({"landscape", "Loss landscape", "α", "β", "loss", false, false, true});
        SeriesSpec map;
        map.id = "landscape_s1";
        map.panel = "landscape";
        map.mode = SeriesMode::Replace;
        map.style = SeriesStyle::Heatmap;
        SeriesSpec solution;
        solution.id = "solution";
        solution.panel = "landscape";
        solution.style = SeriesStyle::Scatter;
        l.series = {map, solution};
        return l;
    }
    nlohmann::json run(ExperimentSink& sink, RunControl&) override {
        sink.gridReplaced("landscape_s1", {0, 1}, {0, 1}, {9, 9, 9, 9});
        std::vector<double> z = finalGrid().z;
        if (bad_) z.pop_back();
        sink.gridReplaced("landscape_s1", finalGrid().xs, finalGrid().ys, z);
        sink.pointsAppended("solution", {0}, {0});
        sink.pointRunsReplaced("solution", {3});
        return {{"headline", "landscape done"}};
    }
    static Grid finalGrid() {
        Grid g{{-1, 0, 1}, {-0.5, 0.5}, {}};
        for (double y : g.ys)
            for (double x : g.xs) g.z.push_back(1 + x * x + y);
        g.z[4] = std::numeric_limits<double>::quiet_NaN();
        return g;
    }

  private:
    bool bad_;
};

ExperimentKind gridKind() {
    ExperimentKind k;
    k.id = "test_grid";
    k.schema = [](const nlohmann::json&) {
        ParamSpec bad;
        bad.key = "bad";
        bad.type = ParamType::Bool;
        return std::vector<ParamSpec>{bad};
    };
    k.create = [](const nlohmann::json& c, const ExperimentContext&) {
        return std::unique_ptr<Experiment>(new GridExperiment(c.value("bad", false)));
    };
    return k;
}

RunRequest gridRequest(const QString& root, bool bad) {
    RunRequest r;
    r.preset.id = "grid";
    r.preset.kind = "test_grid";
    r.config = {{"bad", bad}};
    r.runsRoot = root.toStdString();
    return r;
}

bool sameGrid(const Grid& a, const Grid& b) {
    if (a.xs != b.xs || a.ys != b.ys || a.z.size() != b.z.size()) return false;
    for (size_t i = 0; i < a.z.size(); ++i)
        if (!(a.z[i] == b.z[i] || (std::isnan(a.z[i]) && std::isnan(b.z[i])))) return false;
    return true;
}

RunRequest tinyRequest(const QString& root, int maxSteps) {
    RunRequest r;
    r.preset = loadPresetFile(TRAINLAB_TEST_DATA "/tiny-fit.json");
    r.config = r.preset.config;
    r.config["max_steps"] = maxSteps;
    r.runsRoot = root.toStdString();
    return r;
}
}  // namespace

class TstEngineWorker : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { registerExperimentKind(gridKind()); }

    void gridsAreRecordedAndDeliveredToTheGuiThread() {
        QTemporaryDir tmp;
        RunController controller;
        EngineWorker* w = controller.worker();
        std::atomic<bool> wrongThread{false};
        std::map<std::string, Grid> grids;
        std::map<std::string, std::vector<int>> pointRuns;
        auto drain = [&] {
            if (QThread::currentThread() != qApp->thread()) wrongThread = true;
            PendingData d = w->takePending();
            for (auto& [id, g] : d.grids) grids[id] = g;  // the latest per id
            for (auto& [id, r] : d.pointRuns) pointRuns[id] = r;
        };
        connect(w, &EngineWorker::dataAvailable, this, drain);
        QSignalSpy finished(w, &EngineWorker::runFinished);
        QSignalSpy failed(w, &EngineWorker::runFailed);
        QVERIFY(controller.start(gridRequest(tmp.path(), false)));
        QVERIFY(waitForFirst(finished, 30000));
        drain();
        QCOMPARE(failed.count(), 0);
        QVERIFY(!wrongThread);
        QCOMPARE(grids.size(), size_t(1));
        QVERIFY(sameGrid(grids["landscape_s1"], GridExperiment::finalGrid()));

        // recorded: metrics/<id>.csv holds the last grid, panels.json the heatmap style
        RunDirectory dir(finished.at(0).at(0).toString().toStdString());
        QVERIFY(sameGrid(readGridCsv(dir.seriesPath("landscape_s1")), GridExperiment::finalGrid()));
        QCOMPARE(dir.readLayout().findSeries("landscape_s1")->style, SeriesStyle::Heatmap);
        QVERIFY(readFile(dir.path() / "panels.json").find("\"style\": \"heatmap\"") !=
                std::string::npos);
        QCOMPARE(readSeriesCsv(dir.seriesPath("solution")).x.size(), size_t(1));
        // the run of each point: streamed to the GUI thread and recorded
        QCOMPARE(pointRuns["solution"], std::vector<int>{3});
        QCOMPARE(dir.readPointRuns("solution"), std::vector<int>{3});
    }

    void anInconsistentGridFailsTheRunWithItsFault() {
        QTemporaryDir tmp;
        RunControl control;
        const RunOutcome out = runExperiment(gridRequest(tmp.path(), true), nullptr, control);
        QCOMPARE(out.state, RunState::Failed);
        QVERIFY2(out.message.find("landscape_s1.csv") != std::string::npos &&
                     out.message.find("z has 5 values; 3 x times 2 y need 6") != std::string::npos,
                 out.message.c_str());
        // the first, consistent grid stays recorded
        RunDirectory dir(out.runDir);
        QCOMPARE(readGridCsv(dir.seriesPath("landscape_s1")).z, (std::vector<double>{9, 9, 9, 9}));
    }

    void signalsArriveOnTheGuiThreadAndDataIsComplete() {
        QTemporaryDir tmp;
        RunController controller;
        EngineWorker* w = controller.worker();
        QVERIFY(w->thread() != QThread::currentThread());
        std::atomic<bool> wrongThread{false};
        size_t points = 0;
        auto drain = [&] {
            if (QThread::currentThread() != qApp->thread()) wrongThread = true;
            for (const auto& [id, s] : w->takePending().appended)
                if (id == "loss_m1") points += s.x.size();
        };
        connect(w, &EngineWorker::dataAvailable, this, drain);
        QSignalSpy started(w, &EngineWorker::runStarted);
        QSignalSpy finished(w, &EngineWorker::runFinished);
        QSignalSpy failed(w, &EngineWorker::runFailed);
        QVERIFY(controller.start(tinyRequest(tmp.path(), 400)));
        QVERIFY(!controller.start(tinyRequest(tmp.path(), 400)));  // busy: refused
        QVERIFY(waitForFirst(finished, 60000));
        drain();
        QCOMPARE(started.count(), 1);
        QCOMPARE(failed.count(), 0);
        QVERIFY(!wrongThread);
        QCOMPARE(points, size_t(400));
        const auto layout = started.at(0).at(1).value<PlotLayout>();
        QVERIFY(layout.findSeries("loss_m1"));
        QVERIFY(QFileInfo(finished.at(0).at(0).toString() + "/results.json").exists());
    }

    void stopTakesEffectWithinAQuarterSecond() {
        QTemporaryDir tmp;
        RunController controller;
        EngineWorker* w = controller.worker();
        QSignalSpy started(w, &EngineWorker::runStarted);
        QSignalSpy cancelled(w, &EngineWorker::runCancelled);
        QVERIFY(controller.start(tinyRequest(tmp.path(), 10000000)));
        QVERIFY(waitForFirst(started, 30000));
        QTest::qWait(200);
        QElapsedTimer t;
        t.start();
        controller.requestStop();
        QVERIFY(waitForFirst(cancelled, 5000));
        const qint64 ms = t.elapsed();
        QVERIFY2(ms < timeLimitMs(250), qPrintable(QString("stop took %1 ms").arg(ms)));
        RunDirectory dir(cancelled.at(0).at(0).toString().toStdString());
        QCOMPARE(dir.readStatus().state, RunState::Cancelled);
        QVERIFY(!controller.isBusy());
    }

    void pauseHoldsTheRun() {
        QTemporaryDir tmp;
        RunController controller;
        EngineWorker* w = controller.worker();
        QSignalSpy started(w, &EngineWorker::runStarted);
        QSignalSpy cancelled(w, &EngineWorker::runCancelled);
        QVERIFY(controller.start(tinyRequest(tmp.path(), 10000000)));
        QVERIFY(waitForFirst(started, 30000));
        controller.setPaused(true);
        QTest::qWait(100);
        w->takePending();
        QTest::qWait(300);
        QVERIFY(w->takePending().appended.empty());
        controller.setPaused(false);
        size_t resumed = 0;  // accumulate: QTRY_* evaluates its expression more than once
        QTRY_VERIFY_WITH_TIMEOUT((resumed += w->takePending().appended.size()) > 0, 5000);
        controller.requestStop();  // a paused or running run stops
        QVERIFY(waitForFirst(cancelled, 5000));
    }

    void stopBeforeTheRunBeginsIsHonoured() {
        QTemporaryDir tmp;
        RunController controller;
        QSignalSpy cancelled(controller.worker(), &EngineWorker::runCancelled);
        QVERIFY(controller.start(tinyRequest(tmp.path(), 10000000)));
        controller.requestStop();
        QVERIFY(waitForFirst(cancelled, 30000));
    }

    void failuresArriveAsRunFailed() {
        QTemporaryDir tmp;
        RunController controller;
        QSignalSpy failed(controller.worker(), &EngineWorker::runFailed);
        RunRequest r = tinyRequest(tmp.path(), 100);
        r.config["lr"] = -3;
        QVERIFY(controller.start(r));
        QVERIFY(waitForFirst(failed, 30000));
        QVERIFY(failed.at(0).at(1).toString().contains("'lr'"));
        QVERIFY(!controller.isBusy());
    }

    void destroyingTheControllerMidRunStopsItCleanly() {
        QTemporaryDir tmp;
        QString runDir;
        {
            RunController controller;
            QSignalSpy started(controller.worker(), &EngineWorker::runStarted);
            QVERIFY(controller.start(tinyRequest(tmp.path(), 10000000)));
            QVERIFY(waitForFirst(started, 30000));
            runDir = started.at(0).at(0).toString();
        }  // destructor: stop, join
        RunDirectory dir(runDir.toStdString());
        QCOMPARE(dir.readStatus().state, RunState::Cancelled);
    }
};

QTEST_MAIN(TstEngineWorker)
#include "tst_engine_worker.moc"
