// Shared by the image-classification experiments (1-2, 3-1, 3-2, 3-3): their common settings,
// data loading, progress and the per-model training job with its curves. Internal to
// trainlab_experiments.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cnn.h"
#include "config_fields.h"
#include "dataset_catalog.h"
#include "experiment.h"
#include "image_tensors.h"
#include "image_trainer.h"
#include "read_util.h"
#include "seeds.h"
#include "text_format.h"
#include "throttle.h"
#include "typed_kind.h"

namespace trainlab::image_exp {

using detail::withCommas;  ///< 148018 -> "148,018"
using nlohmann::json;

/// Data, optimiser and run settings every image experiment has.
struct Common {
    std::string dataset;
    std::int64_t trainLimit = 0, testLimit = 0;
    SubsetMode subset = SubsetMode::Stratified;  ///< how limits and evaluation subsets draw
    OptimizerKind optimizer = OptimizerKind::Adam;
    double lr = 1e-3, momentum = 0;
    std::int64_t batch = 100;
    int epochs = 20;
    TrainMetric metric = TrainMetric::Running;
    std::uint64_t seed = 1;
    bool parallel = true;
};

/// The 'subset' setting (stratified | balanced; the presets say stratified), inserted right
/// after the limits it governs.
ParamSpec subsetParam();

/// How a kind varies the shared settings of its field table.
struct CommonFieldOptions {
    int maxEpochs = 1000;
    bool batchSize = true;  ///< false: the kind sets batch sizes per job (no 'batch_size')
    std::string batchLabel = "Batch size", lrLabel = "Learning rate";
    std::string epochsHelp = "Passes over the training set";
};

/// The data settings every image kind starts its field table with: dataset, train_limit,
/// test_limit (into `C::common`).
template <class C>
void addDataFields(ConfigFields<C>& t) {
    t.field(datasetParam({"cifar10", "fashion-mnist", "mnist"},
                         "CIFAR-10 as in the original; Fashion-MNIST is installed with trainlab"),
            [](C& c) -> std::string& { return c.common.dataset; });
    t.field(integerParam("train_limit", "Training images", "Data", 0, 60000, "",
                         "0 = all (50,000 for CIFAR-10, 60,000 for MNIST and Fashion-MNIST)"),
            [](C& c) -> std::int64_t& { return c.common.trainLimit; });
    t.field(integerParam("test_limit", "Test images", "Data", 0, 10000, "", "0 = all 10,000"),
            [](C& c) -> std::int64_t& { return c.common.testLimit; });
}

/// The shared settings after the kind's own: subset, optimizer, lr, momentum, batch_size,
/// epochs, train_metric, seed, parallel (into `C::common`).
template <class C>
void addTrainingFields(ConfigFields<C>& t, const CommonFieldOptions& o = {}) {
    t.choice(subsetParam(), kSubsetModeNames, [](C& c) -> SubsetMode& { return c.common.subset; });
    t.choice(optimizerParam({"adam", "sgd"}, "Adam as in the original"), kOptimizerNames,
             [](C& c) -> OptimizerKind& { return c.common.optimizer; });
    t.field(learningRateParam("Step size", "lr", o.lrLabel),
            [](C& c) -> double& { return c.common.lr; });
    t.field(momentumParam("SGD momentum (ignored by Adam)"),
            [](C& c) -> double& { return c.common.momentum; });
    if (o.batchSize)
        t.field(imageBatchSizeParam("Shuffled mini-batches (a new seeded order every epoch)",
                                    "batch_size", o.batchLabel),
                [](C& c) -> std::int64_t& { return c.common.batch; });
    t.field(integerParam("epochs", "Epochs", "Training", 1, o.maxEpochs, "", o.epochsHelp),
            [](C& c) -> int& { return c.common.epochs; });
    t.choice(choiceParam("train_metric", "Training loss/accuracy", "Training",
                         "running: mean over the epoch's batches in train mode (free); clean: an "
                         "extra pass over the training set in eval mode after each epoch"),
             kTrainMetricNames, [](C& c) -> TrainMetric& { return c.common.metric; });
    t.field(seedParam("Initialisation, batch order and label corruption derive from it"),
            [](C& c) -> std::uint64_t& { return c.common.seed; });
    t.field(parallelParam("Models concurrently",
                          "Train the models side by side, one per core (same numbers either way)"),
            [](C& c) -> bool& { return c.common.parallel; });
}

void addSubsetParam(std::vector<ParamSpec>& specs);
SubsetMode subsetOf(const json& config);

/// A subset's record for results.json: purpose, mode, seed, requested and drawn sizes, and
/// per_class counted on the labels actually kept (`kept`), so a record cannot claim what a
/// run did not see.
json subsetJson(const SubsetDraw& draw, const torch::Tensor& kept, std::int64_t classes);
/// Logs the dataset's order (class-sorted sources said so) and its limits' subsets; returns
/// {"class_ordered_source", "train": …, "test": …} for results.json.
json describeDatasetSubsets(const ImageDataset& data, std::int64_t classes, ExperimentSink& sink);
/// `n` images of `from` for `purpose` (all when n <= 0 or n >= its size), drawn by
/// drawSubset with subsetSeed(seed, purpose) and `mode`; logged as "<n> <what>, …" and
/// recorded in `record`.
ImageTensors evaluationSubset(const ImageTensors& from, std::int64_t n, SubsetPurpose purpose,
                              std::uint64_t seed, SubsetMode mode, const std::string& what,
                              ExperimentSink& sink, json& record);
/// Cross-field checks: a batch larger than the training set.
std::vector<std::string> commonCheck(const json& c);
std::vector<std::string> datasetsOf(const json& c);
/// One message per value of the integer list `key` that appears again ("'nets': Net_3 is listed
/// twice", with `prefix` "Net_").
std::vector<std::string> listedTwice(const json& c, const std::string& key,
                                     const std::string& prefix);

std::string pct(double fraction);  ///< "72.1%"
/// `v` to 3 significant digits ("0.0123"; formatSignificant), as every log line and headline
/// of the image experiments writes its numbers.
inline std::string sig3(double v) {
    return formatSignificant(v, 3);
}

struct LoadedData {
    ImageDataset data;
    const DatasetSpec* spec = nullptr;
    std::string path;
    json subsets;  ///< describeDatasetSubsets' record
};
LoadedData loadData(const Common& c, const std::string& dataDir, ExperimentSink& sink);
/// The catalog's spec of `id`; ConfigError "dataset 'x' is unknown" when there is none.
const DatasetSpec& knownDataset(const std::string& id);
json baseResults(const LoadedData& d);

// Overall progress, weighted by each model's cost per image so the ETA holds when a small and
// a large model share a run.
class ProgressMeter {
  public:
    ProgressMeter(ExperimentSink& sink, double totalWork) : sink_(sink), total_(totalWork) {}
    void add(double work, const std::string& message) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_ += work;
        const double done = done_;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        sink_.progressed(std::min(1.0, done / std::max(1e-12, total_)), message);
    }

