// Issue 19: limits and evaluation subsets are seeded per-class draws, never "the first n".
// A tiny class-sorted CIFAR-10 image folder (train/<class>/*.png, each class its own colour)
// and a class-sorted MNIST (IDX) are run through every image experiment kind with limits
// set; every subset a run used is recorded with its class histogram, read back here.
#include <png.h>
#include <torch/torch.h>

#include <QtTest>
#include <cstdio>
#include <fstream>

#include "test_datasets.h"
#include "run_directory.h"
#include "dataset_catalog.h"
#include "experiment_runner.h"
#include "image_tensors.h"
#include "preset.h"
#include "test_runs.h"
#include "atomic_file.h"

using namespace trainlab;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr int kClasses = testing::kTinyClasses;
constexpr int kTrainPerClass = 100;
constexpr int kTestPerClass = 20;

std::vector<std::int64_t> perClass(const json& subset) {
    return subset.at("per_class").get<std::vector<std::int64_t>>();
}

}  // namespace

class TstSubsets : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path data_, runs_;

    RunOutcome run(const std::string& preset, const std::function<void(json&)>& edit) {
        return testing::runPresetEdited(preset, edit, runs_, data_);
    }

    // The recorded subset, read back from the run folder's results.json.
    static json recorded(const RunOutcome& out) {
        return readJsonFile(out.runDir / "results.json").at("subsets");
    }

    static void tinyCnn(json& c) {
        c["train_limit"] = 200;  // 2 of the 10 classes if it were the first 200
        c["test_limit"] = 50;
        c["epochs"] = 1;
        if (c.contains("batch_size")) c["batch_size"] = 50;
        c["parallel"] = false;
    }

  private slots:
    void initTestCase() {
        torch::set_num_threads(1);
        QVERIFY(tmp_.isValid());
        data_ = fs::path(tmp_.path().toStdString()) / "data";
        runs_ = fs::path(tmp_.path().toStdString()) / "runs";
        testing::writeCifarFolder(data_, kTrainPerClass, kTestPerClass);
        testing::writeMnistSorted(data_, kTrainPerClass, kTestPerClass);
    }

    void subsetSettingIsChecked() {
        for (const char* id : {"1-2-cnns", "3-1-random-labels", "3-2-parameters",
                               "3-2-parameters-quick", "3-3-interpolation", "3-3-sensitivity",
                               "2-1-weight-pca"}) {
            const Preset p = resolvePreset(id);
            QCOMPARE(p.config.at("subset").get<std::string>(), std::string("stratified"));
            json c = p.config;
            applyOverride(p.kind, c, "subset=balanced");
            QCOMPARE(c.at("subset").get<std::string>(), std::string("balanced"));
            c["subset"] = "first";
            const auto problems = validateExperimentConfig(p.kind, c);
            QVERIFY2(problems.size() == 1 && problems[0].find("'subset'") != std::string::npos,
                     id);
            c.erase("subset");  // required, as every setting: named when missing
            const auto missing = validateExperimentConfig(p.kind, c);
            QVERIFY2(missing.size() == 1 && missing[0].find("'subset'") != std::string::npos,
                     id);
        }
    }

    void imageFolderSaysItIsClassOrdered() {
        const auto loc = locateDataset("cifar10", datasetSearchRoots(data_.string()));
        QVERIFY(loc.has_value());
        const RawDataset raw = loadRawDataset(*loc);
        QVERIFY(raw.train.classOrdered);
        QVERIFY(raw.test.classOrdered);
    }

    // Every kind, through its own data path, with limits: every subset holds every class in
    // its share (stratified), or the same count each (balanced).
    void everyKindDrawsEverySubsetPerClass() {
        const std::vector<std::int64_t> twenty(kClasses, 20), five(kClasses, 5);
        for (const char* preset : {"1-2-cnns", "3-1-random-labels", "3-2-parameters-quick"}) {
            const RunOutcome out = run(preset, [](json& c) {
                tinyCnn(c);
                if (c.contains("models")) c["models"] = {1};
                if (c.contains("nets")) c["nets"] = {1};
                if (c.contains("companion")) c["companion"] = false;
            });
            QVERIFY2(out.state == RunState::Finished, (std::string(preset) + ": " + out.message).c_str());
            const json s = recorded(out);
            QVERIFY2(s.at("class_ordered_source").get<bool>(), preset);
            QCOMPARE(perClass(s.at("train")), twenty);
            QCOMPARE(perClass(s.at("test")), five);
            QCOMPARE(s.at("train").at("seed").get<std::uint64_t>(),
                     subsetSeed(1, SubsetPurpose::TrainLimit));
            QCOMPARE(s.at("test").at("mode").get<std::string>(), std::string("stratified"));
            // Said in the log, with the counts.
            bool logged = false;
            for (const auto& line : out.results.at("log"))
                logged = logged ||
                         line.get<std::string>().rfind("200 training images, 20 per class", 0) == 0;
            QVERIFY2(logged, preset);
        }

        const RunOutcome interp = run("3-3-interpolation", [](json& c) {
            tinyCnn(c);
            c["batch_size_2"] = 100;
            c["alpha_points"] = 3;
            c["batch_norm"] = "reestimate";
            c["bn_batches"] = 1;  // 100 of the 200 training images
            c["direction_points"] = 2;
            c["direction_images"] = 30;
            c["landscape_points"] = 2;
            c["sharpness_steps"] = 1;
            c["sharpness_images"] = 40;
        });
        QVERIFY2(interp.state == RunState::Finished, interp.message.c_str());
        json s = recorded(interp);
        QCOMPARE(perClass(s.at("train")), twenty);
        QCOMPARE(perClass(s.at("test")), five);
        QCOMPARE(perClass(s.at("direction_images")), std::vector<std::int64_t>(kClasses, 3));
        QCOMPARE(perClass(s.at("sharpness_images")), std::vector<std::int64_t>(kClasses, 4));
        QCOMPARE(perClass(s.at("batch_norm_images")), std::vector<std::int64_t>(kClasses, 10));
        QCOMPARE(s.at("sharpness_images").at("seed").get<std::uint64_t>(),
                 subsetSeed(1, SubsetPurpose::SharpnessImages));

        const RunOutcome sens = run("3-3-sensitivity", [](json& c) {
            tinyCnn(c);
            c["batch_sizes"] = {50, 100};
            c["budget"] = "epochs";
            c["sensitivity_images"] = 20;
        });
        QVERIFY2(sens.state == RunState::Finished, sens.message.c_str());
        s = recorded(sens);
        QCOMPARE(perClass(s.at("test")), five);
        QCOMPARE(perClass(s.at("sensitivity_images")), std::vector<std::int64_t>(kClasses, 2));
        QCOMPARE(sens.results.at("sensitivity_images").get<std::int64_t>(), std::int64_t{20});

        const RunOutcome pca = run("2-1-weight-pca", [](json& c) {
            c["train_limit"] = 200;
            c["hidden"] = {8};
            c["epochs"] = 1;
            c["runs"] = 2;
            c["snapshot_every"] = 1;
            c["include_initial"] = true;
            c["batch_size"] = 50;
            c["parallel"] = false;
            c["subset"] = "balanced";
        });
        QVERIFY2(pca.state == RunState::Finished, pca.message.c_str());
        s = recorded(pca);
        QVERIFY(s.at("class_ordered_source").get<bool>());  // IDX, found in class order
        QCOMPARE(perClass(s.at("train")), twenty);
        QCOMPARE(s.at("train").at("mode").get<std::string>(), std::string("balanced"));
    }

    void sameSeedSameSubsetOtherSeedOther() {
        auto runWith = [&](int seed) {
            return run("3-3-sensitivity", [seed](json& c) {
                tinyCnn(c);
                c["batch_sizes"] = {50, 100};
                c["budget"] = "epochs";
                c["sensitivity_images"] = 20;
                c["seed"] = seed;
            });
        };
        const RunOutcome a = runWith(3), b = runWith(3), c = runWith(4);
        QVERIFY(a.state == RunState::Finished && b.state == RunState::Finished &&
                c.state == RunState::Finished);
        QCOMPARE(recorded(a), recorded(b));
        QCOMPARE(a.results.at("batches")[0].at("sensitivity").get<double>(),
                 b.results.at("batches")[0].at("sensitivity").get<double>());
        QVERIFY(recorded(a).at("test").at("seed") != recorded(c).at("test").at("seed"));
        QCOMPARE(perClass(recorded(c).at("test")), std::vector<std::int64_t>(kClasses, 5));
    }

    // The bug's signature: on class-sorted data "the first 200" are two classes, so test
    // accuracy over all ten classes could not exceed 20%.
    void quickSweepOnClassSortedDataLearnsEveryClass() {
        const RunOutcome out = run("3-2-parameters-quick", [](json& c) {
            c["train_limit"] = 200;
            c["test_limit"] = 0;
            c["nets"] = {1};
            c["epochs"] = 3;
            c["batch_size"] = 20;
            c["lr"] = 0.003;
            c["parallel"] = false;
        });
        QVERIFY2(out.state == RunState::Finished, out.message.c_str());
        const double test = out.results.at("nets")[0].at("final").at("test_accuracy").get<double>();
        QVERIFY2(test > 0.6, std::to_string(test).c_str());
        QCOMPARE(perClass(recorded(out).at("test")),
                 std::vector<std::int64_t>(kClasses, kTestPerClass));
        QVERIFY(recorded(out).at("test").at("whole").get<bool>());
    }
};

QTEST_APPLESS_MAIN(TstSubsets)
#include "tst_subsets.moc"
