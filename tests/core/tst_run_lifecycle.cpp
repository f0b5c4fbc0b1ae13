// Issue 18, a run's life on disk: the run folder's name never fails on an entry in the way
// (file, symlink, dangling symlink) and never follows a symlink; status.json is reserved at
// the start so that the final state survives a full disk and inode exhaustion; a run counts
// as running only while its own process (pid, start time, boot) lives; a run that could not
// be set up is removed.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QtTest>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "errors.h"
#include "run_directory.h"
#include "atomic_file.h"
#include "host.h"
#include "run_listing.h"

using namespace trainlab;
using nlohmann::json;

namespace {

/// "<yyyymmdd-hhmmss>-<name>" for local time `t`, as RunDirectory::create names a folder.
std::string stemAt(std::time_t t, const std::string& name) {
    std::tm tm{};
    localtime_r(&t, &tm);
    std::ostringstream s;
    s << std::put_time(&tm, "%Y%m%d-%H%M%S") << '-' << name;
    return s.str();
}

/// A small tmpfs mounted on `dir` while alive (root only; ok() false elsewhere).
class SmallTmpfs {
  public:
    SmallTmpfs(const fs::path& dir, const std::string& options) : dir_(dir) {
        fs::create_directories(dir);
        ok_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
        if (!ok_) error_ = std::strerror(errno);
    }
    ~SmallTmpfs() {
        if (ok_) ::umount2(dir_.c_str(), MNT_DETACH);
    }
    bool ok() const { return ok_; }
    const std::string& error() const { return error_; }

