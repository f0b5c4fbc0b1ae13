// Issue 14: Run → Run as sweep…. The form becomes the sweep the command line would run (grid,
// seeds, the window's changed settings as --set), bad values are named and block the start, the
// task count and the estimate from earlier runs, a built-in sweep loads, and "Start sweep" makes
// the folder and starts a real detached `trainlab-cli sweep resume` that finishes every task.
#include <QComboBox>
#include <QSignalSpy>
#include <QtTest>

#include "param_spec.h"
#include "preset.h"
#include "sweep_dialog.h"
#include "sweep_estimate.h"
#include "sweep_folder.h"
#include "sweep_status.h"

using namespace trainlab;

namespace {

SweepDialog::Input tinyInput(const QString& runsRoot) {
    SweepDialog::Input in;
    in.preset = loadPresetFile(TRAINLAB_TEST_DATA "/tiny-fit.json");
    in.config = in.preset.config;
    in.config["max_steps"] = 30;  // a change in the window's settings
    in.config["fit_every"] = 10;
    in.runsRoot = runsRoot;
    in.cliPath = TRAINLAB_CLI_PATH;
    return in;
}

}  // namespace

class TstSweepDialog : public QObject {
    Q_OBJECT
  private slots:
    void paramValuesReadBackAsTheSameValue() {
        const ParamSpec d = makeParam("lr", "lr", "g", ParamType::Double, 0, 10, "");
        for (double v : {0.1, 1e-3, 0.3, 2.0 / 3.0, 1e-8}) {
            nlohmann::json c = nlohmann::json::object();
            setParamFromString(c, d, paramValueText(d, v));
            QCOMPARE(c["lr"].get<double>(), v);
        }
        QCOMPARE(paramValueText(d, 0.1), std::string("0.1"));
        const ParamSpec l = makeParam("w", "w", "g", ParamType::IntList, 1, 100, "");
        QCOMPARE(paramValueText(l, nlohmann::json::array({1, 8, 1})), std::string("1,8,1"));
        const ParamSpec b = makeParam("b", "b", "g", ParamType::Bool, 0, 0, "");
        QCOMPARE(paramValueText(b, true), std::string("true"));
        QCOMPARE(paramValueText(b, 3), std::string());  // not a bool
    }

    void theEstimateIsTheMedianInWaves() {
        const SweepEstimate none = estimateSweep(5, 2, SweepBackend::Local, {});
        QVERIFY(!none.known);
        QVERIFY(QString::fromStdString(none.text).contains("No finished run"));
        const SweepEstimate e = estimateSweep(5, 2, SweepBackend::Local, {10, 30, 20});
        QVERIFY(e.known);
        QCOMPARE(e.perTaskSeconds, 20.0);
        QCOMPARE(e.cpuSeconds, 100.0);
        QCOMPARE(e.wallSeconds, 60.0);  // 3 waves of 2
        QCOMPARE(estimateSweep(5, 0, SweepBackend::Slurm, {10, 30}).wallSeconds, 20.0);
    }

    void theFormIsTheSweepAndBadValuesAreNamed() {
        QTemporaryDir runs;
        SweepDialog d(tinyInput(runs.path()));
        d.addGridRow("lr", "0.001, 0.01");
        d.setSeeds(2);
        d.check();
        QVERIFY2(d.problems().isEmpty(), qPrintable(d.problems()));
        QCOMPARE(d.taskCount(), 4);
        const SweepSpec s = d.spec();
        QCOMPARE(s.grid.size(), size_t(1));
        QCOMPARE(s.grid[0].values, (std::vector<std::string>{"0.001", "0.01"}));
        QVERIFY(std::find(s.sets.begin(), s.sets.end(), "max_steps=30") != s.sets.end());
        QVERIFY(std::find(s.sets.begin(), s.sets.end(), "fit_every=10") != s.sets.end());
        QVERIFY(d.estimateText().contains("No finished run"));

        d.addGridRow("max_steps", "10, abc");
        d.check();
        QCOMPARE(d.taskCount(), 0);
        QVERIFY2(d.problems().contains("max_steps") && d.problems().contains("task"),
                 qPrintable(d.problems()));
        QVERIFY(!QFileInfo::exists(d.outFolder()));  // nothing made while invalid
        QString error;
        QVERIFY(!d.start(&error));
        QVERIFY(error.contains("max_steps"));
    }

    void aBuiltInSweepLoads() {
        QTemporaryDir runs;
        SweepDialog::Input in;
        in.preset = resolvePreset("1-1-sinc-patience");
        in.config = in.preset.config;
        in.runsRoot = runs.path();
        in.cliPath = TRAINLAB_CLI_PATH;
        SweepDialog d(in);
        auto* from = d.findChild<QComboBox*>();
        QVERIFY(from && from->count() >= 2);
        from->setCurrentIndex(1);
        d.check();
        QCOMPARE(d.taskCount(), 10);
        QCOMPARE(d.spec().info.id, std::string("1-1-sinc-seeds"));
        QVERIFY(d.outFolder().endsWith("-1-1-sinc-seeds"));
    }

    void startMakesTheFolderAndTheDriverFinishesIt() {
        QTemporaryDir runs;
        SweepDialog d(tinyInput(runs.path()));
        d.addGridRow("lr", "0.001,0.01");
        d.setOutFolder(runs.filePath("my sweep"));
        QSignalSpy started(&d, &SweepDialog::sweepStarted);
        QString error;
        QVERIFY2(d.start(&error), qPrintable(error));
        QCOMPARE(started.count(), 1);
        QCOMPARE(started.at(0).at(0).toString(), runs.filePath("my sweep"));
        const SweepFolder folder = SweepFolder::open(runs.filePath("my sweep").toStdString());
        QCOMPARE(folder.record().tasks.size(), size_t(2));
        QTRY_VERIFY_WITH_TIMEOUT(readSweepStatus(folder, false).done(), 120000);
        for (const auto& t : readSweepStatus(folder, false).tasks)
            QVERIFY(!t.headline.empty());
        // A second start into the same, now full, folder is refused and names it.
        QVERIFY(!d.start(&error));
        QVERIFY2(error.contains("not empty"), qPrintable(error));
    }

    void aLauncherThatFailsLeavesNoFolder() {
        QTemporaryDir runs;
        SweepDialog d(tinyInput(runs.path()));
        d.setOutFolder(runs.filePath("s"));
        QStringList got;
        d.setLauncher([&](const QString&, const QStringList& args, const QString&, QString* e) {
            got = args;
            *e = "no such program";
            return false;
        });
        QString error;
        QVERIFY(!d.start(&error));
        QCOMPARE(error, QString("no such program"));
        QCOMPARE(got, (QStringList{"sweep", "resume", runs.filePath("s"), "--quiet"}));
        QVERIFY(!QFileInfo::exists(runs.filePath("s")));
    }
};

QTEST_MAIN(TstSweepDialog)
#include "tst_sweep_dialog.moc"
