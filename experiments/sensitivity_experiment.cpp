#include "sensitivity_experiment.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>

#include "curve_summaries.h"
#include "enum_names.h"
#include "errors.h"
#include "flatness.h"
#include "image_experiment_common.h"

namespace trainlab {

using nlohmann::json;
using namespace image_exp;

namespace {

enum class Budget { Epochs, Steps, LossTarget };
inline constexpr EnumName<Budget> kBudgetNames[] = {
    {Budget::Epochs, "epochs"}, {Budget::Steps, "steps"}, {Budget::LossTarget, "loss_target"}};

struct SensitivityConfig {
    Common common;
    int model = 1;
    std::vector<std::int64_t> batchSizes;
    Budget budget = Budget::Epochs;
    std::int64_t steps = 3000;
    double lossTarget = 0.05;
    std::int64_t images = 1000;  ///< test images the sensitivity averages (0: all)
    bool lossGradient = false;   ///< also ‖∂L/∂x‖_F
};

const ConfigFields<SensitivityConfig>& sensitivityFields() {
    static const ConfigFields<SensitivityConfig> fields = [] {
        using C = SensitivityConfig;
        ConfigFields<C> t;
        addDataFields(t);
        t.field(integerParam("model", "Model", "Model", 1, 3, "", "Which CNN of 1-2"), &C::model);
        t.field(intListParam("batch_sizes", "Batch sizes", "Training", 1, 60000, 2, 16,
                             "One training per batch size"),
                &C::batchSizes);
        t.choice(choiceParam("budget", "Budget", "Training",
                             "Fixed epochs favour small batches (more steps); fixed steps or a "
                             "loss target compare comparably trained nets"),
                 kBudgetNames, &C::budget);
        t.field(
            integerParam("steps", "Steps", "Training", 1, 10000000, "", "The budget with 'steps'"),
            &C::steps);
        t.field(numberParam("loss_target", "Train-loss target", "Training", 1e-6, 10, "",
                            "The budget with 'loss_target' (measured each epoch)", true),
                &C::lossTarget);
        t.field(integerParam("sensitivity_images", "Sensitivity images", "Sensitivity", 0, 10000,
                             "", "Test images averaged (0 = all)"),
                &C::images);
        t.field(boolParam("loss_gradient", "Also ‖∂L/∂x‖_F", "Sensitivity",
                          "The homework's variant, of the batch-mean loss"),
                &C::lossGradient);
        CommonFieldOptions o;
        o.batchSize = false;
        o.epochsHelp = "The budget with 'epochs'; the cap with 'loss_target'";
        addTrainingFields(t, o);
        return t;
    }();
    return fields;
}

/// The batch-size panels' series: ids spelled once.
struct SensitivitySeries {
    std::string trainAcc = "bs_train_acc", testAcc = "bs_test_acc",
                sensitivityAcc = "bs_sensitivity_acc", trainLoss = "bs_train_loss",
                testLoss = "bs_test_loss", sensitivityLoss = "bs_sensitivity_loss",
                lossGradient = "bs_loss_gradient";
};
const SensitivitySeries kSeries;

/// One trained batch size, measured.
struct BatchPoint {
    bool done = false;
    EpochMetrics last;
    double sensitivity = NAN, lossGradient = NAN;
    std::int64_t steps = 0;
    bool reachedTarget = false;
};

struct SensitivityResults : ImageResults {
    std::string budget;
    const SensitivityConfig* config = nullptr;
    std::int64_t images = 0;
    json batches = json::array();
    size_t jobs = 0;
    std::vector<std::pair<double, double>> bySize;  ///< (batch, sensitivity), sorted

