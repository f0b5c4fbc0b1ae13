#include "image_experiments.h"

#include "image_experiment_common.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <mutex>
#include <sstream>

#include "cnn.h"
#include "errors.h"
#include "dataset_catalog.h"
#include "image_tensors.h"
#include "image_trainer.h"
#include "parallel_runs.h"

namespace trainlab {

using nlohmann::json;
using namespace image_exp;

namespace {

// ---------------------------------------------------------------------------------------
// 1-2: the three CNNs.

class CnnTrainExperiment : public Experiment {
  public:
    CnnTrainExperiment(const json& c, const ExperimentContext& ctx)
        : config_(c), common_(readCommon(c)), ctx_(ctx) {
        const DatasetSpec* spec = findDatasetSpec(common_.dataset);
        if (!spec) throw ConfigError({"dataset '" + common_.dataset + "' is unknown"});
        for (const auto& m : c.at("models")) {
            const int which = m.get<int>();
            Job j;
            j.key = "m" + std::to_string(which);
            j.name = "Model " + std::to_string(which);
            j.spec = cnnModel(which, spec->channels, spec->height, spec->width);
            j.seed = common_.seed * 1000003ULL + static_cast<std::uint64_t>(which);
            j.color = which - 1;
            jobs_.push_back(j);
        }
        classNames_ = spec->classNames;
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
            addCurves(l, j, common_.metric);
            SeriesSpec pc;
            pc.id = "per_class_" + j.key;
            pc.panel = "per_class";
            pc.name = j.name;
            pc.xName = "class";
            pc.yName = "test_accuracy_percent";
            pc.color = j.color;
            pc.mode = SeriesMode::Replace;
            pc.style = SeriesStyle::Scatter;
            l.series.push_back(pc);
        }
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        LoadedData d = loadData(common_, ctx_.dataDir, sink);
        for (auto& j : jobs_) j.data = &d.data;
        sink.logged(std::to_string(jobs_.size()) + " models × " + std::to_string(common_.epochs) +
                    " epochs on " + withCommas(d.data.train.size()) + " images");
        std::mutex tableMutex;
        std::vector<std::vector<double>> perClass(jobs_.size());
        auto onDone = [&](size_t k, const ImageTrainResult& r) {
            const auto acc = perClassAccuracy(r.confusion);
            std::vector<double> x, y;
            std::vector<std::string> labels;
            for (size_t i = 0; i < acc.size(); ++i) {
                x.push_back(static_cast<double>(i));
                y.push_back(100 * acc[i]);
                labels.push_back(jobs_[k].name + " · " +
                                 (i < classNames_.size() ? classNames_[i] : std::to_string(i)) +
                                 " · " + pct(acc[i]));
            }
            sink.seriesReplaced("per_class_" + jobs_[k].key, x, y);
            sink.labelsReplaced("per_class_" + jobs_[k].key, labels);
            writeConfusion(sink, "confusion_" + jobs_[k].key, r.confusion);
            std::lock_guard<std::mutex> lock(tableMutex);
            perClass[k] = acc;
            std::vector<std::string> cols{"class"};
            for (const auto& j : jobs_) cols.push_back(j.key + "_test_accuracy");
            std::vector<std::vector<double>> rows;
            for (size_t i = 0; i < classNames_.size(); ++i) {
                std::vector<double> row{static_cast<double>(i)};
                for (const auto& pcs : perClass) row.push_back(i < pcs.size() ? pcs[i] : NAN);
                rows.push_back(row);
            }
            sink.tableWritten("per_class_accuracy", cols, rows);
        };
        const auto results = runAll(jobs_, common_, ctx_.threads, control, sink, {}, onDone);

