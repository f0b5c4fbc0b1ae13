// Issue 7: every action in every run state, driven through the main window.
//
// A fresh window is brought into a state (idle, running, paused, stopping, finished, failed,
// cancelled), one action is applied (start, pause/resume, stop, stop and start again at once,
// switch presets, export, open a recorded run, close), and the suite checks what the window
// shows (phase, the Run/Pause/Stop/Export actions, the status line), what the run records on
// disk, that nothing hangs (every wait is bounded) and that no thread is left behind.
#include <QAction>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QStatusBar>
#include <QThreadPool>
#include <QtTest>
#include <memory>

#include "config_editor.h"
#include "run_directory.h"
#include "experiment_view.h"
#include "main_window.h"
#include "plot_panel.h"
#include "preset.h"
#include "test_support.h"
#include "test_timing.h"
#include "csv.h"

using namespace trainlab;

namespace {

constexpr int kStartMs = 30000;  ///< a tiny run reaching a state (2 shared cores)
constexpr int kStopMs = 5000;    ///< a stop taking effect
constexpr int kFinishSteps = 40;
constexpr int kForever = 10000000;
const char* const kRunPreset = "1-1-sinc";
const char* const kOtherPreset = "2-1-weight-pca";  // another kind: another settings form

enum class State { Idle, Running, Paused, Stopping, Finished, Failed, Cancelled };
enum class Action { Start, TogglePause, Stop, StopThenStart, SelectPreset, Export, OpenRun, Close };

const char* stateName(State s) {
    switch (s) {
        case State::Idle:
            return "idle";
        case State::Running:
            return "running";
        case State::Paused:
            return "paused";
        case State::Stopping:
            return "stopping";
        case State::Finished:
            return "finished";
        case State::Failed:
            return "failed";
        case State::Cancelled:
            return "cancelled";
    }
    return "?";
}

const char* actionName(Action a) {
    switch (a) {
        case Action::Start:
            return "start";
        case Action::TogglePause:
            return "togglePause";
        case Action::Stop:
            return "stop";
        case Action::StopThenStart:
            return "stopThenStart";
        case Action::SelectPreset:
            return "selectPreset";
        case Action::Export:
            return "export";
        case Action::OpenRun:
            return "openRun";
        case Action::Close:
            return "close";
    }
    return "?";
}

/// The phase a state shows.
RunPhase phaseOf(State s) {
    switch (s) {
        case State::Idle:
            return RunPhase::Idle;
        case State::Running:
            return RunPhase::Running;
        case State::Paused:
            return RunPhase::Paused;
        case State::Stopping:
            return RunPhase::Stopping;
        case State::Finished:
            return RunPhase::Finished;
        case State::Failed:
            return RunPhase::Failed;
        case State::Cancelled:
            return RunPhase::Cancelled;
    }
    return RunPhase::Idle;
}

bool isActive(RunPhase p) {
    return p == RunPhase::Starting || p == RunPhase::Running || p == RunPhase::Paused ||
           p == RunPhase::Stopping;
}

/// What a run that ended in `p` records on disk.
RunState recordedState(RunPhase p) {
    switch (p) {
        case RunPhase::Finished:
            return RunState::Finished;
        case RunPhase::Failed:
            return RunState::Failed;
        case RunPhase::Cancelled:
            return RunState::Cancelled;
        default:
            return RunState::Running;
    }
}

/// The process's threads by name (/proc/self/task/*/comm).
QMap<QString, int> threadsByName() {
    QMap<QString, int> names;
    for (const QString& t : QDir("/proc/self/task").entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile f("/proc/self/task/" + t + "/comm");
        if (f.open(QIODevice::ReadOnly)) ++names[QString::fromUtf8(f.readAll()).trimmed()];
    }
    return names;
}

int threadCount() {
    return QDir("/proc/self/task").entryList(QDir::Dirs | QDir::NoDotAndDotDot).size();
}

/// Qt's thread-pool workers (plot export uses them): at most the pool's maximum, and the pool
/// ends them after 30 s idle, so their number may rise to that bound or fall at any time.
int pooledThreadCount() {
    return threadsByName().value("Thread (pooled)");
}

/// Every other thread: the GUI, the test watchdog, the engine's worker, training threads.
int ownThreadCount() {
    return threadCount() - pooledThreadCount();
}

/// The threads' names, for the record ("name×count").
QString threadNames() {
    const QMap<QString, int> names = threadsByName();
    QStringList out;
    for (auto it = names.cbegin(); it != names.cend(); ++it)
        out << (it.value() > 1 ? QString("%1×%2").arg(it.key()).arg(it.value()) : it.key());
    return out.join(", ");
}

int runCount(const QString& root) {
    return QDir(root).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size();
}

RunState diskState(const QString& runDir) {
    return RunDirectory(runDir.toStdString()).readStatus().state;
}

/// The tiny sinc fit of tests/data, through the same path a user's preset file takes.
void useTinySettings(MainWindow& w, int maxSteps) {
    testing::showSettings(w, testing::tinyConfig(maxSteps), kRunPreset);
}

/// SGD with lr 10 on two_cosh diverges within a few steps.
void useDivergingSettings(MainWindow& w) {
    testing::showSettings(w, testing::divergingConfig(), kRunPreset);
}

/// The window's Run/Pause/Stop/Export actions, found by their shortcut and text.
struct Actions {
    QAction* run = nullptr;
    QAction* pause = nullptr;
    QAction* stop = nullptr;
    QAction* exportRun = nullptr;
};

Actions actionsOf(MainWindow& w) {
    Actions a;
    for (QAction* act : w.findChildren<QAction*>()) {
        const QString text = act->text().remove('&');
        const QKeySequence key = act->shortcut();
        if (key == QKeySequence("Ctrl+R") && text == "Run") a.run = act;
        if (key == QKeySequence(Qt::Key_Space) && (text == "Pause" || text == "Resume"))
            a.pause = act;
        if (key == QKeySequence(Qt::Key_Escape) && text == "Stop") a.stop = act;
        if (key == QKeySequence("Ctrl+E") && text.startsWith("Export run")) a.exportRun = act;
    }
    return a;
}

/// The status line's phase label (the first label of the status bar; the ETA comes after).
QString statusText(MainWindow& w) {
    const auto labels = w.statusBar()->findChildren<QLabel*>();
    return labels.isEmpty() ? QString() : labels.front()->text();
}

QString logText(MainWindow& w) {
    const auto logs = w.findChildren<QPlainTextEdit*>();
    return logs.isEmpty() ? QString() : logs.front()->toPlainText();
}

size_t lossPoints(MainWindow& w) {
    if (!w.view()) return 0;
    PlotPanel* loss = w.view()->panelFor("loss");
    return loss ? loss->pointCount("loss_m1") : 0;
}

/// What the user sees in phase `p`: the actions' enabled state, the Pause/Resume text and the
/// status line. QVERIFY-style: returns early on the first mismatch.
void checkShown(MainWindow& w, RunPhase p) {
    QCOMPARE(w.phase(), p);
    const Actions a = actionsOf(w);
    QVERIFY(a.run && a.pause && a.stop && a.exportRun);
    const bool active = isActive(p);
    QCOMPARE(a.run->isEnabled(), !active);
    QCOMPARE(a.pause->isEnabled(), p == RunPhase::Running || p == RunPhase::Paused);
    QCOMPARE(a.pause->text(), p == RunPhase::Paused ? QString("Resume") : QString("Pause"));
    QCOMPARE(a.stop->isEnabled(),
             p == RunPhase::Running || p == RunPhase::Paused || p == RunPhase::Starting);
    QCOMPARE(a.exportRun->isEnabled(), w.view() != nullptr);
    const QString status = statusText(w);
    QVERIFY2(status.startsWith(runPhaseName(p)), qPrintable(status));
    if (!w.currentRunDir().isEmpty())
        QVERIFY2(status.contains(w.currentRunDir()), qPrintable(status));
}

/// Rows the worker has written to the run's loss file (what it has trained, independent of
/// how often the window draws: drains are paced between 40 and 250 ms).
qint64 recordedBytes(MainWindow& w) {
    if (w.currentRunDir().isEmpty()) return 0;
    return QFileInfo(w.currentRunDir() + "/metrics/loss_m1.csv").size();
}

/// A paused run takes no step: once the step in flight (if any) has been recorded, the loss
/// file stays as it is, and the panel shows every recorded point.
void checkNotAdvancing(MainWindow& w) {
    // Two samples 100 ms apart agree (rows are flushed after every step); bounded.
    QElapsedTimer t;
    t.start();
    qint64 last = recordedBytes(w);
    for (;;) {
        QTest::qWait(100);
        const qint64 n = recordedBytes(w);
        if (n == last) break;
        last = n;
        QVERIFY2(t.elapsed() < kStopMs, "the paused run goes on");
    }
    QTest::qWait(400);
    QCOMPARE(recordedBytes(w), last);
    const size_t rows =
        readSeriesCsv((w.currentRunDir() + "/metrics/loss_m1.csv").toStdString()).x.size();
    QTRY_COMPARE_WITH_TIMEOUT(lossPoints(w), rows, kStopMs);
}

/// Brings the fresh window `w` (runs under `root`) into state `s`.
void bringTo(MainWindow& w, const QString& root, State s) {
    w.setQuiet(true);
    w.setRunsRoot(root);
    w.show();
    switch (s) {
        case State::Idle:
            useTinySettings(w, kFinishSteps);
            break;
        case State::Running:
        case State::Paused:
        case State::Stopping:
        case State::Cancelled:
            useTinySettings(w, kForever);
            w.startRun();
            QTRY_VERIFY_WITH_TIMEOUT(w.phase() == RunPhase::Running && lossPoints(w) > 0, kStartMs);
            if (s == State::Paused) w.togglePause();
            if (s == State::Stopping) {
                // Stop requested and the worker has already ended the run, but its outcome is
                // not delivered yet (no events processed). A double-click on a preset (which
                // starts a run) or on a recorded run (which opens it) can land just here.
                w.stopRun();
                QVERIFY(w.controller()->stopAndWait(kStopMs));
            }
            if (s == State::Cancelled) {
                w.stopRun();
                QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, kStopMs);
            }
            break;
        case State::Finished:
            useTinySettings(w, kFinishSteps);
            w.startRun();
            QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Finished, kStartMs);
            break;
        case State::Failed:
            useDivergingSettings(w);
            w.startRun();
            QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Failed, kStartMs);
            break;
    }
    checkShown(w, phaseOf(s));
}

