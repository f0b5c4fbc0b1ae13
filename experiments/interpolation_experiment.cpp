#include "interpolation_experiment.h"

#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cmath>
#include <mutex>

#include "curve_summaries.h"
#include "errors.h"
#include "flatness.h"
#include "image_experiment_common.h"
#include "parallel_runs.h"

namespace trainlab {

using nlohmann::json;
using namespace image_exp;

namespace {

enum class BatchNormStats { Interpolate, Reestimate };
inline constexpr EnumName<BatchNormStats> kBatchNormNames[] = {
    {BatchNormStats::Interpolate, "interpolate"}, {BatchNormStats::Reestimate, "reestimate"}};

struct InterpolationConfig {
    Common common;
    int model = 1;
    std::int64_t batch2 = 100;
    double lr2 = 1e-3;
    double from = -1, to = 2;
    int points = 61;
    BatchNormStats batchNorm = BatchNormStats::Interpolate;
    /// BatchNorm statistics re-estimated at each α (else interpolated with the weights).
    bool reestimate() const { return batchNorm == BatchNormStats::Reestimate; }
    std::int64_t bnBatches = 20;
    int directionPoints = 21;
    std::int64_t directionImages = 2000;
    int landscapePoints = 0;
    double epsilon = 1e-3;
    int sharpSteps = 10;
    std::int64_t sharpImages = 1000;
};

void addInterpolationFields(ConfigFields<InterpolationConfig>& t) {
    using C = InterpolationConfig;
    t.field(integerParam("model", "Model", "Model", 1, 3, "", "Which CNN of 1-2"), &C::model);
    t.field(imageBatchSizeParam("Solution 2 differs from solution 1 in batch size…", "batch_size_2",
                                "Batch size, solution 2"),
            &C::batch2);
    t.field(learningRateParam("… and/or learning rate", "lr_2", "Learning rate, solution 2"),
            &C::lr2);
    t.field(numberParam("alpha_from", "α from", "Interpolation", -10, 10, "",
                        "θ(α) = (1 − α)·θ₁ + α·θ₂"),
            &C::from);
    t.field(numberParam("alpha_to", "α to", "Interpolation", -10, 10, "", ""), &C::to);
    t.field(integerParam("alpha_points", "α points", "Interpolation", 2, 1001, "",
                         "Each point evaluates the whole train and test sets"),
            &C::points);
    t.choice(choiceParam("batch_norm", "BatchNorm statistics", "Interpolation",
                         "interpolate the running statistics too, or re-estimate them on "
                         "training batches at each α"),
             kBatchNormNames, &C::batchNorm);
    t.field(integerParam("bn_batches", "Re-estimation batches", "Interpolation", 1, 1000, "",
                         "Training batches of 100 averaged per α"),
            &C::bnBatches);
}

void addFlatnessFields(ConfigFields<InterpolationConfig>& t) {
    using C = InterpolationConfig;
    t.field(integerParam("direction_points", "Random-direction points", "Flatness", 0, 201, "",
                         "Loss along a filter-normalised random direction through each "
                         "solution, t in [−1, 1] (0 = off)"),
            &C::directionPoints);
    t.field(integerParam("direction_images", "Random-direction images", "Flatness", 0, 60000, "",
                         "Training images per point of the 1-D and 2-D views (0 = all)"),
            &C::directionImages);
    t.field(
        integerParam("landscape_points", "2-D landscape points per side", "Flatness", 0, 101, "",
                     "Loss on an n×n grid of two filter-normalised directions through "
                     "each solution, both in [−1, 1] (0 = off)"),
        &C::landscapePoints);
    t.field(numberParam("sharpness_epsilon", "ε-sharpness ε", "Flatness", 0, 1, "",
                        "Box half-width ε(|θ|+1) (Keskar et al. 2017; 0 = off)"),
            &C::epsilon);
    t.field(integerParam("sharpness_steps", "ε-sharpness steps", "Flatness", 1, 100, "",
                         "Projected ascent steps"),
            &C::sharpSteps);
    t.field(integerParam("sharpness_images", "ε-sharpness images", "Flatness", 0, 60000, "",
                         "Training images (0 = all)"),
            &C::sharpImages);
}

const ConfigFields<InterpolationConfig>& interpolationFields() {
    static const ConfigFields<InterpolationConfig> fields = [] {
        ConfigFields<InterpolationConfig> t;
        addDataFields(t);
        addInterpolationFields(t);
        addFlatnessFields(t);
        CommonFieldOptions o;
        o.batchLabel = "Batch size, solution 1";
        o.lrLabel = "Learning rate, solution 1";
        addTrainingFields(t, o);
        return t;
    }();
    return fields;
}

/// The series of the α panel, and of each solution's own views: ids spelled once.
struct InterpolationSeries {
    std::string trainLoss = "interp_train_loss", testLoss = "interp_test_loss",
                trainAcc = "interp_train_acc", testAcc = "interp_test_acc", solutions = "solutions";
    std::array<std::string, 2> direction{"direction_s1", "direction_s2"};
    std::array<std::string, 2> landscape{"landscape_s1", "landscape_s2"};
};
const InterpolationSeries kSeries;

/// Loss and accuracy of one state on the train and test sets.
struct PointEval {
    Evaluation train, test;
};

/// The evaluation subsets, drawn per class from the run's seed (never the first n).
struct EvalSubsets {
    ImageTensors sharp, dir, bn;
    json record;  ///< results.json "subsets"
};

/// What is measured on a solution right after its training.
struct SolutionProbe {
    ModelState state;
    Sharpness sharp;
    std::vector<double> dirT, dirLoss;
    json landscape;  ///< {"t", "loss"} or null
};

/// The α grid and the evaluations done so far (done[i]: evals[i] holds a value).
struct AlphaCurve {
    std::vector<double> alphas;
    std::vector<PointEval> evals;
    std::vector<bool> done;
    int finished = 0, workers = 1;
    double seconds = 0;
    std::vector<double> doneAlphas() const;
    std::vector<double> doneTrainLoss() const;
};

std::vector<double> AlphaCurve::doneAlphas() const {
    std::vector<double> xs;
    for (size_t i = 0; i < alphas.size(); ++i)
        if (done[i]) xs.push_back(alphas[i]);
    return xs;
}

std::vector<double> AlphaCurve::doneTrainLoss() const {
    std::vector<double> ys;
    for (size_t i = 0; i < alphas.size(); ++i)
        if (done[i]) ys.push_back(evals[i].train.loss);
    return ys;
}

struct InterpolationResults : ImageResults {
    json solutions = json::array();
    bool cancelled = false;      ///< before both solutions were trained
    json curve = json::array();  ///< one object per evaluated α
    bool reestimate = false;
    double secondsPerPoint = NAN;
    bool haveCurve = false;
    InterpolationSummary summary;
    bool sharpness = false;
    double sharp1 = 0, sharp2 = 0;  ///< ε-sharpness of the solutions (percent)

