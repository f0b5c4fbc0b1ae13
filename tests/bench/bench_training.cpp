// bench_training: how fast trainlab trains the small MLPs of experiments 1-1 and 2-2, with
// autograd and with the fused forward/backward (FusedMlpLossGrad), optionally side by side
// with plain PyTorch (tests/bench/reference_pytorch.py). A benchmark, not a test.
//
//   bench_training [steps=500] [--whole-steps K=1000] [--repeat R=3] [--with-reference]
//                  [--blas-default]
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "errors.h"
#include "function_data.h"
#include "mlp.h"
#include "mlp_fast.h"
#include "trainer.h"

#ifndef TRAINLAB_SOURCE_DIR
#define TRAINLAB_SOURCE_DIR "."
#endif

using namespace trainlab;

namespace {

struct Case {
    std::string name;
    std::vector<std::int64_t> widths;
    const FunctionDataset* data;
    OptimizerKind optimizer;
    double lr;
    bool experiment11;  ///< one of the six trainings of experiment 1-1
};

enum class Mode { Autograd, FusedAten, Fused1, Fused2, FusedSuggested };

const char* modeName(Mode m) {
    switch (m) {
        case Mode::Autograd:
            return "autograd";
        case Mode::FusedAten:
            return "fused-1/mm";
        case Mode::Fused1:
            return "fused-1";
        case Mode::Fused2:
            return "fused-2";
        case Mode::FusedSuggested:
            return "fused-suggested";
    }
    return "?";
}

/// Trains a fresh model (seed 1) for `steps` steps; returns seconds (trainLoop's own clock).
double train(const Case& c, Mode mode, std::int64_t steps, double* finalLoss = nullptr) {
    Mlp model(MlpSpec{c.widths, Activation::LeakyReLU, 0.2}, 1);
    TrainConfig cfg;
    cfg.optimizer = c.optimizer;
    cfg.lr = c.lr;
    cfg.maxSteps = steps;
    cfg.divergenceLimit = 1e30;
    LossGradFn fn;
    if (mode == Mode::Autograd) {
        model->train();
        fn = autogradLossGrad([model](const torch::Tensor& x) mutable { return model->forward(x); },
                              LossKind::MSE);
    } else {
        const int shards = mode == Mode::Fused2 ? 2
                           : mode == Mode::FusedSuggested
                               ? suggestedShards({c.widths}, c.data->x.size(0))
                               : 1;
        auto impl = std::make_shared<FusedMlpLossGrad>(model, shards);
        if (mode == Mode::FusedAten) impl->useDirectBlas(false);
        fn = [impl](const torch::Tensor& x, const torch::Tensor& y) { return (*impl)(x, y); };
    }
    const auto r =
        trainLoop(model->parameters(), fn, c.data->x, c.data->y, cfg, nullptr, nullptr, c.name);
    if (finalLoss) *finalLoss = r.finalLoss;
    return r.seconds;
}

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// PyTorch reference: case -> ms per step (1 intra-op thread).
std::map<std::string, double> runReference(std::int64_t steps, bool blasOne) {
    std::map<std::string, double> ms;
    if (std::system("/usr/bin/python3 -c 'import torch' >/dev/null 2>&1") != 0) {
        std::printf("  (no /usr/bin/python3 with torch: reference skipped)\n");
        return ms;
    }
    const std::string cmd = std::string(blasOne ? "OPENBLAS_NUM_THREADS=1 " : "") +
                            "/usr/bin/python3 " TRAINLAB_SOURCE_DIR
                            "/tests/bench/reference_pytorch.py " +
                            std::to_string(steps) + " 1 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return ms;
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
        char name[128];
        int threads = 0;
        double msStep = 0, secs = 0;
        if (std::sscanf(line, "%127s %d %lf %lf", name, &threads, &msStep, &secs) == 4)
            ms[name] = msStep;
        else
            std::printf("  reference: %s", line);
    }
    pclose(p);
    return ms;
}

}  // namespace

