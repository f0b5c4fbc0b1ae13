#include "image_experiments.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <mutex>
#include <sstream>

#include "cnn.h"
#include "core/errors.h"
#include "data/dataset_catalog.h"
#include "image_tensors.h"
#include "image_trainer.h"
#include "parallel_runs.h"

namespace trainlab {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------------------------
// Shared by the three kinds: data, optimiser and run settings.

struct Common {
    std::string dataset;
    std::int64_t trainLimit = 0, testLimit = 0;
    OptimizerKind optimizer = OptimizerKind::Adam;
    double lr = 1e-3, momentum = 0;
    std::int64_t batch = 100;
    int epochs = 20;
    TrainMetric metric = TrainMetric::Running;
    std::uint64_t seed = 1;
    bool parallel = true;
};

Common readCommon(const json& c) {
    Common m;
    m.dataset = c.at("dataset").get<std::string>();
    m.trainLimit = c.at("train_limit").get<std::int64_t>();
    m.testLimit = c.at("test_limit").get<std::int64_t>();
    m.optimizer = optimizerFromName(c.at("optimizer").get<std::string>());
    m.lr = c.at("lr").get<double>();
    m.momentum = c.at("momentum").get<double>();
    m.batch = c.at("batch_size").get<std::int64_t>();
    m.epochs = c.at("epochs").get<int>();
    m.metric = trainMetricFromName(c.at("train_metric").get<std::string>());
    m.seed = c.at("seed").get<std::uint64_t>();
    m.parallel = c.at("parallel").get<bool>();
    return m;
}

std::vector<ParamSpec> commonSchema(int maxEpochs) {
    return {
        makeChoice("dataset", "Dataset", "Data", {"cifar10", "fashion-mnist", "mnist"},
                   "CIFAR-10 as in the original; Fashion-MNIST is installed with trainlab"),
        makeParam("train_limit", "Training images", "Data", ParamType::Int, 0, 60000,
                  "0 = all (50,000 for CIFAR-10, 60,000 for MNIST and Fashion-MNIST)"),
        makeParam("test_limit", "Test images", "Data", ParamType::Int, 0, 10000, "0 = all 10,000"),
        makeChoice("optimizer", "Optimizer", "Training", {"adam", "sgd"},
                   "Adam as in the original"),
        makeParam("lr", "Learning rate", "Training", ParamType::Double, 1e-8, 10, "Step size",
                  true),
        makeParam("momentum", "Momentum", "Training", ParamType::Double, 0, 0.999,
                  "SGD momentum (ignored by Adam)"),
        makeParam("batch_size", "Batch size", "Training", ParamType::Int, 1, 60000,
                  "Shuffled mini-batches (a new seeded order every epoch)"),
        makeParam("epochs", "Epochs", "Training", ParamType::Int, 1, maxEpochs,
                  "Passes over the training set"),
        makeChoice("train_metric", "Training loss/accuracy", "Training", {"running", "clean"},
                   "running: mean over the epoch's batches in train mode (free); clean: an extra "
                   "pass over the training set in eval mode after each epoch"),
        makeParam("seed", "Seed", "Run", ParamType::Int, 0, 2147483647,
                  "Initialisation, batch order and label corruption derive from it"),
        makeParam("parallel", "Models concurrently", "Run", ParamType::Bool, 0, 0,
                  "Train the models side by side, one per core (same numbers either way)"),
    };
}

std::vector<std::string> commonCheck(const json& c) {
    std::vector<std::string> p;
    const DatasetSpec* spec = findDatasetSpec(c.at("dataset").get<std::string>());
    if (!spec) return p;
    std::int64_t n = spec->trainCount;
    const auto limit = c.at("train_limit").get<std::int64_t>();
    if (limit > 0) n = std::min(n, limit);
    const auto batch = c.at("batch_size").get<std::int64_t>();
    if (batch > n)
        p.push_back("'batch_size': " + std::to_string(batch) + " is larger than the " +
                    std::to_string(n) + " training images");
    return p;
}

std::string fmt(double v, int precision = 3) {
    std::ostringstream o;
    o << std::setprecision(precision) << v;
    return o.str();
}

std::string pct(double fraction) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(1) << 100 * fraction << "%";
    return o.str();
}

std::string withThousands(std::int64_t v) {
    std::string s = std::to_string(v), out;
    const int n = static_cast<int>(s.size());
    for (int i = 0; i < n; ++i) {
        out += s[static_cast<size_t>(i)];
        if ((n - 1 - i) % 3 == 0 && i != n - 1) out += ',';
    }
    return out;
}

struct LoadedData {
    ImageDataset data;
    const DatasetSpec* spec = nullptr;
    std::string path;
};

