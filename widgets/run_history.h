// The list of past and current runs under a runs folder.
#pragma once

#include <QString>
#include <QWidget>

class QTreeWidget;
class QTreeWidgetItem;

namespace trainlab {

/// Runs found by listRuns() under a root folder, newest first: Date (from the folder name),
/// Preset (title), Status (coloured; the status message as tooltip) and Result (headline).
/// Double-click or "Reopen" in the context menu emits runActivated; "Open folder" shows the
/// run folder in the desktop's file manager. Several runs can be selected (Ctrl/Shift-click);
/// "Compare" (two or more) emits compareRequested. Sweep folders directly under the root (a
/// folder with sweep.json) are listed first; activating one emits sweepActivated.
///
/// Contract: GUI thread only. Never throws: damaged runs are listed as listRuns() reports
/// them, and an unreadable root gives an empty list.
class RunHistory : public QWidget {
    Q_OBJECT
  public:
    explicit RunHistory(QWidget* parent = nullptr);

    /// Sets the runs folder and reloads.
    void setRoot(const QString& runsRoot);
    QString root() const { return root_; }
    /// Re-reads the runs folder, keeping the selected run selected where it still exists.
    void reload();
    /// The selected run's folder, or an empty string (also when a sweep is selected).
    QString currentRunPath() const;
    /// The folders of every selected run (sweeps left out), in list order.
    QStringList selectedRunPaths() const;
    /// Emits compareRequested with the selected runs when there are two or more.
    void requestCompare();

  signals:
    void runActivated(const QString& runPath);
    void compareRequested(const QStringList& runPaths);
    void sweepActivated(const QString& sweepPath);

  private:
    void showContextMenu(const QPoint& pos);
    void addSweeps();

    QString root_;
    QTreeWidget* tree_ = nullptr;
};

}  // namespace trainlab