        json out = baseResults(d);
        out["models"] = json::array();
        std::string headline;
        for (size_t k = 0; k < jobs_.size(); ++k) {
            const auto& r = results[k];
            if (r.epochs.empty()) continue;
            json m = jobJson(jobs_[k], r, common_.metric);
            m["per_class_test_accuracy"] = perClassAccuracy(r.confusion);
            out["models"].push_back(m);
            const auto& best = r.epochs[static_cast<size_t>(r.bestEpoch() - 1)];
            headline += (headline.empty() ? "" : "; ") + jobs_[k].name + " test " +
                        pct(r.epochs.back().testAccuracy) + " (best " + pct(best.testAccuracy) +
                        " at epoch " + std::to_string(best.epoch) + "), train " +
                        pct(r.epochs.back().trainAccuracy);
        }
        out["seconds"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out["headline"] = headline.empty() ? "no epoch finished" : headline;
        return out;
    }

  private:
    json config_;
    Common common_;
    ExperimentContext ctx_;
    std::vector<Job> jobs_;
    std::vector<std::string> classNames_;
};

// ---------------------------------------------------------------------------------------
// 3-1: random labels, with a companion run on the true labels on the same schedule.

class RandomLabelsExperiment : public Experiment {
  public:
    RandomLabelsExperiment(const json& c, const ExperimentContext& ctx)
        : common_(readCommon(c)), ctx_(ctx) {
        const DatasetSpec* spec = findDatasetSpec(common_.dataset);
        if (!spec) throw ConfigError({"dataset '" + common_.dataset + "' is unknown"});
        p_ = c.at("corruption").get<double>();
        threshold_ = c.at("fit_threshold").get<double>();
        const int which = c.at("model").get<int>();
        classes_ = static_cast<std::int64_t>(spec->classNames.size());
        Job r;
        r.key = "random";
        r.name = p_ >= 1 ? "random labels" : "p = " + fmt(p_, 3) + " corrupted";
        r.spec = cnnModel(which, spec->channels, spec->height, spec->width);
        r.seed = common_.seed * 1000003ULL + static_cast<std::uint64_t>(which);
        r.color = 3;
        jobs_.push_back(r);
        if (c.at("companion").get<bool>()) {
            Job t = r;  // same model, initialisation and batch order: only the labels differ
            t.key = "true";
            t.name = "true labels";
            t.color = 0;
            jobs_.push_back(t);
        }
    }

