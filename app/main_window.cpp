#include "main_window.h"

#include <algorithm>
#include <ctime>

#include <qcustomplot.h>
#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>
#include <QUrl>
#include <QVBoxLayout>

#include "bridge/downloader.h"
#include "config_editor.h"
#include "errors.h"
#include "dataset_catalog.h"
#include "datasets_window.h"
#include "experiment_view.h"
#include "plot_panel.h"
#include "preset_browser.h"
#include "results_chart.h"
#include "run_history.h"

namespace trainlab {

QString runPhaseName(RunPhase p) {
    switch (p) {
        case RunPhase::Idle:
            return "Ready";
        case RunPhase::Starting:
            return "Starting";
        case RunPhase::Running:
            return "Running";
        case RunPhase::Paused:
            return "Paused";
        case RunPhase::Stopping:
            return "Stopping";
        case RunPhase::Finished:
            return "Finished";
        case RunPhase::Failed:
            return "Failed";
        case RunPhase::Cancelled:
            return "Cancelled";
    }
    return {};
}

namespace {
QString q(const std::string& s) {
    return QString::fromStdString(s);
}

/// The calling thread's CPU time in ns (its time waiting for a core not counted).
qint64 threadCpuNs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<qint64>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Live panels are redrawn at most every kMinDrainMs (25 a second) while that keeps the GUI
// thread's drawing (drain + replots) under kDrawCpuShare of one core; costlier frames (a
// million points in view, a slow machine) come less often, down to one every kMaxDrainMs.
// Every point still reaches the panels at each drain: only the redraws are spaced out, so the
// GUI leaves the training threads their cores (issue 7: tests/bench/bench_gui_load.cpp).
constexpr int kMinDrainMs = 40;
constexpr int kMaxDrainMs = 250;
constexpr double kDrawCpuShare = 0.08;

QString formatDuration(double seconds) {
    if (!(seconds >= 0) || seconds > 1e7) return "--:--";
    const qint64 s = static_cast<qint64>(seconds + 0.5);
    if (s >= 3600)
        return QString("%1:%2:%3")
            .arg(s / 3600)
            .arg((s / 60) % 60, 2, 10, QChar('0'))
            .arg(s % 60, 2, 10, QChar('0'));
    return QString("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QChar('0'));
}

// A run is in progress as far as the window shows: its end has not been shown yet, even when
// the worker has already finished it (its outcome is still queued to this thread).
bool runShownActive(RunPhase p) {
    return p == RunPhase::Starting || p == RunPhase::Running || p == RunPhase::Paused ||
           p == RunPhase::Stopping;
}
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle("trainlab");
    setObjectName("MainWindow");
    setDockNestingEnabled(true);
    controller_ = new RunController(this);
    runsRoot_ = q(defaultRunsRoot(nullptr).string());  // none: main() refuses to start
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
    drainTimer_.setInterval(kMinDrainMs);  // paced in drain()
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

    QVector<PresetEntry> entries;
    for (const auto& p : presets_)
        entries.push_back({q(p.id), q(p.title), q(p.group), q(p.description), q(p.expected)});
    browser_->setPresets(entries);
    restoreSettings();
    setPhase(RunPhase::Idle);
}

MainWindow::~MainWindow() = default;

void MainWindow::setRunsRoot(const QString& root) {
    runsRoot_ = root;
    history_->setRoot(root);
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

    history_ = new RunHistory;
    history_->setRoot(runsRoot_);
    auto* historyDock = new QDockWidget("Run history", this);
    historyDock->setObjectName("HistoryDock");
    historyDock->setWidget(history_);
    addDockWidget(Qt::BottomDockWidgetArea, historyDock);
    connect(history_, &RunHistory::runActivated, this, &MainWindow::openRun);

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
    file->addAction("Open run folder…", this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, "Open run", runsRoot_);
        if (!dir.isEmpty()) openRun(dir);
    });
    exportAct_ = file->addAction("&Export run…", this, &MainWindow::exportRunInteractive);
    panelExportMenu_ = file->addMenu("Export &panel");
    panelExportMenu_->setEnabled(false);
    exportAct_->setShortcut(QKeySequence("Ctrl+E"));
    file->addAction("Show runs folder", this, [this] {
        QDir().mkpath(runsRoot_);
        QDesktopServices::openUrl(QUrl::fromLocalFile(runsRoot_));
    });
    file->addSeparator();
    auto* quit = file->addAction("&Quit", this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setShortcut(QKeySequence("Ctrl+Q"));

    auto* run = menuBar()->addMenu("&Run");
    runAct_ = run->addAction(style()->standardIcon(QStyle::SP_MediaPlay), "&Run", this,
                             &MainWindow::startRun);
    runAct_->setShortcut(QKeySequence("Ctrl+R"));
    pauseAct_ = run->addAction(style()->standardIcon(QStyle::SP_MediaPause), "&Pause", this,
                               &MainWindow::togglePause);
    pauseAct_->setShortcut(QKeySequence(Qt::Key_Space));
    stopAct_ = run->addAction(style()->standardIcon(QStyle::SP_MediaStop), "&Stop", this,
                              &MainWindow::stopRun);
    stopAct_->setShortcut(QKeySequence(Qt::Key_Escape));
    for (QAction* a : {runAct_, pauseAct_, stopAct_})
        a->setShortcutContext(Qt::ApplicationShortcut);

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

    auto* help = menuBar()->addMenu("&Help");
    auto* helpAct = help->addAction("trainlab &help", this, [this] {
        QMessageBox::information(
            this, "trainlab help",
            "<b>trainlab</b> runs the experiments that explain how deep networks learn.<br><br>"
            "Double-click a preset to run it, or select it, change its settings and press Run "
            "(Ctrl+R). Space pauses, Esc stops. Every run is recorded in the runs folder "
            "(File → Show runs folder) with its complete config, every metric as CSV and the "
            "plots; double-click a run in the history to reopen it.<br><br>Plots: wheel zooms, "
            "drag pans, double-click resets, right-click exports PNG, SVG or CSV. Ctrl+E exports "
            "everything.<br><br>The same experiments run headless: <tt>trainlab-cli --help</tt>.");
    });
    helpAct->setShortcut(QKeySequence::HelpContents);
    help->addAction("About trainlab", this, [this] {
        QMessageBox::about(this, "About trainlab",
                           QString("trainlab %1<br>A workbench for deep-learning experiments.<br>"
                                   "Qt %2, libtorch, QCustomPlot, Eigen.")
                               .arg(q(trainlabVersion()), qVersion()));
    });

    auto* bar = addToolBar("Run");
    bar->setObjectName("RunToolBar");
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(runAct_);
    bar->addAction(pauseAct_);
    bar->addAction(stopAct_);
    bar->addSeparator();
    bar->addAction(exportAct_);
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
    const bool active = p == RunPhase::Starting || p == RunPhase::Running ||
                        p == RunPhase::Paused || p == RunPhase::Stopping;
    runAct_->setEnabled(!active);
    pauseAct_->setEnabled(p == RunPhase::Running || p == RunPhase::Paused);
    pauseAct_->setText(p == RunPhase::Paused ? "Resume" : "Pause");
    stopAct_->setEnabled(active && p != RunPhase::Stopping);
    exportAct_->setEnabled(view_ != nullptr);
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
    request.runsRoot = runsRoot_.toStdString();
    request.threads = 1;
    const auto problems = validateExperimentConfig(p->kind, request.config);
    if (!problems.empty()) {
        QStringList list;
        for (const auto& m : problems) list << q(m);
        report("Invalid settings", "These settings are invalid:\n  " + list.join("\n  "), true);
        return;
    }
    request.dataDir = dataDir_.toStdString();
    if (!confirmDatasets(request)) return;
    runPresetId_ = currentPresetId_;
    runDir_.clear();
    selectedRun_ = 0;
    clearPanels();
    updateCard("running…");
    log_->appendPlainText(QDateTime::currentDateTime().toString(Qt::ISODate) + "  starting " +
                          q(p->title));
    progress_->setValue(0);
    progress_->setFormat(QStringLiteral("%p%"));
    runClock_.start();
    pausedMs_ = 0;
    frameCpuMs_ = 0;
    replotCpuNs_ = 0;
    drainTimer_.setInterval(kMinDrainMs);
    setPhase(RunPhase::Starting);
    if (!controller_->start(request)) setPhase(RunPhase::Idle);
}

void MainWindow::togglePause() {
    if (phase_ == RunPhase::Running) {
        controller_->setPaused(true);
        pauseClock_.start();
        setPhase(RunPhase::Paused);
    } else if (phase_ == RunPhase::Paused) {
        controller_->setPaused(false);
        pausedMs_ += pauseClock_.elapsed();
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
    exportAct_->setEnabled(false);
    rebuildPanelExportMenu();
}

void MainWindow::showLayout(const PlotLayout& layout) {
    clearPanels();
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
    rebuildPanelExportMenu();
    for (PlotPanel* panel : view_->panels()) {
        connect(panel, &PlotPanel::pointClicked, this,
                [this](const QString&, int, const QString& label) { showRunDetail(label); });
        // the replots' CPU time, for the frame pacing in drain()
        connect(panel->plot(), &QCustomPlot::beforeReplot, this,
                [this] { replotStartedCpuNs_ = threadCpuNs(); });
        connect(panel->plot(), &QCustomPlot::afterReplot, this, [this] {
            if (replotStartedCpuNs_ >= 0) replotCpuNs_ += threadCpuNs() - replotStartedCpuNs_;
            replotStartedCpuNs_ = -1;
        });
    }
    // Share the space: the first panel on the left half, the others stacked on the right.
    if (panelDocks_.size() >= 2) {
        const int w = std::max(400, panelArea_->width());
        panelArea_->resizeDocks({panelDocks_[0], panelDocks_[1]}, {w / 2, w / 2}, Qt::Horizontal);
    }
    exportAct_->setEnabled(true);
}

void MainWindow::rebuildPanelExportMenu() {
    // clear() drops the actions but not the per-panel submenus, which are children of the
    // menu: without this, every run left three QMenu widgets behind (bench_memory).
    for (QMenu* sub : panelExportMenu_->findChildren<QMenu*>(QString(), Qt::FindDirectChildrenOnly))
        sub->deleteLater();
    panelExportMenu_->clear();
    panelExportMenu_->setEnabled(view_ != nullptr);
    if (!view_) return;
    for (PlotPanel* panel : view_->panels()) {
        QMenu* sub = panelExportMenu_->addMenu(q(panel->spec().title));
        const QString base = q(panel->spec().id);
        auto exportAs = [this, panel, base](const QString& suffix) {
            const QString path = QFileDialog::getSaveFileName(
                this, "Export panel", QDir::homePath() + "/" + base + suffix);
            if (path.isEmpty()) return;
            QString error;
            const bool ok = suffix == ".png"   ? panel->exportPng(path, 1600, 1000, 2.0, &error)
                            : suffix == ".svg" ? panel->exportSvg(path, 1200, 800, &error)
                                               : panel->exportCsv(path, &error);
            if (!ok) report("Export failed", error, true);
        };
        sub->addAction("PNG…", this, [exportAs] { exportAs(".png"); });
        sub->addAction("SVG…", this, [exportAs] { exportAs(".svg"); });
        sub->addAction("CSV…", this, [exportAs] { exportAs(".csv"); });
    }
}

void MainWindow::showRunDetail(const QString& label) {
    // "run 7 · …" (2-3) or "Net_7 · …" (3-2): show run 7's version of every per-run series,
    // from the run folder.
    static const QRegularExpression runRe(QStringLiteral("^(?:run |Net_)(\\d+)\\b"));
    const auto m = runRe.match(label);
    if (!m.hasMatch() || !view_ || runDir_.isEmpty()) return;
    const QString run = m.captured(1);
    try {
        RunDirectory dir(runDir_.toStdString());
        const PlotLayout layout = dir.readLayout();
        int shown = 0;
        for (const auto& s : layout.series) {
            if (!s.perRun) continue;
            const auto path = dir.seriesPath(s.id + "_run" + run.toStdString());
            std::error_code ec;
            if (!std::filesystem::exists(path, ec)) continue;
            const Series data = readSeriesCsv(path);
            view_->replace(s.id, data.x, data.y);
            ++shown;
        }
        if (shown > 0) {
            view_->refresh();
            statusLabel_->setText("Showing " + m.captured(0) + " in the per-run panels");
            selectedRun_ = run.toInt();
        }
    } catch (const std::exception& e) {
        log_->appendPlainText(QString("Cannot show run %1: %2").arg(run, e.what()));
    }
}

void MainWindow::drain() {
    const qint64 cpu0 = threadCpuNs();
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
        for (const auto& [id, grid] : data.grids) view_->setGrid(id, grid);
        view_->refresh();
    }
    for (const auto& line : data.log) log_->appendPlainText(q(line));
    if (data.progress >= 0) {
        progress_->setValue(static_cast<int>(data.progress * 1000));
        progress_->setFormat(QString("%1%").arg(data.progress * 100, 0, 'f', 1));
        const double elapsed = (runClock_.elapsed() - pausedMs_) / 1000.0;
        const double eta =
            data.progress > 0.001 ? elapsed * (1 - data.progress) / data.progress : -1;
        etaLabel_->setText(q(data.progressMessage) + "   elapsed " + formatDuration(elapsed) +
                           "   ETA " + formatDuration(eta));
    }
    // Frame pacing: this drain's CPU time plus that of the replots since the last one (the
    // replots this drain queued are counted at the next), smoothed; the next drain waits long
    // enough for the drawing to stay within kDrawCpuShare of a core.
    const double frameMs = 1e-6 * static_cast<double>(threadCpuNs() - cpu0 + replotCpuNs_);
    replotCpuNs_ = 0;
    frameCpuMs_ = frameCpuMs_ > 0 ? 0.7 * frameCpuMs_ + 0.3 * frameMs : frameMs;
    drainTimer_.setInterval(
        std::clamp(static_cast<int>(frameCpuMs_ / kDrawCpuShare), kMinDrainMs, kMaxDrainMs));
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

bool MainWindow::exportRunTo(const QString& folder) {
    if (!view_) return false;
    QDir().mkpath(folder);
    QString error;
    QStringList files = view_->exportAll(folder, &error);
    if (!error.isEmpty()) {
        report("Export failed", error, true);
        return false;
    }
    resultsChart_->exportPng(folder + "/results.png", 1200, 800);
    resultsChart_->exportSvg(folder + "/results.svg", 1200, 800);
    resultsChart_->exportCsv(folder + "/results.csv");
    for (const char* name : {"config.json", "results.json", "status.json", "panels.json"}) {
        const QString src = runDir_ + "/" + name;
        const QString dst = folder + "/" + name;
        if (!runDir_.isEmpty() && QFile::exists(src) && src != dst) {
            QFile::remove(dst);
            QFile::copy(src, dst);
        }
    }
    log_->appendPlainText(QString("Exported %1 files to %2").arg(files.size() + 3).arg(folder));
    return true;
}

void MainWindow::exportRunInteractive() {
    if (!view_) return;
    const QString dir =
        QFileDialog::getExistingDirectory(this, "Export run to folder", QDir::homePath());
    if (!dir.isEmpty()) exportRunTo(dir);
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
        QVector<PresetEntry> entries;
        for (const auto& e : presets_)
            entries.push_back({q(e.id), q(e.title), q(e.group), q(e.description), q(e.expected)});
        browser_->setPresets(entries);
        return selectPreset(q(p.id));
    } catch (const std::exception& e) {
        report("Invalid preset", e.what(), true);
        return false;
    }
}

void MainWindow::showDatasets() {
    if (!datasets_) {
        datasets_ = new DatasetsWindow(dataDir_, this);
        datasets_->setModal(false);
        downloader_ =
            new Downloader(this);  // owned by the window: closing the dialog keeps it going
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
            log_->appendPlainText("Downloaded " + downloadId_);
        });
        connect(downloader_, &Downloader::failed, this, [this](const QString& m) {
            datasets_->setDownloadFinished(downloadId_, false, m);
            log_->appendPlainText("Download failed: " + m);
        });
        connect(downloader_, &Downloader::cancelled, this,
                [this] { datasets_->setDownloadFinished(downloadId_, false, "cancelled"); });
        connect(datasets_, &DatasetsWindow::datasetImported, this,
                [this](const QString& id, const QString& path) {
                    log_->appendPlainText("Imported " + id + " from " + path);
                });
    }
    datasets_->refresh();
    datasets_->show();
    datasets_->raise();
    datasets_->activateWindow();
}

bool MainWindow::confirmDatasets(RunRequest& request) {
    const auto missing =
        missingDatasets(request.preset.kind, request.config, dataDir_.toStdString());
    if (missing.empty()) return true;
    const MissingDataset& m = missing.front();
    if (quiet_) {
        report("Dataset missing", q(m.message), true);
        return false;
    }
    QMessageBox box(QMessageBox::Warning, "Dataset missing", q(m.message), QMessageBox::NoButton,
                    this);
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
        const QString dir = QFileDialog::getExistingDirectory(this, "Folder holding " + q(m.title),
                                                              QDir::homePath());
        if (dir.isEmpty()) return false;
        try {
            importDataset(m.id, dir.toStdString());
        } catch (const std::exception& e) {
            report("Import failed", e.what(), true);
            return false;
        }
        return confirmDatasets(request);
    }
    if (substitute && box.clickedButton() == substitute) {
        try {
            applyOverride(request.preset.kind, request.config, "dataset=" + m.substitute);
        } catch (const std::exception& e) {
            report("Cannot substitute", e.what(), true);
            return false;
        }
        log_->appendPlainText("Running on " + q(m.substitute) + " instead of " + q(m.id));
        return confirmDatasets(request);
    }
    return false;
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
