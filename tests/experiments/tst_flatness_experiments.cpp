// 3-3 end to end on a tiny class-sorted MNIST written on the fly (tests/support/
// test_datasets.h): the interpolation and sensitivity kinds run through runExperiment, and
// what they wrote is read back from the run folder: every declared series, results.json, and
// the relations that must hold whatever the training did (θ(0) is solution 1, θ(1) is
// solution 2, the barrier is the highest point between them, sensitivity is measured on the
// recorded subset).
#include <torch/torch.h>

#include <QtTest>
#include <algorithm>
#include <cmath>
#include <map>

#include "atomic_file.h"
#include "csv.h"
#include "experiment_runner.h"
#include "plot_layout.h"
#include "preset.h"
#include "test_runs.h"
#include "run_directory.h"
#include "series_data.h"
#include "test_datasets.h"

using namespace trainlab;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool near(double a, double b, double rel = 1e-6) {
    return std::abs(a - b) <= rel * std::max({1.0, std::abs(a), std::abs(b)});
}

#define QVERIFY_NEAR(a, b)                                                                         \
    QVERIFY2(near((a), (b)), (std::string(#a) + " = " + std::to_string(a) + " but " + #b + " = " + \
                              std::to_string(b))                                                   \
                                 .c_str())

/// The layout the run recorded, as its series ids and styles.
std::vector<SeriesSpec> declaredSeries(const fs::path& runDir) {
    return readJsonFile(runDir / "panels.json").get<PlotLayout>().series;
}

std::int64_t lineCount(const fs::path& p) {
    const std::string s = readFile(p);
    return std::count(s.begin(), s.end(), '\n');
}

}  // namespace