    PlotLayout layout() const override {
        PlotLayout l;
        addEpochPanels(l);
        for (const auto& j : jobs_) addCurves(l, j, common_.metric);
        SeriesSpec chance;
        chance.id = "chance";
        chance.panel = "accuracy";
        chance.name = "chance (" + fmt(100.0 / static_cast<double>(classes_), 3) + "%)";
        chance.xName = "epoch";
        chance.yName = "accuracy_percent";
        chance.color = -1;
        chance.dashed = true;
        chance.mode = SeriesMode::Replace;
        l.series.push_back(chance);
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        LoadedData d = loadData(common_, ctx_.dataDir, sink);
        ImageDataset corrupted = d.data;  // shares the image bytes
        std::int64_t replaced = 0;
        const std::uint64_t labelSeed = common_.seed * 7919ULL + 17ULL;
        corrupted.train.labels =
            corruptLabels(d.data.train.labels, p_, classes_, labelSeed, &replaced);
        corrupted.corruptedLabels = replaced;
        const std::int64_t changed =
            corrupted.train.labels.ne(d.data.train.labels).sum().item<std::int64_t>();
        sink.logged("Training labels: " + withCommas(replaced) + " of " +
                    withCommas(d.data.train.size()) + " redrawn uniformly (label seed " +
                    std::to_string(labelSeed) + "); " + withCommas(changed) +
                    " now differ from the truth. Test labels are true.");
        jobs_[0].data = &corrupted;
        if (jobs_.size() > 1) jobs_[1].data = &d.data;
        sink.seriesReplaced(
            "chance", {1.0, static_cast<double>(common_.epochs)},
            {100.0 / static_cast<double>(classes_), 100.0 / static_cast<double>(classes_)});

        std::vector<int> fitEpoch(jobs_.size(), 0);
        std::vector<std::int64_t> fitSteps(jobs_.size(), 0);
        std::mutex fitMutex;
        // Time to fit at fixed levels as well, so the two runs compare even when one never
        // reaches the threshold.
        const std::vector<double> levels{0.5, 0.9};
        std::vector<std::vector<int>> levelEpoch(jobs_.size(), std::vector<int>(levels.size(), 0));
        auto onEpoch = [&](size_t k, const EpochMetrics& e) {
            std::lock_guard<std::mutex> lock(fitMutex);
            for (size_t i = 0; i < levels.size(); ++i)
                if (levelEpoch[k][i] == 0 && e.trainAccuracy >= levels[i])
                    levelEpoch[k][i] = e.epoch;
            if (fitEpoch[k] == 0 && e.trainAccuracy >= threshold_) {
                fitEpoch[k] = e.epoch;
                fitSteps[k] = e.steps;
                sink.logged(jobs_[k].name + ": train accuracy passed " + pct(threshold_) +
                            " at epoch " + std::to_string(e.epoch) + " (step " +
                            withCommas(e.steps) + ")");
            }
        };
        const auto results = runAll(jobs_, common_, ctx_.threads, control, sink, onEpoch);

        json out = baseResults(d);
        out["corruption"] = p_;
        out["label_seed"] = labelSeed;
        out["labels_redrawn"] = replaced;
        out["labels_changed"] = changed;
        out["fit_threshold"] = threshold_;
        out["runs"] = json::array();
        for (size_t k = 0; k < jobs_.size(); ++k) {
            if (results[k].epochs.empty()) continue;
            json r = jobJson(jobs_[k], results[k], common_.metric);
            r["labels"] = jobs_[k].key;
            r["fit_epoch"] = fitEpoch[k] > 0 ? json(fitEpoch[k]) : json(nullptr);
            r["fit_steps"] = fitEpoch[k] > 0 ? json(fitSteps[k]) : json(nullptr);
            json at = json::object();
            for (size_t i = 0; i < levels.size(); ++i)
                at[fmt(levels[i])] = levelEpoch[k][i] > 0 ? json(levelEpoch[k][i]) : json(nullptr);
            r["epoch_reaching_train_accuracy"] = at;
            out["runs"].push_back(r);
        }
        std::string headline;
        const auto& rr = results[0];
        if (!rr.epochs.empty()) {
            headline = jobs_[0].name + ": " +
                       (fitEpoch[0] > 0 ? "train accuracy passed " + pct(threshold_) +
                                              " at epoch " + std::to_string(fitEpoch[0])
                                        : "train accuracy " + pct(rr.epochs.back().trainAccuracy) +
                                              " after " + std::to_string(rr.epochs.size()) +
                                              " epochs (did not pass " + pct(threshold_) + ")") +
                       ", test accuracy " + pct(rr.epochs.back().testAccuracy);
        }
        if (jobs_.size() > 1 && !results[1].epochs.empty()) {
            const auto& tr = results[1];
            headline += "; true labels: " +
                        (fitEpoch[1] > 0 ? "passed at epoch " + std::to_string(fitEpoch[1])
                                         : "did not pass") +
                        ", test accuracy " + pct(tr.epochs.back().testAccuracy);
            if (fitEpoch[0] > 0 && fitEpoch[1] > 0) {
                const double ratio =
                    static_cast<double>(fitEpoch[0]) / static_cast<double>(fitEpoch[1]);
                out["fit_ratio"] = ratio;
                headline += "; random labels took " + fmt(ratio, 3) + "× as many epochs";
            } else {
                out["fit_ratio"] = nullptr;
            }
            json ratios = json::object();
            for (size_t i = 0; i < levels.size(); ++i)
                if (levelEpoch[0][i] > 0 && levelEpoch[1][i] > 0)
                    ratios[fmt(levels[i])] = static_cast<double>(levelEpoch[0][i]) /
                                             static_cast<double>(levelEpoch[1][i]);
            out["epoch_ratio_at_train_accuracy"] = ratios;
            if (fitEpoch[0] == 0 && levelEpoch[0][1] > 0 && levelEpoch[1][1] > 0)
                headline += "; to 90% train accuracy random labels took " +
                            fmt(ratios["0.9"].get<double>(), 3) + "× as many epochs";
        }
        out["seconds"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out["headline"] = headline.empty() ? "no epoch finished" : headline;
        return out;
    }

  private:
    Common common_;
    ExperimentContext ctx_;
    double p_ = 1, threshold_ = 0.99;
    std::int64_t classes_ = 10;
    std::vector<Job> jobs_;
};

// ---------------------------------------------------------------------------------------
// 3-2: Net_1..Net_10 against their parameter counts.

class ParamSweepExperiment : public Experiment {
  public:
    ParamSweepExperiment(const json& c, const ExperimentContext& ctx)
        : common_(readCommon(c)), ctx_(ctx) {
        const DatasetSpec* spec = findDatasetSpec(common_.dataset);
        if (!spec) throw ConfigError({"dataset '" + common_.dataset + "' is unknown"});
        for (const auto& v : c.at("nets")) {
            const int i = v.get<int>();
            Job j;
            j.key = "net" + std::to_string(i);
            j.name = "Net_" + std::to_string(i);
            j.spec = cnnNetFamily(i, spec->channels, spec->height, spec->width);
            j.seed = common_.seed * 1000003ULL + static_cast<std::uint64_t>(i);
            j.color = (i - 1) % 8;
            jobs_.push_back(j);
            index_.push_back(i);
        }
    }

