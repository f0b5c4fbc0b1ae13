#include "image_experiment_common.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <sstream>

#include "errors.h"
#include "parallel_runs.h"

namespace trainlab::image_exp {

Common readCommon(const json& c) {
    Common m;
    m.dataset = c.at("dataset").get<std::string>();
    m.trainLimit = c.at("train_limit").get<std::int64_t>();
    m.testLimit = c.at("test_limit").get<std::int64_t>();
    m.subset = subsetOf(c);
    m.optimizer = optimizerFromName(c.at("optimizer").get<std::string>());
    m.lr = c.at("lr").get<double>();
    m.momentum = c.at("momentum").get<double>();
    m.batch = c.value("batch_size", std::int64_t{100});  // absent where jobs set their own
    m.epochs = c.at("epochs").get<int>();
    m.metric = trainMetricFromName(c.at("train_metric").get<std::string>());
    m.seed = c.at("seed").get<std::uint64_t>();
    m.parallel = c.at("parallel").get<bool>();
    return m;
}

ParamSpec subsetParam() {
    return makeChoice("subset", "Subsets", "Data", {"stratified", "balanced"},
                      "How training/test limits and evaluation subsets are drawn (seeded, "
                      "recorded): stratified keeps each class's share, balanced the same count "
                      "per class; never the first n images");
}

void addSubsetParam(std::vector<ParamSpec>& specs) {
    // Right after the limits it governs.
    auto at = std::find_if(specs.begin(), specs.end(),
                           [](const ParamSpec& s) { return s.key == "test_limit"; });
    if (at == specs.end())
        at = std::find_if(specs.begin(), specs.end(),
                          [](const ParamSpec& s) { return s.key == "train_limit"; });
    specs.insert(at == specs.end() ? specs.end() : at + 1, subsetParam());
}

SubsetMode subsetOf(const json& config) {
    return subsetModeFromName(config.at("subset").get<std::string>());
}

std::vector<ParamSpec> commonSchema(int maxEpochs) {
    std::vector<ParamSpec> s = {
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
    addSubsetParam(s);
    return s;
}

std::vector<std::string> commonCheck(const json& c) {
    std::vector<std::string> p;
    const DatasetSpec* spec = findDatasetSpec(c.at("dataset").get<std::string>());
    if (!spec) return p;
    std::int64_t n = spec->trainCount;
    const auto limit = c.at("train_limit").get<std::int64_t>();
    if (limit > 0) n = std::min(n, limit);
    std::vector<std::pair<std::string, std::int64_t>> batches;  // (field, batch size)
    for (const char* key : {"batch_size", "batch_size_2", "batch_sizes"})
        if (c.contains(key)) {
            if (c.at(key).is_array())
                for (const auto& b : c.at(key)) batches.emplace_back(key, b.get<std::int64_t>());
            else
                batches.emplace_back(key, c.at(key).get<std::int64_t>());
        }
    for (const auto& [key, batch] : batches)
        if (batch > n)
            p.push_back("'" + key + "': batch size " + withCommas(batch) +
                        " is larger than the " + withCommas(n) + " training images");
    return p;
}

std::vector<std::string> listedTwice(const json& c, const std::string& key,
                                     const std::string& prefix) {
    std::vector<std::string> p;
    std::vector<std::int64_t> seen;
    for (const auto& e : c.at(key)) {
        const auto v = e.get<std::int64_t>();
        if (std::find(seen.begin(), seen.end(), v) != seen.end())
            p.push_back("'" + key + "': " + prefix + std::to_string(v) + " is listed twice");
        seen.push_back(v);
    }
    return p;
}

std::string fmt(double v, int precision) {
    std::ostringstream o;
    o << std::setprecision(precision) << v;
    return o.str();
}

std::string pct(double fraction) {
    std::ostringstream o;
    o << std::fixed << std::setprecision(1) << 100 * fraction << "%";
    return o.str();
}

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
    opts.subset = c.subset;
    out.data = makeImageDataset(loadRawDataset(*loc), *out.spec, opts);
    out.path = loc->path.string();
    out.subsets = describeDatasetSubsets(
        out.data, static_cast<std::int64_t>(out.spec->classNames.size()), sink);
    return out;
}

json subsetJson(const SubsetDraw& d, const torch::Tensor& kept, std::int64_t classes) {
    return {{"mode", subsetModeName(d.mode)},
            {"seed", d.seed},
            {"requested", d.requested},
            {"size", kept.defined() ? kept.size(0) : 0},
            {"source_size", d.sourceSize},
            {"whole", d.whole},
            {"per_class", classHistogram(kept, classes)}};
}

json describeDatasetSubsets(const ImageDataset& data, std::int64_t classes, ExperimentSink& sink) {
    if (data.classOrderedSource)
        sink.logged("The source stores its images grouped by class (an image folder, or labels "
                    "found in class order): limits and evaluation subsets are drawn per class, "
                    "never the first n");
    // The training subset is what the limit kept: training and validation images together.
    torch::Tensor trainKept = data.train.labels;
    if (data.validation.size() > 0)
        trainKept = torch::cat({data.train.labels, data.validation.labels});
    if (data.corruptedLabels > 0) trainKept = torch::Tensor();  // labels no longer the true ones
    json train = subsetJson(data.trainSubset, trainKept, classes);
    if (!trainKept.defined()) {
        train["size"] = data.trainSubset.size();
        train["per_class"] = data.trainSubset.perClass;
    }
    json out = {{"class_ordered_source", data.classOrderedSource},
                {"train", train},
                {"test", subsetJson(data.testSubset, data.test.labels, classes)}};
    sink.logged(describeSubset(data.trainSubset, "training images"));
    sink.logged(describeSubset(data.testSubset, "test images"));
    return out;
}

ImageTensors evaluationSubset(const ImageTensors& from, std::int64_t n, SubsetPurpose purpose,
                              std::uint64_t seed, SubsetMode mode, const std::string& what,
                              ExperimentSink& sink, json& record) {
    const std::int64_t classes = classCount(from);
    const SubsetDraw draw = drawSubset(from.labels, classes, n, subsetSeed(seed, purpose), mode);
    ImageTensors out = takeSubset(from, draw);
    record = subsetJson(draw, out.labels, classes);
    sink.logged(describeSubset(draw, what));
    return out;
}

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

std::int64_t jobBatch(const Job& j, const Common& c) {
    return std::max<std::int64_t>(1, j.batch > 0 ? j.batch : c.batch);
}

std::int64_t jobSteps(const Job& j, const Common& c) {
    const std::int64_t b = jobBatch(j, c);
    const std::int64_t perEpoch = (j.data->train.size() + b - 1) / b;
    const std::int64_t steps = perEpoch * (j.epochs > 0 ? j.epochs : c.epochs);
    return j.maxSteps > 0 ? std::min(steps, j.maxSteps) : steps;
}

double jobWork(const Job& j, const Common& c) {
    return static_cast<double>(jobSteps(j, c)) * cnnForwardMacs(j.spec) *
           static_cast<double>(jobBatch(j, c));
}

ImageTrainResult trainJob(const Job& j, const Common& c, RunControl& control, ExperimentSink& sink,
                          ProgressMeter& progress,
                          const std::function<void(const EpochMetrics&)>& onEpoch,
                          const std::function<void(CnnImpl&, const ImageTrainResult&)>& onTrained) {
    Cnn model(j.spec, j.seed);
    model->useChannelsLast(true);
    ImageTrainOptions o;
    o.optimizer = c.optimizer;
    o.lr = j.lr > 0 ? j.lr : c.lr;
    o.momentum = c.momentum;
    o.batchSize = jobBatch(j, c);
    o.epochs = j.epochs > 0 ? j.epochs : c.epochs;
    o.maxSteps = j.maxSteps;
    o.lossTarget = j.lossTarget;
    o.trainMetric = c.metric;
    o.seed = j.seed;
    o.label = j.name;
    const double macs = cnnForwardMacs(j.spec) * static_cast<double>(o.batchSize);
    const std::int64_t perEpoch = (j.data->train.size() + o.batchSize - 1) / o.batchSize;
    const std::int64_t totalSteps = jobSteps(j, c);
    auto stepCb = [&](std::int64_t step, CnnImpl&) {
        const std::int64_t epoch = (step - 1) / perEpoch + 1;
        progress.add(macs, j.name + ": epoch " + std::to_string(epoch) + ", step " +
                               withCommas(step) + " / " + withCommas(totalSteps));
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
    sink.logged(j.name + ": " + withCommas(cnnParameterCount(j.spec)) + " parameters, seed " +
                std::to_string(j.seed) + ", batch " + std::to_string(o.batchSize) + ", lr " +
                fmt(o.lr));
    ImageTrainResult r = trainImageClassifier(*model, *j.data, o, control, epochCb, stepCb);
    if (onTrained && !r.cancelled && !r.epochs.empty()) onTrained(*model, r);
    return r;
}

std::vector<ImageTrainResult> runAll(
    const std::vector<Job>& jobs, const Common& c, int threads, RunControl& control,
    ExperimentSink& sink, const std::function<void(size_t, const EpochMetrics&)>& onEpoch,
    const std::function<void(size_t, const ImageTrainResult&)>& onDone,
    const std::function<void(size_t, CnnImpl&, const ImageTrainResult&)>& onTrained) {
    std::vector<double> work;
    for (const auto& j : jobs) work.push_back(jobWork(j, c));
    ProgressMeter progress(sink, std::accumulate(work.begin(), work.end(), 0.0));
    std::vector<ImageTrainResult> results(jobs.size());
    // The costliest first, so a large model does not start last and run alone.
    std::vector<size_t> order(jobs.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return work[a] > work[b]; });
    const int n = static_cast<int>(jobs.size());
    runJobs(n, workerCount(n, c.parallel, threads), control, [&](int i) {
        const size_t k = order[static_cast<size_t>(i)];
        results[k] = trainJob(
            jobs[k], c, control, sink, progress,
            [&](const EpochMetrics& e) {
                if (onEpoch) onEpoch(k, e);
            },
            [&](CnnImpl& model, const ImageTrainResult& r) {
                if (onTrained) onTrained(k, model, r);
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
            {"test_images", d.data.test.size()},
            {"subsets", d.subsets}};
}

std::vector<std::string> datasetsOf(const json& c) {
    return {c.at("dataset").get<std::string>()};
}

}  // namespace trainlab::image_exp