    std::string headline() const;
    json toJson() const;
};

std::string InterpolationResults::headline() const {
    if (cancelled) return "cancelled before both solutions were trained";
    std::string h;
    if (haveCurve) {
        const auto& s = summary;
        h = "train loss " + sig3(s.lossAt0) + " at α = 0, " + sig3(s.lossAt1) + " at α = 1";
        if (s.hasBarrier)
            h += ", highest in between " + sig3(s.barrierLoss) +
                 " at α = " + formatSignificant(s.barrierAlpha, 2);
        auto show = [](double v) { return std::isfinite(v) ? sig3(v) : std::string("overflow"); };
        h += "; rise 0.25 beyond: " + show(s.riseBeyond0) + " (solution 1), " +
             show(s.riseBeyond1) + " (solution 2)";
    }
    if (sharpness) h += "; ε-sharpness " + sig3(sharp1) + "% vs " + sig3(sharp2) + "%";
    return h.empty() ? "no α point evaluated" : h;
}

json InterpolationResults::toJson() const {
    json out = base;
    out["solutions"] = solutions;
    out["headline"] = headline();
    if (cancelled) return out;
    out["alpha_curve"] = curve;
    out["batch_norm"] = reestimate ? "reestimate" : "interpolate";
    out["seconds_per_alpha_point"] = secondsPerPoint;
    if (haveCurve) {
        const auto& s = summary;
        out["train_loss_at_0"] = s.lossAt0;
        out["train_loss_at_1"] = s.lossAt1;
        out["rise_beyond_0"] = s.riseBeyond0;
        out["rise_beyond_1"] = s.riseBeyond1;
        if (s.hasBarrier)
            out["barrier"] = {{"alpha", s.barrierAlpha},
                              {"train_loss", s.barrierLoss},
                              {"height", s.barrierHeight}};
    }
    out["seconds"] = seconds;
    return out;
}

class InterpolationExperiment : public ImageExperiment<InterpolationConfig> {
  public:
    InterpolationExperiment(const json& c, const ExperimentContext& ctx)
        : ImageExperiment(interpolationFields(), c, ctx) {
        for (int s = 0; s < 2; ++s) {
            const std::int64_t batch = s == 0 ? cfg_.common.batch : cfg_.batch2;
            const double lr = s == 0 ? cfg_.common.lr : cfg_.lr2;
            // Different seeds: two independent solutions, as two trainings in the original.
            Job& j = addJob("s" + std::to_string(s + 1),
                            "solution " + std::to_string(s + 1) + " (batch " +
                                std::to_string(batch) + ", lr " + sig3(lr) + ")",
                            imageModel(cfg_.model), s + 1, s == 0 ? 0 : 3);
            j.batch = batch;
            j.lr = lr;
        }
    }

