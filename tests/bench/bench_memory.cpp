// Issue 7: resident memory of the GUI against the number of recorded runs.
//
//  (a) History size: a runs folder holding N finished runs (one tiny function-fit run
//      recorded through runExperiment, then copied N times under distinct run-folder names
//      "<yyyymmdd-hhmmss>-test-tiny-fit", as RunDirectory::create names them and listRuns
//      finds them), opened by a shown MainWindow, N = 1, 10, 100, 1000 (--history). Each N is
//      measured in a fresh child process (this binary with --child-history), so that one
//      measurement's heap does not carry into the next: VmRSS (/proc/self/status) before the
//      window, after it has listed the runs and been shown, and after malloc_trim(0) (what
//      is still in use, without the allocator's cached free pages).
//  (b) Successive runs in one window: one child process (--child-runs) makes K tiny runs one
//      after another in the same window (each one's panels replace the last one's, the
//      history gains a row) and prints VmRSS after every run; the table shows K = 1, 10, 50
//      (--runs) and the growth per run between the 10th and the last.
//
// The peak memory of the longest preset (3-2-parameters) is measured by
// tests/bench/peak_rss.sh (the real preset through trainlab-cli, hours long, sampled for a
// bounded time).
//
//   QT_QPA_PLATFORM=offscreen ./build/tests/bench_memory [--history 1,10,100,1000]
//                                                      [--runs 1,10,50] [--steps 2000]
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QTreeWidget>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "config_editor.h"
#include "experiment.h"
#include "experiment_runner.h"
#include "main_window.h"
#include "preset.h"
#include "test_support.h"
#include "run_listing.h"

using namespace trainlab;
namespace fs = std::filesystem;

namespace {

/// VmRSS, VmHWM … of /proc/self/status in KiB.
long statusKb(const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::string k = std::string(key) + ":";
    while (std::getline(in, line))
        if (line.compare(0, k.size(), k) == 0) return std::atol(line.c_str() + k.size());
    return -1;
}
double rssMb() {
    return statusKb("VmRSS") / 1024.0;
}
double hwmMb() {
    return statusKb("VmHWM") / 1024.0;
}

void settle(int ms) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
}

std::vector<int> parseList(const QString& s) {
    std::vector<int> v;
    for (const QString& part : s.split(',', Qt::SkipEmptyParts)) v.push_back(part.toInt());
    return v;
}

/// Records one finished tiny run under `root`; returns its folder.
fs::path recordTemplateRun(const fs::path& root, long long steps) {
    const RunRequest request = testing::tinyRequest(root.string(), testing::tinyConfig(steps));
    testing::DiscardingObserver observer;
    RunControl control;
    const RunOutcome out = runExperiment(request, &observer, control);
    if (out.state != RunState::Finished)
        throw std::runtime_error("template run failed: " + out.message);
    return out.runDir;
}

/// `n` copies of `run` in `root`, named as RunDirectory::create names runs, one second apart.
void fillHistory(const fs::path& run, const fs::path& root, int n) {
    fs::create_directories(root);
    const std::time_t base = 1764400000;  // 2025-11-29
    for (int i = 0; i < n; ++i) {
        const std::time_t t = base + i;
        std::tm tm{};
        gmtime_r(&t, &tm);
        std::ostringstream name;
        name << std::put_time(&tm, "%Y%m%d-%H%M%S") << "-test-tiny-fit";
        fs::copy(run, root / name.str(), fs::copy_options::recursive);
    }
}

std::uintmax_t folderBytes(const fs::path& p) {
    std::uintmax_t total = 0;
    for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) total += e.file_size();
    return total;
}

// ---- child processes ---------------------------------------------------------------------

int childHistory(const QString& root) {
    const double before = rssMb();
    QElapsedTimer t;
    t.start();
    MainWindow w;
    w.setQuiet(true);
    w.setRunsRoot(root);
    const double listMs = t.nsecsElapsed() * 1e-6;
    w.resize(1500, 950);
    w.show();
    settle(500);
    const auto* tree = w.findChild<QTreeWidget*>(QStringLiteral("runTree"));
    const int rows = tree ? tree->topLevelItemCount() : -1;
    const double after = rssMb();
    malloc_trim(0);
    const double trimmed = rssMb();
    std::printf("HISTORY rows=%d before=%.1f after=%.1f trimmed=%.1f hwm=%.1f ms=%.0f\n", rows,
                before, after, trimmed, hwmMb(), listMs);
    return 0;
}

