// Run records: written, read back, killed mid-way, write failures.
#include <sys/stat.h>
#include <unistd.h>
#include <QtTest>
#include <fstream>

#include "core/errors.h"
#include "core/run_directory.h"

using namespace trainlab;

class TstRunDirectory : public QObject {
    Q_OBJECT
  private slots:
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
