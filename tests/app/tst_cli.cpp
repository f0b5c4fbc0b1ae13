// trainlab-cli as a user runs it: list, run with overrides, bad input, a killed run.
#include <signal.h>

#include <QtTest>
#include <fstream>

#include "core/run_directory.h"

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
    }
};

QTEST_GUILESS_MAIN(TstCli)
#include "tst_cli.moc"
