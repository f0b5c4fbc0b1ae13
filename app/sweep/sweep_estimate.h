// What a sweep will cost before it is submitted, from this user's own history: the finished
// runs of the same preset in the runs folder. trainlab has no model of a run's cost that could
// be trusted across kinds and machines; a run already made here is the honest basis, and the
// estimate says which runs it comes from. Plain C++ (no Qt).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sweep_spec.h"

namespace trainlab {

/// Elapsed seconds of the finished runs of `presetId` under `runsRoot` (newest first, at most
/// `limit`); sweep tasks inside sweep folders under the root count too. Damaged runs are
/// skipped; an unreadable root gives none.
std::vector<double> pastRunSeconds(const std::filesystem::path& runsRoot,
                                   const std::string& presetId, std::size_t limit = 20);

struct SweepEstimate {
    bool known = false;         ///< false: no earlier run to estimate from
    double perTaskSeconds = 0;  ///< the median of the earlier runs
    double cpuSeconds = 0;      ///< tasks × per task
    double wallSeconds = 0;     ///< in waves of `parallel` tasks (local) or array tasks at once
    int parallel = 1;           ///< tasks at once used for the wall time
    int basisRuns = 0;          ///< earlier runs the estimate comes from
    std::string text;           ///< one or two lines for the dialog
};

/// The cost of `tasks` tasks run `parallel` at once (local: the jobs; Slurm: the array's %K,
/// or every task when 0, before any time in the queue), from the earlier runs' seconds.
SweepEstimate estimateSweep(int tasks, int parallel, SweepBackend backend,
                            const std::vector<double>& pastSeconds);

}  // namespace trainlab
