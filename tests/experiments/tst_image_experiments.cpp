// 1-2, 3-1 and 3-2 end to end on a tiny slice of Fashion-MNIST (installed with trainlab):
// presets as in science.md, files written, labels corrupted only where asked, runs
// reproducible, bad configs refused per field.
#include <torch/torch.h>

#include <QtTest>

#include "cnn.h"
#include "dataset_catalog.h"
#include "experiment_runner.h"
#include "preset.h"
#include "test_runs.h"
#include "atomic_file.h"
#include "csv.h"

using namespace trainlab;
using nlohmann::json;

namespace {

bool haveFashion() {
    return locateDataset("fashion-mnist", datasetSearchRoots()).has_value();
}

RunOutcome runTiny(const std::string& preset, const QTemporaryDir& tmp,
                   const std::function<void(json&)>& edit) {
    return testing::runPresetEdited(
        preset,
        [&](json& c) {
            c["dataset"] = "fashion-mnist";
            c["train_limit"] = 300;
            c["test_limit"] = 200;
            c["epochs"] = 2;
            c["batch_size"] = 50;
            edit(c);
        },
        tmp.path().toStdString());
}

std::int64_t csvRows(const fs::path& p) {
    const std::string s = readFile(p);
    return std::count(s.begin(), s.end(), '\n') - 1;  // minus the header
}

}  // namespace

class TstImageExperiments : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void presetsMatchScienceMd() {
        const Preset a = resolvePreset("1-2-cnns");
        QCOMPARE(a.config["dataset"].get<std::string>(), std::string("cifar10"));
        QCOMPARE(a.config["models"], json({1, 2, 3}));
        QCOMPARE(a.config["optimizer"].get<std::string>(), std::string("adam"));
        QCOMPARE(a.config["lr"].get<double>(), 1e-3);
        QCOMPARE(a.config["batch_size"].get<int>(), 100);
        QCOMPARE(a.config["epochs"].get<int>(), 20);
        QVERIFY(a.expected.find("70–80%") != std::string::npos);

        const Preset b = resolvePreset("3-1-random-labels");
        QCOMPARE(b.config["corruption"].get<double>(), 1.0);
        QCOMPARE(b.config["model"].get<int>(), 1);
        QCOMPARE(b.config["epochs"].get<int>(), 100);
        QVERIFY(b.expected.find("chance") != std::string::npos);

