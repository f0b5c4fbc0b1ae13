#include "main_window.h"

#include <algorithm>
#include <ctime>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QToolBar>
#include <QVBoxLayout>

#include "config_editor.h"
#include "dataset_actions.h"
#include "errors.h"
#include "experiment_view.h"
#include "export_actions.h"
#include "help_menu.h"
#include "history_actions.h"
#include "plot_panel.h"
#include "preset_browser.h"
#include "results_chart.h"
#include "run_control_actions.h"
#include "run_history.h"
#include "text_format.h"
#include "csv.h"
#include "run_listing.h"

namespace trainlab {

namespace {
QString q(const std::string& s) {
    return QString::fromStdString(s);
}

// A run is in progress as far as the window shows: its end has not been shown yet, even when
// the worker has already finished it (its outcome is still queued to this thread).
bool runShownActive(RunPhase p) {
    return runPhaseActive(p);
}
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle("trainlab");
    setObjectName("MainWindow");
    setDockNestingEnabled(true);
    controller_ = new RunController(this);
    presets_ = builtinPresets();

    panelArea_ = new QMainWindow(nullptr);
    panelArea_->setObjectName("PanelArea");
    panelArea_->setDockNestingEnabled(true);
    panelArea_->setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowNestedDocks |
                               QMainWindow::AllowTabbedDocks);
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(4, 4, 4, 4);
    card_ = new QLabel;
    card_->setObjectName("ExpectedCard");
    card_->setWordWrap(true);
    card_->setTextFormat(Qt::RichText);
    card_->setFrameShape(QFrame::StyledPanel);
    card_->setMargin(6);
    layout->addWidget(card_);
    layout->addWidget(panelArea_, 1);
    setCentralWidget(central);
    auto* empty = new QLabel("Pick a preset on the left and press Run (Ctrl+R).");
    empty->setAlignment(Qt::AlignCenter);
    panelArea_->setCentralWidget(empty);

    buildDocks();
    buildActions();

    drainTimer_.setSingleShot(true);
    drainTimer_.setInterval(pacer_.intervalMs());  // paced in drain() (FramePacer)
    connect(&drainTimer_, &QTimer::timeout, this, &MainWindow::drain);

    EngineWorker* w = controller_->worker();
    connect(w, &EngineWorker::runStarted, this,
            [this](const QString& dir, const PlotLayout& layout) {
                runDir_ = dir;
                showLayout(layout);
                if (phase_ == RunPhase::Starting) setPhase(RunPhase::Running);
                log_->appendPlainText("Recording to " + dir);
            });
    connect(w, &EngineWorker::dataAvailable, this, [this] {
        if (!drainTimer_.isActive()) drainTimer_.start();
    });
    connect(w, &EngineWorker::runFinished, this,
            [this](const QString& dir, const QString& headline, bool recordingFailed) {
                finishRun(dir, RunPhase::Finished, headline, recordingFailed);
            });
    connect(w, &EngineWorker::runFailed, this,
            [this](const QString& dir, const QString& message, bool recordingFailed) {
                finishRun(dir, RunPhase::Failed, message, recordingFailed);
            });
    connect(w, &EngineWorker::runCancelled, this, [this](const QString& dir, bool recordingFailed) {
        finishRun(dir, RunPhase::Cancelled, "Cancelled: partial results kept", recordingFailed);
    });

    showPresetList();
    restoreSettings();
    setPhase(RunPhase::Idle);
    browser_->setFocus();  // the preset list (not its filter): Space pauses, Esc stops
}

MainWindow::~MainWindow() = default;

void MainWindow::setRunsRoot(const QString& root) {
    history_->setRunsRoot(root);
}

QString MainWindow::runsRoot() const {
    return history_->runsRoot();
}

void MainWindow::setQuiet(bool quiet) {
    quiet_ = quiet;
    runActions_->setQuiet(quiet);
    datasets_->setQuiet(quiet);
}

void MainWindow::setDataDir(const QString& dir) {
    datasets_->setDataDir(dir);
}

bool MainWindow::exportRunTo(const QString& folder) {
    return exports_->exportRunTo(folder);
}

void MainWindow::showDatasets() {
    datasets_->showDatasets();
}

