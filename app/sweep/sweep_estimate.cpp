#include "sweep_estimate.h"

#include <algorithm>
#include <cmath>
#include <system_error>

#include "run_listing.h"
#include "text_format.h"

namespace trainlab {

namespace {

void collectRuns(const fs::path& root, const std::string& presetId, std::size_t limit,
                 std::vector<double>& out) {
    for (const RunSummary& r : listRuns(root)) {
        if (out.size() >= limit) return;
        if (r.presetId == presetId && r.status.state == RunState::Finished &&
            r.status.elapsedSeconds > 0 && std::isfinite(r.status.elapsedSeconds))
            out.push_back(r.status.elapsedSeconds);
    }
}

}  // namespace

std::vector<double> pastRunSeconds(const fs::path& runsRoot, const std::string& presetId,
                                   std::size_t limit) {
    std::vector<double> out;
    collectRuns(runsRoot, presetId, limit, out);
    // Sweep folders: <root>/<sweep>/tasks/<task>/<run>.
    std::error_code ec;
    for (fs::directory_iterator it(runsRoot, ec), end; !ec && it != end && out.size() < limit;
         it.increment(ec)) {
        const fs::path tasks = it->path() / "tasks";
        if (it->is_symlink(ec) || !fs::is_regular_file(it->path() / "sweep.json", ec)) continue;
        std::error_code ec2;
        for (fs::directory_iterator t(tasks, ec2), tend; !ec2 && t != tend && out.size() < limit;
             t.increment(ec2))
            if (!t->is_symlink(ec2)) collectRuns(t->path(), presetId, limit, out);
    }
    return out;
}

SweepEstimate estimateSweep(int tasks, int parallel, SweepBackend backend,
                            const std::vector<double>& pastSeconds) {
    SweepEstimate e;
    e.parallel = parallel > 0 ? std::min(parallel, std::max(tasks, 1)) : std::max(tasks, 1);
    if (pastSeconds.empty() || tasks <= 0) {
        e.text = "No finished run of this preset in the runs folder to estimate from: run it "
                 "once, or read the first task's ETA.";
        return e;
    }
    std::vector<double> s = pastSeconds;
    std::sort(s.begin(), s.end());
    const std::size_t n = s.size();
    e.perTaskSeconds = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    e.known = true;
    e.basisRuns = static_cast<int>(n);
    e.cpuSeconds = e.perTaskSeconds * tasks;
    const int waves = (tasks + e.parallel - 1) / e.parallel;
    e.wallSeconds = e.perTaskSeconds * waves;
    e.text = "About " + formatDuration(e.perTaskSeconds, true) + " a task (median of " +
             std::to_string(n) + " earlier run" + (n == 1 ? "" : "s") + " of this preset): " +
             formatDuration(e.cpuSeconds, true) + " in all, " +
             formatDuration(e.wallSeconds, true) + " with " + std::to_string(e.parallel) +
             " at once" +
             (backend == SweepBackend::Slurm ? ", plus the time in Slurm's queue." : ".") +
             " Settings that change a run's length (steps, epochs, sizes) are not accounted for.";
    return e;
}

}  // namespace trainlab
