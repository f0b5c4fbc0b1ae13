#include "flatness_experiments.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>

#include "errors.h"
#include "flatness.h"
#include "image_experiment_common.h"
#include "parallel_runs.h"

namespace trainlab {

using nlohmann::json;
using namespace image_exp;

namespace {

std::vector<ParamSpec> without(std::vector<ParamSpec> specs, const std::vector<std::string>& keys) {
    specs.erase(std::remove_if(specs.begin(), specs.end(),
                               [&](const ParamSpec& s) {
                                   return std::find(keys.begin(), keys.end(), s.key) != keys.end();
                               }),
                specs.end());
    return specs;
}

ParamSpec* find(std::vector<ParamSpec>& specs, const std::string& key) {
    for (auto& s : specs)
        if (s.key == key) return &s;
    return nullptr;
}

// Evaluates `state` loaded into `model` on the train and test sets (eval mode), after
// re-estimating BatchNorm statistics when asked.
struct PointEval {
    Evaluation train, test;
};

// `bnData`: the (stratified) training images the re-estimation batches come from.
PointEval evaluateState(CnnImpl& model, const ModelState& state, const ImageDataset& data,
                        bool reestimate, const ImageTensors& bnData, std::int64_t bnBatches,
                        std::uint64_t seed) {
    loadState(model, state);
    if (reestimate)
        reestimateBatchNorm(model, bnData, data.mean, data.std, bnBatches, 100, seed);
    PointEval e;
    e.train = evaluateClassifier(model, data.train, data.mean, data.std);
    e.test = evaluateClassifier(model, data.test, data.mean, data.std);
    return e;
}

// Value of the point of `xs` nearest to x.
double nearest(const std::vector<double>& xs, const std::vector<double>& ys, double x) {
    size_t best = 0;
    for (size_t i = 1; i < xs.size(); ++i)
        if (std::abs(xs[i] - x) < std::abs(xs[best] - x)) best = i;
    return ys.empty() ? NAN : ys[best];
}

// ---------------------------------------------------------------------------------------
// 3-3 part 1: θ(α) = (1 − α)·θ₁ + α·θ₂ between two solutions that differ in batch size or
// learning rate, on the same data and labels.

class InterpolationExperiment : public Experiment {
  public:
    InterpolationExperiment(const json& c, const ExperimentContext& ctx)
        : common_(readCommon(c)), ctx_(ctx) {
        const DatasetSpec* spec = findDatasetSpec(common_.dataset);
        if (!spec) throw ConfigError({"dataset '" + common_.dataset + "' is unknown"});
        const int which = c.at("model").get<int>();
        from_ = c.at("alpha_from").get<double>();
        to_ = c.at("alpha_to").get<double>();
        points_ = c.at("alpha_points").get<int>();
        reestimate_ = c.at("batch_norm").get<std::string>() == "reestimate";
        bnBatches_ = c.at("bn_batches").get<std::int64_t>();
        directionPoints_ = c.at("direction_points").get<int>();
        directionImages_ = c.at("direction_images").get<std::int64_t>();
        landscapePoints_ = c.at("landscape_points").get<int>();
        epsilon_ = c.at("sharpness_epsilon").get<double>();
        sharpSteps_ = c.at("sharpness_steps").get<int>();
        sharpImages_ = c.at("sharpness_images").get<std::int64_t>();
        for (int s = 0; s < 2; ++s) {
            Job j;
            j.key = "s" + std::to_string(s + 1);
            j.batch = c.at(s == 0 ? "batch_size" : "batch_size_2").get<std::int64_t>();
            j.lr = c.at(s == 0 ? "lr" : "lr_2").get<double>();
            j.name = "solution " + std::to_string(s + 1) + " (batch " + std::to_string(j.batch) +
                     ", lr " + fmt(j.lr) + ")";
            j.spec = cnnModel(which, spec->channels, spec->height, spec->width);
            // Different seeds: two independent solutions, as two trainings in the original.
            j.seed = common_.seed * 1000003ULL + static_cast<std::uint64_t>(s + 1);
            j.color = s == 0 ? 0 : 3;
            jobs_.push_back(j);
        }
    }