void MainWindow::buildDocks() {
    browser_ = new PresetBrowser;
    auto* presetDock = new QDockWidget("Presets", this);
    presetDock->setObjectName("PresetsDock");
    presetDock->setWidget(browser_);
    addDockWidget(Qt::LeftDockWidgetArea, presetDock);
    connect(browser_, &PresetBrowser::presetSelected, this, &MainWindow::selectPreset);
    connect(browser_, &PresetBrowser::presetActivated, this, [this](const QString& id) {
        selectPreset(id);
        startRun();
    });

    editor_ = new ConfigEditor;
    auto* settingsDock = new QDockWidget("Settings", this);
    settingsDock->setObjectName("SettingsDock");
    settingsDock->setWidget(editor_);
    addDockWidget(Qt::LeftDockWidgetArea, settingsDock);

    history_ = new HistoryActions(q(defaultRunsRoot(nullptr).string()), this);  // none: main()
    auto* historyDock = new QDockWidget("Run history", this);                   // refuses to start
    historyDock->setObjectName("HistoryDock");
    historyDock->setWidget(history_->widget());
    addDockWidget(Qt::BottomDockWidgetArea, historyDock);
    connect(history_, &HistoryActions::openRequested, this, &MainWindow::openRun);

    resultsChart_ = new ResultsChart;
    auto* resultsDock = new QDockWidget("Results", this);
    resultsDock->setObjectName("ResultsDock");
    resultsDock->setWidget(resultsChart_);
    addDockWidget(Qt::BottomDockWidgetArea, resultsDock);

    log_ = new QPlainTextEdit;
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(5000);
    auto* logDock = new QDockWidget("Log", this);
    logDock->setObjectName("LogDock");
    logDock->setWidget(log_);
    addDockWidget(Qt::BottomDockWidgetArea, logDock);
    tabifyDockWidget(historyDock, resultsDock);
    tabifyDockWidget(resultsDock, logDock);
    historyDock->raise();
    // Initial proportions (a saved layout, restored later, takes precedence).
    QTimer::singleShot(0, this, [this, presetDock, settingsDock, historyDock] {
        if (QSettings().contains("window/state")) return;
        resizeDocks({presetDock}, {340}, Qt::Horizontal);
        resizeDocks({historyDock}, {170}, Qt::Vertical);
        resizeDocks({presetDock, settingsDock}, {330, 560}, Qt::Vertical);
    });

    progress_ = new QProgressBar;
    progress_->setRange(0, 1000);
    progress_->setMaximumWidth(260);
    progress_->setTextVisible(true);
    statusLabel_ = new QLabel;
    etaLabel_ = new QLabel;
    statusBar()->addWidget(statusLabel_, 1);
    statusBar()->addPermanentWidget(etaLabel_);
    statusBar()->addPermanentWidget(progress_);
}

void MainWindow::buildActions() {
    auto* file = menuBar()->addMenu("&File");
    auto* openPreset =
        file->addAction("Open preset file…", this, &MainWindow::loadPresetFileInteractive);
    openPreset->setShortcut(QKeySequence::Open);
    history_->addOpenTo(file);
    auto report = [this](const QString& title, const QString& text, bool error) {
        if (title.isEmpty())
            log_->appendPlainText(text);
        else
            this->report(title, text, error);
    };
    exports_ = new ExportActions(file, this, resultsChart_, report, [this] { return runDir_; });
    history_->addShowFolderTo(file);
    file->addSeparator();
    auto* quit = file->addAction("&Quit", this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setShortcut(QKeySequence("Ctrl+Q"));

    runActions_ = new RunControlActions(menuBar()->addMenu("&Run"), this);
    connect(runActions_, &RunControlActions::runTriggered, this, &MainWindow::startRun);
    connect(runActions_, &RunControlActions::pauseTriggered, this, &MainWindow::togglePause);
    connect(runActions_, &RunControlActions::stopTriggered, this, &MainWindow::stopRun);

    auto* view = menuBar()->addMenu("&View");
    for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());
    view->addSeparator();
    view->addAction("Reset panel views", this, [this] {
        if (view_)
            for (PlotPanel* p : view_->panels()) p->resetView();
    });

    auto* data = menuBar()->addMenu("&Data");
    auto* datasetsAct = data->addAction("&Datasets…", this, &MainWindow::showDatasets);
    datasetsAct->setShortcut(QKeySequence("Ctrl+D"));
    datasets_ = new DatasetActions(this, report, [this](const QString& line) {
        log_->appendPlainText(line);
    });

    addHelpMenu(menuBar()->addMenu("&Help"), this);

    auto* bar = addToolBar("Run");
    bar->setObjectName("RunToolBar");
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    runActions_->addTo(bar);
    bar->addSeparator();
    bar->addAction(exports_->exportRunAction());
}

