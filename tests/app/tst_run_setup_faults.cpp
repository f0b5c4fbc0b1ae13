// Issue 18, a full disk through `trainlab-cli run`: a run that cannot even be set up (config,
// panels or status cannot be written) fails naming the file and the system's reason, leaves
// no half-made folder and prints no run folder on stdout; a run that fails mid-way for a write
// error records its final state (also when the disk is really full) and renders no plots from
// the incomplete record, saying why. The full disk is simulated as in tst_faults:
// RLIMIT_FSIZE set in the child (SIGXFSZ ignored), so write(2) fails with EFBIG exactly where
// a full disk fails with ENOSPC; where a tmpfs can be mounted (root), a really full one too.
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <QProcess>
#include <QtTest>
#include <cerrno>
#include <cstring>

#include "run_directory.h"
#include "atomic_file.h"
#include "host.h"

using namespace trainlab;
using nlohmann::json;

namespace {

const char* const kTiny = TRAINLAB_TEST_DATA "/tiny-fit.json";

struct CliResult {
    int exitCode = -1;
    QString out, err;
};

/// Runs trainlab-cli with `args`; with fileSizeLimit >= 0, no write may take a file past that
/// many bytes (set in the child only, SIGXFSZ ignored so that write(2) fails with EFBIG).
CliResult runCli(const QStringList& args, long long fileSizeLimit = -1) {
    QProcess p;
    if (fileSizeLimit >= 0) {
        p.setChildProcessModifier([fileSizeLimit] {
            ::signal(SIGXFSZ, SIG_IGN);
            rlimit l{};
            ::getrlimit(RLIMIT_FSIZE, &l);
            l.rlim_cur = static_cast<rlim_t>(fileSizeLimit);
            ::setrlimit(RLIMIT_FSIZE, &l);
        });
    }
    p.start(TRAINLAB_CLI_PATH, args);
    CliResult r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        r.err = "trainlab-cli did not finish within 120 s";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QStringList entries(const QString& dir) {
    return QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden |
                               QDir::System);
}

QString describe(const CliResult& r) {
    return QString("exit %1\nstdout: %2\nstderr: %3").arg(r.exitCode).arg(r.out, r.err);
}

}  // namespace

