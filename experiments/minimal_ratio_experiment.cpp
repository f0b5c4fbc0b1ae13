#include "minimal_ratio_experiment.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "errors.h"
#include "function_data.h"
#include "hessian.h"
#include "mlp.h"
#include "mlp_fast.h"
#include "mlp_fast_hvp.h"
#include "parallel_runs.h"
#include "plot_layout.h"
#include "seeds.h"
#include "spectrum_stats.h"
#include "text_format.h"
#include "trainer.h"
#include "typed_kind.h"

namespace trainlab {

using nlohmann::json;
using Config = MinimalRatioConfig;

// ---- Config ---------------------------------------------------------------------------------

namespace {

void addDataFields(ConfigFields<Config>& t) {
    t.choice(choiceParam("function", "Target function", "Data", "exp(x)+exp(−x) by default",
                         {"two_cosh", "sin_cos", "sinc"}),
             kTargetFunctionNames, &Config::function);
    t.field(numberParam("train_grid.from", "x from", "Data", -100, 100, "", "First input"),
            [](Config& c) -> double& { return c.trainGrid.from; });
    t.field(
        numberParam("train_grid.to", "x to", "Data", -100, 100, "", "End of the inputs (excluded)"),
        [](Config& c) -> double& { return c.trainGrid.to; });
    t.field(
        numberParam("train_grid.step", "x step", "Data", 1e-5, 10, "", "arange(from, to, step)"),
        [](Config& c) -> double& { return c.trainGrid.step; });
    t.field(boolParam("normalise", "Standardise x and y", "Data", "Train on standardised data"),
            &Config::normalise);
}

void addModelFields(ConfigFields<Config>& t) {
    t.field(intListParam("widths", "Layer widths", "Model", 1, 256, 2, 16,
                         "From input (1) to output (1); 1,12,10,18,8,6,5,1 has 599 parameters"),
            &Config::widths);
    t.choice(choiceParam("activation", "Activation", "Model",
                         "leaky_relu and relu use trainlab's closed-form Hessian; tanh the slower "
                         "autograd one"),
             kActivationNames, &Config::activation);
    t.field(numberParam("negative_slope", "LeakyReLU slope", "Model", 0, 1, "", "Negative slope"),
            &Config::negativeSlope);
}

void addRunFields(ConfigFields<Config>& t) {
    t.field(runsParam(10000, "Independent trainings, each from a fresh seeded initialisation"),
            &Config::runs);
    t.field(seedParam("Run r is initialised from seed·1000003 + r"), &Config::seed);
    t.field(parallelParam("Runs concurrently", "One run per core"), &Config::parallel);
}

void addPhaseFields(ConfigFields<Config>& t) {
    const std::string p1 = "Phase 1: loss", p2 = "Phase 2: gradient norm";
    t.choice(choiceParam("phase1.optimizer", "Phase 1 optimizer", p1, "Minimises the MSE",
                         {"adam", "sgd"}),
             kOptimizerNames, [](Config& c) -> OptimizerKind& { return c.phase1.optimizer; });
    t.field(learningRateParam("Step size", "phase1.lr", "Phase 1 learning rate", p1),
            [](Config& c) -> double& { return c.phase1.lr; });
    t.field(integerParam("phase1.max_steps", "Phase 1 steps", p1, 1, 10'000'000, "",
                         "Full-batch steps"),
            [](Config& c) -> std::int64_t& { return c.phase1.maxSteps; });
    t.choice(choiceParam("phase2.optimizer", "Phase 2 optimizer", p2,
                         "Minimises ‖∇L‖² (gradient 2·H·∇L by a fused Hessian-vector pass)", {"adam", "sgd"}),
             kOptimizerNames, [](Config& c) -> OptimizerKind& { return c.phase2.optimizer; });
    t.field(learningRateParam("Step size", "phase2.lr", "Phase 2 learning rate", p2),
            [](Config& c) -> double& { return c.phase2.lr; });
    t.field(integerParam("phase2.max_steps", "Phase 2 step cap", p2, 0, 10'000'000, "",
                         "Phase 2 ends here if the threshold was not reached (0 = no phase 2)"),
            &Config::phase2Steps);
    t.field(numberParam("phase2.threshold", "‖∇L‖² threshold", p2, 0, 1e6, "",
                        "Phase 2 ends when the squared gradient norm is below this", true),
            [](Config& c) -> double& { return c.phase2.stop.target; });
}

void addAnalysisFields(ConfigFields<Config>& t) {
    t.field(numberParam("tau", "τ (near-zero band)", "Analysis", 0, 1, "",
                        "Eigenvalues with |λ| ≤ τ·max|λ| count as zero in the second ratio", true),
            &Config::tau);
    t.choice(choiceParam("analysis", "Hessian analysis", "Analysis",
                         "dense: the full spectrum and the minimal ratio (up to 5,000 "
                         "parameters); lanczos: only the largest and smallest eigenvalues, from "
                         "Hessian-vector products (any size); auto: dense when it fits"),
             kHessianAnalysisNames, &Config::analysis);
}

std::vector<std::string> check(const json& config) {
    std::vector<std::string> p;
    const Config c = minimalRatioFields().read(config);
    if (c.widths.front() != 1 || c.widths.back() != 1)
        p.push_back("'widths': the first and last width must be 1");
    const std::int64_t params = mlpParameterCount(c.mlpSpec());
    if (params > Config::kMaxDense && c.analysis == HessianAnalysis::Dense)
        p.push_back("'widths': " + std::to_string(params) +
                    " parameters is too many for a dense Hessian per run (at most 5,000): use "
                    "analysis = lanczos");
    if (params > 2'000'000) p.push_back("'widths': at most 2,000,000 parameters");
    try {
        if (gridPointCount(c.trainGrid) > 1'000'000)
            p.push_back("'train_grid': at most 1,000,000 points");
    } catch (const ConfigError& e) {
        for (const auto& m : e.problems()) p.push_back("'train_grid': " + m);
    }
    return p;
}

}  // namespace

const ConfigFields<Config>& minimalRatioFields() {
    static const auto fields = buildFields<Config>(addDataFields, addModelFields, addRunFields,
                                                   addPhaseFields, addAnalysisFields);
    return fields;
}

MlpSpec MinimalRatioConfig::mlpSpec() const {
    return MlpSpec{widths, activation, negativeSlope};
}

bool MinimalRatioConfig::dense() const {
    return analysis == HessianAnalysis::Dense ||
           (analysis == HessianAnalysis::Auto && mlpParameterCount(mlpSpec()) <= kMaxDense);
}

MinimalRatioConfig readMinimalRatioConfig(const json& config) {
    Config c = minimalRatioFields().read(config);
    validateMlpSpec(c.mlpSpec(), "widths");
    c.phase2.maxSteps = std::max<std::int64_t>(1, c.phase2Steps);
    c.phase2.stop.kind = StopKind::Target;
    c.phase2.divergenceLimit = 1e30;
    validateTrainConfig(c.phase1);
    validateTrainConfig(c.phase2);
    return c;
}

// ---- The run --------------------------------------------------------------------------------

namespace {

/// One series of the layout.
SeriesSpec series(std::string id, std::string panel, std::string name, std::string xName,
                  std::string yName, int color, SeriesMode mode, SeriesStyle style,
                  bool perRun = false) {
    SeriesSpec s = makeSeries(std::move(id), std::move(panel), std::move(name), std::move(xName),
                              std::move(yName), color);
    s.mode = mode;
    s.style = style;
    s.perRun = perRun;
    return s;
}

/// Numbers in log lines, labels and the headline: 3 significant digits.
std::string num(double v) {
    return formatSignificant(v, 3);
}

/// Collects ‖∇L‖ per step of one run (both phases) for the "latest run" panel.
struct GradTrace : TrainObserver {
    std::vector<double> steps, norms;
    std::int64_t offset = 0;
    bool phase2 = false;  // phase 2 reports ‖∇L‖² as its loss
    std::atomic<std::int64_t>* progress = nullptr;
    void onStep(const StepRecord& r) override {
        steps.push_back(static_cast<double>(offset + r.step));
        norms.push_back(phase2 ? std::sqrt(std::max(0.0, r.loss)) : r.gradNorm);
        if (progress) ++*progress;
    }
};

/// One finished run: both phases, the final loss and gradient norm, the Hessian's spectrum
/// (all eigenvalues when dense, the two Lanczos extremes otherwise) and its minimal ratios.
struct MinimalRatioRun {
    int run = 0;  ///< 1-based
    std::uint64_t seed = 0;
    std::int64_t phase1Steps = 0, phase2Steps = 0;
    double phase1Loss = 0;
    std::string phase2End = "skipped";  ///< "skipped", "threshold", "step cap", "cancelled"
    double finalLoss = 0, gradNorm = 0;
    double minimalRatio = NAN, minimalRatioTol = NAN;
    std::vector<double> eigenvalues;  ///< ascending
    GradTrace trace;

