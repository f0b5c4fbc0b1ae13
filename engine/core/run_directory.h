// A run on disk (the file formats: csv.h, atomic_file.h, run_file_reader.h; the runs folder:
// run_listing.h):
//   <run>/config.json    complete resolved config (preset, hyperparameters, seed, versions)
//   <run>/status.json    running | finished | failed | cancelled, message, timings, pid,
//                        process start time, boot id (padded to a fixed size, see writeStatus)
//   <run>/panels.json    the PlotLayout of the experiment
//   <run>/metrics/<series>.csv   one series per file, every point kept (heatmaps: x,y,z grid)
//   <run>/results.json   summary numbers
//   <run>/plots/<panel>.png|.svg  rendered by the app layer
// JSON files are written atomically (temporary file + rename). CSV files are appended and
// flushed line by line; a reader ignores an incomplete last line, so a killed run keeps every
// metric written before the kill. Plain C++ (no torch, no Qt). Not thread-safe per object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "plot_layout.h"
#include "series_data.h"

namespace trainlab {

namespace fs = std::filesystem;

enum class RunState { Running, Finished, Failed, Cancelled, Interrupted };

std::string runStateName(RunState s);
RunState runStateFromName(const std::string& name);  ///< unknown names give Interrupted

struct RunStatus {
    RunState state = RunState::Running;
    std::string message;
    std::string startedAt;  ///< ISO 8601 UTC
    std::string endedAt;
    double elapsedSeconds = 0;
    std::int64_t pid = 0;
    std::string host;
    /// When the process started (/proc/<pid>/stat field 22, clock ticks since boot) and this
    /// boot's id (/proc/sys/kernel/random/boot_id): a pid reused by another process, or after a
    /// reboot, is not the run's process. 0 and "" (status files before issue 18): pid only.
    std::int64_t pidStartTicks = 0;
    std::string bootId;
};

/// Fills pid, host, pidStartTicks and bootId with this process's values.
void recordThisProcess(RunStatus& status);

/// Bytes reserved for status.json: it is always written padded with spaces to this size, so
/// that the final state can overwrite it in place when the disk is full (no block and no inode
/// is needed); a longer message is shortened in the file.
constexpr std::size_t kStatusFileBytes = 8192;

class RunDirectory {
  public:
    /// Creates a new, uniquely named run folder "<root>/<yyyymmdd-hhmmss>-<name>[-n]" with
    /// mkdir(2): any existing entry (file, folder, symlink, dangling symlink) takes the name and
    /// the next suffix is tried; a symlink is never followed.
    static RunDirectory create(const fs::path& root, const std::string& name);
    /// Opens an existing run folder (throws IoError if it is not a folder).
    explicit RunDirectory(fs::path dir);

    const fs::path& path() const { return dir_; }
    fs::path metricsDir() const { return dir_ / "metrics"; }
    fs::path plotsDir() const { return dir_ / "plots"; }
    fs::path seriesPath(const std::string& seriesId) const;
    fs::path labelsPath(const std::string& seriesId) const;  ///< metrics/<id>.labels.txt
    /// metrics/<id>.runs.txt: the 1-based run of each point of series `id`, one per line
    /// (ExperimentSink::pointRunsReplaced).
    fs::path pointRunsPath(const std::string& seriesId) const;
    /// Run `run`'s (1-based) copy of the per-run series `seriesId`: metrics/<id>_run<N>.csv
    /// (perRunSeriesId).
    fs::path perRunSeriesPath(const std::string& seriesId, int run) const;
    /// Writes pointRunsPath(seriesId) atomically. Throws IoError.
    void writePointRuns(const std::string& seriesId, const std::vector<int>& runs) const;
    /// Reads pointRunsPath(seriesId); a missing file reads as empty. Throws IoError when it
    /// cannot be read (refused as readSeriesLabels refuses) and DataError naming the file and
    /// the line when a line is not a run number (a whole number ≥ 1).
    std::vector<int> readPointRuns(const std::string& seriesId) const;

    void writeConfig(const nlohmann::json& config) const;
    void writeResults(const nlohmann::json& results) const;
    void writeLayout(const PlotLayout& layout) const;
    /// Writes status.json padded to kStatusFileBytes: atomically (temporary file + rename) when
    /// it can, else (full disk, no inode) in place over the existing, pre-allocated file.
    void writeStatus(const RunStatus& status) const;
    /// Undoes create() and the set-up writes of a run that could not be set up: removes
    /// config.json, panels.json, status.json (and this process's temporary files of them), the
    /// empty metrics/ and plots/ folders and then the folder itself. Anything else found there
    /// is left in place. Returns true when the folder is gone. Never throws.
    bool removeUnstarted() const;

    nlohmann::json readConfig() const;
    std::optional<nlohmann::json> readResults() const;
    /// panels.json; throws ConfigError naming a panel or series id that is not a plain file
    /// name (isSafeId: ids name the files of metrics/ and plots/).
    PlotLayout readLayout() const;
    /// The recorded status; a run recorded as running whose process no longer exists (or
    /// that has no status at all) is reported as Interrupted. The process counts as the run's
    /// only when the pid exists and, where recorded, its start time and the boot id match.
    RunStatus readStatus() const;
    /// Every series of the layout read back from metrics/. Heatmap series come back empty:
    /// their files are grids, read with readGridCsv(seriesPath(id)).
    std::vector<std::pair<SeriesSpec, Series>> readAllSeries() const;
    /// As readAllSeries(), but a series whose file cannot be read comes back empty with the
    /// reason in `errors` ("'<run>/metrics/loss_m1.csv' is a folder, not a file"), and lines
    /// skipped in a file are reported in `warnings`. Still throws what readLayout() throws, and
    /// IoError when metrics/ is a symbolic link or not a folder.
    std::vector<std::pair<SeriesSpec, Series>> readAllSeries(
        std::vector<std::string>& warnings, std::vector<std::string>& errors) const;
    /// plots/, created if missing, for writing plots into. Throws IoError when it is a symbolic
    /// link (plots are written inside the run folder only) or not a folder.
    fs::path plotsDirForWriting() const;

  private:
    fs::path dir_;
};

}  // namespace trainlab
