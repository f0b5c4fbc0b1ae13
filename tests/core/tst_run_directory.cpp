// Run records: written, read back, killed mid-way, write failures.
#include <sys/stat.h>
#include <unistd.h>
#include <QtTest>
#include <cmath>
#include <fstream>
#include <limits>

#include "core/errors.h"
#include "core/run_directory.h"

using namespace trainlab;

class TstRunDirectory : public QObject {
    Q_OBJECT
  private slots:
    void outOfRangeNumbersInRecordsAreRefusedNotFatal() {
        // Found by fuzz_run_record: a number too large for a double made nlohmann throw
        // out_of_range, which readJsonFile did not catch.
        QTemporaryDir tmp;
        const fs::path dir = fs::path(tmp.path().toStdString()) / "run";
        fs::create_directories(dir);
        writeFileAtomic(dir / "config.json", "{\"lr\": 0.2787e23868560791}");
        RunDirectory run(dir);
        bool refused = false;
        try {
            run.readConfig();
        } catch (const ConfigError& e) {
            refused = std::string(e.what()).find("config.json") != std::string::npos;
        }
        QVERIFY(refused);
    }

    void writesAndReadsBack() {
        QTemporaryDir tmp;
        RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "demo");
        QVERIFY(fs::is_directory(dir.metricsDir()));
        dir.writeConfig({{"preset_id", "demo"}, {"title", "Demo"}, {"seed", 3}});
        PlotLayout layout;
        layout.panels.push_back({"loss", "Loss", "step", "loss", "", false, true, false});
        SeriesSpec s;
        s.id = "loss_m1";
        s.panel = "loss";
        s.name = "Model 1";
        s.xName = "step";
        s.yName = "loss";
        layout.series.push_back(s);
        dir.writeLayout(layout);
        RunStatus st;
        st.state = RunState::Finished;
        st.message = "done";
        st.pid = ::getpid();
        st.host = currentHostName();
        dir.writeStatus(st);
        {
            CsvSeriesWriter w(dir.seriesPath("loss_m1"), "step", "loss");
            for (int i = 1; i <= 1000; ++i) w.append(i, 1.0 / i);
            w.flush();
        }
        dir.writeResults({{"headline", "MSE 0.01"}});