  private:
    ExperimentSink& sink_;
    double total_;
    double done_ = 0;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point last_{};
};

/// The per-epoch curves of one job: series ids spelled once, used by the layout and the run.
struct JobCurves {
    std::string lossTrain, lossTest, accTrain, accTest;
};
/// loss_train_<key>, loss_test_<key>, acc_train_<key>, acc_test_<key>.
JobCurves jobCurves(const std::string& key);

/// One model to train and the series it reports to (`curves`). Zero overrides take Common's
/// value.
struct Job {
    Job() = default;
    Job(const std::string& seriesKey, std::string displayName)
        : key(seriesKey), name(std::move(displayName)), curves(jobCurves(seriesKey)) {}
    std::string key;   ///< series suffix: "m1", "random", "net3"
    std::string name;  ///< "Model 1", "random labels", "Net_3"
    JobCurves curves;
    /// Streams its epochs to `curves` (declared by addCurves); false where the kind shows
    /// epochs its own way (3-2's selected-net panels).
    bool streamCurves = true;
    CnnSpec spec;
    std::uint64_t seed = 0;  ///< initialisation and batch order
    int color = 0;
    const ImageDataset* data = nullptr;
    std::int64_t batch = 0;
    double lr = 0;
    int epochs = 0;
    std::int64_t maxSteps = 0;  ///< a step budget (0: none)
    double lossTarget = 0;      ///< stop at this training loss (0: never)
};

