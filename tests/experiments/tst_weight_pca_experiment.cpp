// The 2-1 experiment end to end on a tiny generated MNIST: snapshots, joint PCA, labels.
#include <torch/torch.h>

#include <QtTest>

#include "dataset_catalog.h"
#include "experiment_runner.h"
#include "preset.h"

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
