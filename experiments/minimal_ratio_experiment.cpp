#include "minimal_ratio_experiment.h"

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
#include "function_data.h"
#include "hessian.h"
#include "mlp.h"
#include "mlp_fast.h"
#include "parallel_runs.h"
#include "trainer.h"

namespace trainlab {

using nlohmann::json;

namespace {

std::vector<ParamSpec> schema(const json&) {
    ParamSpec widths =
        makeParam("widths", "Layer widths", "Model", ParamType::IntList, 1, 256,
                  "From input (1) to output (1); 1,12,10,18,8,6,5,1 has 599 parameters");
    widths.minItems = 2;
    widths.maxItems = 16;
    return {
        makeChoice("function", "Target function", "Data", {"two_cosh", "sin_cos", "sinc"},
                   "exp(x)+exp(−x) by default"),
        makeParam("train_grid.from", "x from", "Data", ParamType::Double, -100, 100, "First input"),
        makeParam("train_grid.to", "x to", "Data", ParamType::Double, -100, 100,
                  "End of the inputs (excluded)"),
        makeParam("train_grid.step", "x step", "Data", ParamType::Double, 1e-5, 10,
                  "arange(from, to, step)"),
        makeParam("normalise", "Standardise x and y", "Data", ParamType::Bool, 0, 0,
                  "Train on standardised data"),
        widths,
        makeChoice(
            "activation", "Activation", "Model", {"leaky_relu", "relu", "tanh"},
            "leaky_relu and relu use trainlab's closed-form Hessian; tanh the slower autograd one"),
        makeParam("negative_slope", "LeakyReLU slope", "Model", ParamType::Double, 0, 1,
                  "Negative slope"),
        makeParam("runs", "Runs", "Run", ParamType::Int, 1, 10000,
                  "Independent trainings, each from a fresh seeded initialisation"),
        makeParam("seed", "Seed", "Run", ParamType::Int, 0, 2147483647,
                  "Run r is initialised from seed·1000003 + r"),
        makeParam("parallel", "Runs concurrently", "Run", ParamType::Bool, 0, 0,
                  "One run per core"),
        makeChoice("phase1.optimizer", "Phase 1 optimizer", "Phase 1: loss", {"adam", "sgd"},
                   "Minimises the MSE"),
        makeParam("phase1.lr", "Phase 1 learning rate", "Phase 1: loss", ParamType::Double, 1e-8,
                  10, "Step size", true),
        makeParam("phase1.max_steps", "Phase 1 steps", "Phase 1: loss", ParamType::Int, 1,
                  10'000'000, "Full-batch steps"),
        makeChoice("phase2.optimizer", "Phase 2 optimizer", "Phase 2: gradient norm",
                   {"adam", "sgd"}, "Minimises ‖∇L‖² by double back-propagation"),
        makeParam("phase2.lr", "Phase 2 learning rate", "Phase 2: gradient norm", ParamType::Double,
                  1e-10, 10, "Step size", true),
        makeParam("phase2.max_steps", "Phase 2 step cap", "Phase 2: gradient norm", ParamType::Int,
                  0, 10'000'000,
                  "Phase 2 ends here if the threshold was not reached (0 = no phase 2)"),
        makeParam("phase2.threshold", "‖∇L‖² threshold", "Phase 2: gradient norm",
                  ParamType::Double, 0, 1e6,
                  "Phase 2 ends when the squared gradient norm is below this", true),
        makeParam("tau", "τ (near-zero band)", "Analysis", ParamType::Double, 0, 1,
                  "Eigenvalues with |λ| ≤ τ·max|λ| count as zero in the second ratio", true),
        makeChoice(
            "analysis", "Hessian analysis", "Analysis", {"auto", "dense", "lanczos"},
            "dense: the full spectrum and the minimal ratio (up to 5,000 parameters); lanczos: "
            "only the "
            "largest and smallest eigenvalues, from Hessian-vector products (any size); auto: "
            "dense when "
            "it fits"),
    };
}

constexpr std::int64_t kMaxDense = 5000;

std::vector<std::string> check(const json& c) {
    std::vector<std::string> p;
    const auto w = c["widths"].get<std::vector<std::int64_t>>();
    if (w.front() != 1 || w.back() != 1)
        p.push_back("'widths': the first and last width must be 1");
    MlpSpec s;
    s.widths = w;
    if (mlpParameterCount(s) > kMaxDense && c["analysis"] == "dense")
        p.push_back("'widths': " + std::to_string(mlpParameterCount(s)) +
                    " parameters is too many for a dense Hessian per run (at most 5,000): use "
                    "analysis = lanczos");
    if (mlpParameterCount(s) > 2'000'000) p.push_back("'widths': at most 2,000,000 parameters");
    try {
        GridSpec g{c["train_grid"]["from"].get<double>(), c["train_grid"]["to"].get<double>(), 0,
                   c["train_grid"]["step"].get<double>()};
        if (gridPointCount(g) > 1'000'000) p.push_back("'train_grid': at most 1,000,000 points");
    } catch (const ConfigError& e) {
        for (const auto& m : e.problems()) p.push_back("'train_grid': " + m);
    }
    return p;
}

std::string fmt(double v, int precision = 3) {
    std::ostringstream o;
    o << std::setprecision(precision) << v;
    return o.str();
}

double median(std::vector<double> v) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
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

class MinimalRatioExperiment : public Experiment {
  public:
    MinimalRatioExperiment(const json& c, int threads) : config_(c), threads_(threads) {
        function_ = targetFunctionFromName(c.at("function").get<std::string>());
        spec_.widths = c.at("widths").get<std::vector<std::int64_t>>();
        spec_.activation = activationFromName(c.at("activation").get<std::string>());
        spec_.negativeSlope = c.at("negative_slope").get<double>();
        validateMlpSpec(spec_, "widths");
        runs_ = c.at("runs").get<int>();
        seed_ = c.at("seed").get<std::uint64_t>();
        tau_ = c.at("tau").get<double>();
        const std::string analysis = c.at("analysis").get<std::string>();
        dense_ =
            analysis == "dense" || (analysis == "auto" && mlpParameterCount(spec_) <= kMaxDense);
        phase1_.optimizer = optimizerFromName(c.at("phase1").at("optimizer").get<std::string>());
        phase1_.lr = c.at("phase1").at("lr").get<double>();
        phase1_.maxSteps = c.at("phase1").at("max_steps").get<std::int64_t>();
        phase2_.optimizer = optimizerFromName(c.at("phase2").at("optimizer").get<std::string>());
        phase2_.lr = c.at("phase2").at("lr").get<double>();
        phase2_.maxSteps =
            std::max<std::int64_t>(1, c.at("phase2").at("max_steps").get<std::int64_t>());
        phase2Enabled_ = c.at("phase2").at("max_steps").get<std::int64_t>() > 0;
        phase2_.stop.kind = StopKind::Target;
        phase2_.stop.target = c.at("phase2").at("threshold").get<double>();
        phase2_.divergenceLimit = 1e30;
        validateTrainConfig(phase1_);
        validateTrainConfig(phase2_);
    }

