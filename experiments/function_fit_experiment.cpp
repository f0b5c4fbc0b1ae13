#include "function_fit_experiment.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "errors.h"
#include "instrument_fields.h"
#include "mlp_fast.h"
#include "parallel_runs.h"
#include "seeds.h"
#include "text_format.h"
#include "throttle.h"
#include "typed_kind.h"

namespace trainlab {

using nlohmann::json;
using Config = FunctionFitConfig;

// ---- Config ---------------------------------------------------------------------------------

namespace {

void addDataFields(ConfigFields<Config>& t) {
    t.choice(choiceParam("function", "Target function", "Data",
                         "sin_cos: sin(x)+cos(x); sinc: sin(5πx)/(5πx); two_cosh: exp(x)+exp(−x)"),
             kTargetFunctionNames, &Config::function);
    t.field(numberParam("train_grid.from", "Training x from", "Data", -1000, 1000, "",
                        "First training input"),
            [](Config& c) -> double& { return c.trainGrid.from; });
    t.field(numberParam("train_grid.to", "Training x to", "Data", -1000, 1000, "",
                        "Last training input (excluded with a step)"),
            [](Config& c) -> double& { return c.trainGrid.to; });
    t.field(integerParam("train_grid.count", "Training points", "Data", 0, 10'000'000, "points",
                         "linspace(from, to, count); 0 = use the step instead"),
            [](Config& c) -> std::int64_t& { return c.trainGrid.count; });
    t.field(numberParam("train_grid.step", "Training step", "Data", 0, 1000, "",
                        "arange(from, to, step) when the point count is 0"),
            [](Config& c) -> double& { return c.trainGrid.step; });
    t.field(numberParam("val_grid.from", "Validation x from", "Data", -1000, 1000, "",
                        "Held-out grid start"),
            [](Config& c) -> double& { return c.valGrid.from; });
    t.field(
        numberParam("val_grid.to", "Validation x to", "Data", -1000, 1000, "", "Held-out grid end"),
        [](Config& c) -> double& { return c.valGrid.to; });
    t.field(integerParam("val_grid.count", "Validation points", "Data", 2, 1'000'000, "points",
                         "Held-out grid, linspace(from, to, count)"),
            [](Config& c) -> std::int64_t& { return c.valGrid.count; });
    t.field(boolParam("normalise", "Standardise x and y", "Data",
                      "Train on standardised inputs and targets (losses are then in "
                      "standardised units)"),
            &Config::normalise);
    t.choice(choiceParam("activation", "Activation", "Model",
                         "Applied after every hidden layer; the output is linear"),
             kActivationNames, &Config::activation);
    t.field(numberParam("negative_slope", "LeakyReLU slope", "Model", 0, 1, "",
                        "Negative slope of LeakyReLU"),
            &Config::negativeSlope);
}

void addTrainingFields(ConfigFields<Config>& t) {
    t.choice(optimizerParam({}, "SGD (with optional momentum) or Adam"), kOptimizerNames,
             [](Config& c) -> OptimizerKind& { return c.train.optimizer; });
    t.field(learningRateParam(), [](Config& c) -> double& { return c.train.lr; });
    t.field(momentumParam("SGD momentum (0 = plain SGD)"),
            [](Config& c) -> double& { return c.train.momentum; });
    t.field(pointBatchSizeParam(
                "0 = full batch: one step is one pass over every point (the original's 'epoch')"),
            [](Config& c) -> std::int64_t& { return c.train.batchSize; });
    t.field(
        integerParam("max_steps", "Max steps", "Training", 1, 10'000'000, "steps", "Step limit"),
        [](Config& c) -> std::int64_t& { return c.train.maxSteps; });
}

void addStopFields(ConfigFields<Config>& t) {
    t.choice(choiceParam("stop.rule", "Stop rule", "Stopping",
                         "plateau: the original |Δloss| < tolerance; patience: no relative "
                         "improvement of the best loss within the window; target: loss ≤ target"),
             kStopKindNames, [](Config& c) -> StopKind& { return c.train.stop.kind; });
    t.field(numberParam("stop.tolerance", "Plateau tolerance", "Stopping", 1e-15, 1, "",
                        "|loss_t − loss_t−1| below this stops", true),
            [](Config& c) -> double& { return c.train.stop.tolerance; });
    t.field(integerParam("stop.patience", "Patience", "Stopping", 1, 10'000'000, "steps",
                         "Window without improvement"),
            [](Config& c) -> std::int64_t& { return c.train.stop.patience; });
    t.field(numberParam("stop.min_delta", "Min. relative improvement", "Stopping", 0, 0.99, "",
                        "An improvement counts when the best loss drops by this fraction"),
            [](Config& c) -> double& { return c.train.stop.minDelta; });
    t.field(numberParam("stop.target", "Loss target", "Stopping", 0, 1e6, "",
                        "Stop once the loss is at or below this", true),
            [](Config& c) -> double& { return c.train.stop.target; });
}

void addRunFields(ConfigFields<Config>& t) {
    t.field(seedParam("Seeds every model's initialisation and the batch order"), &Config::seed);
    t.field(parallelParam("Train models concurrently",
                          "Train the models at the same time, one per core, each "
                          "single-threaded"),
            &Config::parallel);
    t.field(integerParam("fit_every", "Update fit every", "Run", 1, 1'000'000, "steps",
                         "How often predictions and validation loss are computed"),
            &Config::fitEvery);
    t.field(boolParam("show_gradient_norm", "Gradient-norm panel", "Run",
                      "Show the gradient norm with the loss on a shared step axis"),
            &Config::showGradientNorm);
    t.choice(choiceParam("engine", "Gradient engine", "Run",
                         "fused: trainlab's allocation-free MLP backward pass; autograd: "
                         "libtorch's (same numbers)"),
             kGradientEngineNames, &Config::engine);
    addInstrumentFields(t, [](Config& c) -> InstrumentSettings& { return c.instruments; });
    ConfigFields<FunctionFitModel> model;
    model.field(textParam("name", "name", "Models", "Legend text"), &FunctionFitModel::name);
    model.field(intListParam("widths", "widths", "Models", 1, 4096, 2, 32,
                             "Layer widths from input (1) to output (1), e.g. 1, 50, 20, 1"),
                &FunctionFitModel::widths);
    t.repeated("models", "Model", Config::kMaxModels, model, &Config::models,
               std::function<FunctionFitModel(int)>([](int i) {
                   return FunctionFitModel{"Model " + std::to_string(i + 1), {}};
               }));
}

std::vector<std::string> check(const json& config) {
    std::vector<std::string> p;
    if (!config.contains("models") || !config["models"].is_array() || config["models"].empty()) {
        p.push_back("'models': needs at least one model");
        return p;
    }
    if (config["models"].size() > Config::kMaxModels)
        p.push_back("'models': at most " + std::to_string(Config::kMaxModels) + " models");
    const Config c = functionFitFields().read(config);
    std::int64_t points = 0;
    try {
        points = gridPointCount(c.trainGrid);
        gridPointCount(c.valGrid);
    } catch (const ConfigError& e) {
        for (const auto& m : e.problems()) p.push_back("'train_grid'/'val_grid': " + m);
    }
    for (size_t m = 0; m < c.models.size(); ++m) {
        const auto& w = c.models[m].widths;
        const std::string key = "'models." + std::to_string(m) + ".widths'";
        if (w.front() != 1 || w.back() != 1)
            p.push_back(key + ": the first and last width must be 1 (one input, one output)");
        if (points > 0 && mlpActivationBytes(w, points) > 4e9)
            p.push_back(key + ": " + std::to_string(points) + " points x " +
                        std::to_string(mlpUnitCount(w)) +
                        " units needs more than 4 GB of activations; use fewer points or a "
                        "batch size");
    }
    if (points > 0 && c.train.batchSize > points)
        p.push_back("'batch_size': " + std::to_string(c.train.batchSize) + " is larger than the " +
                    std::to_string(points) + " training points (0 = full batch)");
    return p;
}

}  // namespace

const ConfigFields<Config>& functionFitFields() {
    static const auto fields =
        buildFields<Config>(addDataFields, addTrainingFields, addStopFields, addRunFields);
    return fields;
}

MlpSpec FunctionFitConfig::mlpSpec(std::size_t model) const {
    MlpSpec spec;
    spec.widths = models.at(model).widths;
    spec.activation = activation;
    spec.negativeSlope = negativeSlope;
    return spec;
}

FunctionFitConfig readFunctionFitConfig(const json& config) {
    Config c = functionFitFields().read(config);
    for (size_t m = 0; m < c.models.size(); ++m) validateMlpSpec(c.mlpSpec(m), c.models[m].name);
    validateTrainConfig(c.train);
    const auto instrumentProblems = c.instruments.problems();
    if (!instrumentProblems.empty()) throw ConfigError(instrumentProblems);
    return c;
}

// ---- Results --------------------------------------------------------------------------------

json FunctionFitModelResult::toJson() const {
    json j{{"name", name},
                {"widths", widths},
                {"parameters", parameters},
                {"seed", seed},
                {"shards", shards},
                {"steps", train.steps},
                {"stop_reason", train.stopReason},
                {"final_loss", train.finalLoss},
                {"best_loss", train.bestLoss},
                {"validation_loss", validationLoss},
                {"seconds", train.seconds}};
    if (!instruments.is_null()) j["instruments"] = instruments;
    return j;
}

std::optional<std::size_t> FunctionFitResults::best() const {
    if (models.empty() || !models[0]) return std::nullopt;
    std::size_t best = 0;
    for (std::size_t m = 1; m < models.size(); ++m)
        if (models[m] && models[m]->train.finalLoss < models[best]->train.finalLoss) best = m;
    return best;
}

std::string FunctionFitResults::headline() const {
    const auto b = best();
    if (!b) return {};
    const auto& r = *models[*b];
    return "best: " + r.name + ", MSE " + formatSignificant(r.train.finalLoss, 4) + " after " +
           std::to_string(r.train.steps) + " steps (" + r.train.stopReason + ")";
}

json FunctionFitResults::toJson() const {
    json results;
    results["models"] = json::array();
    for (const auto& m : models) results["models"].push_back(m ? m->toJson() : json());
    results["function"] = targetFunctionName(function);
    results["training_points"] = trainingPoints;
    results["normalised"] = normalised;
    results["concurrent_workers"] = concurrentWorkers;
    results["seconds"] = seconds;
    if (best()) results["headline"] = headline();
    return results;
}

// ---- The experiment -------------------------------------------------------------------------

namespace {

/// Collects the per-step values of one model and hands them to the sink in chunks, so the
/// sink's lock is taken ~20 times a second, not at every step.
class ModelReporter : public TrainObserver {
  public:
    ModelReporter(ExperimentSink& sink, std::string lossId, std::string gradId)
        : sink_(sink), lossId_(std::move(lossId)), gradId_(std::move(gradId)) {}
    void onStep(const StepRecord& r) override {
        steps_.push_back(static_cast<double>(r.step));
        loss_.push_back(r.loss);
        grad_.push_back(r.gradNorm);
        if (steps_.size() >= 4096 || throttle_.due()) flush();
        if (onEveryStep) onEveryStep(r);
    }
    void flush() {
        if (!steps_.empty()) {
            sink_.pointsAppended(lossId_, steps_, loss_);
            sink_.pointsAppended(gradId_, steps_, grad_);
            steps_.clear();
            loss_.clear();
            grad_.clear();
        }
        throttle_.restart();
    }
    std::function<void(const StepRecord&)> onEveryStep;

