// Issue 13: the redesign changes no number. Every built-in preset runs at a tiny size through
// `trainlab-cli run` (fixed seed, one thread, pinned kernels) and its metrics/*.csv,
// *.labels.txt and results.json (timings removed) must equal tests/goldens/<preset>/ byte
// for byte. To record new goldens after a deliberate change of numbers (say why in the
// commit): TRAINLAB_UPDATE_GOLDENS=1 ctest -R tst_goldens.
#include <QtTest>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "test_datasets.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kGoldens = TRAINLAB_GOLDENS_DIR;

std::string readAll(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

void writeAll(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
}

// Wall-clock figures differ from run to run; everything else must not.
bool isTiming(const std::string& key) {
    static const std::regex timing("(^|_)(seconds|elapsed|time|timing|started|finished|date|"
                                   "host|hostname|duration|ms)($|_)");
    return std::regex_search(key, timing);
}

// The temporary data folder, written as "$DATA" in the goldens.
std::string gDataDir;

// Log lines end with the time a step took, "(0.174 s)"; paths name the temporary folder.
std::string withoutDurations(std::string line) {
    static const std::regex duration(" ?\\([0-9.e+-]+ ?(s|ms|min)\\)");
    for (size_t at; !gDataDir.empty() && (at = line.find(gDataDir)) != std::string::npos;)
        line.replace(at, gDataDir.size(), "$DATA");
    return std::regex_replace(line, duration, "");
}

json withoutTimings(const json& j) {
    if (j.is_object()) {
        json out = json::object();
        for (const auto& [k, v] : j.items())
            if (!isTiming(k)) out[k] = withoutTimings(v);
        return out;
    }
    if (j.is_string()) return withoutDurations(j.get<std::string>());
    if (j.is_array()) {
        json out = json::array();
        for (const auto& v : j)
            // The log's "kernels: …" line names this machine's CPU and BLAS (issue 15).
            if (!(v.is_string() && v.get<std::string>().rfind("kernels: ", 0) == 0))
                out.push_back(withoutTimings(v));
        return out;
    }
    return j;
}

// The files compared: name (relative to the run folder) → content.
std::map<std::string, std::string> recordOf(const fs::path& runDir) {
    std::map<std::string, std::string> files;
    files["results.json"] =
        withoutTimings(json::parse(readAll(runDir / "results.json"))).dump(2) + "\n";
    for (const auto& e : fs::directory_iterator(runDir / "metrics"))
        files["metrics/" + e.path().filename().string()] = readAll(e.path());
    return files;
}

}  // namespace