class TstRunSetupFaults : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() {
        // The sizes of config.json and panels.json of the tiny run, from a normal run.
        QVERIFY(tmp_.isValid());
        const QString root = tmp_.path() + "/sizes";
        const CliResult r =
            runCli({"run", kTiny, "--set", "max_steps=5", "--no-plots", "--quiet", "--out", root});
        QVERIFY2(r.exitCode == 0, qPrintable(describe(r)));
        normalRun_ = r.out.trimmed().toStdString();
        setupBytes_ = std::max(fs::file_size(normalRun_ / "config.json"),
                               fs::file_size(normalRun_ / "panels.json"));
    }

    void theStatusIsReservedAndRecordsWhoRanIt() {
        QCOMPARE(std::size_t(fs::file_size(normalRun_ / "status.json")), kStatusFileBytes);
        // The status records who ran it: pid, the process's start time and the boot.
        const json st = readJsonFile(normalRun_ / "status.json");
        QCOMPARE(QString::fromStdString(st.value("state", "")), QString("finished"));
        QVERIFY(st.value("pid_start_ticks", std::int64_t{0}) > 0);
        QCOMPARE(st.value("boot_id", ""), currentBootId());
    }

    void aRunThatCannotBeSetUpLeavesNothingAndPrintsNoFolder_data() {
        QTest::addColumn<QString>("file");  // the first file that cannot be written
        QTest::newRow("config.json") << "config.json";
        QTest::newRow("status.json") << "status.json";
    }
    void aRunThatCannotBeSetUpLeavesNothingAndPrintsNoFolder() {
        QFETCH(QString, file);
        // Not one byte (config.json fails), or room for config and panels but not for the
        // status file's reservation.
        const long long limit = file == "config.json" ? 0 : (long long)setupBytes_ + 16;
        if (file == "status.json" && limit >= (long long)kStatusFileBytes)
            QSKIP("config.json or panels.json is larger than status.json's reservation");
        const QString root = tmp_.path() + "/setup-" + file;
        QVERIFY(QDir().mkpath(root));
        const CliResult r =
            runCli({"run", kTiny, "--set", "max_steps=100", "--quiet", "--out", root}, limit);
        QVERIFY2(r.exitCode == 1, qPrintable(describe(r)));
        // The file and the system's reason are named; nothing pretends the run happened.
        QVERIFY2(
            r.err.contains(file) && r.err.contains(QString::fromLocal8Bit(std::strerror(EFBIG))),
            qPrintable(describe(r)));
        QVERIFY2(r.err.contains("could not be set up"), qPrintable(describe(r)));
        QVERIFY2(!r.err.contains("plots not rendered"), qPrintable(describe(r)));
        QVERIFY2(!r.err.contains("recording to"), qPrintable(describe(r)));
        QVERIFY2(r.out.isEmpty(), qPrintable(describe(r)));
        // No half-made run folder (and no temporary file) is left.
        QVERIFY2(entries(root).isEmpty(), qPrintable(entries(root).join(", ")));
    }

    void aWriteFailureMidRunRendersNoPlotsAndSaysWhy() {
        const QString root = tmp_.path() + "/midrun";
        const CliResult r = runCli(
            {"run", kTiny, "--set", "max_steps=10000000", "--quiet", "--out", root}, 48 * 1024);
        QVERIFY2(r.exitCode == 1, qPrintable(describe(r)));
        QVERIFY2(r.err.contains("plots not rendered: the run folder could not be written to"),
                 qPrintable(describe(r)));
        QVERIFY2(r.err.contains("/metrics/") &&
                     r.err.contains(QString::fromLocal8Bit(std::strerror(EFBIG))),
                 qPrintable(describe(r)));
        // The run exists (it ran and recorded up to the failure): its folder is printed.
        const QString dir = r.out.trimmed();
        QVERIFY2(QFileInfo(dir).isDir(), qPrintable(describe(r)));
        RunDirectory run(dir.toStdString());
        const RunStatus st = run.readStatus();
        QCOMPARE(st.state, RunState::Failed);
        QVERIFY2(st.message.find("File too large") != std::string::npos ||
                     st.message.find(std::strerror(EFBIG)) != std::string::npos,
                 st.message.c_str());
        // No plots were attempted: no empty or cut plots/*.csv, *.png, *.svg.
        QVERIFY2(entries(QString::fromStdString(run.plotsDir().string())).isEmpty(),
                 qPrintable(entries(QString::fromStdString(run.plotsDir().string())).join(", ")));
    }

    void aReallyFullDiskMidRunStillRecordsTheFinalState() {
        const fs::path mnt = (tmp_.path() + "/tmpfs").toStdString();
        fs::create_directories(mnt);
        if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=384k,nr_inodes=256") != 0)
            QSKIP(qPrintable(QString("cannot mount a small tmpfs here (%1; root only)")
                                 .arg(QString::fromLocal8Bit(std::strerror(errno)))));
        struct Unmount {
            fs::path p;
            ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
        } unmount{mnt};
        const QString root = QString::fromStdString((mnt / "runs").string());
        const CliResult r =
            runCli({"run", kTiny, "--set", "max_steps=10000000", "--quiet", "--out", root});
        QVERIFY2(r.exitCode == 1, qPrintable(describe(r)));
        const QString nospc = QString::fromLocal8Bit(std::strerror(ENOSPC));
        QVERIFY2(r.err.contains(nospc), qPrintable(describe(r)));
        QVERIFY2(!r.err.contains("final status could not be saved"), qPrintable(describe(r)));
        QVERIFY2(r.err.contains("plots not rendered"), qPrintable(describe(r)));
        const QString dir = r.out.trimmed();
        QVERIFY2(QFileInfo(dir).isDir(), qPrintable(describe(r)));
        // The file itself says failed (not "running", which a reader would only call
        // interrupted), with the reason, and still parses.
        const json st = readJsonFile(fs::path(dir.toStdString()) / "status.json");
        QCOMPARE(QString::fromStdString(st.value("state", "")), QString("failed"));
        QVERIFY2(QString::fromStdString(st.value("message", "")).contains(nospc),
                 st.dump().c_str());
        QVERIFY(!st.value("ended_at", "").empty());
        QVERIFY(entries(dir + "/plots").isEmpty());
    }

  private:
    QTemporaryDir tmp_;
    std::uintmax_t setupBytes_ = 0;
    fs::path normalRun_;
};

QTEST_GUILESS_MAIN(TstRunSetupFaults)
#include "tst_run_setup_faults.moc"
