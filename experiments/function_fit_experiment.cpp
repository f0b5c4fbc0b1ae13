#include "function_fit_experiment.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <iomanip>
#include <mutex>
#include <sstream>
#include <thread>

#include "errors.h"
#include "function_data.h"
#include "mlp.h"
#include "mlp_fast.h"
#include "parallel_runs.h"
#include "trainer.h"

namespace trainlab {

using nlohmann::json;

namespace {

constexpr int kMaxModels = 12;

std::vector<ParamSpec> schema(const json& config) {
    // Short local names keep the table below readable; the builders are shared.
    auto d = [](std::string key, std::string label, std::string group, double lo, double hi,
                std::string unit, std::string help, bool log = false) {
        ParamSpec s = makeParam(std::move(key), std::move(label), std::move(group),
                                ParamType::Double, lo, hi, std::move(help), log);
        s.unit = std::move(unit);
        return s;
    };
    auto i = [&](std::string key, std::string label, std::string group, double lo, double hi,
                 std::string unit, std::string help) {
        ParamSpec s = d(std::move(key), std::move(label), std::move(group), lo, hi, std::move(unit),
                        std::move(help));
        s.type = ParamType::Int;
        return s;
    };
    auto b = [](std::string key, std::string label, std::string group, std::string help) {
        return makeParam(std::move(key), std::move(label), std::move(group), ParamType::Bool, 0, 0,
                         std::move(help));
    };
    const auto c = makeChoice;
    std::vector<ParamSpec> s = {
        c("function", "Target function", "Data", {"sin_cos", "sinc", "two_cosh"},
          "sin_cos: sin(x)+cos(x); sinc: sin(5πx)/(5πx); two_cosh: exp(x)+exp(−x)"),
        d("train_grid.from", "Training x from", "Data", -1000, 1000, "", "First training input"),
        d("train_grid.to", "Training x to", "Data", -1000, 1000, "",
          "Last training input (excluded with a step)"),
        i("train_grid.count", "Training points", "Data", 0, 10'000'000, "points",
          "linspace(from, to, count); 0 = use the step instead"),
        d("train_grid.step", "Training step", "Data", 0, 1000, "",
          "arange(from, to, step) when the point count is 0"),
        d("val_grid.from", "Validation x from", "Data", -1000, 1000, "", "Held-out grid start"),
        d("val_grid.to", "Validation x to", "Data", -1000, 1000, "", "Held-out grid end"),
        i("val_grid.count", "Validation points", "Data", 2, 1'000'000, "points",
          "Held-out grid, linspace(from, to, count)"),
        b("normalise", "Standardise x and y", "Data",
          "Train on standardised inputs and targets (losses are then in standardised units)"),
        c("activation", "Activation", "Model", {"leaky_relu", "relu", "tanh"},
          "Applied after every hidden layer; the output is linear"),
        d("negative_slope", "LeakyReLU slope", "Model", 0, 1, "", "Negative slope of LeakyReLU"),
        c("optimizer", "Optimizer", "Training", {"sgd", "adam"},
          "SGD (with optional momentum) or Adam"),
        d("lr", "Learning rate", "Training", 1e-8, 10, "", "Step size", true),
        d("momentum", "Momentum", "Training", 0, 0.999, "", "SGD momentum (0 = plain SGD)"),
        i("batch_size", "Batch size", "Training", 0, 10'000'000, "points",
          "0 = full batch: one step is one pass over every point (the original's 'epoch')"),
        i("max_steps", "Max steps", "Training", 1, 10'000'000, "steps", "Step limit"),
        c("stop.rule", "Stop rule", "Stopping", {"none", "plateau", "patience", "target"},
          "plateau: the original |Δloss| < tolerance; patience: no relative improvement of the "
          "best "
          "loss within the window; target: loss ≤ target"),
        d("stop.tolerance", "Plateau tolerance", "Stopping", 1e-15, 1, "",
          "|loss_t − loss_t−1| below this stops", true),
        i("stop.patience", "Patience", "Stopping", 1, 10'000'000, "steps",
          "Window without improvement"),
        d("stop.min_delta", "Min. relative improvement", "Stopping", 0, 0.99, "",
          "An improvement counts when the best loss drops by this fraction"),
        d("stop.target", "Loss target", "Stopping", 0, 1e6, "",
          "Stop once the loss is at or below this", true),
        i("seed", "Seed", "Run", 0, 2147483647, "",
          "Seeds every model's initialisation and the batch order"),
        b("parallel", "Train models concurrently", "Run",
          "Train the models at the same time, one per core, each single-threaded"),
        i("fit_every", "Update fit every", "Run", 1, 1'000'000, "steps",
          "How often predictions and validation loss are computed"),
        b("show_gradient_norm", "Gradient-norm panel", "Run",
          "Show the gradient norm with the loss on a shared step axis"),
        c("engine", "Gradient engine", "Run", {"fused", "autograd"},
          "fused: trainlab's allocation-free MLP backward pass; autograd: libtorch's (same "
          "numbers)"),
    };
    const int models = config.contains("models") && config["models"].is_array()
                           ? static_cast<int>(std::min<size_t>(config["models"].size(), kMaxModels))
                           : 0;
    for (int m = 0; m < models; ++m) {
        const std::string p = "models." + std::to_string(m);
        ParamSpec name;
        name.key = p + ".name";
        name.label = "Model " + std::to_string(m + 1) + " name";
        name.group = "Models";
        name.type = ParamType::String;
        name.help = "Legend text";
        s.push_back(name);
        ParamSpec w;
        w.key = p + ".widths";
        w.label = "Model " + std::to_string(m + 1) + " widths";
        w.group = "Models";
        w.type = ParamType::IntList;
        w.min = 1;
        w.max = 4096;
        w.minItems = 2;
        w.maxItems = 32;
        w.help = "Layer widths from input (1) to output (1), e.g. 1, 50, 20, 1";
        s.push_back(w);
    }
    return s;
}

GridSpec gridFrom(const json& j) {
    GridSpec g;
    g.from = j.at("from").get<double>();
    g.to = j.at("to").get<double>();
    g.count = j.value("count", std::int64_t{0});
    g.step = j.value("step", 0.0);
    return g;
}

std::vector<std::string> check(const json& config) {
    std::vector<std::string> p;
    if (!config.contains("models") || !config["models"].is_array() || config["models"].empty()) {
        p.push_back("'models': needs at least one model");
        return p;
    }
    if (config["models"].size() > kMaxModels)
        p.push_back("'models': at most " + std::to_string(kMaxModels) + " models");
    std::int64_t points = 0;
    try {
        points = gridPointCount(gridFrom(config["train_grid"]));
        gridPointCount(gridFrom(config["val_grid"]));
    } catch (const ConfigError& e) {
        for (const auto& m : e.problems()) p.push_back("'train_grid'/'val_grid': " + m);
    }
    for (size_t m = 0; m < config["models"].size(); ++m) {
        const auto& w = config["models"][m]["widths"];
        const std::string key = "'models." + std::to_string(m) + ".widths'";
        if (w.front().get<std::int64_t>() != 1 || w.back().get<std::int64_t>() != 1)
            p.push_back(key + ": the first and last width must be 1 (one input, one output)");
        std::int64_t units = 0;
        for (const auto& x : w) units += x.get<std::int64_t>();
        // Activations of one forward pass, forward and backward, must fit comfortably.
        if (points > 0 && static_cast<double>(points) * units * 4 * 3 > 4e9)
            p.push_back(
                key + ": " + std::to_string(points) + " points x " + std::to_string(units) +
                " units needs more than 4 GB of activations; use fewer points or a batch size");
    }
    const auto batch = config["batch_size"].get<std::int64_t>();
    if (points > 0 && batch > points)
        p.push_back("'batch_size': " + std::to_string(batch) + " is larger than the " +
                    std::to_string(points) + " training points (0 = full batch)");
    return p;
}

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
        lastStep = r.step;
        const auto now = std::chrono::steady_clock::now();
        if (steps_.size() >= 4096 || now - lastFlush_ > std::chrono::milliseconds(40)) flush();
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
        lastFlush_ = std::chrono::steady_clock::now();
    }
    std::function<void(const StepRecord&)> onEveryStep;
    std::atomic<std::int64_t> lastStep{0};

