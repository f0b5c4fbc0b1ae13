#include "main_window.h"

#include <algorithm>
#include <ctime>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QCoreApplication>
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
#include "settings_actions.h"
#include "smoothing_control.h"
#include "sweep_actions.h"
#include "text_format.h"
#include "csv.h"
#include "run_listing.h"

namespace trainlab {

namespace {
QString q(const std::string& s) {
    return QString::fromStdString(s);
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
        finishRun(dir, RunPhase::Cancelled, "partial results kept", recordingFailed);
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
    settings_ = new SettingsActions(editor_, this, [this](const QString& t, const QString& m,
                                                          bool error) { report(t, m, error); });
    connect(settings_, &SettingsActions::rerunRequested, this, &MainWindow::startRun);
    connect(settings_, &SettingsActions::presetSaved, this, &MainWindow::openPresetFile);
    settingsDock->setWidget(settings_->widget());
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
    buildSweepActions(file);
    settings_->addSaveAsPresetTo(file);
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

    auto* runMenu = menuBar()->addMenu("&Run");
    runActions_ = new RunControlActions(runMenu, this);
    runMenu->addSeparator();
    sweeps_->addRunAsSweepTo(runMenu);
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
    bar->addSeparator();
    smoothing_ = new SmoothingControl;  // TensorBoard's debiased EMA on every line panel
    smoothing_->setValue(QSettings().value(SmoothingControl::kSettingsKey, 0.0).toDouble());
    bar->addWidget(smoothing_);
    connect(smoothing_, &SmoothingControl::smoothingChanged, this, [this](double w) {
        QSettings().setValue(SmoothingControl::kSettingsKey, w);
        if (view_) SmoothingControl::applyToPanels(view_->panels(), w);
    });
}

void MainWindow::buildSweepActions(QMenu* file) {
    sweeps_ = new SweepActions(this, [this]() -> std::optional<SweepDialog::Input> {
        const Preset* p = findPreset(currentPresetId_);
        if (!p) return std::nullopt;
        // The trainlab-cli installed beside this program (build tree or /usr/bin).
        QString cli = QDir(QCoreApplication::applicationDirPath()).filePath("trainlab-cli");
        if (!QFileInfo(cli).isExecutable()) cli = "trainlab-cli";
        return SweepDialog::Input{*p, editor_->config(), runsRoot(), datasets_->dataDir(), cli};
    });
    sweeps_->addOpenSweepTo(file);
    sweeps_->connectHistory(history_->widget());
    connect(sweeps_, &SweepActions::sweepStarted, history_, &HistoryActions::reload);
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
    settings_->showPreset(*p);
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
