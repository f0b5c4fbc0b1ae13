#include "random_labels_experiment.h"

#include <torch/torch.h>

#include <chrono>
#include <mutex>

#include "curve_summaries.h"
#include "errors.h"
#include "image_experiment_common.h"

namespace trainlab {

using nlohmann::json;
using namespace image_exp;

namespace {

struct RandomLabelsConfig {
    Common common;
    double corruption = 1;  ///< p: fraction of training labels redrawn
    double threshold = 0.99;
    int model = 1;
    bool companion = true;  ///< also train on the true labels
};

const ConfigFields<RandomLabelsConfig>& randomLabelsFields() {
    static const ConfigFields<RandomLabelsConfig> fields = [] {
        using C = RandomLabelsConfig;
        ConfigFields<C> t;
        addDataFields(t);
        t.field(numberParam("corruption", "Corrupted fraction p", "Labels", 0, 1, "",
                            "Fraction of training labels redrawn uniformly (1 = all random)"),
                &C::corruption);
        t.field(boolParam("companion", "Companion run on true labels", "Labels",
                          "Same model, initialisation and batch order on the true labels"),
                &C::companion);
        t.field(numberParam("fit_threshold", "Fit threshold", "Labels", 0.1, 1, "",
                            "Train accuracy that counts as fitted (0.99 = 99%)"),
                &C::threshold);
        t.field(integerParam("model", "Model", "Model", 1, 3, "",
                             "Which CNN of 1-2 (Model 1 as in the original)"),
                &C::model);
        CommonFieldOptions o;
        o.maxEpochs = 10000;
        addTrainingFields(t, o);
        return t;
    }();
    return fields;
}

/// Time to fit at fixed levels as well, so the two runs compare even when one never reaches
/// the threshold.
const std::vector<double> kFitLevels{0.5, 0.9};

/// The training labels as trained on: which were redrawn and how many now differ.
struct CorruptedLabels {
    ImageDataset data;  ///< shares the image bytes of the loaded set
    std::uint64_t seed = 0;
    std::int64_t replaced = 0, changed = 0;
};

json epochOrNull(int epoch) {
    return epoch > 0 ? json(epoch) : json(nullptr);
}

struct RandomLabelsResults : ImageResults {
    const RandomLabelsConfig* config = nullptr;
    CorruptedLabels labels;
    std::vector<std::string> names;  ///< per job
    std::vector<ImageTrainResult> trained;
    std::vector<FitMilestones> fits;
    json runs = json::array();  ///< runJson of each trained job

    std::string headline() const;
    json toJson() const;
    json runJson(size_t k, const Job& j) const;

  private:
    bool companionTrained() const { return trained.size() > 1 && !trained[1].epochs.empty(); }
    /// Epochs to the threshold, random over true labels (null unless both passed).
    json fitRatio() const;
    /// The same at each of kFitLevels both reached, keyed "0.5", "0.9".
    json levelRatios() const;
};

json RandomLabelsResults::fitRatio() const {
    const int e0 = fits[0].fitEpoch(), e1 = fits[1].fitEpoch();
    return e0 > 0 && e1 > 0 ? json(static_cast<double>(e0) / static_cast<double>(e1))
                            : json(nullptr);
}

json RandomLabelsResults::levelRatios() const {
    json ratios = json::object();
    for (size_t i = 0; i < kFitLevels.size(); ++i)
        if (fits[0].levelEpoch(i) > 0 && fits[1].levelEpoch(i) > 0)
            ratios[sig3(kFitLevels[i])] = static_cast<double>(fits[0].levelEpoch(i)) /
                                          static_cast<double>(fits[1].levelEpoch(i));
    return ratios;
}

std::string RandomLabelsResults::headline() const {
    std::string h;
    const std::string threshold = pct(config->threshold);
    const auto& rr = trained[0];
    if (!rr.epochs.empty())
        h = names[0] + ": " +
            (fits[0].fitEpoch() > 0 ? "train accuracy passed " + threshold + " at epoch " +
                                          std::to_string(fits[0].fitEpoch())
                                    : "train accuracy " + pct(rr.epochs.back().trainAccuracy) +
                                          " after " + std::to_string(rr.epochs.size()) +
                                          " epochs (did not pass " + threshold + ")") +
            ", test accuracy " + pct(rr.epochs.back().testAccuracy);
    if (!companionTrained()) return h.empty() ? "no epoch finished" : h;
    h += "; true labels: " +
         (fits[1].fitEpoch() > 0 ? "passed at epoch " + std::to_string(fits[1].fitEpoch())
                                 : "did not pass") +
         ", test accuracy " + pct(trained[1].epochs.back().testAccuracy);
    const json ratio = fitRatio(), levels = levelRatios();
    if (ratio.is_number())
        h += "; random labels took " + sig3(ratio.get<double>()) + "× as many epochs";
    else if (fits[0].fitEpoch() == 0 && levels.contains("0.9"))
        h += "; to 90% train accuracy random labels took " + sig3(levels["0.9"].get<double>()) +
             "× as many epochs";
    return h;
}

json RandomLabelsResults::toJson() const {
    json out = baseJson(headline());
    out["corruption"] = config->corruption;
    out["label_seed"] = labels.seed;
    out["labels_redrawn"] = labels.replaced;
    out["labels_changed"] = labels.changed;
    out["fit_threshold"] = config->threshold;
    out["runs"] = runs;
    if (!companionTrained()) return out;
    out["fit_ratio"] = fitRatio();
    out["epoch_ratio_at_train_accuracy"] = levelRatios();
    return out;
}

json RandomLabelsResults::runJson(size_t k, const Job& j) const {
    json r = jobJson(j, trained[k], config->common.metric);
    r["labels"] = j.key;
    r["fit_epoch"] = epochOrNull(fits[k].fitEpoch());
    r["fit_steps"] = fits[k].fitEpoch() > 0 ? json(fits[k].fitSteps()) : json(nullptr);
    json at = json::object();
    for (size_t i = 0; i < kFitLevels.size(); ++i)
        at[sig3(kFitLevels[i])] = epochOrNull(fits[k].levelEpoch(i));
    r["epoch_reaching_train_accuracy"] = at;
    return r;
}

class RandomLabelsExperiment : public ImageExperiment<RandomLabelsConfig> {
  public:
    RandomLabelsExperiment(const json& c, const ExperimentContext& ctx)
        : ImageExperiment(randomLabelsFields(), c, ctx) {
        classes_ = static_cast<std::int64_t>(spec_.classNames.size());
        const std::string name =
            cfg_.corruption >= 1 ? "random labels" : "p = " + sig3(cfg_.corruption) + " corrupted";
        const Job r = addJob("random", name, imageModel(cfg_.model), cfg_.model, 3);
        if (cfg_.companion) {
            Job t = r;  // same model, initialisation and batch order: only the labels differ
            t.key = "true";
            t.curves = jobCurves(t.key);
            t.name = "true labels";
            t.color = 0;
            jobs_.push_back(t);
        }
    }