    json toJson() const {
        return json{{"run", run},
                    {"seed", seed},
                    {"phase1_steps", phase1Steps},
                    {"phase1_loss", phase1Loss},
                    {"phase2_steps", phase2Steps},
                    {"phase2_end", phase2End},
                    {"final_loss", finalLoss},
                    {"grad_norm", gradNorm},
                    {"minimal_ratio", minimalRatio},
                    {"minimal_ratio_tol", minimalRatioTol},
                    {"lambda_min", eigenvalues.front()},
                    {"lambda_max", eigenvalues.back()}};
    }
    std::vector<double> tableRow() const {
        return {static_cast<double>(run),
                static_cast<double>(seed),
                phase1Loss,
                finalLoss,
                gradNorm,
                static_cast<double>(phase2Steps),
                phase2End == "threshold" ? 1.0 : 0.0,
                minimalRatio,
                minimalRatioTol,
                eigenvalues.front(),
                eigenvalues.back()};
    }
    std::string pointLabel() const {
        return "run " + std::to_string(run) + " · loss " + num(finalLoss) + " · ‖∇L‖ " +
               num(gradNorm) + " · phase 2: " + phase2End;
    }
    std::string logLine(bool dense) const {
        return "run " + std::to_string(run) + ": loss " + num(finalLoss) + ", ‖∇L‖ " +
               num(gradNorm) + ", phase 2 ended by " + phase2End +
               (dense
                    ? ", minimal ratio " + num(minimalRatio) + " (τ: " + num(minimalRatioTol) + ")"
                    : ", Lanczos λ_min " + num(eigenvalues.front()) + ", λ_max " +
                          num(eigenvalues.back()));
    }
};

const std::vector<std::string> kRunColumns{"run",
                                           "seed",
                                           "phase1_loss",
                                           "final_loss",
                                           "grad_norm",
                                           "phase2_steps",
                                           "phase2_reached_threshold",
                                           "minimal_ratio",
                                           "minimal_ratio_tol",
                                           "lambda_min",
                                           "lambda_max"};

/// What 2-3 reports: the finished runs (in run order) and their medians.
struct MinimalRatioResults {
    std::vector<json> runs;
    std::vector<double> ratios, ratiosTol, losses;  ///< ratios only when dense
    int reachedThreshold = 0;
    std::int64_t parameters = 0, points = 0;
    double tau = 0;
    bool dense = true;
    double seconds = 0;

