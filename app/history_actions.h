// The main window's run history: the list of recorded runs (a dock), "Open run folder…" and
// "Show runs folder" in the File menu, and the runs folder itself.
#pragma once

#include <QObject>
#include <QString>

class QMenu;
class QWidget;

namespace trainlab {

class RunHistory;

class HistoryActions : public QObject {
    Q_OBJECT
  public:
    /// Lists the runs under `runsRoot`; dialogs open over `window`.
    HistoryActions(const QString& runsRoot, QWidget* window);
    /// Adds "Open run folder…" to `fileMenu`.
    void addOpenTo(QMenu* fileMenu);
    /// Adds "Show runs folder" (the file manager, the folder created when missing).
    void addShowFolderTo(QMenu* fileMenu);
    /// The history list, for a dock.
    RunHistory* widget() const { return history_; }
    QString runsRoot() const { return runsRoot_; }
    void setRunsRoot(const QString& root);
    /// Lists the runs again (after a run ends).
    void reload();

  signals:
    /// A run chosen to be reopened (activated in the list, or a folder picked).
    void openRequested(const QString& runDir);

  private:
    QWidget* window_;
    QString runsRoot_;
    RunHistory* history_;
};

}  // namespace trainlab