    PlotLayout layout() const override {
        PlotLayout l;
        l.panels.push_back({"ratio", "Final loss vs minimal ratio (one point per run)",
                            "final loss (MSE, log)", "minimal ratio (fraction of eigenvalues > 0)",
                            "", true, false, false});
        l.panels.push_back(
            {"spectrum", "Hessian spectrum (latest run; click a point on the left to choose one)",
             "eigenvalue index (ascending)", "|λ| (log)", "", false, true, false});
        l.panels.push_back({"grad_norm",
                            "Gradient norm of the selected run (phase 1, then phase 2)", "step",
                            "‖∇L‖₂ (log)", "", false, true, false});
        SeriesSpec ratio;
        ratio.id = "ratio";
        ratio.panel = "ratio";
        ratio.name = "λ > 0";
        ratio.xName = "final_loss";
        ratio.yName = "minimal_ratio";
        ratio.style = SeriesStyle::Scatter;
        l.series.push_back(ratio);
        SeriesSpec tol = ratio;
        tol.id = "ratio_tol";
        tol.name = "λ > τ·max|λ|";
        tol.yName = "minimal_ratio_tol";
        tol.color = 1;
        l.series.push_back(tol);
        // Signed eigenvalues span many decades around zero: |λ| on a log axis, by sign.
        SeriesSpec spectrum;
        spectrum.id = "spectrum_latest";
        spectrum.panel = "spectrum";
        spectrum.name = "λ > 0";
        spectrum.xName = "index";
        spectrum.yName = "abs_eigenvalue";
        spectrum.mode = SeriesMode::Replace;
        spectrum.style = SeriesStyle::Scatter;
        spectrum.color = 2;
        spectrum.perRun = true;
        l.series.push_back(spectrum);
        SeriesSpec negative = spectrum;
        negative.id = "spectrum_latest_negative";
        negative.name = "λ < 0";
        negative.color = 5;
        l.series.push_back(negative);
        SeriesSpec grad;
        grad.id = "grad_norm_latest";
        grad.panel = "grad_norm";
        grad.name = "‖∇L‖";
        grad.xName = "step";
        grad.yName = "grad_norm";
        grad.mode = SeriesMode::Replace;
        grad.color = 3;
        grad.perRun = true;
        l.series.push_back(grad);
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        const GridSpec grid{config_.at("train_grid").at("from").get<double>(),
                            config_.at("train_grid").at("to").get<double>(), 0,
                            config_.at("train_grid").at("step").get<double>()};
        const auto data = makeFunctionDataset(function_, grid, {grid.from, grid.to, 100, 0},
                                              config_.at("normalise").get<bool>());
        const std::int64_t params = mlpParameterCount(spec_);
        sink.logged(std::to_string(runs_) + " runs of a " + std::to_string(params) +
                    "-parameter net on " + std::to_string(data.x.size(0)) + " points; Hessian: " +
                    (mlpMseHessianIsClosedForm(spec_) ? "closed form" : "double back-propagation"));

        std::mutex mutex;
        std::vector<json> runResults(static_cast<size_t>(runs_));
        std::vector<std::vector<double>> table, eigenTable;
        std::vector<std::string> pointLabels;  // one per scatter point, in the order appended
        std::atomic<int> done{0};
        std::atomic<std::int64_t> stepsDone{0};
        const double stepsPerRun =
            static_cast<double>(phase1_.maxSteps + (phase2Enabled_ ? phase2_.maxSteps : 0));

        auto oneRun = [&](int r) {
            const std::uint64_t runSeed = seed_ * 1000003ULL + static_cast<std::uint64_t>(r);
            Mlp model(spec_, runSeed);
            GradTrace trace;
            trace.progress = &stepsDone;
            TrainConfig p1 = phase1_;
            p1.seed = runSeed;
            const std::string name = "run " + std::to_string(r + 1);
            const LossGradFn lossGrad =
                spec_.activation == Activation::Tanh
                    ? autogradLossGrad([&](const torch::Tensor& x) { return model->forward(x); },
                                       LossKind::MSE)
                    : makeFusedMlpLossGrad(model, 1);
            const TrainResult r1 = trainLoop(model->parameters(), lossGrad, data.x, data.y, p1,
                                             &trace, &control, name);
            TrainResult r2;
            std::string phase2End = "skipped";
            if (phase2Enabled_ && !control.cancel) {
                trace.offset = r1.steps;
                trace.phase2 = true;
                TrainConfig p2 = phase2_;
                p2.seed = runSeed;
                r2 = trainLoop(model->parameters(),
                               gradNormSquaredLossGrad(
                                   [&](const torch::Tensor& x) { return model->forward(x); },
                                   model->parameters()),
                               data.x, data.y, p2, &trace, &control, name + " phase 2");
                phase2End = r2.cancelled                ? "cancelled"
                            : r2.stopReason == "target" ? "threshold"
                                                        : "step cap";
            }
            if (control.cancel) return;
            double finalLoss = 0, gradNorm = 0;
            {
                for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
                const auto loss = torch::mse_loss(model->forward(data.x), data.y);
                loss.backward();
                finalLoss = loss.item<double>();
                gradNorm = gradientNorm(model->parameters());
            }
            HessianSpectrum s;
            std::vector<double> eig;
            if (dense_) {
                const Eigen::MatrixXd H = mlpMseHessian(model, data.x, data.y);
                s = hessianSpectrum(H, tau_);
                eig.assign(s.eigenvalues.data(), s.eigenvalues.data() + s.eigenvalues.size());
            } else {
                // Too large for a dense Hessian: the extremes from Hessian-vector products.
                const auto params = model->parameters();
                const auto hvp = hessianVectorOperator(
                    params, [&] { return torch::mse_loss(model->forward(data.x), data.y); });
                const LanczosResult l = lanczosExtremes(
                    hvp, static_cast<int>(mlpParameterCount(spec_)), 200, 1e-6, runSeed);
                eig = {l.smallest, l.largest};
                s.minimalRatio = NAN;
                s.minimalRatioTol = NAN;
            }
            std::vector<double> index(eig.size());
            for (size_t i = 0; i < index.size(); ++i) index[i] = static_cast<double>(i + 1);

            std::lock_guard<std::mutex> lock(mutex);
            runResults[static_cast<size_t>(r)] =
                json{{"run", r + 1},
                     {"seed", runSeed},
                     {"phase1_steps", r1.steps},
                     {"phase1_loss", r1.finalLoss},
                     {"phase2_steps", phase2Enabled_ ? r2.steps : 0},
                     {"phase2_end", phase2End},
                     {"final_loss", finalLoss},
                     {"grad_norm", gradNorm},
                     {"minimal_ratio", s.minimalRatio},
                     {"minimal_ratio_tol", s.minimalRatioTol},
                     {"lambda_min", eig.front()},
                     {"lambda_max", eig.back()}};
            table.push_back({static_cast<double>(r + 1), static_cast<double>(runSeed), r1.finalLoss,
                             finalLoss, gradNorm,
                             static_cast<double>(phase2Enabled_ ? r2.steps : 0),
                             phase2End == "threshold" ? 1.0 : 0.0, s.minimalRatio,
                             s.minimalRatioTol, eig.front(), eig.back()});
            if (dense_) {
                std::vector<double> row{static_cast<double>(r + 1)};
                row.insert(row.end(), eig.begin(), eig.end());
                eigenTable.push_back(std::move(row));
            }
            if (dense_) {
                pointLabels.push_back("run " + std::to_string(r + 1) + " · loss " + fmt(finalLoss) +
                                      " · ‖∇L‖ " + fmt(gradNorm) + " · phase 2: " + phase2End);
                sink.pointsAppended("ratio", {finalLoss}, {s.minimalRatio});
                sink.pointsAppended("ratio_tol", {finalLoss}, {s.minimalRatioTol});
                sink.labelsReplaced("ratio", pointLabels);
                sink.labelsReplaced("ratio_tol", pointLabels);
            }
            std::vector<double> posX, posY, negX, negY;
            for (size_t i = 0; i < eig.size(); ++i) {
                if (eig[i] > 0) {
                    posX.push_back(index[i]);
                    posY.push_back(eig[i]);
                } else if (eig[i] < 0) {
                    negX.push_back(index[i]);
                    negY.push_back(-eig[i]);
                }
            }
            sink.seriesReplaced("spectrum_latest", posX, posY);
            sink.seriesReplaced("spectrum_latest_negative", negX, negY);
            // Every run's curves, so that any run can be shown later (click in the scatter).
            auto rowsOf = [](const std::vector<double>& x, const std::vector<double>& y) {
                std::vector<std::vector<double>> rows;
                rows.reserve(x.size());
                for (size_t i = 0; i < x.size(); ++i) rows.push_back({x[i], y[i]});
                return rows;
            };
            const std::string runSuffix = "_run" + std::to_string(r + 1);
            sink.tableWritten("spectrum_latest" + runSuffix, {"index", "abs_eigenvalue"},
                              rowsOf(posX, posY));
            sink.tableWritten("spectrum_latest_negative" + runSuffix, {"index", "abs_eigenvalue"},
                              rowsOf(negX, negY));
            sink.tableWritten("grad_norm_latest" + runSuffix, {"step", "grad_norm"},
                              rowsOf(trace.steps, trace.norms));
            sink.seriesReplaced("grad_norm_latest", trace.steps, trace.norms);
            std::vector<std::string> columns{"run",
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
            sink.tableWritten("runs", columns, table);
            const int finished = ++done;
            sink.logged(
                name + ": loss " + fmt(finalLoss) + ", ‖∇L‖ " + fmt(gradNorm) +
                ", phase 2 ended by " + phase2End +
                (dense_ ? ", minimal ratio " + fmt(s.minimalRatio) +
                              " (τ: " + fmt(s.minimalRatioTol) + ")"
                        : ", Lanczos λ_min " + fmt(eig.front()) + ", λ_max " + fmt(eig.back())));
            sink.progressed(
                static_cast<double>(finished) / runs_,
                std::to_string(finished) + " / " + std::to_string(runs_) + " runs analysed");
        };

        // Progress between run completions, from the step counter.
        std::atomic<bool> finishedAll{false};
        std::thread ticker([&] {
            while (!finishedAll) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                const double f =
                    std::min(0.999, static_cast<double>(stepsDone) / (stepsPerRun * runs_));
                sink.progressed(f, std::to_string(done.load()) + " / " + std::to_string(runs_) +
                                       " runs analysed");
            }
        });
        const int workers = workerCount(runs_, config_.at("parallel").get<bool>(), threads_);
        try {
            runJobs(runs_, workers, control, oneRun);
        } catch (...) {
            finishedAll = true;
            ticker.join();
            throw;
        }
        finishedAll = true;
        ticker.join();

        std::sort(eigenTable.begin(), eigenTable.end());
        std::vector<std::string> eigColumns{"run"};
        for (std::int64_t i = 1; i <= params; ++i)
            eigColumns.push_back("lambda_" + std::to_string(i));
        if (!eigenTable.empty()) sink.tableWritten("eigenvalues", eigColumns, eigenTable);

        json results;
        results["runs"] = json::array();
        std::vector<double> ratios, ratiosTol, losses;
        int reached = 0;
        for (const auto& r : runResults) {
            if (r.is_null()) continue;
            results["runs"].push_back(r);
            if (dense_) {
                ratios.push_back(r["minimal_ratio"].get<double>());
                ratiosTol.push_back(r["minimal_ratio_tol"].get<double>());
            }
            losses.push_back(r["final_loss"].get<double>());
            reached += r["phase2_end"] == "threshold" ? 1 : 0;
        }
        results["parameters"] = params;
        results["points"] = data.x.size(0);
        results["tau"] = tau_;
        results["runs_completed"] = losses.size();
        results["analysis"] = dense_ ? "dense" : "lanczos";
        results["phase2_reached_threshold"] = reached;
        results["median_minimal_ratio"] = median(ratios);
        results["median_minimal_ratio_tol"] = median(ratiosTol);
        results["median_final_loss"] = median(losses);
        results["seconds"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        results["headline"] = std::to_string(losses.size()) + " runs: " +
                              (dense_ ? "median minimal ratio " + fmt(median(ratios)) +
                                            " (with τ: " + fmt(median(ratiosTol)) + "), "
                                      : std::string("Lanczos extremes only, ")) +
                              "median loss " + fmt(median(losses)) + ", " +
                              std::to_string(reached) + " reached the gradient threshold";
        return results;
    }

  private:
    json config_;
    int threads_;
    TargetFunction function_;
    MlpSpec spec_;
    int runs_ = 100;
    std::uint64_t seed_ = 1;
    double tau_ = 1e-3;
    TrainConfig phase1_, phase2_;
    bool phase2Enabled_ = true;
    bool dense_ = true;
};

}  // namespace

ExperimentKind minimalRatioKind() {
    ExperimentKind k;
    k.id = "minimal_ratio";
    k.schema = schema;
    k.check = check;
    k.create = [](const json& c, const ExperimentContext& context) -> std::unique_ptr<Experiment> {
        return std::make_unique<MinimalRatioExperiment>(c, context.threads);
    };
    return k;
}

}  // namespace trainlab