    PlotLayout layout() const override {
        PlotLayout l;
        PanelSpec interp("interpolation", "Loss and accuracy along θ(α) = (1 − α)·θ₁ + α·θ₂",
                         "α (0: solution 1, 1: solution 2)", "cross-entropy (log)", "accuracy (%)",
                         false, true, false);
        l.panels.push_back(interp);
        if (directionPoints_ > 0)
            l.panels.push_back({"directions",
                                "Loss along a filter-normalised random direction (Li et al. 2018)",
                                "distance t (in filter norms)", "training cross-entropy (log)", "",
                                false, true, false});
        if (landscapePoints_ > 0)
            for (const auto& j : jobs_)
                l.panels.push_back({"landscape_" + j.key,
                                    "Loss around " + j.name + " (2-D, filter-normalised)",
                                    "direction 1 (filter norms)", "direction 2 (filter norms)",
                                    "training cross-entropy (log colour)", false, false, true});
        addEpochPanels(l);
        auto add = [&](const std::string& id, const std::string& panel, const std::string& name,
                       const std::string& y, int color, bool dashed, bool right,
                       SeriesStyle style) {
            SeriesSpec s;
            s.id = id;
            s.panel = panel;
            s.name = name;
            s.xName = panel == "directions" ? "t" : "alpha";
            s.yName = y;
            s.color = color;
            s.dashed = dashed;
            s.rightAxis = right;
            s.mode = SeriesMode::Replace;
            s.style = style;
            l.series.push_back(s);
        };
        add("interp_train_loss", "interpolation", "train loss", "train_loss", 0, false, false,
            SeriesStyle::Line);
        add("interp_test_loss", "interpolation", "test loss", "test_loss", 0, true, false,
            SeriesStyle::Line);
        add("interp_train_acc", "interpolation", "train accuracy", "train_accuracy_percent", 1,
            false, true, SeriesStyle::Line);
        add("interp_test_acc", "interpolation", "test accuracy", "test_accuracy_percent", 1, true,
            true, SeriesStyle::Line);
        add("solutions", "interpolation", "trained solutions (α = 0, 1)", "train_loss", 2, false,
            false, SeriesStyle::Scatter);
        if (directionPoints_ > 0)
            for (const auto& j : jobs_)
                add("direction_" + j.key, "directions", j.name, "train_loss", j.color, false, false,
                    SeriesStyle::Line);
        if (landscapePoints_ > 0)
            for (const auto& j : jobs_) {
                SeriesSpec h;
                h.id = "landscape_" + j.key;
                h.panel = "landscape_" + j.key;
                h.name = j.name;
                h.xName = "t1";
                h.yName = "t2";
                h.mode = SeriesMode::Replace;
                h.style = SeriesStyle::Heatmap;
                l.series.push_back(h);
            }
        for (const auto& j : jobs_) addCurves(l, j, common_.metric);
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        LoadedData d = loadData(common_, ctx_.dataDir, sink);
        for (auto& j : jobs_) j.data = &d.data;
        std::vector<ModelState> states(2);
        std::vector<Sharpness> sharp(2);
        std::vector<std::vector<double>> dirT(2), dirLoss(2);
        std::vector<json> landscapes(2);
        // Evaluation subsets: drawn per class from the run's seed (never the first n).
        json subsets = d.subsets;
        ImageTensors sharpData, dirData, bnData;
        if (epsilon_ > 0)
            sharpData = evaluationSubset(d.data.train, sharpImages_, SubsetPurpose::SharpnessImages,
                                         common_.seed, common_.subset,
                                         "training images for ε-sharpness", sink,
                                         subsets["sharpness_images"]);
        if (directionPoints_ > 0 || landscapePoints_ > 0)
            dirData = evaluationSubset(d.data.train, directionImages_,
                                       SubsetPurpose::DirectionImages, common_.seed,
                                       common_.subset,
                                       "training images for the random-direction views", sink,
                                       subsets["direction_images"]);
        if (reestimate_)
            bnData = evaluationSubset(d.data.train, bnBatches_ * 100,
                                      SubsetPurpose::BatchNormImages, common_.seed, common_.subset,
                                      "training images for BatchNorm re-estimation", sink,
                                      subsets["batch_norm_images"]);
        // After each solution is trained: its state, its ε-sharpness and its 1-D profile.
        auto onTrained = [&](size_t k, CnnImpl& model, const ImageTrainResult&) {
            states[k] = captureState(model);
            if (epsilon_ > 0) {
                sharp[k] = epsilonSharpness(model, sharpData, d.data.mean, d.data.std, epsilon_,
                                            sharpSteps_);
                sink.logged(jobs_[k].name + ": ε-sharpness (ε = " + fmt(epsilon_) + ") " +
                            fmt(sharp[k].value) + "% (loss " + fmt(sharp[k].baseLoss) + " → " +
                            fmt(sharp[k].maxLoss) + " in the box)");
            }
            if (directionPoints_ > 0) {
                const auto dir = randomDirection(states[k], common_.seed * 31 + k + 7);
                for (int i = 0; i < directionPoints_ && !control.cancel; ++i) {
                    const double t =
                        directionPoints_ == 1 ? 0 : -1.0 + 2.0 * i / (directionPoints_ - 1);
                    loadState(model, displaceState(states[k], dir, t));
                    dirT[k].push_back(t);
                    dirLoss[k].push_back(
                        evaluateClassifier(model, dirData, d.data.mean, d.data.std).loss);
                    sink.seriesReplaced("direction_" + jobs_[k].key, dirT[k], dirLoss[k]);
                }
                loadState(model, states[k]);
            }
            if (landscapePoints_ > 0) {
                // Two independent filter-normalised directions; the grid fills row by row.
                const auto d1 = randomDirection(states[k], common_.seed * 31 + k + 101);
                const auto d2 = randomDirection(states[k], common_.seed * 31 + k + 202);
                const int n = landscapePoints_;
                std::vector<double> ts;
                for (int i = 0; i < n; ++i) ts.push_back(n == 1 ? 0 : -1.0 + 2.0 * i / (n - 1));
                std::vector<double> z(static_cast<size_t>(n * n), NAN);
                for (int iy = 0; iy < n && !control.cancel; ++iy) {
                    for (int ix = 0; ix < n; ++ix) {
                        loadState(model, displaceState(states[k], d1, ts[static_cast<size_t>(ix)],
                                                       d2, ts[static_cast<size_t>(iy)]));
                        z[static_cast<size_t>(iy * n + ix)] =
                            evaluateClassifier(model, dirData, d.data.mean, d.data.std).loss;
                    }
                    sink.gridReplaced("landscape_" + jobs_[k].key, ts, ts, z);
                }
                loadState(model, states[k]);
                landscapes[k] = {{"t", ts}, {"loss", z}};
            }
        };
        const auto trained = runAll(jobs_, common_, ctx_.threads, control, sink, {}, {}, onTrained);
        json out = baseResults(d);
        out["subsets"] = subsets;
        out["solutions"] = json::array();
        for (size_t k = 0; k < 2; ++k) {
            if (trained[k].epochs.empty()) continue;
            json s = jobJson(jobs_[k], trained[k], common_.metric);
            s["batch_size"] = jobs_[k].batch;
            s["lr"] = jobs_[k].lr;
            if (epsilon_ > 0)
                s["sharpness"] = {{"epsilon", epsilon_},
                                  {"steps", sharpSteps_},
                                  {"images", sharpData.size()},
                                  {"percent", sharp[k].value},
                                  {"base_loss", sharp[k].baseLoss},
                                  {"max_loss", sharp[k].maxLoss}};
            if (!dirT[k].empty()) s["direction_profile"] = {{"t", dirT[k]}, {"loss", dirLoss[k]}};
            if (!landscapes[k].is_null()) s["landscape_2d"] = landscapes[k];
            out["solutions"].push_back(s);
        }
        if (control.cancel || states[0].params.empty() || states[1].params.empty()) {
            out["headline"] = "cancelled before both solutions were trained";
            return out;
        }

        // The α grid, evaluated concurrently (each worker with its own model copy); the curves
        // are redrawn in α order as points arrive.
        std::vector<double> alphas;
        for (int i = 0; i < points_; ++i)
            alphas.push_back(points_ == 1 ? from_ : from_ + (to_ - from_) * i / (points_ - 1));
        std::vector<PointEval> evals(alphas.size());
        std::vector<bool> done(alphas.size(), false);
        std::mutex mutex;
        sink.logged("Interpolating at " + std::to_string(points_) + " values of α in [" +
                    fmt(from_) + ", " + fmt(to_) + "], BatchNorm statistics " +
                    (reestimate_ ? "re-estimated on " + std::to_string(bnBatches_) +
                                       " training batches at each α"
                                 : "interpolated") +
                    "; each point evaluates " + withCommas(d.data.train.size()) + " training and " +
                    withCommas(d.data.test.size()) + " test images");
        const auto tAlpha = std::chrono::steady_clock::now();
        auto redraw = [&] {
            std::vector<double> x, trl, tel, tra, tea;
            for (size_t i = 0; i < alphas.size(); ++i) {
                if (!done[i]) continue;
                x.push_back(alphas[i]);
                trl.push_back(evals[i].train.loss);
                tel.push_back(evals[i].test.loss);
                tra.push_back(100 * evals[i].train.accuracy);
                tea.push_back(100 * evals[i].test.accuracy);
            }
            sink.seriesReplaced("interp_train_loss", x, trl);
            sink.seriesReplaced("interp_test_loss", x, tel);
            sink.seriesReplaced("interp_train_acc", x, tra);
            sink.seriesReplaced("interp_test_acc", x, tea);
        };
        const int workers =
            workerCount(static_cast<int>(alphas.size()), common_.parallel, ctx_.threads);
        std::vector<Cnn> models;
        for (int w = 0; w < workers; ++w) {
            models.emplace_back(jobs_[0].spec, 0);
            models.back()->useChannelsLast(true);
        }
        std::vector<size_t> freeModels;  // each worker borrows a model copy per point
        for (size_t w = 0; w < models.size(); ++w) freeModels.push_back(w);
        int finished = 0;
        runJobs(static_cast<int>(alphas.size()), workers, control, [&](int i) {
            size_t m = 0;
            {
                std::lock_guard<std::mutex> lock(mutex);
                m = freeModels.back();
                freeModels.pop_back();
            }
            const size_t k = static_cast<size_t>(i);
            const PointEval e =
                evaluateState(*models[m], interpolateStates(states[0], states[1], alphas[k], true),
                              d.data, reestimate_, bnData, bnBatches_, common_.seed);
            std::lock_guard<std::mutex> lock(mutex);
            freeModels.push_back(m);
            evals[k] = e;
            done[k] = true;
            redraw();
            const int n = ++finished;
            sink.progressed(static_cast<double>(n) / static_cast<double>(alphas.size()),
                            "α = " + fmt(alphas[k]) + " (" + std::to_string(n) + " / " +
                                std::to_string(alphas.size()) + ")");
        });
        const double alphaSeconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - tAlpha).count();