/// Stops whatever still runs and waits until the window shows its end.
void stopAndSettle(MainWindow& w) {
    if (w.controller()->isBusy() || isActive(w.phase())) {
        w.stopRun();
        QTRY_VERIFY_WITH_TIMEOUT(!isActive(w.phase()) && !w.controller()->isBusy(), kStopMs);
    }
}

}  // namespace

class TstGuiStates : public QObject {
    Q_OBJECT
    QTemporaryDir suiteTmp_;
    QString recordedRun_;  ///< a finished run, reopened by openRun
    int threadsBefore_ = 0;
    int threadsBaseline_ = 0;  ///< ownThreadCount() after the warm-up
    int threadsMaxSeen_ = 0;   ///< the most threads (all of them) seen after a test

    void checkNoThreadLeft() {
        // A joined thread can linger in /proc for a moment: wait (bounded) for it to go.
        QTRY_VERIFY2_WITH_TIMEOUT(ownThreadCount() <= threadsBaseline_,
                                  qPrintable(QString("%1 threads (%2), baseline %3")
                                                 .arg(ownThreadCount())
                                                 .arg(threadNames())
                                                 .arg(threadsBaseline_)),
                                  3000);
        QVERIFY2(
            pooledThreadCount() <= std::max(1, QThreadPool::globalInstance()->maxThreadCount()),
            qPrintable(threadNames()));
        threadsMaxSeen_ = std::max(threadsMaxSeen_, threadCount());
    }

