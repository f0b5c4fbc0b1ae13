// Issue 14: sweeps through a real Slurm (a throw-away one-node cluster, slurm_test_cluster.h):
// a 6-task job array finishes and merges; scancel of array tasks, then resume; a failing task
// (a bad data folder) is FAILED with its message. Skipped, saying why, when not root or when
// Slurm's packages are missing. Every wait is a poll with a deadline.
#include <QElapsedTimer>
#include <QProcess>
#include <QtTest>
#include <fstream>
#include <set>

#include "cli_process.h"
#include "run_directory.h"
#include "slurm_test_cluster.h"
#include "sweep_folder.h"
#include "sweep_status.h"

using namespace trainlab;

namespace {

const QString tiny = TRAINLAB_TEST_DATA "/tiny-fit.json";

using Result = testing::CliResult;

}  // namespace

class TstSweepSlurm : public QObject {
    Q_OBJECT
    testing::SlurmTestCluster* cluster_ = nullptr;
    QTemporaryDir tmp_;

    Result cli(const QStringList& args) { return testing::runCli(args, cluster_->environment()); }

    /// Task states from `sweep status`, read through the library with the cluster's SLURM_CONF.
    SweepStatus status(const QString& dir) {
        qputenv("SLURM_CONF", cluster_->conf().toUtf8());
        return readSweepStatus(SweepFolder::open(dir.toStdString()));
    }

