#include "compare_window.h"

#include <QComboBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent>
#include <algorithm>
#include <exception>

#include "summary_panel.h"
#include "sweep_task_model.h"

namespace trainlab {

/// What one pass of the worker read.
struct CompareLoaded {
    std::optional<SweepStatus> status;
    Reload reload;
    std::string error;
};

namespace {

constexpr int kPollMs = 2000;     // the fallback when the file system sends no word (NFS)
constexpr int kDebounceMs = 250;  // a burst of folder changes is read once

std::vector<std::string> withoutSeed(const std::vector<std::string>& keys) {
    std::vector<std::string> out;
    for (const std::string& k : keys)
        if (k != "seed") out.push_back(k);
    return out;
}

}  // namespace

CompareWindow::CompareWindow(QWidget* parent) : QMainWindow(parent) {
    setObjectName(QStringLiteral("compareWindow"));
    watcher_ = new QFutureWatcher<std::shared_ptr<Loaded>>(this);
    connect(watcher_, &QFutureWatcherBase::finished, this, &CompareWindow::applyReload);
    bandWatcher_ = new QFutureWatcher<std::shared_ptr<BandsResult>>(this);
    connect(bandWatcher_, &QFutureWatcherBase::finished, this, &CompareWindow::applyBandsResult);
}

CompareWindow::~CompareWindow() {
    // The reader holds copies only: its result is dropped with the watcher. The band worker
    // reads entries_: wait for it.
    watcher_->disconnect(this);
    bandWatcher_->disconnect(this);
    bandWatcher_->waitForFinished();
}

bool CompareWindow::isBusy() const {
    return watcher_->isRunning() || bandWatcher_->isRunning() || deferred_ || bandsPending_;
}

void CompareWindow::scheduleBands(const std::vector<std::size_t>& changed) {
    bandsDirty_.resize(entries_.size(), false);
    for (std::size_t i : changed)
        if (i < bandsDirty_.size()) bandsDirty_[i] = true;
    if (bandWatcher_->isRunning()) {
        bandsPending_ = true;
        return;
    }
    startBands();
}

void CompareWindow::startBands() {
    bandsPending_ = false;
    if (mode_ == BandMode::Individual ||
        std::none_of(bandsDirty_.begin(), bandsDirty_.end(), [](bool b) { return b; })) {
        emit bandsApplied();
        return;
    }
    std::vector<bool> flags(entries_.size(), false);
    flags.swap(bandsDirty_);
    const int generation = bandGeneration_;
    const PlotLayout layout = plots_->layout();
    const PlotChoice choice = plots_->choice();
    const std::vector<CompareEntry>* entries = &entries_;  // not written until this ends
    bandWatcher_->setFuture(QtConcurrent::run([=] {
        auto out = std::make_shared<BandsResult>();
        out->generation = generation;
        out->bands = ComparePlots::computeBands(layout, choice, *entries, flags);
        return out;
    }));
}

void CompareWindow::applyBandsResult() {
    const std::shared_ptr<BandsResult> result = bandWatcher_->result();
    if (result->generation == bandGeneration_) {  // else the groups changed meanwhile
        plots_->applyBands(result->bands);
        emit bandsApplied();
    }
    if (deferred_) {
        std::shared_ptr<Loaded> loaded;
        loaded.swap(deferred_);
        applyLoaded(loaded);  // may start the next bands
    }
    if (bandsPending_ && !bandWatcher_->isRunning()) startBands();
}

CompareWindow* CompareWindow::createForRuns(const QStringList& runDirs, QWidget* parent,
                                            QString* error) {
    auto fail = [&](const QString& why) {
        if (error) *error = why;
        return nullptr;
    };
    if (runDirs.size() < 2) return fail(tr("Select two or more runs to compare."));
    std::vector<RunHeader> headers;
    for (const QString& d : runDirs) {
        try {
            headers.push_back(readRunHeader(fs::path(d.toStdString())));
        } catch (const std::exception& e) {
            return fail(tr("Cannot compare %1: it is not a readable run (%2).")
                            .arg(d, QString::fromUtf8(e.what())));
        }
    }
    if (const std::string why = kindMismatch(headers); !why.empty())
        return fail(QString::fromStdString(why));
    auto* w = new CompareWindow(parent);
    std::vector<const PlotLayout*> layouts;
    for (RunHeader& h : headers) {
        w->runDirs_.push_back(h.dir);
        CompareEntry e;
        e.name = h.dir.filename().string();
        e.settings = h.settings;
        w->entries_.push_back(std::move(e));
        layouts.push_back(&h.layout);
    }
    w->layout_ = mergedLayout(layouts);
    w->legendKeys_ = differingKeys(w->entrySettings());
    w->groupKeys_ = withoutSeed(w->legendKeys_);
    w->mode_ = BandMode::Individual;
    w->setWindowTitle(tr("Compare %1 runs of %2")
                          .arg(headers.size())
                          .arg(QString::fromStdString(headers.front().presetId)));
    w->buildUi();
    w->startWatching();
    return w;
}

CompareWindow* CompareWindow::createForSweep(const QString& sweepDir, QWidget* parent,
                                             QString* error) {
    std::optional<SweepFolder> folder;
    try {
        folder = SweepFolder::open(fs::path(sweepDir.toStdString()));
    } catch (const std::exception& e) {
        if (error)
            *error = tr("Cannot open the sweep %1: %2").arg(sweepDir, QString::fromUtf8(e.what()));
        return nullptr;
    }
    auto* w = new CompareWindow(parent);
    w->sweep_ = std::move(folder);
    const SweepRecord& record = w->sweep_->record();
    for (const SweepTask& t : record.tasks) {
        CompareEntry e;
        e.name = t.name;
        for (const auto& [key, value] : t.settings) e.settings.emplace_back(key, settingValueText(value));
        w->entries_.push_back(std::move(e));
    }
    // The layout of the kind, from the first task that has a run (later ones add theirs).
    for (const SweepTask& t : record.tasks) {
        const auto runs = w->sweep_->taskRuns(t.index);
        if (runs.empty()) continue;
        try {
            w->layout_ = RunDirectory(runs.back()).readLayout();
            break;
        } catch (const std::exception&) {
            continue;  // a damaged run: the next task's
        }
    }
    w->legendKeys_ = differingKeys(w->entrySettings());
    w->groupKeys_ = withoutSeed(w->legendKeys_);
    w->mode_ = BandMode::MeanStd;
    w->setWindowTitle(tr("Sweep %1 \u2014 %2 tasks of %3")
                          .arg(QString::fromStdString(w->sweep_->path().filename().string()))
                          .arg(record.tasks.size())
                          .arg(QString::fromStdString(record.preset.id)));
    w->buildUi();
    w->startWatching();
    return w;
}

CompareWindow* CompareWindow::compareRuns(const QStringList& runDirs, QWidget* parent) {
    QString error;
    CompareWindow* w = createForRuns(runDirs, parent, &error);
    if (!w) {
        QMessageBox::warning(parent, tr("Compare runs"), error);
        return nullptr;
    }
    w->setAttribute(Qt::WA_DeleteOnClose);
    w->show();
    return w;
}

CompareWindow* CompareWindow::openSweep(const QString& sweepDir, QWidget* parent) {
    QString error;
    CompareWindow* w = createForSweep(sweepDir, parent, &error);
    if (!w) {
        QMessageBox::warning(parent, tr("Open sweep"), error);
        return nullptr;
    }
    w->setAttribute(Qt::WA_DeleteOnClose);
    w->show();
    return w;
}

std::vector<Settings> CompareWindow::entrySettings() const {
    std::vector<Settings> out;
    for (const CompareEntry& e : entries_) out.push_back(e.settings);
    return out;
}

void CompareWindow::buildUi() {
    resize(1400, 900);
    plots_ = new ComparePlots;
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setWidget(plots_);
    setCentralWidget(scroll);

    auto* controls = new QDockWidget(tr("Compare"), this);
    controls->setObjectName(QStringLiteral("compareControls"));
    controls->setWidget(buildControls());
    addDockWidget(Qt::LeftDockWidgetArea, controls);

    summary_ = new SummaryPanel;
    auto* summaryDock = new QDockWidget(tr("Summary"), this);
    summaryDock->setObjectName(QStringLiteral("summaryDock"));
    summaryDock->setWidget(summary_);
    addDockWidget(Qt::RightDockWidgetArea, summaryDock);

    QMenu* file = menuBar()->addMenu(tr("&File"));
    if (isSweep()) {
        auto* tasks = new QDockWidget(tr("Tasks"), this);
        tasks->setObjectName(QStringLiteral("taskDock"));
        tasks->setWidget(buildTaskTable());
        addDockWidget(Qt::BottomDockWidgetArea, tasks);
        file->addAction(tr("Export table as CSV\u2026"), this,
                        &CompareWindow::exportTableInteractively);
    }
    file->addAction(tr("Reload"), this, &CompareWindow::reloadNow);
    file->addSeparator();
    file->addAction(tr("Close"), QKeySequence::Close, this, &QWidget::close);
    applyLayoutAndChoice();
}

QWidget* CompareWindow::buildControls() {
    auto* box = new QWidget;
    auto* form = new QVBoxLayout(box);
    form->addWidget(new QLabel(tr("Group by (seeds are averaged over):"), box));
    groupList_ = new QListWidget(box);
    groupList_->setObjectName(QStringLiteral("groupBy"));
    for (const std::string& k : withoutSeed(legendKeys_)) {
        auto* item = new QListWidgetItem(QString::fromStdString(k), groupList_);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        const bool on = std::find(groupKeys_.begin(), groupKeys_.end(), k) != groupKeys_.end();
        item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
    }
    groupList_->setMaximumHeight(140);
    connect(groupList_, &QListWidget::itemChanged, this, [this] {
        std::vector<std::string> keys;
        for (int i = 0; i < groupList_->count(); ++i)
            if (groupList_->item(i)->checkState() == Qt::Checked)
                keys.push_back(groupList_->item(i)->text().toStdString());
        setGroupKeys(keys);
    });
    form->addWidget(groupList_);
    form->addWidget(new QLabel(tr("Each group drawn as:"), box));
    modeBox_ = new QComboBox(box);
    modeBox_->setObjectName(QStringLiteral("bandMode"));
    for (BandMode m : {BandMode::MeanStd, BandMode::Individual, BandMode::MinMax, BandMode::MedianIqr})
        modeBox_->addItem(QString::fromStdString(bandModeName(m)), static_cast<int>(m));
    modeBox_->setCurrentIndex(modeBox_->findData(static_cast<int>(mode_)));
    connect(modeBox_, &QComboBox::currentIndexChanged, this, [this] {
        setBandMode(static_cast<BandMode>(modeBox_->currentData().toInt()));
    });
    form->addWidget(modeBox_);
    form->addWidget(new QLabel(tr("Selected run (heatmaps):"), box));
    runBox_ = new QComboBox(box);
    runBox_->setObjectName(QStringLiteral("selectedRun"));
    for (const CompareEntry& e : entries_)
        runBox_->addItem(QString::fromStdString(ComparePlots::entryLegend(e, legendKeys_)));
    connect(runBox_, &QComboBox::currentIndexChanged, this,
            [this](int i) { setSelectedRun(static_cast<std::size_t>(std::max(0, i))); });
    form->addWidget(runBox_);
    stateLabel_ = new QLabel(tr("Reading the runs\u2026"), box);
    stateLabel_->setWordWrap(true);
    form->addWidget(stateLabel_);
    form->addStretch(1);
    return box;
}

QWidget* CompareWindow::buildTaskTable() {
    auto* box = new QWidget;
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    auto* row = new QHBoxLayout;
    auto* filter = new QLineEdit(box);
    filter->setObjectName(QStringLiteral("taskFilter"));
    filter->setPlaceholderText(tr("Filter tasks (any column)"));
    filter->setClearButtonEnabled(true);
    auto* exportButton = new QPushButton(tr("Export table as CSV\u2026"), box);
    row->addWidget(filter, 1);
    row->addWidget(exportButton);
    v->addLayout(row);
    taskModel_ = new SweepTaskModel(sweep_->record(), this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(taskModel_);
    proxy_->setSortRole(SweepTaskModel::kSortRole);
    proxy_->setFilterKeyColumn(-1);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    table_ = new QTableView(box);
    table_->setObjectName(QStringLiteral("taskTable"));
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(0, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->verticalHeader()->hide();
    v->addWidget(table_);
    connect(filter, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);
    connect(exportButton, &QPushButton::clicked, this, &CompareWindow::exportTableInteractively);
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                const int task = taskModel_->taskOfRow(proxy_->mapToSource(current).row());
                if (task >= 0 && runBox_) runBox_->setCurrentIndex(task);
            });
    return box;
}

void CompareWindow::applyLayoutAndChoice() {
    groups_ = groupRuns(entrySettings(), groupKeys_);
    PlotChoice choice;
    choice.legendKeys = legendKeys_;
    choice.groups = groups_;
    choice.mode = mode_;
    choice.colourByGroup = isSweep();
    choice.selectedRun = selectedRun_;
    plots_->rebuild(layout_, entries_, choice);
    ++bandGeneration_;
    std::vector<std::size_t> all(entries_.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    scheduleBands(all);
    refreshSummary();
}

void CompareWindow::refreshSummary() {
    std::vector<nlohmann::json> results;
    for (const CompareEntry& e : entries_) results.push_back(e.data.results);
    summary_->setRuns(entrySettings(), results, legendKeys_, groupKeys_);
}

void CompareWindow::setGroupKeys(const std::vector<std::string>& keys) {
    groupKeys_ = withoutSeed(keys);
    if (groupList_) {
        const QSignalBlocker block(groupList_);
        for (int i = 0; i < groupList_->count(); ++i) {
            const std::string k = groupList_->item(i)->text().toStdString();
            const bool on = std::find(groupKeys_.begin(), groupKeys_.end(), k) != groupKeys_.end();
            groupList_->item(i)->setCheckState(on ? Qt::Checked : Qt::Unchecked);
        }
    }
    applyLayoutAndChoice();
}

void CompareWindow::setBandMode(BandMode mode) {
    if (mode == mode_) return;
    mode_ = mode;
    if (modeBox_) {
        const QSignalBlocker block(modeBox_);
        modeBox_->setCurrentIndex(modeBox_->findData(static_cast<int>(mode)));
    }
    applyLayoutAndChoice();
}

void CompareWindow::setSelectedRun(std::size_t run) {
    if (run >= entries_.size() || run == selectedRun_) return;
    selectedRun_ = run;
    if (runBox_ && runBox_->currentIndex() != static_cast<int>(run)) {
        const QSignalBlocker block(runBox_);
        runBox_->setCurrentIndex(static_cast<int>(run));
    }
    plots_->selectRun(entries_, run);
}

bool CompareWindow::exportTable(const QString& path, QString* error) const {
    if (!proxy_) {
        if (error) *error = tr("Only a sweep has a task table.");
        return false;
    }
    return exportTableCsv(*proxy_, path, error);
}

void CompareWindow::exportTableInteractively() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export table as CSV"),
                                                      QStringLiteral("tasks.csv"),
                                                      tr("CSV files (*.csv)"));
    if (path.isEmpty()) return;
    QString error;
    if (!exportTable(path, &error)) QMessageBox::warning(this, tr("Export table"), error);
}

