// The runs a compare window shows, read from their folders with the run readers
// (RunDirectory, readSeriesCsv, readGridCsv) and re-read where their files grew. Plain C++ (no
// Qt): the window reads in a worker thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "plot_layout.h"
#include "run_directory.h"
#include "run_groups.h"
#include "series_data.h"

namespace trainlab {

namespace fs = std::filesystem;

/// What identifies a run before its data is read: its kind, layout and settings.
struct RunHeader {
    fs::path dir;
    std::string kind;      ///< config.json "kind" ("function_fit")
    std::string presetId;  ///< config.json "preset_id"
    Settings settings;     ///< the config flattened to dotted keys (configSettings)
    PlotLayout layout;
};

/// The data of one run: its series (Heatmap series as grids) and its results.
struct RunData {
    fs::path dir;  ///< empty: no run yet (a sweep task not started)
    PlotLayout layout;
    std::map<std::string, Series> series;
    std::map<std::string, Grid> grids;
    std::map<std::string, std::uintmax_t> fileBytes;  ///< size of each series' file when read
    nlohmann::json results;                            ///< null until results.json exists
    std::vector<std::string> problems;                 ///< files that could not be read, and why
};

/// The complete config of config.json ("config") as settings: nested objects flattened to
/// dotted keys ("stop.rule"), arrays of objects by index ("models.0.widths"), other arrays and
/// scalars as their value text (numbers in the C locale, lists as compact JSON "[1,6,1]").
Settings configSettings(const nlohmann::json& config);

/// Reads config.json and panels.json of a run. Throws IoError or ConfigError naming the
/// folder when it is not a run (no config, no layout, no kind).
RunHeader readRunHeader(const fs::path& dir);

/// "" when every run has the same kind, else the message refusing them, naming the two kinds
/// and a run of each.
std::string kindMismatch(const std::vector<RunHeader>& runs);

/// The panels and series of every layout, each id once, in the order first met.
PlotLayout mergedLayout(const std::vector<const PlotLayout*>& layouts);

/// Reads every series of the run in `dir` (RunDirectory::readAllSeries; Heatmap series with
/// readGridCsv) and results.json. Never throws: what cannot be read is in `problems`.
RunData readRunData(const fs::path& dir);

/// What was read of a run: enough to tell what changed since.
struct RunFiles {
    fs::path dir;
    std::map<std::string, std::uintmax_t> fileBytes;
    bool hasResults = false;
};
RunFiles filesOf(const RunData& data);

/// The series whose files changed size since `known` was read (new files included), read
/// again, and results.json when `known` had none. Returns nullopt when nothing changed.
std::optional<RunData> readRunChanges(const RunFiles& known);

/// Puts `changes` (from readRunChanges) into `into`: its series, grids and file sizes replace
/// those of the same id, its results replace none, its problems are added once.
void mergeRunData(RunData& into, RunData&& changes);

/// One pass of reading what changed in a set of runs.
struct Reload {
    std::vector<std::pair<std::size_t, RunData>> full;     ///< runs read whole (new folders)
    std::vector<std::pair<std::size_t, RunData>> changed;  ///< changes to merge (mergeRunData)
};

/// Reads run i of `dirs` whole where known[i] is not that folder (or is missing), else its
/// changes; whole reads on up to `threads` threads. Folders that are empty paths are skipped.
Reload reloadRuns(const std::vector<fs::path>& dirs, const std::vector<RunFiles>& known,
                  int threads);

/// Every numeric scalar of a results.json by dotted name (flattenResults; booleans and text
/// left out).
std::vector<std::pair<std::string, double>> numericResults(const nlohmann::json& results);

}  // namespace trainlab