  private slots:
    void initTestCase() {
        QCoreApplication::setOrganizationName("trainlab-tests");
        QStandardPaths::setTestModeEnabled(true);
        testing::quietOffscreenWarnings();  // one warning per dock shown, nothing else
        QVERIFY(suiteTmp_.isValid());
        threadsBefore_ = threadCount();
        const QString namesBefore = threadNames();
        // Warm-up: one of each kind of run, an export and a reopen, so that the thread pools
        // created once per process (OpenMP, oneDNN, Qt's) exist before the baseline is taken.
        {
            MainWindow w;
            w.setQuiet(true);
            w.setRunsRoot(suiteTmp_.path() + "/runs");
            w.show();
            useTinySettings(w, kFinishSteps);
            w.startRun();
            QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Finished, kStartMs);
            recordedRun_ = w.currentRunDir();
            QVERIFY(w.exportRunTo(suiteTmp_.path() + "/warmup-export"));
            useTinySettings(w, kForever);
            w.startRun();
            QTRY_VERIFY_WITH_TIMEOUT(w.phase() == RunPhase::Running && lossPoints(w) > 0, kStartMs);
            w.togglePause();
            w.stopRun();
            QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, kStopMs);
            useDivergingSettings(w);
            w.startRun();
            QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Failed, kStartMs);
            w.openRun(recordedRun_);
            QCOMPARE(w.currentRunDir(), recordedRun_);
            QVERIFY(w.close());
        }
        QCoreApplication::processEvents();
        QCOMPARE(diskState(recordedRun_), RunState::Finished);
        QTest::qWait(100);
        threadsBaseline_ = ownThreadCount();
        threadsMaxSeen_ = threadCount();
        qInfo(
            "threads: %d before any window (%s); %d after the warm-up window was destroyed "
            "(%s): baseline %d besides Qt's pool",
            threadsBefore_, qPrintable(namesBefore), threadCount(), qPrintable(threadNames()),
            threadsBaseline_);
    }

    void cleanupTestCase() {
        qInfo(
            "threads: baseline %d besides Qt's pool; at most %d in all after any test's "
            "window was destroyed; %d at the end (%s)",
            threadsBaseline_, threadsMaxSeen_, threadCount(), qPrintable(threadNames()));
    }

    // Every test's windows are destroyed by its end: no thread may be left behind.
    void cleanup() { checkNoThreadLeft(); }

    void everyActionInEveryState_data() {
        QTest::addColumn<int>("state");
        QTest::addColumn<int>("action");
        QTest::addColumn<int>("settled");  // RunPhase once the action has taken effect
        QTest::addColumn<bool>("newRun");  // the action starts a new run
        using S = State;
        using A = Action;
        using P = RunPhase;
        struct Row {
            S state;
            A action;
            P settled;
            bool newRun;
        };
        const Row rows[] = {
            {S::Idle, A::Start, P::Finished, true},
            {S::Idle, A::TogglePause, P::Idle, false},
            {S::Idle, A::Stop, P::Idle, false},
            {S::Idle, A::StopThenStart, P::Finished, true},
            {S::Idle, A::SelectPreset, P::Idle, false},
            {S::Idle, A::Export, P::Idle, false},
            {S::Idle, A::OpenRun, P::Idle, false},
            {S::Idle, A::Close, P::Idle, false},

            {S::Running, A::Start, P::Running, false},
            {S::Running, A::TogglePause, P::Paused, false},
            {S::Running, A::Stop, P::Cancelled, false},
            {S::Running, A::StopThenStart, P::Running, true},
            {S::Running, A::SelectPreset, P::Running, false},
            {S::Running, A::Export, P::Running, false},
            {S::Running, A::OpenRun, P::Running, false},
            {S::Running, A::Close, P::Cancelled, false},

            {S::Paused, A::Start, P::Paused, false},
            {S::Paused, A::TogglePause, P::Running, false},
            {S::Paused, A::Stop, P::Cancelled, false},
            {S::Paused, A::StopThenStart, P::Running, true},
            {S::Paused, A::SelectPreset, P::Paused, false},
            {S::Paused, A::Export, P::Paused, false},
            {S::Paused, A::OpenRun, P::Paused, false},
            {S::Paused, A::Close, P::Cancelled, false},

            {S::Stopping, A::Start, P::Cancelled, false},
            {S::Stopping, A::TogglePause, P::Cancelled, false},
            {S::Stopping, A::Stop, P::Cancelled, false},
            {S::Stopping, A::StopThenStart, P::Running, true},
            {S::Stopping, A::SelectPreset, P::Cancelled, false},
            {S::Stopping, A::Export, P::Cancelled, false},
            {S::Stopping, A::OpenRun, P::Cancelled, false},
            {S::Stopping, A::Close, P::Cancelled, false},

            {S::Finished, A::Start, P::Finished, true},
            {S::Finished, A::TogglePause, P::Finished, false},
            {S::Finished, A::Stop, P::Finished, false},
            {S::Finished, A::StopThenStart, P::Finished, true},
            {S::Finished, A::SelectPreset, P::Finished, false},
            {S::Finished, A::Export, P::Finished, false},
            {S::Finished, A::OpenRun, P::Idle, false},
            {S::Finished, A::Close, P::Finished, false},

            {S::Failed, A::Start, P::Failed, true},
            {S::Failed, A::TogglePause, P::Failed, false},
            {S::Failed, A::Stop, P::Failed, false},
            {S::Failed, A::StopThenStart, P::Failed, true},
            {S::Failed, A::SelectPreset, P::Failed, false},
            {S::Failed, A::Export, P::Failed, false},
            {S::Failed, A::OpenRun, P::Idle, false},
            {S::Failed, A::Close, P::Failed, false},

            {S::Cancelled, A::Start, P::Running, true},
            {S::Cancelled, A::TogglePause, P::Cancelled, false},
            {S::Cancelled, A::Stop, P::Cancelled, false},
            {S::Cancelled, A::StopThenStart, P::Running, true},
            {S::Cancelled, A::SelectPreset, P::Cancelled, false},
            {S::Cancelled, A::Export, P::Cancelled, false},
            {S::Cancelled, A::OpenRun, P::Idle, false},
            {S::Cancelled, A::Close, P::Cancelled, false},
        };
        for (const Row& r : rows)
            QTest::addRow("%s/%s", stateName(r.state), actionName(r.action))
                << int(r.state) << int(r.action) << int(r.settled) << r.newRun;
    }

    void everyActionInEveryState() {
        QFETCH(int, state);
        QFETCH(int, action);
        QFETCH(int, settled);
        QFETCH(bool, newRun);
        const State s = State(state);
        const Action a = Action(action);
        const RunPhase expected = RunPhase(settled);
        const RunPhase before = phaseOf(s);
        const bool wasActive = isActive(before);

        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString root = tmp.path() + "/runs";
        auto w = std::make_unique<MainWindow>();
        bringTo(*w, root, s);
        if (QTest::currentTestFailed()) return;
        const QString stateRun = w->currentRunDir();  // empty when idle
        QCOMPARE(stateRun.isEmpty(), s == State::Idle);
        const int runsBefore = runCount(root);
        size_t pointsBefore = lossPoints(*w);
        const nlohmann::json stateConfig = stateRun.isEmpty()
                                               ? nlohmann::json()
                                               : RunDirectory(stateRun.toStdString()).readConfig();

        switch (a) {
            case Action::Start:
                w->startRun();
                if (wasActive) checkShown(*w, before);  // ignored while a run is in progress
                break;
            case Action::TogglePause:
                w->togglePause();
                if (s == State::Running)
                    checkShown(*w, RunPhase::Paused);
                else if (s == State::Paused)
                    checkShown(*w, RunPhase::Running);
                else
                    checkShown(*w, before);
                break;
            case Action::Stop:
                w->stopRun();
                if (wasActive) {
                    checkShown(*w, RunPhase::Stopping);
                    // While stopping, nothing else takes: not pause, not a second stop, not
                    // a start.
                    w->togglePause();
                    w->stopRun();
                    w->startRun();
                    checkShown(*w, RunPhase::Stopping);
                } else {
                    checkShown(*w, before);
                }
                break;
            case Action::StopThenStart:
                w->stopRun();
                w->startRun();  // at once: ignored while the stop is in progress
                if (wasActive) {
                    checkShown(*w, RunPhase::Stopping);
                    QTRY_COMPARE_WITH_TIMEOUT(w->phase(), RunPhase::Cancelled, kStopMs);
                    QCOMPARE(runCount(root), runsBefore);  // nothing started while stopping
                    QCOMPARE(diskState(stateRun), RunState::Cancelled);
                    w->startRun();  // at once, as soon as the window shows the run ended
                }
                break;
            case Action::SelectPreset: {
                QVERIFY(w->selectPreset(kOtherPreset));
                checkShown(*w, before);
                QCOMPARE(w->currentRunDir(), stateRun);
                // The settings shown are the new preset's.
                const Preset other = resolvePreset(kOtherPreset);
                QCOMPARE(w->configEditor()->config(), other.config);
                break;
            }
            case Action::Export: {
                const QString folder = tmp.path() + "/export";
                const bool ok = w->exportRunTo(folder);
                QCOMPARE(ok, s != State::Idle);
                checkShown(*w, before);
                QCOMPARE(w->currentRunDir(), stateRun);
                if (ok) {
                    for (const char* name : {"loss.png", "loss.svg", "loss.csv", "fit.svg",
                                             "config.json", "status.json"})
                        QVERIFY2(QFileInfo(folder + "/" + name).size() > 0, name);
                }
                if (s == State::Running) {
                    // The run goes on undisturbed.
                    QTRY_VERIFY_WITH_TIMEOUT(lossPoints(*w) > pointsBefore + 10, kStartMs);
                    checkShown(*w, RunPhase::Running);
                }
                break;
            }
            case Action::OpenRun:
                w->openRun(recordedRun_);
                if (wasActive) {
                    // Refused while a run is in progress: the run and its panels stay.
                    checkShown(*w, before);
                    QCOMPARE(w->currentRunDir(), stateRun);
                    QVERIFY(logText(*w).contains("Run in progress"));
                } else {
                    checkShown(*w, RunPhase::Idle);
                    QCOMPARE(w->currentRunDir(), recordedRun_);
                    QCOMPARE(lossPoints(*w), size_t(kFinishSteps));
                }
                break;
            case Action::Close: {
                QElapsedTimer t;
                t.start();
                QVERIFY(w->close());
                QVERIFY2(t.elapsed() < timeLimitMs(2000), qPrintable(QString::number(t.elapsed())));
                QVERIFY(!w->isVisible());
                QCoreApplication::processEvents();
                w.reset();
                QCOMPARE(runCount(root), runsBefore);
                if (!stateRun.isEmpty()) QCOMPARE(diskState(stateRun), recordedState(expected));
                return;
            }
        }
        if (QTest::currentTestFailed()) return;

        // The action takes effect.
        if (newRun) {
            QTRY_VERIFY_WITH_TIMEOUT(
                !w->currentRunDir().isEmpty() && w->currentRunDir() != stateRun, kStartMs);
            QTRY_COMPARE_WITH_TIMEOUT(w->phase(), expected, kStartMs);
            if (expected == RunPhase::Running)
                QTRY_VERIFY_WITH_TIMEOUT(lossPoints(*w) > 0, kStartMs);
        } else {
            QTRY_COMPARE_WITH_TIMEOUT(w->phase(), expected, kStopMs);
        }
        checkShown(*w, expected);
        QCOMPARE(runCount(root), runsBefore + (newRun ? 1 : 0));
        const QString newRunDir = newRun ? w->currentRunDir() : QString();
        if (!newRun && a != Action::OpenRun) QCOMPARE(w->currentRunDir(), stateRun);
        if (a == Action::OpenRun && wasActive) QCOMPARE(w->currentRunDir(), stateRun);
        if (a == Action::OpenRun && !wasActive) QCOMPARE(w->currentRunDir(), recordedRun_);

        if (expected == RunPhase::Paused) checkNotAdvancing(*w);
        if (expected == RunPhase::Running) {
            pointsBefore = lossPoints(*w);
            QTRY_VERIFY_WITH_TIMEOUT(lossPoints(*w) > pointsBefore, kStartMs);
        }

        // Whatever still runs is stopped; every run ends recorded as what the window showed.
        const bool endsByStop = isActive(w->phase());
        stopAndSettle(*w);
        if (QTest::currentTestFailed()) return;
        if (endsByStop) checkShown(*w, RunPhase::Cancelled);
        if (!stateRun.isEmpty()) {
            const RunState want = wasActive ? RunState::Cancelled : recordedState(before);
            QCOMPARE(diskState(stateRun), want);
        }
        if (newRun) QCOMPARE(diskState(newRunDir), recordedState(w->phase()));
        if (a == Action::SelectPreset && !stateRun.isEmpty()) {
            // The run kept its own preset and settings.
            const auto config = RunDirectory(stateRun.toStdString()).readConfig();
            QCOMPARE(QString::fromStdString(config.at("preset_id").get<std::string>()),
                     QString(kRunPreset));
            QCOMPARE(config, stateConfig);
        }
        w.reset();
    }

    void aFailureNamesTheStepAndTheLossAndLeavesTheWindowUsable() {
        QTemporaryDir tmp;
        MainWindow w;
        bringTo(w, tmp.path(), State::Failed);
        if (QTest::currentTestFailed()) return;
        const QString failedRun = w.currentRunDir();
        const RunStatus status = RunDirectory(failedRun.toStdString()).readStatus();
        QCOMPARE(status.state, RunState::Failed);
        // The recorded message names the step and the loss value...
        static const QRegularExpression re(
            QStringLiteral("at step (\\d+): loss = ([-+0-9.eE]+|inf|-inf|nan|-nan)"));
        const QString message = QString::fromStdString(status.message);
        const auto m = re.match(message);
        QVERIFY2(m.hasMatch(), qPrintable(message));
        QVERIFY(m.captured(1).toLongLong() >= 1);
        qInfo("failure shown: %s", qPrintable(message));
        // ...and so does what the window shows: the log and the card.
        QVERIFY2(logText(w).contains(m.captured(0)), qPrintable(logText(w)));
        const auto* card = w.findChild<QLabel*>("ExpectedCard");
        QVERIFY(card);
        QVERIFY2(card->text().contains("step " + m.captured(1)), qPrintable(card->text()));
        QVERIFY2(card->text().contains(m.captured(2)), qPrintable(card->text()));
        // The window stays usable: good settings finish, and a long run can be stopped.
        useTinySettings(w, kFinishSteps);
        w.startRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Finished, kStartMs);
        checkShown(w, RunPhase::Finished);
        QCOMPARE(diskState(w.currentRunDir()), RunState::Finished);
        useTinySettings(w, kForever);
        w.startRun();
        QTRY_VERIFY_WITH_TIMEOUT(w.phase() == RunPhase::Running && lossPoints(w) > 0, kStartMs);
        w.stopRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, kStopMs);
        QCOMPARE(diskState(w.currentRunDir()), RunState::Cancelled);
        QCOMPARE(diskState(failedRun), RunState::Failed);
        QCOMPARE(runCount(tmp.path()), 3);
    }

    void aPausedRunResumesWhereItStopped() {
        QTemporaryDir tmp;
        MainWindow w;
        bringTo(w, tmp.path(), State::Paused);
        if (QTest::currentTestFailed()) return;
        checkNotAdvancing(w);
        if (QTest::currentTestFailed()) return;
        const size_t n = lossPoints(w);
        w.togglePause();
        checkShown(w, RunPhase::Running);
        QTRY_VERIFY_WITH_TIMEOUT(lossPoints(w) > n + 10, kStartMs);
        // Pause again, then stop: it ends cancelled instead of waiting in the pause.
        w.togglePause();
        checkShown(w, RunPhase::Paused);
        const QString run = w.currentRunDir();
        w.stopRun();
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, kStopMs);
        QCOMPARE(diskState(run), RunState::Cancelled);
        // The steps recorded on disk go on without a gap across the pauses.
        const Series loss = readSeriesCsv(RunDirectory(run.toStdString()).seriesPath("loss_m1"));
        QVERIFY(loss.x.size() > n);
        for (size_t i = 0; i < loss.x.size(); ++i) QCOMPARE(loss.x[i], double(i + 1));
    }

    void noThreadIsLeftOverManyCycles() {
        // Window, run, pause, stop, run again, close mid-run: the thread count after each
        // cycle must not grow beyond the baseline taken after the warm-up.
        constexpr int kCycles = 6;
        QTemporaryDir tmp;
        QVector<int> counts;
        for (int cycle = 0; cycle < kCycles; ++cycle) {
            {
                MainWindow w;
                bringTo(w, tmp.path(), State::Running);
                if (QTest::currentTestFailed()) return;
                w.togglePause();
                w.stopRun();
                QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, kStopMs);
                w.startRun();
                QTRY_VERIFY_WITH_TIMEOUT(w.phase() == RunPhase::Running && lossPoints(w) > 0,
                                         kStartMs);
                QElapsedTimer t;
                t.start();
                QVERIFY(w.close());
                QVERIFY(t.elapsed() < timeLimitMs(2000));
            }
            checkNoThreadLeft();
            if (QTest::currentTestFailed()) return;
            counts << ownThreadCount();
        }
        QStringList list;
        for (int c : counts) list << QString::number(c);
        qInfo("threads besides Qt's pool after each of %lld cycles: %s (baseline %d)",
              static_cast<long long>(counts.size()), qPrintable(list.join(' ')), threadsBaseline_);
        QCOMPARE(runCount(tmp.path()), 2 * kCycles);
    }
};

QTEST_MAIN(TstGuiStates)
#include "tst_gui_states.moc"