std::int64_t jobBatch(const Job& j, const Common& c);
/// Planned optimizer steps (epochs × batches, capped by maxSteps).
std::int64_t jobSteps(const Job& j, const Common& c);
/// Planned multiply-accumulates, for progress that stays right across model sizes.
double jobWork(const Job& j, const Common& c);

void addCurves(PlotLayout& l, const Job& j, TrainMetric metric);
/// An "epoch" x-axis panel with whole-number ticks.
PanelSpec epochPanel(const std::string& id, const std::string& title, const std::string& y);
void addEpochPanels(PlotLayout& l);  ///< "loss" and "accuracy"
std::string trainSuffix(TrainMetric m);
json epochJson(const EpochMetrics& e);
json jobJson(const Job& j, const ImageTrainResult& r, TrainMetric metric);

/// Trains one job on the calling thread, streaming its
/// per-epoch curves; `onTrained` sees the trained model (not after a cancel).
ImageTrainResult trainJob(
    const Job& j, const Common& c, RunControl& control, ExperimentSink& sink,
    ProgressMeter& progress, const std::function<void(const EpochMetrics&)>& onEpoch = {},
    const std::function<void(CnnImpl&, const ImageTrainResult&)>& onTrained = {});

/// Runs the jobs (concurrently when c.parallel, the costliest first, each with `threads`
/// threads); results in job order, empty for a job that did not run.
std::vector<ImageTrainResult> runAll(
    const std::vector<Job>& jobs, const Common& c, int threads, RunControl& control,
    ExperimentSink& sink, const std::function<void(size_t, const EpochMetrics&)>& onEpoch = {},
    const std::function<void(size_t, const ImageTrainResult&)>& onDone = {},
    const std::function<void(size_t, CnnImpl&, const ImageTrainResult&)>& onTrained = {});

/// Model copies lent to the workers of a pool, one per worker at a time (thread-safe).
class ModelPool {
  public:
    ModelPool(const CnnSpec& spec, int copies);
    /// A free copy; give it back with release() (a pool never has more borrowers than copies).
    CnnImpl& acquire(size_t& slot);
    void release(size_t slot);

  private:
    std::vector<Cnn> models_;
    std::vector<size_t> free_;
    std::mutex mutex_;
};

/// Replaces each (id, ys) series with (x, ys) and, when `labels` is given, its point labels.
void replaceSeries(ExperimentSink& sink, const std::vector<double>& x,
                   const std::vector<std::pair<std::string, const std::vector<double>*>>& series,
                   const std::vector<std::string>* labels = nullptr);

/// What every image kind's results hold: baseResults' record and the run's seconds.
struct ImageResults {
    json base;
    double seconds = 0;
    /// `base` with "seconds" and "headline": where a kind's results.json starts.
    /// With `entries` (an object: the kind's own results) merged in.
    json baseJson(const std::string& headline, const json& entries = json::object()) const {
        json out = base;
        out["seconds"] = seconds;
        out["headline"] = headline;
        out.update(entries);
        return out;
    }
};

