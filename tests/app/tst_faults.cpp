// Issue 7, faults while running: a full disk (simulated with RLIMIT_FSIZE, which makes write(2)
// fail with EFBIG exactly as a full disk fails with ENOSPC), an unwritable runs folder, a
// diverging loss, and a run killed with SIGKILL at random points. Each ends with a clear
// message, loses nothing written before, and leaves the window usable.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <QAction>
#include <QCryptographicHash>
#include <QPlainTextEdit>
#include <QRandomGenerator>
#include <QtTest>

#include "bridge/engine_worker.h"
#include "config_editor.h"
#include "run_directory.h"
#include "experiment_runner.h"
#include "experiment_view.h"
#include "main_window.h"
#include "plot_panel.h"
#include "preset.h"
#include "run_history.h"
#include "test_support.h"
#include "csv.h"
#include "run_listing.h"

using namespace trainlab;
using nlohmann::json;

namespace {

const char* const kTiny = TRAINLAB_TEST_DATA "/tiny-fit.json";

/// While alive, any write that would take a file past `bytes` fails (EFBIG; SIGXFSZ ignored).
class FileSizeLimit {
  public:
    explicit FileSizeLimit(rlim_t bytes) {
        ::signal(SIGXFSZ, SIG_IGN);
        ::getrlimit(RLIMIT_FSIZE, &old_);
        rlimit l = old_;
        l.rlim_cur = bytes;
        ok_ = ::setrlimit(RLIMIT_FSIZE, &l) == 0;
    }
    ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &old_); }
    bool ok() const { return ok_; }

  private:
    rlimit old_{};
    bool ok_ = false;
};

RunRequest tinyRequest(const QString& root, int maxSteps) {
    return testing::tinyRequest(root.toStdString(), testing::tinyConfig(maxSteps));
}

RunOutcome runHeadless(const RunRequest& r) {
    testing::DiscardingObserver q;
    RunControl control;
    return runExperiment(r, &q, control);
}

/// SHA-256 of every file under `dir`, by relative path.
std::map<QString, QByteArray> fingerprint(const QString& dir) {
    std::map<QString, QByteArray> out;
    QDirIterator it(dir, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) continue;
        out[QDir(dir).relativeFilePath(path)] =
            QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
    }
    return out;
}

/// Steps 1, 2, 3 … in order, every value finite: nothing damaged, nothing missing in between.
void verifyPrefix(const Series& s, const char* what) {
    for (size_t i = 0; i < s.x.size(); ++i) {
        const std::string at = std::string(what) + ": row " + std::to_string(i + 1) + " of " +
                               std::to_string(s.x.size()) + " is " + std::to_string(s.x[i]) + "," +
                               std::to_string(s.y[i]);
        QVERIFY2(s.x[i] == double(i + 1), at.c_str());
        QVERIFY2(std::isfinite(s.y[i]), at.c_str());
    }
}

QString logText(MainWindow& w) {
    QString all;
    for (auto* e : w.findChildren<QPlainTextEdit*>()) all += e->toPlainText() + "\n";
    return all;
}

}  // namespace