void CompareWindow::startWatching() {
    pollTimer_ = new QTimer(this);
    pollTimer_->setInterval(kPollMs);
    connect(pollTimer_, &QTimer::timeout, this, &CompareWindow::startReload);
    pollTimer_->start();
    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(kDebounceMs);
    connect(debounce_, &QTimer::timeout, this, &CompareWindow::startReload);
    if (isSweep()) {
        fsWatcher_ = new QFileSystemWatcher(this);
        fsWatcher_->addPath(QString::fromStdString((sweep_->path() / "tasks").string()));
        connect(fsWatcher_, &QFileSystemWatcher::directoryChanged, debounce_,
                qOverload<>(&QTimer::start));
    }
    startReload();
}

void CompareWindow::reloadNow() { startReload(); }

void CompareWindow::watchTaskFolders() {
    const QStringList watched = fsWatcher_->directories();
    const QSet<QString> known(watched.begin(), watched.end());
    QStringList add;
    for (const SweepTask& t : sweep_->record().tasks) {
        const QString dir = QString::fromStdString(sweep_->taskFolder(t.index).string());
        if (!known.contains(dir) && QFileInfo::exists(dir)) add << dir;  // new attempts appear here
    }
    if (!add.isEmpty()) fsWatcher_->addPaths(add);
}