    void add(const MinimalRatioRun& o) {
        runs.push_back(o.toJson());
        if (dense) {
            ratios.push_back(o.minimalRatio);
            ratiosTol.push_back(o.minimalRatioTol);
        }
        losses.push_back(o.finalLoss);
        reachedThreshold += o.phase2End == "threshold" ? 1 : 0;
    }
    std::string headline() const {
        return std::to_string(losses.size()) + " runs: " +
               (dense ? "median minimal ratio " + num(median(ratios)) +
                            " (with τ: " + num(median(ratiosTol)) + "), "
                      : std::string("Lanczos extremes only, ")) +
               "median loss " + num(median(losses)) + ", " + std::to_string(reachedThreshold) +
               " reached the gradient threshold";
    }
    json toJson() const {
        json j;
        j["runs"] = runs;
        j["parameters"] = parameters;
        j["points"] = points;
        j["tau"] = tau;
        j["runs_completed"] = losses.size();
        j["analysis"] = dense ? "dense" : "lanczos";
        j["phase2_reached_threshold"] = reachedThreshold;
        j["median_minimal_ratio"] = median(ratios);
        j["median_minimal_ratio_tol"] = median(ratiosTol);
        j["median_final_loss"] = median(losses);
        j["seconds"] = seconds;
        j["headline"] = headline();
        return j;
    }
};

/// Streams each finished run to the sink (the scatter, the latest spectrum and gradient
/// trace, every run's curves and the runs table), from any worker thread.
class RunBoard {
  public:
    RunBoard(ExperimentSink& sink, int runs, bool dense)
        : sink_(sink), runs_(runs), dense_(dense), outcomes_(static_cast<size_t>(runs)) {}

