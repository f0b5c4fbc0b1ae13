// The main window driven as a user would: select, run, pause, stop, rerun, reopen, close.
#include <QAction>
#include <QDockWidget>
#include <QPlainTextEdit>
#include <QLabel>
#include <QtTest>
#include <fstream>

#include "config_editor.h"
#include "datasets_window.h"
#include "experiment_view.h"
#include "main_window.h"
#include "plot_panel.h"
#include "preset.h"
#include "test_support.h"
#include "test_timing.h"
#include "csv.h"

using namespace trainlab;

namespace {
void useTinySettings(MainWindow& w, int maxSteps) {
    testing::showSettings(w, testing::tinyConfig(maxSteps));
}
}  // namespace

class TstMainWindow : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() {
        QCoreApplication::setOrganizationName("trainlab-tests");
        QStandardPaths::setTestModeEnabled(true);
    }

    void runsAPresetAndShowsItsPanels() {
        QTemporaryDir tmp;
        MainWindow w;
        w.setQuiet(true);
        w.setRunsRoot(tmp.path());
        w.show();
        useTinySettings(w, 200);
        QSignalSpy phases(&w, &MainWindow::phaseChanged);
        w.startRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Finished, 60000);
        QVERIFY(w.view());
        QCOMPARE(w.view()->panels().size(), size_t(3));
        PlotPanel* loss = w.view()->panelFor("loss");
        QVERIFY(loss);
        QCOMPARE(loss->pointCount("loss_m1"), size_t(200));
        QVERIFY(w.findChildren<QDockWidget*>().size() >= 3 + 3);
        // Plots were saved into the run.
        QVERIFY(QFileInfo(w.currentRunDir() + "/plots/loss.png").size() > 0);
        // Export everything elsewhere.
        QVERIFY(w.exportRunTo(tmp.path() + "/export"));
        QVERIFY(QFileInfo(tmp.path() + "/export/fit.svg").size() > 0);
        QVERIFY(QFileInfo(tmp.path() + "/export/config.json").size() > 0);
        // The log counts the files written (issue 16: it said 12 when 16 were written).
        const int written = QDir(tmp.path() + "/export").entryList(QDir::Files).size();
        QVERIFY2(w.findChild<QPlainTextEdit*>()->toPlainText().contains(
                     QString("Exported %1 files").arg(written)),
                 qPrintable(w.findChild<QPlainTextEdit*>()->toPlainText()));
        // The phases went Starting → Running → Finished.
        QVERIFY(phases.count() >= 2);
    }

    void pauseStopAndStartAgainAtOnce() {
        QTemporaryDir tmp;
        MainWindow w;
        w.setQuiet(true);
        w.setRunsRoot(tmp.path());
        useTinySettings(w, 10000000);
        w.startRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Running, 30000);
        w.togglePause();
        QCOMPARE(w.phase(), RunPhase::Paused);
        w.togglePause();
        QCOMPARE(w.phase(), RunPhase::Running);
        w.startRun();  // ignored while running
        QCOMPARE(w.phase(), RunPhase::Running);
        w.stopRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, 5000);
        // The card says it once (it said "Cancelled: Cancelled: …").
        const QString card = w.findChild<QLabel*>("ExpectedCard")->text();
        QVERIFY2(card.contains("Cancelled: partial results kept") &&
                     !card.contains("Cancelled: Cancelled"), qPrintable(card));
        const QString first = w.currentRunDir();
        w.startRun();  // again, at once
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Running, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(w.currentRunDir() != first && !w.currentRunDir().isEmpty(), 5000);
        w.selectPreset("2-2-gradient-norm");  // switching presets mid-run does not disturb it
        QCOMPARE(w.phase(), RunPhase::Running);
        w.stopRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, 5000);
        // Reopen the first run from disk.
        w.openRun(first);
        QVERIFY(w.view());
        QVERIFY(w.view()->panelFor("loss")->pointCount("loss_m1") > 0);
    }

    void reopensARunWithAHeatmapEvenWhenItsGridIsDamaged() {
        QTemporaryDir tmp;
        const RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "landscape");
        dir.writeConfig({{"preset_id", "landscape"}, {"title", "Landscape"}});
        PlotLayout layout;
        layout.panels.push_back({"landscape", "Loss landscape", "α", "β", "loss"});
        layout.panels.push_back({"loss", "Loss", "step", "loss"});
        SeriesSpec map;
        map.id = "landscape_s1";
        map.panel = "landscape";
        map.mode = SeriesMode::Replace;
        map.style = SeriesStyle::Heatmap;
        SeriesSpec loss;
        loss.id = "loss";
        loss.panel = "loss";
        layout.series = {map, loss};
        dir.writeLayout(layout);
        RunStatus status;
        status.state = RunState::Finished;
        dir.writeStatus(status);
        writeGridCsv(dir.seriesPath("landscape_s1"), Grid{{0, 1, 2}, {0, 1}, {1, 2, 3, 4, 5, 6}});
        writeSeriesCsv(dir.seriesPath("loss"), "step", "loss", Series{{1, 2, 3}, {3, 2, 1}});
        const QString run = QString::fromStdString(dir.path().string());
        MainWindow w;
        w.setQuiet(true);
        w.setRunsRoot(tmp.path());
        w.openRun(run);
        QVERIFY(w.view());
        QCOMPARE(w.view()->panelFor("landscape")->pointCount("landscape_s1"), size_t(6));
        QVERIFY(w.view()->panelFor("landscape")->colorMapOf("landscape_s1"));
        // a truncated grid file: that map stays empty, the rest of the run opens
        std::ofstream(dir.seriesPath("landscape_s1"), std::ios::trunc) << "x,y,z\n0,0,1\n1,0";
        w.openRun(run);
        QCOMPARE(w.view()->panelFor("landscape")->pointCount("landscape_s1"), size_t(0));
        QCOMPARE(w.view()->panelFor("loss")->pointCount("loss"), size_t(3));
        QCOMPARE(w.currentRunDir(), run);
    }

    void closingMidRunStopsItAndMarksItCancelled() {
        QTemporaryDir tmp;
        QString runDir;
        {
            MainWindow w;
            w.setQuiet(true);
            w.setRunsRoot(tmp.path());
            w.show();
            useTinySettings(w, 10000000);
            w.startRun();
            QTRY_VERIFY_WITH_TIMEOUT(!w.currentRunDir().isEmpty(), 30000);
            runDir = w.currentRunDir();
            QElapsedTimer t;
            t.start();
            QVERIFY(w.close());
            QVERIFY(t.elapsed() < timeLimitMs(2000));
        }
        QCOMPARE(RunDirectory(runDir.toStdString()).readStatus().state, RunState::Cancelled);
    }

    void clickingARunShowsItsSpectrum() {
        QTemporaryDir tmp;
        MainWindow w;
        w.setQuiet(true);
        w.setRunsRoot(tmp.path());
        const Preset p = resolvePreset("2-3-minimal-ratio");
        nlohmann::json config = p.config;
        config["runs"] = 3;
        config["train_grid"]["step"] = 0.1;
        config["widths"] = {1, 4, 3, 1};
        config["phase1"]["max_steps"] = 50;
        config["phase2"]["max_steps"] = 10;
        w.selectPreset("2-3-minimal-ratio");
        w.configEditor()->setSchema(findExperimentKind(p.kind)->schema(config), config);
        w.startRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Finished, 60000);
        PlotPanel* spectrum = w.view()->panelFor("spectrum");
        PlotPanel* ratio = w.view()->panelFor("ratio");
        QVERIFY(spectrum && ratio);
        QCOMPARE(ratio->pointCount("ratio"), size_t(3));
        QCOMPARE(ratio->pointLabels("ratio").size(), size_t(3));
        // A click on the second ratio point: the per-run panels show exactly the recorded
        // curves of that point's run. The run comes from the experiment (its point runs,
        // recorded as metrics/ratio.runs.txt), not from the label's text.
        RunDirectory dir(w.currentRunDir().toStdString());
        const std::vector<int> runs = dir.readPointRuns("ratio");
        QCOMPARE(runs.size(), size_t(3));
        w.showRunDetail("ratio", 1);
        const Series trace = readSeriesCsv(dir.perRunSeriesPath("grad_norm_latest", runs[1]));
        QVERIFY(trace.x.size() >= 50);
        QCOMPARE(w.view()->panelFor("grad_norm")->pointCount("grad_norm_latest"), trace.x.size());
        const Series pos = readSeriesCsv(dir.perRunSeriesPath("spectrum_latest", runs[1]));
        QCOMPARE(spectrum->pointCount("spectrum_latest"), pos.x.size());

        // Reopened from its folder, a click finds the run from the recorded file; a point
        // without a run (out of range) changes nothing.
        w.openRun(w.currentRunDir());
        w.showRunDetail("ratio", 2);
        const Series trace3 = readSeriesCsv(dir.perRunSeriesPath("grad_norm_latest", runs[2]));
        QCOMPARE(w.view()->panelFor("grad_norm")->pointCount("grad_norm_latest"), trace3.x.size());
        w.showRunDetail("ratio", 7);
        QCOMPARE(w.view()->panelFor("grad_norm")->pointCount("grad_norm_latest"), trace3.x.size());
    }

    void theDatasetsWindowOpensFromTheDataMenu() {
        MainWindow w;
        w.setQuiet(true);
        w.showDatasets();
        auto* d = w.findChild<DatasetsWindow*>();
        QVERIFY(d);
        QVERIFY(d->isVisible());
        QCOMPARE(d->statusText("fashion-mnist").isEmpty(), false);
    }

    void aFailingRunLeavesTheWindowUsable() {
        QTemporaryDir tmp;
        MainWindow w;
        w.setQuiet(true);
        w.setRunsRoot(tmp.path());
        testing::showSettings(w, testing::divergingConfig());
        w.startRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Failed, 30000);
        useTinySettings(w, 50);
        w.startRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Finished, 30000);
    }
};

QTEST_MAIN(TstMainWindow)
#include "tst_main_window.moc"
