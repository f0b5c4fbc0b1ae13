// Issue 16 §1: keys never lose work. Esc belongs to the text field that has focus (the preset
// filter clears, the run goes on) and stops only elsewhere; stopping a long run asks first
// (with "Don't ask again"); pause works while typing in a field without typing into it; a
// run's start leaves the focus where it was (never in the filter). Driven through real key
// events on the offscreen platform, as a user would.
#include <QAbstractSpinBox>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QStyle>
#include <QToolBar>
#include <QToolButton>
#include <QTreeWidget>
#include <QtTest>

#include "config_editor.h"
#include "main_window.h"
#include "run_control_actions.h"
#include "test_support.h"

using namespace trainlab;

namespace {

constexpr int kStartMs = 30000;  ///< a tiny run reaching Running (2 shared cores)
constexpr int kStopMs = 5000;    ///< a stop taking effect
constexpr long long kForever = 10000000;

bool isActive(RunPhase p) {
    return p == RunPhase::Starting || p == RunPhase::Running || p == RunPhase::Paused ||
           p == RunPhase::Stopping;
}

QLineEdit* filterOf(MainWindow& w) {
    return w.findChild<QLineEdit*>("presetFilter");
}

QTreeWidget* presetTreeOf(MainWindow& w) {
    return w.findChild<QTreeWidget*>("presetTree");
}

/// A window, shown and active (shortcuts need an active window), its runs under `root`.
void showWindow(MainWindow& w, const QString& root, bool quiet = true) {
    w.setQuiet(quiet);
    w.setRunsRoot(root);
    w.resize(1280, 800);
    w.show();
    w.activateWindow();
}

/// Starts the tiny preset with a run that would last for ever; waits until it trains.
void startLongRun(MainWindow& w) {
    testing::showSettings(w, testing::tinyConfig(kForever));
    w.startRun();
    QTRY_VERIFY_WITH_TIMEOUT(w.phase() == RunPhase::Running && !w.currentRunDir().isEmpty(),
                             kStartMs);
}

void stopAndSettle(MainWindow& w) {
    if (w.controller()->isBusy() || isActive(w.phase())) {
        w.stopRun();
        QTRY_VERIFY_WITH_TIMEOUT(!isActive(w.phase()) && !w.controller()->isBusy(), kStopMs);
    }
}

/// Answers the confirmation before stopping when it appears (within `timeoutMs`): ticks
/// "Don't ask again" when `dontAsk`, then presses `button`. `*seen` counts the dialogs seen.
void answerConfirmation(QMessageBox::StandardButton button, bool dontAsk, int* seen,
                        int timeoutMs = 5000) {
    auto* poll = new QTimer;
    auto* clock = new QElapsedTimer;
    clock->start();
    QObject::connect(poll, &QTimer::timeout, [=] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box || box->objectName() != "confirmStop") {
            if (clock->elapsed() > timeoutMs) {
                poll->deleteLater();
                delete clock;
            }
            return;
        }
        ++*seen;
        if (box->checkBox()) box->checkBox()->setChecked(dontAsk);
        box->button(button)->click();
        poll->deleteLater();
        delete clock;
    });
    poll->start(10);
}

/// The images of two icons at 16 px agree.
bool sameIcon(const QIcon& a, const QIcon& b) {
    return a.pixmap(16, 16).toImage() == b.pixmap(16, 16).toImage();
}

}  // namespace

