// `trainlab-cli run`: resolves the preset and its overrides, runs it with progress on stderr,
// stops cleanly on SIGINT, SIGTERM and SIGHUP, and renders the plots.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "cli_commands.h"
#include "cli_run.h"
#include "errors.h"
#include "experiment_runner.h"
#include "preset.h"
#include "render_run.h"
#include "text_format.h"
#include "run_listing.h"

namespace trainlab {

namespace {

RunControl* gControl = nullptr;
volatile std::sig_atomic_t gStopSignal = 0;

// SIGINT (Ctrl+C), SIGTERM (kill, shutdown) and SIGHUP (the terminal closed) all stop the run
// the same way: it ends as "cancelled" with the signal's name, and the exit code is 128 + the
// signal's number, as shells report a process ended by it.
extern "C" void onSignal(int sig) {
    if (gStopSignal == 0) gStopSignal = sig;
    if (!gControl) return;
    const char* none = nullptr;
    gControl->cancelReason.compare_exchange_strong(none, cancelReasonForSignal(sig));
    gControl->cancel = true;
}

/// Progress with ETA and log lines on stderr.
class ConsoleObserver : public RunObserver {
  public:
    explicit ConsoleObserver(bool quiet) : quiet_(quiet), tty_(::isatty(STDERR_FILENO)) {}
    void runDirectoryCreated(const std::string& dir) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::cerr << "trainlab: recording to " << dir << "\n";
    }
    void layoutDeclared(const PlotLayout&) override {}
    void pointsAppended(const std::string&, const std::vector<double>&,
                        const std::vector<double>&) override {}
    void seriesReplaced(const std::string&, const std::vector<double>&,
                        const std::vector<double>&) override {}
    void progressed(double f, const std::string& message) override {
        if (quiet_) return;
        std::lock_guard<std::mutex> lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(tty_ ? 200 : 2000)) return;
        last_ = now;
        const double elapsed = std::chrono::duration<double>(now - t0_).count();
        const double eta = f > 0.001 ? elapsed * (1 - f) / f : -1;
        char line[512];
        std::snprintf(line, sizeof line, "[%5.1f%%] %s  elapsed %s  ETA %s", 100 * f,
                      message.c_str(), formatDuration(elapsed).c_str(),
                      formatDuration(eta).c_str());
        if (tty_)
            std::cerr << "\r\033[K" << line << std::flush;
        else
            std::cerr << line << "\n";
    }
    void logged(const std::string& text) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (tty_) std::cerr << "\r\033[K";
        std::cerr << text << "\n";
    }

  private:
    bool quiet_, tty_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_{};
};

/// The run the command line asks for: the preset, --set and --seed through its schema,
/// --threads, --data-dir and --out. Throws ConfigError naming every bad value.
RunRequest requestFrom(const CliInvocation& call) {
    RunRequest request;
    request.preset = resolvePreset(call.arguments.at(0).toStdString());
    request.config = request.preset.config;
    std::vector<std::string> problems;
    for (const QString& s : call.values("set")) {
        try {
            applyOverride(request.preset.kind, request.config, s.toStdString());
        } catch (const ConfigError& e) {
            problems.insert(problems.end(), e.problems().begin(), e.problems().end());
        }
    }
    if (call.isSet("seed")) {
        try {
            applyOverride(request.preset.kind, request.config,
                          "seed=" + call.value("seed").toStdString());
        } catch (const ConfigError& e) {
            problems.push_back("--seed: " + e.problems().front());
        }
    }
    bool ok = false;
    request.threads = call.value("threads").toInt(&ok);
    if (!ok || request.threads < 1 || request.threads > 256)
        problems.push_back("--threads '" + call.value("threads").toStdString() +
                           "' must be an integer in [1, 256]");
    if (!problems.empty()) throw ConfigError(problems);
    request.dataDir = call.value("data-dir").toStdString();
    if (call.isSet("out")) {
        request.runsRoot = call.value("out").toStdString();
    } else {
        std::string noRunsRoot;
        request.runsRoot = defaultRunsRoot(&noRunsRoot);
        if (request.runsRoot.empty()) throw ConfigError({noRunsRoot});
    }
    return request;
}

/// Runs `request` with the stop signals caught for its duration.
RunOutcome runWithSignals(const RunRequest& request, bool quiet) {
    RunControl control;
    gStopSignal = 0;
    gControl = &control;
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, onSignal);
    ConsoleObserver observer(quiet);
    std::cerr << "trainlab: running " << request.preset.title << "\n";
    const RunOutcome outcome = runExperiment(request, &observer, control);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, SIG_DFL);
    gControl = nullptr;
    if (::isatty(STDERR_FILENO)) std::cerr << "\r\033[K";
    return outcome;
}

}  // namespace

RunOutcome runWithStopSignals(const RunRequest& request, bool quiet, int* stopSignal) {
    const RunOutcome outcome = runWithSignals(request, quiet);
    if (stopSignal) *stopSignal = static_cast<int>(gStopSignal);
    return outcome;
}

int runPresetCommand(const CliInvocation& call) {
    const RunRequest request = requestFrom(call);
    const RunOutcome outcome = runWithSignals(request, call.isSet("quiet"));
    if (!outcome.runDir.empty() && !call.isSet("no-plots")) {
        QString error;
        if (outcome.recordingFailed)  // a full disk: no plots from an incomplete record
            error = "the run folder could not be written to (the reason follows)";
        else
            renderRunPlots(QString::fromStdString(outcome.runDir.string()), &error);
        if (!error.isEmpty())
            std::cerr << "trainlab: plots not rendered: " << error.toStdString() << "\n";
    }
    std::cerr << "trainlab: " << runStateName(outcome.state) << ": " << outcome.message << "\n";
    if (!outcome.runDir.empty()) std::cout << outcome.runDir.string() << "\n";
    switch (outcome.state) {
        case RunState::Finished:
            return 0;
        case RunState::Cancelled:  // 128 + the signal: 130 SIGINT, 143 SIGTERM, 129 SIGHUP
            return 128 + (gStopSignal ? static_cast<int>(gStopSignal) : SIGINT);
        default:
            return 1;
    }
}

}  // namespace trainlab
