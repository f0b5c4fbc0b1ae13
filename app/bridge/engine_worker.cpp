#include "engine_worker.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QMetaObject>

namespace trainlab {

void registerBridgeMetaTypes() {
    qRegisterMetaType<trainlab::RunRequest>("trainlab::RunRequest");
    qRegisterMetaType<trainlab::PlotLayout>("trainlab::PlotLayout");
}

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {}

PendingData EngineWorker::takePending() {
    std::lock_guard<std::mutex> lock(mutex_);
    PendingData out;
    std::swap(out, pending_);
    appendIndex_.clear();
    announced_ = false;
    return out;
}

void EngineWorker::start(const RunRequest& request) {
    runDir_.clear();
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_ = PendingData();
        appendIndex_.clear();
        announced_ = false;
    }
    RunOutcome outcome;
    try {
        outcome = runExperiment(request, this, control_);
    } catch (const std::exception& e) {
        outcome.state = RunState::Failed;
        outcome.message = e.what();
    } catch (...) {
        outcome.state = RunState::Failed;
        outcome.message = "unknown error";
    }
    announce();
    const QString dir = QString::fromStdString(outcome.runDir.string());
    const QString message = QString::fromStdString(outcome.message);
    --outstanding_;  // before the signal, so a slot may start the next run at once
    switch (outcome.state) {
        case RunState::Finished:
            emit runFinished(dir, message, outcome.recordingFailed);
            break;
        case RunState::Cancelled:
            emit runCancelled(dir, outcome.recordingFailed);
            break;
        default:
            emit runFailed(dir, message, outcome.recordingFailed);
            break;
    }
}

void EngineWorker::runDirectoryCreated(const std::string& runDir) {
    runDir_ = QString::fromStdString(runDir);
}

void EngineWorker::layoutDeclared(const PlotLayout& layout) {
    emit runStarted(runDir_, layout);
}

void EngineWorker::pointsAppended(const std::string& id, const std::vector<double>& x,
                                  const std::vector<double>& y) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = appendIndex_.find(id);
        if (it == appendIndex_.end()) {
            it = appendIndex_.emplace(id, pending_.appended.size()).first;
            pending_.appended.emplace_back(id, Series{});
        }
        Series& s = pending_.appended[it->second].second;
        s.x.insert(s.x.end(), x.begin(), x.end());
        s.y.insert(s.y.end(), y.begin(), y.end());
    }
    announce();
}

void EngineWorker::seriesReplaced(const std::string& id, const std::vector<double>& x,
                                  const std::vector<double>& y) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.replaced[id] = Series{x, y};
    }
    announce();
}

void EngineWorker::labelsReplaced(const std::string& id, const std::vector<std::string>& labels) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.labels[id] = labels;
    }
    announce();
}

void EngineWorker::pointRunsReplaced(const std::string& id, const std::vector<int>& runs) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.pointRuns[id] = runs;
    }
    announce();
}

void EngineWorker::gridReplaced(const std::string& id, const std::vector<double>& xs,
                                const std::vector<double>& ys, const std::vector<double>& z) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.grids[id] = Grid{xs, ys, z};
    }
    announce();
}

void EngineWorker::progressed(double fraction, const std::string& message) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.progress = fraction;
        pending_.progressMessage = message;
    }
    announce();
}

void EngineWorker::logged(const std::string& line) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.log.push_back(line);
    }
    announce();
}

void EngineWorker::announce() {
    if (!announced_.exchange(true)) emit dataAvailable();
}

RunController::RunController(QObject* parent) : QObject(parent), worker_(new EngineWorker) {
    registerBridgeMetaTypes();
    worker_->moveToThread(&thread_);
    connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
    thread_.setObjectName("trainlab-engine");
    thread_.start();
}

RunController::~RunController() {
    stopAndWait(5000);
    thread_.quit();
    thread_.wait();
}

bool RunController::start(const RunRequest& request) {
    if (isBusy()) return false;
    worker_->prepareRun();
    QMetaObject::invokeMethod(worker_, "start", Qt::QueuedConnection,
                              Q_ARG(trainlab::RunRequest, request));
    return true;
}

bool RunController::stopAndWait(int timeoutMs) {
    worker_->requestStop();
    QElapsedTimer t;
    t.start();
    while (worker_->isBusy() && t.elapsed() < timeoutMs) QThread::msleep(5);
    return !worker_->isBusy();
}

}  // namespace trainlab
