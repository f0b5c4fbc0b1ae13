// The sink runExperiment() hands to an experiment: records every series, label, point-run list,
// table and grid into the run folder and forwards everything to the observer. Torch-free.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "csv.h"
#include "experiment_runner.h"
#include "run_directory.h"

namespace trainlab {

/// Strict series ids: a series id the layout does not declare fails the run (an Error naming
/// the id) instead of being logged once and dropped. On when TRAINLAB_STRICT_SERIES is set to
/// anything but "0" (CTest sets it to 1), and in debug builds unless it is "0".
bool strictSeriesIds();

/// Records to `dir` and forwards to `next` (may be null). Thread-safe. `writeFailed` is set
/// when a write to the run folder fails (the IoError then propagates to the experiment).
class RecordingSink : public ExperimentSink {
  public:
    RecordingSink(const RunDirectory& dir, const PlotLayout& layout, RunObserver* next,
                  std::atomic<bool>& writeFailed, bool strictIds = strictSeriesIds());

    void layoutDeclared(const PlotLayout& l) override;
    void pointsAppended(const std::string& id, const std::vector<double>& x,
                        const std::vector<double>& y) override;
    void seriesReplaced(const std::string& id, const std::vector<double>& x,
                        const std::vector<double>& y) override;
    void progressed(double f, const std::string& m) override;
    void logged(const std::string& line) override;
    void tableWritten(const std::string& name, const std::vector<std::string>& columns,
                      const std::vector<std::vector<double>>& rows) override;
    void gridReplaced(const std::string& id, const std::vector<double>& xs,
                      const std::vector<double>& ys, const std::vector<double>& z) override;
    void labelsReplaced(const std::string& id, const std::vector<std::string>& labels) override;
    void pointRunsReplaced(const std::string& id, const std::vector<int>& runs) override;

    /// Writes the final state of every Replace series, every series' labels and point runs.
    void writeReplaced();
    /// The run log so far (every logged() line).
    std::vector<std::string> logLines();
    /// The first undeclared series id an experiment used in strict mode ("" if none): the
    /// run fails with it even when the experiment caught the error.
    std::string unknownIdError();

  private:
    /// True when `id` is declared. Otherwise strict: throws Error naming it; else logs it the
    /// first time and returns false (the data is dropped).
    bool declared(const std::string& id, const char* what);
    void writeReplacedLocked();

    const RunDirectory& dir_;
    PlotLayout layout_;
    RunObserver* next_;
    std::atomic<bool>& writeFailed_;
    const bool strict_;
    std::mutex mutex_;
    std::map<std::string, CsvSeriesWriter> writers_;
    std::map<std::string, Series> latest_;
    std::map<std::string, std::vector<std::string>> labels_;
    std::map<std::string, std::vector<int>> pointRuns_;
    std::vector<std::string> log_;
    std::set<std::string> unknownReported_;
    std::string unknownError_;
};

}  // namespace trainlab