    /// Polls `sweep status` until `done` holds or `seconds` pass; every state seen per task.
    bool waitFor(const QString& dir, const std::function<bool(const SweepStatus&)>& done,
                 int seconds, std::map<int, std::set<TaskState>>* seen = nullptr) {
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < seconds * 1000) {
            const SweepStatus s = status(dir);
            if (seen)
                for (const auto& task : s.tasks) (*seen)[task.index].insert(task.state);
            if (done(s)) return true;
            QTest::qWait(200);
        }
        return false;
    }

    static qint64 rowsOf(const TaskStatus& t) {
        return t.runDir.empty() ? 0
                                : QFileInfo(QString::fromStdString(
                                                (t.runDir / "metrics/loss_m1.csv").string()))
                                      .size();
    }

  private slots:
    void initTestCase() {
        const QString why = testing::SlurmTestCluster::unavailableReason();
        if (!why.isEmpty()) QSKIP(qPrintable("Slurm tests skipped: " + why));
        cluster_ = new testing::SlurmTestCluster;
        QString error;
        QVERIFY2(cluster_->start(&error), qPrintable(error));
    }

    void cleanupTestCase() { delete cluster_; }

    void aSixTaskArrayFinishesAndMerges() {
        const QString dir = tmp_.filePath("six");
        const auto r = cli({"sweep", tiny, "--grid", "lr=0.01,0.02,0.03", "--seeds", "2", "--set",
                            "max_steps=30", "--set", "fit_every=10", "--backend", "slurm",
                            "--jobs", "2", "--out", dir});
        QVERIFY2(r.code == 0 && r.err.contains("submitted job array"), qPrintable(r.err));
        QVERIFY(r.err.contains("looks node-local"));  // the test folder is in /tmp
        const SweepFolder folder = SweepFolder::open(dir.toStdString());
        QCOMPARE(folder.record().submissions.size(), size_t(1));
        QCOMPARE(folder.record().submissions[0].array, std::string("0-5%2"));
        std::map<int, std::set<TaskState>> seen;
        QVERIFY2(waitFor(dir, [](const SweepStatus& s) { return s.done(); }, 180, &seen),
                 qPrintable(cli({"sweep", "status", dir}).out));
        // Each state it passed through: %2 kept the last tasks in the queue first, then they
        // ran (a task runs for about a second; status is polled every 0.2 s).
        QVERIFY(seen[5].count(TaskState::Pending));
        int sawRunning = 0;
        for (const auto& [index, states] : seen) {
            QVERIFY(states.count(TaskState::Finished));
            sawRunning += static_cast<int>(states.count(TaskState::Running));
        }
        QVERIFY(sawRunning > 0);
        const SweepStatus s = status(dir);
        QCOMPARE(s.schedulerSource, std::string("scontrol"));  // no accounting storage here
        for (const auto& t : s.tasks) {
            QVERIFY2(t.scheduler.rfind("COMPLETED", 0) == 0, t.scheduler.c_str());
            const std::string log = folder.logsDir().string() + "/slurm-" +
                                    folder.record().submissions[0].jobId + "_" +
                                    std::to_string(t.index) + ".log";
            QVERIFY2(QFileInfo(QString::fromStdString(log)).size() > 0, log.c_str());
        }
        const auto merged = cli({"sweep", "merge", dir});
        QCOMPARE(merged.code, 0);
        QFile csv(merged.out.trimmed());
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 7);
        QVERIFY(lines[0].startsWith("task,name,state,elapsed_s,lr,seed,"));
        QVERIFY(lines[6].startsWith("5,5-lr=0.03-seed=8,finished,"));
    }

    void scancelledTasksAreResumed() {
        const QString dir = tmp_.filePath("cancel");
        // One at a time: task 0 runs until stopped, tasks 1 and 2 wait in the queue behind it.
        auto r = cli({"sweep", tiny, "--grid", "max_steps=10000000,30,40", "--backend", "slurm",
                      "--jobs", "1", "--out", dir});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const std::string job = SweepFolder::open(dir.toStdString()).record().submissions[0].jobId;
        QVERIFY(waitFor(
            dir, [](const SweepStatus& s) { return rowsOf(s.tasks[0]) > 5000; }, 120));
        QCOMPARE(status(dir).tasks[0].state, TaskState::Running);
        QCOMPARE(status(dir).tasks[2].state, TaskState::Pending);
        int code = -1;
        cluster_->client("scancel", {QString::fromStdString(job + "_2")}, &code);  // queued
        QCOMPARE(code, 0);
        cluster_->client("scancel", {QString::fromStdString(job + "_0")}, &code);  // running
        QCOMPARE(code, 0);
        QVERIFY2(waitFor(dir,
                         [](const SweepStatus& s) {
                             return s.tasks[0].state == TaskState::Cancelled &&
                                    s.tasks[1].state == TaskState::Finished &&
                                    s.tasks[2].state == TaskState::Cancelled;
                         },
                         90),
                 qPrintable(cli({"sweep", "status", dir}).out));
        // The stopped run keeps every row it recorded; the queued task never started.
        const SweepStatus stopped = status(dir);
        const RunStatus run0 = RunDirectory(stopped.tasks[0].runDir).readStatus();
        QVERIFY(run0.state == RunState::Cancelled || run0.state == RunState::Interrupted);
        QVERIFY(rowsOf(stopped.tasks[0]) > 5000);
        QVERIFY(stopped.tasks[2].runDir.empty());
        // resume: a new array of tasks 0 and 2 only, two at a time this time.
        r = cli({"sweep", "resume", dir, "--jobs", "2"});
        QVERIFY2(r.code == 0 && r.err.contains("resuming 2 tasks: 0, 2"), qPrintable(r.err));
        const SweepFolder folder = SweepFolder::open(dir.toStdString());
        QCOMPARE(folder.record().submissions.size(), size_t(2));
        QCOMPARE(folder.record().submissions[1].array, std::string("0,2%2"));
        QVERIFY2(waitFor(dir,
                         [](const SweepStatus& s) {
                             return s.tasks[2].state == TaskState::Finished &&
                                    s.tasks[0].attempts == 2 && rowsOf(s.tasks[0]) > 1000;
                         },
                         120),
                 qPrintable(cli({"sweep", "status", dir}).out));
        QCOMPARE(status(dir).tasks[1].attempts, 1);  // finished: not run again
        // `sweep cancel` stops what is left (task 0 again).
        r = cli({"sweep", "cancel", dir});
        QVERIFY2(r.code == 0 && r.err.contains("cancelled job array"), qPrintable(r.err));
        QVERIFY(waitFor(
            dir, [](const SweepStatus& s) { return s.tasks[0].state == TaskState::Cancelled; }, 60));
        QCOMPARE(status(dir).count(TaskState::Finished), 2);
    }

    void aFailingTaskIsFailedWithItsMessage() {
        const QString data = tmp_.filePath("bad-data");
        QDir().mkpath(data + "/mnist");
        for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"})
            std::ofstream((data + "/mnist/" + f).toStdString()) << "not an IDX file";
        const QString dir = tmp_.filePath("failing");
        const auto r = cli({"sweep", "1-2-cnns", "--set", "dataset=mnist", "--set",
                            "train_limit=100", "--set", "test_limit=50", "--set", "epochs=1",
                            "--backend", "slurm", "--data-dir", data, "--out", dir});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(waitFor(
                     dir, [](const SweepStatus& s) { return s.tasks[0].state == TaskState::Failed; },
                     120),
                 qPrintable(cli({"sweep", "status", dir}).out));
        const TaskStatus t = status(dir).tasks[0];
        QVERIFY2(t.scheduler.rfind("FAILED (exit 1:0)", 0) == 0, t.scheduler.c_str());
        QVERIFY2(t.message.find("train-images-idx3-ubyte") != std::string::npos, t.message.c_str());
        const auto table = cli({"sweep", "status", dir});
        QVERIFY2(table.out.contains("failed") && table.out.contains("[FAILED (exit 1:0)]"),
                 qPrintable(table.out));
    }
};

QTEST_GUILESS_MAIN(TstSweepSlurm)
#include "tst_sweep_slurm.moc"