/// A kind's cross-field check of a config.
using ImageCheck = std::function<std::vector<std::string>(const json&)>;
/// commonCheck plus listedTwice(c, key, prefix): for kinds with an integer list ('models', 'nets').
ImageCheck commonCheckListedOnce(std::string key, std::string prefix);

/// The base of the image experiments: the config `Config` read by its field table (with a
/// `common` member), the context, the jobs, the run's clock and the dataset's spec.
template <class Config>
class ImageExperiment : public Experiment {
  protected:
    /// Reads `c` through `fields`; ConfigError when its dataset is unknown.
    ImageExperiment(const ConfigFields<Config>& fields, const json& c, const ExperimentContext& ctx)
        : cfg_(fields.read(c)), ctx_(ctx), spec_(knownDataset(cfg_.common.dataset)) {}

    /// Starts the run's clock and loads the dataset (logged; see loadData).
    LoadedData startRun(ExperimentSink& sink) {
        t0_ = std::chrono::steady_clock::now();
        return loadData(cfg_.common, ctx_.dataDir, sink);
    }
    /// Points every job at `data`.
    void trainOn(const ImageDataset& data) {
        for (auto& j : jobs_) j.data = &data;
    }
    /// The run's results.json from `res`: its base record (baseResults(d), unless the kind set
    /// it already) and the seconds since startRun.
    template <class Results>
    json finish(Results& res, const LoadedData& d) const {
        if (res.base.is_null()) res.base = baseResults(d);
        res.seconds = elapsed();
        return res.toJson();
    }
    /// Seconds since startRun.
    double elapsed() const { return secondsSince(t0_); }
    /// CNN `which` (1..3, of 1-2) shaped for the dataset's images.
    CnnSpec imageModel(int which) const {
        return cnnModel(which, spec_.channels, spec_.height, spec_.width);
    }
    /// Adds the job `key` ("Model 1" as `name`) training `spec` from jobSeed(seedRun), drawn in
    /// palette colour `color`; the caller may adjust the returned job before the next add.
    Job& addJob(const std::string& key, std::string name, CnnSpec spec, std::int64_t seedRun,
                int color) {
        Job j(key, std::move(name));
        j.spec = std::move(spec);
        j.seed = jobSeed(seedRun);
        j.color = color;
        jobs_.push_back(std::move(j));
        return jobs_.back();
    }
    /// runSeed of the config's seed and run `r`.
    std::uint64_t jobSeed(std::int64_t r) const {
        return runSeed(cfg_.common.seed, static_cast<std::uint64_t>(r));
    }

    Config cfg_;
    ExperimentContext ctx_;
    const DatasetSpec& spec_;
    std::vector<Job> jobs_;

  private:
    std::chrono::steady_clock::time_point t0_{};
};

/// An image experiment kind: `id`, its schema from the field table `fields`, its cross-field
/// `check`, the datasets named by its 'dataset' setting, created as X(config, context).
template <class X, class C>
ExperimentKind imageKind(std::string id, const ConfigFields<C>& (*fields)(), ImageCheck check) {
    return kindFromFields(
        std::move(id), fields, std::move(check), datasetsOf,
        [](const json& c, const ExperimentContext& ctx) -> std::unique_ptr<Experiment> {
            return std::make_unique<X>(c, ctx);
        });
}

/// A confusion matrix as metrics/<name>.csv (row = true label).
void writeConfusion(ExperimentSink& sink, const std::string& name, const torch::Tensor& conf);

}  // namespace trainlab::image_exp

/// Defines `ExperimentKind makeKind()` (declared in namespace trainlab by the kind's header) as
/// the image kind X with `id`, field table `fields` and `check`, and registers it.
#define TRAINLAB_REGISTER_IMAGE_KIND(makeKind, X, id, fields, check)   \
    ::trainlab::ExperimentKind makeKind() {                            \
        return ::trainlab::image_exp::imageKind<X>(id, fields, check); \
    }                                                                  \
    TRAINLAB_REGISTER_EXPERIMENT_KIND(makeKind)
