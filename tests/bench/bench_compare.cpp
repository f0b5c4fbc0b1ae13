// Issue 14: opening a finished sweep of many runs in the compare window, and the window while
// runs of it grow. A synthetic sweep is written straight in the run-folder format (sweep.json
// from planSweep, then per task a run folder: config.json and panels.json copied from a real
// tiny run made by trainlab-cli, status.json, results.json and metrics/<id>.csv of --points
// points per series), then:
//
//  (a) time to the first frame: CompareWindow::createForSweep → show → the window's first
//      paint; and to the complete frame: every run read (in the worker), the bands of every
//      group computed and a panel repainted with them (target < 1.5 s);
//  (b) memory: VmHWM (peak resident set) from opening the window to the complete frame, the
//      peak reset first (/proc/self/clear_refs) so that writing the sweep does not count
//      (target < 600 MB);
//  (c) event-loop latency: a probe timer (single shot, re-armed, Qt::PreciseTimer, every 5 ms)
//      records how late it fires while a thread appends rows to --grow runs (held as running
//      by their task locks) for --seconds; p50 / p99 / max (target p99 < 50 ms).
//
//   QT_QPA_PLATFORM=offscreen ./build/tests/bench_compare [--runs 100] [--points 10000]
//       [--seeds 20] [--grow 10] [--seconds 10] [--rows 50]
#include <malloc.h>

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <qcustomplot.h>

#include "compare_window.h"
#include "csv.h"
#include "run_directory.h"
#include "sweep_folder.h"
#include "sweep_spec.h"

using namespace trainlab;

namespace {

struct Options {
    int runs = 100;
    int points = 10000;
    int seeds = 20;
    int grow = 10;
    double seconds = 10;
    int rows = 50;
};

Options parse(const QApplication& app) {
    QCommandLineParser p;
    p.addHelpOption();
    p.addOption({"runs", "tasks of the sweep", "N", "100"});
    p.addOption({"points", "points per series", "N", "10000"});
    p.addOption({"seeds", "seeds per grid value", "N", "20"});
    p.addOption({"grow", "runs that grow during (c)", "N", "10"});
    p.addOption({"seconds", "length of (c)", "S", "10"});
    p.addOption({"rows", "rows appended per series and run every 100 ms", "N", "50"});
    p.process(app);
    Options o;
    o.runs = p.value("runs").toInt();
    o.points = p.value("points").toInt();
    o.seeds = std::max(1, p.value("seeds").toInt());
    o.grow = p.value("grow").toInt();
    o.seconds = p.value("seconds").toDouble();
    o.rows = p.value("rows").toInt();
    return o;
}

/// A tiny real run (its config.json and panels.json are the synthetic runs' templates).
fs::path templateRun(const QString& root) {
    QProcess cli;
    cli.start(TRAINLAB_CLI_PATH, {"run", TRAINLAB_TEST_DATA "/tiny-fit.json", "--set", "max_steps=30",
                                  "--set", "fit_every=10", "--out", root, "--quiet", "--no-plots"});
    cli.waitForFinished(120000);
    return fs::path(QString::fromUtf8(cli.readAllStandardOutput()).trimmed().toStdString());
}

/// A smooth decaying curve with a little per-run noise: what a loss looks like.
Series syntheticSeries(const SeriesSpec& s, int n, int task, int first = 0) {
    Series out;
    out.x.reserve(static_cast<std::size_t>(n));
    out.y.reserve(static_cast<std::size_t>(n));
    for (int i = first; i < first + n; ++i) {
        const double x = s.mode == SeriesMode::Replace ? -1.5 + 3.0 * i / std::max(1, n - 1) : i + 1;
        const double noise = 0.05 * std::sin(0.37 * i + task) * std::cos(0.011 * i * (task % 7 + 1));
        out.x.push_back(x);
        out.y.push_back(std::exp(-x / (2000.0 + 50 * task)) * (1 + noise) + 1e-3);
    }
    return out;
}

/// Writes the sweep: sweep.json, and a finished run per task.
SweepFolder writeSweep(const fs::path& dir, const fs::path& tmpl, const Options& o) {
    SweepSpec spec;
    spec.preset = TRAINLAB_TEST_DATA "/tiny-fit.json";
    GridAxis lr{"lr", {}};
    for (int g = 0; g < std::max(1, o.runs / o.seeds); ++g)
        lr.values.push_back(csvNumberText(0.001 * std::pow(10.0, g * 0.5)));
    spec.grid = {lr};
    spec.seeds = o.seeds;
    const SweepPlan plan = planSweep(spec);
    SweepRecord record;
    record.spec = spec;
    record.preset = plan.preset;
    record.tasks = plan.tasks;
    record.trainlabVersion = "bench";
    record.createdAt = "2026-12-01T00:00:00Z";
    SweepFolder folder = SweepFolder::create(dir, record);
    const RunDirectory model(tmpl);
    nlohmann::json config = model.readConfig();
    const PlotLayout layout = model.readLayout();
    const nlohmann::json results = *model.readResults();
    for (const SweepTask& t : record.tasks) {
        fs::create_directories(folder.taskFolder(t.index));
        const RunDirectory run = RunDirectory::create(folder.taskFolder(t.index), plan.preset.id);
        config["config"] = t.config;
        run.writeConfig(config);
        run.writeLayout(layout);
        for (const SeriesSpec& s : layout.series)
            writeSeriesCsv(run.seriesPath(s.id), s.xName, s.yName, syntheticSeries(s, o.points, t.index));
        nlohmann::json r = results;
        r["models"][0]["final_loss"] = 0.01 * (1 + t.index % 7);
        run.writeResults(r);
        RunStatus st;
        st.state = RunState::Finished;
        st.startedAt = st.endedAt = "2026-12-01T00:00:00Z";
        st.elapsedSeconds = 1;
        run.writeStatus(st);
    }
    return folder;
}

double statusMb(const char* key) {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind(key, 0) == 0) return std::atof(line.c_str() + std::strlen(key)) / 1024.0;
    return 0;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

/// Records the time of the first paint of any widget (or of a QCustomPlot, once armed).
class PaintClock : public QObject {
  public:
    explicit PaintClock(const QElapsedTimer& t) : t_(t) {}
    double firstPaintMs = -1, plotPaintMs = -1;
    bool armed = false;
    bool eventFilter(QObject* o, QEvent* e) override {
        if (e->type() == QEvent::Paint) {
            if (firstPaintMs < 0) firstPaintMs = t_.nsecsElapsed() / 1e6;
            if (armed && plotPaintMs < 0 && qobject_cast<QCustomPlot*>(o))
                plotPaintMs = t_.nsecsElapsed() / 1e6;
        }
        return false;
    }