  private:
    fs::path dir_;
    bool ok_ = false;
    std::string error_;
};

/// Fills the file system of `dir` with one file until a write fails; returns that errno.
int fillBlocks(const fs::path& dir) {
    const int fd = ::open((dir / "filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return errno;
    const std::string block(4096, 'x');
    int err = 0;
    for (;;) {
        const ssize_t n = ::write(fd, block.data(), block.size());
        if (n < 0) {
            err = errno;
            break;
        }
        if (n == 0) {
            err = ENOSPC;
            break;
        }
    }
    ::close(fd);
    return err;
}

/// Creates empty files in `dir` until no inode is left; returns the errno that stopped it.
int fillInodes(const fs::path& dir) {
    for (int i = 0; i < 100000; ++i) {
        const int fd =
            ::open((dir / ("inode" + std::to_string(i))).c_str(), O_WRONLY | O_CREAT, 0644);
        if (fd < 0) return errno;
        ::close(fd);
    }
    return 0;
}

json rawStatus(const RunDirectory& dir) {
    return readJsonFile(dir.path() / "status.json");
}

}  // namespace

class TstRunLifecycle : public QObject {
    Q_OBJECT
  private slots:
    // --- 2. the run folder's name ---------------------------------------------------------

    void anyEntryInTheWayTakesTheNextName() {
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        const fs::path elsewhere = root / "elsewhere";
        fs::create_directories(elsewhere);
        fs::create_directories(root / "runs");
        // For this second and the next (create may cross a second boundary): the plain name is
        // a regular file, -1 a symlink to a folder, -2 a dangling symlink, -3 a symlink to a
        // file, -4 a folder. The run must get -5 and touch none of them.
        const std::time_t now = std::time(nullptr);
        std::vector<std::string> stems;
        for (std::time_t t : {now, now + 1}) {
            const std::string stem = stemAt(t, "demo");
            stems.push_back(stem);
            std::ofstream(root / "runs" / stem) << "a user's file";
            fs::create_directory_symlink(elsewhere, root / "runs" / (stem + "-1"));
            fs::create_symlink(root / "missing", root / "runs" / (stem + "-2"));
            fs::create_symlink(root / "runs" / stem, root / "runs" / (stem + "-3"));
            fs::create_directory(root / "runs" / (stem + "-4"));
        }
        const RunDirectory dir = RunDirectory::create(root / "runs", "demo");
        const std::string name = dir.path().filename().string();
        QVERIFY2(name == stems[0] + "-5" || name == stems[1] + "-5", name.c_str());
        QVERIFY(fs::is_directory(fs::symlink_status(dir.path())));
        QVERIFY(fs::is_directory(dir.metricsDir()) && fs::is_directory(dir.plotsDir()));
        // Nothing created through a symlink, nothing in the way changed.
        QVERIFY(fs::is_empty(elsewhere));
        QVERIFY(!fs::exists(root / "missing"));
        for (const auto& stem : stems) {
            QCOMPARE(QString::fromStdString(readFile(root / "runs" / stem)),
                     QString("a user's file"));
            QVERIFY(fs::is_empty(root / "runs" / (stem + "-4")));
        }
        // A second run in the same second takes the name after.
        const RunDirectory next = RunDirectory::create(root / "runs", "demo");
        QVERIFY(next.path() != dir.path());
    }

    void aSymlinkedRunsRootIsUsedButNoRunNameIsFollowed() {
        // The runs root itself may be a symlink (a user's choice); only the run folder's own
        // name is never followed.
        QTemporaryDir tmp;
        const fs::path root = tmp.path().toStdString();
        fs::create_directories(root / "real");
        fs::create_directory_symlink(root / "real", root / "link");
        const RunDirectory dir = RunDirectory::create(root / "link", "demo");
        QVERIFY(fs::is_directory(root / "real" / dir.path().filename()));
    }

    // --- 3. a reused pid is not the run's process ----------------------------------------

    void processStartTimeAndBootIdOfThisProcess() {
        const std::int64_t ticks = processStartTicks(::getpid());
        QVERIFY(ticks > 0);
        QCOMPARE(processStartTicks(::getpid()), ticks);
        QCOMPARE(processStartTicks(0x7ffffff0), std::int64_t{0});  // no such process
        QVERIFY(processStartTicks(::getppid()) <= ticks);          // the parent started first
        QCOMPARE(currentBootId().size(), std::size_t(36));         // a UUID
        RunStatus s;
        recordThisProcess(s);
        QCOMPARE(s.pid, std::int64_t(::getpid()));
        QCOMPARE(s.pidStartTicks, ticks);
        QCOMPARE(s.bootId, currentBootId());
        QCOMPARE(s.host, currentHostName());
    }

    void aLivePidOfAnotherProcessIsNotTheRun_data() {
        QTest::addColumn<qint64>("tickShift");
        QTest::addColumn<bool>("otherBoot");
        QTest::addColumn<bool>("running");
        QTest::newRow("same process") << qint64(0) << false << true;
        QTest::newRow("pid reused (other start time)") << qint64(1) << false << false;
        QTest::newRow("pid reused (started earlier)") << qint64(-1) << false << false;
        QTest::newRow("another boot") << qint64(0) << true << false;
    }
    void aLivePidOfAnotherProcessIsNotTheRun() {
        QFETCH(qint64, tickShift);
        QFETCH(bool, otherBoot);
        QFETCH(bool, running);
        QTemporaryDir tmp;
        const RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "reused");
        RunStatus st;
        recordThisProcess(st);  // this test's pid: alive
        st.pidStartTicks += tickShift;
        if (otherBoot) st.bootId = "00000000-0000-4000-8000-000000000000";
        dir.writeStatus(st);
        const RunStatus read = dir.readStatus();
        QCOMPARE(read.state, running ? RunState::Running : RunState::Interrupted);
        if (!running)
            QVERIFY2(read.message.find("interrupted") != std::string::npos, read.message.c_str());
        // The listing agrees.
        std::ofstream(dir.path() / "config.json") << R"({"preset_id": "reused"})";
        const auto runs = listRuns(tmp.path().toStdString());
        QCOMPARE(runs.size(), std::size_t(1));
        QCOMPARE(runs.front().status.state, read.state);
    }

    void anOldStatusWithoutStartTimeKeepsThePidCheck() {
        QTemporaryDir tmp;
        const RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "old");
        // A status.json as trainlab wrote it before issue 18: no pid_start_ticks, no boot_id.
        const json old{{"state", "running"},       {"message", ""},    {"started_at", ""},
                       {"ended_at", ""},           {"elapsed_s", 0.0}, {"pid", ::getpid()},
                       {"host", currentHostName()}};
        writeFileAtomic(dir.path() / "status.json", old.dump(2));
        QCOMPARE(dir.readStatus().state, RunState::Running);
        json dead = old;
        dead["pid"] = 0x7ffffff0;
        writeFileAtomic(dir.path() / "status.json", dead.dump(2));
        QCOMPARE(dir.readStatus().state, RunState::Interrupted);
    }

    // --- 1. status.json is reserved; the final state survives a full disk ---------------

