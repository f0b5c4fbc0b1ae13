// Issue 7: the GUI under load. A function-fit run that streams at least 1,000,000 metric
// points into the live panels of a shown trainlab::MainWindow, measured two ways:
//
//  (a) the GUI thread's event-loop latency: a probe timer (single shot, re-armed at every
//      shot, Qt::PreciseTimer, every --probe-ms ms) records how late it fires against the
//      time it was scheduled for; p50 / p99 / max while the engine runs (target p99 < 50 ms),
//      and separately the stall of the run's end (last drain, plots exported to the run);
//  (b) training throughput with the panels live against the same config run headless
//      through trainlab::runExperiment with an observer that drops the data (what
//      trainlab-cli does), one intra-op thread each, alternated --reps times (target: live
//      >= 90% of headless, medians).
//
// The config is tests/data/tiny-fit.json (two MLPs trained side by side, one per core) with
// max_steps = --steps. Each step of each model appends one loss and one gradient-norm point,
// and every fit_every steps one validation-loss point: 4 x steps + 2 x (steps / fit_every + 2)
// points in all, 1,025,004 for the default 250,000 steps. The count is checked from the
// panels (PlotPanel::pointCount) and from the run's metrics/*.csv.
//
//   QT_QPA_PLATFORM=offscreen ./build/tests/bench_gui_load [--steps N] [--reps R]
//   xvfb-run -a -s "-screen 0 1920x1080x24" ./build/tests/bench_gui_load
//
// Throughput is model-steps per second of the experiment's own run time (results.json
// "seconds": from the first step to the last model's end, the same clock in both modes), and
// points per second. The wall time (start to the engine's end signal) is printed as well.
// Columns: exp_s, wall_s; m-steps/s, points/s; csv_pts and panel_pts (the point counts);
// p50_ms, p99_ms, max_ms of the probe while the engine runs; end_ms, the probe's stall at the
// run's end; plots, QCustomPlot replots of all panels; gui_s, the GUI thread's CPU time and
// cpu_s the process's while the engine runs. The summary adds the GUI thread's time waiting
// for a core and the replots' durations.
//
//   --replot-cost         after the runs, time one redraw of each panel with the whole last
//                         run in it (the run reopened in a window), and the end-of-run export
//   --replot-run DIR      only that, on a recorded run
#include <malloc.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <qcustomplot.h>
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cli.h"
#include "config_editor.h"
#include "experiment.h"
#include "experiment_runner.h"
#include "experiment_view.h"
#include "main_window.h"
#include "plot_panel.h"
#include "preset.h"
#include "test_support.h"

using namespace trainlab;

namespace {

struct Options {
    long long steps = 250000;
    int reps = 3;
    int probeMs = 5;
    int fitEvery = 0;  // 0: the preset's
    int width = 1500;  // what trainlab's main() gives its window
    int height = 950;
    bool live = true;
    bool headless = true;
    QString keep;  // keep the runs in this folder (else a temporary one)
};

struct Result {
    bool live = false;
    bool ok = false;
    std::string message;
    double expSeconds = 0;   // results.json "seconds"
    double wallSeconds = 0;  // start to the engine's end
    long long modelSteps = 0;
    std::size_t panelPoints = 0;   // live: PlotPanel::pointCount over the Append series
    std::size_t csvPoints = 0;     // rows of metrics/<id>.csv over the Append series
    std::vector<double> lateMs;    // live: probe lateness while the engine ran
    double finishStallMs = 0;      // live: the largest lateness after the engine's end
    double finishSeconds = 0;      // live: engine end to phase Finished
    int replots = 0;               // live: QCustomPlot replots over all panels
    double guiCpuSeconds = 0;      // live: CPU time of the GUI thread while the engine ran
    double processCpuSeconds = 0;  // CPU time of the whole process while the engine ran
    double guiWaitSeconds = 0;     // live: time the GUI thread was runnable but not running
    std::vector<double> replotMs;  // live: the duration of each replot while the engine ran
    std::filesystem::path runDir;
};

double threadCpu() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
double processCpu() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// This thread's time on a CPU and time runnable but waiting for one (/proc schedstat), in s.
std::pair<double, double> threadSchedstat() {
    std::ifstream in("/proc/thread-self/schedstat");
    double run = 0, wait = 0;
    in >> run >> wait;
    return {run * 1e-9, wait * 1e-9};
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    const double pos = p * static_cast<double>(v.size() - 1);
    const auto i = static_cast<std::size_t>(pos);
    const double f = pos - static_cast<double>(i);
    return i + 1 < v.size() ? v[i] * (1 - f) + v[i + 1] * f : v[i];
}
double median(std::vector<double> v) {
    return percentile(std::move(v), 0.5);
}

nlohmann::json benchConfig(const Options& o) {
    nlohmann::json config = testing::tinyConfig(o.steps);
    if (o.fitEvery > 0) config["fit_every"] = o.fitEvery;
    return config;
}

std::size_t countCsvRows(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::size_t lines = 0;
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) ++lines;
    return lines > 0 ? lines - 1 : 0;  // header
}

