#include "per_run_selection.h"
#include "csv.h"

#include <filesystem>
#include <system_error>
#include <utility>

namespace trainlab {

void PerRunSelection::setPointRuns(const std::string& seriesId, std::vector<int> runs) {
    pointRuns_[seriesId] = std::move(runs);
}

void PerRunSelection::loadFrom(const RunDirectory& dir, const PlotLayout& layout) {
    clear();
    for (const auto& s : layout.series) {
        std::vector<int> runs = dir.readPointRuns(s.id);
        if (!runs.empty()) pointRuns_[s.id] = std::move(runs);
    }
}

int PerRunSelection::runOf(const std::string& seriesId, int index) const {
    const auto it = pointRuns_.find(seriesId);
    if (it == pointRuns_.end() || index < 0 || index >= static_cast<int>(it->second.size()))
        return 0;
    return it->second[static_cast<size_t>(index)];
}

std::vector<std::pair<std::string, Series>> PerRunSelection::perRunSeries(
    const RunDirectory& dir, const PlotLayout& layout, int run) {
    std::vector<std::pair<std::string, Series>> out;
    for (const auto& s : layout.series) {
        if (!s.perRun) continue;
        const auto path = dir.perRunSeriesPath(s.id, run);
        std::error_code ec;
        if (!std::filesystem::exists(path, ec)) continue;
        out.emplace_back(s.id, readSeriesCsv(path));
    }
    return out;
}

}  // namespace trainlab