class TstFlatnessExperiments : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path data_, runs_;

    RunOutcome run(const std::string& preset, const std::function<void(json&)>& edit) {
        return testing::runPresetEdited(
            preset,
            [&](json& c) {
                c["dataset"] = "mnist";
                c["train_limit"] = 0;
                c["test_limit"] = 0;
                c["epochs"] = 1;
                c["parallel"] = false;
                edit(c);
            },
            runs_, data_);
    }

  private slots:
    void initTestCase() {
        torch::set_num_threads(1);
        QVERIFY(tmp_.isValid());
        data_ = fs::path(tmp_.path().toStdString()) / "data";
        runs_ = fs::path(tmp_.path().toStdString()) / "runs";
        testing::writeMnistSorted(data_, 20, 5);  // 200 training, 50 test images
    }

    void interpolationWritesEverySeriesAndItsEndsAreTheSolutions() {
        const RunOutcome out = run("3-3-interpolation", [](json& c) {
            c["batch_size"] = 50;
            c["batch_size_2"] = 100;
            c["alpha_from"] = -0.25;
            c["alpha_to"] = 1.25;
            c["alpha_points"] = 7;  // −0.25, 0, 0.25, …, 1.25: both ends exactly on the grid
            c["batch_norm"] = "interpolate";
            c["direction_points"] = 3;  // t = −1, 0, 1
            c["direction_images"] = 0;  // all: t = 0 is the solution on the training set
            c["landscape_points"] = 3;
            c["sharpness_epsilon"] = 0.001;
            c["sharpness_steps"] = 2;
            c["sharpness_images"] = 0;
        });
        QVERIFY2(out.state == RunState::Finished, out.message.c_str());
        const json r = readJsonFile(out.runDir / "results.json");
        RunDirectory dir(out.runDir);

        // Every declared series was written: curves, epochs, the 2-D grids.
        for (const auto& s : declaredSeries(out.runDir)) {
            QVERIFY2(fs::exists(dir.seriesPath(s.id)), s.id.c_str());
            if (s.style == SeriesStyle::Heatmap) {
                const Grid g = readGridCsv(dir.seriesPath(s.id));
                QCOMPARE(g.xs, (std::vector<double>{-1, 0, 1}));
                QCOMPARE(g.z.size(), size_t(9));
            } else {
                QVERIFY2(!readSeriesCsv(dir.seriesPath(s.id)).x.empty(), s.id.c_str());
            }
        }

        const auto& curve = r.at("alpha_curve");
        QCOMPARE(curve.size(), size_t(7));
        QCOMPARE(curve[1].at("alpha").get<double>(), 0.0);
        QCOMPARE(curve[5].at("alpha").get<double>(), 1.0);
        QCOMPARE(readSeriesCsv(dir.seriesPath("interp_train_loss")).x.size(), size_t(7));
        // θ(0) = θ₁ and θ(1) = θ₂ exactly: their test loss and accuracy are the solutions'
        // last evaluation.
        const auto& sol = r.at("solutions");
        QCOMPARE(sol.size(), size_t(2));
        for (size_t k = 0; k < 2; ++k) {
            const json& at = curve[k == 0 ? 1 : 5];
            QVERIFY_NEAR(at.at("test_loss").get<double>(),
                         sol[k].at("final").at("test_loss").get<double>());
            QCOMPARE(at.at("test_accuracy").get<double>(),
                     sol[k].at("final").at("test_accuracy").get<double>());
            // ε-sharpness starts from L(θ) on all training images: the curve's end.
            QVERIFY_NEAR(sol[k].at("sharpness").at("base_loss").get<double>(),
                         at.at("train_loss").get<double>());
            QVERIFY(sol[k].at("sharpness").at("max_loss").get<double>() >=
                    sol[k].at("sharpness").at("base_loss").get<double>());
            // The random-direction profile passes through the solution at t = 0.
            QVERIFY_NEAR(sol[k].at("direction_profile").at("loss")[1].get<double>(),
                         at.at("train_loss").get<double>());
            QVERIFY_NEAR(sol[k].at("landscape_2d").at("loss")[4].get<double>(),
                         at.at("train_loss").get<double>());
        }
        QCOMPARE(sol[0].at("batch_size").get<int>(), 50);
        QCOMPARE(sol[1].at("batch_size").get<int>(), 100);
        QCOMPARE(r.at("train_loss_at_0").get<double>(), curve[1].at("train_loss").get<double>());
        QCOMPARE(r.at("train_loss_at_1").get<double>(), curve[5].at("train_loss").get<double>());

        // The barrier is the highest training loss strictly between the solutions.
        double highest = -INFINITY, at = 0;
        for (size_t i = 2; i <= 4; ++i)
            if (curve[i].at("train_loss").get<double>() > highest) {
                highest = curve[i].at("train_loss").get<double>();
                at = curve[i].at("alpha").get<double>();
            }
        QCOMPARE(r.at("barrier").at("train_loss").get<double>(), highest);
        QCOMPARE(r.at("barrier").at("alpha").get<double>(), at);
        QVERIFY_NEAR(r.at("barrier").at("height").get<double>(),
                     highest - std::max(r.at("train_loss_at_0").get<double>(),
                                        r.at("train_loss_at_1").get<double>()));
        QVERIFY_NEAR(
            r.at("rise_beyond_0").get<double>(),
            curve[0].at("train_loss").get<double>() - curve[1].at("train_loss").get<double>());
        QVERIFY_NEAR(
            r.at("rise_beyond_1").get<double>(),
            curve[6].at("train_loss").get<double>() - curve[5].at("train_loss").get<double>());

        // The two solutions are marked at α = 0 and 1, at their losses, and labelled.
        const Series marks = readSeriesCsv(dir.seriesPath("solutions"));
        QCOMPARE(marks.x, (std::vector<double>{0, 1}));
        QVERIFY_NEAR(marks.y[0], r.at("train_loss_at_0").get<double>());  // CSV: 9 digits
        QVERIFY_NEAR(marks.y[1], r.at("train_loss_at_1").get<double>());
        QCOMPARE(lineCount(dir.labelsPath("solutions")), std::int64_t{2});
        QVERIFY(r.at("headline").get<std::string>().rfind("train loss ", 0) == 0);
    }

    void sensitivityMeasuresEachBatchSizeUnderAStepBudget() {
        const RunOutcome out = run("3-3-sensitivity", [](json& c) {
            c["batch_sizes"] = {100, 25};
            c["budget"] = "steps";
            c["steps"] = 3;
            c["sensitivity_images"] = 20;
            c["loss_gradient"] = true;
        });
        QVERIFY2(out.state == RunState::Finished, out.message.c_str());
        const json r = readJsonFile(out.runDir / "results.json");
        RunDirectory dir(out.runDir);
        for (const auto& s : declaredSeries(out.runDir))
            QVERIFY2(!readSeriesCsv(dir.seriesPath(s.id)).x.empty(), s.id.c_str());

        QCOMPARE(r.at("budget").get<std::string>(), std::string("steps"));
        QCOMPARE(r.at("steps_budget").get<int>(), 3);
        QCOMPARE(r.at("sensitivity_images").get<int>(), 20);
        QCOMPARE(r.at("subsets").at("sensitivity_images").at("size").get<int>(), 20);
        const auto& batches = r.at("batches");
        QCOMPARE(batches.size(), size_t(2));
        std::map<int, double> sensitivity;
        for (const auto& b : batches) {
            QCOMPARE(b.at("steps").get<int>(), 3);  // the budget, whatever the batch size
            const double s = b.at("sensitivity").get<double>();
            QVERIFY(std::isfinite(s) && s > 0);
            QVERIFY(b.at("loss_input_gradient").get<double>() > 0);
            sensitivity[b.at("batch_size").get<int>()] = s;
        }
        // One initialisation for every batch size.
        QCOMPARE(batches[0].at("seed"), batches[1].at("seed"));
        // Plotted in batch-size order, the sensitivity as recorded.
        const Series sens = readSeriesCsv(dir.seriesPath("bs_sensitivity_acc"));
        QCOMPARE(sens.x, (std::vector<double>{25, 100}));
        QVERIFY_NEAR(sens.y[0], sensitivity[25]);  // CSV: 9 digits
        QVERIFY_NEAR(sens.y[1], sensitivity[100]);
        QCOMPARE(readSeriesCsv(dir.seriesPath("bs_loss_gradient")).x.size(), size_t(2));
        QCOMPARE(lineCount(dir.labelsPath("bs_test_acc")), std::int64_t{2});
        QCOMPARE(r.at("sensitivity_rises").get<int>(), sensitivity[100] > sensitivity[25] ? 1 : 0);
        QVERIFY(r.at("headline")
                    .get<std::string>()
                    .rfind("2 of 2 batch sizes trained (steps budget); sensitivity ", 0) == 0);
    }
};

QTEST_APPLESS_MAIN(TstFlatnessExperiments)
#include "tst_flatness_experiments.moc"