/// Reads results.json "seconds", the models' steps and counts the Append series' CSV rows.
void readRun(const std::filesystem::path& runDir, Result& r) {
    r.runDir = runDir;
    RunDirectory dir(runDir);
    const auto results = dir.readResults();
    if (results) {
        r.expSeconds = results->value("seconds", 0.0);
        r.modelSteps = 0;
        for (const auto& m : (*results)["models"])
            if (!m.is_null()) r.modelSteps += m.value("steps", 0LL);
    }
    r.csvPoints = 0;
    for (const auto& s : dir.readLayout().series)
        if (s.mode == SeriesMode::Append) r.csvPoints += countCsvRows(dir.seriesPath(s.id));
}

Result runHeadless(const Options& o, const QString& root) {
    Result r;
    r.live = false;
    const RunRequest request = testing::tinyRequest(root.toStdString(), benchConfig(o));
    testing::DiscardingObserver observer;
    RunControl control;
    const double cpu0 = processCpu();
    QElapsedTimer t;
    t.start();
    const RunOutcome out = runExperiment(request, &observer, control);
    r.wallSeconds = t.nsecsElapsed() * 1e-9;
    r.processCpuSeconds = processCpu() - cpu0;
    r.ok = out.state == RunState::Finished;
    r.message = out.message;
    if (!out.runDir.empty()) readRun(out.runDir, r);
    return r;
}