    void publish(MinimalRatioRun outcome) {
        std::lock_guard<std::mutex> lock(mutex_);
        const MinimalRatioRun& o = outcome;
        table_.push_back(o.tableRow());
        if (dense_) {
            std::vector<double> row{static_cast<double>(o.run)};
            row.insert(row.end(), o.eigenvalues.begin(), o.eigenvalues.end());
            eigenTable_.push_back(std::move(row));
            pointLabels_.push_back(o.pointLabel());
            pointRuns_.push_back(o.run);
            for (const auto& [id, y] :
                 {std::pair{"ratio", o.minimalRatio}, std::pair{"ratio_tol", o.minimalRatioTol}}) {
                sink_.pointsAppended(id, {o.finalLoss}, {y});
                sink_.labelsReplaced(id, pointLabels_);
                sink_.pointRunsReplaced(id, pointRuns_);
            }
        }
        publishCurves(o);
        sink_.tableWritten("runs", kRunColumns, table_);
        const int finished = ++done_;
        sink_.logged(o.logLine(dense_));
        sink_.progressed(static_cast<double>(finished) / runs_, progressText());
        const auto slot = static_cast<size_t>(o.run - 1);
        outcomes_[slot] = std::move(outcome);
    }

    int done() const { return done_; }
    std::string progressText() const {
        return std::to_string(done_.load()) + " / " + std::to_string(runs_) + " runs analysed";
    }

    /// After every run: the eigenvalue table (one row per run, in run order) and the results.
    void finish(MinimalRatioResults& results, std::int64_t parameters) {
        std::sort(eigenTable_.begin(), eigenTable_.end());
        std::vector<std::string> columns{"run"};
        for (std::int64_t i = 1; i <= parameters; ++i)
            columns.push_back("lambda_" + std::to_string(i));
        if (!eigenTable_.empty()) sink_.tableWritten("eigenvalues", columns, eigenTable_);
        for (const auto& o : outcomes_)
            if (o) results.add(*o);
    }

  private:
    /// The latest run's spectrum (|λ| by sign) and gradient trace, and every run's copy.
    void publishCurves(const MinimalRatioRun& o) {
        const SignedSpectrum s = splitBySign(o.eigenvalues);
        sink_.seriesReplaced("spectrum_latest", s.positiveIndex, s.positiveAbs);
        sink_.seriesReplaced("spectrum_latest_negative", s.negativeIndex, s.negativeAbs);
        auto rowsOf = [](const std::vector<double>& x, const std::vector<double>& y) {
            std::vector<std::vector<double>> rows;
            rows.reserve(x.size());
            for (size_t i = 0; i < x.size(); ++i) rows.push_back({x[i], y[i]});
            return rows;
        };
        sink_.tableWritten(perRunSeriesId("spectrum_latest", o.run), {"index", "abs_eigenvalue"},
                           rowsOf(s.positiveIndex, s.positiveAbs));
        sink_.tableWritten(perRunSeriesId("spectrum_latest_negative", o.run),
                           {"index", "abs_eigenvalue"}, rowsOf(s.negativeIndex, s.negativeAbs));
        sink_.tableWritten(perRunSeriesId("grad_norm_latest", o.run), {"step", "grad_norm"},
                           rowsOf(o.trace.steps, o.trace.norms));
        sink_.seriesReplaced("grad_norm_latest", o.trace.steps, o.trace.norms);
    }