void CompareWindow::startReload() {
    if (watcher_->isRunning() || deferred_) {
        reloadPending_ = true;  // read again once this pass is applied
        return;
    }
    std::vector<RunFiles> known;
    for (const CompareEntry& e : entries_) known.push_back(filesOf(e.data));
    const int threads = std::max(1, QThread::idealThreadCount());
    std::optional<SweepFolder> sweep = sweep_;
    std::vector<fs::path> dirs = runDirs_;
    watcher_->setFuture(QtConcurrent::run([sweep, dirs, known, threads] {
        auto out = std::make_shared<Loaded>();
        try {
            std::vector<fs::path> paths = dirs;
            if (sweep) {
                out->status = readSweepStatus(*sweep, !sweep->record().submissions.empty());
                paths.clear();
                for (const TaskStatus& t : out->status->tasks) paths.push_back(t.runDir);
            }
            out->reload = reloadRuns(paths, known, threads);
        } catch (const std::exception& e) {
            out->error = e.what();
        }
        return out;
    }));
}

void CompareWindow::applyReload() {
    const std::shared_ptr<Loaded> loaded = watcher_->result();
    if (bandWatcher_->isRunning()) {
        deferred_ = loaded;  // the band worker reads the entries: change them after it
        return;
    }
    applyLoaded(loaded);
}

