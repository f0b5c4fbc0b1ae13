// MainWindow's run lifecycle: start, pause, stop, the live panels, the end of a run and
// reopening a recorded one. (The window's construction and menus are in main_window.cpp.)
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>

#include "config_editor.h"
#include "dataset_actions.h"
#include "errors.h"
#include "experiment_view.h"
#include "export_actions.h"
#include "history_actions.h"
#include "main_window.h"
#include "plot_panel.h"
#include "preset_browser.h"
#include "results_chart.h"
#include "run_control_actions.h"
#include "run_listing.h"
#include "settings_actions.h"
#include "smoothing_control.h"
#include "text_format.h"

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
    SmoothingControl::applyToPanels(view_->panels(), smoothing_->value());
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

void MainWindow::showRunSettings(const QString& runDir, const nlohmann::json& record) {
    // The run's preset in the browser, then its own settings over it (read-only).
    Preset preset;
    if (selectPreset(runPresetId_)) {
        preset = *findPreset(runPresetId_);
    } else {  // a preset file not loaded in this session: what config.json says of it
        preset.id = runPresetId_.toStdString();
        preset.kind = record.value("kind", std::string());
        preset.title = record.value("title", std::string());
        preset.config = record.value("config", nlohmann::json::object());
    }
    if (record.contains("config") && record["config"].is_object())
        settings_->showRunSettings(runDir, preset, record["config"]);
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
        showRunSettings(runDir, config);
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

}  // namespace trainlab
