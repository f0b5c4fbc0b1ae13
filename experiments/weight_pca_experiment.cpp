#include "weight_pca_experiment.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <thread>

#include "errors.h"
#include "dataset_catalog.h"
#include "image_experiment_common.h"
#include "image_tensors.h"
#include "mlp.h"
#include "parallel_runs.h"
#include "trainer.h"
#include "weight_pca.h"

namespace trainlab {

using nlohmann::json;

namespace {

constexpr int kVarianceComponents = 5;  // shown in the explained-variance panel

std::vector<ParamSpec> schema(const json&) {
    ParamSpec dataset =
        makeChoice("dataset", "Dataset", "Data", {"mnist", "fashion-mnist"},
                   "MNIST as in the original; Fashion-MNIST is installed with trainlab");
    ParamSpec widths = makeParam(
        "hidden", "Hidden widths", "Model", ParamType::IntList, 1, 4096,
        "Hidden layer widths between the 784 inputs and 10 outputs (128, 64: 109,386 parameters)");
    widths.minItems = 1;
    widths.maxItems = 8;
    ParamSpec opt =
        makeChoice("optimizer", "Optimizer", "Training", {"sgd", "adam"}, "SGD as in the original");
    std::vector<ParamSpec> s = {
        dataset,
        makeParam("train_limit", "Training images", "Data", ParamType::Int, 0, 60000,
                  "0 = all 60,000 (a limit keeps a seeded sample drawn per class)"),
        widths,
        opt,
        makeParam("lr", "Learning rate", "Training", ParamType::Double, 1e-8, 10, "Step size",
                  true),
        makeParam("momentum", "Momentum", "Training", ParamType::Double, 0, 0.999, "SGD momentum"),
        makeParam("batch_size", "Batch size", "Training", ParamType::Int, 1, 60000,
                  "Shuffled mini-batches"),
        makeParam("epochs", "Epochs", "Training", ParamType::Int, 1, 10000, "Per run"),
        makeParam("runs", "Runs", "Run", ParamType::Int, 1, 64,
                  "Independent trainings (one colour each)"),
        makeParam("snapshot_every", "Snapshot every", "Run", ParamType::Int, 1, 10000,
                  "Epochs between weight snapshots"),
        makeParam("include_initial", "Include initial weights", "Run", ParamType::Bool, 0, 0,
                  "Also snapshot each run's weights before training"),
        makeParam("seed", "Seed", "Run", ParamType::Int, 0, 2147483647,
                  "Run r is initialised from seed·1000003 + r"),
        makeParam("parallel", "Runs concurrently", "Run", ParamType::Bool, 0, 0,
                  "One run per core"),
    };
    image_exp::addSubsetParam(s);
    return s;
}

std::vector<std::string> check(const json& c) {
    std::vector<std::string> p;
    const auto epochs = c["epochs"].get<std::int64_t>();
    const auto every = c["snapshot_every"].get<std::int64_t>();
    const auto runs = c["runs"].get<std::int64_t>();
    const std::int64_t perRun = epochs / every + (c["include_initial"].get<bool>() ? 1 : 0);
    if (perRun < 1)
        p.push_back("'snapshot_every': " + std::to_string(every) + " is more than the " +
                    std::to_string(epochs) + " epochs: no snapshot would be taken");
    std::vector<std::int64_t> widths{784};
    for (const auto& w : c["hidden"]) widths.push_back(w.get<std::int64_t>());
    widths.push_back(10);
    MlpSpec s;
    s.widths = widths;
    const double bytes =
        4.0 * static_cast<double>(mlpParameterCount(s)) * static_cast<double>(perRun * runs);
    if (bytes > 4e9)
        p.push_back("'runs' × snapshots × parameters needs " +
                    std::to_string(static_cast<long long>(bytes / 1e9)) +
                    " GB of snapshots (at most 4 GB)");
    return p;
}

std::string fmt(double v, int precision = 3) {
    std::ostringstream o;
    o << std::setprecision(precision) << v;
    return o.str();
}

std::vector<float> flatten(Mlp& model) {
    std::vector<float> w;
    w.reserve(static_cast<size_t>(model->parameterCount()));
    for (const auto& p : model->parameters()) {
        const auto c = p.detach().contiguous();
        w.insert(w.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return w;
}

class WeightPcaExperiment : public Experiment {
  public:
    WeightPcaExperiment(const json& c, int threads) : config_(c), threads_(threads) {
        spec_.widths = {784};
        for (const auto& w : c.at("hidden")) spec_.widths.push_back(w.get<std::int64_t>());
        spec_.widths.push_back(10);
        spec_.activation = Activation::ReLU;
        validateMlpSpec(spec_, "hidden");
        runs_ = c.at("runs").get<int>();
        epochs_ = c.at("epochs").get<int>();
        every_ = c.at("snapshot_every").get<int>();
        includeInitial_ = c.at("include_initial").get<bool>();
        batch_ = c.at("batch_size").get<std::int64_t>();
        seed_ = c.at("seed").get<std::uint64_t>();
        lr_ = c.at("lr").get<double>();
        momentum_ = c.at("momentum").get<double>();
        adam_ = c.at("optimizer").get<std::string>() == "adam";
    }

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
        for (int r = 0; r < runs_; ++r) {
            for (const char* panel : {"pca_all", "pca_first"}) {
                SeriesSpec s;
                s.id = std::string(panel == std::string("pca_all") ? "traj_all" : "traj_first") +
                       "_r" + std::to_string(r + 1);
                s.panel = panel;
                s.name = "run " + std::to_string(r + 1);
                s.xName = "pc1";
                s.yName = "pc2";
                s.color = r;
                s.mode = SeriesMode::Replace;
                s.style = SeriesStyle::Trajectory;
                l.series.push_back(s);
            }
            SeriesSpec loss;
            loss.id = "loss_r" + std::to_string(r + 1);
            loss.panel = "loss";
            loss.name = "run " + std::to_string(r + 1) + " train";
            loss.xName = "epoch";
            loss.yName = "train_loss";
            loss.color = r;
            l.series.push_back(loss);
            SeriesSpec test = loss;
            test.id = "test_loss_r" + std::to_string(r + 1);
            test.name = "run " + std::to_string(r + 1) + " test";
            test.yName = "test_loss";
            test.dashed = true;
            l.series.push_back(test);
        }
        for (int k = 0; k < 2; ++k) {
            SeriesSpec v;
            v.id = k == 0 ? "variance_all" : "variance_first";
            v.panel = "variance";
            v.name = k == 0 ? "whole model" : "first layer";
            v.xName = "component";
            v.yName = "explained_variance_ratio";
            v.color = k == 0 ? 0 : 1;
            v.mode = SeriesMode::Replace;
            v.style = SeriesStyle::Scatter;
            l.series.push_back(v);
        }
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        const std::string datasetId = config_.at("dataset").get<std::string>();
        const DatasetSpec* dspec = findDatasetSpec(datasetId);
        const auto loc = locateDataset(datasetId, datasetSearchRoots(dataDir_));
        if (!dspec || !loc) throw Error("dataset '" + datasetId + "' is not available");
        sink.logged("Loading " + dspec->title + " from " + loc->path.string());
        ImageDatasetOptions opts;
        opts.limitTrain = config_.at("train_limit").get<std::int64_t>();
        opts.seed = seed_;
        opts.subset = image_exp::subsetOf(config_);
        const ImageDataset data = makeImageDataset(loadRawDataset(*loc), *dspec, opts);
        const json subsets = image_exp::describeDatasetSubsets(
            data, static_cast<std::int64_t>(dspec->classNames.size()), sink);
        const std::int64_t params = mlpParameterCount(spec_);
        const std::int64_t firstLayer = spec_.widths[0] * spec_.widths[1];
        SnapshotStore store(params);
        sink.logged(std::to_string(runs_) + " runs × " + std::to_string(epochs_) + " epochs on " +
                    std::to_string(data.train.size()) + " images; " + std::to_string(params) +
                    " parameters");

        std::mutex fitMutex;
        PcaResult lastAll, lastFirst;
        auto lastFit = std::chrono::steady_clock::now() - std::chrono::seconds(10);
        // Refits the joint PCA on every snapshot so far and redraws every run's trajectory.
        auto refit = [&](bool force) {
            std::unique_lock<std::mutex> lock(fitMutex, std::defer_lock);
            if (force)
                lock.lock();
            else if (!lock.try_lock())
                return;  // another thread is fitting: it will include ours
            const auto now = std::chrono::steady_clock::now();
            if (!force && now - lastFit < std::chrono::milliseconds(700)) return;
            lastFit = now;
            const auto meta = store.metaCopy();
            if (meta.size() < 2) return;
            PcaResult all = store.fit(std::max(2, kVarianceComponents));
            PcaResult first = store.fitColumns(0, firstLayer, std::max(2, kVarianceComponents));
            if (lastAll.scores.rows() > 0) alignSigns(all, lastAll);
            if (lastFirst.scores.rows() > 0) alignSigns(first, lastFirst);
            const auto rows =
                static_cast<size_t>(std::min<Eigen::Index>(all.scores.rows(), first.scores.rows()));
            for (int r = 0; r < runs_; ++r) {
                std::vector<std::pair<int, size_t>> points;  // (snapshot index, row)
                for (size_t i = 0; i < std::min(rows, meta.size()); ++i)
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
                                     std::to_string(epoch) + " · loss " + fmt(meta[i].loss) +
                                     " · acc " + fmt(100 * meta[i].accuracy, 3) + "%");
                }
                const std::string suffix = "_r" + std::to_string(r + 1);
                sink.seriesReplaced("traj_all" + suffix, ax, ay);
                sink.seriesReplaced("traj_first" + suffix, fx, fy);
                sink.labelsReplaced("traj_all" + suffix, labels);
                sink.labelsReplaced("traj_first" + suffix, labels);
            }
            std::vector<double> k, va, vf;
            for (int c = 0; c < std::min<int>(kVarianceComponents,
                                              static_cast<int>(all.explainedVarianceRatio.size()));
                 ++c) {
                k.push_back(c + 1);
                va.push_back(all.explainedVarianceRatio[c]);
                vf.push_back(first.explainedVarianceRatio[c]);
            }
            sink.seriesReplaced("variance_all", k, va);
            sink.seriesReplaced("variance_first", k, vf);
            lastAll = std::move(all);
            lastFirst = std::move(first);
        };

        // Test loss and accuracy in evaluation mode, without gradients.
        auto evaluate = [&](Mlp& model) {
            torch::NoGradGuard noGrad;
            model->eval();
            BatchIterator it(data.test, data.mean, data.std, 1000, false, 0);
            torch::Tensor x, y;
            double lossSum = 0;
            std::int64_t correct = 0;
            while (it.next(x, y)) {
                const auto out = model->forward(x.view({x.size(0), -1}));
                lossSum +=
                    torch::nn::functional::cross_entropy(
                        out, y,
                        torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                        .item<double>();
                correct += out.argmax(1).eq(y).sum().item<std::int64_t>();
            }
            model->train();
            const double n = static_cast<double>(data.test.size());
            return std::make_pair(lossSum / n, static_cast<double>(correct) / n);
        };

        std::atomic<std::int64_t> epochsDone{0};
        std::vector<json> runResults(static_cast<size_t>(runs_));

        auto oneRun = [&](int r) {
            const std::uint64_t runSeed = seed_ * 1000003ULL + static_cast<std::uint64_t>(r);
            Mlp model(spec_, runSeed);
            std::unique_ptr<torch::optim::Optimizer> opt;
            if (adam_)
                opt = std::make_unique<torch::optim::Adam>(model->parameters(),
                                                           torch::optim::AdamOptions(lr_));
            else
                opt = std::make_unique<torch::optim::SGD>(
                    model->parameters(), torch::optim::SGDOptions(lr_).momentum(momentum_));
            BatchIterator it(data.train, data.mean, data.std, batch_, true, runSeed);
            const std::string suffix = "_r" + std::to_string(r + 1);
            if (includeInitial_) {
                const auto [tl, ta] = evaluate(model);
                store.add(r, 0, flatten(model), tl, ta);
                refit(false);
            }
            double trainLoss = 0, testLoss = 0, testAcc = 0;
            for (int e = 1; e <= epochs_; ++e) {
                it.startEpoch(e);
                torch::Tensor x, y;
                double sum = 0;
                std::int64_t seen = 0;
                while (it.next(x, y)) {
                    while (control.pause && !control.cancel)
                        std::this_thread::sleep_for(std::chrono::milliseconds(10));
                    if (control.cancel) return;
                    opt->zero_grad();
                    const auto loss = torch::nn::functional::cross_entropy(
                        model->forward(x.view({x.size(0), -1})), y);
                    loss.backward();
                    opt->step();
                    const double v = loss.item<double>();
                    if (!std::isfinite(v))
                        throw DivergenceError("run " + std::to_string(r + 1), e, v, NAN);
                    sum += v * static_cast<double>(y.size(0));
                    seen += y.size(0);
                }
                trainLoss = sum / static_cast<double>(seen);
                std::tie(testLoss, testAcc) = evaluate(model);
                sink.pointsAppended("loss" + suffix, {static_cast<double>(e)}, {trainLoss});
                sink.pointsAppended("test_loss" + suffix, {static_cast<double>(e)}, {testLoss});
                const std::int64_t doneEpochs = ++epochsDone;
                sink.progressed(
                    static_cast<double>(doneEpochs) / (static_cast<double>(runs_) * epochs_),
                    "run " + std::to_string(r + 1) + ": epoch " + std::to_string(e) + " / " +
                        std::to_string(epochs_));
                if (e % every_ == 0) {
                    store.add(r, e, flatten(model), trainLoss, testAcc);
                    refit(false);
                }
            }
            sink.logged("run " + std::to_string(r + 1) + ": train loss " + fmt(trainLoss) +
                        ", test loss " + fmt(testLoss) + ", test accuracy " + fmt(100 * testAcc) +
                        "%");
            runResults[static_cast<size_t>(r)] = json{{"run", r + 1},
                                                      {"seed", runSeed},
                                                      {"train_loss", trainLoss},
                                                      {"test_loss", testLoss},
                                                      {"test_accuracy", testAcc}};
        };
        runJobs(runs_, workerCount(runs_, config_.at("parallel").get<bool>(), threads_), control,
                oneRun);
        refit(true);

        json results;
        results["runs"] = json::array();
        double accSum = 0;
        int completed = 0;
        for (const auto& r : runResults) {
            if (r.is_null()) continue;
            results["runs"].push_back(r);
            accSum += r["test_accuracy"].get<double>();
            ++completed;
        }
        results["dataset"] = datasetId;
        results["dataset_path"] = loc->path.string();
        results["subsets"] = subsets;
        results["parameters"] = params;
        results["snapshots"] = store.size();
        if (lastAll.explainedVarianceRatio.size() >= 2) {
            results["explained_variance_whole"] = {lastAll.explainedVarianceRatio[0],
                                                   lastAll.explainedVarianceRatio[1]};
            results["explained_variance_first_layer"] = {lastFirst.explainedVarianceRatio[0],
                                                         lastFirst.explainedVarianceRatio[1]};
        }
        results["seconds"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::string headline =
            std::to_string(completed) + " runs, " + std::to_string(store.size()) + " snapshots";
        if (completed > 0)
            headline += ", mean test accuracy " + fmt(100 * accSum / completed) + "%";
        if (lastAll.explainedVarianceRatio.size() >= 2)
            headline +=
                "; PC1+PC2 explain " +
                fmt(100 * (lastAll.explainedVarianceRatio[0] + lastAll.explainedVarianceRatio[1])) +
                "% (whole model), " +
                fmt(100 *
                    (lastFirst.explainedVarianceRatio[0] + lastFirst.explainedVarianceRatio[1])) +
                "% (first layer)";
        results["headline"] = headline;
        return results;
    }

    std::string dataDir_;

  private:
    json config_;
    int threads_;
    MlpSpec spec_;
    int runs_ = 8, epochs_ = 24, every_ = 3;
    bool includeInitial_ = false, adam_ = false;
    std::int64_t batch_ = 100;
    std::uint64_t seed_ = 1;
    double lr_ = 1e-3, momentum_ = 0;
};

}  // namespace

ExperimentKind weightPcaKind() {
    ExperimentKind k;
    k.id = "weight_pca";
    k.schema = schema;
    k.check = check;
    k.datasets = [](const json& c) {
        return std::vector<std::string>{c.at("dataset").get<std::string>()};
    };
    k.create = [](const json& c, const ExperimentContext& context) -> std::unique_ptr<Experiment> {
        auto e = std::make_unique<WeightPcaExperiment>(c, context.threads);
        e->dataDir_ = context.dataDir;
        return e;
    };
    return k;
}

}  // namespace trainlab
