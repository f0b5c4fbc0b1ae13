// The trainlab main window: preset browser, settings, run controls, live panels, history.
#pragma once

#include <QElapsedTimer>
#include <QMainWindow>
#include <QTimer>
#include <memory>
#include <vector>

#include "bridge/engine_worker.h"
#include "preset.h"

class QAction;
class QDockWidget;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QProgressBar;

namespace trainlab {

class ConfigEditor;
class DatasetsWindow;
class Downloader;
class ExperimentView;
class PresetBrowser;
class ResultsChart;
class RunHistory;

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
    /// Directory in which new runs are created (settable for tests).
    void setRunsRoot(const QString& root);
    QString runsRoot() const { return runsRoot_; }
    /// When set, message boxes are not shown (tests, scripted use); messages go to the log.
    void setQuiet(bool quiet) { quiet_ = quiet; }
    /// Folder searched first for datasets (--data-dir).
    void setDataDir(const QString& dir) { dataDir_ = dir; }

  public slots:
    /// Shows preset `id` in the browser and the settings; false when there is none.
    bool selectPreset(const QString& id);
    /// Loads a preset file into the browser and selects it; reports a bad file in a dialog.
    bool openPresetFile(const QString& path);
    void startRun();
    void togglePause();
    void stopRun();
    /// Writes every panel (PNG, SVG, CSV), the results and the config into `folder`.
    bool exportRunTo(const QString& folder);
    void openRun(const QString& runDir);
    /// Opens the Datasets window (what is present where, samples, download, import).
    void showDatasets();
    /// Shows the run named in a point label ("run 7 …") in every per-run series (what a click
    /// on a point does).
    void showRunDetail(const QString& label);

  signals:
    void phaseChanged(trainlab::RunPhase phase);

  protected:
    void closeEvent(QCloseEvent* event) override;

  private:
    void buildActions();
    void buildDocks();
    void setPhase(RunPhase p);
    void showLayout(const PlotLayout& layout);
    void clearPanels();
    void drain();
    void rebuildPanelExportMenu();
    /// `recordingFailed`: a write to the run folder failed, so no plots are saved into it (the
    /// log says why).
    void finishRun(const QString& runDir, RunPhase phase, const QString& message,
                   bool recordingFailed = false);
    void showResults(const QString& runDir);
    void updateCard(const QString& measured);
    void report(const QString& title, const QString& text, bool error);
    void exportRunInteractive();
    /// Checks the datasets `request` needs; offers download, a folder or a substitute when one
    /// is absent. True when the run can start (possibly with a substituted dataset).
    bool confirmDatasets(RunRequest& request);
    void loadPresetFileInteractive();
    const Preset* findPreset(const QString& id) const;
    void restoreSettings();
    void saveSettings();

    RunController* controller_ = nullptr;
    PresetBrowser* browser_ = nullptr;
    ConfigEditor* editor_ = nullptr;
    RunHistory* history_ = nullptr;
    ResultsChart* resultsChart_ = nullptr;
    QMainWindow* panelArea_ = nullptr;
    QLabel* card_ = nullptr;
    QPlainTextEdit* log_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QLabel* statusLabel_ = nullptr;
    QLabel* etaLabel_ = nullptr;
    QAction* runAct_ = nullptr;
    QAction* pauseAct_ = nullptr;
    QAction* stopAct_ = nullptr;
    QAction* exportAct_ = nullptr;
    QMenu* panelExportMenu_ = nullptr;
    std::unique_ptr<ExperimentView> view_;
    std::vector<QDockWidget*> panelDocks_;
    std::vector<Preset> presets_;
    QString currentPresetId_;
    QString runPresetId_;
    QString runDir_;
    QString runsRoot_;
    RunPhase phase_ = RunPhase::Idle;
    QTimer drainTimer_;
    /// Frame pacing of the live panels: GUI-thread CPU time of the last drains (data into
    /// the panels) and of the replots they caused, smoothed, in ms; see drain().
    double frameCpuMs_ = 0;
    qint64 replotCpuNs_ = 0;          ///< replots' CPU time since the last drain
    qint64 replotStartedCpuNs_ = -1;  ///< thread CPU clock when the current replot began
    QElapsedTimer runClock_;
    qint64 pausedMs_ = 0;
    QElapsedTimer pauseClock_;
    bool quiet_ = false;
    QString dataDir_;
    DatasetsWindow* datasets_ = nullptr;
    Downloader* downloader_ = nullptr;
    QString downloadId_;
    int selectedRun_ = 0;  ///< run shown in per-run panels (0: the latest)
};

QString runPhaseName(RunPhase p);

}  // namespace trainlab
