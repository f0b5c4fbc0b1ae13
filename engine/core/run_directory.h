// A run on disk:
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
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "plot_layout.h"

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

/// The start time of process `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat),
/// or 0 when it cannot be read (no such process, no /proc).
std::int64_t processStartTicks(std::int64_t pid);

/// This boot's id (/proc/sys/kernel/random/boot_id without the line end), "" when unavailable.
std::string currentBootId();

/// Bytes reserved for status.json: it is always written padded with spaces to this size, so
/// that the final state can overwrite it in place when the disk is full (no block and no inode
/// is needed); a longer message is shortened in the file.
constexpr std::size_t kStatusFileBytes = 8192;

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
/// Throws IoError naming the path and the system's reason; the old file stays intact.
void writeFileAtomic(const fs::path& path, const std::string& bytes);

/// Reads a whole file; throws IoError naming the path.
std::string readFile(const fs::path& path);

/// Reads and parses a JSON file; throws IoError (missing/unreadable) or ConfigError (syntax).
nlohmann::json readJsonFile(const fs::path& path);

// Files of a run folder are a data format, and a run folder may come from anywhere (a copy, an
// archive, a shared disk). Its numbers are written and parsed in the C locale whatever the
// process locale (QCoreApplication sets it from the environment: de_DE writes "0,5"), and its
// readers open only regular files inside it: never through a symbolic link, never blocking on
// a named pipe or a device, never more than these limits (issue 18, docs/hardening.md).
inline constexpr std::size_t kMaxRunFileLineBytes = std::size_t{1} << 20;        ///< 1 MiB a line
inline constexpr std::uint64_t kMaxRunCsvFileBytes = std::uint64_t{4} << 30;     ///< 4 GiB a CSV
inline constexpr std::uint64_t kMaxRunJsonFileBytes = std::uint64_t{256} << 20;  ///< 256 MiB

/// Appends `v` as "%.9g" does in the C locale (0.118651191, 1e-05, nan, -inf), whatever the
/// process locale.
void appendCsvNumber(std::string& out, double v);
/// Parses one number written by appendCsvNumber (or by hand: C locale, '.' as the decimal
/// point, optional '+' and surrounding blanks, nan/inf). False unless [first, last) is one
/// whole number.
bool parseCsvNumber(const char* first, const char* last, double& out);

/// Reads a whole file of a run folder: a regular file only (a symbolic link, a folder, a named
/// pipe or a device is refused without being opened for reading or blocked on), at most
/// `maxBytes`. Throws IoError naming the file and what it is, or the limit it passes.
std::string readRunFile(const fs::path& path, std::uint64_t maxBytes = kMaxRunJsonFileBytes);

/// readJsonFile through readRunFile (for the JSON files of a run folder).
nlohmann::json readRunJsonFile(const fs::path& path);

std::string isoTimestampUtc();

/// One numeric series: parallel x and y arrays.
struct Series {
    std::vector<double> x;
    std::vector<double> y;
};

/// Appends rows "x,y" to a CSV file with a header line; each row reaches the OS at flush().
/// A failed write (full disk, read-only, file too large) throws IoError naming the file and
/// the system's reason, and cuts the file back to its last whole row: what was written before
/// stays intact, and nothing is ever written twice (a buffered stream would retry its whole
/// buffer on close). Move-only; closes the file when destroyed.
class CsvSeriesWriter {
  public:
    CsvSeriesWriter() = default;
    CsvSeriesWriter(const fs::path& path, const std::string& xName, const std::string& yName);
    CsvSeriesWriter(CsvSeriesWriter&& other) noexcept;
    CsvSeriesWriter& operator=(CsvSeriesWriter&& other) noexcept;
    CsvSeriesWriter(const CsvSeriesWriter&) = delete;
    CsvSeriesWriter& operator=(const CsvSeriesWriter&) = delete;
    ~CsvSeriesWriter();
    void append(double x, double y);
    void flush();  ///< throws IoError on a write failure (full disk), then on every later call
    bool isOpen() const { return fd_ >= 0; }

