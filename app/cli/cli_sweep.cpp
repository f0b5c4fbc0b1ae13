// `trainlab-cli sweep PRESET|FILE …`, `sweep validate` and `sweep task` (what each task, local
// or a Slurm array task, runs).
#include "cli_sweep.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <iostream>

#include "atomic_file.h"
#include "cli_run.h"
#include "errors.h"
#include "experiment_runner.h"
#include "host.h"
#include "json_text.h"
#include "sweep_builtin.h"
#include "run_listing.h"
#include "sweep_local.h"
#include "sweep_process.h"
#include "sweep_slurm.h"

namespace trainlab {

namespace {

std::atomic<int> gSweepStop{0};

extern "C" void onSweepSignal(int sig) {
    int none = 0;
    gSweepStop.compare_exchange_strong(none, sig);
}

std::string str(const QString& s) { return s.toStdString(); }

/// True when `target` is a sweep file (a JSON object without a "kind": preset files have one).
bool isSweepFile(const std::string& target, nlohmann::json* parsed) {
    std::error_code ec;
    if (!fs::is_regular_file(target, ec)) return false;
    *parsed = parseStrictJson(readFile(target), target);
    return parsed->is_object() && !parsed->contains("kind");
}

SlurmOptions slurmFromCall(const CliInvocation& call, SlurmOptions s) {
    if (call.isSet("partition")) s.partition = str(call.value("partition"));
    if (call.isSet("time")) s.time = str(call.value("time"));
    if (call.isSet("cpus-per-task")) s.cpusPerTask = intOption(call, "cpus-per-task", 1, 4096);
    if (call.isSet("mem")) s.mem = str(call.value("mem"));
    if (call.isSet("gres")) s.gres = str(call.value("gres"));
    for (const QString& a : call.values("sbatch-arg")) s.sbatchArgs.push_back(str(a));
    for (const QString& a : call.values("setup")) s.setup.push_back(str(a));
    return s;
}

/// The sweep of the command line: a sweep file or a preset (argument `at`), then the options,
/// which add grid axes and settings to a file's and replace its other values.
SweepSpec specFromCall(const CliInvocation& call, int at) {
    const std::string target = str(call.arguments.value(at));
    if (target.empty()) throw ConfigError({"'sweep' needs a preset or a sweep file (see --help)"});
    SweepSpec spec;
    nlohmann::json file;
    if (isSweepFile(target, &file)) spec = sweepSpecFromJson(file, target);
    else if (const SweepSpec* builtin = findBuiltinSweep(target)) spec = *builtin;
    else spec.preset = target;
    for (const QString& g : call.values("grid")) spec.grid.push_back(parseGridOption(str(g)));
    for (const QString& s : call.values("set")) spec.sets.push_back(str(s));
    if (call.isSet("seeds")) spec.seeds = intOption(call, "seeds", 1, kMaxSweepTasks);
    if (call.isSet("backend")) {
        const std::string b = str(call.value("backend"));
        if (b != "local" && b != "slurm")
            throw ConfigError({"--backend '" + briefText(b) + "' must be local or slurm"});
        spec.backend = b == "slurm" ? SweepBackend::Slurm : SweepBackend::Local;
    }
    if (call.isSet("jobs")) spec.jobs = intOption(call, "jobs", 0, 100000);
    if (call.isSet("threads")) spec.threads = intOption(call, "threads", 1, 256);
    if (call.isSet("data-dir")) spec.dataDir = str(call.value("data-dir"));
    spec.slurm = slurmFromCall(call, spec.slurm);
    // A task given N cores uses them unless --threads says otherwise.
    if (call.isSet("cpus-per-task") && !call.isSet("threads"))
        spec.threads = std::min(256, spec.slurm.cpusPerTask);
    return spec;
}

/// --out, or "<runs folder>/<yyyymmdd-hhmmss>-sweep-<preset id>".
fs::path sweepFolderFor(const CliInvocation& call, const SweepSpec& spec, const Preset& preset) {
    if (call.isSet("out")) return str(call.value("out"));
    std::string why;
    const fs::path root = defaultRunsRoot(&why);
    if (root.empty()) throw ConfigError({why});
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    const std::string name = spec.info.id.empty() ? "sweep-" + preset.id : spec.info.id;
    return root / (std::string(stamp) + "-" + name);
}

int startSweep(const CliInvocation& call) {
    const SweepSpec spec = specFromCall(call, 0);
    SweepPlan plan = planSweep(spec);  // everything is checked before anything is made
    const fs::path dir = sweepFolderFor(call, spec, plan.preset);
    if (spec.backend == SweepBackend::Slurm) warnIfNodeLocal(dir);
    SweepRecord record{spec,         plan.preset,          std::move(plan.tasks),
                       trainlabVersion(), isoTimestampUtc(), currentExecutable().string(),
                       {}};
    SweepFolder folder = SweepFolder::create(dir, record);
    const int count = static_cast<int>(folder.record().tasks.size());
    std::cerr << "trainlab: sweep of " << count << " task" << (count == 1 ? "" : "s") << " of "
              << folder.record().preset.id << " in " << folder.path().string() << "\n";
    std::cout << folder.path().string() << "\n" << std::flush;
    std::vector<int> all(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) all[static_cast<std::size_t>(i)] = i;
    if (spec.backend == SweepBackend::Slurm) return submitSweepToSlurm(folder, all);
    return runSweepLocally(folder, all, spec.jobs, call.isSet("quiet"));
}

int validateSweep(const CliInvocation& call) {
    const SweepSpec spec = specFromCall(call, 1);
    const SweepPlan plan = planSweep(spec);
    std::string axes;
    for (const auto& a : spec.grid)
        axes += (axes.empty() ? "" : " × ") + a.key + " (" + std::to_string(a.values.size()) + ")";
    std::cout << str(call.arguments.value(1)) << ": valid sweep of " << plan.preset.id << " ("
              << plan.preset.kind << "): " << plan.tasks.size() << " tasks"
              << (axes.empty() ? "" : ", grid " + axes) << ", " << spec.seeds << " seed"
              << (spec.seeds == 1 ? "" : "s") << ", backend " << sweepBackendName(spec.backend)
              << "\n";
    for (std::size_t i = 0; i < plan.tasks.size() && i < 20; ++i)
        std::cout << "  " << plan.tasks[i].name << "\n";
    if (plan.tasks.size() > 20) std::cout << "  … and " << plan.tasks.size() - 20 << " more\n";
    return 0;
}

/// `sweep task DIR INDEX`: one task as a normal run, under the task's lock.
int runTask(const CliInvocation& call) {
    if (call.arguments.size() < 3)
        throw ConfigError({"'sweep task' needs the sweep folder and a task index"});
    const SweepFolder folder = SweepFolder::open(str(call.arguments.at(1)));
    bool ok = false;
    const int index = call.arguments.at(2).toInt(&ok);
    if (!ok) throw ConfigError({"task index '" + str(call.arguments.at(2)) + "' is not a number"});
    const SweepTask& task = folder.task(index);
    std::string holder;
    std::optional<FileLock> lock;
    try {
        lock = FileLock::tryAcquire(folder.taskLockPath(index), &holder);
        if (!lock) {
            std::cerr << "trainlab-cli: task " << index << " is already being run ("
                      << (holder.empty() ? "lock held" : holder) << "); not starting it twice\n";
            return 2;
        }
    } catch (const IoError& e) {  // a file system without locks (some parallel file systems)
        std::cerr << "trainlab: warning: " << e.what()
                  << "; running without the task's lock\n";
    }
    const auto runs = folder.taskRuns(index);
    if (!runs.empty() && RunDirectory(runs.back()).readStatus().state == RunState::Finished) {
        std::cerr << "trainlab: task " << index << " has already finished\n";
        std::cout << runs.back().string() << "\n";
        return 0;
    }
    std::error_code ec;
    fs::create_directories(folder.taskFolder(index), ec);
    if (ec) throw IoError(systemErrorText("cannot create", folder.taskFolder(index), ec.value()));
    const SweepRecord& r = folder.record();
    RunRequest request{r.preset, task.config, folder.taskFolder(index), r.spec.threads,
                       r.spec.dataDir};
    std::cerr << "trainlab: sweep task " << index << " (" << settingsText(task.settings)
              << ") on " << currentHostName() << "\n";
    int sig = 0;
    const RunOutcome outcome = runWithStopSignals(request, call.isSet("quiet"), &sig);
    std::cerr << "trainlab: " << runStateName(outcome.state) << ": " << outcome.message << "\n";
    if (!outcome.runDir.empty()) std::cout << outcome.runDir.string() << "\n";
    if (outcome.state == RunState::Finished) return 0;
    if (outcome.state == RunState::Cancelled) return 128 + (sig ? sig : SIGINT);
    return 1;
}

}  // namespace

int intOption(const CliInvocation& call, const char* option, int lo, int hi) {
    bool ok = false;
    const int v = call.value(option).toInt(&ok);
    if (!ok || v < lo || v > hi)
        throw ConfigError({"--" + std::string(option) + " '" + str(call.value(option)) +
                           "' must be an integer in [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "]"});
    return v;
}

void warnIfNodeLocal(const fs::path& dir) {
    std::error_code ec;
    const std::string p = fs::absolute(dir, ec).lexically_normal().string();
    for (const std::string prefix : {"/tmp", "/var/tmp", "/dev/shm", "/run"})
        if (p == prefix || p.rfind(prefix + "/", 0) == 0)
            std::cerr << "trainlab: warning: '" << p << "' looks node-local (" << prefix
                      << "): every Slurm node must see the sweep folder, so put it on storage "
                         "they share (home, project or scratch)\n";
}

int runSweepLocally(const SweepFolder& folder, const std::vector<int>& indices, int jobs,
                    bool quiet) {
    std::string holder;
    const auto driver = FileLock::tryAcquire(folder.driverLockPath(), &holder);
    if (!driver) {
        std::cerr << "trainlab-cli: this sweep is already being run (" << holder
                  << "); 'sweep cancel' stops it\n";
        return 2;
    }
    LocalRunOptions o;
    o.executable = currentExecutable();
    o.jobs = jobs > 0 ? jobs : defaultLocalJobs(folder.record().spec.threads);
    o.quiet = quiet;
    o.stop = &gSweepStop;
    gSweepStop = 0;
    std::cerr << "trainlab: running " << indices.size() << " task"
              << (indices.size() == 1 ? "" : "s") << ", " << o.jobs << " at a time\n";
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, onSweepSignal);
    const LocalRunOutcome out = runLocalTasks(folder, indices, o);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, SIG_DFL);
    std::cerr << "trainlab: sweep: " << out.finished << " finished, " << out.failed << " failed, "
              << out.stopped << " stopped";
    if (out.stopSignal) std::cerr << " (stopped by signal " << out.stopSignal << ")";
    std::cerr << "\n";
    if (out.stopSignal) return 128 + out.stopSignal;
    return out.finished == static_cast<int>(indices.size()) ? 0 : 1;
}

