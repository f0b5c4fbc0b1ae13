// Issue 14: sweeps. The grid × seeds expansion and its names, validation that names the task
// and field and creates nothing, the sweep file, the Slurm output parsers, the task states;
// and through trainlab-cli: a local sweep of 4 tiny tasks, status, merge (read back), resume of
// an interrupted task only, the task lock, Ctrl+C of a running sweep.
#include <signal.h>

#include <QProcess>
#include <QtTest>
#include <fstream>

#include "cli_process.h"
#include "csv.h"
#include "errors.h"
#include "run_directory.h"
#include "sweep_builtin.h"
#include "sweep_folder.h"
#include "preset.h"
#include "sweep_slurm.h"
#include "sweep_spec.h"
#include "sweep_status.h"

using namespace trainlab;
using nlohmann::json;

namespace {

const QString tiny = TRAINLAB_TEST_DATA "/tiny-fit.json";

using Result = testing::CliResult;

Result cli(const QStringList& args, int timeoutMs = 120000) {
    return testing::runCli(args, QProcessEnvironment::systemEnvironment(), timeoutMs);
}

/// One CSV line split into fields ("" quotes inside quoted fields).
QStringList csvFields(const QString& line) {
    QStringList out;
    QString field;
    bool quoted = false;
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ',' && !quoted) {
            out << field;
            field.clear();
        } else {
            field += c;
        }
    }
    return out << field;
}

QStringList readLines(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
}

SweepSpec tinySpec() {
    SweepSpec s;
    s.preset = tiny.toStdString();
    s.grid = {parseGridOption("lr=1e-3,0.01"), parseGridOption("max_steps=10,20")};
    s.seeds = 3;
    s.sets = {"fit_every=5"};
    return s;
}

const QStringList kTinySets = {"--set", "max_steps=30", "--set", "fit_every=10"};

}  // namespace

class TstSweep : public QObject {
    Q_OBJECT
  private slots:
    void expandsTheGridTimesTheSeedsInOrder() {
        const SweepPlan plan = planSweep(tinySpec());
        QCOMPARE(plan.tasks.size(), size_t(12));
        QCOMPARE(plan.preset.id, std::string("test-tiny-fit"));
        // The first axis varies slowest, seeds fastest; seed k is the preset's (7) + k.
        QCOMPARE(plan.tasks[0].name, std::string("00-lr=1e-3-max_steps=10-seed=7"));
        QCOMPARE(plan.tasks[1].name, std::string("01-lr=1e-3-max_steps=10-seed=8"));
        QCOMPARE(plan.tasks[3].name, std::string("03-lr=1e-3-max_steps=20-seed=7"));
        QCOMPARE(plan.tasks[11].name, std::string("11-lr=0.01-max_steps=20-seed=9"));
        const SweepTask& t = plan.tasks[5];
        QCOMPARE(t.index, 5);
        QCOMPARE(t.config["lr"].get<double>(), 0.001);
        QCOMPARE(t.config["max_steps"].get<int>(), 20);
        QCOMPARE(t.config["seed"].get<int>(), 9);
        QCOMPARE(t.config["fit_every"].get<int>(), 5);  // --set reaches every task
        QCOMPARE(t.settings.size(), size_t(3));
        QCOMPARE(t.settings[0].first, std::string("lr"));
        QCOMPARE(t.settings[0].second.get<double>(), 0.001);  // typed, as recorded
        QCOMPARE(settingsText(t.settings), std::string("lr=0.001 max_steps=20 seed=9"));
        // List settings take ';' between values.
        const GridAxis widths = parseGridOption("models.0.widths=1,4,1;1,8,8,1");
        QCOMPARE(widths.values, (std::vector<std::string>{"1,4,1", "1,8,8,1"}));
        SweepSpec lists;
        lists.preset = tiny.toStdString();
        lists.grid = {widths};
        const SweepPlan p2 = planSweep(lists);
        QCOMPARE(p2.tasks[1].config["models"][0]["widths"], json({1, 8, 8, 1}));
        QCOMPARE(p2.tasks[1].name, std::string("1-models.0.widths=1_8_8_1-seed=7"));
    }