        // The two solutions themselves, marked on the curve.
        std::vector<double> sx, sy;
        std::vector<std::string> labels;
        for (size_t k = 0; k < 2; ++k) {
            const double a = static_cast<double>(k);
            std::vector<double> xs, ys;
            for (size_t i = 0; i < alphas.size(); ++i)
                if (done[i]) {
                    xs.push_back(alphas[i]);
                    ys.push_back(evals[i].train.loss);
                }
            if (xs.empty()) break;
            sx.push_back(a);
            sy.push_back(nearest(xs, ys, a));
            labels.push_back(jobs_[k].name);
        }
        sink.seriesReplaced("solutions", sx, sy);
        sink.labelsReplaced("solutions", labels);

        json curve = json::array();
        std::vector<double> xs, trainLoss;
        for (size_t i = 0; i < alphas.size(); ++i) {
            if (!done[i]) continue;
            xs.push_back(alphas[i]);
            trainLoss.push_back(evals[i].train.loss);
            curve.push_back({{"alpha", alphas[i]},
                             {"train_loss", evals[i].train.loss},
                             {"train_accuracy", evals[i].train.accuracy},
                             {"test_loss", evals[i].test.loss},
                             {"test_accuracy", evals[i].test.accuracy}});
        }
        out["alpha_curve"] = curve;
        out["batch_norm"] = reestimate_ ? "reestimate" : "interpolate";
        out["seconds_per_alpha_point"] =
            finished > 0 ? alphaSeconds * workers / static_cast<double>(finished) : NAN;
        std::string headline;
        if (!xs.empty()) {
            const double l0 = nearest(xs, trainLoss, 0), l1 = nearest(xs, trainLoss, 1);
            double barrier = -INFINITY, at = 0;
            for (size_t i = 0; i < xs.size(); ++i)
                if (xs[i] > 0 && xs[i] < 1 && trainLoss[i] > barrier) {
                    barrier = trainLoss[i];
                    at = xs[i];
                }
            out["train_loss_at_0"] = l0;
            out["train_loss_at_1"] = l1;
            // Rise of the training loss 0.25 beyond each end: the steeper side is sharper.
            const double rise0 = nearest(xs, trainLoss, -0.25) - l0;
            const double rise1 = nearest(xs, trainLoss, 1.25) - l1;
            out["rise_beyond_0"] = rise0;
            out["rise_beyond_1"] = rise1;
            headline = "train loss " + fmt(l0) + " at α = 0, " + fmt(l1) + " at α = 1";
            if (std::isfinite(barrier)) {
                out["barrier"] = {
                    {"alpha", at}, {"train_loss", barrier}, {"height", barrier - std::max(l0, l1)}};
                headline += ", highest in between " + fmt(barrier) + " at α = " + fmt(at, 2);
            }
            auto show = [](double v) {
                return std::isfinite(v) ? fmt(v) : std::string("overflow");
            };
            headline += "; rise 0.25 beyond: " + show(rise0) + " (solution 1), " + show(rise1) +
                        " (solution 2)";
        }
        if (epsilon_ > 0)
            headline +=
                "; ε-sharpness " + fmt(sharp[0].value) + "% vs " + fmt(sharp[1].value) + "%";
        out["seconds"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out["headline"] = headline.empty() ? "no α point evaluated" : headline;
        return out;
    }