void CompareWindow::applyLoaded(const std::shared_ptr<Loaded>& loaded) {
    std::vector<std::size_t> changed;
    std::vector<const PlotLayout*> layouts{&layout_};
    bool results = false;
    for (auto& [i, data] : loaded->reload.full) {
        if (i >= entries_.size()) continue;
        entries_[i].data = std::move(data);
        layouts.push_back(&entries_[i].data.layout);
        results = results || !entries_[i].data.results.is_null();
        changed.push_back(i);
    }
    for (auto& [i, data] : loaded->reload.changed) {
        if (i >= entries_.size()) continue;
        results = results || !data.results.is_null();
        mergeRunData(entries_[i].data, std::move(data));
        changed.push_back(i);
    }
    QString state;
    if (loaded->status && taskModel_) {
        taskModel_->setStatus(*loaded->status);
        state = tr("%1 tasks: %2").arg(loaded->status->tasks.size())
                    .arg(QString::fromStdString(sweepStatusSummary(*loaded->status)));
        if (fsWatcher_) watchTaskFolders();
    } else {
        state = tr("%1 runs").arg(entries_.size());
    }
    if (!loaded->error.empty()) state += QStringLiteral("\n") + QString::fromStdString(loaded->error);
    stateLabel_->setText(state);
    const PlotLayout merged = mergedLayout(layouts);
    if (merged.panels.size() != layout_.panels.size() || merged.series.size() != layout_.series.size()) {
        layout_ = merged;
        applyLayoutAndChoice();  // a first run of the kind, or one with more series
    } else if (!changed.empty()) {
        plots_->update(entries_, changed);
        scheduleBands(changed);
        if (results) refreshSummary();
    }
    emit dataLoaded();
    if (reloadPending_) {
        reloadPending_ = false;
        startReload();
    }
}

}  // namespace trainlab
