#include "param_sweep_experiment.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>

#include "errors.h"
#include "image_experiment_common.h"

namespace trainlab {

using nlohmann::json;
using namespace image_exp;

namespace {

struct ParamSweepConfig {
    Common common;
    std::vector<int> nets;  ///< which of Net_1 … Net_10
};

const ConfigFields<ParamSweepConfig>& paramSweepFields() {
    static const ConfigFields<ParamSweepConfig> fields = [] {
        ConfigFields<ParamSweepConfig> t;
        addDataFields(t);
        t.field(intListParam("nets", "Nets", "Model", 1, 10, 1, 10,
                             "Which of Net_1 … Net_10 (channels 16i, 32i, 64i, FC 120i)"),
                &ParamSweepConfig::nets);
        addTrainingFields(t);
        return t;
    }();
    return fields;
}

/// The series against parameter counts, and the selected net's epochs (perRun: recorded for
/// every net as metrics/<id>_run<N>.csv): ids spelled once.
struct SweepSeries {
    std::string finalTrainAcc = "final_train_acc", finalTestAcc = "final_test_acc",
                bestTestAcc = "best_test_acc", finalTrainLoss = "final_train_loss",
                finalTestLoss = "final_test_loss", minTestLoss = "min_test_loss";
    std::string selAccTrain = "sel_acc_train", selAccTest = "sel_acc_test",
                selLossTrain = "sel_loss_train", selLossTest = "sel_loss_test";
};
const SweepSeries kSeries;

/// A finished net's point on the parameter panels.
struct NetPoint {
    double parameters = 0;
    double finalTrainAcc = 0, finalTestAcc = 0, bestTestAcc = 0;
    double finalTrainLoss = 0, finalTestLoss = 0, minTestLoss = INFINITY;
};

NetPoint netPoint(double parameters, const std::vector<EpochMetrics>& history) {
    NetPoint p;
    p.parameters = parameters;
    const auto& last = history.back();
    for (const auto& e : history) {
        p.bestTestAcc = std::max(p.bestTestAcc, e.testAccuracy);
        p.minTestLoss = std::min(p.minTestLoss, e.testLoss);
    }
    p.bestTestAcc *= 100;
    p.finalTrainAcc = 100 * last.trainAccuracy;
    p.finalTestAcc = 100 * last.testAccuracy;
    p.finalTrainLoss = last.trainLoss;
    p.finalTestLoss = last.testLoss;
    return p;
}

struct ParamSweepResults : ImageResults {
    json nets = json::array();
    size_t jobs = 0;
    std::vector<std::string> finishedEnds;  ///< the smallest and largest finished nets, described
    size_t finished = 0;

    std::string headline() const {
        std::string h = std::to_string(finished) + " of " + std::to_string(jobs) + " nets trained";
        if (!finishedEnds.empty()) h += ": " + finishedEnds.front();
        if (finishedEnds.size() > 1) h += " → " + finishedEnds.back();
        return h;
    }
    json toJson() const { return baseJson(headline(), {{"nets", nets}}); }
};

class ParamSweepExperiment : public ImageExperiment<ParamSweepConfig> {
  public:
    ParamSweepExperiment(const json& c, const ExperimentContext& ctx)
        : ImageExperiment(paramSweepFields(), c, ctx) {
        for (const int i : cfg_.nets) {
            const CnnSpec net = cnnNetFamily(i, spec_.channels, spec_.height, spec_.width);
            Job& j =
                addJob("net" + std::to_string(i), "Net_" + std::to_string(i), net, i, (i - 1) % 8);
            j.streamCurves = false;  // its epochs go to the selected-net panels
        }
    }

    PlotLayout layout() const override;

    json run(ExperimentSink& sink, RunControl& control) override {
        LoadedData d = startRun(sink);
        trainOn(d.data);
        std::string sizes;
        for (const auto& j : jobs_)
            sizes += (sizes.empty() ? "" : ", ") + j.name + " " + withCommas(parameters(j));
        sink.logged("Parameters: " + sizes);
        const auto trained = trainNets(sink, control);
        ParamSweepResults res = summarise(trained);
        return finish(res, d);
    }