LoadedData loadData(const Common& c, const std::string& dataDir, ExperimentSink& sink) {
    LoadedData out;
    out.spec = findDatasetSpec(c.dataset);
    const auto loc = locateDataset(c.dataset, datasetSearchRoots(dataDir));
    if (!out.spec || !loc) throw Error("dataset '" + c.dataset + "' is not available");
    sink.logged("Loading " + out.spec->title + " from " + loc->path.string());
    ImageDatasetOptions opts;
    opts.limitTrain = c.trainLimit;
    opts.limitTest = c.testLimit;
    opts.seed = c.seed;
    out.data = makeImageDataset(loadRawDataset(*loc), *out.spec, opts);
    out.path = loc->path.string();
    return out;
}

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

// One model to train and the series it reports to.
struct Job {
    std::string key;   ///< series suffix: "m1", "rand", "net3"
    std::string name;  ///< "Model 1", "random labels", "Net_3"
    CnnSpec spec;
    std::uint64_t seed = 0;  ///< initialisation and batch order
    int color = 0;
    const ImageDataset* data = nullptr;
};

std::string trainSuffix(TrainMetric m) {
    return m == TrainMetric::Clean ? " train (clean pass)" : " train (running)";
}

void addCurves(PlotLayout& l, const Job& j, TrainMetric metric) {
    for (const char* what : {"loss", "acc"}) {
        const bool loss = std::string(what) == "loss";
        SeriesSpec tr;
        tr.id = std::string(what) + "_train_" + j.key;
        tr.panel = loss ? "loss" : "accuracy";
        tr.name = j.name + trainSuffix(metric);
        tr.xName = "epoch";
        tr.yName = loss ? "train_loss" : "train_accuracy_percent";
        tr.color = j.color;
        l.series.push_back(tr);
        SeriesSpec te = tr;
        te.id = std::string(what) + "_test_" + j.key;
        te.name = j.name + " test";
        te.yName = loss ? "test_loss" : "test_accuracy_percent";
        te.dashed = true;
        l.series.push_back(te);
    }
}

PanelSpec epochPanel(const std::string& id, const std::string& title, const std::string& y) {
    PanelSpec p{id, title, "epoch", y, "", false, false, false};
    p.integerX = true;
    return p;
}

void addEpochPanels(PlotLayout& l) {
    l.panels.push_back(epochPanel("loss", "Loss per epoch", "cross-entropy"));
    l.panels.push_back(epochPanel("accuracy", "Accuracy per epoch", "accuracy (%)"));
}

json epochJson(const EpochMetrics& e) {
    return {{"epoch", e.epoch},          {"steps", e.steps},
            {"train_loss", e.trainLoss}, {"train_accuracy", e.trainAccuracy},
            {"test_loss", e.testLoss},   {"test_accuracy", e.testAccuracy},
            {"seconds", e.seconds}};
}

json jobJson(const Job& j, const ImageTrainResult& r, TrainMetric metric) {
    json o;
    o["name"] = j.name;
    o["parameters"] = cnnParameterCount(j.spec);
    o["seed"] = j.seed;
    o["spec"] = cnnSpecToJson(j.spec);
    o["epochs_run"] = r.epochs.size();
    o["steps"] = r.steps;
    o["seconds"] = r.seconds;
    o["train_metric"] = trainMetricName(metric);
    o["cancelled"] = r.cancelled;
    if (!r.epochs.empty()) {
        o["final"] = epochJson(r.epochs.back());
        o["best_test_accuracy"] = epochJson(r.epochs[static_cast<size_t>(r.bestEpoch() - 1)]);
        o["min_test_loss"] = epochJson(r.epochs[static_cast<size_t>(r.bestLossEpoch() - 1)]);
        double s = 0;
        for (const auto& e : r.epochs) s += e.seconds;
        o["seconds_per_epoch"] = s / static_cast<double>(r.epochs.size());
    }
    return o;
}

