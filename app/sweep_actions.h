// The main window's sweeps and comparisons: Run → Run as sweep…, File → Open sweep…, and the
// history's Compare (two or more runs) and sweep entries, each opening a CompareWindow.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <functional>
#include <optional>

#include "sweep_dialog.h"

class QAction;
class QMenu;
class QWidget;

namespace trainlab {

class RunHistory;

class SweepActions : public QObject {
    Q_OBJECT
  public:
    /// What the dialog starts from: the preset shown and its edited settings, the runs and
    /// data folders; nullopt while no preset is shown.
    using InputSource = std::function<std::optional<SweepDialog::Input>()>;

    SweepActions(QWidget* window, InputSource source);
    /// "Run as sweep…" (Ctrl+Shift+R) into the Run menu.
    void addRunAsSweepTo(QMenu* runMenu);
    /// "Open sweep…" (Ctrl+Shift+O) into the File menu.
    void addOpenSweepTo(QMenu* fileMenu);
    /// The history's Compare and sweep entries open comparison windows.
    void connectHistory(RunHistory* history);

    QAction* runAsSweepAction() const { return runAsSweep_; }
    /// Opens the sweep window on `dir` (a folder with sweep.json).
    void openSweep(const QString& dir);
    /// Opens the comparison of `runDirs`.
    void compareRuns(const QStringList& runDirs);

  signals:
    /// A sweep was started from the dialog (the history lists it).
    void sweepStarted(const QString& dir);

  private:
    void showDialog();

    QWidget* window_;
    InputSource source_;
    QAction* runAsSweep_ = nullptr;
};

}  // namespace trainlab