    std::string headline() const;
    json toJson() const;
};

std::string SensitivityResults::headline() const {
    std::string h = std::to_string(bySize.size()) + " of " + std::to_string(jobs) +
                    " batch sizes trained (" + budget + " budget)";
    if (bySize.size() < 2) return h;
    std::vector<double> values;
    for (const auto& b : bySize) values.push_back(b.second);
    return h + "; sensitivity " + sig3(bySize.front().second) + " at batch " +
           withCommas(static_cast<std::uint64_t>(bySize.front().first)) + " → " +
           sig3(bySize.back().second) + " at batch " +
           withCommas(static_cast<std::uint64_t>(bySize.back().first)) + ", rising in " +
           std::to_string(countRises(values)) + " of " + std::to_string(bySize.size() - 1) +
           " steps";
}

json SensitivityResults::toJson() const {
    json out = baseJson(headline());
    out["budget"] = budget;
    if (config->budget == Budget::Steps) out["steps_budget"] = config->steps;
    if (config->budget == Budget::LossTarget) out["loss_target"] = config->lossTarget;
    out["sensitivity_images"] = images;
    out["sensitivity"] = "mean over test images of ‖∂softmax(f(x))/∂x‖_F (Novak et al. 2018)";
    out["batches"] = batches;
    if (bySize.size() >= 2) {
        // Spearman-free summary: how often sensitivity rises from one batch size to the next.
        std::vector<double> values;
        for (const auto& b : bySize) values.push_back(b.second);
        out["sensitivity_rises"] = countRises(values);
    }
    return out;
}

class SensitivityExperiment : public ImageExperiment<SensitivityConfig> {
  public:
    SensitivityExperiment(const json& c, const ExperimentContext& ctx)
        : ImageExperiment(sensitivityFields(), c, ctx) {
        int color = 0;
        for (const std::int64_t b : cfg_.batchSizes) {
            // One initialisation for every batch size: only the batch size differs.
            Job& j = addJob("b" + std::to_string(b), "batch " + std::to_string(b),
                            imageModel(cfg_.model), cfg_.model, color++ % 8);
            j.batch = b;
            if (cfg_.budget == Budget::Steps) {
                j.maxSteps = cfg_.steps;
                j.epochs = 1000000;  // the step budget ends it
            }
            if (cfg_.budget == Budget::LossTarget) j.lossTarget = cfg_.lossTarget;
        }
    }

    PlotLayout layout() const override;

    json run(ExperimentSink& sink, RunControl& control) override {
        LoadedData d = startRun(sink);
        trainOn(d.data);
        SensitivityResults res;
        res.base = baseResults(d);
        const ImageTensors sensData = drawSensitivityImages(d, sink, res.base["subsets"]);
        res.images = sensData.size();
        logBudget(res.images, sink);
        std::vector<ImageTrainResult> trained;
        const auto points = trainBatchSizes(d, sensData, sink, control, trained);
        summarise(points, trained, res);
        return finish(res, d);
    }