  private:
    Common common_;
    ExperimentContext ctx_;
    std::vector<Job> jobs_;
    double from_ = -1, to_ = 2, epsilon_ = 1e-3;
    int points_ = 61, directionPoints_ = 21, sharpSteps_ = 10, landscapePoints_ = 0;
    bool reestimate_ = false;
    std::int64_t bnBatches_ = 20, directionImages_ = 2000, sharpImages_ = 1000;
};

// ---------------------------------------------------------------------------------------
// 3-3 part 2: the same net at several batch sizes under one budget; sensitivity of each.

enum class Budget { Epochs, Steps, LossTarget };

class SensitivityExperiment : public Experiment {
  public:
    SensitivityExperiment(const json& c, const ExperimentContext& ctx)
        : common_(readCommon(c)), ctx_(ctx) {
        const DatasetSpec* spec = findDatasetSpec(common_.dataset);
        if (!spec) throw ConfigError({"dataset '" + common_.dataset + "' is unknown"});
        const std::string budget = c.at("budget").get<std::string>();
        budget_ = budget == "steps"         ? Budget::Steps
                  : budget == "loss_target" ? Budget::LossTarget
                                            : Budget::Epochs;
        budgetName_ = budget;
        steps_ = c.at("steps").get<std::int64_t>();
        target_ = c.at("loss_target").get<double>();
        images_ = c.at("sensitivity_images").get<std::int64_t>();
        lossGradient_ = c.at("loss_gradient").get<bool>();
        const int which = c.at("model").get<int>();
        int color = 0;
        for (const auto& b : c.at("batch_sizes")) {
            Job j;
            j.batch = b.get<std::int64_t>();
            j.key = "b" + std::to_string(j.batch);
            j.name = "batch " + std::to_string(j.batch);
            j.spec = cnnModel(which, spec->channels, spec->height, spec->width);
            // One initialisation for every batch size: only the batch size differs.
            j.seed = common_.seed * 1000003ULL + static_cast<std::uint64_t>(which);
            j.color = color++ % 8;
            if (budget_ == Budget::Steps) {
                j.maxSteps = steps_;
                j.epochs = 1000000;  // the step budget ends it
            }
            if (budget_ == Budget::LossTarget) j.lossTarget = target_;
            jobs_.push_back(j);
        }
    }