    PlotLayout layout() const override {
        PlotLayout l;
        addEpochPanels(l);
        for (const auto& j : jobs_) addCurves(l, j, cfg_.common.metric);
        SeriesSpec chance = makeSeries(
            kChance, "accuracy", "chance (" + sig3(100.0 / static_cast<double>(classes_)) + "%)",
            "epoch", "accuracy_percent", -1);
        chance.dashed = true;
        chance.mode = SeriesMode::Replace;
        l.series.push_back(chance);
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        LoadedData d = startRun(sink);
        RandomLabelsResults res;
        res.config = &cfg_;
        res.labels = corruptTrainingLabels(d, sink);
        jobs_[0].data = &res.labels.data;
        if (jobs_.size() > 1) jobs_[1].data = &d.data;
        const double chance = 100.0 / static_cast<double>(classes_);
        sink.seriesReplaced(kChance, {1.0, static_cast<double>(cfg_.common.epochs)},
                            {chance, chance});
        trainAndTrackFit(sink, control, res);
        res.base = baseResults(d);
        for (size_t k = 0; k < jobs_.size(); ++k)
            if (!res.trained[k].epochs.empty()) res.runs.push_back(res.runJson(k, jobs_[k]));
        return finish(res, d);
    }

  private:
    const std::string kChance = "chance";

    CorruptedLabels corruptTrainingLabels(const LoadedData& d, ExperimentSink& sink) const;
    void trainAndTrackFit(ExperimentSink& sink, RunControl& control,
                          RandomLabelsResults& res) const;

    std::int64_t classes_ = 10;
};

CorruptedLabels RandomLabelsExperiment::corruptTrainingLabels(const LoadedData& d,
                                                              ExperimentSink& sink) const {
    CorruptedLabels c;
    c.data = d.data;
    c.seed = cfg_.common.seed * 7919ULL + 17ULL;
    c.data.train.labels =
        corruptLabels(d.data.train.labels, cfg_.corruption, classes_, c.seed, &c.replaced);
    c.data.corruptedLabels = c.replaced;
    c.changed = c.data.train.labels.ne(d.data.train.labels).sum().item<std::int64_t>();
    sink.logged("Training labels: " + withCommas(c.replaced) + " of " +
                withCommas(d.data.train.size()) + " redrawn uniformly (label seed " +
                std::to_string(c.seed) + "); " + withCommas(c.changed) +
                " now differ from the truth. Test labels are true.");
    return c;
}

void RandomLabelsExperiment::trainAndTrackFit(ExperimentSink& sink, RunControl& control,
                                              RandomLabelsResults& res) const {
    for (const auto& j : jobs_) {
        res.names.push_back(j.name);
        res.fits.emplace_back(kFitLevels, cfg_.threshold);
    }
    std::mutex fitMutex;
    auto onEpoch = [&](size_t k, const EpochMetrics& e) {
        std::lock_guard<std::mutex> lock(fitMutex);
        if (res.fits[k].record(e.epoch, e.steps, e.trainAccuracy))
            sink.logged(jobs_[k].name + ": train accuracy passed " + pct(cfg_.threshold) +
                        " at epoch " + std::to_string(e.epoch) + " (step " + withCommas(e.steps) +
                        ")");
    };
    res.trained = runAll(jobs_, cfg_.common, ctx_.threads, control, sink, onEpoch);
}

}  // namespace

TRAINLAB_REGISTER_IMAGE_KIND(randomLabelsKind, RandomLabelsExperiment, "random_labels",
                             randomLabelsFields, commonCheck);

}  // namespace trainlab
