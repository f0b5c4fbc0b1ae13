#include "cnn_train_experiment.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <mutex>

#include "errors.h"
#include "image_experiment_common.h"

namespace trainlab {

using nlohmann::json;
using namespace image_exp;

namespace {

struct CnnTrainConfig {
    Common common;
    std::vector<int> models;  ///< which of the three CNNs (1..3)
};

const ConfigFields<CnnTrainConfig>& cnnTrainFields() {
    static const ConfigFields<CnnTrainConfig> fields = [] {
        ConfigFields<CnnTrainConfig> t;
        addDataFields(t);
        t.field(intListParam("models", "Models", "Model", 1, 3, 1, 3,
                             "Which of the three CNNs to train (1: 148,018 parameters on "
                             "CIFAR-10, 2: 620,810, 3: 1,099,018)"),
                &CnnTrainConfig::models);
        addTrainingFields(t);
        return t;
    }();
    return fields;
}

/// The per-class series of a model: "per_class_<key>".
std::string perClassSeries(const Job& j) {
    return "per_class_" + j.key;
}

struct CnnTrainResults : ImageResults {
    json models = json::array();
    std::vector<std::string> summaries;  ///< one headline part per trained model

    std::string headline() const {
        std::string h;
        for (const auto& s : summaries) h += (h.empty() ? "" : "; ") + s;
        return h.empty() ? "no epoch finished" : h;
    }
    json toJson() const { return baseJson(headline(), {{"models", models}}); }
};

class CnnTrainExperiment : public ImageExperiment<CnnTrainConfig> {
  public:
    CnnTrainExperiment(const json& c, const ExperimentContext& ctx)
        : ImageExperiment(cnnTrainFields(), c, ctx) {
        for (const int which : cfg_.models)
            addJob("m" + std::to_string(which), "Model " + std::to_string(which), imageModel(which),
                   which, which - 1);
        classNames_ = spec_.classNames;
    }

    PlotLayout layout() const override {
        PlotLayout l;
        addEpochPanels(l);
        PanelSpec perClass{"per_class", "Per-class test accuracy at the end",
                           "class",     "accuracy (%)",
                           "",          false,
                           false,       false};
        perClass.xTickLabels = classNames_;
        l.panels.push_back(perClass);
        for (const auto& j : jobs_) {
            addCurves(l, j, cfg_.common.metric);
            SeriesSpec pc = makeSeries(perClassSeries(j), "per_class", j.name, "class",
                                       "test_accuracy_percent", j.color);
            pc.mode = SeriesMode::Replace;
            pc.style = SeriesStyle::Scatter;
            l.series.push_back(pc);
        }
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        LoadedData d = startRun(sink);
        trainOn(d.data);
        sink.logged(std::to_string(jobs_.size()) + (jobs_.size() == 1 ? " model × " : " models × ") +
                    std::to_string(cfg_.common.epochs) +
                    (cfg_.common.epochs == 1 ? " epoch on " : " epochs on ") +
                    withCommas(d.data.train.size()) + " images");
        const auto trained = trainModels(sink, control);
        CnnTrainResults res = summarise(trained);
        return finish(res, d);
    }

  private:
    std::vector<ImageTrainResult> trainModels(ExperimentSink& sink, RunControl& control) const;
    void reportPerClass(size_t k, const std::vector<double>& acc, ExperimentSink& sink) const;
    void writePerClassTable(const std::vector<std::vector<double>>& perClass,
                            ExperimentSink& sink) const;
    CnnTrainResults summarise(const std::vector<ImageTrainResult>& trained) const;

    std::vector<std::string> classNames_;
};

std::vector<ImageTrainResult> CnnTrainExperiment::trainModels(ExperimentSink& sink,
                                                              RunControl& control) const {
    std::mutex tableMutex;
    std::vector<std::vector<double>> perClass(jobs_.size());
    auto onDone = [&](size_t k, const ImageTrainResult& r) {
        const auto acc = perClassAccuracy(r.confusion);
        reportPerClass(k, acc, sink);
        writeConfusion(sink, "confusion_" + jobs_[k].key, r.confusion);
        std::lock_guard<std::mutex> lock(tableMutex);
        perClass[k] = acc;
        writePerClassTable(perClass, sink);
    };
    return runAll(jobs_, cfg_.common, ctx_.threads, control, sink, {}, onDone);
}

void CnnTrainExperiment::reportPerClass(size_t k, const std::vector<double>& acc,
                                        ExperimentSink& sink) const {
    std::vector<double> x, y;
    std::vector<std::string> labels;
    for (size_t i = 0; i < acc.size(); ++i) {
        x.push_back(static_cast<double>(i));
        y.push_back(100 * acc[i]);
        labels.push_back(jobs_[k].name + " · " +
                         (i < classNames_.size() ? classNames_[i] : std::to_string(i)) + " · " +
                         pct(acc[i]));
    }
    sink.seriesReplaced(perClassSeries(jobs_[k]), x, y);
    sink.labelsReplaced(perClassSeries(jobs_[k]), labels);
}

// metrics/per_class_accuracy.csv: one row per class, one column per model.
void CnnTrainExperiment::writePerClassTable(const std::vector<std::vector<double>>& perClass,
                                            ExperimentSink& sink) const {
    std::vector<std::string> cols{"class"};
    for (const auto& j : jobs_) cols.push_back(j.key + "_test_accuracy");
    std::vector<std::vector<double>> rows;
    for (size_t i = 0; i < classNames_.size(); ++i) {
        std::vector<double> row{static_cast<double>(i)};
        for (const auto& pcs : perClass) row.push_back(i < pcs.size() ? pcs[i] : NAN);
        rows.push_back(row);
    }
    sink.tableWritten("per_class_accuracy", cols, rows);
}

CnnTrainResults CnnTrainExperiment::summarise(const std::vector<ImageTrainResult>& trained) const {
    CnnTrainResults res;
    for (size_t k = 0; k < jobs_.size(); ++k) {
        const auto& r = trained[k];
        if (r.epochs.empty()) continue;
        json m = jobJson(jobs_[k], r, cfg_.common.metric);
        m["per_class_test_accuracy"] = perClassAccuracy(r.confusion);
        res.models.push_back(m);
        const auto& best = r.epochs[static_cast<size_t>(r.bestEpoch() - 1)];
        res.summaries.push_back(jobs_[k].name + " test " + pct(r.epochs.back().testAccuracy) +
                                " (best " + pct(best.testAccuracy) + " at epoch " +
                                std::to_string(best.epoch) + "), train " +
                                pct(r.epochs.back().trainAccuracy));
    }
    return res;
}

}  // namespace

TRAINLAB_REGISTER_IMAGE_KIND(cnnTrainKind, CnnTrainExperiment, "cnn_train", cnnTrainFields,
                             commonCheckListedOnce("models", "Model "));

}  // namespace trainlab
