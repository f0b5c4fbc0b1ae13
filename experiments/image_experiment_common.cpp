#include "image_experiment_common.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "errors.h"
#include "parallel_runs.h"

namespace trainlab::image_exp {

ParamSpec subsetParam() {
    return makeChoice("subset", "Subsets", "Data", namesOf(kSubsetModeNames),
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
            p.push_back("'" + key + "': batch size " + withCommas(batch) + " is larger than the " +
                        withCommas(n) + " training images");
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

ImageCheck commonCheckListedOnce(std::string key, std::string prefix) {
    return [key = std::move(key), prefix = std::move(prefix)](const json& c) {
        auto p = commonCheck(c);
        for (auto& m : listedTwice(c, key, prefix)) p.push_back(std::move(m));
        return p;
    };
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

const DatasetSpec& knownDataset(const std::string& id) {
    const DatasetSpec* spec = findDatasetSpec(id);
    if (!spec) throw ConfigError({"dataset '" + id + "' is unknown"});
    return *spec;
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
        sink.logged(
            "The source stores its images grouped by class (an image folder, or labels "
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

JobCurves jobCurves(const std::string& key) {
    return {"loss_train_" + key, "loss_test_" + key, "acc_train_" + key, "acc_test_" + key};
}

void addCurves(PlotLayout& l, const Job& j, TrainMetric metric) {
    for (const bool loss : {true, false}) {
        const SeriesSpec tr =
            makeSeries(loss ? j.curves.lossTrain : j.curves.accTrain, loss ? "loss" : "accuracy",
                       j.name + trainSuffix(metric), "epoch",
                       loss ? "train_loss" : "train_accuracy_percent", j.color);
        l.series.push_back(tr);
        SeriesSpec te = tr;
        te.id = loss ? j.curves.lossTest : j.curves.accTest;
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
        if (j.streamCurves) {
            sink.pointsAppended(j.curves.lossTrain, {x}, {e.trainLoss});
            sink.pointsAppended(j.curves.lossTest, {x}, {e.testLoss});
            sink.pointsAppended(j.curves.accTrain, {x}, {100 * e.trainAccuracy});
            sink.pointsAppended(j.curves.accTest, {x}, {100 * e.testAccuracy});
        }
        sink.logged(j.name + " epoch " + std::to_string(e.epoch) + ": train loss " +
                    sig3(e.trainLoss) + ", accuracy " + pct(e.trainAccuracy) + "; test loss " +
                    sig3(e.testLoss) + ", accuracy " + pct(e.testAccuracy) + " (" +
                    sig3(e.seconds) + " s)");
        if (onEpoch) onEpoch(e);
    };
    sink.logged(j.name + ": " + withCommas(cnnParameterCount(j.spec)) + " parameters, seed " +
                std::to_string(j.seed) + ", batch " + std::to_string(o.batchSize) + ", lr " +
                sig3(o.lr));
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

ModelPool::ModelPool(const CnnSpec& spec, int copies) {
    for (int w = 0; w < copies; ++w) {
        models_.emplace_back(spec, 0);
        models_.back()->useChannelsLast(true);
        free_.push_back(static_cast<size_t>(w));
    }
}

CnnImpl& ModelPool::acquire(size_t& slot) {
    std::lock_guard<std::mutex> lock(mutex_);
    slot = free_.back();
    free_.pop_back();
    return *models_[slot];
}

void ModelPool::release(size_t slot) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(slot);
}

void replaceSeries(ExperimentSink& sink, const std::vector<double>& x,
                   const std::vector<std::pair<std::string, const std::vector<double>*>>& series,
                   const std::vector<std::string>* labels) {
    for (const auto& [id, ys] : series) {
        sink.seriesReplaced(id, x, *ys);
        if (labels) sink.labelsReplaced(id, *labels);
    }
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