    void statusFileIsPaddedToAFixedSizeAndParses() {
        QTemporaryDir tmp;
        const RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "padded");
        RunStatus st;
        recordThisProcess(st);
        dir.writeStatus(st);
        QCOMPARE(std::size_t(fs::file_size(dir.path() / "status.json")), kStatusFileBytes);
        QCOMPARE(QString::fromStdString(rawStatus(dir).value("state", "")), QString("running"));
        QCOMPARE(rawStatus(dir).value("pid_start_ticks", std::int64_t{0}), st.pidStartTicks);
        QCOMPARE(rawStatus(dir).value("boot_id", ""), st.bootId);
        // A message longer than the reservation is shortened in the file, never cut mid-JSON.
        st.state = RunState::Failed;
        st.message = std::string(3 * kStatusFileBytes, 'm') + "\"\\\n";
        dir.writeStatus(st);
        QCOMPARE(std::size_t(fs::file_size(dir.path() / "status.json")), kStatusFileBytes);
        const RunStatus read = dir.readStatus();
        QCOMPARE(read.state, RunState::Failed);
        QVERIFY(read.message.size() > kStatusFileBytes / 2);
        QVERIFY(read.message.find("[shortened]") != std::string::npos);
    }

    void theFinalStateSurvivesAFullDisk_data() {
        QTest::addColumn<bool>("inodes");  // exhaust inodes rather than blocks
        QTest::newRow("no block left") << false;
        QTest::newRow("no inode left") << true;
    }
    void theFinalStateSurvivesAFullDisk() {
        QFETCH(bool, inodes);
        QTemporaryDir tmp;
        const fs::path mnt = fs::path(tmp.path().toStdString()) / "mnt";
        SmallTmpfs fsys(mnt, inodes ? "size=4m,nr_inodes=32" : "size=256k,nr_inodes=1024");
        if (!fsys.ok())
            QSKIP(qPrintable("cannot mount a small tmpfs here (" +
                             QString::fromStdString(fsys.error()) + "; root only)"));
        const RunDirectory dir = RunDirectory::create(mnt / "runs", "full");
        dir.writeConfig({{"preset_id", "full"}});
        RunStatus st;
        recordThisProcess(st);
        dir.writeStatus(st);
        const int err = inodes ? fillInodes(mnt) : fillBlocks(mnt);
        QCOMPARE(err, ENOSPC);
        // The disk is full now: an atomic replacement cannot work ...
        QVERIFY_THROWS_EXCEPTION(IoError, writeFileAtomic(dir.path() / "results.json", "{}"));
        // ... yet the final state gets into the reserved status.json.
        st.state = RunState::Failed;
        st.message = "cannot write '…/metrics/loss.csv': No space left on device";
        st.endedAt = isoTimestampUtc();
        dir.writeStatus(st);
        const RunStatus read = dir.readStatus();
        QCOMPARE(read.state, RunState::Failed);
        QCOMPARE(read.message, st.message);
        QCOMPARE(read.endedAt, st.endedAt);
        QCOMPARE(std::size_t(fs::file_size(dir.path() / "status.json")), kStatusFileBytes);
        // No temporary file left behind by the failed atomic attempt.
        for (const auto& e : fs::directory_iterator(dir.path()))
            QVERIFY2(e.path().filename().string().find(".tmp") == std::string::npos,
                     e.path().c_str());
    }

    void aRunThatCannotBeSetUpIsRemovedButOthersFilesStay() {
        QTemporaryDir tmp;
        const RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "unstarted");
        dir.writeConfig({{"preset_id", "unstarted"}});
        dir.writeStatus(RunStatus{});
        QVERIFY(dir.removeUnstarted());
        QVERIFY(!fs::exists(dir.path()));
        // Something that is not trainlab's (here: a file in metrics/) is never removed.
        const RunDirectory other = RunDirectory::create(tmp.path().toStdString(), "unstarted");
        other.writeConfig({{"preset_id", "unstarted"}});
        std::ofstream(other.metricsDir() / "mine.txt") << "keep";
        QVERIFY(!other.removeUnstarted());
        QCOMPARE(QString::fromStdString(readFile(other.metricsDir() / "mine.txt")),
                 QString("keep"));
        QVERIFY(!fs::exists(other.path() / "config.json"));
    }
};

QTEST_GUILESS_MAIN(TstRunLifecycle)
#include "tst_run_lifecycle.moc"