Result runLive(const Options& o, const QString& root) {
    Result r;
    r.live = true;
    MainWindow w;
    w.setQuiet(true);
    w.setRunsRoot(root);
    w.resize(o.width, o.height);
    w.show();
    // the settings as a user would leave them in the Settings dock
    testing::showSettings(w, benchConfig(o));
    // let the window be laid out and exposed
    {
        QElapsedTimer settle;
        settle.start();
        while (settle.elapsed() < 300) QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    }

    QElapsedTimer clock;
    clock.start();
    std::atomic<qint64> engineEndNs{-1};
    QObject::connect(
        w.controller()->worker(), &EngineWorker::runFinished, w.controller()->worker(),
        [&](const QString&, const QString&) { engineEndNs = clock.nsecsElapsed(); },
        Qt::DirectConnection);
    QObject::connect(
        w.controller()->worker(), &EngineWorker::runFailed, w.controller()->worker(),
        [&](const QString&, const QString&) { engineEndNs = clock.nsecsElapsed(); },
        Qt::DirectConnection);

    // probe: how late the GUI thread serves a timer
    std::vector<double> lateRunning;
    double lateAfter = 0;
    double guiCpuAtEnd = -1;
    double guiWaitAtEnd = -1;
    double procCpuAtEnd = -1;
    lateRunning.reserve(static_cast<std::size_t>(o.steps / 10 + 1000));
    qint64 scheduledNs = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setSingleShot(true);
    probe.setInterval(o.probeMs);
    QObject::connect(&probe, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        const double late = std::max<qint64>(0, now - scheduledNs) * 1e-6;
        const qint64 end = engineEndNs.load();
        if (end < 0 || scheduledNs < end) {
            lateRunning.push_back(late);
            guiCpuAtEnd = threadCpu();
            guiWaitAtEnd = threadSchedstat().second;
            procCpuAtEnd = processCpu();
        } else {
            lateAfter = std::max(lateAfter, late);
        }
        scheduledNs = clock.nsecsElapsed() + static_cast<qint64>(o.probeMs) * 1000000;
        probe.start();
    });

    int replots = 0;
    std::vector<double> replotDurations;  // QCustomPlot::replot of any panel, wall ms
    qint64 replotStartNs = -1;
    QEventLoop loop;
    qint64 finishedNs = -1;
    QObject::connect(&w, &MainWindow::phaseChanged, &loop, [&](RunPhase ph) {
        if (ph == RunPhase::Running && w.view())
            for (PlotPanel* panel : w.view()->panels()) {
                QObject::connect(panel->plot(), &QCustomPlot::beforeReplot, &loop,
                                 [&] { replotStartNs = clock.nsecsElapsed(); });
                QObject::connect(panel->plot(), &QCustomPlot::afterReplot, &loop, [&] {
                    ++replots;
                    if (replotStartNs >= 0 && engineEndNs.load() < 0)
                        replotDurations.push_back((clock.nsecsElapsed() - replotStartNs) * 1e-6);
                });
            }
        if (ph == RunPhase::Finished || ph == RunPhase::Failed || ph == RunPhase::Cancelled ||
            ph == RunPhase::Idle) {
            finishedNs = clock.nsecsElapsed();
            loop.quit();
        }
    });
    QTimer guard;
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, &loop, [&] {
        r.message = "timed out";
        w.stopRun();
    });
    guard.start(3600 * 1000);

    const double wait0 = threadSchedstat().second;
    const double gui0 = threadCpu();
    const double proc0 = processCpu();
    const qint64 t0 = clock.nsecsElapsed();
    scheduledNs = t0 + static_cast<qint64>(o.probeMs) * 1000000;
    probe.start();
    w.startRun();
    loop.exec();
    {  // let the probe fire once more, to record the stall of the run's end
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 3 * o.probeMs + 20)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    probe.stop();
    guard.stop();
    r.replotMs = std::move(replotDurations);
    r.guiWaitSeconds = guiWaitAtEnd >= 0 ? guiWaitAtEnd - wait0 : 0;

    r.ok = w.phase() == RunPhase::Finished;
    if (!r.ok && r.message.empty()) r.message = runPhaseName(w.phase()).toStdString();
    const qint64 end = engineEndNs.load() >= 0 ? engineEndNs.load() : finishedNs;
    r.wallSeconds = (end - t0) * 1e-9;
    r.finishSeconds = (finishedNs - end) * 1e-9;
    r.lateMs = std::move(lateRunning);
    r.finishStallMs = lateAfter;
    r.replots = replots;
    r.guiCpuSeconds = guiCpuAtEnd >= 0 ? guiCpuAtEnd - gui0 : threadCpu() - gui0;
    r.processCpuSeconds = procCpuAtEnd >= 0 ? procCpuAtEnd - proc0 : processCpu() - proc0;
    if (w.view()) {
        for (const auto& s : w.view()->layout().series) {
            if (s.mode != SeriesMode::Append) continue;
            if (PlotPanel* panel = w.view()->panelFor(s.panel))
                r.panelPoints += panel->pointCount(s.id);
        }
    }
    if (!w.currentRunDir().isEmpty()) readRun(w.currentRunDir().toStdString(), r);
    w.close();
    return r;
}