    PlotLayout layout() const override {
        PlotLayout l;
        l.panels.push_back({"params_acc", "Accuracy vs number of parameters", "parameters (log)",
                            "accuracy (%)", "", true, false, false});
        l.panels.push_back({"params_loss", "Loss vs number of parameters", "parameters (log)",
                            "cross-entropy", "", true, false, false});
        l.panels.push_back(epochPanel(
            "selected_acc", "Accuracy per epoch of one net (click a point)", "accuracy (%)"));
        l.panels.push_back(epochPanel("selected_loss", "Loss per epoch of one net (click a point)",
                                      "cross-entropy"));
        auto add = [&](const std::string& id, const std::string& panel, const std::string& name,
                       const std::string& y, int color, bool dashed, SeriesStyle style,
                       bool perRun) {
            SeriesSpec s;
            s.id = id;
            s.panel = panel;
            s.name = name;
            s.xName = perRun ? "epoch" : "parameters";
            s.yName = y;
            s.color = color;
            s.dashed = dashed;
            s.mode = SeriesMode::Replace;
            s.style = style;
            s.perRun = perRun;
            l.series.push_back(s);
        };
        const std::string tr =
            common_.metric == TrainMetric::Clean ? "train (clean pass)" : "train (running)";
        add("final_train_acc", "params_acc", "final " + tr, "train_accuracy_percent", 0, false,
            SeriesStyle::Line, false);
        add("final_test_acc", "params_acc", "final test", "test_accuracy_percent", 1, true,
            SeriesStyle::Line, false);
        add("best_test_acc", "params_acc", "best test (any epoch)", "best_test_accuracy_percent", 2,
            false, SeriesStyle::Scatter, false);
        add("final_train_loss", "params_loss", "final " + tr, "train_loss", 0, false,
            SeriesStyle::Line, false);
        add("final_test_loss", "params_loss", "final test", "test_loss", 1, true, SeriesStyle::Line,
            false);
        add("min_test_loss", "params_loss", "lowest test (any epoch)", "min_test_loss", 2, false,
            SeriesStyle::Scatter, false);
        add("sel_acc_train", "selected_acc", tr, "train_accuracy_percent", 0, false,
            SeriesStyle::Line, true);
        add("sel_acc_test", "selected_acc", "test", "test_accuracy_percent", 1, true,
            SeriesStyle::Line, true);
        add("sel_loss_train", "selected_loss", tr, "train_loss", 0, false, SeriesStyle::Line, true);
        add("sel_loss_test", "selected_loss", "test", "test_loss", 1, true, SeriesStyle::Line,
            true);
        return l;
    }