int childRuns(const QString& root, int runs, long long steps) {
    const double before = rssMb();
    MainWindow w;
    w.setQuiet(true);
    w.setRunsRoot(root);
    w.resize(1500, 950);
    w.show();
    testing::showSettings(w, testing::tinyConfig(steps));
    settle(300);
    std::printf("WINDOW before=%.1f shown=%.1f\n", before, rssMb());
    std::fflush(stdout);
    for (int k = 1; k <= runs; ++k) {
        QEventLoop loop;
        auto c = QObject::connect(&w, &MainWindow::phaseChanged, &loop, [&](RunPhase ph) {
            if (ph == RunPhase::Finished || ph == RunPhase::Failed || ph == RunPhase::Cancelled ||
                ph == RunPhase::Idle)
                loop.quit();
        });
        w.startRun();
        if (w.phase() == RunPhase::Starting || w.phase() == RunPhase::Running) loop.exec();
        QObject::disconnect(c);
        if (w.phase() != RunPhase::Finished) {
            std::printf("RUN %d failed: %s\n", k, qPrintable(runPhaseName(w.phase())));
            return 1;
        }
        settle(100);  // deferred deletes of the previous panels, queued replots
        const double rss = rssMb();
        malloc_trim(0);
        const struct mallinfo2 mi = mallinfo2();
        std::printf("RUN k=%d rss=%.1f trimmed=%.1f hwm=%.1f heap=%.3f widgets=%lld objects=%lld\n",
                    k, rss, rssMb(), hwmMb(), static_cast<double>(mi.uordblks) / (1024.0 * 1024.0),
                    static_cast<long long>(QApplication::allWidgets().size()),
                    static_cast<long long>(w.findChildren<QObject*>().size()));
        std::fflush(stdout);
    }
    return 0;
}

// ---- parent -------------------------------------------------------------------------------

struct ChildOut {
    bool ok = false;
    QStringList lines;
};

ChildOut runChild(const QStringList& args, const QString& emptyRoot) {
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TRAINLAB_RUNS", emptyRoot);  // the window's default root before setRunsRoot
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p.start(QCoreApplication::applicationFilePath(), args);
    ChildOut out;
    if (!p.waitForFinished(3600 * 1000)) {
        p.kill();
        p.waitForFinished();
        return out;
    }
    out.lines = QString::fromUtf8(p.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
    out.ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    return out;
}

std::map<QString, double> fields(const QString& line) {
    std::map<QString, double> f;
    for (const QString& part : line.split(' ', Qt::SkipEmptyParts)) {
        const int eq = part.indexOf('=');
        if (eq > 0) f[part.left(eq)] = part.mid(eq + 1).toDouble();
    }
    return f;
}

}  // namespace

