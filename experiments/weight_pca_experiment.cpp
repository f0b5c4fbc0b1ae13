#include "weight_pca_experiment.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <utility>

#include "dataset_catalog.h"
#include "errors.h"
#include "image_experiment_common.h"
#include "image_tensors.h"
#include "image_trainer.h"
#include "mlp.h"
#include "parallel_runs.h"
#include "seeds.h"
#include "trainer.h"
#include "typed_kind.h"
#include "weight_pca.h"

namespace trainlab {

using nlohmann::json;
using Config = WeightPcaConfig;

constexpr int kVarianceComponents = 5;  // shown in the explained-variance panel

// ---- Config ---------------------------------------------------------------------------------

namespace {

void addDataFields(ConfigFields<Config>& t) {
    t.field(datasetParam({"mnist", "fashion-mnist"},
                         "MNIST as in the original; Fashion-MNIST is installed with trainlab"),
            &Config::dataset);
    t.field(integerParam("train_limit", "Training images", "Data", 0, 60000, "",
                         "0 = all 60,000 (a limit keeps a seeded sample drawn per class)"),
            &Config::trainLimit);
    t.choice(image_exp::subsetParam(), kSubsetModeNames, &Config::subset);
}

void addTrainingFields(ConfigFields<Config>& t) {
    t.field(intListParam("hidden", "Hidden widths", "Model", 1, 4096, 1, 8,
                         "Hidden layer widths between the 784 inputs and 10 outputs (128, 64: "
                         "109,386 parameters)"),
            &Config::hidden);
    t.choice(optimizerParam({"sgd", "adam"}, "SGD as in the original"), kOptimizerNames,
             &Config::optimizer);
    t.field(learningRateParam(), &Config::lr);
    t.field(momentumParam("SGD momentum"), &Config::momentum);
    t.field(imageBatchSizeParam("Shuffled mini-batches"), &Config::batchSize);
    t.field(integerParam("epochs", "Epochs", "Training", 1, 10000, "", "Per run"), &Config::epochs);
}

void addRunFields(ConfigFields<Config>& t) {
    t.field(runsParam(64, "Independent trainings (one colour each)"), &Config::runs);
    t.field(integerParam("snapshot_every", "Snapshot every", "Run", 1, 10000, "",
                         "Epochs between weight snapshots"),
            &Config::snapshotEvery);
    t.field(boolParam("include_initial", "Include initial weights", "Run",
                      "Also snapshot each run's weights before training"),
            &Config::includeInitial);
    t.field(seedParam("Run r is initialised from seed·1000003 + r"), &Config::seed);
    t.field(parallelParam("Runs concurrently", "One run per core"), &Config::parallel);
}

std::vector<std::string> check(const json& config) {
    std::vector<std::string> p;
    const Config c = weightPcaFields().read(config);
    const std::int64_t perRun = c.snapshotsPerRun();
    if (perRun < 1)
        p.push_back("'snapshot_every': " + std::to_string(c.snapshotEvery) + " is more than the " +
                    std::to_string(c.epochs) + " epochs: no snapshot would be taken");
    const double bytes = 4.0 * static_cast<double>(mlpParameterCount(c.mlpSpec())) *
                         static_cast<double>(perRun * c.runs);
    if (bytes > 4e9)
        p.push_back("'runs' × snapshots × parameters needs " +
                    std::to_string(static_cast<long long>(bytes / 1e9)) +
                    " GB of snapshots (at most 4 GB)");
    return p;
}

}  // namespace

const ConfigFields<Config>& weightPcaFields() {
    static const auto fields = buildFields<Config>(addDataFields, addTrainingFields, addRunFields);
    return fields;
}

MlpSpec WeightPcaConfig::mlpSpec() const {
    MlpSpec spec;
    spec.widths = {784};
    spec.widths.insert(spec.widths.end(), hidden.begin(), hidden.end());
    spec.widths.push_back(10);
    spec.activation = Activation::ReLU;
    return spec;
}

std::int64_t WeightPcaConfig::snapshotsPerRun() const {
    return epochs / snapshotEvery + (includeInitial ? 1 : 0);
}

WeightPcaConfig readWeightPcaConfig(const json& config) {
    Config c = weightPcaFields().read(config);
    validateMlpSpec(c.mlpSpec(), "hidden");
    return c;
}

// ---- The run --------------------------------------------------------------------------------

namespace {

std::vector<float> flatten(Mlp& model) {
    std::vector<float> w;
    w.reserve(static_cast<size_t>(model->parameterCount()));
    for (const auto& p : model->parameters()) {
        const auto c = p.detach().contiguous();
        w.insert(w.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return w;
}

using image_exp::sig3;  // 3 significant digits, as the log lines always had

/// The series of run r (0-based), named once for layout() and run().
struct RunSeriesIds {
    std::string trajAll, trajFirst, loss, testLoss;
};
RunSeriesIds runSeriesIds(int r) {
    const std::string suffix = "_r" + std::to_string(r + 1);
    return {"traj_all" + suffix, "traj_first" + suffix, "loss" + suffix, "test_loss" + suffix};
}

/// One finished run's figures.
struct WeightPcaRun {
    int run = 0;  ///< 1-based
    std::uint64_t seed = 0;
    double trainLoss = 0, testLoss = 0, testAccuracy = 0;
    json toJson() const {
        return json{{"run", run},
                    {"seed", seed},
                    {"train_loss", trainLoss},
                    {"test_loss", testLoss},
                    {"test_accuracy", testAccuracy}};
    }
};

/// What 2-1 reports: the finished runs and the final PCA's first two explained-variance
/// ratios, whole model and first layer (empty when fewer than two snapshots were taken).
struct WeightPcaResults {
    std::vector<WeightPcaRun> runs;
    std::string dataset, datasetPath;
    json subsets;
    std::int64_t parameters = 0;
    std::size_t snapshots = 0;
    std::vector<double> varianceWhole, varianceFirstLayer;
    double seconds = 0;

    std::string headline() const {
        std::string h =
            std::to_string(runs.size()) + " runs, " + std::to_string(snapshots) + " snapshots";
        if (!runs.empty()) {
            double accSum = 0;
            for (const auto& r : runs) accSum += r.testAccuracy;
            h += ", mean test accuracy " + sig3(100 * accSum / static_cast<double>(runs.size())) +
                 "%";
        }
        if (varianceWhole.size() >= 2)
            h += "; PC1+PC2 explain " + sig3(100 * (varianceWhole[0] + varianceWhole[1])) +
                 "% (whole model), " + sig3(100 * (varianceFirstLayer[0] + varianceFirstLayer[1])) +
                 "% (first layer)";
        return h;
    }

    json toJson() const {
        json j;
        j["runs"] = json::array();
        for (const auto& r : runs) j["runs"].push_back(r.toJson());
        j["dataset"] = dataset;
        j["dataset_path"] = datasetPath;
        j["subsets"] = subsets;
        j["parameters"] = parameters;
        j["snapshots"] = snapshots;
        if (varianceWhole.size() >= 2) {
            j["explained_variance_whole"] = {varianceWhole[0], varianceWhole[1]};
            j["explained_variance_first_layer"] = {varianceFirstLayer[0], varianceFirstLayer[1]};
        }
        j["seconds"] = seconds;
        j["headline"] = headline();
        return j;
    }
};

/// The PCA panels while runs train and at the end. Live refits are throttled (one thread at a
/// time, at most every 0.7 s) and aligned with the previous fit, so the picture does not flip
/// as snapshots arrive. The final fit takes the snapshots in (run, index) order and keeps the
/// PCA's own sign convention, so it depends neither on the order in which threads added them
/// nor on which live refits happened.
class LivePca {
  public:
    LivePca(const SnapshotStore& store, std::int64_t firstLayer, int runs, ExperimentSink& sink)
        : store_(store), firstLayer_(firstLayer), runs_(runs), sink_(sink) {}

    void refitIfDue() {
        std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
        if (!lock.owns_lock()) return;  // another thread is fitting: it will include ours
        const auto now = std::chrono::steady_clock::now();
        if (now - lastFit_ < std::chrono::milliseconds(700)) return;
        lastFit_ = now;
        const SnapshotSet set = store_.snapshots(SnapshotOrder::Insertion);
        if (set.size() < 2) return;
        PcaResult all = set.fit(kVarianceComponents);
        PcaResult first = set.fitColumns(0, firstLayer_, kVarianceComponents);
        if (all_.scores.rows() > 0) alignSigns(all, all_);
        if (first_.scores.rows() > 0) alignSigns(first, first_);
        draw(set, all, first);
        all_ = std::move(all);
        first_ = std::move(first);
    }

    /// The final fit, drawn; fills the results' explained variance.
    void finalFit(WeightPcaResults& results) {
        std::lock_guard<std::mutex> lock(mutex_);
        const SnapshotSet set = store_.snapshots(SnapshotOrder::RunAndIndex);
        if (set.size() < 2) return;
        const PcaResult all = set.fit(kVarianceComponents);
        const PcaResult first = set.fitColumns(0, firstLayer_, kVarianceComponents);
        draw(set, all, first);
        results.varianceWhole = {all.explainedVarianceRatio[0], all.explainedVarianceRatio[1]};
        results.varianceFirstLayer = {first.explainedVarianceRatio[0],
                                      first.explainedVarianceRatio[1]};
    }

  private:
    void draw(const SnapshotSet& set, const PcaResult& all, const PcaResult& first) {
        const auto& meta = set.meta();
        for (int r = 0; r < runs_; ++r) {
            std::vector<std::pair<int, size_t>> points;  // (snapshot index, row)
            for (size_t i = 0; i < meta.size(); ++i)
                if (meta[i].run == r) points.emplace_back(meta[i].index, i);
            std::sort(points.begin(), points.end());
            std::vector<double> ax, ay, fx, fy;
            std::vector<std::string> labels;
            for (const auto& [epoch, i] : points) {
                const auto row = static_cast<Eigen::Index>(i);
                ax.push_back(all.scores(row, 0));
                ay.push_back(all.scores(row, 1));
                fx.push_back(first.scores(row, 0));
                fy.push_back(first.scores(row, 1));
                labels.push_back("run " + std::to_string(r + 1) + " · epoch " +
                                 std::to_string(epoch) + " · loss " + sig3(meta[i].loss) +
                                 " · acc " + sig3(100 * meta[i].accuracy) + "%");
            }
            const RunSeriesIds ids = runSeriesIds(r);
            sink_.seriesReplaced(ids.trajAll, ax, ay);
            sink_.seriesReplaced(ids.trajFirst, fx, fy);
            sink_.labelsReplaced(ids.trajAll, labels);
            sink_.labelsReplaced(ids.trajFirst, labels);
        }
        std::vector<double> k, va, vf;
        const int shown =
            std::min<int>(kVarianceComponents, static_cast<int>(all.explainedVarianceRatio.size()));
        for (int c = 0; c < shown; ++c) {
            k.push_back(c + 1);
            va.push_back(all.explainedVarianceRatio[c]);
            vf.push_back(first.explainedVarianceRatio[c]);
        }
        sink_.seriesReplaced("variance_all", k, va);
        sink_.seriesReplaced("variance_first", k, vf);
    }

    const SnapshotStore& store_;
    std::int64_t firstLayer_;
    int runs_;
    ExperimentSink& sink_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point lastFit_ =
        std::chrono::steady_clock::now() - std::chrono::seconds(10);
    PcaResult all_, first_;  // the last live fit, which the next one is aligned with
};

class WeightPcaExperiment : public Experiment {
  public:
    WeightPcaExperiment(Config config, const ExperimentContext& ctx)
        : c_(std::move(config)),
          threads_(ctx.threads),
          dataDir_(ctx.dataDir),
          spec_(c_.mlpSpec()) {}

    PlotLayout layout() const override {
        PlotLayout l;
        l.panels.push_back({"pca_all", "Weight trajectories: PCA of the whole model", "PC 1",
                            "PC 2", "", false, false, false});
        l.panels.push_back({"pca_first", "Weight trajectories: PCA of the first layer", "PC 1",
                            "PC 2", "", false, false, false});
        l.panels.push_back({"variance", "Explained variance per component", "component",
                            "fraction of variance", "", false, false, false});
        l.panels.push_back({"loss", "Training loss per epoch", "epoch", "cross-entropy (log)", "",
                            false, true, false});
        for (int r = 0; r < c_.runs; ++r) addRunSeries(l, r);
        for (int k = 0; k < 2; ++k) {
            l.series.push_back(SeriesSpec{k == 0 ? "variance_all" : "variance_first", "variance",
                                          k == 0 ? "whole model" : "first layer", "component",
                                          "explained_variance_ratio", k == 0 ? 0 : 1, false, false,
                                          SeriesMode::Replace, SeriesStyle::Scatter});
        }
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        WeightPcaResults results;
        const ImageDataset data = loadData(sink, results);
        const std::int64_t firstLayer = spec_.widths[0] * spec_.widths[1];
        SnapshotStore store(results.parameters);
        sink.logged(std::to_string(c_.runs) + " runs × " + std::to_string(c_.epochs) +
                    " epochs on " + std::to_string(data.train.size()) + " images; " +
                    std::to_string(results.parameters) + " parameters");
        LivePca pca(store, firstLayer, c_.runs, sink);
        std::vector<std::optional<WeightPcaRun>> outcomes(static_cast<size_t>(c_.runs));
        std::atomic<std::int64_t> epochsDone{0};
        runJobs(c_.runs, workerCount(c_.runs, c_.parallel, threads_), control, [&](int r) {
            outcomes[static_cast<size_t>(r)] =
                trainRun(r, data, store, pca, epochsDone, sink, control);
        });
        pca.finalFit(results);
        for (const auto& o : outcomes)
            if (o) results.runs.push_back(*o);
        results.snapshots = store.size();
        results.seconds = secondsSince(t0);
        return results.toJson();
    }

  private:
    void addRunSeries(PlotLayout& l, int r) const {
        const RunSeriesIds ids = runSeriesIds(r);
        const std::string name = "run " + std::to_string(r + 1);
        for (const auto& [id, panel] :
             {std::pair{ids.trajAll, "pca_all"}, std::pair{ids.trajFirst, "pca_first"}}) {
            SeriesSpec s = makeSeries(id, panel, name, "pc1", "pc2", r);
            s.mode = SeriesMode::Replace;
            s.style = SeriesStyle::Trajectory;
            l.series.push_back(s);
        }
        const SeriesSpec loss =
            makeSeries(ids.loss, "loss", name + " train", "epoch", "train_loss", r);
        l.series.push_back(loss);
        SeriesSpec test = loss;
        test.id = ids.testLoss;
        test.name = name + " test";
        test.yName = "test_loss";
        test.dashed = true;
        l.series.push_back(test);
    }

    /// Loads the dataset with its limit and records it in `results`.
    ImageDataset loadData(ExperimentSink& sink, WeightPcaResults& results) const {
        results.dataset = c_.dataset;
        const DatasetSpec* dspec = findDatasetSpec(results.dataset);
        const auto loc = locateDataset(results.dataset, datasetSearchRoots(dataDir_));
        if (!dspec || !loc) throw Error("dataset '" + results.dataset + "' is not available");
        sink.logged("Loading " + dspec->title + " from " + loc->path.string());
        ImageDatasetOptions opts;
        opts.limitTrain = c_.trainLimit;
        opts.seed = c_.seed;
        opts.subset = c_.subset;
        ImageDataset data = makeImageDataset(loadRawDataset(*loc), *dspec, opts);
        results.datasetPath = loc->path.string();
        results.subsets = image_exp::describeDatasetSubsets(
            data, static_cast<std::int64_t>(dspec->classNames.size()), sink);
        results.parameters = mlpParameterCount(spec_);
        return data;
    }

    ImageTrainOptions trainOptions(int r, std::uint64_t seed) const {
        ImageTrainOptions o;
        o.optimizer = c_.optimizer;
        o.lr = c_.lr;
        o.momentum = c_.momentum;
        o.batchSize = c_.batchSize;
        o.epochs = c_.epochs;
        o.evalBatch = kEvalBatch;
        o.seed = seed;
        o.label = "run " + std::to_string(r + 1);
        o.firstShuffleEpoch = 1;
        return o;
    }

    /// Trains run r with the shared classification loop, snapshotting its weights every
    /// `snapshot_every` epochs (and before training with include_initial). Nothing when
    /// cancelled.
    std::optional<WeightPcaRun> trainRun(int r, const ImageDataset& data, SnapshotStore& store,
                                         LivePca& pca, std::atomic<std::int64_t>& epochsDone,
                                         ExperimentSink& sink, RunControl& control) const {
        const std::uint64_t seed = runSeed(c_.seed, static_cast<std::uint64_t>(r));
        Mlp model(spec_, seed);
        const ClassifierNet net{*model,
                                [&model](const torch::Tensor& x) {
                                    return model->forward(x.view({x.size(0), -1}));
                                },
                                10};
        if (c_.includeInitial) {
            const Evaluation e =
                evaluateClassifier(net, data.test, data.mean, data.std, kEvalBatch);
            store.add(r, 0, flatten(model), e.loss, e.accuracy);
            pca.refitIfDue();
        }
        const RunSeriesIds ids = runSeriesIds(r);
        const std::string label = "run " + std::to_string(r + 1);
        const auto onEpoch = [&](const EpochMetrics& m) {
            const auto epoch = static_cast<double>(m.epoch);
            sink.pointsAppended(ids.loss, {epoch}, {m.trainLoss});
            sink.pointsAppended(ids.testLoss, {epoch}, {m.testLoss});
            const std::int64_t doneEpochs = ++epochsDone;
            sink.progressed(
                static_cast<double>(doneEpochs) / (static_cast<double>(c_.runs) * c_.epochs),
                label + ": epoch " + std::to_string(m.epoch) + " / " + std::to_string(c_.epochs));
            if (m.epoch % c_.snapshotEvery == 0) {
                store.add(r, m.epoch, flatten(model), m.trainLoss, m.testAccuracy);
                pca.refitIfDue();
            }
        };
        const ImageTrainResult trained =
            trainClassifier(net, data, trainOptions(r, seed), control, onEpoch);
        if (trained.cancelled || trained.epochs.empty()) return std::nullopt;
        const EpochMetrics& last = trained.epochs.back();
        sink.logged(label + ": train loss " + sig3(last.trainLoss) + ", test loss " +
                    sig3(last.testLoss) + ", test accuracy " + sig3(100 * last.testAccuracy) + "%");
        return WeightPcaRun{r + 1, seed, last.trainLoss, last.testLoss, last.testAccuracy};
    }

    static constexpr std::int64_t kEvalBatch = 1000;
    Config c_;
    int threads_;
    std::string dataDir_;
    MlpSpec spec_;
};

}  // namespace

ExperimentKind weightPcaKind() {
    return typedKind<WeightPcaExperiment>(
        "weight_pca", weightPcaFields, readWeightPcaConfig, check,
        [](const json& c) { return std::vector<std::string>{c.at("dataset").get<std::string>()}; });
}

TRAINLAB_REGISTER_EXPERIMENT_KIND(weightPcaKind);

}  // namespace trainlab