    json run(ExperimentSink& sink, RunControl& control) override {
        const auto t0 = std::chrono::steady_clock::now();
        LoadedData d = loadData(common_, ctx_.dataDir, sink);
        for (auto& j : jobs_) j.data = &d.data;
        std::string sizes;
        for (const auto& j : jobs_)
            sizes +=
                (sizes.empty() ? "" : ", ") + j.name + " " + withCommas(cnnParameterCount(j.spec));
        sink.logged("Parameters: " + sizes);

        std::mutex mutex;
        std::vector<std::vector<EpochMetrics>> history(jobs_.size());
        std::vector<bool> done(jobs_.size(), false);
        // Redraws the per-parameter panels from every finished net, in parameter order.
        auto redraw = [&] {
            std::vector<size_t> order;
            for (size_t k = 0; k < jobs_.size(); ++k)
                if (done[k] && !history[k].empty()) order.push_back(k);
            std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
                return cnnParameterCount(jobs_[a].spec) < cnnParameterCount(jobs_[b].spec);
            });
            std::vector<double> x, ftr, fte, bte, ltr, lte, lmin;
            std::vector<std::string> labels;
            for (size_t k : order) {
                const auto& h = history[k];
                const auto& last = h.back();
                double best = 0, minLoss = INFINITY;
                for (const auto& e : h) {
                    best = std::max(best, e.testAccuracy);
                    minLoss = std::min(minLoss, e.testLoss);
                }
                x.push_back(static_cast<double>(cnnParameterCount(jobs_[k].spec)));
                ftr.push_back(100 * last.trainAccuracy);
                fte.push_back(100 * last.testAccuracy);
                bte.push_back(100 * best);
                ltr.push_back(last.trainLoss);
                lte.push_back(last.testLoss);
                lmin.push_back(minLoss);
                labels.push_back(jobs_[k].name + " · " +
                                 withCommas(cnnParameterCount(jobs_[k].spec)) +
                                 " parameters · train " + pct(last.trainAccuracy) + ", test " +
                                 pct(last.testAccuracy) + " · click for its epochs");
            }
            const std::pair<const char*, const std::vector<double>*> series[] = {
                {"final_train_acc", &ftr},  {"final_test_acc", &fte},  {"best_test_acc", &bte},
                {"final_train_loss", &ltr}, {"final_test_loss", &lte}, {"min_test_loss", &lmin}};
            for (const auto& [id, ys] : series) {
                sink.seriesReplaced(id, x, *ys);
                sink.labelsReplaced(id, labels);
            }
        };
        auto onEpoch = [&](size_t k, const EpochMetrics& e) {
            std::lock_guard<std::mutex> lock(mutex);
            history[k].push_back(e);
            std::vector<double> ep, atr, ate, ltr, lte;
            for (const auto& m : history[k]) {
                ep.push_back(m.epoch);
                atr.push_back(100 * m.trainAccuracy);
                ate.push_back(100 * m.testAccuracy);
                ltr.push_back(m.trainLoss);
                lte.push_back(m.testLoss);
            }
            const std::string run = "_run" + std::to_string(index_[k]);
            const std::pair<const char*, const std::vector<double>*> series[] = {
                {"sel_acc_train", &atr},
                {"sel_acc_test", &ate},
                {"sel_loss_train", &ltr},
                {"sel_loss_test", &lte}};
            for (const auto& [id, ys] : series) {
                sink.seriesReplaced(id, ep, *ys);  // live: the net that reported last
                std::vector<std::vector<double>> rows;
                for (size_t i = 0; i < ep.size(); ++i) rows.push_back({ep[i], (*ys)[i]});
                sink.tableWritten(std::string(id) + run, {"epoch", id}, rows);
            }
        };
        auto onDone = [&](size_t k, const ImageTrainResult&) {
            std::lock_guard<std::mutex> lock(mutex);
            done[k] = true;
            redraw();
        };
        const auto results = runAll(jobs_, common_, ctx_.threads, control, sink, onEpoch, onDone);