class TstRunKeys : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;

  private slots:
    void initTestCase() {
        QCoreApplication::setOrganizationName("trainlab-tests");
        QCoreApplication::setApplicationName("tst_run_keys");
        QStandardPaths::setTestModeEnabled(true);
        testing::quietOffscreenWarnings();
        QVERIFY(tmp_.isValid());
        QSettings().clear();  // "Don't ask again" from an earlier run of this suite
    }

    void focusStartsInThePresetListAndStaysThereWhenARunStarts() {
        MainWindow w;
        showWindow(w, tmp_.path());
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QCOMPARE(QApplication::focusWidget(), presetTreeOf(w));
        startLongRun(w);
        QCOMPARE(QApplication::focusWidget(), presetTreeOf(w));
        // Space, with the list focused, pauses and resumes; nothing reaches the filter.
        QTest::keyClick(presetTreeOf(w), Qt::Key_Space);
        QCOMPARE(w.phase(), RunPhase::Paused);
        QTest::keyClick(presetTreeOf(w), Qt::Key_Space);
        QCOMPARE(w.phase(), RunPhase::Running);
        QCOMPARE(filterOf(w)->text(), QString());
        stopAndSettle(w);
    }

    void escInTheFilterClearsItAndTheRunGoesOn() {
        MainWindow w;
        showWindow(w, tmp_.path());
        QVERIFY(QTest::qWaitForWindowActive(&w));
        startLongRun(w);
        QLineEdit* filter = filterOf(w);
        filter->setFocus();
        QTest::keyClicks(filter, "sinc");
        QCOMPARE(filter->text(), QString("sinc"));
        QTest::keyClick(filter, Qt::Key_Escape);
        QCOMPARE(filter->text(), QString());
        QTest::qWait(200);  // a stop would show by now (it takes effect within one step)
        QCOMPARE(w.phase(), RunPhase::Running);
        QVERIFY(w.controller()->isBusy());
        // Esc in the empty filter goes back to the list; the run still goes on.
        QTest::keyClick(filter, Qt::Key_Escape);
        QCOMPARE(QApplication::focusWidget(), presetTreeOf(w));
        QCOMPARE(w.phase(), RunPhase::Running);
        // Esc in a settings field is the field's too.
        auto* lr = w.configEditor()->findChild<QAbstractSpinBox*>("lr");
        QVERIFY(lr);
        lr->setFocus();
        QTest::keyClick(lr, Qt::Key_Escape);
        QTest::qWait(200);
        QCOMPARE(w.phase(), RunPhase::Running);
        // With no text field focused, Esc stops (a short run: without asking).
        presetTreeOf(w)->setFocus();
        QTest::keyClick(presetTreeOf(w), Qt::Key_Escape);
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, kStopMs);
    }

    void thePauseShortcutWorksWhileTypingInTheFilter() {
        MainWindow w;
        showWindow(w, tmp_.path());
        QVERIFY(QTest::qWaitForWindowActive(&w));
        startLongRun(w);
        QAction* pause = w.runControls()->pauseAction();
        auto* bar = w.findChild<QToolBar*>("RunToolBar");
        QVERIFY(bar);
        auto* button = qobject_cast<QToolButton*>(bar->widgetForAction(pause));
        QVERIFY(button);
        QStyle* style = QApplication::style();
        QVERIFY(sameIcon(button->icon(), style->standardIcon(QStyle::SP_MediaPause)));

        QLineEdit* filter = filterOf(w);
        filter->setFocus();
        QTest::keyClicks(filter, "fit");
        QTest::keyClick(filter, Qt::Key_Space, Qt::ControlModifier);
        QCOMPARE(w.phase(), RunPhase::Paused);
        QCOMPARE(filter->text(), QString("fit"));
        QCOMPARE(QApplication::focusWidget(), filter);
        // The toolbar button says what a press does now: Resume, with the play icon.
        QCOMPARE(button->text(), QString("Resume"));
        QVERIFY(sameIcon(button->icon(), style->standardIcon(QStyle::SP_MediaPlay)));
        QTest::keyClick(filter, Qt::Key_Pause);
        QCOMPARE(w.phase(), RunPhase::Running);
        QCOMPARE(filter->text(), QString("fit"));
        QCOMPARE(button->text(), QString("Pause"));
        QVERIFY(sameIcon(button->icon(), style->standardIcon(QStyle::SP_MediaPause)));
        // A plain Space in a text field is the field's: typed, the run goes on.
        QTest::keyClick(filter, Qt::Key_Space);
        QCOMPARE(filter->text(), QString("fit "));
        QCOMPARE(w.phase(), RunPhase::Running);
        stopAndSettle(w);
    }

    void stoppingALongRunAsksFirst() {
        QSettings().remove(RunControlActions::kConfirmStopKey);
        MainWindow w;
        showWindow(w, tmp_.path(), false);  // not quiet: the confirmation is a dialog
        QVERIFY(QTest::qWaitForWindowActive(&w));
        RunControlActions* controls = w.runControls();
        startLongRun(w);
        QTreeWidget* tree = presetTreeOf(w);
        tree->setFocus();

        // Under the threshold (30 s by default): no question; the watcher finds none.
        QCOMPARE(controls->runningMs() < RunControlActions::kConfirmStopAfterMs, true);
        int seen = 0;
        controls->setConfirmStopAfterMs(0);  // every run is "long" from here on
        QTest::qWait(20);
        QVERIFY(controls->runningMs() > 0);

        // Esc asks; "Keep running" keeps it going.
        answerConfirmation(QMessageBox::Cancel, true, &seen);
        QTest::keyClick(tree, Qt::Key_Escape);
        QCOMPARE(seen, 1);
        QTest::qWait(200);
        QCOMPARE(w.phase(), RunPhase::Running);
        QVERIFY(QSettings().value(RunControlActions::kConfirmStopKey, true).toBool());

        // The toolbar's Stop asks too; "Stop the run" with "Don't ask again" stops it and
        // remembers the choice.
        answerConfirmation(QMessageBox::Yes, true, &seen);
        controls->stopAction()->trigger();
        QCOMPARE(seen, 2);
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, kStopMs);
        QCOMPARE(QSettings().value(RunControlActions::kConfirmStopKey, true).toBool(), false);

        // Not asked again: Esc stops the next long run at once. (The offscreen platform does
        // not give the activation back when the dialog closes, as a window manager does.)
        startLongRun(w);
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        tree->setFocus();
        answerConfirmation(QMessageBox::Cancel, false, &seen, 300);  // would keep it running
        QTest::keyClick(tree, Qt::Key_Escape);
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, kStopMs);
        QCOMPARE(seen, 2);
        QTest::qWait(400);  // the watcher's time runs out
        QSettings().remove(RunControlActions::kConfirmStopKey);
    }

    void theQuestionGoesAwayWhenTheRunEnds() {
        QSettings().remove(RunControlActions::kConfirmStopKey);
        MainWindow w;
        showWindow(w, tmp_.path(), false);
        QVERIFY(QTest::qWaitForWindowActive(&w));
        w.runControls()->setConfirmStopAfterMs(0);
        startLongRun(w);
        // While the question is open the run ends otherwise (here stopRun(), as SIGTERM does):
        // the question closes by itself.
        bool closed = false;
        QTimer::singleShot(0, &w, [&] {
            QTRY_VERIFY_WITH_TIMEOUT(QApplication::activeModalWidget(), 5000);
            QPointer<QWidget> box = QApplication::activeModalWidget();
            w.stopRun();
            QTRY_VERIFY_WITH_TIMEOUT(!box || !box->isVisible(), 5000);
            closed = true;
        });
        w.runControls()->stopAction()->trigger();
        QVERIFY(closed);
        QTRY_COMPARE_WITH_TIMEOUT(w.phase(), RunPhase::Cancelled, kStopMs);
    }

        void theRunsClockLeavesPausesOut() {
        MainWindow w;
        showWindow(w, tmp_.path());
        startLongRun(w);
        w.togglePause();
        const qint64 atPause = w.runControls()->runningMs();
        QTest::qWait(300);
        QVERIFY(w.runControls()->runningMs() - atPause < 100);
        w.togglePause();
        QTest::qWait(50);
        QVERIFY(w.runControls()->runningMs() > atPause);
        stopAndSettle(w);
    }

    void theSettingsDockShowsChangedFields() {
        // Two fields changed in the window's Settings dock: marked, each with its reset; the
        // dock's picture goes to shots/ in the test folder (an artifact, not committed).
        MainWindow w;
        showWindow(w, tmp_.path());
        QVERIFY(w.selectPreset("1-1-sinc"));
        ConfigEditor* editor = w.configEditor();
        auto* activation = editor->findChild<QComboBox*>("activation");
        auto* lr = editor->findChild<QDoubleSpinBox*>("lr");
        QVERIFY(activation && lr);
        activation->setCurrentText("tanh");
        lr->setValue(0.05);
        QCOMPARE(editor->changedKeys(), QStringList({"activation", "lr"}));
        QVERIFY(editor->findChild<QToolButton*>("reset_lr")->isVisibleTo(editor));
        QVERIFY(!editor->findChild<QToolButton*>("reset_optimizer")->isVisibleTo(editor));
        auto* dock = w.findChild<QDockWidget*>("SettingsDock");
        QVERIFY(dock);
        QTest::qWait(50);
        // At the window's first layout the form fits the dock's width: no sideways scrolling.
        auto* area = editor->findChild<QScrollArea*>();
        QVERIFY(area);
        QVERIFY2(!area->horizontalScrollBar()->isVisible(),
                 qPrintable(QString("the form needs %1 px, the dock gives %2")
                                .arg(area->widget()->minimumSizeHint().width())
                                .arg(area->viewport()->width())));
        area->ensureWidgetVisible(activation);  // the changed fields in the picture
        area->ensureWidgetVisible(lr);
        QVERIFY(QDir().mkpath("shots"));
        QVERIFY(dock->grab().save("shots/settings-dock-changed.png"));
        QVERIFY(QFileInfo("shots/settings-dock-changed.png").size() > 0);
    }
};

QTEST_MAIN(TstRunKeys)
#include "tst_run_keys.moc"
