#include "dataset_actions.h"

#include <QDir>
#include <QFileDialog>
#include <QMessageBox>
#include <QPushButton>

#include "bridge/downloader.h"
#include "dataset_catalog.h"
#include "datasets_window.h"
#include "experiment_runner.h"

namespace trainlab {

namespace {
QString q(const std::string& s) {
    return QString::fromStdString(s);
}
}  // namespace

DatasetActions::DatasetActions(QWidget* window, Reporter report,
                               std::function<void(const QString&)> log)
    : QObject(window), window_(window), report_(std::move(report)), log_(std::move(log)) {}

void DatasetActions::createDatasetsWindow() {
    datasets_ = new DatasetsWindow(dataDir_, window_);
    datasets_->setModal(false);
    downloader_ = new Downloader(this);  // owned here: closing the dialog keeps it going
    connect(datasets_, &DatasetsWindow::downloadRequested, this, [this](const QString& id) {
        const DatasetSpec* spec = findDatasetSpec(id.toStdString());
        if (!spec) return;
        downloadId_ = id;
        std::string noFolder;
        if (userDataDir(&noFolder).empty())
            datasets_->setDownloadFinished(id, false, q(noFolder));
        else if (!downloader_->start(spec->downloads, DatasetsWindow::downloadFolder(id)))
            datasets_->setDownloadFinished(id, false, "another download is running");
    });
    connect(datasets_, &DatasetsWindow::downloadCancelRequested, downloader_,
            &Downloader::cancel);
    connect(downloader_, &Downloader::progressed, this,
            [this](qint64 got, qint64 total, double speed, double eta, const QString&) {
                datasets_->setDownloadProgress(downloadId_, got, total, speed, eta);
            });
    connect(downloader_, &Downloader::finished, this, [this](const QStringList&) {
        datasets_->setDownloadFinished(downloadId_, true, {});
        log_("Downloaded " + downloadId_);
    });
    connect(downloader_, &Downloader::failed, this, [this](const QString& m) {
        datasets_->setDownloadFinished(downloadId_, false, m);
        log_("Download failed: " + m);
    });
    connect(downloader_, &Downloader::cancelled, this,
            [this] { datasets_->setDownloadFinished(downloadId_, false, "cancelled"); });
    connect(datasets_, &DatasetsWindow::datasetImported, this,
            [this](const QString& id, const QString& path) {
                log_("Imported " + id + " from " + path);
            });
}

void DatasetActions::showDatasets() {
    if (!datasets_) createDatasetsWindow();
    datasets_->refresh();
    datasets_->show();
    datasets_->raise();
    datasets_->activateWindow();
}

bool DatasetActions::confirmDatasets(RunRequest& request) {
    const auto missing =
        missingDatasets(request.preset.kind, request.config, dataDir_.toStdString());
    if (missing.empty()) return true;
    const MissingDataset& m = missing.front();
    if (quiet_) {
        report_("Dataset missing", q(m.message), true);
        return false;
    }
    QMessageBox box(QMessageBox::Warning, "Dataset missing", q(m.message), QMessageBox::NoButton,
                    window_);
    QPushButton* download =
        box.addButton(QString("Download (%1 MB)").arg((m.downloadBytes + 500000) / 1000000),
                      QMessageBox::AcceptRole);
    QPushButton* choose = box.addButton("Choose folder…", QMessageBox::ActionRole);
    QPushButton* substitute =
        m.substitute.empty()
            ? nullptr
            : box.addButton("Run on " + q(m.substitute) + " instead", QMessageBox::ActionRole);
    box.addButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == download) {
        showDatasets();
        datasets_->selectDataset(q(m.id));
        emit datasets_->downloadRequested(q(m.id));
        return false;
    }
    if (box.clickedButton() == choose) {
        const QString dir = QFileDialog::getExistingDirectory(
            window_, "Folder holding " + q(m.title), QDir::homePath());
        if (dir.isEmpty()) return false;
        try {
            importDataset(m.id, dir.toStdString());
        } catch (const std::exception& e) {
            report_("Import failed", e.what(), true);
            return false;
        }
        return confirmDatasets(request);
    }
    if (substitute && box.clickedButton() == substitute) {
        try {
            applyOverride(request.preset.kind, request.config, "dataset=" + m.substitute);
        } catch (const std::exception& e) {
            report_("Cannot substitute", e.what(), true);
            return false;
        }
        log_("Running on " + q(m.substitute) + " instead of " + q(m.id));
        return confirmDatasets(request);
    }
    return false;
}

}  // namespace trainlab