// Trains one job with `threads` intra-op threads on the calling thread, streaming its
// per-epoch curves. `onEpoch` may add more reporting.
ImageTrainResult trainJob(const Job& j, const Common& c, int threads, RunControl& control,
                          ExperimentSink& sink, ProgressMeter& progress,
                          const std::function<void(const EpochMetrics&)>& onEpoch = {}) {
    torch::set_num_threads(threads);  // per thread: OpenMP's setting is thread-local
    Cnn model(j.spec, j.seed);
    model->useChannelsLast(true);
    ImageTrainOptions o;
    o.optimizer = c.optimizer;
    o.lr = c.lr;
    o.momentum = c.momentum;
    o.batchSize = c.batch;
    o.epochs = c.epochs;
    o.trainMetric = c.metric;
    o.seed = j.seed;
    o.label = j.name;
    const double macs = cnnForwardMacs(j.spec) * static_cast<double>(c.batch);
    const std::int64_t perEpoch =
        (j.data->train.size() + c.batch - 1) / std::max<std::int64_t>(1, c.batch);
    auto stepCb = [&](std::int64_t step, CnnImpl&) {
        const std::int64_t epoch = (step - 1) / perEpoch + 1;
        progress.add(macs, j.name + ": epoch " + std::to_string(epoch) + " / " +
                               std::to_string(c.epochs) + ", step " +
                               std::to_string((step - 1) % perEpoch + 1) + " / " +
                               std::to_string(perEpoch));
    };
    auto epochCb = [&](const EpochMetrics& e, CnnImpl&) {
        const double x = e.epoch;
        sink.pointsAppended("loss_train_" + j.key, {x}, {e.trainLoss});
        sink.pointsAppended("loss_test_" + j.key, {x}, {e.testLoss});
        sink.pointsAppended("acc_train_" + j.key, {x}, {100 * e.trainAccuracy});
        sink.pointsAppended("acc_test_" + j.key, {x}, {100 * e.testAccuracy});
        sink.logged(j.name + " epoch " + std::to_string(e.epoch) + ": train loss " +
                    fmt(e.trainLoss) + ", accuracy " + pct(e.trainAccuracy) + "; test loss " +
                    fmt(e.testLoss) + ", accuracy " + pct(e.testAccuracy) + " (" +
                    fmt(e.seconds, 3) + " s)");
        if (onEpoch) onEpoch(e);
    };
    sink.logged(j.name + ": " + withThousands(cnnParameterCount(j.spec)) + " parameters, seed " +
                std::to_string(j.seed));
    return trainImageClassifier(*model, *j.data, o, control, epochCb, stepCb);
}

double jobWork(const Job& j, const Common& c) {
    const double steps = static_cast<double>(c.epochs) *
                         std::ceil(static_cast<double>(j.data->train.size()) /
                                   static_cast<double>(std::max<std::int64_t>(1, c.batch)));
    return steps * cnnForwardMacs(j.spec) * static_cast<double>(c.batch);
}

// Runs the jobs (concurrently when asked, each with `threads` threads) and returns their
// results in job order; a job that was not run has an empty result.
std::vector<ImageTrainResult> runAll(
    const std::vector<Job>& jobs, const Common& c, int threads, RunControl& control,
    ExperimentSink& sink, const std::function<void(size_t, const EpochMetrics&)>& onEpoch = {},
    const std::function<void(size_t, const ImageTrainResult&)>& onDone = {}) {
    double total = 0;
    for (const auto& j : jobs) total += jobWork(j, c);
    ProgressMeter progress(sink, total);
    std::vector<ImageTrainResult> results(jobs.size());
    // The costliest first, so a large model does not start last and run alone.
    std::vector<size_t> order(jobs.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return jobWork(jobs[a], c) > jobWork(jobs[b], c); });
    const int n = static_cast<int>(jobs.size());
    runJobs(n, workerCount(n, c.parallel, threads), control, [&](int i) {
        const size_t k = order[static_cast<size_t>(i)];
        results[k] =
            trainJob(jobs[k], c, threads, control, sink, progress, [&](const EpochMetrics& e) {
                if (onEpoch) onEpoch(k, e);
            });
        if (onDone && !results[k].epochs.empty()) onDone(k, results[k]);
    });
    return results;
}

void writeConfusion(ExperimentSink& sink, const std::string& name, const torch::Tensor& conf) {
    if (!conf.defined()) return;
    std::vector<std::string> cols{"true_label"};
    for (std::int64_t p = 0; p < conf.size(1); ++p)
        cols.push_back("predicted_" + std::to_string(p));
    std::vector<std::vector<double>> rows;
    const auto c = conf.to(torch::kDouble).contiguous();
    for (std::int64_t t = 0; t < c.size(0); ++t) {
        std::vector<double> row{static_cast<double>(t)};
        for (std::int64_t p = 0; p < c.size(1); ++p) row.push_back(c[t][p].item<double>());
        rows.push_back(row);
    }
    sink.tableWritten(name, cols, rows);
}

json baseResults(const LoadedData& d) {
    return {{"dataset", d.spec->id},
            {"dataset_path", d.path},
            {"train_images", d.data.train.size()},
            {"test_images", d.data.test.size()}};
}

std::vector<std::string> datasetsOf(const json& c) {
    return {c.at("dataset").get<std::string>()};
}

// ---------------------------------------------------------------------------------------
// 1-2: the three CNNs.