void MainWindow::showPresetList() {
    QVector<PresetEntry> entries;
    for (const auto& p : presets_)
        entries.push_back({q(p.id), q(p.title), q(p.group), q(p.description), q(p.expected)});
    browser_->setPresets(entries);
}

const Preset* MainWindow::findPreset(const QString& id) const {
    for (const auto& p : presets_)
        if (q(p.id) == id) return &p;
    return nullptr;
}

bool MainWindow::selectPreset(const QString& id) {
    const Preset* p = findPreset(id);
    if (!p) return false;
    currentPresetId_ = id;
    if (browser_->currentPresetId() != id) browser_->selectPreset(id);
    const ExperimentKind* kind = findExperimentKind(p->kind);
    if (kind) editor_->setSchema(kind->schema(p->config), p->config);
    if (phase_ == RunPhase::Idle) updateCard({});
    return true;
}

void MainWindow::updateCard(const QString& measured) {
    const Preset* p = findPreset(runPresetId_.isEmpty() ? currentPresetId_ : runPresetId_);
    if (!p) {
        card_->setText("No preset selected.");
        return;
    }
    QString html = "<b>" + q(p->title).toHtmlEscaped() + "</b><br><i>Expected:</i> " +
                   q(p->expected).toHtmlEscaped();
    if (!measured.isEmpty()) html += "<br><i>Measured:</i> " + measured.toHtmlEscaped();
    card_->setText(html);
}

void MainWindow::setPhase(RunPhase p) {
    phase_ = p;
    const bool active = runPhaseActive(p);
    runActions_->showPhase(p);
    exports_->exportRunAction()->setEnabled(view_ != nullptr);
    statusLabel_->setText(runPhaseName(p) + (runDir_.isEmpty() ? QString() : "  —  " + runDir_));
    if (!active) etaLabel_->clear();
    emit phaseChanged(p);
}

void MainWindow::startRun() {
    if (controller_->isBusy() || runShownActive(phase_)) return;
    const Preset* p = findPreset(currentPresetId_);
    if (!p) {
        report("No preset", "Select a preset first.", true);
        return;
    }
    const QStringList errors = editor_->validationErrors();
    if (!errors.isEmpty()) {
        report("Invalid settings", "These settings are invalid:\n  " + errors.join("\n  "), true);
        return;
    }
    RunRequest request;
    request.preset = *p;
    request.config = editor_->config();
    request.runsRoot = runsRoot().toStdString();
    request.threads = 1;
    const auto problems = validateExperimentConfig(p->kind, request.config);
    if (!problems.empty()) {
        QStringList list;
        for (const auto& m : problems) list << q(m);
        report("Invalid settings", "These settings are invalid:\n  " + list.join("\n  "), true);
        return;
    }
    request.dataDir = datasets_->dataDir().toStdString();
    if (!datasets_->confirmDatasets(request)) return;
    runPresetId_ = currentPresetId_;
    runDir_.clear();
    selectedRun_ = 0;
    clearPanels();
    updateCard("running…");
    log_->appendPlainText(QDateTime::currentDateTime().toString(Qt::ISODate) + "  starting " +
                          q(p->title));
    progress_->setValue(0);
    progress_->setFormat(QStringLiteral("%p%"));
    pacer_.reset();
    drainTimer_.setInterval(pacer_.intervalMs());
    setPhase(RunPhase::Starting);
    if (!controller_->start(request)) setPhase(RunPhase::Idle);
}

void MainWindow::togglePause() {
    if (phase_ == RunPhase::Running) {
        controller_->setPaused(true);
        setPhase(RunPhase::Paused);
    } else if (phase_ == RunPhase::Paused) {
        controller_->setPaused(false);
        setPhase(RunPhase::Running);
    }
}

void MainWindow::stopRun() {
    if (!controller_->isBusy()) return;
    controller_->requestStop();
    setPhase(RunPhase::Stopping);
}

void MainWindow::clearPanels() {
    for (QDockWidget* d : panelDocks_) {
        panelArea_->removeDockWidget(d);
        d->setWidget(nullptr);
        d->deleteLater();
    }
    panelDocks_.clear();
    if (view_)
        for (PlotPanel* p : view_->panels()) p->deleteLater();
    view_.reset();
    exports_->setView(nullptr);
}