  private:
    const QElapsedTimer& t_;
};

bool allRead(const CompareWindow& w) {
    for (const CompareEntry& e : w.entries())
        if (e.data.dir.empty()) return false;
    return !w.isBusy();
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    const Options o = parse(app);
    QTemporaryDir tmp;
    const fs::path tmpl = templateRun(tmp.filePath("template"));
    if (tmpl.empty()) {
        std::fprintf(stderr, "bench_compare: trainlab-cli could not make the template run\n");
        return 2;
    }
    QElapsedTimer t;
    t.start();
    const fs::path dir = tmp.filePath("sweep").toStdString();
    SweepFolder folder = writeSweep(dir, tmpl, o);
    const RunDirectory model(tmpl);
    const PlotLayout layout = model.readLayout();
    std::printf("sweep of %zu runs x %zu series x %d points written in %.1f s (%s)\n",
                folder.record().tasks.size(), layout.series.size(), o.points, t.elapsed() / 1e3,
                dir.c_str());
    std::fflush(stdout);

    malloc_trim(0);
    std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM from here on
    const double rssBefore = statusMb("VmRSS:");
    PaintClock clock(t);
    app.installEventFilter(&clock);
    t.restart();
    QString error;
    std::unique_ptr<CompareWindow> w(CompareWindow::createForSweep(QString::fromStdString(dir.string()), nullptr, &error));
    if (!w) {
        std::fprintf(stderr, "bench_compare: %s\n", qPrintable(error));
        return 1;
    }
    w->resize(1500, 950);
    w->show();
    const double createdMs = t.nsecsElapsed() / 1e6;
    while (!allRead(*w) && t.elapsed() < 120000) QApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    const double readMs = t.nsecsElapsed() / 1e6;
    clock.armed = true;
    for (QPointer<PlotPanel> p : w->plots()->panels()) p->plot()->update();
    while (clock.plotPaintMs < 0 && t.elapsed() < 130000) QApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    const double rssLoaded = statusMb("VmRSS:"), hwmLoaded = statusMb("VmHWM:");
    std::printf("(a) window created %.0f ms, first frame %.0f ms, every run read and banded %.0f ms, "
                "complete frame %.0f ms (target < 1500 ms: %s)\n",
                createdMs, clock.firstPaintMs, readMs, clock.plotPaintMs,
                clock.plotPaintMs < 1500 ? "met" : "MISSED");
    std::printf("(b) VmRSS %.0f MB before, %.0f MB loaded; VmHWM %.0f MB (target < 600 MB: %s)\n",
                rssBefore, rssLoaded, hwmLoaded, hwmLoaded < 600 ? "met" : "MISSED");
    std::fflush(stdout);

    // (c) some runs grow: held as running by their task locks, rows appended by a thread.
    std::vector<FileLock> locks;
    std::vector<int> growing;
    for (int i = 0; i < std::min<int>(o.grow, static_cast<int>(folder.record().tasks.size())); ++i) {
        const int task = i * std::max(1, static_cast<int>(folder.record().tasks.size()) / std::max(1, o.grow));
        std::string holder;
        if (auto lock = FileLock::tryAcquire(folder.taskLockPath(task), &holder)) locks.push_back(std::move(*lock));
        const RunDirectory run(folder.taskRuns(task).back());
        RunStatus st;
        st.state = RunState::Running;
        st.startedAt = "2026-12-01T00:00:00Z";
        recordThisProcess(st);
        run.writeStatus(st);
        growing.push_back(task);
    }
    std::atomic<bool> stop{false};
    std::atomic<long long> appended{0};
    std::thread writer([&] {
        int next = o.points;
        while (!stop) {
            for (int task : growing) {
                const RunDirectory run(folder.taskRuns(task).back());
                for (const SeriesSpec& s : layout.series) {
                    if (s.mode != SeriesMode::Append) continue;
                    const Series more = syntheticSeries(s, o.rows, task, next);
                    std::string text;
                    for (std::size_t k = 0; k < more.x.size(); ++k) {
                        appendCsvNumber(text, more.x[k]);
                        text += ',';
                        appendCsvNumber(text, more.y[k]);
                        text += '\n';
                    }
                    std::ofstream(run.seriesPath(s.id), std::ios::app) << text;
                    appended += static_cast<long long>(more.x.size());
                }
            }
            next += o.rows;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    std::vector<double> late;
    int loads = 0;
    QObject::connect(w.get(), &CompareWindow::dataLoaded, [&] { ++loads; });
    QTimer probe;
    probe.setSingleShot(true);
    probe.setTimerType(Qt::PreciseTimer);
    QElapsedTimer since, phase;
    QObject::connect(&probe, &QTimer::timeout, [&] {
        late.push_back(std::max(0.0, since.nsecsElapsed() / 1e6 - 5.0));
        if (late.back() > 100)
            std::printf("    stall of %.0f ms at %.2f s (after %d reloads)\n", late.back(),
                        phase.elapsed() / 1e3, loads);
        since.restart();
        probe.start(5);
    });
    since.start();
    probe.start(5);
    phase.start();
    while (phase.elapsed() < o.seconds * 1000) QApplication::processEvents(QEventLoop::WaitForMoreEvents, 20);
    stop = true;
    writer.join();
    probe.stop();
    std::printf("(c) %zu runs growing for %.0f s (%lld points appended, %d reloads applied): event-loop "
                "lateness over %zu probes p50 %.2f ms, p99 %.2f ms, max %.1f ms (target p99 < 50 ms: %s)\n",
                growing.size(), o.seconds, appended.load(), loads, late.size(), percentile(late, 0.5),
                percentile(late, 0.99), percentile(late, 1.0), percentile(late, 0.99) < 50 ? "met" : "MISSED");
    std::printf("VmHWM at the end %.0f MB\n", statusMb("VmHWM:"));
    return 0;
}
