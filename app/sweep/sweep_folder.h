// A sweep on disk (docs/sweeps.md):
//   DIR/sweep.json        the spec, the preset, every task (settings, complete config), the
//                         backend, each Slurm submission (job id, indices) and the version;
//                         written atomically
//   DIR/tasks/<name>/     the task's runs: normal run folders (<time>-<preset id>), one per
//                         attempt; the newest is the task's state
//   DIR/logs/             the tasks' stdout and stderr (task-<i>.log, slurm-<job>_<i>.log)
//   DIR/locks/            task-<i>.lock held by the process running task i; driver.lock by a
//                         local sweep's driver (open-file-description locks, see FileLock)
//   DIR/sweep.sbatch      the Slurm batch script (Slurm backend)
//   DIR/sweep.csv         `sweep merge`: one row per task
// Plain C++ (no Qt, no torch).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sweep_spec.h"
#include "unique_fd.h"

namespace trainlab {

namespace fs = std::filesystem;

/// One Slurm job array submitted for the sweep.
struct SweepSubmission {
    std::string jobId;         ///< the array's job id ("4711")
    std::vector<int> indices;  ///< the task indices it runs
    std::string array;         ///< the --array value given ("0-5%2", "3,5")
    std::string submittedAt;   ///< ISO 8601 UTC
};

/// The content of sweep.json.
struct SweepRecord {
    SweepSpec spec;
    Preset preset;  ///< whole (config included): tasks never re-read a preset file
    std::vector<SweepTask> tasks;
    std::string trainlabVersion;
    std::string createdAt;
    std::string executable;  ///< the trainlab-cli that runs the tasks (absolute)
    std::vector<SweepSubmission> submissions;
};

nlohmann::json sweepRecordToJson(const SweepRecord& record);
/// Throws ConfigError naming the file and the field when `j` is not a sweep record.
SweepRecord sweepRecordFromJson(const nlohmann::json& j, const std::string& source);

class SweepFolder {
  public:
    /// Creates `dir` (it must not exist, or be an empty folder) with tasks/, logs/, locks/ and
    /// sweep.json. Throws IoError naming the path and the reason.
    static SweepFolder create(const fs::path& dir, const SweepRecord& record);
    /// Reads DIR/sweep.json. Throws IoError (no such file) or ConfigError (not a sweep).
    static SweepFolder open(const fs::path& dir);

    const fs::path& path() const { return dir_; }
    const SweepRecord& record() const { return record_; }
    SweepRecord& record() { return record_; }
    /// Writes sweep.json atomically.
    void save() const;

    fs::path recordPath() const { return dir_ / "sweep.json"; }
    fs::path logsDir() const { return dir_ / "logs"; }
    fs::path sbatchPath() const { return dir_ / "sweep.sbatch"; }
    fs::path csvPath() const { return dir_ / "sweep.csv"; }
    fs::path driverLockPath() const { return dir_ / "locks" / "driver.lock"; }
    /// tasks/<name>: the runs folder of task `index`.
    fs::path taskFolder(int index) const;
    fs::path taskLockPath(int index) const;
    fs::path taskLogPath(int index) const;  ///< logs/task-<i>.log (local backend)
    /// Task `index`'s run folders, oldest first (an attempt per run; empty: never started).
    std::vector<fs::path> taskRuns(int index) const;
    /// Throws ConfigError when `index` is not a task of this sweep.
    const SweepTask& task(int index) const;

  private:
    SweepFolder(fs::path dir, SweepRecord record);
    fs::path dir_;
    SweepRecord record_;
};

/// An exclusive lock on a file that ends with the process (or when released): an
/// open-file-description lock (F_OFD_SETLK), which NFS carries to the server and which can be
/// probed without taking it (F_OFD_GETLK). Whoever holds it writes "pid N on host H since T".
class FileLock {
  public:
    /// Takes the lock on `path` (created if missing) without waiting. When another process holds
    /// it, returns nullopt with the holder's line in `holder`. Throws IoError when the file
    /// cannot be opened.
    static std::optional<FileLock> tryAcquire(const fs::path& path, std::string* holder);
    /// Whether a process holds the lock on `path`, without taking it; its line in `holder`.
    static bool isHeld(const fs::path& path, std::string* holder = nullptr);
    /// The holder's pid from its line (0 when unknown) and its host.
    static std::int64_t holderPid(const std::string& holder, std::string* host = nullptr);

  private:
    explicit FileLock(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

}  // namespace trainlab