void MainWindow::showLayout(const PlotLayout& layout) {
    clearPanels();
    runSelection_.clear();
    view_ = std::make_unique<ExperimentView>(layout, nullptr);
    QDockWidget* previous = nullptr;
    int index = 0;
    for (PlotPanel* panel : view_->panels()) {
        auto* dock = new QDockWidget(q(panel->spec().title), panelArea_);
        dock->setObjectName("panel_" + q(panel->spec().id));
        dock->setWidget(panel);
        dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
        if (!previous)
            panelArea_->addDockWidget(Qt::TopDockWidgetArea, dock);
        else
            panelArea_->splitDockWidget(previous, dock,
                                        index % 2 == 1 ? Qt::Horizontal : Qt::Vertical);
        previous = dock;
        panelDocks_.push_back(dock);
        ++index;
    }
    if (auto* c = panelArea_->centralWidget()) c->hide();
    exports_->setView(view_.get());
    for (PlotPanel* panel : view_->panels()) {
        connect(panel, &PlotPanel::pointClicked, this,
                [this](const QString& id, int index, const QString&) { showRunDetail(id, index); });
        pacer_.watch(panel->plot());  // the replots' CPU time, for the pacing in drain()
    }
    // Share the space: the first panel on the left half, the others stacked on the right.
    if (panelDocks_.size() >= 2) {
        const int w = std::max(400, panelArea_->width());
        panelArea_->resizeDocks({panelDocks_[0], panelDocks_[1]}, {w / 2, w / 2}, Qt::Horizontal);
    }
}

void MainWindow::showRunDetail(const QString& seriesId, int pointIndex) {
    const int run = runSelection_.runOf(seriesId.toStdString(), pointIndex);
    if (run > 0) showRun(run);
}

void MainWindow::showRun(int run) {
    if (!view_ || runDir_.isEmpty() || run < 1) return;
    try {
        RunDirectory dir(runDir_.toStdString());
        const auto shown = PerRunSelection::perRunSeries(dir, dir.readLayout(), run);
        for (const auto& [id, data] : shown) view_->replace(id, data.x, data.y);
        if (!shown.empty()) {
            view_->refresh();
            statusLabel_->setText(QString("Showing run %1 in the per-run panels").arg(run));
            selectedRun_ = run;
        }
    } catch (const std::exception& e) {
        log_->appendPlainText(QString("Cannot show run %1: %2").arg(run).arg(e.what()));
    }
}

void MainWindow::drain() {
    pacer_.beginFrame();
    PendingData data = controller_->worker()->takePending();
    if (view_) {
        for (const auto& [id, s] : data.appended) view_->append(id, s.x, s.y);
        for (const auto& [id, s] : data.replaced) {
            // While the user looks at a chosen run, live "latest run" curves do not replace it.
            const SeriesSpec* spec = view_->layout().findSeries(id);
            if (selectedRun_ > 0 && spec && spec->perRun) continue;
            view_->replace(id, s.x, s.y);
        }
        for (const auto& [id, labels] : data.labels) view_->setLabels(id, labels);
        for (auto& [id, runs] : data.pointRuns) runSelection_.setPointRuns(id, std::move(runs));
        for (const auto& [id, grid] : data.grids) view_->setGrid(id, grid);
        view_->refresh();
    }
    for (const auto& line : data.log) log_->appendPlainText(q(line));
    if (data.progress >= 0) {
        progress_->setValue(static_cast<int>(data.progress * 1000));
        progress_->setFormat(QString("%1%").arg(data.progress * 100, 0, 'f', 1));
        const double elapsed = runActions_->runningMs() / 1000.0;  // pauses not counted
        const double eta =
            data.progress > 0.001 ? elapsed * (1 - data.progress) / data.progress : -1;
        etaLabel_->setText(q(data.progressMessage) + "   elapsed " + q(formatDuration(elapsed)) +
                           "   ETA " + q(formatDuration(eta)));
    }
    // Frame pacing: the next drain waits long enough for the drawing (this drain and the
    // replots) to stay within FramePacer::kDrawCpuShare of a core.
    drainTimer_.setInterval(pacer_.endFrame());
}

