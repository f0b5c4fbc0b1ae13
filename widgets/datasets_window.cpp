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

#include "dataset_samples.h"

namespace trainlab {

namespace {

enum Column { kName, kStatus, kWhere, kSizeOnDisk, kDownloadSize, kAction, kColumns };

QString qs(const std::string& s) {
    return QString::fromStdString(s);
}

QString cacheKey(const DatasetLocation& loc) {
    return qs(loc.id) + QLatin1Char('|') + QString::fromStdString(loc.path.string());
}

}  // namespace

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
    buildTable();
    buildDownloadBox();
    message_ = new QLabel(this);
    message_->setObjectName(QStringLiteral("datasetMessage"));
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    message_->hide();
    QLayout* buttons = buildButtons();
    buildSamplesBox();

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(rootsLabel_);
    layout->addWidget(table_);
    layout->addWidget(downloadBox_);
    layout->addWidget(message_);
    layout->addLayout(buttons);
    layout->addWidget(samplesBox_, 1);

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

void DatasetsWindow::buildTable() {
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
    connect(table_, &QTableWidget::itemSelectionChanged, this, &DatasetsWindow::onSelectionChanged);
}

void DatasetsWindow::buildDownloadBox() {
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
    connect(cancelButton_, &QPushButton::clicked, this, [this] {
        if (downloading_.isEmpty()) return;
        cancelButton_->setEnabled(false);
        downloadText_->setText(tr("Cancelling…"));
        emit downloadCancelRequested(downloading_);
    });
}

QLayout* DatasetsWindow::buildButtons() {
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

    connect(openFolderButton_, &QPushButton::clicked, this, &DatasetsWindow::openFolder);
    connect(refreshButton_, &QPushButton::clicked, this, [this] {
        // A failed load may have been fixed on disk since: try again.
        for (auto it = sampleCache_.begin(); it != sampleCache_.end();)
            it = it->second->error.isEmpty() ? std::next(it) : sampleCache_.erase(it);
        refresh();
    });
    connect(closeButton, &QPushButton::clicked, this, &QDialog::close);
    return buttons;
}

void DatasetsWindow::buildSamplesBox() {
    samplesBox_ = new QGroupBox(tr("Samples"), this);
    samplesBox_->setObjectName(QStringLiteral("datasetSamples"));
    samplesArea_ = new QScrollArea(samplesBox_);
    samplesArea_->setWidgetResizable(true);
    samplesArea_->setFrameShape(QFrame::NoFrame);
    auto* samplesLayout = new QVBoxLayout(samplesBox_);
    samplesLayout->addWidget(samplesArea_);
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
    auto result = std::make_shared<DatasetSamples>();
    result->key = key;
    result->id = id;
    result->title = qs(spec.title);
    result->source = qs(row->location->path.string());
    const DatasetLocation location = *row->location;
    runInWorker([result, location] { loadDatasetSamples(location, *result); },
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

void DatasetsWindow::showSamples(const DatasetSamples& s) {
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

    int count = 0;
    QWidget* grid = makeSamplesGrid(s, &count);
    samplesArea_->setWidget(grid);
    sampleCount_ = count;
    shownKey_ = s.key;
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