  private:
    ImageTensors drawSensitivityImages(const LoadedData& d, ExperimentSink& sink,
                                       json& subsets) const;
    void logBudget(std::int64_t images, ExperimentSink& sink) const;
    std::vector<BatchPoint> trainBatchSizes(const LoadedData& d, const ImageTensors& sensData,
                                            ExperimentSink& sink, RunControl& control,
                                            std::vector<ImageTrainResult>& trained) const;
    BatchPoint measure(size_t k, CnnImpl& model, const ImageTrainResult& r, const LoadedData& d,
                       const ImageTensors& sensData, ExperimentSink& sink) const;
    void redraw(const std::vector<BatchPoint>& points, ExperimentSink& sink) const;
    void summarise(const std::vector<BatchPoint>& points,
                   const std::vector<ImageTrainResult>& trained, SensitivityResults& res) const;
};

PlotLayout SensitivityExperiment::layout() const {
    PlotLayout l;
    const std::string x = "batch size (log)", sensitivity = "sensitivity ‖∂softmax/∂x‖_F";
    l.panels.push_back(logXPanel("batch_acc", "Accuracy and sensitivity vs batch size", x,
                                 "accuracy (%)", sensitivity));
    l.panels.push_back(logXPanel("batch_loss", "Loss and sensitivity vs batch size", x,
                                 "cross-entropy", sensitivity));
    addEpochPanels(l);
    auto add = [&](const std::string& id, const std::string& panel, const std::string& name,
                   const std::string& y, int color, bool dashed, bool right) {
        SeriesSpec s = makeSeries(id, panel, name, "batch_size", y, color);
        s.dashed = dashed;
        s.rightAxis = right;
        s.mode = SeriesMode::Replace;
        l.series.push_back(s);
    };
    const std::string tr =
        cfg_.common.metric == TrainMetric::Clean ? "train (clean pass)" : "train (running)";
    const std::string sens = "sensitivity (right axis)";
    add(kSeries.trainAcc, "batch_acc", tr, "train_accuracy_percent", 0, false, false);
    add(kSeries.testAcc, "batch_acc", "test", "test_accuracy_percent", 0, true, false);
    add(kSeries.sensitivityAcc, "batch_acc", sens, "sensitivity", 3, false, true);
    add(kSeries.trainLoss, "batch_loss", tr, "train_loss", 1, false, false);
    add(kSeries.testLoss, "batch_loss", "test", "test_loss", 1, true, false);
    add(kSeries.sensitivityLoss, "batch_loss", sens, "sensitivity", 3, false, true);
    if (cfg_.lossGradient)
        add(kSeries.lossGradient, "batch_loss", "‖∂L/∂x‖_F (right axis)", "loss_input_gradient", 4,
            true, true);
    for (const auto& j : jobs_) addCurves(l, j, cfg_.common.metric);
    return l;
}

ImageTensors SensitivityExperiment::drawSensitivityImages(const LoadedData& d, ExperimentSink& sink,
                                                          json& subsets) const {
    return evaluationSubset(d.data.test, cfg_.images, SubsetPurpose::SensitivityImages,
                            cfg_.common.seed, cfg_.common.subset, "test images for sensitivity",
                            sink, subsets["sensitivity_images"]);
}

void SensitivityExperiment::logBudget(std::int64_t images, ExperimentSink& sink) const {
    const std::string epochs = std::to_string(cfg_.common.epochs);
    const std::string budget =
        cfg_.budget == Budget::Epochs ? epochs + " epochs"
        : cfg_.budget == Budget::Steps
            ? withCommas(cfg_.steps) + " steps"
            : "train loss ≤ " + sig3(cfg_.lossTarget) + " (at most " + epochs + " epochs)";
    sink.logged("Budget: " + budget + " per batch size; sensitivity on " + withCommas(images) +
                " test images");
}

std::vector<BatchPoint> SensitivityExperiment::trainBatchSizes(
    const LoadedData& d, const ImageTensors& sensData, ExperimentSink& sink, RunControl& control,
    std::vector<ImageTrainResult>& trained) const {
    std::vector<BatchPoint> points(jobs_.size());
    std::mutex mutex;
    auto onTrained = [&](size_t k, CnnImpl& model, const ImageTrainResult& r) {
        const BatchPoint p = measure(k, model, r, d, sensData, sink);
        std::lock_guard<std::mutex> lock(mutex);
        points[k] = p;
        redraw(points, sink);
    };
    trained = runAll(jobs_, cfg_.common, ctx_.threads, control, sink, {}, {}, onTrained);
    return points;
}

// Evaluation only: the training is finished and its gradients untouched.
BatchPoint SensitivityExperiment::measure(size_t k, CnnImpl& model, const ImageTrainResult& r,
                                          const LoadedData& d, const ImageTensors& sensData,
                                          ExperimentSink& sink) const {
    BatchPoint p;
    p.sensitivity = meanSensitivity(model, sensData, d.data.mean, d.data.std, 0);
    if (cfg_.lossGradient)
        p.lossGradient = lossInputGradientNorm(
            model, normaliseImages(sensData.images, d.data.mean, d.data.std), sensData.labels);
    p.last = r.epochs.back();
    p.steps = r.steps;
    p.reachedTarget = r.reachedLossTarget;
    p.done = true;
    sink.logged(jobs_[k].name + ": " + withCommas(r.steps) + " steps, train loss " +
                sig3(p.last.trainLoss) + ", test accuracy " + pct(p.last.testAccuracy) +
                ", sensitivity " + sig3(p.sensitivity));
    return p;
}

// Every measured batch size, in batch-size order.
void SensitivityExperiment::redraw(const std::vector<BatchPoint>& points,
                                   ExperimentSink& sink) const {
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
                         pct(p.last.testAccuracy) + " · sensitivity " + sig3(p.sensitivity));
    }
    replaceSeries(sink, x,
                  {{kSeries.trainAcc, &tra},
                   {kSeries.testAcc, &tea},
                   {kSeries.trainLoss, &trl},
                   {kSeries.testLoss, &tel},
                   {kSeries.sensitivityAcc, &sens},
                   {kSeries.sensitivityLoss, &sens}},
                  &labels);
    if (cfg_.lossGradient) sink.seriesReplaced(kSeries.lossGradient, x, lg);
}

void SensitivityExperiment::summarise(const std::vector<BatchPoint>& points,
                                      const std::vector<ImageTrainResult>& trained,
                                      SensitivityResults& res) const {
    res.budget = nameOf(kBudgetNames, cfg_.budget);
    res.config = &cfg_;
    res.jobs = jobs_.size();
    for (size_t k = 0; k < jobs_.size(); ++k) {
        if (!points[k].done) continue;
        json b = jobJson(jobs_[k], trained[k], cfg_.common.metric);
        b["batch_size"] = jobs_[k].batch;
        b["sensitivity"] = points[k].sensitivity;
        if (cfg_.lossGradient) b["loss_input_gradient"] = points[k].lossGradient;
        if (cfg_.budget == Budget::LossTarget) b["reached_loss_target"] = points[k].reachedTarget;
        res.batches.push_back(b);
        res.bySize.emplace_back(static_cast<double>(jobs_[k].batch), points[k].sensitivity);
    }
    std::sort(res.bySize.begin(), res.bySize.end());
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

TRAINLAB_REGISTER_IMAGE_KIND(sensitivityKind, SensitivityExperiment, "sensitivity",
                             sensitivityFields, sensitivityCheck);

}  // namespace trainlab