        RunDirectory again(dir.path());
        QCOMPARE(again.readConfig()["seed"].get<int>(), 3);
        QCOMPARE(again.readStatus().state, RunState::Finished);
        QCOMPARE(QString::fromStdString(again.readStatus().message), QString("done"));
        const PlotLayout l2 = again.readLayout();
        QCOMPARE(l2.series.size(), size_t(1));
        QVERIFY(l2.panels[0].logY);
        const auto all = again.readAllSeries();
        QCOMPARE(all.size(), size_t(1));
        QCOMPARE(all[0].second.x.size(), size_t(1000));
        QCOMPARE(all[0].second.y[9], 0.1);
        const auto runs = listRuns(tmp.path().toStdString());
        QCOMPARE(runs.size(), size_t(1));
        QCOMPARE(QString::fromStdString(runs[0].headline), QString("MSE 0.01"));
        QCOMPARE(QString::fromStdString(runs[0].title), QString("Demo"));
    }

    void killedRunKeepsEveryCompleteLine() {
        QTemporaryDir tmp;
        RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "killed");
        dir.writeConfig({{"preset_id", "killed"}});
        RunStatus st;  // state running, pid of a process that does not exist
        st.pid = 0x7ffffff0;
        st.host = currentHostName();
        dir.writeStatus(st);
        {
            std::ofstream out(dir.seriesPath("loss"));
            out << "step,loss\n1,0.5\n2,0.25\n3,0.12";  // the kill hit mid-line
        }
        const RunStatus read = dir.readStatus();
        QCOMPARE(read.state, RunState::Interrupted);
        QVERIFY(read.message.find("interrupted") != std::string::npos);
        const Series s = readSeriesCsv(dir.seriesPath("loss"));
        QCOMPARE(s.x.size(), size_t(2));
        QCOMPARE(s.y[1], 0.25);
    }

    void runningRunOfALiveProcessStaysRunning() {
        QTemporaryDir tmp;
        RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "live");
        RunStatus st;
        st.pid = ::getpid();
        st.host = currentHostName();
        dir.writeStatus(st);
        QCOMPARE(dir.readStatus().state, RunState::Running);
    }

    void missingStatusIsInterrupted() {
        QTemporaryDir tmp;
        RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "nostatus");
        QCOMPARE(dir.readStatus().state, RunState::Interrupted);
    }

    void atomicWriteFailureKeepsOldFile() {
        if (::geteuid() == 0) {
            // root ignores permissions; use a path whose parent is a file instead.
            QTemporaryDir tmp;
            const fs::path file = fs::path(tmp.path().toStdString()) / "plain";
            std::ofstream(file) << "x";
            QVERIFY_THROWS_EXCEPTION(IoError, writeFileAtomic(file / "config.json", "{}"));
        }
        QTemporaryDir tmp;
        const fs::path p = fs::path(tmp.path().toStdString()) / "config.json";
        writeFileAtomic(p, "old");
        ::chmod(tmp.path().toLocal8Bit().constData(), 0500);
        bool threw = false;
        try {
            writeFileAtomic(p, "new");
        } catch (const IoError& e) {
            threw = true;
            QVERIFY(std::string(e.what()).find(tmp.path().toStdString()) != std::string::npos);
        }
        ::chmod(tmp.path().toLocal8Bit().constData(), 0700);
        if (::geteuid() != 0) QVERIFY(threw);
        QCOMPARE(QString::fromStdString(readFile(p)), threw ? QString("old") : QString("new"));
    }

    void fullDiskFailsTheWriterWithAMessage() {
        if (!QFile::exists("/dev/full")) QSKIP("/dev/full is not available");
        bool threw = false;
        try {
            CsvSeriesWriter w("/dev/full", "x", "y");
            for (int i = 0; i < 100000; ++i) w.append(i, i);
            w.flush();
        } catch (const IoError& e) {
            threw = true;
            QVERIFY(std::string(e.what()).find("/dev/full") != std::string::npos);
        }
        QVERIFY(threw);
        QVERIFY_THROWS_EXCEPTION(IoError, writeFileAtomic("/dev/full/x.json", "{}"));
    }

    void damagedRunsAreListedNotThrown() {
        QTemporaryDir tmp;
        const fs::path bad = fs::path(tmp.path().toStdString()) / "20260101-000000-bad";
        fs::create_directories(bad);
        std::ofstream(bad / "config.json") << "{ not json";
        const auto runs = listRuns(tmp.path().toStdString());
        QCOMPARE(runs.size(), size_t(1));
        QCOMPARE(runs[0].status.state, RunState::Interrupted);
        QVERIFY(runs[0].status.message.find("damaged") != std::string::npos);
    }

    void gridsRoundTripAndHeatmapsSkipTheTwoColumnReader() {
        QTemporaryDir tmp;
        RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "grid");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double inf = std::numeric_limits<double>::infinity();
        Grid g;
        g.xs = {-1, -0.5, 0, 0.5};
        g.ys = {-2, 0, 2};
        for (size_t iy = 0; iy < g.ys.size(); ++iy)
            for (size_t ix = 0; ix < g.xs.size(); ++ix)
                g.z.push_back(g.xs[ix] * g.xs[ix] + 0.25 * g.ys[iy] + 0.125);
        g.z[5] = nan;
        g.z[6] = inf;
        writeGridCsv(dir.seriesPath("landscape"), g);
        const std::string text = readFile(dir.seriesPath("landscape"));
        QVERIFY2(text.rfind("x,y,z\n-1,-2,0.625\n-0.5,-2,", 0) == 0, text.c_str());
        const Grid back = readGridCsv(dir.seriesPath("landscape"));
        QCOMPARE(back.xs, g.xs);
        QCOMPARE(back.ys, g.ys);
        QCOMPARE(back.z.size(), size_t(12));
        for (size_t i = 0; i < g.z.size(); ++i) {
            if (i == 5) {
                QVERIFY(std::isnan(back.z[i]));
            } else {
                QCOMPARE(back.z[i], g.z[i]);
            }
        }
        // a single row and a single column are grids too; an empty grid is only the header
        for (const Grid& small : {Grid{{3}, {1, 2}, {4, 5}}, Grid{{1, 2}, {3}, {4, 5}}, Grid{}}) {
            writeGridCsv(dir.seriesPath("small"), small);
            const Grid b = readGridCsv(dir.seriesPath("small"));
            QCOMPARE(b.xs, small.xs);
            QCOMPARE(b.ys, small.ys);
            QCOMPARE(b.z, small.z);
        }
        // inconsistent grids are not written
        QVERIFY(gridFault(g).empty());
        QVERIFY(gridFault(Grid{{0, 1}, {0, 1}, {1, 2, 3}}).find("need 4") != std::string::npos);
        QVERIFY(gridFault(Grid{{0, 0}, {1}, {1, 2}}).find("increasing") != std::string::npos);
        QVERIFY(!gridFault(Grid{{0, nan}, {1}, {1, 2}}).empty());
        QVERIFY_THROWS_EXCEPTION(DataError,
                                 writeGridCsv(dir.seriesPath("bad"), Grid{{0, 1}, {0}, {1}}));
        QVERIFY(!fs::exists(dir.seriesPath("bad")));

        // readAllSeries leaves heatmaps to readGridCsv
        PlotLayout layout;
        layout.panels.push_back({"landscape", "Loss landscape", "α", "β", "loss"});
        SeriesSpec s;
        s.id = "landscape";
        s.panel = "landscape";
        s.mode = SeriesMode::Replace;
        s.style = SeriesStyle::Heatmap;
        layout.series.push_back(s);
        dir.writeLayout(layout);
        const auto all = dir.readAllSeries();
        QCOMPARE(all.size(), size_t(1));
        QCOMPARE(all[0].first.style, SeriesStyle::Heatmap);
        QVERIFY(all[0].second.x.empty());
        QVERIFY(readFile(dir.path() / "panels.json").find("\"heatmap\"") != std::string::npos);
    }

    void damagedGridFilesAreRefusedWithTheFault() {
        QTemporaryDir tmp;
        const fs::path p = fs::path(tmp.path().toStdString()) / "grid.csv";
        const auto faultOf = [&](const std::string& text) {
            std::ofstream(p, std::ios::trunc) << text;
            try {
                readGridCsv(p);
            } catch (const DataError& e) {
                const std::string what = e.what();
                if (what.find(p.string()) == std::string::npos) return "no file name: " + what;
                return e.fault();
            }
            return std::string("accepted");
        };
        const auto has = [](const std::string& fault, const char* part) {
            return fault.find(part) != std::string::npos;
        };
        const std::string good = "x,y,z\n0,0,1\n1,0,2\n0,1,3\n1,1,4\n";
        QCOMPARE(faultOf(good), std::string("accepted"));
        // truncated at a row boundary: the last y lacks x values
        std::string f = faultOf("x,y,z\n0,0,1\n1,0,2\n2,0,3\n0,1,3\n1,1,4\n");
        QVERIFY2(has(f, "truncated") && has(f, "2 of 3"), f.c_str());
        // truncated mid-row (no line end)
        f = faultOf("x,y,z\n0,0,1\n1,0,2\n0,1,3\n1,1");
        QVERIFY2(has(f, "line 5") && has(f, "truncated"), f.c_str());
        // an x missing in the middle of a y
        f = faultOf("x,y,z\n0,0,1\n1,0,2\n2,0,3\n0,1,3\n2,1,4\n1,1,5\n");
        QVERIFY2(has(f, "line 6") && has(f, "x = 2 where x = 1"), f.c_str());
        // y changes before the row of x values is complete
        f = faultOf("x,y,z\n0,0,1\n1,0,2\n0,1,3\n0,2,4\n");
        QVERIFY2(has(f, "line 5") && has(f, "only 1 of 2"), f.c_str());
        // y going back
        f = faultOf("x,y,z\n0,1,1\n1,1,2\n0,0,3\n1,0,4\n");
        QVERIFY2(has(f, "line 4") && has(f, "does not increase"), f.c_str());
        // not a grid at all: a two-column series, a bad number, an empty file
        f = faultOf("step,loss\n1,0.5\n");
        QVERIFY2(has(f, "line 1") && has(f, "x,y,z"), f.c_str());
        f = faultOf("x,y,z\n0,0,1\n1,zero,2\n");
        QVERIFY2(has(f, "line 3") && has(f, "three numbers"), f.c_str());
        f = faultOf("");
        QVERIFY2(has(f, "empty"), f.c_str());
        QVERIFY_THROWS_EXCEPTION(IoError, readGridCsv(p.string() + ".missing"));
    }

    void unsafeSeriesIdsAreRefused() {
        QTemporaryDir tmp;
        RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "ids");
        QVERIFY_THROWS_EXCEPTION(IoError, dir.seriesPath("../escape"));
        QVERIFY(!isSafeId(".hidden"));
        QVERIFY(isSafeId("loss_m1"));
    }
};

QTEST_APPLESS_MAIN(TstRunDirectory)
#include "tst_run_directory.moc"
