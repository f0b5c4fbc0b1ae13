// trainlab-cli as a user runs it: list, run with overrides, bad input, a killed run.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QJsonDocument>
#include <QtTest>
#include <fstream>
#include <optional>

#include "errors.h"
#include "run_directory.h"
#include "test_locale.h"
#include "csv.h"
#include "run_listing.h"

using namespace trainlab;

namespace {
struct Result {
    int code;
    QString out, err;
};
Result cli(const QStringList& args, int timeoutMs = 120000) {
    QProcess p;
    p.start(TRAINLAB_CLI_PATH, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        return {-1, {}, "timeout"};
    }
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}
const QString tiny = TRAINLAB_TEST_DATA "/tiny-fit.json";

/// The environment of the tests without the runs folder ctest gives them.
QProcessEnvironment plainEnvironment() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("TRAINLAB_RUNS");
    return env;
}

Result run(const QString& program, const QStringList& args, const QProcessEnvironment& env,
           const QString& workDir = {}, int timeoutMs = 120000) {
    QProcess p;
    p.setProcessEnvironment(env);
    if (!workDir.isEmpty()) p.setWorkingDirectory(workDir);
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        return {-1, {}, "timeout"};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : 1000 + p.exitCode(),
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

/// The only run folder in `root` (empty if there is not exactly one).
QString onlyRunIn(const QString& root) {
    const QStringList runs = QDir(root).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    return runs.size() == 1 ? root + "/" + runs.first() : QString();
}

/// Waits until process `p` records a run with metric rows under `runs`, sends it `sig`, and
/// checks that it ends with `code` and the run is cancelled with `message`, its results kept.
/// `window`: the run is first seen as running, and the process ends within 5 s of the signal.
void stopMidRunAndCheck(QProcess& p, const QString& runs, int sig, int code,
                        const QString& message, bool window) {
    QVERIFY(p.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(!onlyRunIn(runs).isEmpty(), 60000);
    const QString dir = onlyRunIn(runs);
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(dir + "/metrics/loss_m1.csv").size() > 100, 60000);
    if (window) QCOMPARE(RunDirectory(dir.toStdString()).readStatus().state, RunState::Running);
    QElapsedTimer t;
    t.start();
    ::kill(static_cast<pid_t>(p.processId()), sig);
    QVERIFY(p.waitForFinished(20000));
    if (window) QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed()) + " ms"));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), code);
    const RunStatus st = RunDirectory(dir.toStdString()).readStatus();
    QCOMPARE(st.state, RunState::Cancelled);
    QCOMPARE(QString::fromStdString(st.message), message);
    QVERIFY(QFileInfo(dir + "/results.json").size() > 0);
}

/// `text` nested `levels` arrays deep.
QByteArray nested(int levels, const QByteArray& inner) {
    return QByteArray(levels, '[') + inner + QByteArray(levels, ']');
}

QByteArray tinyText() {
    QFile f(tiny);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString writeTemp(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
    QFile f(dir.filePath(name));
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size()) return {};
    return f.fileName();
}
}  // namespace