    ExperimentSink& sink_;
    int runs_;
    bool dense_;
    std::mutex mutex_;
    std::vector<std::optional<MinimalRatioRun>> outcomes_;
    std::vector<std::vector<double>> table_, eigenTable_;  // in completion order
    std::vector<std::string> pointLabels_;                 // one per scatter point
    std::vector<int> pointRuns_;
    std::atomic<int> done_{0};
};

/// Reports progress between run completions from the step counter, every 0.1 s, until it
/// goes out of scope.
class ProgressTicker {
  public:
    ProgressTicker(ExperimentSink& sink, const RunBoard& board,
                   const std::atomic<std::int64_t>& steps, double totalSteps)
        : thread_([&, totalSteps] {
              while (!stop_) {
                  std::this_thread::sleep_for(std::chrono::milliseconds(100));
                  const double f = std::min(0.999, static_cast<double>(steps) / totalSteps);
                  sink.progressed(f, board.progressText());
              }
          }) {}
    ~ProgressTicker() {
        stop_ = true;
        thread_.join();
    }

  private:
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

class MinimalRatioExperiment : public Experiment {
  public:
    MinimalRatioExperiment(Config config, const ExperimentContext& ctx)
        : c_(std::move(config)), threads_(ctx.threads), spec_(c_.mlpSpec()), dense_(c_.dense()) {}

    PlotLayout layout() const override {
        PlotLayout l;
        l.panels.push_back(logXPanel("ratio", "Final loss vs minimal ratio (one point per run)",
                                     "final loss (MSE, log)",
                                     "minimal ratio (fraction of eigenvalues > 0)"));
        l.panels.push_back(
            {"spectrum", "Hessian spectrum (latest run; click a point on the left to choose one)",
             "eigenvalue index (ascending)", "|λ| (log)", "", false, true, false});
        l.panels.push_back({"grad_norm",
                            "Gradient norm of the selected run (phase 1, then phase 2)", "step",
                            "‖∇L‖₂ (log)", "", false, true, false});
        using M = SeriesMode;
        using S = SeriesStyle;
        l.series = {
            series("ratio", "ratio", "λ > 0", "final_loss", "minimal_ratio", 0, M::Append,
                   S::Scatter),
            series("ratio_tol", "ratio", "λ > τ·max|λ|", "final_loss", "minimal_ratio_tol", 1,
                   M::Append, S::Scatter),
            // Signed eigenvalues span many decades around zero: |λ| on a log axis, by sign.
            series("spectrum_latest", "spectrum", "λ > 0", "index", "abs_eigenvalue", 2, M::Replace,
                   S::Scatter, true),
            series("spectrum_latest_negative", "spectrum", "λ < 0", "index", "abs_eigenvalue", 5,
                   M::Replace, S::Scatter, true),
            series("grad_norm_latest", "grad_norm", "‖∇L‖", "step", "grad_norm", 3, M::Replace,
                   S::Line, true),
        };
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        const GridSpec& grid = c_.trainGrid;
        const auto data =
            makeFunctionDataset(c_.function, grid, {grid.from, grid.to, 100, 0}, c_.normalise);
        MinimalRatioResults results;
        results.parameters = mlpParameterCount(spec_);
        results.points = data.x.size(0);
        results.tau = c_.tau;
        results.dense = dense_;
        sink.logged(std::to_string(c_.runs) + " runs of a " + std::to_string(results.parameters) +
                    "-parameter net on " + std::to_string(results.points) + " points; Hessian: " +
                    (mlpMseHessianIsClosedForm(spec_) ? "closed form" : "double back-propagation"));
        RunBoard board(sink, c_.runs, dense_);
        std::atomic<std::int64_t> stepsDone{0};
        const double stepsPerRun =
            static_cast<double>(c_.phase1.maxSteps + (c_.phase2Enabled() ? c_.phase2.maxSteps : 0));
        {
            ProgressTicker ticker(sink, board, stepsDone, stepsPerRun * c_.runs);
            runJobs(c_.runs, workerCount(c_.runs, c_.parallel, threads_), control, [&](int r) {
                auto outcome = trainAndAnalyse(r, data, stepsDone, control);
                if (outcome) board.publish(std::move(*outcome));
            });
        }
        board.finish(results, results.parameters);
        results.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return results.toJson();
    }