    PlotLayout layout() const override {
        PlotLayout l;
        l.panels.push_back({"batch_acc", "Accuracy and sensitivity vs batch size",
                            "batch size (log)", "accuracy (%)", "sensitivity ‖∂softmax/∂x‖_F", true,
                            false, false});
        l.panels.push_back({"batch_loss", "Loss and sensitivity vs batch size", "batch size (log)",
                            "cross-entropy", "sensitivity ‖∂softmax/∂x‖_F", true, false, false});
        addEpochPanels(l);
        auto add = [&](const std::string& id, const std::string& panel, const std::string& name,
                       const std::string& y, int color, bool dashed, bool right) {
            SeriesSpec s;
            s.id = id;
            s.panel = panel;
            s.name = name;
            s.xName = "batch_size";
            s.yName = y;
            s.color = color;
            s.dashed = dashed;
            s.rightAxis = right;
            s.mode = SeriesMode::Replace;
            l.series.push_back(s);
        };
        const std::string tr =
            common_.metric == TrainMetric::Clean ? "train (clean pass)" : "train (running)";
        add("bs_train_acc", "batch_acc", tr, "train_accuracy_percent", 0, false, false);
        add("bs_test_acc", "batch_acc", "test", "test_accuracy_percent", 0, true, false);
        add("bs_sensitivity_acc", "batch_acc", "sensitivity (right axis)", "sensitivity", 3, false,
            true);
        add("bs_train_loss", "batch_loss", tr, "train_loss", 1, false, false);
        add("bs_test_loss", "batch_loss", "test", "test_loss", 1, true, false);
        add("bs_sensitivity_loss", "batch_loss", "sensitivity (right axis)", "sensitivity", 3,
            false, true);
        if (lossGradient_)
            add("bs_loss_gradient", "batch_loss", "‖∂L/∂x‖_F (right axis)", "loss_input_gradient",
                4, true, true);
        for (const auto& j : jobs_) addCurves(l, j, common_.metric);
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        LoadedData d = loadData(common_, ctx_.dataDir, sink);
        for (auto& j : jobs_) j.data = &d.data;
        json subsets = d.subsets;
        const ImageTensors sensData = evaluationSubset(
            d.data.test, images_, SubsetPurpose::SensitivityImages, common_.seed, common_.subset,
            "test images for sensitivity", sink, subsets["sensitivity_images"]);
        const std::int64_t n = sensData.size();
        sink.logged("Budget: " +
                    (budget_ == Budget::Epochs  ? std::to_string(common_.epochs) + " epochs"
                     : budget_ == Budget::Steps ? withCommas(steps_) + " steps"
                                                : "train loss ≤ " + fmt(target_) + " (at most " +
                                                      std::to_string(common_.epochs) + " epochs)") +
                    " per batch size; sensitivity on " + withCommas(n) + " test images");
        struct Point {
            bool done = false;
            EpochMetrics last;
            double sensitivity = NAN, lossGradient = NAN, seconds = 0;
            std::int64_t steps = 0;
            bool reachedTarget = false;
        };
        std::vector<Point> points(jobs_.size());
        std::mutex mutex;
        auto redraw = [&] {
            std::vector<size_t> order;
            for (size_t k = 0; k < jobs_.size(); ++k)
                if (points[k].done) order.push_back(k);
            std::sort(order.begin(), order.end(),
                      [&](size_t a, size_t b) { return jobs_[a].batch < jobs_[b].batch; });
            std::vector<double> x, tra, tea, trl, tel, sens, lg;
            std::vector<std::string> labels;
            for (size_t k : order) {
                const auto& p = points[k];
                x.push_back(static_cast<double>(jobs_[k].batch));
                tra.push_back(100 * p.last.trainAccuracy);
                tea.push_back(100 * p.last.testAccuracy);
                trl.push_back(p.last.trainLoss);
                tel.push_back(p.last.testLoss);
                sens.push_back(p.sensitivity);
                lg.push_back(p.lossGradient);
                labels.push_back(jobs_[k].name + " · " + withCommas(p.steps) + " steps · test " +
                                 pct(p.last.testAccuracy) + " · sensitivity " + fmt(p.sensitivity));
            }
            const std::pair<const char*, const std::vector<double>*> series[] = {
                {"bs_train_acc", &tra},        {"bs_test_acc", &tea},
                {"bs_train_loss", &trl},       {"bs_test_loss", &tel},
                {"bs_sensitivity_acc", &sens}, {"bs_sensitivity_loss", &sens}};
            for (const auto& [id, ys] : series) {
                sink.seriesReplaced(id, x, *ys);
                sink.labelsReplaced(id, labels);
            }
            if (lossGradient_) sink.seriesReplaced("bs_loss_gradient", x, lg);
        };
        auto onTrained = [&](size_t k, CnnImpl& model, const ImageTrainResult& r) {
            // Evaluation only: the training above is finished and its gradients untouched.
            Point p;
            p.sensitivity = meanSensitivity(model, sensData, d.data.mean, d.data.std, 0);
            if (lossGradient_) {
                p.lossGradient = lossInputGradientNorm(
                    model, normaliseImages(sensData.images, d.data.mean, d.data.std),
                    sensData.labels);
            }
            p.last = r.epochs.back();
            p.steps = r.steps;
            p.seconds = r.seconds;
            p.reachedTarget = r.reachedLossTarget;
            p.done = true;
            sink.logged(jobs_[k].name + ": " + withCommas(r.steps) + " steps, train loss " +
                        fmt(p.last.trainLoss) + ", test accuracy " + pct(p.last.testAccuracy) +
                        ", sensitivity " + fmt(p.sensitivity));
            std::lock_guard<std::mutex> lock(mutex);
            points[k] = p;
            redraw();
        };
        const auto results = runAll(jobs_, common_, ctx_.threads, control, sink, {}, {}, onTrained);

        json out = baseResults(d);
        out["subsets"] = subsets;
        out["budget"] = budgetName_;
        if (budget_ == Budget::Steps) out["steps_budget"] = steps_;
        if (budget_ == Budget::LossTarget) out["loss_target"] = target_;
        out["sensitivity_images"] = n;
        out["sensitivity"] = "mean over test images of ‖∂softmax(f(x))/∂x‖_F (Novak et al. 2018)";
        out["batches"] = json::array();
        std::vector<std::pair<double, double>> bs;  // (batch, sensitivity)
        for (size_t k = 0; k < jobs_.size(); ++k) {
            if (!points[k].done) continue;
            json b = jobJson(jobs_[k], results[k], common_.metric);
            b["batch_size"] = jobs_[k].batch;
            b["sensitivity"] = points[k].sensitivity;
            if (lossGradient_) b["loss_input_gradient"] = points[k].lossGradient;
            if (budget_ == Budget::LossTarget) b["reached_loss_target"] = points[k].reachedTarget;
            out["batches"].push_back(b);
            bs.emplace_back(static_cast<double>(jobs_[k].batch), points[k].sensitivity);
        }
        std::sort(bs.begin(), bs.end());
        std::string headline = std::to_string(bs.size()) + " of " + std::to_string(jobs_.size()) +
                               " batch sizes trained (" + budgetName_ + " budget)";
        if (bs.size() >= 2) {
            // Spearman-free summary: how often sensitivity rises from one batch size to the next.
            int rises = 0;
            for (size_t i = 1; i < bs.size(); ++i) rises += bs[i].second > bs[i - 1].second;
            out["sensitivity_rises"] = rises;
            headline += "; sensitivity " + fmt(bs.front().second) + " at batch " +
                        withCommas(static_cast<std::uint64_t>(bs.front().first)) + " → " +
                        fmt(bs.back().second) + " at batch " +
                        withCommas(static_cast<std::uint64_t>(bs.back().first)) + ", rising in " +
                        std::to_string(rises) + " of " + std::to_string(bs.size() - 1) + " steps";
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
    Budget budget_ = Budget::Epochs;
    std::string budgetName_;
    std::int64_t steps_ = 3000, images_ = 1000;
    double target_ = 0.05;
    bool lossGradient_ = false;
};

std::vector<std::string> interpolationCheck(const json& c) {
    auto p = commonCheck(c);
    if (c.at("alpha_from").get<double>() >= c.at("alpha_to").get<double>())
        p.push_back("'alpha_from' must be below 'alpha_to'");
    return p;
}

std::vector<std::string> sensitivityCheck(const json& c) {
    auto p = commonCheck(c);
    for (auto& m : listedTwice(c, "batch_sizes", "")) p.push_back(std::move(m));
    if (c.at("budget").get<std::string>() == "steps") {
        // A step budget at a batch size multiplies into examples: refuse days of training.
        double examples = 0;
        for (const auto& b : c.at("batch_sizes"))
            examples += b.get<double>() * c.at("steps").get<double>();
        if (examples > 2e9)
            p.push_back("'steps' × batch sizes is " +
                        std::to_string(static_cast<long long>(examples)) +
                        " training examples (at most 2 billion)");
    }
    return p;
}

}  // namespace

ExperimentKind interpolationKind() {
    ExperimentKind k;
    k.id = "interpolation";
    k.schema = [](const json&) {
        auto s = commonSchema(1000);
        find(s, "batch_size")->label = "Batch size, solution 1";
        find(s, "lr")->label = "Learning rate, solution 1";
        auto pos = s.begin() + 3;
        s.insert(
            pos,
            {makeParam("model", "Model", "Model", ParamType::Int, 1, 3, "Which CNN of 1-2"),
             makeParam("batch_size_2", "Batch size, solution 2", "Training", ParamType::Int, 1,
                       60000, "Solution 2 differs from solution 1 in batch size…"),
             makeParam("lr_2", "Learning rate, solution 2", "Training", ParamType::Double, 1e-8, 10,
                       "… and/or learning rate", true),
             makeParam("alpha_from", "α from", "Interpolation", ParamType::Double, -10, 10,
                       "θ(α) = (1 − α)·θ₁ + α·θ₂"),
             makeParam("alpha_to", "α to", "Interpolation", ParamType::Double, -10, 10, ""),
             makeParam("alpha_points", "α points", "Interpolation", ParamType::Int, 2, 1001,
                       "Each point evaluates the whole train and test sets"),
             makeChoice("batch_norm", "BatchNorm statistics", "Interpolation",
                        {"interpolate", "reestimate"},
                        "interpolate the running statistics too, or re-estimate them on "
                        "training batches at each α"),
             makeParam("bn_batches", "Re-estimation batches", "Interpolation", ParamType::Int, 1,
                       1000, "Training batches of 100 averaged per α"),
             makeParam("direction_points", "Random-direction points", "Flatness", ParamType::Int, 0,
                       201,
                       "Loss along a filter-normalised random direction through each "
                       "solution, t in [−1, 1] (0 = off)"),
             makeParam("direction_images", "Random-direction images", "Flatness", ParamType::Int, 0,
                       60000, "Training images per point of the 1-D and 2-D views (0 = all)"),
             makeParam("landscape_points", "2-D landscape points per side", "Flatness",
                       ParamType::Int, 0, 101,
                       "Loss on an n×n grid of two filter-normalised directions through "
                       "each solution, both in [−1, 1] (0 = off)"),
             makeParam("sharpness_epsilon", "ε-sharpness ε", "Flatness", ParamType::Double, 0, 1,
                       "Box half-width ε(|θ|+1) (Keskar et al. 2017; 0 = off)"),
             makeParam("sharpness_steps", "ε-sharpness steps", "Flatness", ParamType::Int, 1, 100,
                       "Projected ascent steps"),
             makeParam("sharpness_images", "ε-sharpness images", "Flatness", ParamType::Int, 0,
                       60000, "Training images (0 = all)")});
        return s;
    };
    k.check = interpolationCheck;
    k.datasets = datasetsOf;
    k.create = [](const json& c, const ExperimentContext& ctx) -> std::unique_ptr<Experiment> {
        return std::make_unique<InterpolationExperiment>(c, ctx);
    };
    return k;
}

ExperimentKind sensitivityKind() {
    ExperimentKind k;
    k.id = "sensitivity";
    k.schema = [](const json&) {
        auto s = without(commonSchema(1000), {"batch_size"});
        find(s, "epochs")->help = "The budget with 'epochs'; the cap with 'loss_target'";
        ParamSpec batches = makeParam("batch_sizes", "Batch sizes", "Training", ParamType::IntList,
                                      1, 60000, "One training per batch size");
        batches.minItems = 2;
        batches.maxItems = 16;
        s.insert(s.begin() + 3,
                 {makeParam("model", "Model", "Model", ParamType::Int, 1, 3, "Which CNN of 1-2"),
                  batches,
                  makeChoice("budget", "Budget", "Training", {"epochs", "steps", "loss_target"},
                             "Fixed epochs favour small batches (more steps); fixed steps or a "
                             "loss target compare comparably trained nets"),
                  makeParam("steps", "Steps", "Training", ParamType::Int, 1, 10000000,
                            "The budget with 'steps'"),
                  makeParam("loss_target", "Train-loss target", "Training", ParamType::Double, 1e-6,
                            10, "The budget with 'loss_target' (measured each epoch)", true),
                  makeParam("sensitivity_images", "Sensitivity images", "Sensitivity",
                            ParamType::Int, 0, 10000, "Test images averaged (0 = all)"),
                  makeParam("loss_gradient", "Also ‖∂L/∂x‖_F", "Sensitivity", ParamType::Bool, 0, 0,
                            "The homework's variant, of the batch-mean loss")});
        return s;
    };
    k.check = sensitivityCheck;
    k.datasets = datasetsOf;
    k.create = [](const json& c, const ExperimentContext& ctx) -> std::unique_ptr<Experiment> {
        return std::make_unique<SensitivityExperiment>(c, ctx);
    };
    return k;
}

}  // namespace trainlab