  private:
    fs::path path_;
    int fd_ = -1;
    std::string pending_;    ///< rows not yet written
    std::int64_t good_ = 0;  ///< bytes of whole rows on disk
    int error_ = 0;          ///< errno of the failed write (EFBIG, ENOSPC, EROFS …)
};

/// Writes a whole series (atomically) as CSV with a header.
void writeSeriesCsv(const fs::path& path, const std::string& xName, const std::string& yName,
                    const Series& s);

/// Per-point labels of a series (one line per point, e.g. "epoch 3 · loss 0.31 · acc 91%"),
/// stored as metrics/<series>.labels.txt. Written atomically; a missing file reads as empty;
/// reading refuses what readSeriesCsv refuses.
void writeSeriesLabels(const fs::path& path, const std::vector<std::string>& labels);
std::vector<std::string> readSeriesLabels(const fs::path& path);

/// Reads a two-column CSV written by trainlab (LF or CRLF line ends). Skips the header and
/// blank lines; ignores an incomplete last line (the tail of a killed run); skips a malformed
/// line and keeps the rest. Throws IoError if the file cannot be opened or is not a regular file
/// (see readRunFile), DataError naming the file when it passes kMaxRunCsvFileBytes or a line
/// passes kMaxRunFileLineBytes.
Series readSeriesCsv(const fs::path& path);
/// As readSeriesCsv; each skipped line is reported in `warnings` with the file and line number
/// (the first few one by one, then their count).
Series readSeriesCsv(const fs::path& path, std::vector<std::string>* warnings);

/// Values on a 2-D grid (a SeriesStyle::Heatmap series): nx strictly increasing cell centres
/// `xs`, ny strictly increasing `ys` and nx·ny values `z`, row-major by y:
/// z[iy * xs.size() + ix] is the value at (xs[ix], ys[iy]). z may hold NaN or ±inf (gaps).
/// An empty grid (no xs, no ys, no z) is valid: nothing to draw.
struct Grid {
    std::vector<double> xs;
    std::vector<double> ys;
    std::vector<double> z;
};

/// What is wrong with `g` ("z has 8 values; 3 x times 3 y need 9"), or "" if it is consistent:
/// xs and ys finite and strictly increasing, both empty or both non-empty, z of nx·ny values.
std::string gridFault(const Grid& g);

/// Writes a grid (atomically) as CSV: header "x,y,z", then one row per cell, y in the outer
/// and x in the inner loop (the order of z), 9 significant digits, non-finite z as nan/inf.
/// Throws DataError naming the path when the grid is inconsistent (see gridFault), IoError
/// when the file cannot be written.
void writeGridCsv(const fs::path& path, const Grid& grid);

/// Reads a grid written by writeGridCsv. Throws IoError if the file cannot be opened and
/// DataError naming the file, the line and the fault if it is not a whole regular grid (wrong
/// header, a malformed or truncated row, an x or y out of place, too few rows for the last y).
/// A file with only the header reads as an empty grid.
Grid readGridCsv(const fs::path& path);

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

/// Summary of one run for the history list.
struct RunSummary {
    fs::path path;
    std::string presetId;
    std::string title;
    RunStatus status;
    std::string headline;  ///< results.json "headline", if any
};

/// Lists run folders under `root` (newest first). Folders that are not runs are skipped;
/// damaged runs are listed with a message, never thrown.
std::vector<RunSummary> listRuns(const fs::path& root);

/// The default runs folder: $TRAINLAB_RUNS, else $XDG_DATA_HOME/trainlab/runs (when absolute),
/// else $HOME/.local/share/trainlab/runs (HOME set, absolute and a directory), else
/// $XDG_RUNTIME_DIR/trainlab/runs (absolute, a directory private to this user). Never a fixed
/// folder in /tmp: with none of these it throws ConfigError naming --out and TRAINLAB_RUNS.
fs::path defaultRunsRoot();
/// The same without throwing: an empty path, and the reason in `whyNot`, when there is none.
fs::path defaultRunsRoot(std::string* whyNot);

/// This machine's host name, recorded in status.json to tell a dead local run from a remote one.
std::string currentHostName();

}  // namespace trainlab