    void validationNamesTaskAndFieldAndCreatesNothing() {
        SweepSpec s = tinySpec();
        s.grid = {parseGridOption("lr=0.01,abc,20"), parseGridOption("max_steps=10")};
        s.seeds = 2;
        try {
            planSweep(s);
            QFAIL("an invalid sweep was accepted");
        } catch (const ConfigError& e) {
            const std::string all = e.what();
            // "task 2 (lr=abc max_steps=10 seed=7) and 1 other task: 'lr' …"
            QVERIFY2(all.find("task 2 (lr=abc max_steps=10 seed=7)") != std::string::npos,
                     all.c_str());
            QVERIFY2(all.find("'lr'") != std::string::npos, all.c_str());
            QVERIFY2(all.find("task 4 (lr=20 ") != std::string::npos, all.c_str());  // > max
        }
        s = tinySpec();
        s.sets = {"warp=9"};
        QVERIFY_THROWS_EXCEPTION(ConfigError, planSweep(s));
        s = tinySpec();
        s.grid.push_back(parseGridOption("seed=1,2"));  // seeds both ways
        QVERIFY_THROWS_EXCEPTION(ConfigError, planSweep(s));
        s = tinySpec();
        s.grid.clear();
        s.sets = {"seed=2147483646"};
        s.seeds = 3;  // the third seed passes the range
        try {
            planSweep(s);
            QFAIL("a seed out of range was accepted");
        } catch (const ConfigError& e) {
            QVERIFY2(std::string(e.what()).find("task 2 (seed=2147483648)") != std::string::npos,
                     e.what());
        }
        // Through the command line: exit code 2, the message, and no folder.
        QTemporaryDir tmp;
        const QString out = tmp.filePath("sweep");
        const auto r = cli({"sweep", tiny, "--grid", "lr=0.01,-1", "--seeds", "2", "--out", out});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("task 2 (lr=-1 seed=7)") && r.err.contains("'lr'"),
                 qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out));
        QCOMPARE(cli({"sweep", "validate", tiny, "--grid", "lr=0.01,0.1", "--seeds", "2"}).code, 0);
        QCOMPARE(cli({"sweep", "validate", tiny, "--grid", "nope=1"}).code, 2);
    }

    void aSweepFileReadsBackAndIsChecked() {
        QTemporaryDir tmp;
        SweepSpec s = tinySpec();
        s.backend = SweepBackend::Slurm;
        s.jobs = 3;
        s.slurm.partition = "gpu";
        s.slurm.gres = "gpu:1";
        s.slurm.sbatchArgs = {"--qos=long"};
        const json j = sweepSpecToJson(s);
        const SweepSpec back = sweepSpecFromJson(j, "x.json");
        QCOMPARE(sweepSpecToJson(back), j);
        QCOMPARE(planSweep(back).tasks.size(), size_t(12));
        // A file, through the command line: its preset found beside it.
        QFile::copy(tiny, tmp.filePath("tiny.json"));
        const QString file = tmp.filePath("s.json");
        std::ofstream(file.toStdString())
            << R"({"preset": "tiny.json", "grid": {"lr": [0.01, 0.02]}, "seeds": 2})";
        const auto r = cli({"sweep", "validate", file});
        QVERIFY2(r.code == 0 && r.out.contains("4 tasks"), qPrintable(r.out + r.err));
        std::ofstream(file.toStdString()) << R"({"preset": "tiny.json", "grid": 3, "sedes": 2})";
        const auto bad = cli({"sweep", "validate", file});
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.contains("'grid'") && bad.err.contains("'sedes'"), qPrintable(bad.err));
    }

    void builtInSweepsAreCompleteAndValid() {
        const auto& sweeps = builtinSweeps();
        QVERIFY(sweeps.size() >= 4);
        const auto list = cli({"sweep", "list"});
        QCOMPARE(list.code, 0);
        for (const SweepSpec& s : sweeps) {
            const QString id = QString::fromStdString(s.info.id);
            QVERIFY2(!s.info.title.empty() && !s.info.description.empty() &&
                         !s.info.expected.empty(), qPrintable(id));
            QCOMPARE(resolvePreset(s.preset).id, s.preset);
            QVERIFY(findBuiltinSweep(s.info.id) == &s);
            QVERIFY(list.out.contains(id));
            // The record keeps the description: it reads back equal.
            const json j = sweepSpecToJson(s);
            QCOMPARE(sweepSpecToJson(sweepSpecFromJson(j, "builtin.json")), j);
            std::size_t expected = static_cast<std::size_t>(s.seeds);
            for (const auto& a : s.grid) expected *= a.values.size();
            try {
                QCOMPARE(planSweep(s).tasks.size(), expected);
            } catch (const ConfigError& e) {
                // Only a dataset this machine lacks (CIFAR-10 on CI) may stop the plan.
                for (const auto& p : e.problems())
                    QVERIFY2(QString::fromStdString(p).contains("not found in"), p.c_str());
            }
        }
        QCOMPARE(planSweep(*findBuiltinSweep("1-1-sinc-seeds")).tasks.size(), size_t(10));
        QVERIFY(findBuiltinSweep("no-such-sweep") == nullptr);
    }

    void slurmOutputIsParsed() {
        QCOMPARE(slurmArraySpec({5, 0, 1, 2, 3, 9}, 0), std::string("0-3,5,9"));
        QCOMPARE(slurmArraySpec({0, 1, 2, 3, 4, 5}, 2), std::string("0-5%2"));
        QCOMPARE(slurmArraySpec({3, 5}, 0), std::string("3,5"));
        QCOMPARE(parseSlurmIndexList("[1-3,7%2]"), (std::vector<int>{1, 2, 3, 7}));
        QCOMPARE(parseSlurmIndexList("0-6:3"), (std::vector<int>{0, 3, 6}));
        QVERIFY(parseSlurmIndexList("x").empty());
        const auto acct = parseSacct(
            "4711_0|COMPLETED|0:0\n4711_1|CANCELLED by 0|0:15\n4711_[2-3%1]|PENDING|0:0\n"
            "4712_0|RUNNING|0:0\n",
            "4711");
        QCOMPARE(acct.size(), size_t(4));
        QCOMPARE(acct.at(1).state, std::string("CANCELLED"));
        QCOMPARE(acct.at(3).state, std::string("PENDING"));
        QCOMPARE(acct.at(3).jobId, std::string("4711_3"));
        const auto ctl = parseScontrol(
            "JobId=4713 ArrayJobId=4711 ArrayTaskId=2 JobName=t JobState=FAILED "
            "Reason=NonZeroExitCode Dependency=(null) ExitCode=1:0\n"
            "JobId=4711 ArrayJobId=4711 ArrayTaskId=3-5%2 JobState=PENDING "
            "Reason=JobArrayTaskLimit ExitCode=0:0\n",
            "4711");
        QCOMPARE(ctl.size(), size_t(4));
        QCOMPARE(ctl.at(2).state, std::string("FAILED"));
        QCOMPARE(ctl.at(2).exitCode, std::string("1:0"));
        QCOMPARE(ctl.at(2).reason, std::string("NonZeroExitCode"));
        QCOMPARE(ctl.at(5).reason, std::string("JobArrayTaskLimit"));
    }

    void theBatchScriptRunsOneTaskPerArrayTask() {
        QTemporaryDir tmp;
        const std::string dir = tmp.filePath("it's a sweep").toStdString();
        SweepSpec s;
        s.preset = tiny.toStdString();
        s.backend = SweepBackend::Slurm;
        s.slurm.setup = {"module load trainlab/0.1", "export OMP_PROC_BIND=close"};
        const SweepPlan plan = planSweep(s);
        const SweepFolder folder =
            SweepFolder::create(dir, {s, plan.preset, plan.tasks, "test", "", "/opt/t l/trainlab-cli", {}});
        const std::string script = sbatchScript(folder);
        QVERIFY(script.rfind("#!/bin/sh\n", 0) == 0);
        const auto setup = script.find("module load trainlab/0.1\nexport OMP_PROC_BIND=close\n");
        const auto exec = script.find("exec '/opt/t l/trainlab-cli' sweep task '" +
                                      folder.path().string().substr(0, folder.path().string().find('\'')) +
                                      "'\\''s a sweep' \"$SLURM_ARRAY_TASK_ID\"\n");
        QVERIFY2(setup != std::string::npos && exec != std::string::npos && setup < exec,
                 script.c_str());
    }

    void taskStatesCombineRunSchedulerAndLock() {
        RunStatus finished, failed, running;
        finished.state = RunState::Finished;
        failed.state = RunState::Failed;
        running.state = RunState::Running;
        auto slurm = [](const char* s) { return std::optional<SchedulerState>({"1_0", s, "", ""}); };
        QCOMPARE(combineTaskState(std::nullopt, false, std::nullopt), TaskState::NotStarted);
        QCOMPARE(combineTaskState(std::nullopt, false, slurm("PENDING")), TaskState::Pending);
        QCOMPARE(combineTaskState(finished, false, slurm("COMPLETED")), TaskState::Finished);
        QCOMPARE(combineTaskState(running, false, slurm("TIMEOUT")), TaskState::Timeout);
        QCOMPARE(combineTaskState(running, false, slurm("OUT_OF_MEMORY")), TaskState::OutOfMemory);
        QCOMPARE(combineTaskState(std::nullopt, false, slurm("NODE_FAIL")), TaskState::NodeFail);
        QCOMPARE(combineTaskState(failed, false, slurm("FAILED")), TaskState::Failed);
        QCOMPARE(combineTaskState(running, true, std::nullopt), TaskState::Running);
        QCOMPARE(combineTaskState(running, false, std::nullopt), TaskState::Interrupted);
        QCOMPARE(combineTaskState(failed, false, std::nullopt), TaskState::Failed);
        QVERIFY(needsResume(TaskState::Interrupted) && needsResume(TaskState::NotStarted));
        QVERIFY(!needsResume(TaskState::Running) && !needsResume(TaskState::Finished));
    }

    void aLocalSweepFinishesMergesAndResumesOnlyWhatDidNot() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("sweep");
        auto r = cli(QStringList{"sweep", tiny, "--grid", "lr=0.01,0.02", "--seeds", "2",
                                 "--jobs", "2", "--out", dir} +
                     kTinySets);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(r.out.trimmed(), QDir(dir).absolutePath());
        r = cli({"sweep", "status", dir});
        QVERIFY2(r.code == 0 && r.out.contains("4 tasks: 4 finished (done)"), qPrintable(r.out));
        QVERIFY(r.out.contains("lr=0.02 seed=8"));
        // merge: one row per task, settings and every scalar result, read back.
        r = cli({"sweep", "merge", dir});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QStringList lines = readLines(r.out.trimmed());
        QCOMPARE(lines.size(), 5);
        const QStringList header = csvFields(lines[0]);
        QCOMPARE(header.mid(0, 6),
                 (QStringList{"task", "name", "state", "elapsed_s", "lr", "seed"}));
        QVERIFY2(header.contains("headline"), qPrintable(lines[0]));
        QVERIFY(!header.contains("log"));
        for (int i = 1; i <= 4; ++i) {
            const QStringList row = csvFields(lines[i]);
            QCOMPARE(row.size(), header.size());
            QCOMPARE(row[0], QString::number(i - 1));
            QCOMPARE(row[2], QString("finished"));
            QCOMPARE(row[4], QString(i <= 2 ? "0.01" : "0.02"));
            QCOMPARE(row[5], QString::number(7 + (i - 1) % 2));
            QVERIFY(!row[header.indexOf("headline")].isEmpty());
        }
        // Task 2's run made interrupted (recorded as running, its process gone).
        const SweepFolder folder = SweepFolder::open(dir.toStdString());
        const auto runs2 = folder.taskRuns(2);
        QCOMPARE(runs2.size(), size_t(1));
        RunDirectory run2(runs2.back());
        RunStatus st = run2.readStatus();
        st.state = RunState::Running;
        st.pid = 999999999;  // no such process
        run2.writeStatus(st);
        r = cli({"sweep", "status", dir});
        QVERIFY2(r.out.contains("3 finished, 1 interrupted"), qPrintable(r.out));
        r = cli({"sweep", "resume", dir});
        QVERIFY2(r.code == 0 && r.err.contains("resuming 1 task: 2"), qPrintable(r.err));
        for (int i = 0; i < 4; ++i)
            QCOMPARE(folder.taskRuns(i).size(), size_t(i == 2 ? 2 : 1));  // only task 2 again
        QVERIFY(cli({"sweep", "status", dir}).out.contains("4 finished (done)"));
        r = cli({"sweep", "resume", dir});
        QVERIFY2(r.code == 0 && r.err.contains("nothing to resume"), qPrintable(r.err));
    }

    void aSecondProcessOnTheSameTaskIsRefused() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("sweep");
        // Slurm backend with no submission: the folder only (sbatch is not run here).
        SweepSpec s;
        s.preset = tiny.toStdString();
        s.sets = {"max_steps=20"};
        const SweepPlan plan = planSweep(s);
        const SweepFolder folder = SweepFolder::create(
            dir.toStdString(), {s, plan.preset, plan.tasks, "test", "", TRAINLAB_CLI_PATH, {}});
        std::string holder;
        {
            auto lock = FileLock::tryAcquire(folder.taskLockPath(0), &holder);
            QVERIFY(lock.has_value());
            QVERIFY(FileLock::isHeld(folder.taskLockPath(0), &holder));
            QVERIFY(holder.find("pid " + std::to_string(::getpid())) == 0);
            const auto r = cli({"sweep", "task", dir, "0"});
            QCOMPARE(r.code, 2);
            QVERIFY2(r.err.contains("task 0 is already being run (pid"), qPrintable(r.err));
            QVERIFY(folder.taskRuns(0).empty());  // nothing recorded by the refused one
            QVERIFY(cli({"sweep", "status", dir}).out.contains("running"));
        }
        QVERIFY(!FileLock::isHeld(folder.taskLockPath(0)));
        const auto r = cli({"sweep", "task", dir, "0"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(folder.taskRuns(0).size(), size_t(1));
        QCOMPARE(cli({"sweep", "task", dir, "0"}).code, 0);  // already finished: not run again
        QCOMPARE(folder.taskRuns(0).size(), size_t(1));
        QCOMPARE(cli({"sweep", "task", dir, "5"}).code, 2);
    }

    void sweepCancelStopsALocalSweep() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("sweep");
        QProcess p;
        p.start(TRAINLAB_CLI_PATH,
                {"sweep", tiny, "--set", "max_steps=10000000", "--seeds", "3", "--jobs", "1",
                 "--out", dir});
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(dir + "/sweep.json") &&
                                     !SweepFolder::open(dir.toStdString()).taskRuns(0).empty(),
                                 60000);
        const auto r = cli({"sweep", "cancel", dir});  // returns once the driver has stopped
        QVERIFY2(r.code == 0 && r.err.contains("asked the sweep's driver (pid"), qPrintable(r.err));
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 143);  // SIGTERM
        const QString table = cli({"sweep", "status", dir}).out;
        QVERIFY2(table.contains("1 cancelled, 2 not started"), qPrintable(table));
        QVERIFY2(table.contains("cancelled by SIGTERM"), qPrintable(table));
        QVERIFY(cli({"sweep", "cancel", dir}).err.contains("nothing of this sweep is running"));
    }

    void ctrlCStopsEveryTaskAndKeepsTheirRows() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("sweep");
        QProcess p;
        p.start(TRAINLAB_CLI_PATH, {"sweep", tiny, "--grid", "lr=0.01,0.02", "--set",
                                    "max_steps=10000000", "--jobs", "2", "--out", dir});
        QVERIFY(p.waitForStarted());
        auto rowsIn = [&](int task) -> qint64 {
            if (!QFileInfo::exists(dir + "/sweep.json")) return 0;
            const auto runs = SweepFolder::open(dir.toStdString()).taskRuns(task);
            return runs.empty() ? 0
                                : QFileInfo(QString::fromStdString(
                                                (runs.back() / "metrics/loss_m1.csv").string()))
                                      .size();
        };
        QTRY_VERIFY_WITH_TIMEOUT(rowsIn(0) > 2000 && rowsIn(1) > 2000, 60000);
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 130);
        const SweepFolder folder = SweepFolder::open(dir.toStdString());
        for (int i = 0; i < 2; ++i) {
            const RunDirectory run(folder.taskRuns(i).back());
            QCOMPARE(run.readStatus().state, RunState::Cancelled);
            QVERIFY(readSeriesCsv(run.seriesPath("loss_m1")).x.size() > 100);
        }
        QVERIFY(cli({"sweep", "status", dir}).out.contains("2 cancelled"));
    }
};

QTEST_GUILESS_MAIN(TstSweep)
#include "tst_sweep.moc"