class TstCli : public QObject {
    Q_OBJECT
  private slots:
    void listsPresets() {
        const auto r = cli({"list"});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("1-1-sinc"));
        QVERIFY(r.out.contains("Deep vs shallow:"));
        QVERIFY(r.out.contains("2-2-gradient-norm"));
        QCOMPARE(cli({"--help"}).code, 0);
        QVERIFY(cli({"show", "1-1-sin-cos"}).out.contains("stop.tolerance"));
    }

    void runsAPresetFileAndWritesEverything() {
        QTemporaryDir tmp;
        const auto r = cli({"run", tiny, "--set", "max_steps=60", "--seed", "3", "--threads", "1",
                            "--out", tmp.path()});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QString dir = r.out.trimmed();
        QVERIFY(dir.startsWith(tmp.path()));
        for (const char* f :
             {"config.json", "status.json", "results.json", "panels.json", "metrics/loss_m1.csv",
              "metrics/pred_m2.csv", "plots/fit.png", "plots/fit.svg", "plots/loss.png",
              "plots/loss.csv", "plots/grad_norm.png"})
            QVERIFY2(QFileInfo(dir + "/" + f).size() > 0, f);
        RunDirectory run(dir.toStdString());
        QCOMPARE(run.readConfig()["config"]["seed"].get<int>(), 3);
        QCOMPARE(run.readConfig()["config"]["max_steps"].get<int>(), 60);
        QCOMPARE(readSeriesCsv(run.seriesPath("loss_m1")).x.size(), size_t(60));
        QImage png(dir + "/plots/fit.png");
        QVERIFY(!png.isNull());
        QVERIFY(r.err.contains("finished"));
    }

    void badInputIsRefusedWithAMessage() {
        QTemporaryDir tmp;
        auto r = cli({"run", "no-such-preset", "--out", tmp.path()});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains("no-such-preset"));
        r = cli({"run", tiny, "--set", "lr=-1", "--set", "warp=9", "--threads", "0", "--out",
                 tmp.path()});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains("'lr'"));
        QVERIFY(r.err.contains("'warp'"));
        QVERIFY(r.err.contains("--threads"));
        QVERIFY(QDir(tmp.path())
                    .entryList(QDir::Dirs | QDir::NoDotAndDotDot)
                    .isEmpty());  // nothing started
        r = cli({"frobnicate"});
        QCOMPARE(r.code, 2);
        QFile bad(tmp.path() + "/bad.json");
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{\"id\": \"x\", \"kind\": \"function_fit\"");
        bad.close();
        r = cli({"validate", bad.fileName()});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains("bad.json"));
    }

    void aKilledRunIsShownAsInterruptedWithItsMetrics() {
        QTemporaryDir tmp;
        QProcess p;
        p.start(TRAINLAB_CLI_PATH,
                {"run", tiny, "--set", "max_steps=10000000", "--out", tmp.path()});
        QVERIFY(p.waitForStarted());
        // Wait until metrics are being written, then kill without warning.
        QString metrics;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto runs = QDir(tmp.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
                if (runs.isEmpty()) return false;
                metrics = tmp.path() + "/" + runs.first() + "/metrics/loss_m1.csv";
                return QFileInfo(metrics).size() > 20000;
            }(),
            60000);
        ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
        QVERIFY(p.waitForFinished(10000));
        const QString dir = QFileInfo(metrics).dir().absolutePath() + "/..";
        RunDirectory run(QDir::cleanPath(dir).toStdString());
        QCOMPARE(run.readStatus().state, RunState::Interrupted);
        const Series s = readSeriesCsv(run.seriesPath("loss_m1"));
        QVERIFY(s.x.size() > 500);
        for (size_t i = 0; i < s.x.size(); ++i)
            QCOMPARE(s.x[i], double(i + 1));  // every step, in order
        // Its plots can still be drawn.
        const auto r = cli({"render", QDir::cleanPath(dir)});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains("loss.png"));
    }

    void renderRebuildsHeatmapsFromTheirGridFiles() {
        QTemporaryDir tmp;
        const RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "landscape");
        dir.writeConfig({{"preset_id", "landscape"}});
        PlotLayout layout;
        layout.panels.push_back({"landscape", "Loss landscape", "α", "β", "loss"});
        SeriesSpec map;
        map.id = "landscape_s1";
        map.panel = "landscape";
        map.mode = SeriesMode::Replace;
        map.style = SeriesStyle::Heatmap;
        layout.series.push_back(map);
        dir.writeLayout(layout);
        writeGridCsv(dir.seriesPath("landscape_s1"), Grid{{-1, 0, 1}, {-1, 1}, {2, 1, 2, 3, 2, 3}});
        const QString run = QString::fromStdString(dir.path().string());
        auto r = cli({"render", run});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("landscape.png"));
        QFile csv(run + "/plots/landscape.csv");
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(csv.readAll());
        QVERIFY2(text.startsWith("series,x,y,z\nlandscape_s1,-1,-1,2\n"), qPrintable(text));
        csv.close();
        // a damaged grid: the panels are still drawn, the exit code and message say what failed
        std::ofstream(dir.seriesPath("landscape_s1"), std::ios::trunc) << "x,y,z\n-1,-1,2\n0,";
        r = cli({"render", run});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("landscape_s1.csv") && r.err.contains("truncated"),
                 qPrintable(r.err));
        QVERIFY(QFileInfo(run + "/plots/landscape.png").size() > 0);
    }

    void sigintCancelsAndKeepsTheRun() {
        QTemporaryDir tmp;
        QProcess p;
        p.start(TRAINLAB_CLI_PATH,
                {"run", tiny, "--set", "max_steps=10000000", "--out", tmp.path()});
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(
            !QDir(tmp.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty(), 60000);
        QTest::qWait(300);
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 130);
        const QString dir = QString::fromUtf8(p.readAllStandardOutput()).trimmed();
        QCOMPARE(RunDirectory(dir.toStdString()).readStatus().state, RunState::Cancelled);
        QCOMPARE(RunDirectory(dir.toStdString()).readStatus().message,
                 std::string("cancelled by the user (SIGINT)"));
    }

    // Issue 18 D: SIGTERM and SIGHUP (the terminal closed) killed the CLI with the run left
    // "running" forever (SIGHUP) or recorded as "cancelled by the user" (SIGTERM). Both now stop
    // the run like Ctrl+C, name the signal, and exit with 128 + its number.
    void sigtermAndSighupCancelAndNameTheSignal_data() {
        QTest::addColumn<int>("sig");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        QTest::newRow("SIGTERM") << int(SIGTERM) << 143
                                 << "cancelled by SIGTERM (asked to terminate)";
        QTest::newRow("SIGHUP") << int(SIGHUP) << 129
                                << "cancelled by SIGHUP (the terminal was closed)";
    }
    void sigtermAndSighupCancelAndNameTheSignal() {
        QFETCH(int, sig);
        QFETCH(int, code);
        QFETCH(QString, message);
        QTemporaryDir tmp;
        QProcess p;
        p.start(TRAINLAB_CLI_PATH,
                {"run", tiny, "--set", "max_steps=10000000", "--no-plots", "--out", tmp.path()});
        stopMidRunAndCheck(p, tmp.path(), sig, code, message, false);
    }

    // Issue 18: the same signals to the window (`trainlab`) killed it with the run left
    // "running" in status.json. It now stops the run (cancelled, naming the signal), closes
    // and exits with 128 + the signal's number.
    void theWindowStopsItsRunOnSigtermAndSighup_data() { sigtermAndSighupCancelAndNameTheSignal_data(); }
    void theWindowStopsItsRunOnSigtermAndSighup() {
        QFETCH(int, sig);
        QFETCH(int, code);
        QFETCH(QString, message);
        QTemporaryDir tmp;
        QFile tinyFile(tiny);
        QVERIFY(tinyFile.open(QIODevice::ReadOnly));
        QByteArray preset = tinyFile.readAll();
        QVERIFY(preset.contains("\"max_steps\": 300,"));
        preset.replace("\"max_steps\": 300,", "\"max_steps\": 10000000,");
        const QString presetFile = writeTemp(tmp, "long-fit.json", preset);
        const QString gui = QFileInfo(TRAINLAB_CLI_PATH).dir().filePath("trainlab");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        env.insert("XDG_CONFIG_HOME", tmp.filePath("config"));  // its settings stay here
        QProcess p;
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        p.start(gui, {"--runs", tmp.filePath("runs"), "--preset", presetFile, "--run"});
        stopMidRunAndCheck(p, tmp.filePath("runs"), sig, code, message, true);
    }

    // Issue 18 D: `trainlab-cli run … 2>&1 | head -2` died of SIGPIPE at its next progress line,
    // leaving status.json "running", no metric rows and no results.json. Here stdout and stderr
    // are a pipe whose reader is gone before the CLI starts: every write fails, the run finishes.
    void aClosedOutputPipeDoesNotLoseTheRun() {
        QTemporaryDir tmp;
        int fds[2];
        QVERIFY(::pipe(fds) == 0);
        ::close(fds[0]);
        const QByteArray program = TRAINLAB_CLI_PATH, preset = tiny.toUtf8(),
                         out = tmp.path().toUtf8();
        std::vector<const char*> argv{program.constData(), "run",   preset.constData(),
                                      "--set",             "max_steps=200", "--out",
                                      out.constData(),     nullptr};
        const pid_t pid = ::fork();
        QVERIFY(pid >= 0);
        if (pid == 0) {
            ::dup2(fds[1], 1);
            ::dup2(fds[1], 2);
            ::close(fds[1]);
            ::execv(argv[0], const_cast<char* const*>(argv.data()));
            ::_exit(127);
        }
        ::close(fds[1]);
        int status = 0;
        QVERIFY(::waitpid(pid, &status, 0) == pid);
        QVERIFY2(WIFEXITED(status), qPrintable(QString("killed by signal %1").arg(WTERMSIG(status))));
        QCOMPARE(WEXITSTATUS(status), 0);
        const QString dir = onlyRunIn(tmp.path());
        QVERIFY(!dir.isEmpty());
        RunDirectory rd(dir.toStdString());
        QCOMPARE(rd.readStatus().state, RunState::Finished);
        QCOMPARE(readSeriesCsv(rd.seriesPath("loss_m1")).x.size(), size_t(200));
        QVERIFY(QFileInfo(dir + "/results.json").size() > 0);
        QVERIFY(QFileInfo(dir + "/plots/fit.png").size() > 0);
    }

    // Issue 18 F: started with stdout and stderr closed, the first files the CLI opened got
    // descriptors 1 and 2, and its messages went into the metric CSVs.
    void closedStandardStreamsDoNotLandInData() {
        QTemporaryDir tmp;
        const auto r = run("/bin/sh",
                           {"-c", "exec \"$0\" \"$@\" >&- 2>&-", TRAINLAB_CLI_PATH, "run", tiny,
                            "--set", "max_steps=50", "--out", tmp.path()},
                           plainEnvironment());
        QCOMPARE(r.code, 0);
        const QString dir = onlyRunIn(tmp.path());
        QVERIFY(!dir.isEmpty());
        QCOMPARE(RunDirectory(dir.toStdString()).readStatus().state, RunState::Finished);
        const QRegularExpression row("^[-+0-9.eE]+(,[-+0-9.eEnaif]+)*$");
        const QStringList csvs = QDir(dir + "/metrics").entryList({"*.csv"}, QDir::Files);
        QVERIFY(csvs.size() >= 4);
        for (const QString& name : csvs) {
            QFile f(dir + "/metrics/" + name);
            QVERIFY(f.open(QIODevice::ReadOnly));
            const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
            QVERIFY2(lines.size() >= 2, qPrintable(name));
            QVERIFY2(QRegularExpression("^[a-z_]+(,[a-z_]+)+$").match(lines[0]).hasMatch(),
                     qPrintable(name + ": " + lines[0]));
            for (int i = 1; i < lines.size(); ++i)
                QVERIFY2(row.match(lines[i]).hasMatch(), qPrintable(name + ": " + lines[i]));
        }
        for (const char* json : {"config.json", "status.json", "results.json", "panels.json"})
            QVERIFY2(QJsonDocument::fromJson([&] {
                         QFile f(dir + "/" + json);
                         return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
                     }()).isObject(),
                     json);
        // Mid-run, descriptors 1 and 2 are /dev/null (they were an eventfd of Qt's and
        // metrics/loss_m1.csv: any library message on stderr went into the metrics).
        QTemporaryDir tmp2;
        QProcess p;
        p.start("/bin/sh", {"-c", "exec \"$0\" \"$@\" >&- 2>&-", TRAINLAB_CLI_PATH, "run", tiny,
                            "--set", "max_steps=10000000", "--no-plots", "--out", tmp2.path()});
        QVERIFY(p.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(!onlyRunIn(tmp2.path()).isEmpty(), 60000);
        QTRY_VERIFY_WITH_TIMEOUT(
            QFileInfo(onlyRunIn(tmp2.path()) + "/metrics/loss_m1.csv").size() > 100, 60000);
        for (int fd : {1, 2}) {
            const QString link = QString("/proc/%1/fd/%2").arg(p.processId()).arg(fd);
            QCOMPARE(QFileInfo(link).symLinkTarget(), QString("/dev/null"));
        }
        ::kill(static_cast<pid_t>(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(20000));
        QCOMPARE(p.exitCode(), 130);
    }

    // Issue 18 A: under LC_ALL=de_DE.UTF-8, `--set lr=0.001` was refused: "not a finite number".
    void numbersOnTheCommandLineIgnoreTheLocale_data() {
        testing::addLocaleRows();
    }
    void numbersOnTheCommandLineIgnoreTheLocale() {
        QFETCH(QString, name);
        static testing::TestLocales locales({"de_DE.UTF-8", "tr_TR.UTF-8"});
        QVERIFY2(locales.error().isEmpty(), qPrintable(locales.error()));
        QProcessEnvironment env = plainEnvironment();
        env.insert("LC_ALL", name);
        env.insert("LANG", name);
        if (!locales.locpath().isEmpty()) env.insert("LOCPATH", locales.locpath());
        QTemporaryDir tmp;
        auto r = run(TRAINLAB_CLI_PATH,
                     {"run", tiny, "--set", "lr=0.001", "--set", "negative_slope=2.5e-1", "--set",
                      "max_steps=5", "--seed", "3", "--threads", "1", "--no-plots", "--out",
                      tmp.path()},
                     env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        RunDirectory rd(r.out.trimmed().toStdString());
        QCOMPARE(rd.readConfig()["config"]["lr"].get<double>(), 0.001);
        QCOMPARE(rd.readConfig()["config"]["negative_slope"].get<double>(), 0.25);
        QCOMPARE(rd.readConfig()["config"]["seed"].get<int>(), 3);
        QCOMPARE(readSeriesCsv(rd.seriesPath("loss_m1")).x.size(), size_t(5));
        r = run(TRAINLAB_CLI_PATH, {"validate", tiny}, env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        // and a bad number is still named, in C notation
        r = run(TRAINLAB_CLI_PATH, {"run", tiny, "--set", "lr=0,001", "--out", tmp.path()}, env);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("'lr' = '0,001': not a finite number"), qPrintable(r.err));
    }

    // Issue 18 B and C: 60,000 levels of nesting crashed `validate` (exit 139); a key given
    // twice was taken silently (the last one won).
    void validateRefusesDeepNestingAndDuplicateKeysWithAShortMessage() {
        QTemporaryDir tmp;
        const QByteArray text = tinyText();
        QVERIFY(!text.isEmpty());
        const QByteArray deepId =
            QByteArray(text).replace("\"test-tiny-fit\"", nested(60000, "\"x\""));
        const QByteArray deepLr =
            QByteArray(text).replace("\"lr\": 0.01", "\"lr\": " + nested(60000, "0.01"));
        QVERIFY(deepId.size() > 120000 && deepLr.size() > 120000);
        for (const auto& [name, bytes] : {std::pair{"deep-id.json", deepId},
                                          std::pair{"deep-lr.json", deepLr}}) {
            const QString file = writeTemp(tmp, name, bytes);
            const auto r = cli({"validate", file});
            QVERIFY2(r.code == 2, qPrintable(QString("%1: exit %2").arg(name).arg(r.code)));
            QVERIFY2(r.err.contains("nested more than 64 levels deep") && r.err.size() < 400,
                     qPrintable(r.err.left(400)));
        }
        const QString dup = writeTemp(
            tmp, "dup.json", QByteArray(text).replace("\"optimizer\"", "\"lr\": 1, \"optimizer\""));
        const auto r = cli({"validate", dup});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("'config.lr' appears twice"), qPrintable(r.err));
    }

    // Issue 18 E: with HOME unset the runs went to /tmp/.local/share/trainlab/runs, which any
    // user can create first (or put a link there).
    void withoutAUsableHomeRunsNeverGoToASharedFolder() {
        QTemporaryDir tmp;
        const QString file = tmp.filePath("a-file");
        QVERIFY(writeTemp(tmp, "a-file", "x") == file);
        QProcessEnvironment bare = plainEnvironment();
        for (const char* v : {"HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR"}) bare.remove(v);
        const QStringList args{"run", tiny, "--set", "max_steps=2", "--no-plots", "-q"};
        // no usable home and no runtime folder: refused, naming both ways to give one
        for (const QString& home : {QString("<unset>"), QString(""), QString("relative/home"),
                                    file, tmp.filePath("missing")}) {
            QProcessEnvironment env = bare;
            if (home != "<unset>") env.insert("HOME", home);
            const auto r = run(TRAINLAB_CLI_PATH, args, env, tmp.path());
            QVERIFY2(r.code == 2, qPrintable(home + ": " + r.out + r.err));
            QVERIFY2(r.err.contains("no folder for runs: HOME") && r.err.contains("--out") &&
                         r.err.contains("TRAINLAB_RUNS"),
                     qPrintable(r.err));
            QVERIFY(r.out.isEmpty());
        }
        QVERIFY(!QFileInfo::exists(tmp.filePath("relative")));
        // a runtime folder of others (writable by all) is refused too
        const QString shared = tmp.filePath("shared");
        QVERIFY(QDir().mkdir(shared));
        QVERIFY(::chmod(shared.toUtf8().constData(), 01777) == 0);
        QProcessEnvironment env = bare;
        env.insert("XDG_RUNTIME_DIR", shared);
        auto r = run(TRAINLAB_CLI_PATH, args, env);
        QVERIFY2(r.code == 2 && r.err.contains("not a folder private to this user"), qPrintable(r.err));
        // a private runtime folder is used
        const QString runtime = tmp.filePath("runtime");
        QVERIFY(QDir().mkdir(runtime));
        QVERIFY(::chmod(runtime.toUtf8().constData(), 0700) == 0);
        env.insert("XDG_RUNTIME_DIR", runtime);
        r = run(TRAINLAB_CLI_PATH, args, env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.startsWith(runtime + "/trainlab/runs/"), qPrintable(r.out));
        // a relative XDG_DATA_HOME is ignored (the XDG specification): HOME's folder is used
        env = bare;
        env.insert("HOME", tmp.filePath("home"));
        QVERIFY(QDir().mkdir(tmp.filePath("home")));
        env.insert("XDG_DATA_HOME", "relative-data");
        r = run(TRAINLAB_CLI_PATH, args, env, tmp.path());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.startsWith(tmp.filePath("home") + "/.local/share/trainlab/runs/"),
                 qPrintable(r.out));
        QVERIFY(!QFileInfo::exists(tmp.filePath("relative-data")));
        // --out and TRAINLAB_RUNS still work without a home
        r = run(TRAINLAB_CLI_PATH, args + QStringList{"--out", tmp.filePath("out")}, bare);
        QVERIFY2(r.code == 0 && r.out.startsWith(tmp.filePath("out")), qPrintable(r.err));
        env = bare;
        env.insert("TRAINLAB_RUNS", tmp.filePath("runs-env"));
        r = run(TRAINLAB_CLI_PATH, args, env);
        QVERIFY2(r.code == 0 && r.out.startsWith(tmp.filePath("runs-env")), qPrintable(r.err));
        // the window follows the same rule: it refuses to start, naming --runs
        const QString gui = QFileInfo(TRAINLAB_CLI_PATH).dir().filePath("trainlab");
        QVERIFY2(QFileInfo(gui).isExecutable(), qPrintable(gui));
        env = bare;
        env.insert("QT_QPA_PLATFORM", "offscreen");
        r = run(gui, {}, env, {}, 60000);
        QVERIFY2(r.code == 2 && r.err.contains("--runs DIR") && r.err.contains("TRAINLAB_RUNS"),
                 qPrintable(r.err));
        // and so does its headless mode (no display)
        env = bare;
        for (const char* v : {"QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"}) env.remove(v);
        r = run(gui, {"--preset", tiny}, env, {}, 60000);
        QVERIFY2(r.code == 2 && r.err.contains("no folder for runs"), qPrintable(r.err));
    }

    // Issue 18 E: without a usable HOME `data download` wrote into
    // /tmp/.local/share/trainlab/datasets (a fixed name in a shared folder); now it refuses,
    // naming --data-dir. An explicit --data-dir still works without a home.
    void dataDownloadWithoutAUsableHomeNamesDataDir() {
        QTemporaryDir tmp;
        QProcessEnvironment bare = plainEnvironment();
        for (const char* v : {"HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR", "TRAINLAB_DATA"})
            bare.remove(v);
        for (const QString& home : {QString("<unset>"), QString("relative/home")}) {
            QProcessEnvironment env = bare;
            if (home != "<unset>") env.insert("HOME", home);
            for (const QStringList& args : {QStringList{"data", "download", "mnist"},
                                            QStringList{"data", "import", "mnist", tmp.path()}}) {
                const auto r = run(TRAINLAB_CLI_PATH, args, env, tmp.path());
                QVERIFY2(r.code == 2, qPrintable(home + ": " + r.out + r.err));
                QVERIFY2(r.err.contains("no user folder for datasets: HOME") &&
                             r.err.contains("--data-dir") && r.err.contains("TRAINLAB_DATA"),
                         qPrintable(r.err));
            }
            // listing shows no user folder in /tmp
            const auto r = run(TRAINLAB_CLI_PATH, {"data", "list"}, env, tmp.path());
            QVERIFY2(r.code == 0 && !r.out.contains("/tmp/") && !r.out.contains("user data folder"),
                     qPrintable(r.out + r.err));
        }
        QVERIFY(!QFileInfo::exists(tmp.filePath("relative")));
    }

    void defaultRunsRootFollowsTheEnvironment() {
        struct Saved {
            std::vector<std::pair<const char*, std::optional<std::string>>> vars;
            Saved() {
                for (const char* v : {"TRAINLAB_RUNS", "XDG_DATA_HOME", "HOME", "XDG_RUNTIME_DIR"}) {
                    const char* x = std::getenv(v);
                    vars.push_back({v, x ? std::optional<std::string>(x) : std::nullopt});
                    ::unsetenv(v);
                }
            }
            ~Saved() {
                for (const auto& [k, v] : vars)
                    v ? ::setenv(k, v->c_str(), 1) : ::unsetenv(k);
            }
        } saved;
        QTemporaryDir tmp;
        const std::string t = tmp.path().toStdString();
        std::string why;
        QVERIFY(defaultRunsRoot(&why).empty());
        QVERIFY2(why.find("HOME is unset and XDG_RUNTIME_DIR is unset") != std::string::npos, why.c_str());
        QVERIFY_THROWS_EXCEPTION(ConfigError, defaultRunsRoot());
        ::setenv("HOME", t.c_str(), 1);
        QCOMPARE(defaultRunsRoot().string(), t + "/.local/share/trainlab/runs");
        ::setenv("XDG_DATA_HOME", "relative", 1);
        QCOMPARE(defaultRunsRoot().string(), t + "/.local/share/trainlab/runs");
        ::setenv("XDG_DATA_HOME", "/data", 1);
        QCOMPARE(defaultRunsRoot().string(), std::string("/data/trainlab/runs"));
        ::unsetenv("XDG_DATA_HOME");
        ::setenv("HOME", "/", 1);  // root's home on some systems
        QCOMPARE(defaultRunsRoot().string(), std::string("/.local/share/trainlab/runs"));
        ::setenv("HOME", (t + "/nothing").c_str(), 1);
        ::setenv("XDG_RUNTIME_DIR", t.c_str(), 1);  // QTemporaryDir: 0700
        QCOMPARE(defaultRunsRoot().string(), t + "/trainlab/runs");
        ::setenv("XDG_RUNTIME_DIR", "/tmp", 1);  // shared
        QVERIFY(defaultRunsRoot(&why).empty());
        QVERIFY2(why.find("'/tmp' is not a folder private to this user") != std::string::npos, why.c_str());
        ::setenv("TRAINLAB_RUNS", "here", 1);
        QCOMPARE(defaultRunsRoot().string(), std::string("here"));
    }
};

QTEST_GUILESS_MAIN(TstCli)
#include "tst_cli.moc"