class CnnTrainExperiment : public Experiment {
  public:
    CnnTrainExperiment(const json& c, const ExperimentContext& ctx)
        : config_(c), common_(readCommon(c)), ctx_(ctx) {
        const DatasetSpec* spec = findDatasetSpec(common_.dataset);
        if (!spec) throw ConfigError({"dataset '" + common_.dataset + "' is unknown"});
        for (const auto& m : c.at("models")) {
            const int which = m.get<int>();
            Job j;
            j.key = "m" + std::to_string(which);
            j.name = "Model " + std::to_string(which);
            j.spec = cnnModel(which, spec->channels, spec->height, spec->width);
            j.seed = common_.seed * 1000003ULL + static_cast<std::uint64_t>(which);
            j.color = which - 1;
            jobs_.push_back(j);
        }
        classNames_ = spec->classNames;
    }

    PlotLayout layout() const override {
        PlotLayout l;
        addEpochPanels(l);
        PanelSpec perClass{"per_class", "Per-class test accuracy at the end",
                           "class",     "accuracy (%)",
                           "",          false,
                           false,       false};
        perClass.xTickLabels = classNames_;
        l.panels.push_back(perClass);
        for (const auto& j : jobs_) {
            addCurves(l, j, common_.metric);
            SeriesSpec pc;
            pc.id = "per_class_" + j.key;
            pc.panel = "per_class";
            pc.name = j.name;
            pc.xName = "class";
            pc.yName = "test_accuracy_percent";
            pc.color = j.color;
            pc.mode = SeriesMode::Replace;
            pc.style = SeriesStyle::Scatter;
            l.series.push_back(pc);
        }
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        LoadedData d = loadData(common_, ctx_.dataDir, sink);
        for (auto& j : jobs_) j.data = &d.data;
        sink.logged(std::to_string(jobs_.size()) + " models × " + std::to_string(common_.epochs) +
                    " epochs on " + withThousands(d.data.train.size()) + " images");
        std::mutex tableMutex;
        std::vector<std::vector<double>> perClass(jobs_.size());
        auto onDone = [&](size_t k, const ImageTrainResult& r) {
            const auto acc = perClassAccuracy(r.confusion);
            std::vector<double> x, y;
            std::vector<std::string> labels;
            for (size_t i = 0; i < acc.size(); ++i) {
                x.push_back(static_cast<double>(i));
                y.push_back(100 * acc[i]);
                labels.push_back(jobs_[k].name + " · " +
                                 (i < classNames_.size() ? classNames_[i] : std::to_string(i)) +
                                 " · " + pct(acc[i]));
            }
            sink.seriesReplaced("per_class_" + jobs_[k].key, x, y);
            sink.labelsReplaced("per_class_" + jobs_[k].key, labels);
            writeConfusion(sink, "confusion_" + jobs_[k].key, r.confusion);
            std::lock_guard<std::mutex> lock(tableMutex);
            perClass[k] = acc;
            std::vector<std::string> cols{"class"};
            for (const auto& j : jobs_) cols.push_back(j.key + "_test_accuracy");
            std::vector<std::vector<double>> rows;
            for (size_t i = 0; i < classNames_.size(); ++i) {
                std::vector<double> row{static_cast<double>(i)};
                for (const auto& pcs : perClass) row.push_back(i < pcs.size() ? pcs[i] : NAN);
                rows.push_back(row);
            }
            sink.tableWritten("per_class_accuracy", cols, rows);
        };
        const auto results = runAll(jobs_, common_, ctx_.threads, control, sink, {}, onDone);

        json out = baseResults(d);
        out["models"] = json::array();
        std::string headline;
        for (size_t k = 0; k < jobs_.size(); ++k) {
            const auto& r = results[k];
            if (r.epochs.empty()) continue;
            json m = jobJson(jobs_[k], r, common_.metric);
            m["per_class_test_accuracy"] = perClassAccuracy(r.confusion);
            out["models"].push_back(m);
            const auto& best = r.epochs[static_cast<size_t>(r.bestEpoch() - 1)];
            headline += (headline.empty() ? "" : "; ") + jobs_[k].name + " test " +
                        pct(r.epochs.back().testAccuracy) + " (best " + pct(best.testAccuracy) +
                        " at epoch " + std::to_string(best.epoch) + "), train " +
                        pct(r.epochs.back().trainAccuracy);
        }
        out["seconds"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out["headline"] = headline.empty() ? "no epoch finished" : headline;
        return out;
    }

  private:
    json config_;
    Common common_;
    ExperimentContext ctx_;
    std::vector<Job> jobs_;
    std::vector<std::string> classNames_;
};

// ---------------------------------------------------------------------------------------
// 3-1: random labels, with a companion run on the true labels on the same schedule.

class RandomLabelsExperiment : public Experiment {
  public:
    RandomLabelsExperiment(const json& c, const ExperimentContext& ctx)
        : common_(readCommon(c)), ctx_(ctx) {
        const DatasetSpec* spec = findDatasetSpec(common_.dataset);
        if (!spec) throw ConfigError({"dataset '" + common_.dataset + "' is unknown"});
        p_ = c.at("corruption").get<double>();
        threshold_ = c.at("fit_threshold").get<double>();
        const int which = c.at("model").get<int>();
        classes_ = static_cast<std::int64_t>(spec->classNames.size());
        Job r;
        r.key = "random";
        r.name = p_ >= 1 ? "random labels" : "p = " + fmt(p_, 3) + " corrupted";
        r.spec = cnnModel(which, spec->channels, spec->height, spec->width);
        r.seed = common_.seed * 1000003ULL + static_cast<std::uint64_t>(which);
        r.color = 3;
        jobs_.push_back(r);
        if (c.at("companion").get<bool>()) {
            Job t = r;  // same model, initialisation and batch order: only the labels differ
            t.key = "true";
            t.name = "true labels";
            t.color = 0;
            jobs_.push_back(t);
        }
    }

