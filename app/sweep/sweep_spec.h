// A sweep: one preset × a grid of settings × seeds, expanded into tasks (each a normal run)
// and validated in full before anything is created. The sweep file's JSON form is described in
// docs/sweeps.md. Plain C++ (no Qt, no torch).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "preset.h"

namespace trainlab {

/// One setting the sweep varies, with its values as the user wrote them ("1e-3").
struct GridAxis {
    std::string key;
    std::vector<std::string> values;
};

enum class SweepBackend { Local, Slurm };
std::string sweepBackendName(SweepBackend backend);  ///< "local" | "slurm"

/// What a Slurm sweep asks the scheduler for. Empty strings and 0 are not passed: the site's
/// defaults apply.
struct SlurmOptions {
    std::string partition;
    std::string time;  ///< "02:00:00", "1-00:00:00"
    int cpusPerTask = 0;
    std::string mem;   ///< "4G"
    std::string gres;  ///< "gpu:1"
    std::vector<std::string> sbatchArgs;  ///< more sbatch options as they are: "--qos=long"
    std::vector<std::string> setup;       ///< shell lines run before each task: "module load …"
};

/// What a built-in sweep (experiments/sweeps) says about itself; empty for the user's sweeps.
struct SweepInfo {
    std::string id;           ///< "1-1-sinc-seeds"
    std::string title;        ///< the line shown in lists
    std::string description;  ///< what it runs and why a single run cannot answer it
    std::string expected;     ///< the expected result, with its source
    bool operator==(const SweepInfo& o) const {
        return id == o.id && title == o.title && description == o.description &&
               expected == o.expected;
    }
};

/// A sweep as the user gives it (command line or sweep file).
struct SweepSpec {
    SweepInfo info;
    std::string preset;             ///< a built-in preset's id or a preset file
    std::vector<GridAxis> grid;     ///< the first axis varies slowest
    int seeds = 1;                  ///< seed k (0-based) is the preset's seed + k
    std::vector<std::string> sets;  ///< "key=value", the same for every task
    SweepBackend backend = SweepBackend::Local;
    /// Local: tasks at once (0: the cores this process may use, divided by `threads`).
    /// Slurm: the array's "%K", array tasks at once (0: no limit).
    int jobs = 0;
    int threads = 1;  ///< intra-op threads of each task (the runs' --threads)
    std::string dataDir;
    SlurmOptions slurm;
};

/// One task: a normal run of the preset with its settings.
struct SweepTask {
    int index = 0;
    std::string name;  ///< its folder under tasks/: "03-lr=0.01-seed=2"
    /// The grid's settings in grid order, then "seed" (when the kind has one), as recorded in
    /// the config (typed: 0.001, not "1e-3").
    std::vector<std::pair<std::string, nlohmann::json>> settings;
    nlohmann::json config;  ///< complete and validated
};

/// A validated sweep: the preset and every task.
struct SweepPlan {
    Preset preset;
    std::vector<SweepTask> tasks;
};

/// The most tasks one sweep may have.
inline constexpr int kMaxSweepTasks = 100000;

/// Parses "key=v1,v2,…" (--grid). The values are split on ';' instead when the text holds one,
/// for list settings: "models.0.widths=1,8,1;1,32,1". Throws ConfigError naming the text.
GridAxis parseGridOption(const std::string& text);

/// A sweep file's JSON as a spec. A relative preset file is looked up beside the sweep file
/// (`source`) first. Throws ConfigError with one message per bad field, each prefixed with
/// `source`.
SweepSpec sweepSpecFromJson(const nlohmann::json& j, const std::string& source);
/// The spec in the sweep file's form (sweep.json keeps it as "spec"; it reads back equal).
nlohmann::json sweepSpecToJson(const SweepSpec& spec);

/// Expands the grid × seeds and validates everything a task needs before anything is made:
/// the preset, every --set, each task's settings through the kind's schema and cross-field
/// rules, the seed's range and the datasets. Throws ConfigError with every problem (at most
/// 40, then their count), each naming its task and field ("task 3 (lr=abc seed=2): 'lr' …")
/// or its option.
SweepPlan planSweep(const SweepSpec& spec);

/// "lr=0.01 seed=2": settings as one line of text (numbers in the C locale).
std::string settingsText(const std::vector<std::pair<std::string, nlohmann::json>>& settings);
/// A setting's value as text: numbers as csvNumberText writes them, text as it is, anything
/// else as compact JSON.
std::string settingValueText(const nlohmann::json& value);

}  // namespace trainlab
