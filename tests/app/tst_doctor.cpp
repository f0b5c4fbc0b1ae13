// Issue 15 through trainlab-cli as a user runs it: `doctor` (text and --json, exit codes and
// advice), the start-up kernel choice in a real process (the restart with OPENBLAS_CORETYPE
// set happens once, the self-check's fallback, the user's value kept, the reference BLAS
// named), and config.json's environment block.
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_process.h"
#include "blas_kernels.h"
#include "cpu_features.h"
#include "test_datasets.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Result = trainlab::testing::CliResult;

/// trainlab-cli with `args`, the environment of the tests without kernel variables, plus `set`.
Result cli(const QStringList& args, const QMap<QString, QString>& set = {}) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char* v : {"OPENBLAS_CORETYPE", "TRAINLAB_BLAS_REEXEC", "TRAINLAB_BLAS_FORCED",
                          "TRAINLAB_BLAS_OPENBLAS_CORE", "TRAINLAB_TEST_BLAS_CORENAME",
                          "TRAINLAB_TEST_BLAS_SELFCHECK_FAIL", "TRAINLAB_RUNS"})
        env.remove(v);
    for (auto it = set.begin(); it != set.end(); ++it) env.insert(it.key(), it.value());
    return trainlab::testing::runCli(args, env);
}

json parsed(const Result& r) {
    try {
        return json::parse(r.out.toStdString());
    } catch (const std::exception& e) {
        qWarning("not JSON (%s): %s", e.what(), qPrintable(r.out + r.err));
        return json();
    }
}

std::string readAll(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/// The family start-up forces on this CPU when OpenBLAS falls back ("" none).
QString expectedFamily() {
    const trainlab::BlasFamilyRule* r = trainlab::bestBlasFamily(trainlab::detectCpuFeatures());
    return r ? QString::fromStdString(r->family) : QString();
}

}  // namespace

class TstDoctor : public QObject {
    Q_OBJECT
    QTemporaryDir tmp_;
    QString data_, runs_;
    QStringList base_;

    /// doctor --json with `set`; skips unless this process's BLAS is a DYNAMIC_ARCH OpenBLAS.
    json doctorJson(const QMap<QString, QString>& set, Result* result = nullptr) {
        const Result r = cli(base_ + QStringList{"--json"}, set);
        if (result) *result = r;
        return parsed(r);
    }

