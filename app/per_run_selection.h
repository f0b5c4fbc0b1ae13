// Which run a clicked point belongs to, and run N's version of the per-run series. The point
// runs come typed from the experiment (ExperimentSink::pointRunsReplaced), streamed during a
// run or read back from the run folder (metrics/<id>.runs.txt); the per-run files are named by
// RunDirectory::perRunSeriesPath. No label text is parsed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "run_directory.h"

namespace trainlab {

class PerRunSelection {
  public:
    /// Forgets every series' point runs (a new run or a new layout).
    void clear() { pointRuns_.clear(); }
    /// The 1-based run of each point of `seriesId` (replaces what was known).
    void setPointRuns(const std::string& seriesId, std::vector<int> runs);
    /// Reads the point runs of every series of `layout` recorded in `dir` (a series without
    /// them is skipped). Throws what RunDirectory::readPointRuns throws.
    void loadFrom(const RunDirectory& dir, const PlotLayout& layout);
    /// The run of point `index` of `seriesId`; 0 when that point has none.
    int runOf(const std::string& seriesId, int index) const;

    /// Run `run`'s recorded version of every per-run series of `layout` in `dir` (a series
    /// without one for that run is left out). Throws IoError/DataError on an unreadable file.
    static std::vector<std::pair<std::string, Series>> perRunSeries(const RunDirectory& dir,
                                                                    const PlotLayout& layout,
                                                                    int run);

  private:
    std::map<std::string, std::vector<int>> pointRuns_;
};

}  // namespace trainlab