  private:
    ExperimentSink& sink_;
    std::string lossId_, gradId_;
    std::vector<double> steps_, loss_, grad_;
    Throttle throttle_{std::chrono::milliseconds(40), false};
};

/// The steps done by every model, reported as one progress fraction at most 10 times a second.
class ProgressBoard {
  public:
    ProgressBoard(const std::vector<FunctionFitModel>& models, std::int64_t maxSteps)
        : models_(models), maxSteps_(maxSteps), steps_(models.size()) {
        for (auto& s : steps_) s = 0;
    }
    void set(size_t m, std::int64_t step) { steps_[m] = step; }
    void report(size_t m, ExperimentSink& sink) {
        std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
        if (!lock || !throttle_.due()) return;
        double done = 0;
        for (const auto& s : steps_) done += static_cast<double>(s);
        const double total = static_cast<double>(maxSteps_) * static_cast<double>(steps_.size());
        sink.progressed(std::min(1.0, done / total), models_[m].name + ": step " +
                                                         std::to_string(steps_[m].load()) + " / " +
                                                         std::to_string(maxSteps_));
    }

  private:
    const std::vector<FunctionFitModel>& models_;
    std::int64_t maxSteps_;
    std::vector<std::atomic<std::int64_t>> steps_;
    std::mutex mutex_;
    Throttle throttle_{std::chrono::milliseconds(100)};
};

std::vector<double> toVector(const torch::Tensor& t) {
    const auto c = t.to(torch::kFloat64).contiguous().view(-1);
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

std::string modelSuffix(size_t m) {
    return "_m" + std::to_string(m + 1);
}

class FunctionFitExperiment : public Experiment {
  public:
    FunctionFitExperiment(Config config, const ExperimentContext& ctx)
        : c_(std::move(config)), threads_(ctx.threads) {}

    PlotLayout layout() const override {
        PlotLayout l = panels();
        SeriesSpec target = makeSeries(
            "target", "fit", "target " + targetFunctionFormula(c_.function), "x", "y", -1);
        target.mode = SeriesMode::Replace;
        l.series.push_back(target);
        addInstrumentPanels(l, c_.instruments, c_.train.optimizer == OptimizerKind::Adam, true);
        for (size_t m = 0; m < c_.models.size(); ++m) addModelSeries(l, m);
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = Throttle::Clock::now();
        prepareData(sink);
        FunctionFitResults results = trainModels(sink, control);
        results.seconds = secondsSince(t0);
        return results.toJson();
    }

  private:
    PlotLayout panels() const;
    void addModelSeries(PlotLayout& l, size_t m) const;
    void prepareData(ExperimentSink& sink);
    FunctionFitResults trainModels(ExperimentSink& sink, RunControl& control);
    FunctionFitModelResult trainModel(size_t m, int workers, ProgressBoard& progress,
                                      ExperimentSink& sink, RunControl& control);
    double evaluate(Mlp& model, size_t m, std::int64_t step, ExperimentSink& sink) const;
    InstrumentSeriesStyle instrumentStyle(size_t m) const;
    std::unique_ptr<InstrumentSet> makeInstruments(Mlp& model, size_t m) const;
    LossGradFn lossGradFor(Mlp& model, size_t m, int workers, int& shardsUsed) const;

    Config c_;
    int threads_ = 1;
    FunctionDataset data_;
    std::vector<double> xValRaw_;  ///< the validation inputs in the target's units
};

PlotLayout FunctionFitExperiment::panels() const {
    PlotLayout l;
    const std::string formula = targetFunctionFormula(c_.function);
    l.panels.push_back(
        {"fit", "Function fit: f(x) = " + formula, "x", "f(x)", "", false, false, false});
    const std::string lossUnits = c_.normalise ? "MSE, standardised" : "MSE";
    if (c_.showGradientNorm) {
        l.panels.push_back({"grad_norm", "Gradient norm and loss", "step",
                            "gradient norm ‖∇L‖₂ (log)", "loss (" + lossUnits + ", log)", false,
                            true, true});
    } else {
        l.panels.push_back(
            {"loss", "Loss", "step", "loss (" + lossUnits + ", log)", "", false, true, false});
        l.panels.push_back({"grad_norm", "Gradient norm", "step", "gradient norm ‖∇L‖₂ (log)", "",
                            false, true, false});
    }
    return l;
}

void FunctionFitExperiment::addModelSeries(PlotLayout& l, size_t m) const {
    const bool g = c_.showGradientNorm;
    const std::string& name = c_.models[m].name;
    const int colour = static_cast<int>(m);
    const std::string params = std::to_string(mlpParameterCount(c_.mlpSpec(m)));
    SeriesSpec pred = makeSeries("pred" + modelSuffix(m), "fit", name + " (" + params + " params)",
                                 "x", "y", colour);
    pred.mode = SeriesMode::Replace;
    l.series.push_back(pred);

    // One model: loss and gradient norm share a panel, so give the loss its own colour.
    SeriesSpec loss = makeSeries("loss" + modelSuffix(m), g ? "grad_norm" : "loss",
                                 name + (g ? " loss" : " train"), "step", "loss",
                                 g && c_.models.size() == 1 ? 1 : colour);
    loss.rightAxis = g;
    loss.dashed = g;
    l.series.push_back(loss);
    l.series.push_back(makeSeries("grad_norm" + modelSuffix(m), "grad_norm", name + " ‖∇L‖", "step",
                                  "grad_norm", colour));
    addInstrumentSeries(l, c_.instruments, mlpGroupNames(c_.models[m].widths.size() - 1),
                        instrumentStyle(m));

    if (g) return;  // the validation loss has no panel of its own then
    SeriesSpec val = makeSeries("val_loss" + modelSuffix(m), "loss", name + " validation", "step",
                                "val_loss", colour);
    val.dashed = true;
    l.series.push_back(val);
}

InstrumentSeriesStyle FunctionFitExperiment::instrumentStyle(size_t m) const {
    const bool adam = c_.train.optimizer == OptimizerKind::Adam;
    return {modelSuffix(m).substr(1), c_.models[m].name, static_cast<int>(m),
            sharpnessThreshold(adam, c_.train.lr, adam ? c_.train.beta1 : c_.train.momentum),
            adam};
}

std::unique_ptr<InstrumentSet> FunctionFitExperiment::makeInstruments(Mlp& model,
                                                                      size_t m) const {
    if (c_.instruments.list.empty()) return nullptr;
    InstrumentSettings s = c_.instruments;
    s.seed = runSeed(c_.seed, m) ^ 0x696e737472ULL;  // the probe and the random vectors
    const auto idx = probeIndices(data_.x.size(0), s.probeSize, s.seed);
    const auto px = data_.x.index_select(0, idx), py = data_.y.index_select(0, idx);
    auto set = std::make_unique<InstrumentSet>(
        s, model->parameters(), mlpParamGroups(model),
        [model](const torch::Tensor& x, const torch::Tensor& y) mutable {
            return torch::mse_loss(model->forward(x), y);
        },
        px, py);
    set->setHvpBuilder(fusedMlpHvpBuilder(model, px, py));
    return set;
}

void FunctionFitExperiment::prepareData(ExperimentSink& sink) {
    data_ = makeFunctionDataset(c_.function, c_.trainGrid, c_.valGrid, c_.normalise);
    xValRaw_ = toVector(data_.xVal * data_.xStd + data_.xMean);
    sink.seriesReplaced("target", xValRaw_, toVector(data_.yVal * data_.yStd + data_.yMean));
}

FunctionFitResults FunctionFitExperiment::trainModels(ExperimentSink& sink, RunControl& control) {
    const size_t n = c_.models.size();
    FunctionFitResults results;
    results.models.resize(n);
    results.function = c_.function;
    results.trainingPoints = data_.x.size(0);
    results.normalised = c_.normalise;
    results.concurrentWorkers = workerCount(static_cast<int>(n), c_.parallel, threads_);
    ProgressBoard progress(c_.models, c_.train.maxSteps);
    runJobs(static_cast<int>(n), results.concurrentWorkers, control, [&](int m) {
        const auto i = static_cast<size_t>(m);
        results.models[i] = trainModel(i, results.concurrentWorkers, progress, sink, control);
    });
    return results;
}

double FunctionFitExperiment::evaluate(Mlp& model, size_t m, std::int64_t step,
                                       ExperimentSink& sink) const {
    torch::NoGradGuard noGrad;
    const auto pred = model->forward(data_.xVal);
    const double vl = torch::mse_loss(pred, data_.yVal).item<double>();
    sink.seriesReplaced("pred" + modelSuffix(m), xValRaw_,
                        toVector(pred * data_.yStd + data_.yMean));
    if (!c_.showGradientNorm)
        sink.pointsAppended("val_loss" + modelSuffix(m), {static_cast<double>(step)}, {vl});
    return vl;
}

LossGradFn FunctionFitExperiment::lossGradFor(Mlp& model, size_t m, int workers,
                                              int& shardsUsed) const {
    // A model training alone may split its batch across the cores; models trained side by
    // side each keep to one core.
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const int shards = workers > 1
                           ? 1
                           : suggestedShards(c_.mlpSpec(m), data_.x.size(0),
                                             std::max(1, static_cast<int>(cores) / threads_));
    if (c_.engine == GradientEngine::Fused) {
        shardsUsed = shards;
        return makeFusedMlpLossGrad(model, shards);
    }
    shardsUsed = 1;
    return autogradLossGrad([model](const torch::Tensor& x) mutable { return model->forward(x); },
                            LossKind::MSE);
}

FunctionFitModelResult FunctionFitExperiment::trainModel(size_t m, int workers,
                                                         ProgressBoard& progress,
                                                         ExperimentSink& sink,
                                                         RunControl& control) {
    FunctionFitModelResult res;
    res.name = c_.models[m].name;
    res.widths = c_.models[m].widths;
    res.parameters = mlpParameterCount(c_.mlpSpec(m));
    // Each model gets its own seeds, so the result does not depend on scheduling.
    res.seed = runSeed(c_.seed, m);
    Mlp model(c_.mlpSpec(m), res.seed);
    TrainConfig tc = c_.train;
    tc.seed = res.seed ^ 0x9e3779b97f4a7c15ULL;
    ModelReporter reporter(sink, "loss" + modelSuffix(m), "grad_norm" + modelSuffix(m));
    const auto instruments = makeInstruments(model, m);
    const InstrumentSeriesStyle style = instrumentStyle(m);
    if (instruments) reportThreshold(sink, style, double(c_.train.maxSteps));
    reporter.onEveryStep = [&](const StepRecord& r) {
        progress.set(m, r.step);
        if (instruments)
            reportReadings(sink, style.suffix, r.step, instruments->afterStep(r.step, r.optimizer));
        if (r.step % c_.fitEvery == 0) evaluate(model, m, r.step, sink);
        progress.report(m, sink);
    };
    evaluate(model, m, 0, sink);
    const LossGradFn lossGrad = lossGradFor(model, m, workers, res.shards);
    try {
        res.train = trainLoop(model->parameters(), lossGrad, data_.x, data_.y, tc, &reporter,
                              &control, res.name);
    } catch (...) {
        reporter.flush();
        throw;
    }
    reporter.flush();
    if (instruments) res.instruments = instrumentCost(*instruments, res.train.seconds);
    res.validationLoss = evaluate(model, m, res.train.steps, sink);
    progress.set(m, c_.train.maxSteps);
    sink.logged(res.name + ": stopped at step " + std::to_string(res.train.steps) + " (" +
                res.train.stopReason + "), training MSE " +
                formatSignificant(res.train.finalLoss, 4) + ", validation MSE " +
                formatSignificant(res.validationLoss, 4));
    return res;
}

}  // namespace

ExperimentKind functionFitKind() {
    return typedKind<FunctionFitExperiment>("function_fit", functionFitFields,
                                            readFunctionFitConfig, check);
}

TRAINLAB_REGISTER_EXPERIMENT_KIND(functionFitKind);

}  // namespace trainlab