        json out = baseResults(d);
        out["nets"] = json::array();
        std::vector<size_t> finished;
        for (size_t k = 0; k < jobs_.size(); ++k) {
            if (results[k].epochs.empty()) continue;
            json n = jobJson(jobs_[k], results[k], common_.metric);
            n["index"] = index_[k];
            out["nets"].push_back(n);
            if (!results[k].cancelled) finished.push_back(k);
        }
        std::string headline = std::to_string(finished.size()) + " of " +
                               std::to_string(jobs_.size()) + " nets trained";
        if (!finished.empty()) {
            std::sort(finished.begin(), finished.end(), [&](size_t a, size_t b) {
                return cnnParameterCount(jobs_[a].spec) < cnnParameterCount(jobs_[b].spec);
            });
            const auto& a = results[finished.front()].epochs.back();
            const auto& b = results[finished.back()].epochs.back();
            headline += ": " + jobs_[finished.front()].name + " (" +
                        withCommas(cnnParameterCount(jobs_[finished.front()].spec)) + ") test " +
                        pct(a.testAccuracy) + ", train " + pct(a.trainAccuracy);
            if (finished.size() > 1)
                headline += " → " + jobs_[finished.back()].name + " (" +
                            withCommas(cnnParameterCount(jobs_[finished.back()].spec)) + ") test " +
                            pct(b.testAccuracy) + ", train " + pct(b.trainAccuracy);
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
    std::vector<int> index_;
};

}  // namespace

ExperimentKind cnnTrainKind() {
    ExperimentKind k;
    k.id = "cnn_train";
    k.schema = [](const json&) {
        auto s = commonSchema(1000);
        ParamSpec models = makeParam("models", "Models", "Model", ParamType::IntList, 1, 3,
                                     "Which of the three CNNs to train (1: 148,018 parameters "
                                     "on CIFAR-10, 2: 620,810, 3: 1,099,018)");
        models.minItems = 1;
        models.maxItems = 3;
        s.insert(s.begin() + 3, models);
        return s;
    };
    k.check = [](const json& c) {
        auto p = commonCheck(c);
        for (auto& m : listedTwice(c, "models", "Model ")) p.push_back(std::move(m));
        return p;
    };
    k.datasets = datasetsOf;
    k.create = [](const json& c, const ExperimentContext& ctx) -> std::unique_ptr<Experiment> {
        return std::make_unique<CnnTrainExperiment>(c, ctx);
    };
    return k;
}

ExperimentKind randomLabelsKind() {
    ExperimentKind k;
    k.id = "random_labels";
    k.schema = [](const json&) {
        auto s = commonSchema(10000);
        s.insert(s.begin() + 3,
                 {makeParam("corruption", "Corrupted fraction p", "Labels", ParamType::Double, 0, 1,
                            "Fraction of training labels redrawn uniformly (1 = all random)"),
                  makeParam("companion", "Companion run on true labels", "Labels", ParamType::Bool,
                            0, 0, "Same model, initialisation and batch order on the true labels"),
                  makeParam("fit_threshold", "Fit threshold", "Labels", ParamType::Double, 0.1, 1,
                            "Train accuracy that counts as fitted (0.99 = 99%)"),
                  makeParam("model", "Model", "Model", ParamType::Int, 1, 3,
                            "Which CNN of 1-2 (Model 1 as in the original)")});
        return s;
    };
    k.check = commonCheck;
    k.datasets = datasetsOf;
    k.create = [](const json& c, const ExperimentContext& ctx) -> std::unique_ptr<Experiment> {
        return std::make_unique<RandomLabelsExperiment>(c, ctx);
    };
    return k;
}

ExperimentKind paramSweepKind() {
    ExperimentKind k;
    k.id = "param_sweep";
    k.schema = [](const json&) {
        auto s = commonSchema(1000);
        ParamSpec nets = makeParam("nets", "Nets", "Model", ParamType::IntList, 1, 10,
                                   "Which of Net_1 … Net_10 (channels 16i, 32i, 64i, FC 120i)");
        nets.minItems = 1;
        nets.maxItems = 10;
        s.insert(s.begin() + 3, nets);
        return s;
    };
    k.check = [](const json& c) {
        auto p = commonCheck(c);
        for (auto& m : listedTwice(c, "nets", "Net_")) p.push_back(std::move(m));
        return p;
    };
    k.datasets = datasetsOf;
    k.create = [](const json& c, const ExperimentContext& ctx) -> std::unique_ptr<Experiment> {
        return std::make_unique<ParamSweepExperiment>(c, ctx);
    };
    return k;
}

}  // namespace trainlab
