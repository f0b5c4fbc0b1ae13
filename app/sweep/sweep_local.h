// The local backend: a pool of `jobs` tasks at once, each a child process
// `trainlab-cli sweep task DIR i` (the same command a Slurm array task runs), so that a task
// that crashes or is killed takes nothing else with it. One progress line with the sweep's ETA
// on stderr. Plain C++ (no Qt).
#pragma once

#include <atomic>
#include <filesystem>
#include <vector>

#include "sweep_folder.h"

namespace trainlab {

struct LocalRunOptions {
    fs::path executable;  ///< trainlab-cli (absolute)
    int jobs = 1;         ///< tasks at once
    bool quiet = false;   ///< no progress line (a line per finished task stays)
    /// Set to a signal's number (by a signal handler) to stop: no task is started any more,
    /// the running ones get SIGTERM (each records itself as cancelled, keeping its rows) and
    /// are waited for (SIGKILL after a minute).
    const std::atomic<int>* stop = nullptr;
};

struct LocalRunOutcome {
    int finished = 0;
    int failed = 0;   ///< failed runs, and tasks refused (another process runs them)
    int stopped = 0;  ///< cancelled or killed
    int stopSignal = 0;  ///< the signal that stopped the sweep (0: it ran to its end)
};

/// Runs tasks `indices` of `folder`, `jobs` at a time, and returns when all have ended (or were
/// stopped). Task i's output goes to logs/task-<i>.log.
LocalRunOutcome runLocalTasks(const SweepFolder& folder, const std::vector<int>& indices,
                              const LocalRunOptions& options);

/// Tasks at once by default: the cores this process may use divided by each task's threads.
int defaultLocalJobs(int threads);

}  // namespace trainlab