void MainWindow::finishRun(const QString& runDir, RunPhase phase, const QString& message,
                           bool recordingFailed) {
    drainTimer_.stop();
    drain();
    if (!runDir.isEmpty()) runDir_ = runDir;
    if (phase == RunPhase::Finished) {
        progress_->setValue(1000);
        progress_->setFormat(QStringLiteral("100%"));
    }
    log_->appendPlainText(runPhaseName(phase) + ": " + message);
    if (view_ && !runDir_.isEmpty()) {
        QString error;
        if (recordingFailed)  // a full disk …: nothing more is written into the run folder
            error = "the run folder could not be written to: " + message;
        else  // into plots/, refused when that is a link (a run folder from elsewhere)
            view_->exportToRun(RunDirectory(runDir_.toStdString()), &error);
        if (!error.isEmpty()) log_->appendPlainText("Plots not saved: " + error);
    }
    setPhase(phase);
    updateCard(phase == RunPhase::Finished ? message : runPhaseName(phase) + ": " + message);
    if (!runDir_.isEmpty()) showResults(runDir_);
    history_->reload();
    if (phase == RunPhase::Failed) report("Run failed", message, true);
}

void MainWindow::showResults(const QString& runDir) {
    try {
        RunDirectory dir(runDir.toStdString());
        const auto results = dir.readResults();
        if (!results || !results->contains("models")) return;
        QStringList names;
        QVector<double> values;
        for (const auto& m : (*results)["models"]) {
            if (m.is_null()) continue;
            names << q(m.value("name", std::string("?")));
            values << m.value("final_loss", 0.0);
        }
        resultsChart_->setResults("Final training loss per model", "loss (MSE)", names, values,
                                  true);
    } catch (const std::exception& e) {
        log_->appendPlainText(QString("Results not shown: ") + e.what());
    }
}

void MainWindow::openRun(const QString& runDir) {
    if (controller_->isBusy() || runShownActive(phase_)) {
        report("Run in progress", "Stop the current run before reopening another.", false);
        return;
    }
    try {
        RunDirectory dir(runDir.toStdString());
        const PlotLayout layout = dir.readLayout();
        const auto config = dir.readConfig();
        const RunStatus status = dir.readStatus();
        showLayout(layout);
        try {
            view_->loadFromRun(dir);
        } catch (const DataError& e) {  // a damaged grid file: the other panels are shown
            log_->appendPlainText(QString("Not every plot could be loaded: ") + e.what());
        }
        view_->refresh();
        runDir_ = runDir;
        selectedRun_ = 0;
        try {
            runSelection_.loadFrom(dir, layout);
        } catch (const std::exception& e) {  // a damaged runs file: no per-run detail
            log_->appendPlainText(QString("Runs of the points not read: ") + e.what());
        }
        runPresetId_ = q(config.value("preset_id", std::string()));
        const auto results = dir.readResults();
        QString measured = q(runStateName(status.state));
        if (results)
            measured += ": " + q(results->value("headline", std::string()));
        else if (!status.message.empty())
            measured += ": " + q(status.message);
        setPhase(RunPhase::Idle);
        updateCard(measured);
        showResults(runDir);
        log_->appendPlainText("Reopened " + runDir + " (" + q(runStateName(status.state)) + ")");
    } catch (const std::exception& e) {
        report("Cannot open run", QString("%1: %2").arg(runDir, e.what()), true);
    }
}

void MainWindow::loadPresetFileInteractive() {
    const QString path =
        QFileDialog::getOpenFileName(this, "Open preset", QDir::homePath(), "Presets (*.json)");
    if (!path.isEmpty()) openPresetFile(path);
}

bool MainWindow::openPresetFile(const QString& path) {
    try {
        Preset p = loadPresetFile(path.toStdString());
        for (auto& existing : presets_)
            if (existing.id == p.id) existing = p;
        if (!findPreset(q(p.id))) presets_.push_back(p);
        showPresetList();
        return selectPreset(q(p.id));
    } catch (const std::exception& e) {
        report("Invalid preset", e.what(), true);
        return false;
    }
}

void MainWindow::report(const QString& title, const QString& text, bool error) {
    log_->appendPlainText(title + ": " + text);
    if (quiet_) return;
    if (error)
        QMessageBox::warning(this, title, text);
    else
        QMessageBox::information(this, title, text);
}

void MainWindow::restoreSettings() {
    QSettings s;
    restoreGeometry(s.value("window/geometry").toByteArray());
    restoreState(s.value("window/state").toByteArray());
    QString last = s.value("presets/last").toString();
    if (!findPreset(last) && !presets_.empty()) last = q(presets_.front().id);
    selectPreset(last);
}

void MainWindow::saveSettings() {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue("presets/last", currentPresetId_);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (controller_->isBusy()) {
        // The run is stopped, not abandoned: the worker records it as cancelled.
        statusLabel_->setText("Stopping the run before closing…");
        controller_->stopAndWait(10000);
    }
    saveSettings();
    event->accept();
}

}  // namespace trainlab
