#include "run_control_actions.h"

#include <QAction>
#include <QApplication>
#include <QMenu>
#include <QStyle>
#include <QToolBar>

#include "enum_names.h"
#include "main_window.h"

namespace trainlab {

namespace {
inline constexpr EnumName<RunPhase> kRunPhaseNames[] = {
    {RunPhase::Idle, "Ready"},         {RunPhase::Starting, "Starting"},
    {RunPhase::Running, "Running"},    {RunPhase::Paused, "Paused"},
    {RunPhase::Stopping, "Stopping"},  {RunPhase::Finished, "Finished"},
    {RunPhase::Failed, "Failed"},      {RunPhase::Cancelled, "Cancelled"}};
}  // namespace

QString runPhaseName(RunPhase p) {
    return QString::fromStdString(nameOf(kRunPhaseNames, p, ""));
}

bool runPhaseActive(RunPhase p) {
    return p == RunPhase::Starting || p == RunPhase::Running || p == RunPhase::Paused ||
           p == RunPhase::Stopping;
}

RunControlActions::RunControlActions(QMenu* menu, QObject* parent) : QObject(parent) {
    QStyle* style = QApplication::style();
    run_ = menu->addAction(style->standardIcon(QStyle::SP_MediaPlay), "&Run", this,
                           &RunControlActions::runTriggered);
    run_->setShortcut(QKeySequence("Ctrl+R"));
    pause_ = menu->addAction(style->standardIcon(QStyle::SP_MediaPause), "&Pause", this,
                             &RunControlActions::pauseTriggered);
    pause_->setShortcut(QKeySequence(Qt::Key_Space));
    stop_ = menu->addAction(style->standardIcon(QStyle::SP_MediaStop), "&Stop", this,
                            &RunControlActions::stopTriggered);
    stop_->setShortcut(QKeySequence(Qt::Key_Escape));
    for (QAction* a : {run_, pause_, stop_}) a->setShortcutContext(Qt::ApplicationShortcut);
}

void RunControlActions::addTo(QToolBar* bar) const {
    bar->addAction(run_);
    bar->addAction(pause_);
    bar->addAction(stop_);
}

void RunControlActions::showPhase(RunPhase p) {
    const bool active = runPhaseActive(p);
    run_->setEnabled(!active);
    pause_->setEnabled(p == RunPhase::Running || p == RunPhase::Paused);
    pause_->setText(p == RunPhase::Paused ? "Resume" : "Pause");
    stop_->setEnabled(active && p != RunPhase::Stopping);
}

}  // namespace trainlab