int main(int argc, char** argv) {
    testing::prepareBenchEnvironment();
    QApplication app(argc, argv);
    testing::nameBenchApplication("bench_memory");

    QCommandLineParser parser;
    parser.setApplicationDescription("trainlab memory: RSS against history size and runs.");
    parser.addHelpOption();
    QCommandLineOption historyOpt("history", "History sizes (default 1,10,100,1000).", "list",
                                  "1,10,100,1000");
    QCommandLineOption runsOpt("runs",
                               "Successive runs to report (default 1,10,50; the largest "
                               "is how many are made).",
                               "list", "1,10,50");
    QCommandLineOption stepsOpt("steps", "max_steps of each tiny run (default 2000).", "N", "2000");
    QCommandLineOption childHistoryOpt("child-history", "(internal) open this runs folder.",
                                       "root");
    QCommandLineOption childRunsOpt("child-runs", "(internal) make runs in this folder.", "root");
    QCommandLineOption countOpt("count", "(internal) runs to make.", "K", "50");
    parser.addOptions({historyOpt, runsOpt, stepsOpt, childHistoryOpt, childRunsOpt, countOpt});
    parser.process(app);
    const long long steps = parser.value(stepsOpt).toLongLong();

    if (parser.isSet(childHistoryOpt)) return childHistory(parser.value(childHistoryOpt));
    if (parser.isSet(childRunsOpt))
        return childRuns(parser.value(childRunsOpt), parser.value(countOpt).toInt(), steps);

    const std::vector<int> sizes = parseList(parser.value(historyOpt));
    std::vector<int> runs = parseList(parser.value(runsOpt));
    std::sort(runs.begin(), runs.end());

    QTemporaryDir tmp;
    const fs::path base = tmp.path().toStdString();
    const QString emptyRoot = QString::fromStdString((base / "empty").string());
    fs::create_directories(base / "empty");

    std::printf("bench_memory: tiny-fit.json runs of %lld steps; platform %s\n\n", steps,
                qPrintable(QGuiApplication::platformName()));
    const fs::path templ = recordTemplateRun(base / "template", steps);
    const std::uintmax_t runBytes = folderBytes(templ);

    bool ok = true;
    std::printf(
        "(a) RSS of a shown MainWindow against the runs in its history (fresh process "
        "each)\n");
    std::printf("%6s  %6s  %10s  %12s  %12s  %12s  %10s  %9s\n", "runs", "rows", "on disk",
                "RSS no win", "RSS window", "after trim", "window MB", "list ms");
    double firstTrimmed = -1;
    for (int n : sizes) {
        const fs::path root = base / ("history-" + std::to_string(n));
        fillHistory(templ, root, n);
        const ChildOut c =
            runChild({"--child-history", QString::fromStdString(root.string())}, emptyRoot);
        QString line;
        for (const QString& l : c.lines)
            if (l.startsWith("HISTORY")) line = l;
        if (!c.ok || line.isEmpty()) {
            std::printf("%6d  child failed\n", n);
            ok = false;
            continue;
        }
        auto f = fields(line);
        if (firstTrimmed < 0) firstTrimmed = f["trimmed"];
        std::printf("%6d  %6.0f  %7.2f MB  %9.1f MB  %9.1f MB  %9.1f MB  %10.1f  %9.0f\n", n,
                    f["rows"], n * runBytes / 1e6, f["before"], f["after"], f["trimmed"],
                    f["after"] - f["before"], f["ms"]);
        std::fflush(stdout);
        if (static_cast<int>(f["rows"]) != n) ok = false;
        fs::remove_all(root);
    }

    const int count = runs.empty() ? 0 : runs.back();
    if (count > 0) {
        std::printf(
            "\n(b) RSS after K successive runs in one window (%d runs of %lld steps, "
            "one process)\n",
            count, steps);
        const fs::path root = base / "runs";
        fs::create_directories(root);
        const ChildOut c =
            runChild({"--child-runs", QString::fromStdString(root.string()), "--count",
                      QString::number(count), "--steps", QString::number(steps)},
                     emptyRoot);
        std::map<int, std::map<QString, double>> byK;
        std::map<QString, double> window;
        for (const QString& l : c.lines) {
            if (l.startsWith("RUN k=")) {
                auto f = fields(l);
                byK[static_cast<int>(f["k"])] = f;
            } else if (l.startsWith("WINDOW")) {
                window = fields(l);
            } else if (l.startsWith("RUN")) {
                std::printf("%s\n", qPrintable(l));
            }
        }
        if (!c.ok) ok = false;
        std::printf("%6s  %12s  %12s  %12s  %12s  %8s  %8s\n", "K", "RSS", "after trim", "VmHWM",
                    "heap in use", "widgets", "objects");
        std::printf("%6s  %9.1f MB  %12s  %12s  %12s  %8s  %8s   (window shown, no run yet)\n", "0",
                    window["shown"], "", "", "", "", "");
        for (int k : runs) {
            if (!byK.count(k)) continue;
            auto& f = byK[k];
            std::printf("%6d  %9.1f MB  %9.1f MB  %9.1f MB  %9.2f MB  %8.0f  %8.0f\n", k, f["rss"],
                        f["trimmed"], f["hwm"], f["heap"], f["widgets"], f["objects"]);
        }
        const int from = std::min(10, count);
        if (byK.count(from) && byK.count(count) && count > from) {
            const double perRun =
                (byK[count]["trimmed"] - byK[from]["trimmed"]) * 1024.0 / (count - from);
            const double perRunRaw =
                (byK[count]["rss"] - byK[from]["rss"]) * 1024.0 / (count - from);
            const double perRunHeap =
                (byK[count]["heap"] - byK[from]["heap"]) * 1024.0 / (count - from);
            std::printf(
                "growth per run from run %d to run %d: %.1f KiB (RSS), %.1f KiB "
                "(after trim), %.1f KiB (heap in use)\n",
                from, count, perRunRaw, perRun, perRunHeap);
        }
        std::printf("all runs (RSS after trim, MB):");
        for (auto& [k, f] : byK) std::printf(" %.1f", f["trimmed"]);
        std::printf("\n");
    }
    return ok ? 0 : 1;
}