  private:
    /// Both phases, then the final loss and the Hessian; nothing when cancelled.
    std::optional<MinimalRatioRun> trainAndAnalyse(int r, const FunctionDataset& data,
                                                   std::atomic<std::int64_t>& stepsDone,
                                                   RunControl& control) const {
        MinimalRatioRun o;
        o.run = r + 1;
        o.seed = runSeed(c_.seed, static_cast<std::uint64_t>(r));
        Mlp model(spec_, o.seed);
        o.trace.progress = &stepsDone;
        trainPhase1(model, data, o, control);
        if (c_.phase2Enabled() && !control.cancel) descendGradientNorm(model, data, o, control);
        if (control.cancel) return std::nullopt;
        measureFinalLoss(model, data, o);
        measureHessian(model, data, o);
        return o;
    }

    /// Phase 1: minimise the loss (trainlab's fused gradient, or autograd for tanh).
    void trainPhase1(Mlp& model, const FunctionDataset& data, MinimalRatioRun& o,
                     RunControl& control) const {
        TrainConfig p1 = c_.phase1;
        p1.seed = o.seed;
        const LossGradFn lossGrad =
            spec_.activation == Activation::Tanh
                ? autogradLossGrad([&](const torch::Tensor& x) { return model->forward(x); },
                                   LossKind::MSE)
                : makeFusedMlpLossGrad(model, 1);
        const TrainResult r1 = trainLoop(model->parameters(), lossGrad, data.x, data.y, p1,
                                         &o.trace, &control, "run " + std::to_string(o.run));
        o.phase1Steps = r1.steps;
        o.phase1Loss = r1.finalLoss;
    }

    /// Phase 2: minimise ‖∇L‖² until the threshold or the cap (the fused H·∇L pass;
    /// double back-propagation with TRAINLAB_PHASE2_AUTOGRAD=1).
    void descendGradientNorm(Mlp& model, const FunctionDataset& data, MinimalRatioRun& o,
                             RunControl& control) const {
        o.trace.offset = o.phase1Steps;
        o.trace.phase2 = true;
        TrainConfig p2 = c_.phase2;
        p2.seed = o.seed;
        const TrainResult r2 = trainLoop(model->parameters(), mlpGradNormSquaredLossGrad(model),
                                         data.x, data.y, p2, &o.trace, &control,
                                         "run " + std::to_string(o.run) + " phase 2");
        o.phase2Steps = r2.steps;
        o.phase2End = r2.cancelled                ? "cancelled"
                      : r2.stopReason == "target" ? "threshold"
                                                  : "step cap";
    }

    static void measureFinalLoss(Mlp& model, const FunctionDataset& data, MinimalRatioRun& o) {
        for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
        const auto loss = torch::mse_loss(model->forward(data.x), data.y);
        loss.backward();
        o.finalLoss = loss.item<double>();
        o.gradNorm = gradientNorm(model->parameters());
    }

    /// The dense spectrum and minimal ratios, or (too large for a dense Hessian) the extremes
    /// from Hessian-vector products.
    void measureHessian(Mlp& model, const FunctionDataset& data, MinimalRatioRun& o) const {
        if (dense_) {
            const HessianSpectrum s = hessianSpectrum(mlpMseHessian(model, data.x, data.y), c_.tau);
            o.eigenvalues.assign(s.eigenvalues.data(), s.eigenvalues.data() + s.eigenvalues.size());
            o.minimalRatio = s.minimalRatio;
            o.minimalRatioTol = s.minimalRatioTol;
            return;
        }
        const auto params = model->parameters();
        const auto hvp = hessianVectorOperator(
            params, [&] { return torch::mse_loss(model->forward(data.x), data.y); });
        const LanczosResult l =
            lanczosExtremes(hvp, static_cast<int>(mlpParameterCount(spec_)), 200, 1e-6, o.seed);
        o.eigenvalues = {l.smallest, l.largest};
    }

    Config c_;
    int threads_;
    MlpSpec spec_;
    bool dense_;
};

}  // namespace

ExperimentKind minimalRatioKind() {
    return typedKind<MinimalRatioExperiment>("minimal_ratio", minimalRatioFields,
                                             readMinimalRatioConfig, check);
}

TRAINLAB_REGISTER_EXPERIMENT_KIND(minimalRatioKind);

}  // namespace trainlab
