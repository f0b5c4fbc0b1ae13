// A preset that needs an absent dataset is refused before it starts, with the ways out.
#include <QtTest>

#include "dataset_catalog.h"
#include "experiment_runner.h"

using namespace trainlab;
using nlohmann::json;

namespace {
/// A kind that needs the dataset named in its config, and fails loudly if it ever runs.
ExperimentKind needsDataKind() {
    ExperimentKind k;
    k.id = "test_needs_data";
    k.schema = [](const json&) {
        ParamSpec s;
        s.key = "dataset";
        s.type = ParamType::Choice;
        s.choices = {"mnist", "fashion-mnist", "cifar10"};
        return std::vector<ParamSpec>{s};
    };
    k.datasets = [](const json& c) {
        return std::vector<std::string>{c.at("dataset").get<std::string>()};
    };
    k.create = [](const json&, const ExperimentContext&) -> std::unique_ptr<Experiment> {
        throw std::logic_error("must not be created when its data is missing");
    };
    return k;
}

void writeTinyIdx(const QString& dir) {
    QDir().mkpath(dir);
    auto be = [](QByteArray& b, quint32 v) {
        for (int s = 24; s >= 0; s -= 8) b.append(char((v >> s) & 0xff));
    };
    for (const char* split : {"train", "t10k"}) {
        QByteArray img, lab;
        be(img, 0x803);
        be(img, 2);
        be(img, 28);
        be(img, 28);
        img.append(QByteArray(2 * 28 * 28, char(7)));
        be(lab, 0x801);
        be(lab, 2);
        lab.append(char(1));
        lab.append(char(2));
        QFile fi(dir + "/" + split + "-images-idx3-ubyte");
        QFile fl(dir + "/" + split + "-labels-idx1-ubyte");
        QVERIFY(fi.open(QIODevice::WriteOnly) && fl.open(QIODevice::WriteOnly));
        fi.write(img);
        fl.write(lab);
    }
}
}  // namespace

class TstDatasetRequirements : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() {
        registerExperimentKind(needsDataKind());
        qputenv("XDG_DATA_HOME", home.path().toUtf8());
        qunsetenv("TRAINLAB_DATA");
    }

    void anAbsentDatasetIsNamedWithItsRemedies() {
        QTemporaryDir data;
        const auto missing =
            missingDatasets("test_needs_data", {{"dataset", "cifar10"}}, data.path().toStdString());
        if (locateDataset("cifar10", datasetSearchRoots(data.path().toStdString())))
            QSKIP("CIFAR-10 is installed system-wide on this machine");
        QCOMPARE(missing.size(), size_t(1));
        const std::string& m = missing[0].message;
        QVERIFY2(m.find("CIFAR-10") != std::string::npos, m.c_str());
        QVERIFY(m.find(data.path().toStdString()) != std::string::npos);
        QVERIFY(m.find("trainlab-cli data download cifar10") != std::string::npos);
        QVERIFY(m.find("170 MB") != std::string::npos);
        // Fashion-MNIST is offered as the substitute when it is present (Debian's package).
        if (locateDataset("fashion-mnist", datasetSearchRoots(data.path().toStdString()))) {
            QCOMPARE(QString::fromStdString(missing[0].substitute), QString("fashion-mnist"));
            QVERIFY(m.find("--set dataset=fashion-mnist") != std::string::npos);
        }
    }

    void aPresentDatasetIsNotReported() {
        QTemporaryDir data;
        writeTinyIdx(data.path() + "/mnist");
        QVERIFY(
            missingDatasets("test_needs_data", {{"dataset", "mnist"}}, data.path().toStdString())
                .empty());
    }

    void theRunFailsBeforeCreatingAnything() {
        QTemporaryDir data, runs;
        if (locateDataset("cifar10", datasetSearchRoots(data.path().toStdString())))
            QSKIP("CIFAR-10 is installed system-wide on this machine");
        RunRequest r;
        r.preset.id = "needs-cifar";
        r.preset.kind = "test_needs_data";
        r.config = {{"dataset", "cifar10"}};
        r.runsRoot = runs.path().toStdString();
        r.dataDir = data.path().toStdString();
        RunControl control;
        const RunOutcome out = runExperiment(r, nullptr, control);
        QCOMPARE(out.state, RunState::Failed);
        QVERIFY(out.runDir.empty());
        QVERIFY(out.message.find("not found") != std::string::npos);
        QVERIFY(QDir(runs.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
    }

  private:
    QTemporaryDir home;
};

QTEST_APPLESS_MAIN(TstDatasetRequirements)
#include "tst_dataset_requirements.moc"
