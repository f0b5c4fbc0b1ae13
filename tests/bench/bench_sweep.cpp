// bench_sweep (issue 14): a local sweep of 8 tiny tasks, 2 at a time, against the same 8
// `trainlab-cli run`s one after another (target: ≤ 0.6 of their time), and the time to
// submit a 100-task sweep to a throw-away one-node Slurm (target < 2 s; needs root and
// Slurm's packages, else skipped). A benchmark, not a test: it prints figures.
//
//   bench_sweep [--steps N=300] [--repeat R=3] [--jobs J=2]
// Two cases: tiny-fit as it is (its two models trained side by side in every run) with N steps,
// and one thread per task (parallel=false) with 10 N steps.
#include <QCoreApplication>
#include <QFile>
#include <QThread>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "slurm_test_cluster.h"

namespace {

const QString kTiny = TRAINLAB_TEST_DATA "/tiny-fit.json";

/// Runs trainlab-cli; the seconds it took (-1 when it failed).
double timed(const QStringList& args, const QProcessEnvironment& env =
                                          QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    QElapsedTimer t;
    t.start();
    p.start(TRAINLAB_CLI_PATH, args);
    if (!p.waitForFinished(600000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        std::fprintf(stderr, "trainlab-cli %s failed:\n%s\n", qPrintable(args.join(' ')),
                     p.readAllStandardError().constData());
        return -1;
    }
    return t.elapsed() / 1000.0;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? -1 : v[v.size() / 2];
}

/// The 8 tasks: lr 0.01, 0.02 × seeds 7..10.
/// The tasks' settings beyond lr and seed: the step count and, for "one thread each", no
/// pool of models inside a run.
QStringList gExtra;

double sequentialRuns(const QString& root, const QString& steps, bool plots) {
    QElapsedTimer t;
    t.start();
    for (const char* lr : {"0.01", "0.02"})
        for (int seed = 7; seed < 11; ++seed) {
            QStringList args = QStringList{"run", kTiny, "--set", QString("lr=") + lr, "--seed",
                                           QString::number(seed), "--set", "max_steps=" + steps,
                                           "--quiet", "--out", root} +
                               gExtra;
            if (!plots) args << "--no-plots";
            if (timed(args) < 0) return -1;
        }
    return t.elapsed() / 1000.0;
}

/// The same 8 runs (no plots), `jobs` at a time, started here: what any pool can reach.
double concurrentRuns(const QString& root, const QString& steps, int jobs) {
    QElapsedTimer t;
    t.start();
    std::vector<std::unique_ptr<QProcess>> running;
    for (int task = 0; task < 8; ++task) {
        auto p = std::make_unique<QProcess>();
        p->start(TRAINLAB_CLI_PATH,
                 QStringList{"run", kTiny, "--set", task < 4 ? "lr=0.01" : "lr=0.02", "--seed",
                             QString::number(7 + task % 4), "--set", "max_steps=" + steps,
                             "--quiet", "--no-plots", "--out", root} +
                     gExtra);
        running.push_back(std::move(p));
        if (static_cast<int>(running.size()) == jobs || task == 7) {
            for (auto& r : running) r->waitForFinished(600000);
            running.clear();
        }
    }
    return t.elapsed() / 1000.0;
}

std::string loadAverage() {
    QFile f("/proc/loadavg");
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toStdString() : "?";
}

void localSweep(const QString& steps, int repeat, int jobs) {
    std::vector<double> withPlots, noPlots, pairs, sweep;
    const std::string loadBefore = loadAverage();
    for (int r = 0; r < repeat; ++r) {
        QTemporaryDir tmp;
        withPlots.push_back(sequentialRuns(tmp.filePath("a"), steps, true));
        noPlots.push_back(sequentialRuns(tmp.filePath("b"), steps, false));
        pairs.push_back(concurrentRuns(tmp.filePath("c"), steps, jobs));
        sweep.push_back(timed(QStringList{"sweep", kTiny, "--grid", "lr=0.01,0.02", "--seeds", "4",
                                          "--set", "max_steps=" + steps, "--jobs",
                                          QString::number(jobs), "--quiet", "--out",
                                          tmp.filePath("sweep")} +
                              gExtra));
    }
    const double a = median(withPlots), b = median(noPlots), c = median(pairs), s = median(sweep);
    std::printf("local sweep, 8 tiny tasks (tiny-fit, %s steps%s), median of %d; %d cores usable; "
                "load average before %s, after %s:\n",
                qPrintable(steps), gExtra.isEmpty() ? "" : ", parallel=false", repeat,
                QThread::idealThreadCount(), loadBefore.c_str(), loadAverage().c_str());
    std::printf("  8 x `trainlab-cli run` one after another (plots):      %7.2f s\n", a);
    std::printf("  8 x `trainlab-cli run --no-plots` one after another:  %7.2f s\n", b);
    std::printf("  8 x `trainlab-cli run --no-plots`, %d at a time:       %7.2f s\n", jobs, c);
    std::printf("  `trainlab-cli sweep --jobs %d` (no plots):             %7.2f s\n", jobs, s);
    std::printf("  ratio sweep / runs --no-plots: %.2f   sweep / runs: %.2f   (target <= 0.6)\n",
                s / b, s / a);
    std::printf("  ratio sweep / the same runs %d at a time: %.2f (the pool's own cost)\n", jobs,
                s / c);
}

void slurmSubmission() {
    const QString why = trainlab::testing::SlurmTestCluster::unavailableReason();
    if (!why.isEmpty()) {
        std::printf("slurm: skipped (%s)\n", qPrintable(why));
        return;
    }
    trainlab::testing::SlurmTestCluster cluster;
    QString error;
    if (!cluster.start(&error)) {
        std::printf("slurm: the test cluster did not start: %s\n", qPrintable(error));
        return;
    }
    std::vector<double> times;
    for (int r = 0; r < 3; ++r) {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("s");
        times.push_back(timed({"sweep", kTiny, "--seeds", "100", "--set", "max_steps=30",
                               "--backend", "slurm", "--out", dir},
                              cluster.environment()));
        timed({"sweep", "cancel", dir}, cluster.environment());
    }
    std::printf("slurm: `trainlab-cli sweep --backend slurm` of 100 tasks (validate, write the "
                "folder, sbatch): median %.3f s, runs %.3f %.3f %.3f s (target < 2 s)\n",
                median(times), times[0], times[1], times[2]);
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QString steps = "300";
    int repeat = 3, jobs = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--steps")) steps = argv[i + 1];
        if (!std::strcmp(argv[i], "--repeat")) repeat = std::max(1, std::atoi(argv[i + 1]));
        if (!std::strcmp(argv[i], "--jobs")) jobs = std::max(1, std::atoi(argv[i + 1]));
    }
    localSweep(steps, repeat, jobs);  // as the preset is: its two models side by side
    gExtra = {"--set", "parallel=false"};  // one thread each, 10x the steps
    localSweep(QString::number(steps.toInt() * 10), repeat, jobs);
    slurmSubmission();
    return 0;
}