  private:
    static std::int64_t parameters(const Job& j) { return cnnParameterCount(j.spec); }
    std::vector<ImageTrainResult> trainNets(ExperimentSink& sink, RunControl& control) const;
    void reportEpochs(size_t k, const std::vector<EpochMetrics>& history,
                      ExperimentSink& sink) const;
    void redraw(const std::vector<std::vector<EpochMetrics>>& history,
                const std::vector<bool>& done, ExperimentSink& sink) const;
    std::vector<size_t> byParameters(std::vector<size_t> jobs) const;
    ParamSweepResults summarise(const std::vector<ImageTrainResult>& trained) const;
};

PlotLayout ParamSweepExperiment::layout() const {
    PlotLayout l;
    const std::string x = "parameters (log)";
    l.panels.push_back(
        logXPanel("params_acc", "Accuracy vs number of parameters", x, "accuracy (%)"));
    l.panels.push_back(
        logXPanel("params_loss", "Loss vs number of parameters", x, "cross-entropy"));
    l.panels.push_back(epochPanel("selected_acc", "Accuracy per epoch of one net (click a point)",
                                  "accuracy (%)"));
    l.panels.push_back(
        epochPanel("selected_loss", "Loss per epoch of one net (click a point)", "cross-entropy"));
    auto add = [&](const std::string& id, const std::string& panel, const std::string& name,
                   const std::string& y, int color, bool dashed, SeriesStyle style, bool perRun) {
        SeriesSpec s = makeSeries(id, panel, name, perRun ? "epoch" : "parameters", y, color);
        s.dashed = dashed;
        s.mode = SeriesMode::Replace;
        s.style = style;
        s.perRun = perRun;
        l.series.push_back(s);
    };
    const std::string tr =
        cfg_.common.metric == TrainMetric::Clean ? "train (clean pass)" : "train (running)";
    const auto line = SeriesStyle::Line, dots = SeriesStyle::Scatter;
    const auto& k = kSeries;
    add(k.finalTrainAcc, "params_acc", "final " + tr, "train_accuracy_percent", 0, false, line,
        false);
    add(k.finalTestAcc, "params_acc", "final test", "test_accuracy_percent", 1, true, line, false);
    add(k.bestTestAcc, "params_acc", "best test (any epoch)", "best_test_accuracy_percent", 2,
        false, dots, false);
    add(k.finalTrainLoss, "params_loss", "final " + tr, "train_loss", 0, false, line, false);
    add(k.finalTestLoss, "params_loss", "final test", "test_loss", 1, true, line, false);
    add(k.minTestLoss, "params_loss", "lowest test (any epoch)", "min_test_loss", 2, false, dots,
        false);
    add(k.selAccTrain, "selected_acc", tr, "train_accuracy_percent", 0, false, line, true);
    add(k.selAccTest, "selected_acc", "test", "test_accuracy_percent", 1, true, line, true);
    add(k.selLossTrain, "selected_loss", tr, "train_loss", 0, false, line, true);
    add(k.selLossTest, "selected_loss", "test", "test_loss", 1, true, line, true);
    return l;
}

std::vector<ImageTrainResult> ParamSweepExperiment::trainNets(ExperimentSink& sink,
                                                              RunControl& control) const {
    std::mutex mutex;
    std::vector<std::vector<EpochMetrics>> history(jobs_.size());
    std::vector<bool> done(jobs_.size(), false);
    auto onEpoch = [&](size_t k, const EpochMetrics& e) {
        std::lock_guard<std::mutex> lock(mutex);
        history[k].push_back(e);
        reportEpochs(k, history[k], sink);
    };
    auto onDone = [&](size_t k, const ImageTrainResult&) {
        std::lock_guard<std::mutex> lock(mutex);
        done[k] = true;
        redraw(history, done, sink);
    };
    return runAll(jobs_, cfg_.common, ctx_.threads, control, sink, onEpoch, onDone);
}

// The selected-net panels show the net that reported last; each net's epochs are also kept
// as metrics/<id>_run<N>.csv.
void ParamSweepExperiment::reportEpochs(size_t k, const std::vector<EpochMetrics>& history,
                                        ExperimentSink& sink) const {
    std::vector<double> ep, atr, ate, ltr, lte;
    for (const auto& m : history) {
        ep.push_back(m.epoch);
        atr.push_back(100 * m.trainAccuracy);
        ate.push_back(100 * m.testAccuracy);
        ltr.push_back(m.trainLoss);
        lte.push_back(m.testLoss);
    }
    const std::string run = "_run" + std::to_string(cfg_.nets[k]);
    const std::pair<std::string, const std::vector<double>*> series[] = {
        {kSeries.selAccTrain, &atr},
        {kSeries.selAccTest, &ate},
        {kSeries.selLossTrain, &ltr},
        {kSeries.selLossTest, &lte}};
    for (const auto& [id, ys] : series) {
        sink.seriesReplaced(id, ep, *ys);
        std::vector<std::vector<double>> rows;
        for (size_t i = 0; i < ep.size(); ++i) rows.push_back({ep[i], (*ys)[i]});
        sink.tableWritten(id + run, {"epoch", id}, rows);
    }
}

std::vector<size_t> ParamSweepExperiment::byParameters(std::vector<size_t> jobs) const {
    std::sort(jobs.begin(), jobs.end(),
              [&](size_t a, size_t b) { return parameters(jobs_[a]) < parameters(jobs_[b]); });
    return jobs;
}

// The per-parameter panels from every finished net, in parameter order.
void ParamSweepExperiment::redraw(const std::vector<std::vector<EpochMetrics>>& history,
                                  const std::vector<bool>& done, ExperimentSink& sink) const {
    std::vector<size_t> finished;
    for (size_t k = 0; k < jobs_.size(); ++k)
        if (done[k] && !history[k].empty()) finished.push_back(k);
    std::vector<double> x, ftr, fte, bte, ltr, lte, lmin;
    std::vector<std::string> labels;
    std::vector<int> runs;
    for (size_t k : byParameters(finished)) {
        const NetPoint p = netPoint(static_cast<double>(parameters(jobs_[k])), history[k]);
        x.push_back(p.parameters);
        ftr.push_back(p.finalTrainAcc);
        fte.push_back(p.finalTestAcc);
        bte.push_back(p.bestTestAcc);
        ltr.push_back(p.finalTrainLoss);
        lte.push_back(p.finalTestLoss);
        lmin.push_back(p.minTestLoss);
        const auto& last = history[k].back();
        labels.push_back(jobs_[k].name + " · " + withCommas(parameters(jobs_[k])) +
                         " parameters · train " + pct(last.trainAccuracy) + ", test " +
                         pct(last.testAccuracy) + " · click for its epochs");
        runs.push_back(cfg_.nets[k]);
    }
    const std::vector<std::pair<std::string, const std::vector<double>*>> series = {
        {kSeries.finalTrainAcc, &ftr}, {kSeries.finalTestAcc, &fte},
        {kSeries.bestTestAcc, &bte},   {kSeries.finalTrainLoss, &ltr},
        {kSeries.finalTestLoss, &lte}, {kSeries.minTestLoss, &lmin}};
    replaceSeries(sink, x, series, &labels);
    for (const auto& s : series) sink.pointRunsReplaced(s.first, runs);
}

ParamSweepResults ParamSweepExperiment::summarise(
    const std::vector<ImageTrainResult>& trained) const {
    ParamSweepResults res;
    res.jobs = jobs_.size();
    std::vector<size_t> finished;
    for (size_t k = 0; k < jobs_.size(); ++k) {
        if (trained[k].epochs.empty()) continue;
        json n = jobJson(jobs_[k], trained[k], cfg_.common.metric);
        n["index"] = cfg_.nets[k];
        res.nets.push_back(n);
        if (!trained[k].cancelled) finished.push_back(k);
    }
    res.finished = finished.size();
    for (size_t k : byParameters(finished)) {
        const auto& last = trained[k].epochs.back();
        res.finishedEnds.push_back(jobs_[k].name + " (" + withCommas(parameters(jobs_[k])) +
                                   ") test " + pct(last.testAccuracy) + ", train " +
                                   pct(last.trainAccuracy));
    }
    return res;
}

}  // namespace

TRAINLAB_REGISTER_IMAGE_KIND(paramSweepKind, ParamSweepExperiment, "param_sweep", paramSweepFields,
                             commonCheckListedOnce("nets", "Net_"));

}  // namespace trainlab
