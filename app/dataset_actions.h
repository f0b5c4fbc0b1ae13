// The main window's dataset actions: the Datasets window (what is present where, download,
// import) and, before a run, the question what to do about a dataset that is not here.
#pragma once

#include <QObject>
#include <QString>
#include <functional>

class QWidget;

namespace trainlab {

class DatasetsWindow;
class Downloader;
struct RunRequest;

class DatasetActions : public QObject {
    Q_OBJECT
  public:
    /// report(title, text, isError) tells the user (a dialog unless quiet, and the log);
    /// log(line) only writes to the log. Dialogs open over `window`.
    using Reporter = std::function<void(const QString&, const QString&, bool)>;
    DatasetActions(QWidget* window, Reporter report, std::function<void(const QString&)> log);

    /// Folder searched first for datasets (--data-dir).
    void setDataDir(const QString& dir) { dataDir_ = dir; }
    QString dataDir() const { return dataDir_; }
    /// When set, no dialog is shown: a missing dataset is reported and the run not started.
    void setQuiet(bool quiet) { quiet_ = quiet; }
    /// Opens (creating it the first time) the Datasets window.
    void showDatasets();
    /// Checks the datasets `request` needs; offers download, a folder or a substitute when one
    /// is absent. True when the run can start (possibly with a substituted dataset).
    bool confirmDatasets(RunRequest& request);

  private:
    void createDatasetsWindow();

    QWidget* window_;
    Reporter report_;
    std::function<void(const QString&)> log_;
    QString dataDir_;
    bool quiet_ = false;
    DatasetsWindow* datasets_ = nullptr;
    Downloader* downloader_ = nullptr;
    QString downloadId_;
};

}  // namespace trainlab