    PlotLayout layout() const override {
        PlotLayout l;
        addEpochPanels(l);
        for (const auto& j : jobs_) addCurves(l, j, common_.metric);
        SeriesSpec chance;
        chance.id = "chance";
        chance.panel = "accuracy";
        chance.name = "chance (" + fmt(100.0 / static_cast<double>(classes_), 3) + "%)";
        chance.xName = "epoch";
        chance.yName = "accuracy_percent";
        chance.color = -1;
        chance.dashed = true;
        chance.mode = SeriesMode::Replace;
        l.series.push_back(chance);
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        LoadedData d = loadData(common_, ctx_.dataDir, sink);
        ImageDataset corrupted = d.data;  // shares the image bytes
        std::int64_t replaced = 0;
        const std::uint64_t labelSeed = common_.seed * 7919ULL + 17ULL;
        corrupted.train.labels =
            corruptLabels(d.data.train.labels, p_, classes_, labelSeed, &replaced);
        corrupted.corruptedLabels = replaced;
        const std::int64_t changed =
            corrupted.train.labels.ne(d.data.train.labels).sum().item<std::int64_t>();
        sink.logged("Training labels: " + withThousands(replaced) + " of " +
                    withThousands(d.data.train.size()) + " redrawn uniformly (label seed " +
                    std::to_string(labelSeed) + "); " + withThousands(changed) +
                    " now differ from the truth. Test labels are true.");
        jobs_[0].data = &corrupted;
        if (jobs_.size() > 1) jobs_[1].data = &d.data;
        sink.seriesReplaced(
            "chance", {1.0, static_cast<double>(common_.epochs)},
            {100.0 / static_cast<double>(classes_), 100.0 / static_cast<double>(classes_)});

        std::vector<int> fitEpoch(jobs_.size(), 0);
        std::vector<std::int64_t> fitSteps(jobs_.size(), 0);
        std::mutex fitMutex;
        auto onEpoch = [&](size_t k, const EpochMetrics& e) {
            std::lock_guard<std::mutex> lock(fitMutex);
            if (fitEpoch[k] == 0 && e.trainAccuracy >= threshold_) {
                fitEpoch[k] = e.epoch;
                fitSteps[k] = e.steps;
                sink.logged(jobs_[k].name + ": train accuracy passed " + pct(threshold_) +
                            " at epoch " + std::to_string(e.epoch) + " (step " +
                            withThousands(e.steps) + ")");
            }
        };
        const auto results = runAll(jobs_, common_, ctx_.threads, control, sink, onEpoch);

        json out = baseResults(d);
        out["corruption"] = p_;
        out["label_seed"] = labelSeed;
        out["labels_redrawn"] = replaced;
        out["labels_changed"] = changed;
        out["fit_threshold"] = threshold_;
        out["runs"] = json::array();
        for (size_t k = 0; k < jobs_.size(); ++k) {
            if (results[k].epochs.empty()) continue;
            json r = jobJson(jobs_[k], results[k], common_.metric);
            r["labels"] = jobs_[k].key;
            r["fit_epoch"] = fitEpoch[k] > 0 ? json(fitEpoch[k]) : json(nullptr);
            r["fit_steps"] = fitEpoch[k] > 0 ? json(fitSteps[k]) : json(nullptr);
            out["runs"].push_back(r);
        }
        std::string headline;
        const auto& rr = results[0];
        if (!rr.epochs.empty()) {
            headline = jobs_[0].name + ": " +
                       (fitEpoch[0] > 0 ? "train accuracy passed " + pct(threshold_) +
                                              " at epoch " + std::to_string(fitEpoch[0])
                                        : "train accuracy " + pct(rr.epochs.back().trainAccuracy) +
                                              " after " + std::to_string(rr.epochs.size()) +
                                              " epochs (did not pass " + pct(threshold_) + ")") +
                       ", test accuracy " + pct(rr.epochs.back().testAccuracy);
        }
        if (jobs_.size() > 1 && !results[1].epochs.empty()) {
            const auto& tr = results[1];
            headline += "; true labels: " +
                        (fitEpoch[1] > 0 ? "passed at epoch " + std::to_string(fitEpoch[1])
                                         : "did not pass") +
                        ", test accuracy " + pct(tr.epochs.back().testAccuracy);
            if (fitEpoch[0] > 0 && fitEpoch[1] > 0) {
                const double ratio =
                    static_cast<double>(fitEpoch[0]) / static_cast<double>(fitEpoch[1]);
                out["fit_ratio"] = ratio;
                headline += "; random labels took " + fmt(ratio, 3) + "× as many epochs";
            } else {
                out["fit_ratio"] = nullptr;
            }
        }
        out["seconds"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out["headline"] = headline.empty() ? "no epoch finished" : headline;
        return out;
    }

  private:
    Common common_;
    ExperimentContext ctx_;
    double p_ = 1, threshold_ = 0.99;
    std::int64_t classes_ = 10;
    std::vector<Job> jobs_;
};

// ---------------------------------------------------------------------------------------
// 3-2: Net_1..Net_10 against their parameter counts.

class ParamSweepExperiment : public Experiment {
  public:
    ParamSweepExperiment(const json& c, const ExperimentContext& ctx)
        : common_(readCommon(c)), ctx_(ctx) {
        const DatasetSpec* spec = findDatasetSpec(common_.dataset);
        if (!spec) throw ConfigError({"dataset '" + common_.dataset + "' is unknown"});
        for (const auto& v : c.at("nets")) {
            const int i = v.get<int>();
            Job j;
            j.key = "net" + std::to_string(i);
            j.name = "Net_" + std::to_string(i);
            j.spec = cnnNetFamily(i, spec->channels, spec->height, spec->width);
            j.seed = common_.seed * 1000003ULL + static_cast<std::uint64_t>(i);
            j.color = (i - 1) % 8;
            jobs_.push_back(j);
            index_.push_back(i);
        }
    }