int submitSweepToSlurm(SweepFolder& folder, const std::vector<int>& indices) {
    const SweepSubmission sub = submitSlurmArray(folder, indices);
    std::cerr << "trainlab: submitted job array " << sub.jobId << " (--array=" << sub.array
              << ", " << indices.size() << " task" << (indices.size() == 1 ? "" : "s")
              << "); 'trainlab-cli sweep status " << folder.path().string() << "' follows it\n";
    return 0;
}

/// `sweep list`: the built-in sweeps, their task counts and titles.
int listBuiltinSweeps() {
    for (const SweepSpec& s : builtinSweeps()) {
        std::size_t tasks = static_cast<std::size_t>(s.seeds);
        for (const auto& a : s.grid) tasks *= a.values.size();
        std::cout << s.info.id << "  (" << s.preset << ", " << tasks << " task"
                  << (tasks == 1 ? "" : "s") << ")\n    " << s.info.title << "\n";
    }
    return 0;
}

int sweepCommand(const CliInvocation& call) {
    const QString sub = call.arguments.value(0);
    if (sub == "list") return listBuiltinSweeps();
    if (sub == "validate") return validateSweep(call);
    if (sub == "task") return runTask(call);
    if (sub == "status") return sweepStatusCommand(call);
    if (sub == "resume") return sweepResumeCommand(call);
    if (sub == "cancel") return sweepCancelCommand(call);
    if (sub == "merge") return sweepMergeCommand(call);
    return startSweep(call);
}

}  // namespace trainlab