  private:
    ExperimentSink& sink_;
    std::string lossId_, gradId_;
    std::vector<double> steps_, loss_, grad_;
    std::chrono::steady_clock::time_point lastFlush_ = std::chrono::steady_clock::now();
};

std::vector<double> toVector(const torch::Tensor& t) {
    const auto c = t.to(torch::kFloat64).contiguous().view(-1);
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

std::string fmt(double v, int precision = 4) {
    std::ostringstream o;
    o << std::setprecision(precision) << v;
    return o.str();
}

class FunctionFitExperiment : public Experiment {
  public:
    FunctionFitExperiment(const json& config, int threads) : config_(config), threads_(threads) {
        function_ = targetFunctionFromName(config.at("function").get<std::string>());
        for (const auto& m : config.at("models")) {
            MlpSpec spec;
            spec.widths = m.at("widths").get<std::vector<std::int64_t>>();
            spec.activation = activationFromName(config.at("activation").get<std::string>());
            spec.negativeSlope = config.at("negative_slope").get<double>();
            validateMlpSpec(spec, m.value("name", "model"));
            specs_.push_back(spec);
            names_.push_back(m.value("name", "Model " + std::to_string(specs_.size())));
        }
        train_.optimizer = optimizerFromName(config.at("optimizer").get<std::string>());
        train_.lr = config.at("lr").get<double>();
        train_.momentum = config.at("momentum").get<double>();
        train_.batchSize = config.at("batch_size").get<std::int64_t>();
        train_.maxSteps = config.at("max_steps").get<std::int64_t>();
        const auto& stop = config.at("stop");
        train_.stop.kind = stopKindFromName(stop.at("rule").get<std::string>());
        train_.stop.tolerance = stop.at("tolerance").get<double>();
        train_.stop.patience = stop.at("patience").get<std::int64_t>();
        train_.stop.minDelta = stop.at("min_delta").get<double>();
        train_.stop.target = stop.at("target").get<double>();
        validateTrainConfig(train_);
        seed_ = config.at("seed").get<std::uint64_t>();
        showGrad_ = config.at("show_gradient_norm").get<bool>();
        fitEvery_ = config.at("fit_every").get<std::int64_t>();
        parallel_ = config.at("parallel").get<bool>();
        fused_ = config.at("engine").get<std::string>() == "fused";
    }

    PlotLayout layout() const override {
        PlotLayout l;
        const std::string formula = targetFunctionFormula(function_);
        l.panels.push_back(
            {"fit", "Function fit: f(x) = " + formula, "x", "f(x)", "", false, false, false});
        const std::string lossUnits =
            config_.at("normalise").get<bool>() ? "MSE, standardised" : "MSE";
        if (showGrad_) {
            l.panels.push_back({"grad_norm", "Gradient norm and loss", "step",
                                "gradient norm ‖∇L‖₂ (log)", "loss (" + lossUnits + ", log)", false,
                                true, true});
        } else {
            l.panels.push_back(
                {"loss", "Loss", "step", "loss (" + lossUnits + ", log)", "", false, true, false});
            l.panels.push_back({"grad_norm", "Gradient norm", "step", "gradient norm ‖∇L‖₂ (log)",
                                "", false, true, false});
        }
        SeriesSpec target;
        target.id = "target";
        target.panel = "fit";
        target.name = "target " + formula;
        target.color = -1;
        target.mode = SeriesMode::Replace;
        l.series.push_back(target);
        for (size_t m = 0; m < specs_.size(); ++m) {
            const std::string suffix = "_m" + std::to_string(m + 1);
            const std::string label =
                names_[m] + " (" + std::to_string(mlpParameterCount(specs_[m])) + " params)";
            SeriesSpec pred;
            pred.id = "pred" + suffix;
            pred.panel = "fit";
            pred.name = label;
            pred.color = static_cast<int>(m);
            pred.mode = SeriesMode::Replace;
            l.series.push_back(pred);

            SeriesSpec loss;
            loss.id = "loss" + suffix;
            loss.panel = showGrad_ ? "grad_norm" : "loss";
            loss.name = names_[m] + (showGrad_ ? " loss" : " train");
            loss.xName = "step";
            loss.yName = "loss";
            // One model: loss and gradient norm share a panel, so give the loss its own colour.
            loss.color = showGrad_ && specs_.size() == 1 ? 1 : static_cast<int>(m);
            loss.rightAxis = showGrad_;
            loss.dashed = showGrad_;
            l.series.push_back(loss);

            SeriesSpec grad;
            grad.id = "grad_norm" + suffix;
            grad.panel = "grad_norm";
            grad.name = names_[m] + " ‖∇L‖";
            grad.xName = "step";
            grad.yName = "grad_norm";
            grad.color = static_cast<int>(m);
            l.series.push_back(grad);

            SeriesSpec val;
            val.id = "val_loss" + suffix;
            val.panel = showGrad_ ? "grad_norm" : "loss";
            val.name = names_[m] + " validation";
            val.xName = "step";
            val.yName = "val_loss";
            val.color = static_cast<int>(m);
            val.dashed = true;
            val.rightAxis = showGrad_;
            if (!showGrad_) l.series.push_back(val);
        }
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        GridSpec trainGrid = gridFrom(config_.at("train_grid"));
        GridSpec valGrid = gridFrom(config_.at("val_grid"));
        const auto data =
            makeFunctionDataset(function_, trainGrid, valGrid, config_.at("normalise").get<bool>());
        const auto xValRaw = data.xVal * data.xStd + data.xMean;
        sink.seriesReplaced("target", toVector(xValRaw),
                            toVector(data.yVal * data.yStd + data.yMean));

        const size_t n = specs_.size();
        std::vector<json> modelResults(n);
        std::vector<std::atomic<std::int64_t>> progressSteps(n);
        for (auto& s : progressSteps) s = 0;
        const auto t0 = std::chrono::steady_clock::now();
        std::mutex progressMutex;
        auto lastProgress = std::chrono::steady_clock::now() - std::chrono::seconds(1);

        auto reportProgress = [&](size_t m) {
            std::unique_lock<std::mutex> lock(progressMutex, std::try_to_lock);
            if (!lock) return;
            const auto now = std::chrono::steady_clock::now();
            if (now - lastProgress < std::chrono::milliseconds(100)) return;
            lastProgress = now;
            double done = 0;
            for (size_t k = 0; k < n; ++k) done += static_cast<double>(progressSteps[k]);
            const double total = static_cast<double>(train_.maxSteps) * static_cast<double>(n);
            sink.progressed(std::min(1.0, done / total),
                            names_[m] + ": step " + std::to_string(progressSteps[m].load()) +
                                " / " + std::to_string(train_.maxSteps));
        };

        const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
        const int workers = workerCount(static_cast<int>(n), parallel_, threads_);
        std::vector<int> shardsUsed(n, 1);

        auto trainOne = [&](size_t m) {
            const std::string suffix = "_m" + std::to_string(m + 1);
            // Each model gets its own seeds, so the result does not depend on scheduling.
            const std::uint64_t modelSeed = seed_ * 1000003ULL + m;
            Mlp model(specs_[m], modelSeed);
            TrainConfig tc = train_;
            tc.seed = modelSeed ^ 0x9e3779b97f4a7c15ULL;
            ModelReporter reporter(sink, "loss" + suffix, "grad_norm" + suffix);
            std::vector<double> valSteps, valLoss;
            auto evaluate = [&](std::int64_t step) {
                torch::NoGradGuard noGrad;
                const auto pred = model->forward(data.xVal);
                const double vl = torch::mse_loss(pred, data.yVal).item<double>();
                sink.seriesReplaced("pred" + suffix, toVector(xValRaw),
                                    toVector(pred * data.yStd + data.yMean));
                if (!showGrad_)
                    sink.pointsAppended("val_loss" + suffix, {static_cast<double>(step)}, {vl});
                return vl;
            };
            reporter.onEveryStep = [&](const StepRecord& r) {
                progressSteps[m] = r.step;
                if (r.step % fitEvery_ == 0) evaluate(r.step);
                reportProgress(m);
            };
            evaluate(0);
            // A model training alone may split its batch across the cores; models trained
            // side by side each keep to one core.
            const int shards =
                workers > 1 ? 1
                            : suggestedShards(specs_[m], data.x.size(0),
                                              std::max(1, static_cast<int>(cores) / threads_));
            shardsUsed[m] = fused_ ? shards : 1;
            const LossGradFn lossGrad =
                fused_ ? makeFusedMlpLossGrad(model, shards)
                       : autogradLossGrad([&](const torch::Tensor& x) { return model->forward(x); },
                                          LossKind::MSE);
            TrainResult r;
            try {
                r = trainLoop(model->parameters(), lossGrad, data.x, data.y, tc, &reporter,
                              &control, names_[m]);
            } catch (...) {
                reporter.flush();
                throw;
            }
            reporter.flush();
            const double valLossFinal = evaluate(r.steps);
            progressSteps[m] = train_.maxSteps;
            sink.logged(names_[m] + ": stopped at step " + std::to_string(r.steps) + " (" +
                        r.stopReason + "), training MSE " + fmt(r.finalLoss) + ", validation MSE " +
                        fmt(valLossFinal));
            modelResults[m] = json{{"name", names_[m]},
                                   {"widths", specs_[m].widths},
                                   {"parameters", mlpParameterCount(specs_[m])},
                                   {"seed", modelSeed},
                                   {"shards", shardsUsed[m]},
                                   {"steps", r.steps},
                                   {"stop_reason", r.stopReason},
                                   {"final_loss", r.finalLoss},
                                   {"best_loss", r.bestLoss},
                                   {"validation_loss", valLossFinal},
                                   {"seconds", r.seconds}};
        };

        runJobs(static_cast<int>(n), workers, control,
                [&](int m) { trainOne(static_cast<size_t>(m)); });

        json results;
        results["models"] = json::array();
        size_t best = 0;
        for (size_t m = 0; m < n; ++m) {
            results["models"].push_back(modelResults[m]);
            if (!modelResults[m].is_null() && !modelResults[best].is_null() &&
                modelResults[m]["final_loss"].get<double>() <
                    modelResults[best]["final_loss"].get<double>())
                best = m;
        }
        results["function"] = targetFunctionName(function_);
        results["training_points"] = data.x.size(0);
        results["normalised"] = config_.at("normalise").get<bool>();
        results["concurrent_workers"] = workers;
        results["seconds"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!modelResults[best].is_null()) {
            const auto& b = modelResults[best];
            std::string headline = "best: " + b["name"].get<std::string>() + ", MSE " +
                                   fmt(b["final_loss"].get<double>()) + " after " +
                                   std::to_string(b["steps"].get<std::int64_t>()) + " steps (" +
                                   b["stop_reason"].get<std::string>() + ")";
            results["headline"] = headline;
        }
        return results;
    }

  private:
    json config_;
    int threads_ = 1;
    TargetFunction function_;
    std::vector<MlpSpec> specs_;
    std::vector<std::string> names_;
    TrainConfig train_;
    std::uint64_t seed_ = 0;
    bool showGrad_ = false;
    std::int64_t fitEvery_ = 50;
    bool parallel_ = true;
    bool fused_ = true;
};

}  // namespace

ExperimentKind functionFitKind() {
    ExperimentKind k;
    k.id = "function_fit";
    k.schema = schema;
    k.check = check;
    k.create = [](const json& config,
                  const ExperimentContext& context) -> std::unique_ptr<Experiment> {
        return std::make_unique<FunctionFitExperiment>(config, context.threads);
    };
    return k;
}

}  // namespace trainlab