    PlotLayout layout() const override {
        PlotLayout l;
        l.panels.push_back({"params_acc", "Accuracy vs number of parameters", "parameters (log)",
                            "accuracy (%)", "", true, false, false});
        l.panels.push_back({"params_loss", "Loss vs number of parameters", "parameters (log)",
                            "cross-entropy", "", true, false, false});
        l.panels.push_back(epochPanel(
            "selected_acc", "Accuracy per epoch of one net (click a point)", "accuracy (%)"));
        l.panels.push_back(epochPanel("selected_loss", "Loss per epoch of one net (click a point)",
                                      "cross-entropy"));
        auto add = [&](const std::string& id, const std::string& panel, const std::string& name,
                       const std::string& y, int color, bool dashed, SeriesStyle style,
                       bool perRun) {
            SeriesSpec s;
            s.id = id;
            s.panel = panel;
            s.name = name;
            s.xName = perRun ? "epoch" : "parameters";
            s.yName = y;
            s.color = color;
            s.dashed = dashed;
            s.mode = SeriesMode::Replace;
            s.style = style;
            s.perRun = perRun;
            l.series.push_back(s);
        };
        const std::string tr =
            common_.metric == TrainMetric::Clean ? "train (clean pass)" : "train (running)";
        add("final_train_acc", "params_acc", "final " + tr, "train_accuracy_percent", 0, false,
            SeriesStyle::Line, false);
        add("final_test_acc", "params_acc", "final test", "test_accuracy_percent", 1, true,
            SeriesStyle::Line, false);
        add("best_test_acc", "params_acc", "best test (any epoch)", "best_test_accuracy_percent", 2,
            false, SeriesStyle::Scatter, false);
        add("final_train_loss", "params_loss", "final " + tr, "train_loss", 0, false,
            SeriesStyle::Line, false);
        add("final_test_loss", "params_loss", "final test", "test_loss", 1, true, SeriesStyle::Line,
            false);
        add("min_test_loss", "params_loss", "lowest test (any epoch)", "min_test_loss", 2, false,
            SeriesStyle::Scatter, false);
        add("sel_acc_train", "selected_acc", tr, "train_accuracy_percent", 0, false,
            SeriesStyle::Line, true);
        add("sel_acc_test", "selected_acc", "test", "test_accuracy_percent", 1, true,
            SeriesStyle::Line, true);
        add("sel_loss_train", "selected_loss", tr, "train_loss", 0, false, SeriesStyle::Line, true);
        add("sel_loss_test", "selected_loss", "test", "test_loss", 1, true, SeriesStyle::Line,
            true);
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        LoadedData d = loadData(common_, ctx_.dataDir, sink);
        for (auto& j : jobs_) j.data = &d.data;
        std::string sizes;
        for (const auto& j : jobs_)
            sizes += (sizes.empty() ? "" : ", ") + j.name + " " +
                     withThousands(cnnParameterCount(j.spec));
        sink.logged("Parameters: " + sizes);

        std::mutex mutex;
        std::vector<std::vector<EpochMetrics>> history(jobs_.size());
        std::vector<bool> done(jobs_.size(), false);
        // Redraws the per-parameter panels from every finished net, in parameter order.
        auto redraw = [&] {
            std::vector<size_t> order;
            for (size_t k = 0; k < jobs_.size(); ++k)
                if (done[k] && !history[k].empty()) order.push_back(k);
            std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
                return cnnParameterCount(jobs_[a].spec) < cnnParameterCount(jobs_[b].spec);
            });
            std::vector<double> x, ftr, fte, bte, ltr, lte, lmin;
            std::vector<std::string> labels;
            for (size_t k : order) {
                const auto& h = history[k];
                const auto& last = h.back();
                double best = 0, minLoss = INFINITY;
                for (const auto& e : h) {
                    best = std::max(best, e.testAccuracy);
                    minLoss = std::min(minLoss, e.testLoss);
                }
                x.push_back(static_cast<double>(cnnParameterCount(jobs_[k].spec)));
                ftr.push_back(100 * last.trainAccuracy);
                fte.push_back(100 * last.testAccuracy);
                bte.push_back(100 * best);
                ltr.push_back(last.trainLoss);
                lte.push_back(last.testLoss);
                lmin.push_back(minLoss);
                labels.push_back(jobs_[k].name + " · " +
                                 withThousands(cnnParameterCount(jobs_[k].spec)) +
                                 " parameters · train " + pct(last.trainAccuracy) + ", test " +
                                 pct(last.testAccuracy) + " · click for its epochs");
            }
            const std::pair<const char*, const std::vector<double>*> series[] = {
                {"final_train_acc", &ftr},  {"final_test_acc", &fte},  {"best_test_acc", &bte},
                {"final_train_loss", &ltr}, {"final_test_loss", &lte}, {"min_test_loss", &lmin}};
            for (const auto& [id, ys] : series) {
                sink.seriesReplaced(id, x, *ys);
                sink.labelsReplaced(id, labels);
            }
        };
        auto onEpoch = [&](size_t k, const EpochMetrics& e) {
            std::lock_guard<std::mutex> lock(mutex);
            history[k].push_back(e);
            std::vector<double> ep, atr, ate, ltr, lte;
            for (const auto& m : history[k]) {
                ep.push_back(m.epoch);
                atr.push_back(100 * m.trainAccuracy);
                ate.push_back(100 * m.testAccuracy);
                ltr.push_back(m.trainLoss);
                lte.push_back(m.testLoss);
            }
            const std::string run = "_run" + std::to_string(index_[k]);
            const std::pair<const char*, const std::vector<double>*> series[] = {
                {"sel_acc_train", &atr},
                {"sel_acc_test", &ate},
                {"sel_loss_train", &ltr},
                {"sel_loss_test", &lte}};
            for (const auto& [id, ys] : series) {
                sink.seriesReplaced(id, ep, *ys);  // live: the net that reported last
                std::vector<std::vector<double>> rows;
                for (size_t i = 0; i < ep.size(); ++i) rows.push_back({ep[i], (*ys)[i]});
                sink.tableWritten(std::string(id) + run, {"epoch", id}, rows);
            }
        };
        auto onDone = [&](size_t k, const ImageTrainResult&) {
            std::lock_guard<std::mutex> lock(mutex);
            done[k] = true;
            redraw();
        };
        const auto results = runAll(jobs_, common_, ctx_.threads, control, sink, onEpoch, onDone);