        const Preset c = resolvePreset("3-2-parameters");
        QCOMPARE(c.config["nets"], json({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
        QCOMPARE(c.config["epochs"].get<int>(), 10);
        // The counts the preset's description quotes are the builder's.
        QCOMPARE(cnnParameterCount(cnnNetFamily(1, 3, 32, 32)), std::int64_t{148018});
        QCOMPARE(cnnParameterCount(cnnNetFamily(10, 3, 32, 32)), std::int64_t{14612890});
        QVERIFY(c.description.find("14,612,890") != std::string::npos);
        QVERIFY(resolvePreset("3-2-parameters-quick").description.find("2,343,082") !=
                std::string::npos);
        QCOMPARE(cnnParameterCount(cnnNetFamily(4, 3, 32, 32)), std::int64_t{2343082});
    }

    void badConfigsAreRefusedPerField() {
        auto problems = [](const std::string& preset, const std::function<void(json&)>& edit) {
            Preset p = resolvePreset(preset);
            json c = p.config;
            edit(c);
            return validateExperimentConfig(p.kind, c);
        };
        auto mentions = [](const std::vector<std::string>& ps, const std::string& what) {
            for (const auto& p : ps)
                if (p.find(what) != std::string::npos) return true;
            return false;
        };
        QVERIFY(mentions(problems("1-2-cnns", [](json& c) { c["models"] = {1, 1}; }), "twice"));
        QVERIFY(mentions(problems("1-2-cnns", [](json& c) { c["models"] = {4}; }), "models"));
        QVERIFY(
            mentions(problems("1-2-cnns", [](json& c) { c["epochs"] = 1000000000; }), "epochs"));
        QVERIFY(mentions(problems("1-2-cnns",
                                  [](json& c) {
                                      c["train_limit"] = 500;
                                      c["batch_size"] = 1000;
                                  }),
                         "larger than the 500 training images"));
        QVERIFY(mentions(problems("3-1-random-labels", [](json& c) { c["corruption"] = 1.5; }),
                         "corruption"));
        QVERIFY(mentions(problems("3-2-parameters", [](json& c) { c["nets"] = {0, 11}; }), "nets"));
        QVERIFY(mentions(problems("3-2-parameters", [](json& c) { c["dataset"] = "imagenet"; }),
                         "dataset"));
        QVERIFY(problems("3-2-parameters-quick", [](json&) {}).empty());
    }

    void cnnTrainWritesCurvesPerClassAndConfusion() {
        if (!haveFashion()) QSKIP("Fashion-MNIST is not installed");
        QTemporaryDir tmp;
        const RunOutcome out = runTiny("1-2-cnns", tmp, [](json& c) { c["models"] = {1, 3}; });
        QVERIFY2(out.state == RunState::Finished, out.message.c_str());
        const auto& models = out.results["models"];
        QCOMPARE(models.size(), size_t(2));
        // The 1x28x28 builds have their own counts.
        QCOMPARE(models[0]["parameters"].get<std::int64_t>(), std::int64_t{93970});
        QCOMPARE(models[1]["parameters"].get<std::int64_t>(),
                 cnnParameterCount(cnnModel(3, 1, 28, 28)));
        for (const auto& m : models) {
            QCOMPARE(m["epochs_run"].get<int>(), 2);
            QCOMPARE(m["steps"].get<int>(), 12);  // 300 / 50 per epoch
            QCOMPARE(m["per_class_test_accuracy"].size(), size_t(10));
            // Learned something in 12 steps (chance: 10%).
            QVERIFY(m["final"]["train_accuracy"].get<double>() > 0.3);
        }
        // Model 1 generalises already; Model 3 (1.1M parameters, BatchNorm, dropout) is still
        // near chance on test images after 12 steps, so only Model 1's test accuracy is held.
        QVERIFY(models[0]["final"]["test_accuracy"].get<double>() > 0.4);
        RunDirectory dir(out.runDir);
        for (const char* s : {"loss_train_m1", "loss_test_m1", "acc_train_m3", "acc_test_m3"})
            QCOMPARE(readSeriesCsv(dir.seriesPath(s)).x, (std::vector<double>{1, 2}));
        QCOMPARE(readSeriesCsv(dir.seriesPath("per_class_m1")).x.size(), size_t(10));
        // The confusion matrix counts every test image once.
        const std::string conf = readFile(dir.seriesPath("confusion_m1"));
        QVERIFY(conf.rfind("true_label,predicted_0,", 0) == 0);
        double total = 0;
        std::istringstream lines(conf);
        std::string line;
        std::getline(lines, line);
        while (std::getline(lines, line)) {
            std::istringstream cells(line);
            std::string cell;
            std::getline(cells, cell, ',');  // the true label
            while (std::getline(cells, cell, ',')) total += std::stod(cell);
        }
        QCOMPARE(total, 200.0);
        QCOMPARE(csvRows(dir.seriesPath("per_class_accuracy")), std::int64_t{10});
        QVERIFY(out.results["headline"].get<std::string>().find("Model 3 test") !=
                std::string::npos);
    }

    void concurrentAndSerialRunsGiveTheSameNumbers() {
        if (!haveFashion()) QSKIP("Fashion-MNIST is not installed");
        QTemporaryDir tmp;
        auto run = [&](bool parallel) {
            return runTiny("1-2-cnns", tmp, [&](json& c) {
                c["models"] = {1, 2};
                c["parallel"] = parallel;
                c["epochs"] = 1;
            });
        };
        const RunOutcome a = run(true), b = run(false);
        QVERIFY2(a.state == RunState::Finished && b.state == RunState::Finished, b.message.c_str());
        for (size_t k = 0; k < 2; ++k)
            for (const char* f : {"train_loss", "test_loss", "test_accuracy"})
                QCOMPARE(a.results["models"][k]["final"][f].get<double>(),
                         b.results["models"][k]["final"][f].get<double>());
    }

    void randomLabelsCorruptOnlyTheTrainingRunAndRecordTheFit() {
        if (!haveFashion()) QSKIP("Fashion-MNIST is not installed");
        QTemporaryDir tmp;
        const RunOutcome out = runTiny("3-1-random-labels", tmp, [](json& c) {
            c["fit_threshold"] = 0.1;  // reached at once: the fit epoch is recorded
        });
        QVERIFY2(out.state == RunState::Finished, out.message.c_str());
        const auto& r = out.results;
        QCOMPARE(r["labels_redrawn"].get<int>(), 300);
        // Uniform redraws keep the true label about 1 time in 10.
        const int changed = r["labels_changed"].get<int>();
        QVERIFY2(changed > 240 && changed < 295, std::to_string(changed).c_str());
        QCOMPARE(r["runs"].size(), size_t(2));
        QCOMPARE(r["runs"][0]["labels"].get<std::string>(), std::string("random"));
        QCOMPARE(r["runs"][1]["labels"].get<std::string>(), std::string("true"));
        // Same model, initialisation and schedule; only the labels differ.
        QCOMPARE(r["runs"][0]["seed"], r["runs"][1]["seed"]);
        QCOMPARE(r["runs"][0]["fit_epoch"].get<int>(), 1);
        QVERIFY(r["fit_ratio"].is_number());
        // Time to fit at fixed levels: the true labels pass 50% within two epochs here.
        const auto& levels = r["runs"][1]["epoch_reaching_train_accuracy"];
        QVERIFY(levels.contains("0.5") && levels.contains("0.9"));
        QVERIFY(levels["0.5"].is_number());
        QVERIFY(r["epoch_ratio_at_train_accuracy"].is_object());
        RunDirectory dir(out.runDir);
        QCOMPARE(readSeriesCsv(dir.seriesPath("acc_train_random")).x.size(), size_t(2));
        QCOMPARE(readSeriesCsv(dir.seriesPath("acc_test_true")).x.size(), size_t(2));
        const Series chance = readSeriesCsv(dir.seriesPath("chance"));
        QCOMPARE(chance.y, (std::vector<double>{10, 10}));
    }

    void withoutCorruptionBothRunsAreIdentical() {
        if (!haveFashion()) QSKIP("Fashion-MNIST is not installed");
        QTemporaryDir tmp;
        const RunOutcome out = runTiny("3-1-random-labels", tmp, [](json& c) {
            c["corruption"] = 0.0;
            c["epochs"] = 1;
        });
        QVERIFY2(out.state == RunState::Finished, out.message.c_str());
        QCOMPARE(out.results["labels_changed"].get<int>(), 0);
        const auto& runs = out.results["runs"];
        QCOMPARE(runs[0]["final"]["train_loss"].get<double>(),
                 runs[1]["final"]["train_loss"].get<double>());
        QCOMPARE(runs[0]["final"]["test_accuracy"].get<double>(),
                 runs[1]["final"]["test_accuracy"].get<double>());
        QVERIFY(runs[0]["fit_epoch"].is_null());  // 99% on 300 images in one epoch: no
    }

    void paramSweepPlotsAgainstParametersAndKeepsEachNetsEpochs() {
        if (!haveFashion()) QSKIP("Fashion-MNIST is not installed");
        QTemporaryDir tmp;
        const RunOutcome out = runTiny("3-2-parameters", tmp, [](json& c) { c["nets"] = {2, 1}; });
        QVERIFY2(out.state == RunState::Finished, out.message.c_str());
        QCOMPARE(out.results["nets"].size(), size_t(2));
        RunDirectory dir(out.runDir);
        const std::int64_t n1 = cnnParameterCount(cnnNetFamily(1, 1, 28, 28));
        const std::int64_t n2 = cnnParameterCount(cnnNetFamily(2, 1, 28, 28));
        for (const char* s : {"final_train_acc", "final_test_acc", "best_test_acc",
                              "final_test_loss", "min_test_loss"}) {
            const Series p = readSeriesCsv(dir.seriesPath(s));
            // x is the number of parameters, in increasing order (not epochs, as the original).
            QCOMPARE(p.x, (std::vector<double>{static_cast<double>(n1), static_cast<double>(n2)}));
        }
        const Series best = readSeriesCsv(dir.seriesPath("best_test_acc"));
        const Series fin = readSeriesCsv(dir.seriesPath("final_test_acc"));
        for (size_t i = 0; i < 2; ++i) QVERIFY(best.y[i] >= fin.y[i]);
        // Every net's per-epoch curves, for the "click a point" view.
        for (int net : {1, 2})
            for (const char* s :
                 {"sel_acc_train", "sel_acc_test", "sel_loss_train", "sel_loss_test"})
                QCOMPARE(
                    readSeriesCsv(dir.seriesPath(std::string(s) + "_run" + std::to_string(net))).x,
                    (std::vector<double>{1, 2}));
        const PlotLayout layout = dir.readLayout();
        QVERIFY(layout.findPanel("params_acc")->logX);
        QVERIFY(layout.findSeries("sel_acc_test")->perRun);
    }

    void cancelStopsWithPartialResults() {
        if (!haveFashion()) QSKIP("Fashion-MNIST is not installed");
        QTemporaryDir tmp;
        RunRequest r;
        r.preset = resolvePreset("1-2-cnns");
        r.config = r.preset.config;
        r.config["dataset"] = "fashion-mnist";
        r.config["train_limit"] = 2000;
        r.config["test_limit"] = 100;
        r.config["models"] = {1};
        r.runsRoot = tmp.path().toStdString();
        RunControl control;
        std::thread stopper([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(800));
            control.cancel = true;
        });
        const auto t0 = std::chrono::steady_clock::now();
        const RunOutcome out = runExperiment(r, nullptr, control);
        stopper.join();
        QCOMPARE(out.state, RunState::Cancelled);
        // 20 epochs of 20 steps would take far longer than the stop.
        QVERIFY(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
        QVERIFY(RunDirectory(out.runDir).readStatus().state == RunState::Cancelled);
    }
};

QTEST_APPLESS_MAIN(TstImageExperiments)
#include "tst_image_experiments.moc"
