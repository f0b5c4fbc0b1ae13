#include "sweep_status.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "atomic_file.h"
#include "csv.h"
#include "text_format.h"

namespace trainlab {

using nlohmann::json;

std::string taskStateName(TaskState state) {
    switch (state) {
        case TaskState::NotStarted: return "not started";
        case TaskState::Pending: return "pending";
        case TaskState::Running: return "running";
        case TaskState::Finished: return "finished";
        case TaskState::Failed: return "failed";
        case TaskState::Cancelled: return "cancelled";
        case TaskState::Interrupted: return "interrupted";
        case TaskState::Timeout: return "timeout";
        case TaskState::NodeFail: return "node failure";
        case TaskState::OutOfMemory: return "out of memory";
    }
    return "?";
}

bool needsResume(TaskState state) {
    return state != TaskState::Finished && state != TaskState::Pending &&
           state != TaskState::Running;
}

namespace {

/// The scheduler's state as a task state; nullopt for COMPLETED and anything unknown (the run
/// folder tells).
std::optional<TaskState> fromScheduler(const std::string& s) {
    static const std::map<std::string, TaskState> states = {
        {"PENDING", TaskState::Pending},        {"REQUEUED", TaskState::Pending},
        {"CONFIGURING", TaskState::Running},    {"RUNNING", TaskState::Running},
        {"COMPLETING", TaskState::Running},     {"SUSPENDED", TaskState::Running},
        {"STAGE_OUT", TaskState::Running},      {"SIGNALING", TaskState::Running},
        {"FAILED", TaskState::Failed},          {"BOOT_FAIL", TaskState::NodeFail},
        {"NODE_FAIL", TaskState::NodeFail},     {"CANCELLED", TaskState::Cancelled},
        {"TIMEOUT", TaskState::Timeout},        {"DEADLINE", TaskState::Timeout},
        {"OUT_OF_MEMORY", TaskState::OutOfMemory}, {"PREEMPTED", TaskState::Interrupted}};
    const auto it = states.find(s);
    return it == states.end() ? std::nullopt : std::optional<TaskState>(it->second);
}

}  // namespace

TaskState combineTaskState(const std::optional<RunStatus>& run, bool lockHeld,
                           const std::optional<SchedulerState>& scheduler) {
    if (run && run->state == RunState::Finished) return TaskState::Finished;
    if (scheduler)
        if (const auto s = fromScheduler(scheduler->state)) return *s;
    if (lockHeld) return TaskState::Running;
    if (!run) return TaskState::NotStarted;
    switch (run->state) {
        case RunState::Failed: return TaskState::Failed;
        case RunState::Cancelled: return TaskState::Cancelled;
        // Recorded as running but nobody holds the task's lock: its process is gone (a run on
        // another host cannot be probed by pid; the lock tells for every host).
        default: return TaskState::Interrupted;
    }
}

int SweepStatus::count(TaskState s) const {
    return static_cast<int>(std::count_if(tasks.begin(), tasks.end(),
                                          [s](const TaskStatus& t) { return t.state == s; }));
}

namespace {

/// Seconds since an ISO 8601 UTC time ("2026-12-01T01:13:22Z"); 0 when unreadable.
double secondsSinceIso(const std::string& iso) {
    std::tm tm{};
    if (iso.size() < 19 || std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year,
                                       &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                                       &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return std::max(0.0, std::difftime(std::time(nullptr), ::timegm(&tm)));
}

TaskStatus taskStatus(const SweepFolder& folder, const SweepTask& task,
                      const SchedulerReport& report) {
    TaskStatus t;
    t.index = task.index;
    t.name = task.name;
    t.settings = settingsText(task.settings);
    const auto runs = folder.taskRuns(task.index);
    t.attempts = static_cast<int>(runs.size());
    std::optional<RunStatus> run;
    if (!runs.empty()) {
        t.runDir = runs.back();
        const RunDirectory dir(t.runDir);
        run = dir.readStatus();
        t.message = run->message;
        t.elapsedSeconds = run->state == RunState::Running ? secondsSinceIso(run->startedAt)
                                                            : run->elapsedSeconds;
        try {
            if (auto results = dir.readResults()) {
                t.results = *results;
                t.headline = results->value("headline", "");
            }
        } catch (const std::exception& e) {
            t.message += std::string(t.message.empty() ? "" : "; ") + e.what();
        }
    }
    std::optional<SchedulerState> scheduler;
    if (const auto it = report.tasks.find(task.index); it != report.tasks.end()) {
        scheduler = it->second;
        t.scheduler = it->second.state + (it->second.exitCode.empty() ? "" : " (exit " +
                                                                          it->second.exitCode + ")");
        const std::string& why = it->second.reason;
        if (!why.empty() && why != "None" && t.message.find(why) == std::string::npos)
            t.message += (t.message.empty() ? "" : "; ") + std::string("Slurm: ") + why;
    }
    if (!run && !scheduler && report.gone.count(task.index)) {
        // Cancelled while queued: Slurm keeps no record of such an array task.
        scheduler = SchedulerState{"", "CANCELLED", "", ""};
        t.message = "left Slurm's queue before it started (cancelled while pending)";
    }
    t.state = combineTaskState(run, FileLock::isHeld(folder.taskLockPath(task.index)), scheduler);
    return t;
}

}  // namespace

SweepStatus readSweepStatus(const SweepFolder& folder, bool askScheduler) {
    SweepStatus status;
    SchedulerReport report;
    if (askScheduler && !folder.record().submissions.empty()) {
        report = querySlurm(folder.record());
        status.schedulerSource = report.source;
        status.notes = report.notes;
    }
    for (const auto& task : folder.record().tasks)
        status.tasks.push_back(taskStatus(folder, task, report));
    return status;
}

std::string sweepStatusSummary(const SweepStatus& status) {
    std::string out;
    for (TaskState s : {TaskState::Finished, TaskState::Running, TaskState::Pending,
                        TaskState::Failed, TaskState::Timeout, TaskState::OutOfMemory,
                        TaskState::NodeFail, TaskState::Cancelled, TaskState::Interrupted,
                        TaskState::NotStarted})
        if (const int n = status.count(s); n > 0)
            out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + taskStateName(s);
    return out;
}

namespace {

std::string padded(std::string text, std::size_t width) {
    if (text.size() > width) text = text.substr(0, width - 1) + "~";
    return text + std::string(width + 2 - std::min(width, text.size()), ' ');
}

}  // namespace

std::string sweepStatusTable(const SweepStatus& status) {
    std::size_t settingsWidth = 8, stateWidth = 11;
    for (const auto& t : status.tasks) {
        settingsWidth = std::max(settingsWidth, std::min<std::size_t>(t.settings.size(), 40));
        stateWidth = std::max(stateWidth, taskStateName(t.state).size());
    }
    std::string out = padded("task", 4) + padded("settings", settingsWidth) +
                      padded("state", stateWidth) + padded("elapsed", 8) + "result\n";
    for (const auto& t : status.tasks) {
        std::string result = t.state == TaskState::Finished || t.message.empty() ? t.headline
                                                                                : t.message;
        if (!t.scheduler.empty()) result = "[" + t.scheduler + "] " + result;
        out += padded(std::to_string(t.index), 4) + padded(t.settings, settingsWidth) +
               padded(taskStateName(t.state), stateWidth) +
               padded(t.attempts ? formatDuration(t.elapsedSeconds, true) : "", 8) + result + "\n";
    }
    out += std::to_string(status.tasks.size()) + " tasks: " + sweepStatusSummary(status);
    if (status.done()) out += " (done)";
    return out + "\n";
}

}  // namespace trainlab