        json out = baseResults(d);
        out["nets"] = json::array();
        std::vector<size_t> finished;
        for (size_t k = 0; k < jobs_.size(); ++k) {
            if (results[k].epochs.empty()) continue;
            json n = jobJson(jobs_[k], results[k], common_.metric);
            n["index"] = index_[k];
            out["nets"].push_back(n);
            if (!results[k].cancelled) finished.push_back(k);
        }
        std::string headline = std::to_string(finished.size()) + " of " +
                               std::to_string(jobs_.size()) + " nets trained";
        if (!finished.empty()) {
            std::sort(finished.begin(), finished.end(), [&](size_t a, size_t b) {
                return cnnParameterCount(jobs_[a].spec) < cnnParameterCount(jobs_[b].spec);
            });
            const auto& a = results[finished.front()].epochs.back();
            const auto& b = results[finished.back()].epochs.back();
            headline += ": " + jobs_[finished.front()].name + " (" +
                        withThousands(cnnParameterCount(jobs_[finished.front()].spec)) + ") test " +
                        pct(a.testAccuracy) + ", train " + pct(a.trainAccuracy);
            if (finished.size() > 1)
                headline += " → " + jobs_[finished.back()].name + " (" +
                            withThousands(cnnParameterCount(jobs_[finished.back()].spec)) +
                            ") test " + pct(b.testAccuracy) + ", train " + pct(b.trainAccuracy);
        }
        out["seconds"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out["headline"] = headline;
        return out;
    }

