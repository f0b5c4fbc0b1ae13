// Runs a built-in preset with its config edited, recorded under `runsRoot`, synchronously
// (the tests' shortcut to runExperiment).
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "experiment_runner.h"
#include "preset.h"

namespace trainlab::testing {

inline RunOutcome runPresetEdited(const std::string& preset,
                                  const std::function<void(nlohmann::json&)>& edit,
                                  const std::filesystem::path& runsRoot,
                                  const std::filesystem::path& dataDir = {}) {
    RunRequest r;
    r.preset = resolvePreset(preset);
    r.config = r.preset.config;
    edit(r.config);
    r.runsRoot = runsRoot;
    r.dataDir = dataDir;
    RunControl control;
    return runExperiment(r, nullptr, control);
}

}  // namespace trainlab::testing