class TstFaults : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() {
        QCoreApplication::setOrganizationName("trainlab-tests");
        QStandardPaths::setTestModeEnabled(true);
    }

    void aFullDiskMidRunFailsItAndKeepsWhatWasWritten() {
        QTemporaryDir tmp;
        // An earlier run in the same folder, which the failure must not touch.
        const RunOutcome earlier = runHeadless(tinyRequest(tmp.path(), 50));
        QCOMPARE(earlier.state, RunState::Finished);
        const QString earlierDir = QString::fromStdString(earlier.runDir.string());
        const auto before = fingerprint(earlierDir);
        QVERIFY(before.size() >= 8);

        const size_t limit = 48 * 1024;
        RunOutcome out;
        {
            FileSizeLimit full(limit);
            QVERIFY(full.ok());
            out = runHeadless(tinyRequest(tmp.path(), 10000000));
        }
        QCOMPARE(out.state, RunState::Failed);
        const QString msg = QString::fromStdString(out.message);
        QVERIFY2(msg.contains("cannot write") && msg.contains("/metrics/") && msg.contains(".csv"),
                 qPrintable(msg));
        QVERIFY2(msg.contains(QString::fromLocal8Bit(std::strerror(EFBIG))), qPrintable(msg));
        // The run folder is complete up to the failure and says why it stopped.
        RunDirectory dir(out.runDir);
        QCOMPARE(dir.readConfig()["config"]["max_steps"].get<int>(), 10000000);
        QVERIFY(!dir.readLayout().panels.empty());
        const RunStatus st = dir.readStatus();
        QCOMPARE(st.state, RunState::Failed);
        QCOMPARE(QString::fromStdString(st.message), msg);
        for (const char* id : {"loss_m1", "loss_m2"}) {
            const Series s = readSeriesCsv(dir.seriesPath(id));
            QVERIFY2(s.x.size() > 1000, id);
            verifyPrefix(s, id);
            QFile f(QString::fromStdString(dir.seriesPath(id).string()));
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QByteArray bytes = f.readAll();
            QVERIFY(bytes.size() <= qint64(limit));
            QVERIFY2(bytes.endsWith('\n'), id);                   // cut back to whole rows
            QCOMPARE(size_t(bytes.count('\n')), s.x.size() + 1);  // header + every row read
        }
        // The earlier run is byte for byte what it was.
        QVERIFY(fingerprint(earlierDir) == before);
        QCOMPARE(RunDirectory(earlier.runDir).readStatus().state, RunState::Finished);
    }

    void aDiskFullFromTheStartFailsBeforeTraining() {
        QTemporaryDir tmp;
        RunOutcome out;
        {
            FileSizeLimit full(0);  // not one byte can be written
            out = runHeadless(tinyRequest(tmp.path(), 100));
        }
        QCOMPARE(out.state, RunState::Failed);
        const QString msg = QString::fromStdString(out.message);
        QVERIFY2(msg.contains("cannot write") && msg.contains("config.json"), qPrintable(msg));
        QVERIFY(out.runDir.empty() ||
                !QFileInfo::exists(QString::fromStdString((out.runDir / "config.json").string())));
        // No half-written temporary files are left behind.
        QDirIterator it(tmp.path(), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString f = it.next();
            QVERIFY2(!f.endsWith(".tmp"), qPrintable(f));
        }
    }

    void anUnwritableRunsFolderIsNamed() {
        QTemporaryDir tmp;
        // A file where the runs folder should be: refused even for root.
        QFile blocker(tmp.path() + "/runs");
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        RunOutcome out = runHeadless(tinyRequest(tmp.path() + "/runs/inner", 10));
        QCOMPARE(out.state, RunState::Failed);
        QVERIFY2(QString::fromStdString(out.message).contains(tmp.path() + "/runs"),
                 out.message.c_str());
        QVERIFY(out.runDir.empty());
    }

    void aReadOnlyRunsFolderFailsNamingItAndKeepsEarlierRuns() {
        QTemporaryDir tmp;
        const QString ro = tmp.path() + "/ro";
        QVERIFY(QDir().mkpath(ro));
        const RunOutcome earlier = runHeadless(tinyRequest(ro, 20));
        QCOMPARE(earlier.state, RunState::Finished);
        const QString earlierDir = QString::fromStdString(earlier.runDir.string());
        const auto before = fingerprint(earlierDir);
        QVERIFY(QFile::setPermissions(ro, QFile::ReadOwner | QFile::ExeOwner | QFile::ReadGroup |
                                              QFile::ExeGroup | QFile::ReadOther |
                                              QFile::ExeOther));  // 0555
        // The CLI, as a user would run it. Root passes permission bits by its capabilities
        // (CI runs as root): without CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER it
        // meets a 0555 folder as any user does.
        QString program = TRAINLAB_CLI_PATH;
        QStringList args{"run", kTiny, "--set", "max_steps=100", "--out", ro};
        if (::geteuid() == 0) {
            const QString drop = "--bounding-set=-dac_override,-dac_read_search,-fowner";
            QProcess probe;
            probe.start("setpriv", {drop, "true"});
            if (!probe.waitForFinished(10000) || probe.exitStatus() != QProcess::NormalExit ||
                probe.exitCode() != 0)
                QSKIP(
                    "root here cannot give up CAP_DAC_OVERRIDE (setpriv needs CAP_SETPCAP), "
                    "so no folder is read-only to it");
            args = QStringList{drop, program} + args;
            program = "setpriv";
        }
        QProcess p;
        p.start(program, args);
        QVERIFY(p.waitForFinished(60000));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QCOMPARE(p.exitCode(), 1);
        QVERIFY2(err.contains("'" + ro + "'") &&
                     err.contains(QString::fromLocal8Bit(std::strerror(EACCES))),
                 qPrintable(err));
        // Nothing new in the folder; the earlier run byte for byte what it was.
        QCOMPARE(QDir(ro).entryList(QDir::AllEntries | QDir::NoDotAndDotDot).size(), 1);
        QVERIFY(fingerprint(earlierDir) == before);
        QCOMPARE(RunDirectory(earlier.runDir).readStatus().state, RunState::Finished);
        QFile::setPermissions(ro, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    void aDivergingLossFailsNamingTheStepAndTheValue() {
        QTemporaryDir tmp;
        const RunRequest r =
            testing::tinyRequest(tmp.path().toStdString(), testing::divergingConfig());
        const RunOutcome out = runHeadless(r);
        QCOMPARE(out.state, RunState::Failed);
        const QString msg = QString::fromStdString(out.message);
        QVERIFY2(msg.contains("step") && QRegularExpression("step \\d+").match(msg).hasMatch(),
                 qPrintable(msg));
        QVERIFY2(msg.contains("nan", Qt::CaseInsensitive) ||
                     msg.contains("inf", Qt::CaseInsensitive) ||
                     QRegularExpression("\\d\\.\\d+e\\+\\d+").match(msg).hasMatch(),
                 qPrintable(msg));
        QCOMPARE(RunDirectory(out.runDir).readStatus().state, RunState::Failed);
    }

    void theWindowShowsAWriteFailureAndRunsAgain() {
        QTemporaryDir tmp;
        MainWindow w;
        w.setQuiet(true);
        w.setRunsRoot(tmp.path());
        w.show();
        json config = testing::tinyConfig(10000000);
        testing::showSettings(w, config);
        {
            FileSizeLimit full(32 * 1024);
            w.startRun();
            QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Failed, 60000);
        }
        const QString failedDir = w.currentRunDir();
        QVERIFY(!failedDir.isEmpty());
        QVERIFY2(logText(w).contains("cannot write"), qPrintable(logText(w)));
        // Issue 18: no plots rendered from the incomplete record (they were 0-byte or cut
        // files), and the log says why.
        QVERIFY2(
            QDir(failedDir + "/plots")
                .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System)
                .isEmpty(),
            qPrintable(QDir(failedDir + "/plots").entryList().join(", ")));
        QVERIFY2(
            logText(w).contains(
                "Plots not saved: the run folder could not be written to: " +
                QString::fromStdString(RunDirectory(failedDir.toStdString()).readStatus().message)),
            qPrintable(logText(w)));
        QCOMPARE(RunDirectory(failedDir.toStdString()).readStatus().state, RunState::Failed);
        // The points drawn before the failure are the ones on disk (nothing lost, nothing extra
        // that the report could not reproduce).
        const Series onDisk =
            readSeriesCsv(RunDirectory(failedDir.toStdString()).seriesPath("loss_m1"));
        QVERIFY(onDisk.x.size() > 100);
        QVERIFY(w.view()->panelFor("loss")->pointCount("loss_m1") >= onDisk.x.size());
        // The disk has room again: the same window runs the next one to the end.
        config["max_steps"] = 40;
        testing::showSettings(w, config);
        w.startRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Finished, 60000);
        QVERIFY(w.currentRunDir() != failedDir);
        QVERIFY(QFileInfo(w.currentRunDir() + "/plots/loss.png").size() > 0);  // saved again
    }

    void theWorkerReportsAWriteFailureWithItsEnd() {
        QTemporaryDir tmp;
        RunController controller;
        QSignalSpy failed(controller.worker(), &EngineWorker::runFailed);
        QSignalSpy finished(controller.worker(), &EngineWorker::runFinished);
        {
            FileSizeLimit full(32 * 1024);
            QVERIFY(full.ok());
            QVERIFY(controller.start(tinyRequest(tmp.path(), 10000000)));
            QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 60000);
        }
        QVERIFY2(failed.at(0).at(1).toString().contains("cannot write"),
                 qPrintable(failed.at(0).at(1).toString()));
        QCOMPARE(failed.at(0).at(2).toBool(), true);  // recordingFailed crosses the thread
        // A failure that is no write failure, and a finished run, carry false.
        RunRequest bad = tinyRequest(tmp.path(), 40);
        bad.config["lr"] = -3;
        QVERIFY(controller.start(bad));
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 60000);
        QCOMPARE(failed.at(1).at(2).toBool(), false);
        QVERIFY(controller.start(tinyRequest(tmp.path(), 40)));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QCOMPARE(finished.at(0).at(2).toBool(), false);
    }

    void aRunKilledAtRandomPointsKeepsEveryMetricWritten() {
        // Where the kills land is random; the seed is printed so that a failure can be replayed
        // with TRAINLAB_FAULT_SEED.
        quint32 seed = QRandomGenerator::global()->generate();
        if (qEnvironmentVariableIsSet("TRAINLAB_FAULT_SEED"))
            seed = qEnvironmentVariable("TRAINLAB_FAULT_SEED").toUInt();
        qInfo("kill points drawn with TRAINLAB_FAULT_SEED=%u", seed);
        QRandomGenerator rng(seed);

        QTemporaryDir tmp;
        // The uninterrupted reference: same preset, seed and thread count.
        const RunOutcome ref = runHeadless(tinyRequest(tmp.path() + "/ref", 3000));
        QCOMPARE(ref.state, RunState::Finished);
        const Series refLoss = readSeriesCsv(RunDirectory(ref.runDir).seriesPath("loss_m1"));
        QCOMPARE(refLoss.x.size(), size_t(3000));

        int midRun = 0;
        for (int attempt = 0; attempt < 8 && midRun < 3; ++attempt) {
            const QString root = tmp.path() + "/kill" + QString::number(attempt);
            const int delayMs = 200 + rng.bounded(2500);  // may land in start-up
            QProcess p;
            p.start(TRAINLAB_CLI_PATH,
                    {"run", kTiny, "--set", "max_steps=10000000", "--threads", "1", "--out", root});
            QVERIFY(p.waitForStarted());
            if (attempt >= 4) {
                // A slow start (a loaded or instrumented build) kept the first kills in
                // start-up: from here on the random delay counts from the run folder's creation.
                QTRY_VERIFY_WITH_TIMEOUT(!listRuns(root.toStdString()).empty(), 60000);
            }
            QTest::qWait(delayMs);
            ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
            QVERIFY(p.waitForFinished(10000));
            const auto runs = listRuns(root.toStdString());
            if (runs.empty()) {
                qInfo("kill %d at %d ms: before the run folder existed", attempt, delayMs);
                continue;
            }
            QCOMPARE(runs.size(), size_t(1));
            RunDirectory dir(runs.front().path);
            QCOMPARE(runs.front().status.state, RunState::Interrupted);
            QCOMPARE(dir.readStatus().state, RunState::Interrupted);
            if (!QFileInfo::exists(QString::fromStdString(dir.seriesPath("loss_m1").string()))) {
                qInfo("kill %d at %d ms: before the first metric file existed", attempt, delayMs);
                continue;
            }
            const Series loss = readSeriesCsv(dir.seriesPath("loss_m1"));
            qInfo("kill %d at %d ms: %zu steps recorded", attempt, delayMs, loss.x.size());
            verifyPrefix(loss, "loss_m1");
            // Every recorded value is the one the uninterrupted run computed.
            for (size_t i = 0; i < std::min(loss.x.size(), refLoss.x.size()); ++i)
                QCOMPARE(loss.y[i], refLoss.y[i]);
            if (loss.x.empty()) continue;
            ++midRun;
            // trainlab opens it, shows it as interrupted, and draws every recorded point.
            MainWindow w;
            w.setQuiet(true);
            w.setRunsRoot(root);
            const QString path = QString::fromStdString(dir.path().string());
            w.openRun(path);
            QCOMPARE(w.currentRunDir(), path);
            QVERIFY2(logText(w).contains("(interrupted)"), qPrintable(logText(w)));
            QCOMPARE(w.view()->panelFor("loss")->pointCount("loss_m1"), loss.x.size());
        }
        QVERIFY2(midRun >= 3, "fewer than three kills landed mid-run");
    }
};

QTEST_MAIN(TstFaults)
#include "tst_faults.moc"
