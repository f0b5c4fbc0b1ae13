#include "edge_of_stability_experiment.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "errors.h"
#include "instrument_fields.h"
#include "instrument_set.h"
#include "mlp_fast.h"
#include "parallel_runs.h"
#include "seeds.h"
#include "text_format.h"
#include "throttle.h"
#include "trainer.h"
#include "typed_kind.h"

namespace trainlab {

using nlohmann::json;
using Config = EdgeOfStabilityConfig;

namespace {

void addDataFields(ConfigFields<Config>& t) {
    t.field(integerParam("points", "Points", "Data", 2, 100'000, "points",
                         "x = linspace(from, to, points); y = sin(2x) + cos(3x)"),
            &Config::points);
    t.field(numberParam("from", "x from", "Data", -100, 100, "", "First input"), &Config::from);
    t.field(numberParam("to", "x to", "Data", -100, 100, "", "Last input"), &Config::to);
    t.field(intListParam("widths", "Widths", "Model", 1, 1024, 2, 12,
                         "Layer widths from input (1) to output (1), e.g. 1, 64, 64, 1"),
            &Config::widths);
    t.choice(choiceParam("activation", "Activation", "Model",
                         "After every hidden layer (Cohen et al. use tanh: smooth, so the "
                         "Hessian is continuous)"),
             kActivationNames, &Config::activation);
}

void addTrainingFields(ConfigFields<Config>& t) {
    t.choice(choiceParam("optimizer", "Optimizer", "Training",
                         "gd: full-batch gradient descent (sharpness → 2/η); sgd: mini-batch "
                         "SGD (settles below 2/η); adam: Adam, whose preconditioned sharpness "
                         "λ_max(P⁻¹H) settles at 38/η (β₁ = 0.9)"),
             kEosOptimizerNames, &Config::optimizer);
    t.field(pointBatchSizeParam("Mini-batch size of sgd (gd and adam use every point)"),
            &Config::batchSize);
    ConfigFields<EosStepSize> item;
    item.field(learningRateParam("Step size η; its threshold 2/η is drawn dashed"),
               &EosStepSize::lr);
    t.repeated("step_sizes", "Step size", Config::kMaxStepSizes, item, &Config::stepSizes);
    t.field(integerParam("max_steps", "Steps", "Training", 1, 10'000'000, "steps", "Step count"),
            &Config::maxSteps);
}

void addInstrumentFieldsEos(ConfigFields<Config>& t) {
    t.field(integerParam("sharpness_every", "Sharpness every", "Instruments", 1, 1'000'000,
                         "steps",
                         "Cadence of the sharpness measurement (Lanczos, warm-started: about "
                         "1–4 Hessian-vector products once warm, each about two steps' cost)"),
            &Config::sharpnessEvery);
    t.field(integerParam("probe_size", "Probe points", "Instruments", 0, 100'000, "points",
                         "Points the Hessian is measured on (0 = all: the full-batch loss "
                         "that gradient descent sees)"),
            &Config::probeSize);
    t.field(integerParam("max_products", "Max products", "Instruments", 1, 1000, "products",
                         "Cap on Hessian-vector products per sharpness measurement"),
            &Config::maxProducts);
    t.field(seedParam("Seeds the initialisation (the same for every step size), the probe and "
                      "the mini-batches"),
            &Config::seed);
    t.field(parallelParam("Train step sizes concurrently",
                          "One step size per core, each single-threaded (same numbers)"),
            &Config::parallel);
}

std::vector<std::string> check(const json& config) {
    std::vector<std::string> p;
    const Config c = edgeOfStabilityFields().read(config);
    if (c.widths.front() != 1 || c.widths.back() != 1)
        p.push_back("'widths': the first and last width must be 1 (one input, one output)");
    if (c.stepSizes.empty()) p.push_back("'step_sizes': needs at least one step size");
    if (!(c.from < c.to)) p.push_back("'from'/'to': from must be below to");
    if (c.optimizer == EosOptimizer::SGD && (c.batchSize < 1 || c.batchSize >= c.points))
        p.push_back("'batch_size': sgd needs a mini-batch of 1 to points − 1 (" +
                    std::to_string(c.points) + " points)");
    return p;
}

}  // namespace

MlpSpec EdgeOfStabilityConfig::mlpSpec() const {
    MlpSpec s;
    s.widths = widths;
    s.activation = activation;
    return s;
}

const ConfigFields<Config>& edgeOfStabilityFields() {
    static const auto fields =
        buildFields<Config>(addDataFields, addTrainingFields, addInstrumentFieldsEos);
    return fields;
}

Config readEdgeOfStabilityConfig(const json& config) {
    Config c = edgeOfStabilityFields().read(config);
    validateMlpSpec(c.mlpSpec(), "edge of stability");
    return c;
}

double sharpnessPlateau(const std::vector<double>& s) {
    if (s.empty()) return NAN;
    const std::size_t n = std::max<std::size_t>(1, s.size() / 3);
    std::vector<double> tail(s.end() - static_cast<std::ptrdiff_t>(n), s.end());
    std::sort(tail.begin(), tail.end());
    return n % 2 ? tail[n / 2] : 0.5 * (tail[n / 2 - 1] + tail[n / 2]);
}

json EosRunResult::toJson() const {
    json j{{"lr", lr},
           {"threshold", threshold},
           {"plateau", plateau},
           {"plateau_fraction_of_threshold", plateauFraction},
           {"max_sharpness", maxSharpness},
           {"first_step_at_90_percent", firstCrossing},
           {"final_loss", finalLoss},
           {"steps", steps},
           {"diverged", diverged},
           {"instruments", instruments}};
    if (!message.empty()) j["message"] = message;
    return j;
}

namespace {

std::string suffixOf(std::size_t r) {
    return "r" + std::to_string(r + 1);
}

/// One step size's training: its loss every step (sent in chunks) and its sharpness.
class EosObserver : public TrainObserver {
  public:
    EosObserver(ExperimentSink& sink, InstrumentSet& set, std::string suffix)
        : sink_(sink), set_(set), suffix_(std::move(suffix)) {}
    void onStep(const StepRecord& r) override {
        steps_.push_back(static_cast<double>(r.step));
        loss_.push_back(r.loss);
        for (const auto& reading : set_.afterStep(r.step, r.optimizer)) {
            sharpness.push_back(reading.value);
            sharpSteps.push_back(r.step);
            readings_.push_back({r.step, reading});
        }
        if (steps_.size() >= 4096 || throttle_.due()) flush();
    }
    void flush() {
        if (!steps_.empty()) sink_.pointsAppended("loss_" + suffix_, steps_, loss_);
        for (const auto& [step, reading] : readings_) reportReadings(sink_, suffix_, step, {reading});
        steps_.clear();
        loss_.clear();
        readings_.clear();
        throttle_.restart();
    }
    std::vector<double> sharpness;
    std::vector<std::int64_t> sharpSteps;

