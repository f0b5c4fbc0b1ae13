// The 2-1 experiment end to end on a tiny generated MNIST: snapshots, joint PCA, labels.
#include <torch/torch.h>

#include <QtTest>

#include "dataset_catalog.h"
#include "experiment_runner.h"
#include "preset.h"
#include "atomic_file.h"
#include "csv.h"

using namespace trainlab;

namespace {
/// A tiny MNIST-shaped IDX set: 200 training and 50 test images whose class is readable from
/// the pixels (a bright stripe at row 2·label), so a few epochs learn it.
void writeTinyMnist(const QString& dir) {
    QDir().mkpath(dir);
    auto be = [](QByteArray& b, quint32 v) {
        for (int s = 24; s >= 0; s -= 8) b.append(char((v >> s) & 0xff));
    };
    for (auto [split, n] : {std::pair<const char*, int>{"train", 200}, {"t10k", 50}}) {
        QByteArray img, lab;
        be(img, 0x803);
        be(img, n);
        be(img, 28);
        be(img, 28);
        be(lab, 0x801);
        be(lab, n);
        for (int i = 0; i < n; ++i) {
            const int label = i % 10;
            QByteArray pixels(28 * 28, char(0));
            for (int c = 0; c < 28; ++c) pixels[2 * label * 28 + c] = char(255);
            img.append(pixels);
            lab.append(char(label));
        }
        QFile fi(dir + "/" + split + "-images-idx3-ubyte"),
            fl(dir + "/" + split + "-labels-idx1-ubyte");
        QVERIFY(fi.open(QIODevice::WriteOnly) && fl.open(QIODevice::WriteOnly));
        fi.write(img);
        fl.write(lab);
    }
}
}  // namespace

class TstWeightPcaExperiment : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void presetMatchesScienceMd() {
        const Preset p = resolvePreset("2-1-weight-pca");
        QCOMPARE(p.config["runs"].get<int>(), 8);
        QCOMPARE(p.config["epochs"].get<int>(), 24);
        QCOMPARE(p.config["snapshot_every"].get<int>(), 3);
        QCOMPARE(p.config["batch_size"].get<int>(), 100);
        QCOMPARE(p.config["lr"].get<double>(), 1e-3);
        QCOMPARE(p.config["hidden"].size(), size_t(2));
    }

    void snapshotsAreFittedJointlyAndLabelled() {
        QTemporaryDir data, runs;
        writeTinyMnist(data.path() + "/mnist");
        RunRequest r;
        r.preset = resolvePreset("2-1-weight-pca");
        r.config = r.preset.config;
        r.config["hidden"] = {16, 8};
        r.config["runs"] = 3;
        r.config["epochs"] = 4;
        r.config["snapshot_every"] = 2;
        r.config["include_initial"] = true;
        r.config["optimizer"] = "adam";
        r.config["lr"] = 0.01;
        r.config["batch_size"] = 20;
        r.runsRoot = runs.path().toStdString();
        r.dataDir = data.path().toStdString();
        RunControl control;
        const RunOutcome out = runExperiment(r, nullptr, control);
        QVERIFY2(out.state == RunState::Finished, out.message.c_str());
        QCOMPARE(out.results["snapshots"].get<int>(), 3 * 3);  // initial + epochs 2 and 4
        QCOMPARE(out.results["runs"].size(), size_t(3));
        QVERIFY(out.results["runs"][0]["test_accuracy"].get<double>() >
                0.5);  // the stripes are learnt
        const auto whole = out.results["explained_variance_whole"];
        QVERIFY(whole[0].get<double>() >= whole[1].get<double>());
        QVERIFY(whole[0].get<double>() + whole[1].get<double>() <= 1.0 + 1e-9);
        RunDirectory dir(out.runDir);
        for (int run = 1; run <= 3; ++run) {
            const std::string id = "traj_all_r" + std::to_string(run);
            QCOMPARE(readSeriesCsv(dir.seriesPath(id)).x.size(), size_t(3));
            const auto labels = readSeriesLabels(dir.labelsPath(id));
            QCOMPARE(labels.size(), size_t(3));
            QVERIFY(labels[0].find("epoch 0") != std::string::npos);
            QVERIFY(labels[2].find("epoch 4") != std::string::npos);
            QVERIFY(labels[2].find("acc") != std::string::npos);
            QCOMPARE(readSeriesCsv(dir.seriesPath("loss_r" + std::to_string(run))).x.size(),
                     size_t(4));
        }
        QCOMPARE(readSeriesCsv(dir.seriesPath("variance_first")).x.size(), size_t(5));
    }

    // Regression (issue 13): with parallel runs the snapshots arrive in any order and live
    // refits happen whenever the timing allows; the final PCA (trajectories, labels, explained
    // variance) must still be the sequential run's, byte for byte.
    void parallelRunsGiveTheSequentialPca() {
        QTemporaryDir data, runs;
        writeTinyMnist(data.path() + "/mnist");
        auto once = [&](bool parallel) {
            RunRequest r;
            r.preset = resolvePreset("2-1-weight-pca");
            r.config = r.preset.config;
            r.config["hidden"] = {12};
            r.config["runs"] = 4;
            r.config["epochs"] = 3;
            r.config["snapshot_every"] = 1;
            r.config["include_initial"] = true;
            r.config["batch_size"] = 50;
            r.config["parallel"] = parallel;
            r.runsRoot = runs.path().toStdString();
            r.dataDir = data.path().toStdString();
            RunControl control;
            const RunOutcome out = runExperiment(r, nullptr, control);
            if (out.state != RunState::Finished) qFatal("%s", out.message.c_str());
            return out;
        };
        const RunOutcome seq = once(false), par = once(true);
        QCOMPARE(QString::fromStdString(par.results["explained_variance_whole"].dump()),
                 QString::fromStdString(seq.results["explained_variance_whole"].dump()));
        QCOMPARE(QString::fromStdString(par.results["runs"].dump()),
                 QString::fromStdString(seq.results["runs"].dump()));
        RunDirectory a(seq.runDir), b(par.runDir);
        std::vector<std::string> ids{"variance_all", "variance_first"};
        for (int run = 1; run <= 4; ++run)
            for (const char* s : {"traj_all_r", "traj_first_r"})
                ids.push_back(s + std::to_string(run));
        for (const auto& id : ids) {
            QCOMPARE(QString::fromStdString(readFile(b.seriesPath(id))),
                     QString::fromStdString(readFile(a.seriesPath(id))));
            if (id.rfind("traj", 0) == 0) {
                QVERIFY(readSeriesLabels(a.labelsPath(id)) == readSeriesLabels(b.labelsPath(id)));
                QCOMPARE(readSeriesCsv(a.seriesPath(id)).x.size(), size_t(4));
            }
        }
    }

    void anAbsentDatasetOffersTheSubstitute() {
        QTemporaryDir data, runs, home;
        qputenv("XDG_DATA_HOME", home.path().toUtf8());
        const auto missing = missingDatasets("weight_pca", resolvePreset("2-1-weight-pca").config,
                                             data.path().toStdString());
        if (locateDataset("mnist", datasetSearchRoots(data.path().toStdString())))
            QSKIP("MNIST is installed here");
        QCOMPARE(missing.size(), size_t(1));
        QVERIFY(missing[0].message.find("mnist") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TstWeightPcaExperiment)
#include "tst_weight_pca_experiment.moc"
