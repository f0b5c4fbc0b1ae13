// The Run, Pause/Resume and Stop actions of the main window (menu, toolbar, shortcuts) and
// which of them a run phase allows.
#pragma once

#include <QObject>

class QAction;
class QMenu;
class QToolBar;

namespace trainlab {

enum class RunPhase;

class RunControlActions : public QObject {
    Q_OBJECT
  public:
    /// Creates the actions (children of this object) in `menu`; application-wide shortcuts
    /// Ctrl+R, Space and Esc.
    RunControlActions(QMenu* menu, QObject* parent);
    void addTo(QToolBar* bar) const;
    /// Enables what `phase` allows and names Pause "Resume" while paused.
    void showPhase(RunPhase phase);

  signals:
    void runTriggered();
    void pauseTriggered();
    void stopTriggered();

  private:
    QAction* run_ = nullptr;
    QAction* pause_ = nullptr;
    QAction* stop_ = nullptr;
};

/// True while a run is shown as in progress (starting, running, paused or stopping).
bool runPhaseActive(RunPhase p);

}  // namespace trainlab
