#include "run_control_actions.h"

#include <QAbstractSpinBox>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QStyle>
#include <QTextEdit>
#include <QToolBar>
#include <algorithm>

#include "enum_names.h"
#include "main_window.h"
#include "text_format.h"

namespace trainlab {

namespace {
inline constexpr EnumName<RunPhase> kRunPhaseNames[] = {
    {RunPhase::Idle, "Ready"},         {RunPhase::Starting, "Starting"},
    {RunPhase::Running, "Running"},    {RunPhase::Paused, "Paused"},
    {RunPhase::Stopping, "Stopping"},  {RunPhase::Finished, "Finished"},
    {RunPhase::Failed, "Failed"},      {RunPhase::Cancelled, "Cancelled"}};

/// A widget that takes typed text: Esc and Space are its keys while it has focus.
bool isTextField(const QWidget* w) {
    for (; w; w = w->isWindow() ? nullptr : w->parentWidget()) {
        if (auto* e = qobject_cast<const QLineEdit*>(w)) return !e->isReadOnly();
        if (auto* e = qobject_cast<const QPlainTextEdit*>(w)) return !e->isReadOnly();
        if (auto* e = qobject_cast<const QTextEdit*>(w)) return !e->isReadOnly();
        if (auto* c = qobject_cast<const QComboBox*>(w)) return c->isEditable();
        if (qobject_cast<const QAbstractSpinBox*>(w)) return true;
    }
    return false;
}

bool askBeforeStopping() {
    return QSettings().value(RunControlActions::kConfirmStopKey, true).toBool();
}
}  // namespace

QString runPhaseName(RunPhase p) {
    return QString::fromStdString(nameOf(kRunPhaseNames, p, ""));
}

bool runPhaseActive(RunPhase p) {
    return p == RunPhase::Starting || p == RunPhase::Running || p == RunPhase::Paused ||
           p == RunPhase::Stopping;
}

RunControlActions::RunControlActions(QMenu* menu, QWidget* window)
    : QObject(window), window_(window) {
    QStyle* style = QApplication::style();
    run_ = menu->addAction(style->standardIcon(QStyle::SP_MediaPlay), "&Run", this,
                           &RunControlActions::runTriggered);
    run_->setShortcut(QKeySequence("Ctrl+R"));
    pause_ = menu->addAction(style->standardIcon(QStyle::SP_MediaPause), "Pause", this,
                             &RunControlActions::pauseTriggered);
    // Space first (shown in the menu); the others also work while typing in a field.
    pause_->setShortcuts({QKeySequence(Qt::Key_Space), QKeySequence("Ctrl+Space"),
                          QKeySequence(Qt::Key_Pause)});
    stop_ = menu->addAction(style->standardIcon(QStyle::SP_MediaStop), "&Stop", this,
                            &RunControlActions::onStop);
    stop_->setShortcut(QKeySequence(Qt::Key_Escape));
    stop_->setToolTip(tr("Stop the run (Esc when no text field has focus); a run going on "
                         "for more than %1 s asks first")
                          .arg(kConfirmStopAfterMs / 1000));
    for (QAction* a : {run_, pause_, stop_}) a->setShortcutContext(Qt::ApplicationShortcut);
    menu->addSeparator();
    askBeforeStop_ = menu->addAction(tr("Ask before stopping a long run"));
    askBeforeStop_->setCheckable(true);
    askBeforeStop_->setChecked(askBeforeStopping());
    connect(askBeforeStop_, &QAction::toggled, this,
            [](bool ask) { QSettings().setValue(kConfirmStopKey, ask); });
    qApp->installEventFilter(this);
}

void RunControlActions::addTo(QToolBar* bar) const {
    bar->addAction(run_);
    bar->addAction(pause_);
    bar->addAction(stop_);
}

void RunControlActions::showPhase(RunPhase p) {
    if (p == RunPhase::Starting) {
        runClock_.start();
        pausedMs_ = 0;
        pauseClock_.invalidate();
    } else if (p == RunPhase::Paused && !pauseClock_.isValid()) {
        pauseClock_.start();
    } else if (p != RunPhase::Paused && pauseClock_.isValid()) {
        pausedMs_ += pauseClock_.elapsed();
        pauseClock_.invalidate();
    }
    const bool active = runPhaseActive(p);
    const bool paused = p == RunPhase::Paused;
    run_->setEnabled(!active);
    pause_->setEnabled(p == RunPhase::Running || paused);
    pause_->setText(paused ? "Resume" : "Pause");
    pause_->setIcon(QApplication::style()->standardIcon(paused ? QStyle::SP_MediaPlay
                                                               : QStyle::SP_MediaPause));
    pause_->setToolTip((paused ? tr("Resume the run") : tr("Pause the run")) +
                       tr(" (Space; Ctrl+Space or Pause/Break also while typing in a field)"));
    stop_->setEnabled(active && p != RunPhase::Stopping);
    if (question_ && !stop_->isEnabled()) question_->reject();  // nothing left to stop
}

qint64 RunControlActions::runningMs() const {
    if (!runClock_.isValid()) return 0;
    const qint64 pause = pauseClock_.isValid() ? pauseClock_.elapsed() : 0;
    return std::max<qint64>(0, runClock_.elapsed() - pausedMs_ - pause);
}

void RunControlActions::onStop() {
    if (confirmStop()) emit stopTriggered();
}

bool RunControlActions::confirmStop() {
    const qint64 ms = runningMs();
    if (quiet_ || ms <= confirmAfterMs_ || !askBeforeStopping()) return true;
    QMessageBox box(QMessageBox::Question, tr("Stop the run?"),
                    tr("The run has been going for %1. Stop it now?\n\nWhat it has recorded so "
                       "far is kept (as cancelled); the rest of the training is not done.")
                        .arg(QString::fromStdString(formatDuration(ms / 1000.0, true))),
                    QMessageBox::Yes | QMessageBox::Cancel, window_);
    box.setObjectName("confirmStop");
    box.button(QMessageBox::Yes)->setText(tr("&Stop the run"));
    box.button(QMessageBox::Cancel)->setText(tr("&Keep running"));
    // Stopping throws away the rest of the run: Enter and Esc keep it going.
    box.setDefaultButton(QMessageBox::Cancel);
    box.setEscapeButton(QMessageBox::Cancel);
    auto* dontAsk = new QCheckBox(tr("Don't ask again"));
    dontAsk->setObjectName("dontAskAgain");
    box.setCheckBox(dontAsk);
    question_ = &box;
    const bool stop = box.exec() == QMessageBox::Yes && stop_->isEnabled();
    // Only a confirmed stop is remembered: "Keep running" + the box would disarm Stop.
    if (stop && dontAsk->isChecked()) askBeforeStop_->setChecked(false);
    return stop;
}

bool RunControlActions::escapeBelongsElsewhere() const {
    if (QApplication::activePopupWidget()) return true;  // Esc closes the menu or the list
    const QWidget* active = QApplication::activeWindow();
    if (active && active != window_ && !qobject_cast<const QDockWidget*>(active)) return true;
    return isTextField(QApplication::focusWidget());
}

bool RunControlActions::eventFilter(QObject*, QEvent* event) {
    if (event->type() != QEvent::ShortcutOverride || !stop_->isEnabled()) return false;
    const auto* key = static_cast<QKeyEvent*>(event);
    if (key->key() != Qt::Key_Escape || key->modifiers() != Qt::NoModifier) return false;
    if (!escapeBelongsElsewhere()) return false;
    // Accepted: Qt delivers Esc as an ordinary key press to the focus widget, and the Stop
    // shortcut does not fire.
    event->accept();
    return true;
}

}  // namespace trainlab
