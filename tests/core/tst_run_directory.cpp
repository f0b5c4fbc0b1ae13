// Run records: written, read back, killed mid-way, write failures.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <QtTest>
#include <chrono>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <future>
#include <limits>
#include <random>
#include <thread>

#include "errors.h"
#include "run_directory.h"
#include "test_locale.h"
#include "atomic_file.h"
#include "csv.h"
#include "host.h"
#include "run_file_reader.h"
#include "run_listing.h"

using namespace trainlab;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// The message `f` throws, "" when it returns.
template <class F>
std::string thrownBy(F f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

/// Runs `read` on its own thread for at most `seconds`: "" when it returned, its message when
/// it threw, "blocked" when it did not come back (then `unblock` is called to let it end).
template <class F, class U>
std::string withinSeconds(double seconds, F read, U unblock) {
    auto done = std::make_shared<std::promise<std::string>>();
    std::future<std::string> result = done->get_future();
    std::thread([done, read] {
        try {
            read();
            done->set_value({});
        } catch (const std::exception& e) {
            done->set_value(e.what());
        }
    }).detach();
    if (result.wait_for(std::chrono::duration<double>(seconds)) == std::future_status::ready)
        return result.get();
    unblock();
    result.wait_for(std::chrono::seconds(10));
    return "blocked";
}

/// The files a writer leaves for a series, a table and a grid, written under the current locale.
std::string writtenBytes(const fs::path& dir) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    {
        CsvSeriesWriter w(dir / "loss.csv", "step", "loss");
        for (double v : {0.118651191, 1e-5, -2.5, 1234567.89, 3.0, nan, -inf}) w.append(v * 7, v);
        w.flush();
    }
    writeSeriesCsv(dir / "pred.csv", "x", "y", Series{{-0.5, 0.25, 1}, {0.125, 2.75e-7, -1e300}});
    writeGridCsv(dir / "grid.csv", Grid{{-0.5, 0.5}, {0.25, 1.5}, {0.1, nan, 2.5, inf}});
    return readFile(dir / "loss.csv") + readFile(dir / "pred.csv") + readFile(dir / "grid.csv");
}

}  // namespace

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

    // Issue 18: QCoreApplication sets the process locale from the environment; de_DE and tr_TR
    // wrote "1,0,118651191" (a decimal comma) and read "0.5" as 0.
    void numbersAreWrittenAndReadInTheCLocaleWhateverTheProcessLocale_data() {
        testing::addLocaleRows();
    }
    void numbersAreWrittenAndReadInTheCLocaleWhateverTheProcessLocale() {
        QFETCH(QString, name);
        QTemporaryDir tmp;
        const fs::path cDir = fs::path(tmp.path().toStdString()) / "c";
        const fs::path lDir = fs::path(tmp.path().toStdString()) / "l";
        fs::create_directories(cDir);
        fs::create_directories(lDir);
        std::setlocale(LC_ALL, "C");
        const std::string cBytes = writtenBytes(cDir);
        QVERIFY(contains(cBytes, "step,loss\n0.830558337,0.118651191\n"));
        QString problem;
        if (!testing::setProcessLocale(name, &problem)) QSKIP(qPrintable(problem));
        char probe[16];
        std::snprintf(probe, sizeof probe, "%.1f", 0.5);
        QCOMPARE(QByteArray(probe), QByteArray("0,5"));  // the locale is in force
        const std::string lBytes = writtenBytes(lDir);
        // what was written in the C locale reads back the same under this one, and the other way
        const Series c = readSeriesCsv(cDir / "loss.csv");
        const Series l = readSeriesCsv(lDir / "loss.csv");
        const Grid g = readGridCsv(cDir / "grid.csv");
        RunDirectory run = RunDirectory::create(lDir, "json");
        run.writeConfig({{"lr", 0.001}});
        const double lr = run.readConfig()["lr"].get<double>();
        const std::string json = readFile(run.path() / "config.json");
        std::setlocale(LC_ALL, "C");
        QCOMPARE(lBytes, cBytes);
        QCOMPARE(c.x.size(), size_t(7));
        QCOMPARE(l.x.size(), size_t(7));
        QCOMPARE(c.y[0], 0.118651191);
        QCOMPARE(l.y[3], 1234567.89);
        QVERIFY(std::isnan(l.y[5]) && std::isinf(l.y[6]) && l.y[6] < 0);
        QCOMPARE(g.xs, (std::vector<double>{-0.5, 0.5}));
        QCOMPARE(g.z[2], 2.5);
        QCOMPARE(lr, 0.001);  // nlohmann_json is locale-independent both ways
        QVERIFY2(contains(json, "0.001"), json.c_str());
    }

    void numbersAreWrittenAsPrintfDidInTheCLocale() {
        // Files stay byte-identical to those of earlier versions (snprintf "%.9g").
        std::mt19937_64 rng(18);
        std::uniform_real_distribution<double> mantissa(-10, 10);
        std::uniform_int_distribution<int> exponent(-320, 308);
        std::vector<double> values{0.0,
                                   -0.0,
                                   1.0,
                                   0.1,
                                   1e-5,
                                   123456789,
                                   1234567891,
                                   5e-324,
                                   std::numeric_limits<double>::max(),
                                   std::numeric_limits<double>::quiet_NaN(),
                                   -std::numeric_limits<double>::infinity()};
        for (int i = 0; i < 20000; ++i)
            values.push_back(mantissa(rng) * std::pow(10.0, exponent(rng) / (i % 2 ? 1 : 40)));
        for (double v : values) {
            char expected[64];
            std::snprintf(expected, sizeof expected, "%.9g", v);
            std::string got;
            appendCsvNumber(got, v);
            QCOMPARE(got, std::string(expected));
            double back = 0;
            QVERIFY(parseCsvNumber(got.data(), got.data() + got.size(), back));
            if (!std::isnan(v)) QCOMPARE(back, std::strtod(expected, nullptr));
        }
        double v = 0;
        for (const char* bad : {"", "1,5", "0x10", "1 2", "+-1", "abc", "1e", "--1"})
            QVERIFY2(!parseCsvNumber(bad, bad + std::strlen(bad), v), bad);
        for (const char* ok : {" 1.5", "+2", "1e999", "-1e-999", "inf", "-nan"})
            QVERIFY2(parseCsvNumber(ok, ok + std::strlen(ok), v), ok);
    }

    // Issue 18: readers of run folders followed links to devices, blocked on named pipes and read
    // any line whole.
    void specialFilesAreRefusedWithoutBlocking() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        const fs::path zero = dir / "zero.csv";
        fs::create_symlink("/dev/zero", zero);
        std::string e = withinSeconds(
            5, [&] { readSeriesCsv(zero); }, [] {});
        QVERIFY2(contains(e, "zero.csv") && contains(e, "symbolic link"), e.c_str());
        e = withinSeconds(
            5, [&] { readGridCsv(zero); }, [] {});
        QVERIFY2(contains(e, "symbolic link"), e.c_str());

        const fs::path fifo = dir / "fifo.csv";
        QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        const auto unblock = [&] {  // a writer that closes at once: the reader sees the end
            const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
            if (fd >= 0) ::close(fd);
        };
        e = withinSeconds(
            5, [&] { readSeriesCsv(fifo); }, unblock);
        QVERIFY2(contains(e, "fifo.csv") && contains(e, "named pipe"), e.c_str());
        e = withinSeconds(
            5, [&] { readSeriesLabels(fifo); }, unblock);
        QVERIFY2(contains(e, "named pipe"), e.c_str());
        e = withinSeconds(
            5, [&] { readRunJsonFile(fifo); }, unblock);
        QVERIFY2(contains(e, "named pipe"), e.c_str());

        const fs::path folder = dir / "folder.csv";
        fs::create_directory(folder);
        e = thrownBy([&] { readSeriesCsv(folder); });
        QVERIFY2(contains(e, "folder.csv") && contains(e, "is a folder"), e.c_str());

        // a line of 2 MiB (the limit is 1 MiB): refused with the file, the line and the limit
        const fs::path longLine = dir / "long.csv";
        std::ofstream(longLine) << "step,loss\n1,0.5\n" << std::string(2 << 20, '7');
        e = withinSeconds(
            5, [&] { readSeriesCsv(longLine); }, [] {});
        QVERIFY2(contains(e, "long.csv") && contains(e, "line 3") && contains(e, "1 MiB"),
                 e.c_str());
        e = thrownBy([&] { readSeriesLabels(longLine); });
        QVERIFY2(contains(e, "1 MiB"), e.c_str());
        // a file larger than 4 GiB (sparse: no disk used) is refused before it is read
        const fs::path huge = dir / "huge.csv";
        {
            const int fd = ::open(huge.c_str(), O_WRONLY | O_CREAT, 0644);
            QVERIFY(fd >= 0);
            QCOMPARE(::ftruncate(fd, (off_t{5} << 30)), 0);
            ::close(fd);
        }
        e = withinSeconds(
            5, [&] { readSeriesCsv(huge); }, [] {});
        QVERIFY2(contains(e, "huge.csv") && contains(e, "4 GiB"), e.c_str());
    }

    // Issue 18: CRLF files read as 0 points; one bad line dropped every row after it.
    void crlfAndBadLinesKeepTheirData() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        std::ofstream(dir / "crlf.csv", std::ios::binary) << "step,loss\r\n1,0.5\r\n2,0.25\r\n";
        Series s = readSeriesCsv(dir / "crlf.csv");
        QCOMPARE(s.x, (std::vector<double>{1, 2}));
        QCOMPARE(s.y, (std::vector<double>{0.5, 0.25}));
        std::ofstream(dir / "grid.csv", std::ios::binary) << "x,y,z\r\n0,0,1\r\n1,0,2\r\n";
        QCOMPARE(readGridCsv(dir / "grid.csv").z, (std::vector<double>{1, 2}));

        std::ofstream(dir / "bad.csv")
            << "step,loss\n1,0.5\n2,oops\n\n3,0.125\n4,0,5\n5,1e-3\n6,0.";
        std::vector<std::string> warnings;
        s = readSeriesCsv(dir / "bad.csv", &warnings);
        QCOMPARE(s.x, (std::vector<double>{1, 3, 5}));  // the incomplete last line is left out
        QCOMPARE(s.y, (std::vector<double>{0.5, 0.125, 0.001}));
        QCOMPARE(warnings.size(), size_t(2));
        QVERIFY2(contains(warnings[0], "bad.csv") && contains(warnings[0], "line 3"),
                 warnings[0].c_str());
        QVERIFY2(contains(warnings[1], "line 6"), warnings[1].c_str());
    }

    // Issue 18: panel ids named files: "../../x" and "/tmp/x" wrote outside the run folder.
    void idsThatAreNotPlainFileNamesAreRefused() {
        QTemporaryDir tmp;
        RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "ids");
        for (const std::string id : {"../../../../tmp/x/report", "/tmp/x/abs", "", "a/b", ".."}) {
            PlotLayout layout;
            layout.panels.push_back({id, "Loss", "step", "loss"});
            dir.writeLayout(layout);
            std::string e = thrownBy([&] { dir.readLayout(); });
            QVERIFY2(contains(e, "panels.json") && contains(e, "panel id '" + id + "'") &&
                         contains(e, "not a plain file name"),
                     e.c_str());
            layout.panels[0].id = "loss";
            SeriesSpec s;
            s.id = id;
            s.panel = "loss";
            layout.series.push_back(s);
            dir.writeLayout(layout);
            e = thrownBy([&] { dir.readAllSeries(); });
            QVERIFY2(contains(e, "series id '" + id + "'"), e.c_str());
        }
    }

    // Issue 18: a metrics/ or plots/ folder that is a link reads or writes elsewhere; a link in a
    // file's place had its target overwritten.
    void linksInARunFolderAreNeitherReadNorWrittenThrough() {
        QTemporaryDir tmp;
        const fs::path outside = fs::path(tmp.path().toStdString()) / "outside";
        fs::create_directories(outside);
        std::ofstream(outside / "thesis.txt") << "my thesis\n";
        RunDirectory dir = RunDirectory::create(tmp.path().toStdString(), "links");
        PlotLayout layout;
        layout.panels.push_back({"loss", "Loss", "step", "loss"});
        SeriesSpec s;
        s.id = "loss_m1";
        s.panel = "loss";
        layout.series.push_back(s);
        s.id = "loss_m2";
        layout.series.push_back(s);
        dir.writeLayout(layout);
        std::ofstream(dir.seriesPath("loss_m1")) << "step,loss\n1,0.5\n";
        // a link in a series' place: refused, the other series read, the target untouched
        fs::create_symlink(outside / "thesis.txt", dir.seriesPath("loss_m2"));
        std::vector<std::string> warnings, errors;
        const auto all = dir.readAllSeries(warnings, errors);
        QCOMPARE(all.size(), size_t(2));
        QCOMPARE(all[0].second.x.size(), size_t(1));
        QVERIFY(all[1].second.x.empty());
        QCOMPARE(errors.size(), size_t(1));
        QVERIFY2(contains(errors[0], "loss_m2") && contains(errors[0], "symbolic link"),
                 errors[0].c_str());
        std::string e = thrownBy([&] { CsvSeriesWriter w(dir.seriesPath("loss_m2"), "a", "b"); });
        QVERIFY2(contains(e, "loss_m2.csv"), e.c_str());
        writeSeriesCsv(dir.seriesPath("loss_m2"), "step", "loss", Series{{1}, {2}});
        QVERIFY(!fs::is_symlink(dir.seriesPath("loss_m2")));  // the link replaced, not followed
        QCOMPARE(readFile(outside / "thesis.txt"), std::string("my thesis\n"));
        fs::remove(dir.path() / "panels.json");
        fs::create_symlink(outside / "thesis.txt", dir.path() / "panels.json");
        e = thrownBy([&] { dir.readLayout(); });
        QVERIFY2(contains(e, "panels.json") && contains(e, "symbolic link"), e.c_str());
        dir.writeLayout(layout);
        QCOMPARE(readFile(outside / "thesis.txt"), std::string("my thesis\n"));

        // metrics/ and plots/ as links to a folder elsewhere
        fs::remove_all(dir.metricsDir());
        fs::create_directory_symlink(outside, dir.metricsDir());
        e = thrownBy([&] { dir.readAllSeries(warnings, errors); });
        QVERIFY2(contains(e, "metrics") && contains(e, "symbolic link"), e.c_str());
        fs::remove_all(dir.plotsDir());
        fs::create_directory_symlink(outside, dir.plotsDir());
        e = thrownBy([&] { dir.plotsDirForWriting(); });
        QVERIFY2(contains(e, "plots") && contains(e, "symbolic link"), e.c_str());
        fs::remove(dir.plotsDir());
        QCOMPARE(dir.plotsDirForWriting(), dir.plotsDir());  // created again, as a folder
        QVERIFY(fs::is_directory(fs::symlink_status(dir.plotsDir())));
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