/// The cost of one redraw of each panel with the whole run in it: the run reopened in a shown
/// window (MainWindow::openRun, the live code path), then per panel refresh() and an immediate
/// replot, timed --reps x 5 times (median), and one export of the panels as the end of a run
/// does (ExperimentView::exportAll: PNG, SVG and CSV of every panel).
void replotCost(const Options& o, const std::filesystem::path& runDir) {
    MainWindow w;
    w.setQuiet(true);
    w.setRunsRoot(QString::fromStdString(runDir.parent_path().string()));
    w.resize(o.width, o.height);
    w.show();
    w.openRun(QString::fromStdString(runDir.string()));
    QElapsedTimer settle;
    settle.start();
    while (settle.elapsed() < 500) QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    if (!w.view()) {
        std::printf("replot cost: the run did not open\n");
        return;
    }
    std::printf("\nredraw of each panel with the whole run (%s), median of %d:\n",
                runDir.filename().c_str(), 5 * o.reps);
    double total = 0, totalCpu = 0;
    for (PlotPanel* panel : w.view()->panels()) {
        std::vector<double> refreshMs, replotMs, refreshCpu, replotCpu;
        for (int i = 0; i < 5 * o.reps; ++i) {
            QElapsedTimer t;
            const double c0 = threadCpu();
            t.start();
            panel->resetView();  // every series' display rebuilt, axes rescaled
            const double a = t.nsecsElapsed() * 1e-6;
            const double c1 = threadCpu();
            panel->plot()->replot(QCustomPlot::rpImmediateRefresh);
            refreshMs.push_back(a);
            replotMs.push_back(t.nsecsElapsed() * 1e-6 - a);
            refreshCpu.push_back((c1 - c0) * 1e3);
            replotCpu.push_back((threadCpu() - c1) * 1e3);
        }
        std::size_t points = 0, shown = 0;
        for (const auto& s : w.view()->layout().series)
            if (s.panel == panel->spec().id) {
                points += panel->pointCount(s.id);
                shown += panel->displayedPointCount(s.id);
            }
        std::printf(
            "  %-10s %8zu points (%5zu drawn, %4dx%-4d px): refresh %6.2f ms (CPU %6.2f), "
            "replot %7.2f ms (CPU %6.2f)\n",
            panel->spec().id.c_str(), points, shown, panel->plot()->width(),
            panel->plot()->height(), median(refreshMs), median(refreshCpu), median(replotMs),
            median(replotCpu));
        total += median(refreshMs) + median(replotMs);
        totalCpu += median(refreshCpu) + median(replotCpu);
    }
    std::printf("  all panels: %.2f ms per redraw (CPU %.2f ms)\n", total, totalCpu);
    QTemporaryDir exportDir;
    const QString exportTo = o.keep.isEmpty() ? exportDir.path() : o.keep + "/plots";
    QElapsedTimer t;
    t.start();
    w.view()->exportAll(exportTo);
    std::printf("  exportAll (PNG + SVG + CSV of every panel, as at the end of a run): %.2f s\n",
                t.nsecsElapsed() * 1e-9);
    w.close();
}