int main(int argc, char** argv) {
    std::int64_t steps = 500, wholeSteps = 1000;
    int repeat = 3;
    bool withReference = false, blasDefault = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--with-reference")
            withReference = true;
        else if (a == "--blas-default")
            blasDefault = true;
        else if (a == "--whole-steps" && i + 1 < argc)
            wholeSteps = std::atoll(argv[++i]);
        else if (a == "--repeat" && i + 1 < argc)
            repeat = std::max(1, std::atoi(argv[++i]));
        else if (a == "-h" || a == "--help") {
            std::printf(
                "usage: %s [steps=500] [--whole-steps K=1000] [--repeat R=3] "
                "[--with-reference] [--blas-default]\n",
                argv[0]);
            return 0;
        } else
            steps = std::max<std::int64_t>(1, std::atoll(argv[i]));
    }

    torch::set_num_threads(1);
    const int blasBefore = blasDefault ? -1 : setBlasThreads(1);
    std::printf(
        "bench_training: ms per training step through trainLoop (forward, MSE loss, all "
        "gradients,\ngradient L2 norm, optimizer step), best of %d runs of %lld steps.\n"
        "torch intra-op threads: 1. OpenBLAS threads: %s. Hardware threads: %u.\n\n",
        repeat, static_cast<long long>(steps),
        blasDefault
            ? "library default"
            : (blasBefore < 0 ? "not OpenBLAS (unchanged)"
                              : ("1 (default was " + std::to_string(blasBefore) + ")").c_str()),
        std::thread::hardware_concurrency());

    const auto f1 =
        makeFunctionDataset(TargetFunction::SinPlusCos, {-2, 2, 5000, 0}, {-2, 2, 1000, 0}, false);
    const auto f2 =
        makeFunctionDataset(TargetFunction::Sinc, {-1.5, 1.5, 301, 0}, {-1.5, 1.5, 301, 0}, false);
    // 2-2's raw targets (up to 148) make SGD diverge within a few hundred steps in some modes
    // (float rounding decides when); the cost of a step does not depend on the values, so
    // trainlab times it on standardised data (PyTorch's script uses the raw targets).
    const auto f3 =
        makeFunctionDataset(TargetFunction::TwoCosh, {-5, 5, 0, 0.001}, {-5, 5, 1000, 0}, true);
    const std::vector<Case> cases = {
        {"f1_model1", {1, 50, 60, 30, 20, 10, 1}, &f1, OptimizerKind::SGD, 1e-2, true},
        {"f1_model2", {1, 50, 40, 30, 20, 1}, &f1, OptimizerKind::SGD, 1e-2, true},
        {"f1_model3", {1, 50, 20, 1}, &f1, OptimizerKind::SGD, 1e-2, true},
        {"f2_model1", {1, 5, 10, 10, 10, 10, 10, 5, 1}, &f2, OptimizerKind::Adam, 1e-2, true},
        {"f2_model2", {1, 10, 17, 14, 6, 1}, &f2, OptimizerKind::Adam, 1e-2, true},
        {"f2_model3", {1, 182, 1}, &f2, OptimizerKind::Adam, 1e-2, true},
        {"gradnorm_599", {1, 12, 10, 18, 8, 6, 5, 1}, &f3, OptimizerKind::SGD, 1e-3, false},
    };

    if (FILE* la = std::fopen("/proc/loadavg", "r")) {
        char buf[128] = {0};
        if (std::fgets(buf, sizeof buf, la))
            std::printf("Load average before the run (other processes distort these timings): %s\n",
                        buf);
        std::fclose(la);
    }

    std::map<std::string, double> ref, refBlas1;
    if (withReference) {
        std::printf(
            "Running the PyTorch reference (%s/tests/bench/reference_pytorch.py %lld 1), "
            "once with OpenBLAS's default threads and once with OPENBLAS_NUM_THREADS=1 ...\n",
            TRAINLAB_SOURCE_DIR, static_cast<long long>(steps));
        std::fflush(stdout);
        ref = runReference(steps, false);
        refBlas1 = runReference(steps, true);
        std::printf("\n");
    }

    const std::vector<Mode> modes = {Mode::Autograd, Mode::FusedAten, Mode::Fused1, Mode::Fused2};
    std::printf("%-13s %6s %7s | %9s %10s %9s %9s | %9s %9s | %8s %8s\n", "case", "params",
                "points", "autograd", "fused-1/mm", "fused-1", "fused-2", "PyTorch", "PT blas1",
                "best/PT", "best/PT1");
    std::map<std::string, double> bestMs;
    for (const auto& c : cases) {
        std::map<Mode, double> ms;
        for (Mode m : modes) {
            double best = 1e300;
            train(c, m, std::min<std::int64_t>(steps, 20));  // warm-up
            for (int r = 0; r < repeat; ++r) {
                try {
                    best = std::min(best, train(c, m, steps) / static_cast<double>(steps) * 1e3);
                } catch (const DivergenceError& e) {
                    std::printf("  %s %s diverged: %s\n", c.name.c_str(), modeName(m), e.what());
                }
            }
            ms[m] = best < 1e300 ? best : NAN;
        }
        const double fusedBest = std::fmin(ms[Mode::Fused1], ms[Mode::Fused2]);
        bestMs[c.name] = fusedBest;
        const auto refIt = ref.find(c.name), ref1It = refBlas1.find(c.name);
        char refS[32] = "-", ref1S[32] = "-", ratio[32] = "-", ratio1[32] = "-";
        if (refIt != ref.end()) {
            std::snprintf(refS, sizeof refS, "%.3f", refIt->second);
            std::snprintf(ratio, sizeof ratio, "%.2f", fusedBest / refIt->second);
        }
        if (ref1It != refBlas1.end()) {
            std::snprintf(ref1S, sizeof ref1S, "%.3f", ref1It->second);
            std::snprintf(ratio1, sizeof ratio1, "%.2f", fusedBest / ref1It->second);
        }
        std::printf(
            "%-13s %6lld %7lld | %9.3f %10.3f %9.3f %9.3f | %9s %9s | %8s %8s   (suggested shards: "
            "%d)\n",
            c.name.c_str(), static_cast<long long>(mlpParameterCount({c.widths})),
            static_cast<long long>(c.data->x.size(0)), ms[Mode::Autograd], ms[Mode::FusedAten],
            ms[Mode::Fused1], ms[Mode::Fused2], refS, ref1S, ratio, ratio1,
            suggestedShards({c.widths}, c.data->x.size(0)));
        std::fflush(stdout);
    }
    std::printf(
        "\n  gradnorm_599 is timed on standardised targets in trainlab (raw ones diverge).\n"
        "  autograd   = trainModel-style autograd through torch::nn::Linear\n"
        "  fused-1/mm = FusedMlpLossGrad, 1 shard, GEMMs through at::mm_out\n"
        "  fused-1    = FusedMlpLossGrad, 1 shard, GEMMs straight to BLAS sgemm_\n"
        "  fused-2    = FusedMlpLossGrad, batch rows split over 2 threads\n"
        "  PyTorch    = reference_pytorch.py, torch.set_num_threads(1), OpenBLAS default threads\n"
        "  PT blas1   = the same with OPENBLAS_NUM_THREADS=1\n"
        "  best/PT    = min(fused-1, fused-2) / PyTorch (below 0.5 = more than twice as fast)\n\n");

    // The whole 1-1 experiment: six trainings of `wholeSteps` steps each.
    std::vector<const Case*> six;
    for (const auto& c : cases)
        if (c.experiment11) six.push_back(&c);
    std::printf("Whole experiment 1-1: the six trainings, %lld steps each (wall time):\n",
                static_cast<long long>(wholeSteps));
    auto sequential = [&](Mode m) {
        const double t0 = now();
        for (const Case* c : six) train(*c, m, wholeSteps);
        return now() - t0;
    };
    const double seqAutograd = sequential(Mode::Autograd);
    const double seqFused1 = sequential(Mode::Fused1);
    const double seqFused2 = sequential(Mode::Fused2);
    const double seqSuggested = sequential(Mode::FusedSuggested);
    auto concurrent = [&](int workers) {
        // Largest first, then each worker takes the next training (shards = 1 each).
        std::atomic<size_t> next{0};
        const double t0 = now();
        std::vector<std::thread> pool;
        for (int w = 0; w < workers; ++w)
            pool.emplace_back([&] {
                torch::NoGradGuard ng;  // not needed by the fused path; harmless
                for (size_t i; (i = next.fetch_add(1)) < six.size();)
                    train(*six[i], Mode::Fused1, wholeSteps);
            });
        for (auto& t : pool) t.join();
        return now() - t0;
    };
    const double pool2 = concurrent(2);
    auto perModel = [&] {
        // f1's three models as three threads, then f2's three likewise.
        const double t0 = now();
        for (int group = 0; group < 2; ++group) {
            std::vector<std::thread> ts;
            for (int k = 0; k < 3; ++k)
                ts.emplace_back(
                    [&, group, k] { train(*six[group * 3 + k], Mode::Fused1, wholeSteps); });
            for (auto& t : ts) t.join();
        }
        return now() - t0;
    };
    const double threads3 = perModel();
    double refWhole = 0, refWhole1 = 0;
    for (const Case* c : six) {
        if (ref.count(c->name)) refWhole += ref[c->name] * 1e-3 * wholeSteps;
        if (refBlas1.count(c->name)) refWhole1 += refBlas1[c->name] * 1e-3 * wholeSteps;
    }
    auto row = [&](const char* what, double secs) {
        std::printf("  %-66s %8.2f s", what, secs);
        if (refWhole > 0) std::printf("   x%.2f of PyTorch", secs / refWhole);
        if (refWhole1 > 0) std::printf("   x%.2f of PT blas1", secs / refWhole1);
        std::printf("\n");
    };
    row("(a) one after another, autograd", seqAutograd);
    row("(a) one after another, fused-1", seqFused1);
    row("(a) one after another, fused-2", seqFused2);
    row("(a) one after another, fused with suggestedShards (f1: 2, f2: 1)", seqSuggested);
    row("(b) concurrently, pool of 2 threads, fused-1 each", pool2);
    row("(b) concurrently, 3 f1 threads then 3 f2 threads, fused-1", threads3);
    if (refWhole > 0)
        std::printf("  %-66s %8.2f s\n", "PyTorch one after another (sum of its per-case times)",
                    refWhole);
    if (refWhole1 > 0)
        std::printf("  %-66s %8.2f s\n", "PyTorch with OPENBLAS_NUM_THREADS=1, one after another",
                    refWhole1);
    return 0;
}