  private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        data_ = tmp_.filePath("data");
        runs_ = tmp_.filePath("runs");
        trainlab::testing::writeMnistSorted(fs::path(data_.toStdString()), 20, 5);
        base_ = {"doctor", "--data-dir", data_, "--out", runs_};
    }

    void reportsEverySectionAndExitsZero() {
        const Result r = cli(base_);
        QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
        for (const char* section : {"trainlab system report", "Program", "CPU", "Cores",
                                    "SIMD flags", "BLAS", "Self-check", "GEMM", "Peak",
                                    "FMA units (assumed)", "oneDNN", "ATen", "CUDA", "Datasets",
                                    "Runs folder", "No problems found."})
            QVERIFY2(r.out.contains(section), section);
        QVERIFY2(r.out.contains("mnist: " + data_), qPrintable(r.out));
        QVERIFY2(r.out.contains(runs_ + ": writable"), qPrintable(r.out));
        QVERIFY(!fs::exists(runs_.toStdString()));  // checked, not created
    }

    void jsonParsesAndAgreesWithTheMachine() {
        const json j = doctorJson({});
        QVERIFY(j.is_object());
        QCOMPARE(j.at("cpu").at("family").get<int>(), trainlab::detectCpuFeatures().family);
        QCOMPARE(j.at("cpu").at("model").get<int>(), trainlab::detectCpuFeatures().model);
        QVERIFY(j.at("gemm").at("gflops").get<double>() > 0);
        QVERIFY(j.at("gemm").at("peak_gflops").get<double>() >= 0);
        QVERIFY(j.at("problems").empty());
        QVERIFY(j.at("blas").at("checked_at_startup").get<bool>());
        QVERIFY(QString::fromStdString(j.at("blas").at("self_check").get<std::string>())
                    .startsWith("passed"));
        QCOMPARE(j.at("backends").at("cuda_usable").is_boolean(), true);
    }

    void anUnwritableRunsFolderFailsWithAdvice() {
        const QString file = tmp_.filePath("a-file");
        QVERIFY(QFile(file).open(QIODevice::WriteOnly));
        // A folder under a regular file can never be created, even by root.
        const Result r = cli({"doctor", "--data-dir", data_, "--out", file + "/runs"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.out.contains("runs folder is unusable") && r.out.contains("is not a folder"),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains("advice: pass --out DIR"), qPrintable(r.out));
        QVERIFY(!r.out.contains("No problems found."));
    }

    void theRestartToBetterKernelsHappensOnce() {
        const QString family = expectedFamily();
        if (family.isEmpty()) QSKIP("this CPU has no AVX: no better kernel family to force");
        // OpenBLAS "falls back to Prescott": start-up sets OPENBLAS_CORETYPE and restarts, and
        // the restarted process really runs with it (OpenBLAS then reports that core).
        const json j = doctorJson({{"TRAINLAB_TEST_BLAS_CORENAME", "Prescott"}});
        const json& b = j.at("blas");
        if (b.at("config").get<std::string>().find("DYNAMIC_ARCH") == std::string::npos)
            QSKIP("this OpenBLAS is not a DYNAMIC_ARCH build");
        QCOMPARE(QString::fromStdString(b.at("core_source").get<std::string>()), QString("forced"));
        QCOMPARE(QString::fromStdString(b.at("core").get<std::string>()), family);
        QCOMPARE(QString::fromStdString(b.at("openblas_coretype").get<std::string>()), family);
        QCOMPARE(b.at("restarts").get<int>(), 1);
        QVERIFY(!b.at("core_from_test_override").get<bool>());
        QVERIFY(QString::fromStdString(b.at("reason").get<std::string>())
                    .contains("OpenBLAS chose Prescott"));
    }

    void theMarkerPreventsASecondRestart() {
        // Already restarted once, yet OpenBLAS is still on its fallback: no second try.
        const json j = doctorJson({{"TRAINLAB_TEST_BLAS_CORENAME", "Prescott"},
                                   {"TRAINLAB_BLAS_REEXEC", "forced"},
                                   {"TRAINLAB_BLAS_FORCED", "Cooperlake"}});
        const json& b = j.at("blas");
        QCOMPARE(QString::fromStdString(b.at("core").get<std::string>()), QString("Prescott"));
        QCOMPARE(QString::fromStdString(b.at("core_source").get<std::string>()), QString("openblas"));
        QCOMPARE(b.at("restarts").get<int>(), 1);
        QVERIFY(QString::fromStdString(b.at("reason").get<std::string>()).contains("does not again"));
    }

    void aFailedSelfCheckFallsBackToOpenBlassChoice() {
        const QString family = expectedFamily();
        if (family.isEmpty()) QSKIP("this CPU has no AVX: nothing is forced");
        // The forced family computes wrong products: back to OpenBLAS's own choice, once.
        Result r;
        const json j = doctorJson({{"TRAINLAB_TEST_BLAS_CORENAME", "Prescott"},
                                   {"TRAINLAB_TEST_BLAS_SELFCHECK_FAIL", family}},
                                  &r);
        const json& b = j.at("blas");
        QCOMPARE(QString::fromStdString(b.at("core_source").get<std::string>()),
                 QString("selfcheck-fallback"));
        QCOMPARE(QString::fromStdString(b.at("core").get<std::string>()), QString("Prescott"));
        QVERIFY(b.at("core_from_test_override").get<bool>());
        QCOMPARE(QString::fromStdString(b.at("openblas_coretype").get<std::string>()), QString());
        QCOMPARE(b.at("restarts").get<int>(), 2);  // the forced one and the fallback, no more
        QVERIFY(QString::fromStdString(b.at("self_check").get<std::string>()).startsWith("passed"));
        QVERIFY(QString::fromStdString(b.at("reason").get<std::string>())
                    .contains("self-check failed with it"));
        QCOMPARE(r.code, 0);
    }

    void aFailedSelfCheckOfOpenBlassOwnChoiceIsReported() {
        Result r;
        const json j = doctorJson({{"TRAINLAB_TEST_BLAS_SELFCHECK_FAIL", "1"}}, &r);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("self-check failed"), qPrintable(r.err));
        QCOMPARE(j.at("blas").at("restarts").get<int>(), 0);
        QVERIFY(QString::fromStdString(j.at("problems").dump()).contains("self-check failed"));
    }

    void theUsersCoretypeIsKept() {
        const json j = doctorJson({{"OPENBLAS_CORETYPE", "Haswell"},
                                   {"TRAINLAB_TEST_BLAS_CORENAME", "Prescott"}});
        const json& b = j.at("blas");
        QCOMPARE(QString::fromStdString(b.at("core_source").get<std::string>()), QString("user"));
        QCOMPARE(QString::fromStdString(b.at("core").get<std::string>()), QString("Haswell"));
        QCOMPARE(b.at("restarts").get<int>(), 0);
    }

    void theReferenceBlasIsNamedWithAdvice() {
        const QString ref = "/usr/lib/x86_64-linux-gnu/blas";
        if (!QFile::exists(ref + "/libblas.so.3")) QSKIP("Debian's reference BLAS is not installed");
        const Result r = cli(base_, {{"LD_LIBRARY_PATH", ref}});
        if (!r.out.contains("reference BLAS")) QSKIP("the reference BLAS could not be put first");
        QCOMPARE(r.code, 1);
        QVERIFY2(r.out.contains("times slower than with OpenBLAS") &&
                     r.out.contains("sudo apt install libopenblas0-pthread"),
                 qPrintable(r.out));
    }

    void configJsonRecordsTheEnvironment() {
        const QString out = tmp_.filePath("config-runs");
        const Result r = cli({"run", "1-1-sinc", "--seed", "1", "--no-plots", "-q", "--out", out,
                              "--set", "max_steps=20", "--set", "train_grid.count=100",
                              "--set", "val_grid.count=20", "--set", "fit_every=10"},
                             {{"TRAINLAB_TEST_BLAS_CORENAME", "Prescott"}});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const fs::path runDir = r.out.trimmed().toStdString();
        const json config = json::parse(readAll(runDir / "config.json"));
        const json& env = config.at("environment");
        for (const char* key : {"blas", "cpu", "onednn", "torch"}) QVERIFY2(env.contains(key), key);
        QVERIFY(!env.at("cpu").at("flags").get<std::string>().empty());
        QVERIFY(!env.at("torch").at("version").get<std::string>().empty());
        QCOMPARE(env.at("blas").at("threads").get<int>(), 1);
        const bool forced = !expectedFamily().isEmpty() &&
                            env.at("blas").at("config").get<std::string>().find("DYNAMIC_ARCH") !=
                                std::string::npos;
        QCOMPARE(QString::fromStdString(env.at("blas").at("core_source").get<std::string>()),
                 QString(forced ? "forced" : "openblas"));
        // The run log says the same in one line.
        const json results = json::parse(readAll(runDir / "results.json"));
        const QString first = QString::fromStdString(results.at("log").at(0).get<std::string>());
        QVERIFY2(first.startsWith("kernels: OpenBLAS") &&
                     first.contains(QString::fromStdString(env.at("blas").at("core").get<std::string>())),
                 qPrintable(first));
    }
};

QTEST_GUILESS_MAIN(TstDoctor)
#include "tst_doctor.moc"
