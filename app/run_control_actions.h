// The Run, Pause/Resume and Stop actions of the main window (menu, toolbar, shortcuts), which
// of them a run phase allows, and the keys' safety: Esc belongs to the text field that has
// focus, and stopping a long run asks first.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>

class QAction;
class QMenu;
class QMessageBox;
class QToolBar;
class QWidget;

namespace trainlab {

enum class RunPhase;

/// Keys (application-wide, so that they work in floating panels too):
/// - Ctrl+R runs.
/// - Pause/Resume: Space, except while a text field (line edit, spin box, editable combo box)
///   has focus, where Space is typed as usual; Ctrl+Space and Pause/Break work everywhere and
///   are never typed into a field.
/// - Stop: Esc, only when no text field has focus (there Esc is the field's: the preset filter
///   clears) and only in the main window or its floating panels (not in the Datasets window).
/// Stop (key, menu or button) asks for confirmation when the run has gone on for more than
/// kConfirmStopAfterMs, not counting pauses, with a "Don't ask again" box; the choice is kept
/// in QSettings (kConfirmStopKey) and shown as Run → "Ask before stopping a long run". A run
/// that ends while the question is open takes the question away.
class RunControlActions : public QObject {
    Q_OBJECT
  public:
    /// The one place for the threshold: runs longer than this ask before the user stops them.
    static constexpr qint64 kConfirmStopAfterMs = 30000;
    /// QSettings key: false once the user chose "Don't ask again" (unset: ask).
    static constexpr const char* kConfirmStopKey = "run/confirmStopLongRun";

    /// Creates the actions (children of this object) in `menu`; `window` is the main window
    /// (the confirmation's parent, and where Esc stops).
    RunControlActions(QMenu* menu, QWidget* window);
    void addTo(QToolBar* bar) const;
    /// Enables what `phase` allows, names Pause "Resume" (with the play icon) while paused,
    /// and keeps the run's clock.
    void showPhase(RunPhase phase);
    /// How long the current (or last) run has been going, pauses not counted; 0 before any.
    qint64 runningMs() const;
    /// No confirmation dialog (the window's quiet mode: tests, scripted use).
    void setQuiet(bool quiet) { quiet_ = quiet; }
    /// For tests only: the run time after which Stop asks (default kConfirmStopAfterMs), so
    /// that a test need not wait 30 s.
    void setConfirmStopAfterMs(qint64 ms) { confirmAfterMs_ = ms; }
    QAction* runAction() const { return run_; }
    QAction* pauseAction() const { return pause_; }
    QAction* stopAction() const { return stop_; }

  signals:
    void runTriggered();
    void pauseTriggered();
    /// Stop was asked for and, for a long run, confirmed.
    void stopTriggered();

  protected:
    /// On the application: Esc's ShortcutOverride is accepted (Stop does not fire) while it
    /// belongs to a text field, an open popup or another window.
    bool eventFilter(QObject* watched, QEvent* event) override;

  private:
    void onStop();
    bool confirmStop();  ///< true: stop
    bool escapeBelongsElsewhere() const;

    QWidget* window_ = nullptr;
    QAction* run_ = nullptr;
    QAction* pause_ = nullptr;
    QAction* stop_ = nullptr;
    QAction* askBeforeStop_ = nullptr;
    QPointer<QMessageBox> question_;  ///< the open "Stop the run?", if any
    QElapsedTimer runClock_;    ///< since the run started
    QElapsedTimer pauseClock_;  ///< since the pause began; invalid while not paused
    qint64 pausedMs_ = 0;       ///< the ended pauses
    qint64 confirmAfterMs_ = kConfirmStopAfterMs;
    bool quiet_ = false;
};

/// True while a run is shown as in progress (starting, running, paused or stopping).
bool runPhaseActive(RunPhase p);

}  // namespace trainlab