  private:
    ExperimentSink& sink_;
    InstrumentSet& set_;
    std::string suffix_;
    std::vector<double> steps_, loss_;
    std::vector<std::pair<std::int64_t, InstrumentReading>> readings_;
    Throttle throttle_{std::chrono::milliseconds(40), false};
};

class EdgeOfStabilityExperiment : public Experiment {
  public:
    EdgeOfStabilityExperiment(Config c, const ExperimentContext& ctx)
        : c_(std::move(c)), threads_(ctx.threads) {
        settings_.list = {{InstrumentKind::Sharpness, c_.sharpnessEvery}};
        settings_.probeSize = c_.probeSize;
        settings_.maxProducts = c_.maxProducts;
        settings_.seed = runSeed(c_.seed, 99);
    }

    PlotLayout layout() const override {
        PlotLayout l;
        l.panels.push_back({"loss", "Training loss (MSE)", "step", "loss (log)", "", false, true});
        const bool adam = c_.optimizer == EosOptimizer::Adam;
        addInstrumentPanels(l, settings_, adam);
        for (std::size_t r = 0; r < c_.stepSizes.size(); ++r) {
            const auto st = style(r);
            l.series.push_back(makeSeries("loss_" + st.suffix, "loss", st.name, "step", "loss",
                                          st.colour));
            addInstrumentSeries(l, settings_, {}, st);
        }
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override;

  private:
    InstrumentSeriesStyle style(std::size_t r) const {
        const double lr = c_.stepSizes[r].lr;
        const bool adam = c_.optimizer == EosOptimizer::Adam;
        return {suffixOf(r), "η = " + formatSignificant(lr, 4), static_cast<int>(r),
                sharpnessThreshold(adam, lr, adam ? 0.9 : 0.0), adam};
    }
    EosRunResult trainOne(std::size_t r, ExperimentSink& sink, RunControl& control) const;
    TrainConfig trainConfig(std::size_t r) const;

    Config c_;
    int threads_ = 1;
    InstrumentSettings settings_;
    torch::Tensor x_, y_, probeX_, probeY_;
};

TrainConfig EdgeOfStabilityExperiment::trainConfig(std::size_t r) const {
    TrainConfig tc;
    tc.optimizer = c_.optimizer == EosOptimizer::Adam ? OptimizerKind::Adam : OptimizerKind::SGD;
    tc.lr = c_.stepSizes[r].lr;
    tc.batchSize = c_.optimizer == EosOptimizer::SGD ? c_.batchSize : 0;
    tc.maxSteps = c_.maxSteps;
    tc.seed = runSeed(c_.seed, 1000 + r);
    return tc;
}

EosRunResult EdgeOfStabilityExperiment::trainOne(std::size_t r, ExperimentSink& sink,
                                                 RunControl& control) const {
    EosRunResult res;
    const auto st = style(r);
    res.lr = c_.stepSizes[r].lr;
    res.threshold = st.threshold;
    reportThreshold(sink, st, static_cast<double>(c_.maxSteps));
    Mlp model(c_.mlpSpec(), runSeed(c_.seed, 0));  // one initialisation for every step size
    InstrumentSet set(
        settings_, model->parameters(), mlpParamGroups(model),
        [model](const torch::Tensor& x, const torch::Tensor& y) mutable {
            return torch::mse_loss(model->forward(x), y);
        },
        probeX_, probeY_);
    set.setHvpBuilder(fusedMlpHvpBuilder(model, probeX_, probeY_));
    EosObserver obs(sink, set, st.suffix);
    TrainResult tr;
    try {
        tr = trainLoop(model->parameters(), makeFusedMlpLossGrad(model, 1), x_, y_,
                       trainConfig(r), &obs, &control, st.name);
    } catch (const DivergenceError& e) {
        res.diverged = true;
        res.message = e.what();
        tr.steps = e.step();
        tr.finalLoss = e.loss();
    }
    obs.flush();
    res.steps = tr.steps;
    res.finalLoss = tr.finalLoss;
    res.plateau = sharpnessPlateau(obs.sharpness);
    res.plateauFraction = res.plateau / res.threshold;
    for (std::size_t i = 0; i < obs.sharpness.size(); ++i) {
        res.maxSharpness = std::max(res.maxSharpness, obs.sharpness[i]);
        if (!res.firstCrossing && obs.sharpness[i] >= 0.9 * res.threshold)
            res.firstCrossing = obs.sharpSteps[i];
    }
    res.instruments = instrumentCost(set, tr.seconds);
    sink.logged(st.name + ": sharpness plateau " + formatSignificant(res.plateau, 4) + " = " +
                formatSignificant(res.plateauFraction, 3) + " × threshold " +
                formatSignificant(res.threshold, 4) +
                (res.diverged ? " (diverged at step " + std::to_string(res.steps) + ")" : ""));
    return res;
}

json EdgeOfStabilityExperiment::run(ExperimentSink& sink, RunControl& control) {
    const auto t0 = Throttle::Clock::now();
    x_ = torch::linspace(c_.from, c_.to, c_.points, torch::kFloat32).reshape({c_.points, 1});
    y_ = torch::sin(2 * x_) + torch::cos(3 * x_);
    const auto idx = probeIndices(c_.points, c_.probeSize, settings_.seed);
    probeX_ = x_.index_select(0, idx);
    probeY_ = y_.index_select(0, idx);
    const int n = static_cast<int>(c_.stepSizes.size());
    std::vector<EosRunResult> runs(static_cast<std::size_t>(n));
    const int workers = workerCount(n, c_.parallel, threads_);
    runJobs(n, workers, control, [&](int r) {
        runs[static_cast<std::size_t>(r)] = trainOne(static_cast<std::size_t>(r), sink, control);
    });
    json out;
    out["step_sizes"] = json::array();
    std::string headline;
    for (const auto& r : runs) {
        out["step_sizes"].push_back(r.toJson());
        headline += (headline.empty() ? "" : "; ") + std::string("η ") +
                    formatSignificant(r.lr, 3) + ": plateau " +
                    formatSignificant(r.plateauFraction, 3) + " × threshold";
    }
    out["plateau_definition"] = "median of the sharpness over the last third of its measurements";
    out["threshold"] = c_.optimizer == EosOptimizer::Adam ? "(2 + 2·β1)/((1 − β1)·η) = 38/η"
                                                          : "2/η";
    out["optimizer"] = nameOf(kEosOptimizerNames, c_.optimizer);
    out["parameters"] = mlpParameterCount(c_.mlpSpec());
    out["concurrent_workers"] = workers;
    out["seconds"] = secondsSince(t0);
    out["headline"] = headline;
    return out;
}

}  // namespace

ExperimentKind edgeOfStabilityKind() {
    return typedKind<EdgeOfStabilityExperiment>("edge_of_stability", edgeOfStabilityFields,
                                                readEdgeOfStabilityConfig, check);
}

TRAINLAB_REGISTER_EXPERIMENT_KIND(edgeOfStabilityKind);

}  // namespace trainlab
