// The experiment interface: what every experiment kind implements, and the sink through which
// it reports. Torch-free header: the bridge and the command line include it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "param_spec.h"
#include "plot_layout.h"
#include "run_control.h"

namespace trainlab {

/// Where a running experiment sends its data. Implementations must be thread-safe: an
/// experiment may train several models concurrently and report from each thread.
class ExperimentSink {
  public:
    virtual ~ExperimentSink() = default;
    /// Called once, before any data, with every panel and series of the run.
    virtual void layoutDeclared(const PlotLayout& layout) = 0;
    /// Appends points to an Append series (every point is kept).
    virtual void pointsAppended(const std::string& seriesId, const std::vector<double>& x,
                                const std::vector<double>& y) = 0;
    /// Replaces the whole of a Replace series.
    virtual void seriesReplaced(const std::string& seriesId, const std::vector<double>& x,
                                const std::vector<double>& y) = 0;
    /// Overall progress in [0, 1] and a short description ("Model 2: step 1,200 / 15,000").
    virtual void progressed(double fraction, const std::string& message) = 0;
    /// A line for the log ("Model 1 stopped at step 1093: plateau").
    virtual void logged(const std::string& line) = 0;
    /// Per-point labels of a series (label i describes point i), e.g. for hover text.
    /// Replaced wholesale. Default: ignored.
    virtual void labelsReplaced(const std::string& seriesId,
                                const std::vector<std::string>& labels) {}
    /// The 1-based run (or net) number of each point of a series: runs[i] is the run that
    /// point i belongs to (one point per run in a per-run scatter; several points may share
    /// a run). A click on point i shows run runs[i]'s per-run series (perRunSeriesId).
    /// Replaced wholesale; recorded as metrics/<id>.runs.txt. Default: ignored.
    virtual void pointRunsReplaced(const std::string& seriesId, const std::vector<int>& runs) {}
    /// A whole table (e.g. one row per run), recorded as metrics/<name>.csv. Rewritten in
    /// full at each call, so it always holds every row so far. Default: ignored.
    virtual void tableWritten(const std::string& name, const std::vector<std::string>& columns,
                              const std::vector<std::vector<double>>& rows) {}
    /// Replaces the whole grid of a SeriesStyle::Heatmap series (declare it Replace; it is
    /// never streamed point by point):
    /// `xs` holds nx strictly increasing cell centres, `ys` ny strictly increasing ones, and
    /// `z` nx·ny values, row-major by y: z[iy * nx + ix] is the value at (xs[ix], ys[iy]).
    /// Non-finite z are allowed (drawn as gaps). Recorded at each call as metrics/<id>.csv
    /// ("x,y,z", one row per cell); an inconsistent grid fails the run with a message.
    /// Default: ignored.
    virtual void gridReplaced(const std::string& seriesId, const std::vector<double>& xs,
                              const std::vector<double>& ys, const std::vector<double>& z) {}
};

/// One experiment, configured. `run` may be called once.
class Experiment {
  public:
    virtual ~Experiment() = default;
    virtual PlotLayout layout() const = 0;
    /// Trains and measures, reporting through `sink`; returns the results (results.json),
    /// including a one-line "headline". Returns early with partial results when
    /// control.cancel is set. Throws trainlab::Error subclasses on failure.
    virtual nlohmann::json run(ExperimentSink& sink, RunControl& control) = 0;
};

/// What a run gives an experiment besides its config.
struct ExperimentContext {
    int threads = 1;      ///< intra-op thread budget of the run
    std::string dataDir;  ///< searched first for datasets (may be empty)
};

/// Everything known about one experiment kind.
struct ExperimentKind {
    std::string id;  ///< "function_fit"
    /// The knobs of `config` (may depend on it, e.g. one entry per model).
    std::function<std::vector<ParamSpec>(const nlohmann::json& config)> schema;
    /// Checks beyond the per-field schema (cross-field rules); one message per problem.
    std::function<std::vector<std::string>(const nlohmann::json& config)> check;
    /// The dataset ids (catalog ids: "mnist", "cifar10", …) that `config` needs; empty for
    /// synthetic data. May be left unset.
    std::function<std::vector<std::string>(const nlohmann::json& config)> datasets;
    /// Builds the experiment.
    std::function<std::unique_ptr<Experiment>(const nlohmann::json& config,
                                              const ExperimentContext& context)>
        create;
};

/// The registered kinds; nullptr when unknown.
const ExperimentKind* findExperimentKind(const std::string& id);
/// The ids of the registered kinds, sorted.
std::vector<std::string> experimentKindIds();

/// Adds a kind at run time (tests, plugins). Call before any run starts; a kind with an
/// existing id replaces it.
void registerExperimentKind(ExperimentKind kind);

/// Registers a built-in kind while the program starts. Write, at namespace scope in the
/// kind's .cpp, after its kind function:
///   TRAINLAB_REGISTER_EXPERIMENT_KIND(functionFitKind);
/// Nothing references these objects, so trainlab_experiments is linked whole-archive (see
/// experiments/CMakeLists.txt); tst_presets checks that every preset's kind is found.
struct ExperimentKindRegistrar {
    explicit ExperimentKindRegistrar(ExperimentKind (*makeKind)());
};
#define TRAINLAB_REGISTER_EXPERIMENT_KIND(makeKind) \
    static const ::trainlab::ExperimentKindRegistrar trainlabKindRegistrar_##makeKind(makeKind)

/// A dataset a config needs that is not on this machine, and what the user can do.
struct MissingDataset {
    std::string id;
    std::string title;
    std::string substitute;  ///< a present dataset the experiment can run on instead, or ""
    std::int64_t downloadBytes = 0;
    std::string message;  ///< "CIFAR-10 colour images not found in …: …"
};

/// The datasets `config` of `kind` needs that are absent from every search root
/// (datasetSearchRoots(dataDir)).
std::vector<MissingDataset> missingDatasets(const std::string& kind, const nlohmann::json& config,
                                            const std::string& dataDir = {});

/// Validates `config` for `kind`: schema and cross-field checks. Empty when valid.
std::vector<std::string> validateExperimentConfig(const std::string& kind,
                                                  const nlohmann::json& config);

}  // namespace trainlab