class TstGoldens : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    fs::path data_;

  private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        // TRAINLAB_KEEP_GOLDEN_RUNS=1 keeps the runs (and any differing files, under
        // <run>/differs/) for a look.
        if (qEnvironmentVariableIsSet("TRAINLAB_KEEP_GOLDEN_RUNS")) {
            tmp_.setAutoRemove(false);
            qInfo("runs kept in %s", qPrintable(tmp_.path()));
        }
        data_ = fs::path(tmp_.path().toStdString()) / "data";
        gDataDir = data_.string();
        trainlab::testing::writeCifarFolder(data_, 20, 5);
        trainlab::testing::writeMnistSorted(data_, 20, 5);
    }

    void presetAtTinySize_data() {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<QStringList>("settings");
        const QStringList fit = {"max_steps=40", "train_grid.count=200", "val_grid.count=50",
                                 "fit_every=10", "stop.patience=10"};
        for (const char* p : {"1-1-sin-cos", "1-1-sin-cos-patience", "1-1-sinc",
                              "1-1-sinc-patience"})
            QTest::newRow(p) << p << fit;
        // 2-2 samples its grid by step (count 0).
        const QStringList byStep = {"max_steps=40", "train_grid.step=0.05", "val_grid.count=50",
                                    "fit_every=10"};
        // Issue 17: 2-2's instruments (sharpness, distance) measured within the tiny run.
        QTest::newRow("2-2-gradient-norm")
            << "2-2-gradient-norm"
            << byStep + QStringList{"instruments.0.every=10", "instruments.1.every=20"};
        QTest::newRow("2-2-gradient-norm-original") << "2-2-gradient-norm-original" << byStep;
        QTest::newRow("2-4-edge-of-stability")
            << "2-4-edge-of-stability"
            << QStringList{"points=50", "widths=1,16,16,1", "max_steps=60", "sharpness_every=10"};
        QTest::newRow("2-3-minimal-ratio")
            << "2-3-minimal-ratio"
            << QStringList{"runs=3", "train_grid.step=0.05", "phase1.max_steps=30",
                           "phase2.max_steps=10"};
        const QStringList image = {"train_limit=100", "test_limit=50", "epochs=1"};
        QTest::newRow("1-2-cnns") << "1-2-cnns" << image + QStringList{"batch_size=50"};
        QTest::newRow("2-1-weight-pca")
            << "2-1-weight-pca"
            << QStringList{"train_limit=100", "epochs=2", "runs=2", "snapshot_every=1",
                           "batch_size=50"};
        QTest::newRow("3-1-random-labels")
            << "3-1-random-labels" << image + QStringList{"epochs=2", "batch_size=50"};
        QTest::newRow("3-2-parameters-quick")
            << "3-2-parameters-quick" << image + QStringList{"batch_size=50", "nets=1,2"};
        QTest::newRow("3-2-parameters")
            << "3-2-parameters" << image + QStringList{"batch_size=50", "nets=1,3"};
        const QStringList interpolation =
            image + QStringList{"batch_size=50",      "batch_size_2=100",    "alpha_points=5",
                                "bn_batches=2",       "direction_points=3",  "direction_images=50",
                                "landscape_points=3", "sharpness_steps=2",   "sharpness_images=50"};
        QTest::newRow("3-3-interpolation") << "3-3-interpolation" << interpolation;
        QTest::newRow("3-3-interpolation-original")
            << "3-3-interpolation-original" << interpolation;
        QTest::newRow("3-3-sensitivity")
            << "3-3-sensitivity"
            << image + QStringList{"budget=steps", "steps=5", "batch_sizes=10,50",
                                   "sensitivity_images=50"};
    }

    void presetAtTinySize() {
        QFETCH(QString, preset);
        QFETCH(QStringList, settings);
        const QString out = tmp_.filePath("runs/" + preset);
        QStringList args = {"run", preset, "--seed", "1", "--threads", "1", "--no-plots", "-q",
                            "--out", out, "--data-dir", QString::fromStdString(data_.string())};
        // Sequential models: a parallel run streams the same numbers, in completion order.
        for (const auto& s : settings + QStringList{"parallel=false"}) args << "--set" << s;
        QProcess p;
        // Kernels pinned, so that a CPU whose BLAS or oneDNN would pick other kernels (and
        // round differently) gives the same bytes.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("OPENBLAS_CORETYPE", "Haswell");
        env.insert("DNNL_MAX_CPU_ISA", "AVX2");
        env.insert("ONEDNN_MAX_CPU_ISA", "AVX2");
        env.insert("ATEN_CPU_CAPABILITY", "avx2");
        env.insert("OMP_NUM_THREADS", "1");
        env.insert("LC_ALL", "C.UTF-8");
        p.setProcessEnvironment(env);
        p.start(TRAINLAB_CLI_PATH, args);
        QVERIFY(p.waitForFinished(240000));
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
                 qPrintable(QString::fromUtf8(p.readAllStandardError())));
        const auto runs = fs::directory_iterator(out.toStdString());
        const fs::path runDir = runs->path();
        const auto record = recordOf(runDir);
        const fs::path golden = kGoldens / preset.toStdString();
        if (qEnvironmentVariableIsSet("TRAINLAB_UPDATE_GOLDENS")) {
            fs::remove_all(golden);
            for (const auto& [name, text] : record) writeAll(golden / name, text);
            qInfo("recorded %zu golden files for %s", record.size(), qPrintable(preset));
            return;
        }
        QVERIFY2(fs::is_directory(golden),
                 qPrintable("no goldens recorded for " + preset +
                            " (TRAINLAB_UPDATE_GOLDENS=1 records them)"));
        std::vector<std::string> expected;
        for (const auto& e : fs::recursive_directory_iterator(golden))
            if (e.is_regular_file()) expected.push_back(fs::relative(e.path(), golden).string());
        for (const auto& name : expected)
            QVERIFY2(record.count(name),
                     qPrintable(QString::fromStdString(name) + " was not written"));
        for (const auto& [name, text] : record) {
            const fs::path g = golden / name;
            QVERIFY2(fs::exists(g), qPrintable(QString::fromStdString(name) +
                                                " is new (not in the goldens)"));
            if (readAll(g) != text) {
                writeAll(runDir / "differs" / name, text);
                QFAIL(qPrintable(QString::fromStdString(name) + " differs from " +
                                 QString::fromStdString(g.string())));
            }
        }
    }
};

QTEST_GUILESS_MAIN(TstGoldens)
#include "tst_goldens.moc"
