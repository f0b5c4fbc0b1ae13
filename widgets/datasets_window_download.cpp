// The Datasets window, its download part: the progress box of the download the owner runs
// (the widgets layer has no network; see DatasetsWindow).
#include <QDir>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QUrl>
#include <algorithm>
#include <cmath>

#include "dataset_samples.h"
#include "datasets_window.h"
#include "text_format.h"

namespace trainlab {

namespace {

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

/// A duration for "3 s left", "3:07 left".
QString durationText(double seconds) {
    return QString::fromStdString(formatDuration(seconds, true));
}

}  // namespace

void DatasetsWindow::requestDownload(const QString& id) {
    const Row* row = rowFor(id);
    if (!row || !downloading_.isEmpty() || row->spec->downloads.empty()) return;
    downloading_ = id;
    downloadPercent_ = -1;
    downloadTitle_->setText(tr("Downloading %1 (%2) into %3")
                                .arg(qs(row->spec->title), formatBytes(row->spec->downloadBytes()),
                                     QDir::toNativeSeparators(downloadFolder(id))));
    downloadBar_->setRange(0, 0);  // busy until the first progress report
    downloadText_->setText(
        tr("Connecting to %1…").arg(QUrl(qs(row->spec->downloads.front().url)).host()));
    cancelButton_->setEnabled(true);
    downloadBox_->show();
    setMessage({}, false);
    updateRow(rowOf(id));
    updateButtons();
    emit downloadRequested(id);
}

void DatasetsWindow::setDownloadProgress(const QString& id, qint64 received, qint64 total,
                                         double bytesPerSecond, double etaSeconds) {
    const Row* row = rowFor(id);
    if (!row) return;
    if (downloading_ != id) {
        // A download started by the owner (or the first report after a restart of one).
        const QString previous = downloading_;
        downloading_ = id;
        downloadTitle_->setText(
            tr("Downloading %1 into %2")
                .arg(qs(row->spec->title), QDir::toNativeSeparators(downloadFolder(id))));
        cancelButton_->setEnabled(true);
        downloadBox_->show();
        if (const int r = rowOf(previous); r >= 0) updateRow(r);
        updateButtons();
    }
    QStringList parts;
    if (total > 0) {
        downloadBar_->setRange(0, 1000);
        downloadBar_->setValue(static_cast<int>(std::clamp<double>(
            1000.0 * static_cast<double>(received) / static_cast<double>(total), 0, 1000)));
        downloadPercent_ = static_cast<int>(std::clamp<qint64>(received * 100 / total, 0, 100));
        parts << tr("%1 of %2").arg(formatBytes(received), formatBytes(total));
    } else {
        downloadBar_->setRange(0, 0);
        downloadPercent_ = -1;
        parts << formatBytes(received);
    }
    if (bytesPerSecond > 0)
        parts << tr("%1/s").arg(formatBytes(static_cast<qint64>(bytesPerSecond)));
    if (etaSeconds >= 0 && std::isfinite(etaSeconds))
        parts << tr("%1 left").arg(durationText(etaSeconds));
    if (cancelButton_->isEnabled()) downloadText_->setText(parts.join(QStringLiteral(" · ")));
    updateRow(rowOf(id));
}

void DatasetsWindow::setDownloadFinished(const QString& id, bool ok, const QString& message) {
    const Row* row = rowFor(id);
    if (!row) return;
    const QString title = qs(row->spec->title);
    if (downloading_ == id) {
        downloading_.clear();
        downloadPercent_ = -1;
        downloadBox_->hide();
    }
    refresh();
    if (ok) {
        const Row* now = rowFor(id);
        const QString where = now && now->location
                                  ? QDir::toNativeSeparators(qs(now->location->path.string()))
                                  : QDir::toNativeSeparators(downloadFolder(id));
        setMessage(
            message.isEmpty() ? tr("%1 downloaded and verified: %2").arg(title, where) : message,
            false);
        selectDataset(id);
    } else {
        setMessage(tr("Download of %1 stopped: %2")
                       .arg(title, message.isEmpty() ? tr("unknown error") : message),
                   true);
    }
}

}  // namespace trainlab