    PlotLayout layout() const override;

    json run(ExperimentSink& sink, RunControl& control) override {
        LoadedData d = startRun(sink);
        trainOn(d.data);
        InterpolationResults res;
        const EvalSubsets subsets = drawEvalSubsets(d, sink);
        res.base = baseResults(d);
        res.base["subsets"] = subsets.record;
        const auto probes = trainSolutions(d, subsets, sink, control, res);
        if (control.cancel || probes[0].state.params.empty() || probes[1].state.params.empty()) {
            res.cancelled = true;
            return res.toJson();
        }
        const AlphaCurve curve = evaluateAlphaGrid(d, subsets.bn, probes, sink, control);
        markSolutions(curve, sink);
        summarise(curve, probes, res);
        return finish(res, d);
    }

  private:
    void addSeries(PlotLayout& l) const;
    EvalSubsets drawEvalSubsets(const LoadedData& d, ExperimentSink& sink) const;
    std::array<SolutionProbe, 2> trainSolutions(const LoadedData& d, const EvalSubsets& subsets,
                                                ExperimentSink& sink, RunControl& control,
                                                InterpolationResults& res) const;
    void probeSolution(size_t k, CnnImpl& model, const LoadedData& d, const EvalSubsets& subsets,
                       ExperimentSink& sink, RunControl& control, SolutionProbe& p) const;
    void directionProfile(size_t k, CnnImpl& model, const LoadedData& d, const ImageTensors& data,
                          ExperimentSink& sink, RunControl& control, SolutionProbe& p) const;
    void landscape2d(size_t k, CnnImpl& model, const LoadedData& d, const ImageTensors& data,
                     ExperimentSink& sink, RunControl& control, SolutionProbe& p) const;
    json solutionJson(size_t k, const ImageTrainResult& r, const SolutionProbe& p,
                      std::int64_t sharpImages) const;
    AlphaCurve evaluateAlphaGrid(const LoadedData& d, const ImageTensors& bnData,
                                 const std::array<SolutionProbe, 2>& probes, ExperimentSink& sink,
                                 RunControl& control) const;
    void logAlphaGrid(const LoadedData& d, ExperimentSink& sink) const;
    void markSolutions(const AlphaCurve& curve, ExperimentSink& sink) const;
    void summarise(const AlphaCurve& curve, const std::array<SolutionProbe, 2>& probes,
                   InterpolationResults& res) const;
};

PlotLayout InterpolationExperiment::layout() const {
    PlotLayout l;
    l.panels.push_back({"interpolation", "Loss and accuracy along θ(α) = (1 − α)·θ₁ + α·θ₂",
                        "α (0: solution 1, 1: solution 2)", "cross-entropy (log)", "accuracy (%)",
                        false, true, false});
    if (cfg_.directionPoints > 0)
        l.panels.push_back({"directions",
                            "Loss along a filter-normalised random direction (Li et al. 2018)",
                            "distance t (in filter norms)", "training cross-entropy (log)", "",
                            false, true, false});
    if (cfg_.landscapePoints > 0)
        for (size_t k = 0; k < 2; ++k)
            l.panels.push_back({kSeries.landscape[k],
                                "Loss around " + jobs_[k].name + " (2-D, filter-normalised)",
                                "direction 1 (filter norms)", "direction 2 (filter norms)",
                                "training cross-entropy (log colour)", false, false, true});
    addEpochPanels(l);
    addSeries(l);
    for (const auto& j : jobs_) addCurves(l, j, cfg_.common.metric);
    return l;
}

void InterpolationExperiment::addSeries(PlotLayout& l) const {
    auto add = [&](const std::string& id, const std::string& panel, const std::string& name,
                   const std::string& y, int color, bool dashed, bool right, SeriesStyle style) {
        SeriesSpec s = makeSeries(id, panel, name, panel == "directions" ? "t" : "alpha", y, color);
        s.dashed = dashed;
        s.rightAxis = right;
        s.mode = SeriesMode::Replace;
        s.style = style;
        l.series.push_back(s);
    };
    const auto line = SeriesStyle::Line;
    add(kSeries.trainLoss, "interpolation", "train loss", "train_loss", 0, false, false, line);
    add(kSeries.testLoss, "interpolation", "test loss", "test_loss", 0, true, false, line);
    add(kSeries.trainAcc, "interpolation", "train accuracy", "train_accuracy_percent", 1, false,
        true, line);
    add(kSeries.testAcc, "interpolation", "test accuracy", "test_accuracy_percent", 1, true, true,
        line);
    add(kSeries.solutions, "interpolation", "trained solutions (α = 0, 1)", "train_loss", 2, false,
        false, SeriesStyle::Scatter);
    if (cfg_.directionPoints > 0)
        for (size_t k = 0; k < 2; ++k)
            add(kSeries.direction[k], "directions", jobs_[k].name, "train_loss", jobs_[k].color,
                false, false, line);
    if (cfg_.landscapePoints > 0)
        for (size_t k = 0; k < 2; ++k) {
            SeriesSpec h = makeSeries(kSeries.landscape[k], kSeries.landscape[k], jobs_[k].name,
                                      "t1", "t2", 0);
            h.mode = SeriesMode::Replace;
            h.style = SeriesStyle::Heatmap;
            l.series.push_back(h);
        }
}

EvalSubsets InterpolationExperiment::drawEvalSubsets(const LoadedData& d,
                                                     ExperimentSink& sink) const {
    const Common& c = cfg_.common;
    EvalSubsets s;
    s.record = d.subsets;
    if (cfg_.epsilon > 0)
        s.sharp = evaluationSubset(d.data.train, cfg_.sharpImages, SubsetPurpose::SharpnessImages,
                                   c.seed, c.subset, "training images for ε-sharpness", sink,
                                   s.record["sharpness_images"]);
    if (cfg_.directionPoints > 0 || cfg_.landscapePoints > 0)
        s.dir = evaluationSubset(d.data.train, cfg_.directionImages, SubsetPurpose::DirectionImages,
                                 c.seed, c.subset, "training images for the random-direction views",
                                 sink, s.record["direction_images"]);
    if (cfg_.reestimate())
        s.bn = evaluationSubset(d.data.train, cfg_.bnBatches * 100, SubsetPurpose::BatchNormImages,
                                c.seed, c.subset, "training images for BatchNorm re-estimation",
                                sink, s.record["batch_norm_images"]);
    return s;
}

std::array<SolutionProbe, 2> InterpolationExperiment::trainSolutions(
    const LoadedData& d, const EvalSubsets& subsets, ExperimentSink& sink, RunControl& control,
    InterpolationResults& res) const {
    std::array<SolutionProbe, 2> probes;
    auto onTrained = [&](size_t k, CnnImpl& model, const ImageTrainResult&) {
        probeSolution(k, model, d, subsets, sink, control, probes[k]);
    };
    const auto trained = runAll(jobs_, cfg_.common, ctx_.threads, control, sink, {}, {}, onTrained);
    for (size_t k = 0; k < 2; ++k)
        if (!trained[k].epochs.empty())
            res.solutions.push_back(solutionJson(k, trained[k], probes[k], subsets.sharp.size()));
    return probes;
}

// After each solution is trained: its state, its ε-sharpness and its 1-D and 2-D views.
void InterpolationExperiment::probeSolution(size_t k, CnnImpl& model, const LoadedData& d,
                                            const EvalSubsets& subsets, ExperimentSink& sink,
                                            RunControl& control, SolutionProbe& p) const {
    p.state = captureState(model);
    if (cfg_.epsilon > 0) {
        p.sharp = epsilonSharpness(model, subsets.sharp, d.data.mean, d.data.std, cfg_.epsilon,
                                   cfg_.sharpSteps);
        sink.logged(jobs_[k].name + ": ε-sharpness (ε = " + sig3(cfg_.epsilon) + ") " +
                    sig3(p.sharp.value) + "% (loss " + sig3(p.sharp.baseLoss) + " → " +
                    sig3(p.sharp.maxLoss) + " in the box)");
    }
    if (cfg_.directionPoints > 0) directionProfile(k, model, d, subsets.dir, sink, control, p);
    if (cfg_.landscapePoints > 0) landscape2d(k, model, d, subsets.dir, sink, control, p);
}

void InterpolationExperiment::directionProfile(size_t k, CnnImpl& model, const LoadedData& d,
                                               const ImageTensors& data, ExperimentSink& sink,
                                               RunControl& control, SolutionProbe& p) const {
    const auto dir = randomDirection(p.state, cfg_.common.seed * 31 + k + 7);
    const auto ts = symmetricGrid(cfg_.directionPoints);
    for (size_t i = 0; i < ts.size() && !control.cancel; ++i) {
        loadState(model, displaceState(p.state, dir, ts[i]));
        p.dirT.push_back(ts[i]);
        p.dirLoss.push_back(evaluateClassifier(model, data, d.data.mean, d.data.std).loss);
        sink.seriesReplaced(kSeries.direction[k], p.dirT, p.dirLoss);
    }
    loadState(model, p.state);
}

void InterpolationExperiment::landscape2d(size_t k, CnnImpl& model, const LoadedData& d,
                                          const ImageTensors& data, ExperimentSink& sink,
                                          RunControl& control, SolutionProbe& p) const {
    // Two independent filter-normalised directions; the grid fills row by row.
    const auto d1 = randomDirection(p.state, cfg_.common.seed * 31 + k + 101);
    const auto d2 = randomDirection(p.state, cfg_.common.seed * 31 + k + 202);
    const size_t n = static_cast<size_t>(cfg_.landscapePoints);
    const std::vector<double> ts = symmetricGrid(cfg_.landscapePoints);
    std::vector<double> z(n * n, NAN);
    for (size_t iy = 0; iy < n && !control.cancel; ++iy) {
        for (size_t ix = 0; ix < n; ++ix) {
            loadState(model, displaceState(p.state, d1, ts[ix], d2, ts[iy]));
            z[iy * n + ix] = evaluateClassifier(model, data, d.data.mean, d.data.std).loss;
        }
        sink.gridReplaced(kSeries.landscape[k], ts, ts, z);
    }
    loadState(model, p.state);
    p.landscape = {{"t", ts}, {"loss", z}};
}

json InterpolationExperiment::solutionJson(size_t k, const ImageTrainResult& r,
                                           const SolutionProbe& p, std::int64_t sharpImages) const {
    json s = jobJson(jobs_[k], r, cfg_.common.metric);
    s["batch_size"] = jobs_[k].batch;
    s["lr"] = jobs_[k].lr;
    if (cfg_.epsilon > 0)
        s["sharpness"] = {{"epsilon", cfg_.epsilon},       {"steps", cfg_.sharpSteps},
                          {"images", sharpImages},         {"percent", p.sharp.value},
                          {"base_loss", p.sharp.baseLoss}, {"max_loss", p.sharp.maxLoss}};
    if (!p.dirT.empty()) s["direction_profile"] = {{"t", p.dirT}, {"loss", p.dirLoss}};
    if (!p.landscape.is_null()) s["landscape_2d"] = p.landscape;
    return s;
}

void InterpolationExperiment::logAlphaGrid(const LoadedData& d, ExperimentSink& sink) const {
    sink.logged("Interpolating at " + std::to_string(cfg_.points) + " values of α in [" +
                sig3(cfg_.from) + ", " + sig3(cfg_.to) + "], BatchNorm statistics " +
                (cfg_.reestimate() ? "re-estimated on " + std::to_string(cfg_.bnBatches) +
                                         " training batches at each α"
                                   : "interpolated") +
                "; each point evaluates " + withCommas(d.data.train.size()) + " training and " +
                withCommas(d.data.test.size()) + " test images");
}

// The α grid, evaluated concurrently (each worker with its own model copy); the curves are
// redrawn in α order as points arrive.
AlphaCurve InterpolationExperiment::evaluateAlphaGrid(const LoadedData& d,
                                                      const ImageTensors& bnData,
                                                      const std::array<SolutionProbe, 2>& probes,
                                                      ExperimentSink& sink,
                                                      RunControl& control) const {
    AlphaCurve curve;
    curve.alphas = evenGrid(cfg_.from, cfg_.to, cfg_.points);
    const size_t n = curve.alphas.size();
    curve.evals.resize(n);
    curve.done.assign(n, false);
    logAlphaGrid(d, sink);
    const auto t0 = std::chrono::steady_clock::now();
    curve.workers = workerCount(static_cast<int>(n), cfg_.common.parallel, ctx_.threads);
    ModelPool pool(jobs_[0].spec, curve.workers);
    std::mutex mutex;
    runJobs(static_cast<int>(n), curve.workers, control, [&](int i) {
        const size_t k = static_cast<size_t>(i);
        size_t slot = 0;
        CnnImpl& model = pool.acquire(slot);
        loadState(model,
                  interpolateStates(probes[0].state, probes[1].state, curve.alphas[k], true));
        if (cfg_.reestimate())
            reestimateBatchNorm(model, bnData, d.data.mean, d.data.std, cfg_.bnBatches, 100,
                                cfg_.common.seed);
        const PointEval e{evaluateClassifier(model, d.data.train, d.data.mean, d.data.std),
                          evaluateClassifier(model, d.data.test, d.data.mean, d.data.std)};
        pool.release(slot);
        std::lock_guard<std::mutex> lock(mutex);
        curve.evals[k] = e;
        curve.done[k] = true;
        std::vector<double> trl, tel, tra, tea;
        for (size_t j = 0; j < n; ++j)
            if (curve.done[j]) {
                trl.push_back(curve.evals[j].train.loss);
                tel.push_back(curve.evals[j].test.loss);
                tra.push_back(100 * curve.evals[j].train.accuracy);
                tea.push_back(100 * curve.evals[j].test.accuracy);
            }
        replaceSeries(sink, curve.doneAlphas(),
                      {{kSeries.trainLoss, &trl},
                       {kSeries.testLoss, &tel},
                       {kSeries.trainAcc, &tra},
                       {kSeries.testAcc, &tea}});
        const int finished = ++curve.finished;
        sink.progressed(static_cast<double>(finished) / static_cast<double>(n),
                        "α = " + sig3(curve.alphas[k]) + " (" + std::to_string(finished) + " / " +
                            std::to_string(n) + ")");
    });
    curve.seconds = secondsSince(t0);
    return curve;
}

// The two solutions themselves, marked on the curve.
void InterpolationExperiment::markSolutions(const AlphaCurve& curve, ExperimentSink& sink) const {
    const auto xs = curve.doneAlphas();
    const auto ys = curve.doneTrainLoss();
    std::vector<double> sx, sy;
    std::vector<std::string> labels;
    if (!xs.empty())
        for (size_t k = 0; k < 2; ++k) {
            sx.push_back(static_cast<double>(k));
            sy.push_back(nearestValue(xs, ys, static_cast<double>(k)));
            labels.push_back(jobs_[k].name);
        }
    sink.seriesReplaced(kSeries.solutions, sx, sy);
    sink.labelsReplaced(kSeries.solutions, labels);
}

void InterpolationExperiment::summarise(const AlphaCurve& curve,
                                        const std::array<SolutionProbe, 2>& probes,
                                        InterpolationResults& res) const {
    for (size_t i = 0; i < curve.alphas.size(); ++i) {
        if (!curve.done[i]) continue;
        const PointEval& e = curve.evals[i];
        res.curve.push_back({{"alpha", curve.alphas[i]},
                             {"train_loss", e.train.loss},
                             {"train_accuracy", e.train.accuracy},
                             {"test_loss", e.test.loss},
                             {"test_accuracy", e.test.accuracy}});
    }
    res.reestimate = cfg_.reestimate();
    if (curve.finished > 0)
        res.secondsPerPoint = curve.seconds * curve.workers / static_cast<double>(curve.finished);
    const auto xs = curve.doneAlphas();
    res.haveCurve = !xs.empty();
    if (res.haveCurve) res.summary = summariseInterpolation(xs, curve.doneTrainLoss());
    res.sharpness = cfg_.epsilon > 0;
    res.sharp1 = probes[0].sharp.value;
    res.sharp2 = probes[1].sharp.value;
}

std::vector<std::string> interpolationCheck(const json& c) {
    auto p = commonCheck(c);
    if (c.at("alpha_from").get<double>() >= c.at("alpha_to").get<double>())
        p.push_back("'alpha_from' must be below 'alpha_to'");
    return p;
}

}  // namespace

TRAINLAB_REGISTER_IMAGE_KIND(interpolationKind, InterpolationExperiment, "interpolation",
                             interpolationFields, interpolationCheck);

}  // namespace trainlab
