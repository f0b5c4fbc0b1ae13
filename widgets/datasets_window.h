// The Datasets window: which datasets are present where, sample images per class, and the
// ways to get an absent one (download, import).
#pragma once

#include <QDialog>
#include <QString>
#include <QVector>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "dataset_catalog.h"

class QGroupBox;
class QLabel;
class QLayout;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QTableWidget;
class QThread;

namespace trainlab {

struct DatasetSamples;  // sample images of one located dataset, made on a worker thread

/// Lists knownDatasets() with their status (present/absent), location (path and the search
/// root that holds it), size on disk and download size, and shows a grid of test images per
/// class for the selected present dataset.
///
/// The widgets layer has no network: "Download" emits downloadRequested(id); the owner runs
/// the transfer (into downloadFolder(id)) and reports through setDownloadProgress() and
/// setDownloadFinished(). Importing (importDataset) and loading samples (loadRawDataset) run
/// on worker threads; the window stays responsive and shows "Loading…"/"Importing…" meanwhile.
/// Errors are shown in the window's message line, in words naming the file and the fault.
///
/// Contract: GUI thread only. The destructor waits for a running import or sample load.
class DatasetsWindow : public QDialog {
    Q_OBJECT
  public:
    /// `explicitDataDir`: the --data-dir / config folder searched first (may be empty).
    explicit DatasetsWindow(const QString& explicitDataDir = {}, QWidget* parent = nullptr);
    ~DatasetsWindow() override;

    /// Searches the roots again and updates the table (keeps the selection).
    void refresh();
    /// Id of the selected dataset ("mnist"), or empty.
    QString selectedId() const;
    /// Selects a dataset's row (and shows its samples when present). Unknown ids are ignored.
    void selectDataset(const QString& id);

    /// Where a download of `id` should be written: <userDataDir>/<id>; empty without one.
    static QString downloadFolder(const QString& id);

    /// Progress of the download of `id`: bytes so far and in all (total 0: unknown), speed in
    /// bytes per second, remaining time in seconds (< 0: unknown).
    void setDownloadProgress(const QString& id, qint64 received, qint64 total,
                             double bytesPerSecond, double etaSeconds);
    /// The download of `id` ended; `message` says why when !ok (it may be empty when ok).
    /// Refreshes the table, and shows the samples of a newly present dataset.
    void setDownloadFinished(const QString& id, bool ok, const QString& message);
    /// Id of the download shown, or empty.
    QString downloadingId() const { return downloading_; }

    /// Imports `source` (a folder or, for CIFAR-10, its .tar.gz) as dataset `id` into the user
    /// data folder on a worker thread — what "Import from file or folder…" does after its
    /// file dialog. Ignored while another import runs.
    void importFrom(const QString& id, const QString& source);
    bool isImporting() const { return importing_; }

    // Read-outs for tests and for the owner.
    int sampleCount() const { return sampleCount_; }  ///< sample tiles shown
    bool isLoadingSamples() const { return loadingKey_.size() > 0; }
    QString statusText(const QString& id) const;  ///< "present", "absent", "downloading 12%"
    QString whereText(const QString& id) const;   ///< the Where column
    QString progressText() const;                 ///< "1.2 MB of 9.9 MB · 3.4 MB/s · 3 s left"
    QString messageText() const;                  ///< the message line

  signals:
    /// The user asked to download the absent dataset `id`.
    void downloadRequested(const QString& id);
    /// The user pressed Cancel on the download of `id`.
    void downloadCancelRequested(const QString& id);
    /// A dataset was imported into the user data folder.
    void datasetImported(const QString& id, const QString& path);

  private:
    struct Row {
        QString id;
        const DatasetSpec* spec = nullptr;
        std::optional<DatasetLocation> location;
    };

    void buildTable();
    void buildDownloadBox();
    QLayout* buildButtons();
    void buildSamplesBox();
    int rowOf(const QString& id) const;
    const Row* rowFor(const QString& id) const;
    void updateRow(int row);
    void updateButtons();
    void fitTableHeight();
    void onSelectionChanged();
    void showSamplesFor(const QString& id);
    void showSamples(const DatasetSamples& samples);
    void showPlaceholder(const QString& text);
    void requestDownload(const QString& id);
    void chooseImport(bool folder);
    void openFolder();
    void setMessage(const QString& text, bool error);
    void runInWorker(std::function<void()> work, std::function<void()> done);

    QString explicitDir_;
    std::vector<SearchRoot> roots_;
    std::vector<Row> rows_;

    QLabel* rootsLabel_ = nullptr;
    QTableWidget* table_ = nullptr;
    QWidget* downloadBox_ = nullptr;
    QLabel* downloadTitle_ = nullptr;
    QProgressBar* downloadBar_ = nullptr;
    QLabel* downloadText_ = nullptr;
    QPushButton* cancelButton_ = nullptr;
    QLabel* message_ = nullptr;
    QPushButton* importButton_ = nullptr;
    QPushButton* openFolderButton_ = nullptr;
    QPushButton* refreshButton_ = nullptr;
    QGroupBox* samplesBox_ = nullptr;
    QScrollArea* samplesArea_ = nullptr;

    QString downloading_;  ///< id of the download shown, empty when none
    int downloadPercent_ = -1;
    bool importing_ = false;
    QString loadingKey_;  ///< cache key of the samples being loaded, empty when none
    QString shownKey_;    ///< cache key of the samples shown
    int sampleCount_ = 0;
    std::map<QString, std::shared_ptr<const DatasetSamples>> sampleCache_;
    QVector<QThread*> workers_;
};

}  // namespace trainlab
