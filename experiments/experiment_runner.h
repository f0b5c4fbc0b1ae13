// Runs one experiment as a recorded run: creates the run directory, writes config, status,
// panels and every metric as it arrives, then results and the final status. The one code path
// used by the GUI's worker thread, the command line, tests and benchmarks. Torch-free header.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "experiment.h"
#include "preset.h"
#include "run_control.h"
#include "run_directory.h"

namespace trainlab {

/// An ExperimentSink that is also told where the run is being recorded.
class RunObserver : public ExperimentSink {
  public:
    /// Called once, after the run folder and config.json exist and before any data.
    virtual void runDirectoryCreated(const std::string& runDir) = 0;
};

struct RunRequest {
    Preset preset;                   ///< id, title, kind (its config is ignored: see `config`)
    nlohmann::json config;           ///< the resolved config to run (validated again here)
    std::filesystem::path runsRoot;  ///< the run folder is created inside
    int threads = 1;                ///< intra-op threads for libtorch (1 is fastest for small nets)
    std::filesystem::path dataDir;  ///< searched first for datasets (--data-dir); may be empty
};

struct RunOutcome {
    std::filesystem::path runDir;  ///< empty if the run could not be set up (no folder left)
    RunState state = RunState::Failed;
    std::string message;
    nlohmann::json results;
    /// A write to the run folder failed (full disk, file too large …): the record is
    /// incomplete, so plots are not rendered from it.
    bool recordingFailed = false;
};

/// Runs synchronously on the calling thread. Never throws: every failure (invalid config,
/// divergence, a write error) ends as RunState::Failed with a message; a set control.cancel
/// ends as Cancelled with the partial results saved. A run whose folder cannot be set up
/// (config.json, panels.json or status.json cannot be written) fails naming the file and the
/// system's reason, and the half-made folder is removed (runDir stays empty).
RunOutcome runExperiment(const RunRequest& request, RunObserver* observer, RunControl& control);

/// Applies "key=value" overrides through the kind's schema. Throws ConfigError naming the key
/// (unknown keys list the known ones).
void applyOverride(const std::string& kind, nlohmann::json& config, const std::string& assignment);

/// trainlab's version string.
std::string trainlabVersion();

}  // namespace trainlab