void printRow(int rep, const Result& r) {
    const double steps = r.expSeconds > 0 ? r.modelSteps / r.expSeconds : 0;
    const double pts = r.expSeconds > 0 ? r.csvPoints / r.expSeconds : 0;
    std::printf("%3d  %-8s  %7.2f  %7.2f  %9.0f  %9.0f  %9zu  %9s", rep,
                r.live ? "live" : "headless", r.expSeconds, r.wallSeconds, steps, pts, r.csvPoints,
                r.live ? std::to_string(r.panelPoints).c_str() : "-");
    if (r.live)
        std::printf("  %6.2f  %6.2f  %7.1f  %7.0f  %5d  %6.2f  %6.2f", percentile(r.lateMs, 0.5),
                    percentile(r.lateMs, 0.99), percentile(r.lateMs, 1.0), r.finishStallMs,
                    r.replots, r.guiCpuSeconds, r.processCpuSeconds);
    else
        std::printf("  %6s  %6s  %7s  %7s  %5s  %6s  %6.2f", "-", "-", "-", "-", "-", "-",
                    r.processCpuSeconds);
    if (!r.ok) std::printf("   FAILED: %s", r.message.c_str());
    std::printf("\n");
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    testing::prepareBenchEnvironment();
    QApplication app(argc, argv);
    testing::nameBenchApplication("bench_gui_load");

    QCommandLineParser parser;
    parser.setApplicationDescription(
        "trainlab GUI under load: event-loop latency and throughput with live panels against "
        "headless (issue 7).");
    parser.addHelpOption();
    QCommandLineOption stepsOpt("steps", "max_steps of the run (default 250000: 1,025,004 points).",
                                "N", "250000");
    QCommandLineOption repsOpt("reps", "Live and headless runs each, alternated (default 3).", "R",
                               "3");
    QCommandLineOption probeOpt("probe-ms", "Probe timer interval in ms (default 5).", "ms", "5");
    QCommandLineOption fitOpt("fit-every", "Override fit_every (default: the preset's, 20).", "N");
    QCommandLineOption liveOnlyOpt("live-only", "Only the live runs.");
    QCommandLineOption headlessOnlyOpt("headless-only", "Only the headless runs.");
    QCommandLineOption sizeOpt("size", "Window size WxH (default 1500x950).", "WxH", "1500x950");
    QCommandLineOption keepOpt(
        "keep", "Record the runs in DIR and keep them (--replot-run: the exports in DIR/plots).",
        "dir");
    QCommandLineOption replotOpt("replot-cost",
                                 "Also time one redraw of each panel with the whole last run, and "
                                 "the export at the end of a run.");
    QCommandLineOption replotRunOpt(
        "replot-run", "Only time the redraws and the export, on this recorded run.", "run dir");
    parser.addOptions({stepsOpt, repsOpt, probeOpt, fitOpt, liveOnlyOpt, headlessOnlyOpt, sizeOpt,
                       keepOpt, replotOpt, replotRunOpt});
    parser.process(app);

    Options o;
    o.steps = parser.value(stepsOpt).toLongLong();
    o.reps = std::max(1, parser.value(repsOpt).toInt());
    o.probeMs = std::max(1, parser.value(probeOpt).toInt());
    if (parser.isSet(fitOpt)) o.fitEvery = parser.value(fitOpt).toInt();
    o.live = !parser.isSet(headlessOnlyOpt);
    o.headless = !parser.isSet(liveOnlyOpt);
    const QStringList size = parser.value(sizeOpt).split('x');
    if (size.size() == 2) {
        o.width = size[0].toInt();
        o.height = size[1].toInt();
    }
    if (o.steps < 1) {
        std::fprintf(stderr, "--steps must be positive\n");
        return 2;
    }

    if (parser.isSet(keepOpt)) o.keep = parser.value(keepOpt);
    if (parser.isSet(replotRunOpt)) {
        replotCost(o, parser.value(replotRunOpt).toStdString());
        return 0;
    }

    QTemporaryDir tmp;
    QString root = tmp.path();
    if (parser.isSet(keepOpt)) {
        root = parser.value(keepOpt);
        QDir().mkpath(root);
    }
    qputenv("TRAINLAB_RUNS", root.toUtf8());  // the window's default root, before setRunsRoot

    const nlohmann::json config = benchConfig(o);
    const long long models = static_cast<long long>(config["models"].size());
    const long long fitEvery = config["fit_every"].get<long long>();
    const long long expected = 2 * models * o.steps + models * (o.steps / fitEvery + 2);
    std::printf(
        "bench_gui_load: tiny-fit.json, %lld models, max_steps %lld, fit_every %lld: "
        "%lld points expected; probe every %d ms; platform %s; window %dx%d; %d cores\n",
        models, o.steps, fitEvery, expected, o.probeMs, qPrintable(QGuiApplication::platformName()),
        o.width, o.height, static_cast<int>(std::thread::hardware_concurrency()));
    std::printf("\n%3s  %-8s  %7s  %7s  %9s  %9s  %9s  %9s  %6s  %6s  %7s  %7s  %5s  %6s  %6s\n",
                "rep", "mode", "exp_s", "wall_s", "m-steps/s", "points/s", "csv_pts", "panel_pts",
                "p50_ms", "p99_ms", "max_ms", "end_ms", "plots", "gui_s", "cpu_s");

    std::vector<Result> live, headless;
    bool countsOk = true;
    for (int rep = 1; rep <= o.reps; ++rep) {
        const bool liveFirst = rep % 2 == 1;
        for (int k = 0; k < 2; ++k) {
            const bool doLive = (k == 0) == liveFirst;
            if (doLive && !o.live) continue;
            if (!doLive && !o.headless) continue;
            Result r = doLive ? runLive(o, root) : runHeadless(o, root);
            printRow(rep, r);
            if (r.ok && static_cast<long long>(r.csvPoints) != expected) countsOk = false;
            if (r.ok && r.live && r.panelPoints != r.csvPoints) countsOk = false;
            (doLive ? live : headless).push_back(std::move(r));
            QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
            malloc_trim(0);
        }
    }

    auto collect = [](const std::vector<Result>& rs, auto f) {
        std::vector<double> v;
        for (const auto& r : rs)
            if (r.ok) v.push_back(f(r));
        return v;
    };
    const auto stepsPerS = [](const Result& r) {
        return r.expSeconds > 0 ? r.modelSteps / r.expSeconds : 0.0;
    };
    const auto pointsPerS = [](const Result& r) {
        return r.expSeconds > 0 ? r.csvPoints / r.expSeconds : 0.0;
    };
    std::printf("\nmedians over %d rep(s)              live       headless\n", o.reps);
    const double liveSteps = median(collect(live, stepsPerS));
    const double headSteps = median(collect(headless, stepsPerS));
    std::printf("experiment time (s)            %9.2f   %9.2f\n",
                median(collect(live, [](const Result& r) { return r.expSeconds; })),
                median(collect(headless, [](const Result& r) { return r.expSeconds; })));
    std::printf("wall time to engine end (s)    %9.2f   %9.2f\n",
                median(collect(live, [](const Result& r) { return r.wallSeconds; })),
                median(collect(headless, [](const Result& r) { return r.wallSeconds; })));
    std::printf("model-steps/s                  %9.0f   %9.0f\n", liveSteps, headSteps);
    std::printf("points/s                       %9.0f   %9.0f\n", median(collect(live, pointsPerS)),
                median(collect(headless, pointsPerS)));
    std::printf("process CPU while training (s) %9.2f   %9.2f\n",
                median(collect(live, [](const Result& r) { return r.processCpuSeconds; })),
                median(collect(headless, [](const Result& r) { return r.processCpuSeconds; })));
    if (!live.empty()) {
        std::vector<double> all;
        for (const auto& r : live) all.insert(all.end(), r.lateMs.begin(), r.lateMs.end());
        const double p99 =
            median(collect(live, [](const Result& r) { return percentile(r.lateMs, 0.99); }));
        std::printf("GUI thread CPU while training  %9.2f s (%.1f%% of the wall time)\n",
                    median(collect(live, [](const Result& r) { return r.guiCpuSeconds; })),
                    100 * median(collect(live, [](const Result& r) {
                        return r.wallSeconds > 0 ? r.guiCpuSeconds / r.wallSeconds : 0.0;
                    })));
        std::printf("GUI thread runnable but waiting for a CPU  %.2f s\n",
                    median(collect(live, [](const Result& r) { return r.guiWaitSeconds; })));
        std::printf(
            "one panel's replot: p50 %.1f ms, p99 %.1f ms, max %.1f ms (medians of the runs)\n",
            median(collect(live, [](const Result& r) { return percentile(r.replotMs, 0.5); })),
            median(collect(live, [](const Result& r) { return percentile(r.replotMs, 0.99); })),
            median(collect(live, [](const Result& r) { return percentile(r.replotMs, 1.0); })));
        std::printf("replots (all panels)           %9.0f   (%.1f per second)\n",
                    median(collect(live, [](const Result& r) { return double(r.replots); })),
                    median(collect(live, [](const Result& r) {
                        return r.wallSeconds > 0 ? r.replots / r.wallSeconds : 0.0;
                    })));
        std::printf(
            "event-loop lateness, %zu probes: p50 %.2f ms, p99 %.2f ms, max %.1f ms "
            "(median p99 of the runs %.2f ms)\n",
            all.size(), percentile(all, 0.5), percentile(all, 0.99), percentile(all, 1.0), p99);
        std::printf("end of run (last drain, plots exported): %.2f s, probe stall max %.0f ms\n",
                    median(collect(live, [](const Result& r) { return r.finishSeconds; })),
                    median(collect(live, [](const Result& r) { return r.finishStallMs; })));
        std::printf("target p99 < 50 ms: %s\n", p99 < 50 ? "met" : "MISSED");
    }
    if (!live.empty() && !headless.empty()) {
        const double ratio = liveSteps / headSteps;
        std::printf("throughput live / headless (medians): %.3f   target >= 0.90: %s\n", ratio,
                    ratio >= 0.9 ? "met" : "MISSED");
        std::printf("pairs (rep by rep):");
        for (std::size_t i = 0; i < std::min(live.size(), headless.size()); ++i)
            std::printf(" %.3f", stepsPerS(live[i]) / stepsPerS(headless[i]));
        std::printf("\n");
    }
    std::printf("point counts (%lld expected, panels = CSV): %s\n", expected,
                countsOk ? "ok" : "MISMATCH");
    if (parser.isSet(replotOpt)) {
        std::filesystem::path last;
        for (const auto* rs : {&live, &headless})
            for (const auto& r : *rs)
                if (r.ok) last = r.runDir;
        if (!last.empty()) replotCost(o, last);
    }
    return countsOk ? 0 : 1;
}