  private:
    Common common_;
    ExperimentContext ctx_;
    std::vector<Job> jobs_;
    std::vector<int> index_;
};

}  // namespace

ExperimentKind cnnTrainKind() {
    ExperimentKind k;
    k.id = "cnn_train";
    k.schema = [](const json&) {
        auto s = commonSchema(1000);
        ParamSpec models = makeParam("models", "Models", "Model", ParamType::IntList, 1, 3,
                                     "Which of the three CNNs to train (1: 148,018 parameters "
                                     "on CIFAR-10, 2: 620,810, 3: 1,099,018)");
        models.minItems = 1;
        models.maxItems = 3;
        s.insert(s.begin() + 3, models);
        return s;
    };
    k.check = [](const json& c) {
        auto p = commonCheck(c);
        std::vector<int> seen;
        for (const auto& m : c.at("models")) {
            const int v = m.get<int>();
            if (std::find(seen.begin(), seen.end(), v) != seen.end())
                p.push_back("'models': Model " + std::to_string(v) + " is listed twice");
            seen.push_back(v);
        }
        return p;
    };
    k.datasets = datasetsOf;
    k.create = [](const json& c, const ExperimentContext& ctx) -> std::unique_ptr<Experiment> {
        return std::make_unique<CnnTrainExperiment>(c, ctx);
    };
    return k;
}

ExperimentKind randomLabelsKind() {
    ExperimentKind k;
    k.id = "random_labels";
    k.schema = [](const json&) {
        auto s = commonSchema(10000);
        s.insert(s.begin() + 3,
                 {makeParam("corruption", "Corrupted fraction p", "Labels", ParamType::Double, 0, 1,
                            "Fraction of training labels redrawn uniformly (1 = all random)"),
                  makeParam("companion", "Companion run on true labels", "Labels", ParamType::Bool,
                            0, 0, "Same model, initialisation and batch order on the true labels"),
                  makeParam("fit_threshold", "Fit threshold", "Labels", ParamType::Double, 0.1, 1,
                            "Train accuracy that counts as fitted (0.99 = 99%)"),
                  makeParam("model", "Model", "Model", ParamType::Int, 1, 3,
                            "Which CNN of 1-2 (Model 1 as in the original)")});
        return s;
    };
    k.check = commonCheck;
    k.datasets = datasetsOf;
    k.create = [](const json& c, const ExperimentContext& ctx) -> std::unique_ptr<Experiment> {
        return std::make_unique<RandomLabelsExperiment>(c, ctx);
    };
    return k;
}

ExperimentKind paramSweepKind() {
    ExperimentKind k;
    k.id = "param_sweep";
    k.schema = [](const json&) {
        auto s = commonSchema(1000);
        ParamSpec nets = makeParam("nets", "Nets", "Model", ParamType::IntList, 1, 10,
                                   "Which of Net_1 … Net_10 (channels 16i, 32i, 64i, FC 120i)");
        nets.minItems = 1;
        nets.maxItems = 10;
        s.insert(s.begin() + 3, nets);
        return s;
    };
    k.check = [](const json& c) {
        auto p = commonCheck(c);
        std::vector<int> seen;
        for (const auto& m : c.at("nets")) {
            const int v = m.get<int>();
            if (std::find(seen.begin(), seen.end(), v) != seen.end())
                p.push_back("'nets': Net_" + std::to_string(v) + " is listed twice");
            seen.push_back(v);
        }
        return p;
    };
    k.datasets = datasetsOf;
    k.create = [](const json& c, const ExperimentContext& ctx) -> std::unique_ptr<Experiment> {
        return std::make_unique<ParamSweepExperiment>(c, ctx);
    };
    return k;
}

}  // namespace trainlab
