// The thread boundary between the GUI and the engine.
//
// EngineWorker lives in a worker QThread and runs one experiment at a time through
// runExperiment(). High-rate data (points, progress) is accumulated in a mutex-guarded
// buffer and announced by dataAvailable() without payload; the GUI drains it with
// takePending() at its own pace. Low-rate events travel as queued signals with plain values.
// requestStop()/setPaused() are plain methods writing atomics, callable from any thread:
// the worker's event loop is busy while it trains, so they are intentionally not slots.
#pragma once

#include <QObject>
#include <QString>
#include <QThread>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "experiment_runner.h"

namespace trainlab {

/// Everything produced since the last takePending().
struct PendingData {
    std::vector<std::pair<std::string, Series>> appended;    ///< in arrival order per series
    std::map<std::string, Series> replaced;                  ///< latest curve per series
    std::map<std::string, std::vector<std::string>> labels;  ///< latest point labels per series
    std::map<std::string, std::vector<int>> pointRuns;       ///< latest point runs per series
    std::map<std::string, Grid> grids;                       ///< latest grid per heatmap series
    double progress = -1;                                    ///< < 0: unchanged
    std::string progressMessage;
    std::vector<std::string> log;
    bool empty() const {
        return appended.empty() && replaced.empty() && labels.empty() && pointRuns.empty() &&
               grids.empty() && progress < 0 && log.empty();
    }
};

class EngineWorker : public QObject, public RunObserver {
    Q_OBJECT
  public:
    explicit EngineWorker(QObject* parent = nullptr);

    /// Any thread. Takes effect before the next training step. `reason` (a string literal;
    /// nullptr: "cancelled by the user") is what the run's status records; the first one given
    /// stays.
    void requestStop(const char* reason = nullptr) {
        const char* none = nullptr;
        if (reason) control_.cancelReason.compare_exchange_strong(none, reason);
        control_.cancel = true;
        control_.pause = false;
    }
    void setPaused(bool paused) { control_.pause = paused; }
    bool isPaused() const { return control_.pause; }
    /// True from prepareRun() until the run's final signal has been emitted.
    bool isBusy() const { return outstanding_ > 0; }
    /// Any thread, before queueing start(): clears stop/pause and marks the worker busy, so
    /// that a stop requested before the run begins is honoured.
    void prepareRun() {
        control_.cancelReason = nullptr;
        control_.cancel = false;
        control_.pause = false;
        ++outstanding_;
    }

    /// GUI thread: everything buffered since the last call.
    PendingData takePending();

  public slots:
    /// Runs `request` to the end on this (worker) thread. Emits runStarted, then
    /// dataAvailable as data comes, then exactly one of runFinished/runFailed/runCancelled.
    void start(const trainlab::RunRequest& request);

  signals:
    void runStarted(const QString& runDir, const trainlab::PlotLayout& layout);
    void dataAvailable();
    /// `recordingFailed` (RunOutcome::recordingFailed): a write to the run folder failed (full
    /// disk …), so its record is incomplete and no plots are to be saved into it.
    void runFinished(const QString& runDir, const QString& headline, bool recordingFailed);
    void runFailed(const QString& runDir, const QString& message, bool recordingFailed);
    void runCancelled(const QString& runDir, bool recordingFailed);

  private:
    // RunObserver, called on training threads.
    void runDirectoryCreated(const std::string& runDir) override;
    void layoutDeclared(const PlotLayout& layout) override;
    void pointsAppended(const std::string& id, const std::vector<double>& x,
                        const std::vector<double>& y) override;
    void seriesReplaced(const std::string& id, const std::vector<double>& x,
                        const std::vector<double>& y) override;
    void labelsReplaced(const std::string& id, const std::vector<std::string>& labels) override;
    void pointRunsReplaced(const std::string& id, const std::vector<int>& runs) override;
    void gridReplaced(const std::string& id, const std::vector<double>& xs,
                      const std::vector<double>& ys, const std::vector<double>& z) override;
    void progressed(double fraction, const std::string& message) override;
    void logged(const std::string& line) override;
    void announce();  ///< emits dataAvailable once per drain

    RunControl control_;
    std::atomic<int> outstanding_{0};
    std::atomic<bool> announced_{false};
    std::mutex mutex_;
    PendingData pending_;
    std::map<std::string, size_t> appendIndex_;
    QString runDir_;
};

/// Owns the worker thread (the Qt worker-object pattern). GUI thread only.
class RunController : public QObject {
    Q_OBJECT
  public:
    explicit RunController(QObject* parent = nullptr);
    /// Stops a running experiment and joins the thread (waits at most `timeoutMs`).
    ~RunController() override;

    EngineWorker* worker() const { return worker_; }
    /// Queues `request` on the worker thread; false (and nothing queued) while busy.
    bool start(const RunRequest& request);
    bool isBusy() const { return worker_->isBusy(); }
    void requestStop(const char* reason = nullptr) { worker_->requestStop(reason); }
    void setPaused(bool p) { worker_->setPaused(p); }
    /// Requests a stop and waits until the worker is idle; true if it stopped in time.
    bool stopAndWait(int timeoutMs);

  private:
    QThread thread_;
    EngineWorker* worker_;
};

/// Registers the value types that cross the thread boundary. Call once before any run.
void registerBridgeMetaTypes();

}  // namespace trainlab

Q_DECLARE_METATYPE(trainlab::RunRequest)
Q_DECLARE_METATYPE(trainlab::PlotLayout)
