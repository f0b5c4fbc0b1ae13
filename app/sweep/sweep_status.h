// Where each task of a sweep stands: its newest run folder (the ground truth for what was
// recorded), its lock (a process is running it) and, for Slurm, the scheduler's word; and the
// merged CSV of the sweep's results. Plain C++ (no Qt).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "run_directory.h"
#include "sweep_folder.h"
#include "sweep_slurm.h"

namespace trainlab {

/// A task's state (docs/sweeps.md says what each means).
enum class TaskState {
    NotStarted,   ///< no run yet, and the scheduler (if any) does not know it
    Pending,      ///< Slurm: waiting in the queue
    Running,      ///< a process runs it (its lock is held, or Slurm says RUNNING)
    Finished,     ///< its newest run finished
    Failed,       ///< its run failed (the run's message), or Slurm says FAILED
    Cancelled,    ///< stopped by Ctrl+C, SIGTERM, scancel: what was recorded is kept
    Interrupted,  ///< its process ended without a final state (SIGKILL, a crash, a node lost)
    Timeout,      ///< Slurm: the time limit ended it
    NodeFail,     ///< Slurm: its node failed
    OutOfMemory,  ///< Slurm: killed for using more memory than --mem
};

/// "not started", "pending", "running", "finished", "failed", "cancelled", "interrupted",
/// "timeout", "node failure", "out of memory".
std::string taskStateName(TaskState state);
/// Whether `resume` runs the task again: everything but Finished, Pending and Running.
bool needsResume(TaskState state);

/// One task's state from what is known: its newest run's status (none: never started),
/// whether its lock is held, and the scheduler's state of its newest array task (none: no
/// scheduler, or it does not know the task). The run folder wins when it says finished; the
/// scheduler wins while the task is queued or running and when it names why it ended
/// (TIMEOUT, OUT_OF_MEMORY, NODE_FAIL, CANCELLED, FAILED).
TaskState combineTaskState(const std::optional<RunStatus>& run, bool lockHeld,
                           const std::optional<SchedulerState>& scheduler);

struct TaskStatus {
    int index = 0;
    std::string name;
    std::string settings;  ///< "lr=0.01 seed=2"
    TaskState state = TaskState::NotStarted;
    std::string scheduler;  ///< "COMPLETED (exit 0:0)" or "" (no scheduler answer)
    std::string message;    ///< the run's message (a failure's reason) or the scheduler's reason
    fs::path runDir;        ///< newest run folder; empty when none
    int attempts = 0;       ///< run folders of the task
    double elapsedSeconds = 0;
    std::string headline;  ///< results.json's headline
    nlohmann::json results;  ///< results.json of the newest run (null when none)
};

struct SweepStatus {
    std::vector<TaskStatus> tasks;
    std::string schedulerSource;     ///< "sacct", "scontrol" or ""
    std::vector<std::string> notes;  ///< why a scheduler command was not used
    int count(TaskState s) const;
    bool done() const { return count(TaskState::Finished) == static_cast<int>(tasks.size()); }
};

/// Every task's status; asks Slurm when the sweep has submissions and `askScheduler`.
SweepStatus readSweepStatus(const SweepFolder& folder, bool askScheduler = true);

/// The status as a table for a terminal: task, settings, state, elapsed, headline, then a
/// summary line ("6 tasks: 4 finished, 1 failed, 1 running").
std::string sweepStatusTable(const SweepStatus& status);
/// "4 finished, 1 failed, 1 running" (states with no task left out).
std::string sweepStatusSummary(const SweepStatus& status);

/// Every scalar of a results.json as ("models.0.mse", value) in document order: nested objects
/// and arrays flattened to dotted names; arrays longer than 64 entries and the top-level "log"
/// left out (what `sweep merge` writes and the compare window's summary panel offers).
std::vector<std::pair<std::string, nlohmann::json>> flattenResults(const nlohmann::json& results);

/// `sweep merge`: one CSV row per task: task, name, state, elapsed_s, the settings (one column
/// each), then every scalar of results.json (nested objects and arrays flattened to
/// "models.0.mse"; arrays longer than 64 entries and the log left out), columns in the order
/// they are first met. Numbers in the C locale. Written atomically to `path`. Returns the
/// number of columns.
int writeSweepCsv(const SweepFolder& folder, const SweepStatus& status, const fs::path& path);

}  // namespace trainlab
