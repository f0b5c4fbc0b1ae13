// The runs folder: where runs are kept by default, and the runs in it for the history list.
// Plain C++ (no torch, no Qt).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "run_directory.h"

namespace trainlab {

namespace fs = std::filesystem;

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

}  // namespace trainlab
