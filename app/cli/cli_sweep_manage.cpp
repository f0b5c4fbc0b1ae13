// `trainlab-cli sweep status|resume|cancel|merge DIR`, and sweep's options and help.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include "cli_sweep.h"
#include "errors.h"
#include "host.h"
#include "sweep_process.h"
#include "sweep_slurm.h"
#include "sweep_status.h"

namespace trainlab {

namespace {

SweepFolder folderArgument(const CliInvocation& call) {
    const QString dir = call.arguments.value(1);
    if (dir.isEmpty())
        throw ConfigError({"'sweep " + call.arguments.value(0).toStdString() +
                           "' needs a sweep folder"});
    return SweepFolder::open(dir.toStdString());
}

void printNotes(const SweepStatus& status) {
    if (!status.schedulerSource.empty()) return;
    for (const auto& n : status.notes) std::cerr << "trainlab: scheduler: " << n << "\n";
}

/// SIGTERM to the process named by the lock at `path` (this host only); false when nobody
/// holds it.
bool stopHolder(const fs::path& path, const std::string& what) {
    std::string holder, host;
    if (!FileLock::isHeld(path, &holder)) return false;
    const std::int64_t pid = FileLock::holderPid(holder, &host);
    if (pid <= 0 || host != currentHostName())
        throw Error(what + " runs elsewhere (" + holder + "): stop it there");
    if (::kill(static_cast<pid_t>(pid), SIGTERM) != 0)
        throw Error("cannot stop " + what + " (" + holder + "): " + std::strerror(errno));
    std::cerr << "trainlab: asked " << what << " (" << holder << ") to stop\n";
    return true;
}

/// Waits up to `seconds` for the lock at `path` to be released.
bool waitReleased(const fs::path& path, double seconds) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    while (FileLock::isHeld(path)) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

int cancelLocal(const SweepFolder& folder) {
    std::vector<fs::path> held;
    if (stopHolder(folder.driverLockPath(), "the sweep's driver")) {
        held.push_back(folder.driverLockPath());
    } else {  // tasks run by hand (`sweep task`), no driver
        for (const auto& t : folder.record().tasks)
            if (stopHolder(folder.taskLockPath(t.index), "task " + std::to_string(t.index)))
                held.push_back(folder.taskLockPath(t.index));
    }
    if (held.empty()) {
        std::cerr << "trainlab: nothing of this sweep is running here\n";
        return 0;
    }
    for (const auto& lock : held)
        if (!waitReleased(lock, 90)) {
            std::cerr << "trainlab-cli: still running after 90 s\n";
            return 1;
        }
    std::cerr << "trainlab: stopped; 'sweep resume' runs the unfinished tasks again\n";
    return 0;
}

}  // namespace

int sweepStatusCommand(const CliInvocation& call) {
    const SweepFolder folder = folderArgument(call);
    const SweepStatus status = readSweepStatus(folder);
    printNotes(status);
    std::cout << sweepStatusTable(status);
    return 0;
}

int sweepResumeCommand(const CliInvocation& call) {
    SweepFolder folder = folderArgument(call);
    const SweepStatus status = readSweepStatus(folder);
    printNotes(status);
    std::vector<int> indices;
    std::string list;
    for (const auto& t : status.tasks)
        if (needsResume(t.state)) {
            indices.push_back(t.index);
            list += (list.empty() ? "" : ", ") + std::to_string(t.index);
        }
    if (indices.empty()) {
        std::cerr << "trainlab: nothing to resume: " << sweepStatusSummary(status) << "\n";
        return 0;
    }
    std::cerr << "trainlab: resuming " << indices.size() << " task"
              << (indices.size() == 1 ? "" : "s") << ": " << list << "\n";
    SweepRecord& r = folder.record();
    if (call.isSet("jobs")) r.spec.jobs = intOption(call, "jobs", 0, 100000);
    r.executable = currentExecutable().string();  // the trainlab-cli resuming it
    if (r.spec.backend == SweepBackend::Slurm) {
        warnIfNodeLocal(folder.path());
        return submitSweepToSlurm(folder, indices);
    }
    folder.save();
    return runSweepLocally(folder, indices, r.spec.jobs, call.isSet("quiet"));
}

int sweepCancelCommand(const CliInvocation& call) {
    const SweepFolder folder = folderArgument(call);
    if (folder.record().spec.backend == SweepBackend::Local) return cancelLocal(folder);
    const auto jobs = cancelSlurm(folder.record());
    if (jobs.empty()) {
        std::cerr << "trainlab: no job array of this sweep is queued or running\n";
        return 0;
    }
    std::string list;
    for (const auto& j : jobs) list += (list.empty() ? "" : ", ") + j;
    std::cerr << "trainlab: cancelled job array" << (jobs.size() == 1 ? " " : "s ") << list
              << "; 'sweep resume' submits the unfinished tasks again\n";
    return 0;
}

int sweepMergeCommand(const CliInvocation& call) {
    const SweepFolder folder = folderArgument(call);
    const SweepStatus status = readSweepStatus(folder);
    printNotes(status);
    const int columns = writeSweepCsv(folder, status, folder.csvPath());
    std::cerr << "trainlab: " << status.tasks.size() << " rows, " << columns << " columns ("
              << sweepStatusSummary(status) << ")\n";
    std::cout << folder.csvPath().string() << "\n";
    return 0;
}

std::vector<CliOption> sweepCliOptions() {
    return {
        {{"grid"},
         "Sweep: a setting and its values, e.g. --grid lr=1e-3,1e-2 (repeatable; ';' separates "
         "values that hold commas).",
         "key=v1,v2", {}},
        {{"seeds"}, "Sweep: seeds per setting; seed k is the preset's seed + k (default 1).", "N",
         {}},
        {{"backend"}, "Sweep: local (default) or slurm.", "local|slurm", {}},
        {{"jobs"},
         "Sweep: tasks at once (local: default the cores / --threads; slurm: the array's %N, "
         "default no limit).",
         "N", {}},
        {{"partition"}, "Slurm: the partition (sbatch --partition).", "NAME", {}},
        {{"time"}, "Slurm: each task's time limit (sbatch --time), e.g. 02:00:00.", "LIMIT", {}},
        {{"cpus-per-task"}, "Slurm: cores per task (sbatch --cpus-per-task).", "N", {}},
        {{"mem"}, "Slurm: memory per task (sbatch --mem), e.g. 4G.", "SIZE", {}},
        {{"gres"}, "Slurm: generic resources per task (sbatch --gres), e.g. gpu:1.", "LIST", {}},
        {{"sbatch-arg"},
         "Slurm: one more sbatch option, as it is: --sbatch-arg=--qos=long (repeatable).",
         "OPTION", {}},
        {{"setup"},
         "Slurm: a shell line each task runs first, e.g. --setup 'module load trainlab' "
         "(repeatable).",
         "LINE", {}},
    };
}

QStringList sweepOptionNames() {
    QStringList names = {"set", "threads", "out", "quiet", "data-dir"};
    for (const CliOption& o : sweepCliOptions()) names << o.names.last();
    return names;
}

std::vector<CliUsage> sweepUsage() {
    return {{"sweep <preset, file or built-in sweep>", "run a preset over a grid × seeds"},
            {"sweep list", "the built-in sweeps (experiments/sweeps)"},
            {"sweep validate <preset or file>", "check a sweep, naming each bad task and field"},
            {"sweep status <folder>", "each task's state, elapsed time and result"},
            {"sweep resume <folder>", "run the tasks that did not finish again"},
            {"sweep cancel <folder>", "stop a sweep (Slurm: scancel)"},
            {"sweep merge <folder>", "one CSV: a row per task, settings and results"},
            {"sweep task <folder> <i>", "run task i (what each Slurm array task runs)"}};
}

QString sweepHelp() {
    return "A sweep is a preset × every combination of its --grid values × --seeds seeds. Each\n"
           "task is a normal run in <folder>/tasks/<i>-<settings>/; all are validated before\n"
           "the folder (--out) is made. --backend local (default) runs --jobs tasks at once\n"
           "as child processes; Ctrl+C stops them all, keeping what was recorded. --backend\n"
           "slurm submits one job array (sbatch) and returns; every Slurm node must see the\n"
           "folder, so put it on shared storage (home, project, scratch), never /tmp.\n"
           "A sweep file (JSON: preset, grid, seeds, set, backend, jobs, slurm) may replace the\n"
           "preset; the options add to it. A built-in sweep's id ('sweep list') names one such\n"
           "file shipped with trainlab. Exit code: 0 finished (or submitted), 1 a task did\n"
           "not finish, 2 bad input, 128 + the signal when stopped. See docs/sweeps.md.";
}

}  // namespace trainlab
