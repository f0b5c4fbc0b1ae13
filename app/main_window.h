// The trainlab main window: preset browser, settings, run controls, live panels, history.
#pragma once

#include <QMainWindow>
#include <QTimer>
#include <memory>
#include <vector>

#include "bridge/engine_worker.h"
#include "frame_pacer.h"
#include "per_run_selection.h"
#include "preset.h"

class QDockWidget;
class QMenu;
class QLabel;
class QPlainTextEdit;
class QProgressBar;

namespace trainlab {

class ConfigEditor;
class DatasetActions;
class ExperimentView;
class ExportActions;
class HistoryActions;
class PresetBrowser;
class ResultsChart;
class RunControlActions;
class SettingsActions;
class SmoothingControl;
class SweepActions;

/// The state the window shows; exactly one at a time.
enum class RunPhase { Idle, Starting, Running, Paused, Stopping, Finished, Failed, Cancelled };

class MainWindow : public QMainWindow {
    Q_OBJECT
  public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    RunPhase phase() const { return phase_; }
    QString currentRunDir() const { return runDir_; }
    ExperimentView* view() const { return view_.get(); }
    PresetBrowser* presetBrowser() const { return browser_; }
    ConfigEditor* configEditor() const { return editor_; }
    RunController* controller() const { return controller_; }
    /// Run, Pause/Resume and Stop (their keys and the confirmation before stopping a long run).
    RunControlActions* runControls() const { return runActions_; }
    /// Run as sweep…, Open sweep…, the history's Compare.
    SweepActions* sweepActions() const { return sweeps_; }
    /// Edits kept per preset, Save settings as preset…, a reopened run's settings.
    SettingsActions* settingsActions() const { return settings_; }
    /// Directory in which new runs are created (settable for tests).
    void setRunsRoot(const QString& root);
    QString runsRoot() const;
    /// When set, message boxes are not shown (tests, scripted use); messages go to the log.
    /// Stopping a long run then asks nothing either.
    void setQuiet(bool quiet);
    /// Folder searched first for datasets (--data-dir).
    void setDataDir(const QString& dir);

  public slots:
    /// Shows preset `id` in the browser and the settings; false when there is none.
    bool selectPreset(const QString& id);
    /// Loads a preset file into the browser and selects it; reports a bad file in a dialog.
    bool openPresetFile(const QString& path);
    void startRun();
    void togglePause();
    /// Stops the run at once. The Stop action (Esc, menu, button) asks first for a long run
    /// (RunControlActions) and then calls this.
    void stopRun();
    /// Writes every panel (PNG, SVG, CSV), the results and the config into `folder`.
    bool exportRunTo(const QString& folder);
    void openRun(const QString& runDir);
    /// Opens the Datasets window (what is present where, samples, download, import).
    void showDatasets();
    /// Shows the run of point `pointIndex` of series `seriesId` (the experiment's point runs)
    /// in every per-run series: what a click on a point does. Nothing when it has no run.
    void showRunDetail(const QString& seriesId, int pointIndex);
    /// Shows run `run` (1-based) in every per-run series, from the run folder.
    void showRun(int run);

  signals:
    void phaseChanged(trainlab::RunPhase phase);

  protected:
    void closeEvent(QCloseEvent* event) override;

  private:
    void buildActions();
    void buildSweepActions(QMenu* file);
    void buildDocks();
    void setPhase(RunPhase p);
    void showLayout(const PlotLayout& layout);
    void clearPanels();
    void drain();
    /// `recordingFailed`: a write to the run folder failed, so no plots are saved into it (the
    /// log says why).
    void finishRun(const QString& runDir, RunPhase phase, const QString& message,
                   bool recordingFailed = false);
    void showResults(const QString& runDir);
    /// A reopened run's settings in the Settings dock (see SettingsActions).
    void showRunSettings(const QString& runDir, const nlohmann::json& record);
    void updateCard(const QString& measured);
    void report(const QString& title, const QString& text, bool error);
    void loadPresetFileInteractive();
    const Preset* findPreset(const QString& id) const;
    void showPresetList();  ///< presets_ into the browser
    void restoreSettings();
    void saveSettings();

    RunController* controller_ = nullptr;
    PresetBrowser* browser_ = nullptr;
    ConfigEditor* editor_ = nullptr;
    ResultsChart* resultsChart_ = nullptr;
    // Collaborators (children of the window): actions and what they act on.
    HistoryActions* history_ = nullptr;        ///< runs folder, history list, reopening
    RunControlActions* runActions_ = nullptr;  ///< Run, Pause/Resume, Stop
    ExportActions* exports_ = nullptr;         ///< Export run, Export panel
    DatasetActions* datasets_ = nullptr;       ///< Datasets window, missing datasets
    SweepActions* sweeps_ = nullptr;           ///< sweeps and comparisons
    SettingsActions* settings_ = nullptr;      ///< per-preset edits, a run's settings
    SmoothingControl* smoothing_ = nullptr;    ///< the toolbar's smoothing of line panels
    QMainWindow* panelArea_ = nullptr;
    QLabel* card_ = nullptr;
    QPlainTextEdit* log_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* statusLabel_ = nullptr;
    QLabel* etaLabel_ = nullptr;
    std::unique_ptr<ExperimentView> view_;
    std::vector<QDockWidget*> panelDocks_;
    std::vector<Preset> presets_;
    QString currentPresetId_;
    QString runPresetId_;
    QString runDir_;
    RunPhase phase_ = RunPhase::Idle;
    QTimer drainTimer_;
    FramePacer pacer_;  ///< paces the drains by the drawing's CPU cost; see drain()
    bool quiet_ = false;
    int selectedRun_ = 0;  ///< run shown in per-run panels (0: the latest)
    PerRunSelection runSelection_;  ///< the run of each point, for showRunDetail
};

QString runPhaseName(RunPhase p);

}  // namespace trainlab
