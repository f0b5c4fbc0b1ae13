#include "datasets_window.h"

#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImage>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QTableWidget>
#include <QThread>
#include <QUrl>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <exception>

namespace trainlab {

namespace {

enum Column { kName, kStatus, kWhere, kSizeOnDisk, kDownloadSize, kAction, kColumns };

constexpr int kSamplesPerClass = 8;
constexpr int kTileTarget = 64;  // displayed tile side the scaling aims at, in pixels

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

QString formatBytes(qint64 bytes) {
    const double b = static_cast<double>(bytes);
    if (bytes < 1000) return DatasetsWindow::tr("%1 bytes").arg(bytes);
    if (bytes < 1000 * 1000) return DatasetsWindow::tr("%1 kB").arg(b / 1e3, 0, 'f', 0);
    if (bytes < 1000LL * 1000 * 1000) return DatasetsWindow::tr("%1 MB").arg(b / 1e6, 0, 'f', 1);
    return DatasetsWindow::tr("%1 GB").arg(b / 1e9, 0, 'f', 2);
}

/// "45 s", "3:07", "1:02:03".
QString formatDuration(double seconds) {
    const qint64 s = static_cast<qint64>(std::llround(std::max(0.0, seconds)));
    if (s < 60) return DatasetsWindow::tr("%1 s").arg(s);
    const QString mmss = QStringLiteral("%1:%2").arg((s / 60) % 60).arg(s % 60, 2, 10, QChar('0'));
    if (s < 3600) return mmss;
    return QStringLiteral("%1:%2:%3")
        .arg(s / 3600)
        .arg((s / 60) % 60, 2, 10, QChar('0'))
        .arg(s % 60, 2, 10, QChar('0'));
}

QString withThousands(qint64 n) {
    return QLocale(QLocale::English).toString(n);
}

/// One image of `raw` (CHW bytes) as a QImage: grey for one channel, RGB for three (other
/// channel counts show their first channel).
QImage toImage(const RawImages& raw, std::int64_t index) {
    const int w = static_cast<int>(raw.w), h = static_cast<int>(raw.h);
    const std::uint8_t* px = raw.image(index);
    const std::int64_t plane = raw.h * raw.w;
    if (raw.c == 3) {
        QImage img(w, h, QImage::Format_RGB888);
        for (int y = 0; y < h; ++y) {
            uchar* line = img.scanLine(y);
            for (int x = 0; x < w; ++x) {
                const std::int64_t i = std::int64_t(y) * w + x;
                line[3 * x] = px[i];
                line[3 * x + 1] = px[plane + i];
                line[3 * x + 2] = px[2 * plane + i];
            }
        }
        return img;
    }
    QImage img(w, h, QImage::Format_Grayscale8);
    for (int y = 0; y < h; ++y) std::copy_n(px + std::int64_t(y) * w, w, img.scanLine(y));
    return img;
}

/// Small images are enlarged by a whole factor with nearest-neighbour (pixels stay crisp);
/// large ones are reduced smoothly to about kTileTarget.
QImage scaledTile(const QImage& img) {
    const int side = std::max(img.width(), img.height());
    if (side <= 0) return img;
    if (side <= kTileTarget) {
        const int factor = std::clamp(kTileTarget / side, 1, 3);
        return img.scaled(img.width() * factor, img.height() * factor, Qt::IgnoreAspectRatio,
                          Qt::FastTransformation);
    }
    return img.scaled(kTileTarget, kTileTarget, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

QString cacheKey(const DatasetLocation& loc) {
    return qs(loc.id) + QLatin1Char('|') + QString::fromStdString(loc.path.string());
}

}  // namespace

struct DatasetsWindow::Samples {
    QString key, id, title, source;
    QStringList classNames;
    std::vector<std::vector<QImage>> tiles;    ///< per class, already scaled
    std::vector<std::vector<qint64>> indices;  ///< per class, index in the split
    QString split;                             ///< "test" (or "train" when test is empty)
    qint64 trainCount = 0, testCount = 0;
    int channels = 0, height = 0, width = 0;
    QString error;
};

DatasetsWindow::DatasetsWindow(const QString& explicitDataDir, QWidget* parent)
    : QDialog(parent), explicitDir_(explicitDataDir) {
    setWindowTitle(tr("Datasets"));
    setObjectName(QStringLiteral("datasetsWindow"));
    setModal(false);
    setSizeGripEnabled(true);

    rootsLabel_ = new QLabel(this);
    rootsLabel_->setObjectName(QStringLiteral("datasetRoots"));
    rootsLabel_->setWordWrap(true);
    rootsLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    table_ = new QTableWidget(0, kColumns, this);
    table_->setObjectName(QStringLiteral("datasetTable"));
    table_->setHorizontalHeaderLabels({tr("Dataset"), tr("Status"), tr("Where"), tr("Size on disk"),
                                       tr("Download size"), QString()});
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->hide();
    table_->setWordWrap(false);
    table_->setTextElideMode(Qt::ElideMiddle);
    table_->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    QHeaderView* header = table_->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(kWhere, QHeaderView::Stretch);

    // The download in progress: title, bar, "1.2 MB of 9.9 MB · 3.4 MB/s · 3 s left", Cancel.
    downloadBox_ = new QWidget(this);
    downloadBox_->setObjectName(QStringLiteral("downloadBox"));
    downloadTitle_ = new QLabel(downloadBox_);
    downloadBar_ = new QProgressBar(downloadBox_);
    downloadBar_->setObjectName(QStringLiteral("downloadBar"));
    downloadBar_->setTextVisible(true);
    downloadText_ = new QLabel(downloadBox_);
    downloadText_->setObjectName(QStringLiteral("downloadText"));
    cancelButton_ = new QPushButton(tr("Cancel"), downloadBox_);
    cancelButton_->setObjectName(QStringLiteral("cancelDownload"));
    auto* downloadLayout = new QGridLayout(downloadBox_);
    downloadLayout->setContentsMargins(0, 0, 0, 0);
    downloadLayout->addWidget(downloadTitle_, 0, 0, 1, 2);
    downloadLayout->addWidget(downloadBar_, 1, 0);
    downloadLayout->addWidget(cancelButton_, 1, 1);
    downloadLayout->addWidget(downloadText_, 2, 0, 1, 2);
    downloadLayout->setColumnStretch(0, 1);
    downloadBox_->hide();

    message_ = new QLabel(this);
    message_->setObjectName(QStringLiteral("datasetMessage"));
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    message_->hide();

    importButton_ = new QPushButton(tr("Import from file or folder…"), this);
    importButton_->setObjectName(QStringLiteral("importDataset"));
    auto* importMenu = new QMenu(importButton_);
    importMenu->addAction(tr("From a folder…"), this, [this] { chooseImport(true); });
    importMenu->addAction(tr("From an archive file (CIFAR-10 .tar.gz)…"), this,
                          [this] { chooseImport(false); });
    importButton_->setMenu(importMenu);
    openFolderButton_ = new QPushButton(tr("Open folder"), this);
    openFolderButton_->setObjectName(QStringLiteral("openDatasetFolder"));
    refreshButton_ = new QPushButton(tr("Refresh"), this);
    refreshButton_->setObjectName(QStringLiteral("refreshDatasets"));
    auto* closeButton = new QPushButton(tr("Close"), this);
    closeButton->setAutoDefault(false);
    for (QPushButton* b : {importButton_, openFolderButton_, refreshButton_})
        b->setAutoDefault(false);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(importButton_);
    buttons->addWidget(openFolderButton_);
    buttons->addWidget(refreshButton_);
    buttons->addStretch(1);
    buttons->addWidget(closeButton);

    samplesBox_ = new QGroupBox(tr("Samples"), this);
    samplesBox_->setObjectName(QStringLiteral("datasetSamples"));
    samplesArea_ = new QScrollArea(samplesBox_);
    samplesArea_->setWidgetResizable(true);
    samplesArea_->setFrameShape(QFrame::NoFrame);
    auto* samplesLayout = new QVBoxLayout(samplesBox_);
    samplesLayout->addWidget(samplesArea_);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(rootsLabel_);
    layout->addWidget(table_);
    layout->addWidget(downloadBox_);
    layout->addWidget(message_);
    layout->addLayout(buttons);
    layout->addWidget(samplesBox_, 1);

    connect(table_, &QTableWidget::itemSelectionChanged, this, &DatasetsWindow::onSelectionChanged);
    connect(cancelButton_, &QPushButton::clicked, this, [this] {
        if (downloading_.isEmpty()) return;
        cancelButton_->setEnabled(false);
        downloadText_->setText(tr("Cancelling…"));
        emit downloadCancelRequested(downloading_);
    });
    connect(openFolderButton_, &QPushButton::clicked, this, &DatasetsWindow::openFolder);
    connect(refreshButton_, &QPushButton::clicked, this, [this] {
        // A failed load may have been fixed on disk since: try again.
        for (auto it = sampleCache_.begin(); it != sampleCache_.end();)
            it = it->second->error.isEmpty() ? std::next(it) : sampleCache_.erase(it);
        refresh();
    });
    connect(closeButton, &QPushButton::clicked, this, &QDialog::close);

    rows_.reserve(knownDatasets().size());
    for (const DatasetSpec& spec : knownDatasets()) rows_.push_back({qs(spec.id), &spec, {}});
    table_->setRowCount(static_cast<int>(rows_.size()));
    refresh();
    resize(980, 780);
    if (!rows_.empty()) {
        // Start on the first present dataset, so that the window opens with pictures.
        auto present = std::find_if(rows_.begin(), rows_.end(),
                                    [](const Row& r) { return r.location.has_value(); });
        selectDataset(present != rows_.end() ? present->id : rows_.front().id);
    }
}

DatasetsWindow::~DatasetsWindow() {
    for (QThread* t : workers_) {
        t->wait();
        delete t;
    }
}

QString DatasetsWindow::downloadFolder(const QString& id) {
    const fs::path root = userDataDir();
    return root.empty() ? QString() : QString::fromStdString((root / id.toStdString()).string());
}

void DatasetsWindow::refresh() {
    roots_ = datasetSearchRoots(explicitDir_.toStdString());
    QStringList where;
    for (const SearchRoot& r : roots_)
        where << tr("%1 (%2)").arg(QDir::toNativeSeparators(qs(r.path.string())), qs(r.origin));
    rootsLabel_->setText(tr("Searched in this order: %1").arg(where.join(QStringLiteral("; "))));
    for (int r = 0; r < static_cast<int>(rows_.size()); ++r) {
        rows_[r].location = locateDataset(rows_[r].id.toStdString(), roots_);
        updateRow(r);
    }
    updateButtons();
    fitTableHeight();
    const QString id = selectedId();
    if (!id.isEmpty()) showSamplesFor(id);
}

void DatasetsWindow::fitTableHeight() {
    // A handful of rows: show them all, whatever else the window shows.
    table_->resizeRowsToContents();
    int h = table_->horizontalHeader()->sizeHint().height() + 2 * table_->frameWidth();
    for (int r = 0; r < table_->rowCount(); ++r) h += table_->rowHeight(r);
    table_->setFixedHeight(h);
}

int DatasetsWindow::rowOf(const QString& id) const {
    for (int r = 0; r < static_cast<int>(rows_.size()); ++r)
        if (rows_[r].id == id) return r;
    return -1;
}

const DatasetsWindow::Row* DatasetsWindow::rowFor(const QString& id) const {
    const int r = rowOf(id);
    return r < 0 ? nullptr : &rows_[r];
}

void DatasetsWindow::updateRow(int r) {
    const Row& row = rows_[r];
    auto set = [&](int column, const QString& text, const QString& tip = {}) {
        QTableWidgetItem* item = table_->item(r, column);
        if (!item) {
            item = new QTableWidgetItem;
            table_->setItem(r, column, item);
        }
        item->setText(text);
        item->setToolTip(tip.isEmpty() ? text : tip);
        if (column == kSizeOnDisk || column == kDownloadSize)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    };
    const DatasetSpec& spec = *row.spec;
    set(kName, qs(spec.title),
        tr("%1 (id “%2”): %3 training and %4 test images of %5×%6, %7 classes")
            .arg(qs(spec.title), row.id, withThousands(spec.trainCount),
                 withThousands(spec.testCount))
            .arg(spec.height)
            .arg(spec.width)
            .arg(spec.classNames.size()));
    QString status;
    if (row.id == downloading_)
        status =
            downloadPercent_ >= 0 ? tr("downloading %1%").arg(downloadPercent_) : tr("downloading");
    else
        status = row.location ? tr("present") : tr("absent");
    set(kStatus, status);
    if (row.location) {
        const DatasetLocation& loc = *row.location;
        const QString path = QDir::toNativeSeparators(qs(loc.path.string()));
        set(kWhere, tr("%1 (%2)").arg(path, qs(loc.root.origin)),
            tr("%1\n%2, found under %3 (%4)")
                .arg(path, qs(loc.detail), qs(loc.root.path.string()), qs(loc.root.origin)));
        set(kSizeOnDisk, formatBytes(loc.bytes));
    } else {
        QStringList searched, names;
        for (const SearchRoot& root : roots_) searched << qs(root.path.string());
        for (const std::string& n : spec.folderNames) names << qs(n);
        set(kWhere, tr("not found"),
            tr("Looked for the folders %1 in:\n%2")
                .arg(names.join(QStringLiteral(", ")), searched.join(QLatin1Char('\n'))));
        set(kSizeOnDisk, QStringLiteral("–"), tr("not on disk"));
    }
    set(kDownloadSize,
        spec.downloads.empty() ? QStringLiteral("–") : formatBytes(spec.downloadBytes()));
}

void DatasetsWindow::updateButtons() {
    for (int r = 0; r < static_cast<int>(rows_.size()); ++r) {
        const Row& row = rows_[r];
        auto* button = qobject_cast<QPushButton*>(table_->cellWidget(r, kAction));
        // Only absent datasets get a Download button. (The view shows every index widget of
        // a visible row, so a button is removed rather than hidden.)
        if (row.location) {
            if (button) table_->removeCellWidget(r, kAction);
            continue;
        }
        if (!button) {
            button = new QPushButton(tr("Download"), table_);
            button->setObjectName(QStringLiteral("download:") + row.id);
            button->setAutoDefault(false);
            const QString id = row.id;
            connect(button, &QPushButton::clicked, this, [this, id] { requestDownload(id); });
            table_->setCellWidget(r, kAction, button);
        }
        const bool canDownload = !row.spec->downloads.empty();
        button->setEnabled(canDownload && downloading_.isEmpty());
        button->setToolTip(
            canDownload
                ? tr("Download %1 (%2) from %3 into %4, verified with SHA-256")
                      .arg(qs(row.spec->title), formatBytes(row.spec->downloadBytes()),
                           QUrl(qs(row.spec->downloads.front().url)).host(), downloadFolder(row.id))
                : tr("%1 has no known download address").arg(qs(row.spec->title)));
    }
    importButton_->setEnabled(!importing_);
    openFolderButton_->setEnabled(!selectedId().isEmpty());
}

QString DatasetsWindow::selectedId() const {
    const QList<QTableWidgetItem*> items = table_->selectedItems();
    if (items.isEmpty()) return {};
    const int r = items.front()->row();
    return r >= 0 && r < static_cast<int>(rows_.size()) ? rows_[r].id : QString();
}

void DatasetsWindow::selectDataset(const QString& id) {
    const int r = rowOf(id);
    if (r < 0) return;
    table_->selectRow(r);
    table_->setCurrentCell(r, kName);
}

void DatasetsWindow::onSelectionChanged() {
    updateButtons();
    const QString id = selectedId();
    if (!id.isEmpty()) showSamplesFor(id);
}

QString DatasetsWindow::statusText(const QString& id) const {
    const int r = rowOf(id);
    const QTableWidgetItem* item = r < 0 ? nullptr : table_->item(r, kStatus);
    return item ? item->text() : QString();
}

QString DatasetsWindow::whereText(const QString& id) const {
    const int r = rowOf(id);
    const QTableWidgetItem* item = r < 0 ? nullptr : table_->item(r, kWhere);
    return item ? item->text() : QString();
}

QString DatasetsWindow::progressText() const {
    return downloadBox_->isHidden() ? QString() : downloadText_->text();
}

QString DatasetsWindow::messageText() const {
    return message_->text();
}

void DatasetsWindow::setMessage(const QString& text, bool error) {
    message_->setText(text);
    // Okabe–Ito vermillion reads on light and dark backgrounds alike.
    message_->setStyleSheet(error ? QStringLiteral("color: #d55e00;") : QString());
    message_->setVisible(!text.isEmpty());
}

// --- samples -------------------------------------------------------------------------------

void DatasetsWindow::showPlaceholder(const QString& text) {
    auto* label = new QLabel(text);
    label->setObjectName(QStringLiteral("samplesPlaceholder"));
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    samplesArea_->setWidget(label);  // deletes the previous contents
    sampleCount_ = 0;
    shownKey_.clear();
}

void DatasetsWindow::showSamplesFor(const QString& id) {
    const Row* row = rowFor(id);
    if (!row) return;
    const DatasetSpec& spec = *row->spec;
    if (!row->location) {
        samplesBox_->setTitle(tr("Samples"));
        QString text = tr("%1 is not present.").arg(qs(spec.title));
        if (!spec.downloads.empty())
            text += QLatin1Char(' ') + tr("Download it (%1), or import it from a file or folder.")
                                           .arg(formatBytes(spec.downloadBytes()));
        else
            text += QLatin1Char(' ') + tr("Import it from a file or folder.");
        if (const Row* sub = rowFor(qs(spec.substitute)); sub && sub->location)
            text += QLatin1Char(' ') +
                    tr("%1 is present and can stand in for it.").arg(qs(sub->spec->title));
        showPlaceholder(text);
        return;
    }
    const QString key = cacheKey(*row->location);
    if (key == shownKey_) return;
    if (auto it = sampleCache_.find(key); it != sampleCache_.end()) {
        showSamples(*it->second);
        return;
    }
    samplesBox_->setTitle(tr("Samples of %1").arg(qs(spec.title)));
    showPlaceholder(
        tr("Loading %1 from %2…")
            .arg(qs(spec.title), QDir::toNativeSeparators(qs(row->location->path.string()))));
    if (!loadingKey_.isEmpty()) return;  // one load at a time; this one follows when it ends

    loadingKey_ = key;
    auto result = std::make_shared<Samples>();
    result->key = key;
    result->id = id;
    result->title = qs(spec.title);
    result->source = qs(row->location->path.string());
    const DatasetLocation location = *row->location;
    runInWorker(
        [result, location] {
            try {
                const RawDataset data = loadRawDataset(location);
                const RawImages& split = data.test.n > 0 ? data.test : data.train;
                result->split = data.test.n > 0 ? QStringLiteral("test") : QStringLiteral("train");
                result->trainCount = data.train.n;
                result->testCount = data.test.n;
                result->channels = static_cast<int>(split.c);
                result->height = static_cast<int>(split.h);
                result->width = static_cast<int>(split.w);
                for (const auto& n : split.classNames) result->classNames << qs(n);
                result->tiles.resize(split.classNames.size());
                result->indices.resize(split.classNames.size());
                std::size_t full = 0;
                for (std::int64_t i = 0; i < split.n && full < result->tiles.size(); ++i) {
                    const auto label = static_cast<std::size_t>(split.labels[i]);
                    if (label >= result->tiles.size() ||
                        result->tiles[label].size() >= kSamplesPerClass)
                        continue;
                    result->tiles[label].push_back(scaledTile(toImage(split, i)));
                    result->indices[label].push_back(i);
                    if (result->tiles[label].size() == kSamplesPerClass) ++full;
                }
            } catch (const std::exception& e) {
                result->error = QString::fromUtf8(e.what());
            } catch (...) {
                result->error = tr("unknown error");
            }
        },
        [this, result] {
            sampleCache_[result->key] = result;
            loadingKey_.clear();
            const QString id = selectedId();
            const Row* row = rowFor(id);
            if (row && row->location && cacheKey(*row->location) == result->key)
                showSamples(*result);
            else if (!id.isEmpty())
                showSamplesFor(id);  // the selection moved on while this one loaded
        });
}

void DatasetsWindow::showSamples(const Samples& s) {
    if (!s.error.isEmpty()) {
        samplesBox_->setTitle(tr("Samples of %1").arg(s.title));
        showPlaceholder(tr("%1 could not be loaded: %2").arg(s.title, s.error));
        setMessage(tr("%1 could not be loaded: %2").arg(s.title, s.error), true);
        return;
    }
    samplesBox_->setTitle(
        tr("Samples of %1: the first %2 %3 images of each class (%4 train / %5 test images, "
           "%6×%7 %8)")
            .arg(s.title)
            .arg(kSamplesPerClass)
            .arg(s.split, withThousands(s.trainCount), withThousands(s.testCount))
            .arg(s.height)
            .arg(s.width)
            .arg(s.channels == 3 ? tr("colour") : tr("grey")));

    auto* grid = new QWidget;
    grid->setObjectName(QStringLiteral("samplesGrid"));
    auto* layout = new QGridLayout(grid);
    layout->setHorizontalSpacing(4);
    layout->setVerticalSpacing(4);
    int count = 0;
    for (std::size_t c = 0; c < s.tiles.size(); ++c) {
        const int row = static_cast<int>(c);
        auto* name = new QLabel(s.classNames.value(row), grid);
        name->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        layout->addWidget(name, row, 0);
        if (s.tiles[c].empty()) {
            auto* none = new QLabel(tr("no %1 images").arg(s.split), grid);
            none->setEnabled(false);
            layout->addWidget(none, row, 1, 1, kSamplesPerClass);
        }
        for (std::size_t k = 0; k < s.tiles[c].size(); ++k) {
            auto* tile = new QLabel(grid);
            tile->setObjectName(QStringLiteral("sampleTile"));
            tile->setPixmap(QPixmap::fromImage(s.tiles[c][k]));
            tile->setFixedSize(s.tiles[c][k].size());
            tile->setToolTip(
                tr("%1 · %2 image #%3").arg(s.classNames.value(row), s.split).arg(s.indices[c][k]));
            layout->addWidget(tile, row, 1 + static_cast<int>(k));
            ++count;
        }
    }
    layout->setColumnStretch(kSamplesPerClass + 1, 1);
    layout->setRowStretch(static_cast<int>(s.tiles.size()), 1);
    samplesArea_->setWidget(grid);
    sampleCount_ = count;
    shownKey_ = s.key;
}

// --- download ------------------------------------------------------------------------------

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
        parts << tr("%1 left").arg(formatDuration(etaSeconds));
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

// --- import, open folder -------------------------------------------------------------------

void DatasetsWindow::chooseImport(bool folder) {
    const QString id = selectedId();
    const Row* row = rowFor(id);
    if (!row) {
        setMessage(tr("Select the dataset to import first."), true);
        return;
    }
    const QString title = qs(row->spec->title);
    const QString start = QDir::homePath();
    const QString source =
        folder ? QFileDialog::getExistingDirectory(this, tr("Import %1 from a folder").arg(title),
                                                   start)
               : QFileDialog::getOpenFileName(this, tr("Import %1 from a file").arg(title), start,
                                              tr("Archives (*.tar.gz *.tgz);;All files (*)"));
    if (!source.isEmpty()) importFrom(id, source);
}

void DatasetsWindow::importFrom(const QString& id, const QString& source) {
    const Row* row = rowFor(id);
    if (!row || importing_) return;
    importing_ = true;
    updateButtons();
    const QString title = qs(row->spec->title);
    setMessage(tr("Importing %1 from %2 (checking that it loads)…")
                   .arg(title, QDir::toNativeSeparators(source)),
               false);
    struct Outcome {
        QString path, detail, error;  ///< detail: what was done (copied, or linked to where)
    };
    auto outcome = std::make_shared<Outcome>();
    const std::string idStd = id.toStdString();
    const fs::path from = source.toStdString();
    runInWorker(
        [outcome, idStd, from] {
            try {
                const DatasetLocation loc = importDataset(idStd, from);
                outcome->path = qs(loc.path.string());
                outcome->detail = qs(loc.detail);
            } catch (const std::exception& e) {
                outcome->error = QString::fromUtf8(e.what());
            } catch (...) {
                outcome->error = tr("unknown error");
            }
        },
        [this, outcome, id, title, source] {
            importing_ = false;
            refresh();
            if (outcome->error.isEmpty()) {
                // The catalog's own account: an image folder is linked, not copied, and the
                // user must keep its source.
                setMessage(
                    tr("Imported %1 into %2 (%3)")
                        .arg(title, QDir::toNativeSeparators(outcome->path), outcome->detail),
                    false);
                selectDataset(id);
                emit datasetImported(id, outcome->path);
            } else {
                setMessage(tr("Could not import %1 from %2: %3")
                               .arg(title, QDir::toNativeSeparators(source), outcome->error),
                           true);
            }
        });
}

void DatasetsWindow::openFolder() {
    const Row* row = rowFor(selectedId());
    if (!row) return;
    QString folder;
    if (row->location) {
        const fs::path p = row->location->path;
        std::error_code ec;
        folder = qs((fs::is_directory(p, ec) ? p : p.parent_path()).string());
    } else {
        std::string why;
        folder = qs(userDataDir(&why).string());
        if (folder.isEmpty()) {
            setMessage(qs(why), true);
            return;
        }
        if (!QDir().mkpath(folder)) {
            setMessage(tr("Cannot create the folder %1").arg(folder), true);
            return;
        }
    }
    if (!QDesktopServices::openUrl(QUrl::fromLocalFile(folder)))
        setMessage(tr("No file manager could open %1").arg(QDir::toNativeSeparators(folder)), true);
}

void DatasetsWindow::runInWorker(std::function<void()> work, std::function<void()> done) {
    QThread* thread = QThread::create(std::move(work));
    workers_.push_back(thread);
    // Queued to this (GUI) thread; never runs once the window is gone.
    connect(thread, &QThread::finished, this, [this, thread, done = std::move(done)] {
        workers_.removeOne(thread);
        thread->deleteLater();
        done();
    });
    thread->start();
}

}  // namespace trainlab
