// bench_cnn: one training epoch of 1-2's Model 1 on Fashion-MNIST (60,000 28x28 images,
// batch 100, shuffled, Adam 1e-3, cross-entropy), the data preloaded as uint8 tensors and
// normalised per batch (BatchIterator), in channels-last and NCHW layouts with 1 and 2
// threads; the 10,000-image test evaluation timed separately; the achieved GFLOP/s against
// the machine's matrix-product peak measured in the same binary. Optionally side by side with
// plain PyTorch (tests/bench/reference_cnn_epoch.py). A benchmark, not a test.
//
//   [OMP_WAIT_POLICY=PASSIVE] bench_cnn [--threads 1|2|1,2] [--steps N]
//             [--layout cl|nchw|both] [--warmup 20] [--blas-threads 1] [--max-seconds 40]
//             [--with-reference]
//
// On a machine whose cores are shared with other busy processes, OpenMP's default (active,
// spinning) wait makes 2 threads 10-20x slower than 1; OMP_WAIT_POLICY=PASSIVE avoids that
// (docs/benchmarks.md). The header prints the policy and the load average.
// --threads sets torch::set_num_threads (oneDNN convolutions, pooling, BatchNorm); OpenBLAS
// (the FC layers) runs --blas-threads threads, 1 by default (0: as many as --threads), since
// torch's setting does not reach it.
// --steps N times N training steps and extrapolates to the epoch's 600 (reported as such);
// without it the whole epoch is timed, unless a configuration passes --max-seconds (default
// 40, 0: no cap; it then stops there and extrapolates, marked with '*'), so that a default
// run stays within a few minutes even when the cores are busy. GFLOP/s of training count 3 x the
// forward MACs x 2 FLOPs per image (forward, input gradient and weight gradient of every layer).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bench_cnn_common.h"
#include "cnn.h"
#include "dataset_catalog.h"
#include "image_tensors.h"
#include "image_trainer.h"

#ifndef TRAINLAB_SOURCE_DIR
#define TRAINLAB_SOURCE_DIR "."
#endif

using namespace trainlab;
using namespace bench;

namespace {

struct EpochTiming {
    std::string layout;
    int threads = 0;
    std::int64_t stepsTimed = 0, stepsPerEpoch = 0;
    double timed = 0;         ///< seconds of the timed steps
    double epochSeconds = 0;  ///< the whole epoch (extrapolated when stepsTimed < stepsPerEpoch)
    double evalSeconds = 0;   ///< evaluateClassifier on the test set
    double lastLoss = NAN, testAccuracy = NAN;
};

/// The training step of trainImageClassifier, verbatim: zero_grad, forward, cross-entropy,
/// backward, loss.item(), step, the running accuracy count.
EpochTiming timeEpoch(const ImageDataset& data, bool channelsLast, int threads, std::int64_t steps,
                      std::int64_t warmup, double maxSeconds) {
    setThreads(threads, blasThreadsFor(threads));
    const CnnSpec spec = cnnModel(1, 1, 28, 28);
    Cnn model(spec, 1);
    model->useChannelsLast(channelsLast);
    model->train();
    torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3));
    BatchIterator it(data.train, data.mean, data.std, 100, true, 0);
    namespace F = torch::nn::functional;
    torch::Tensor x, y;
    double lossSum = 0;
    std::int64_t correct = 0;
    auto step = [&]() {
        opt.zero_grad();
        const auto out = model->forward(x);
        const auto loss = F::cross_entropy(out, y);
        loss.backward();
        const double v = loss.item<double>();
        opt.step();
        lossSum += v;
        correct += out.detach().argmax(1).eq(y).sum().item<std::int64_t>();
        return v;
    };
    // Warm-up (oneDNN primitive creation, allocator), on the last epoch's order.
    it.startEpoch(99);
    for (std::int64_t i = 0; i < warmup && it.next(x, y); ++i) step();

    EpochTiming r;
    r.layout = channelsLast ? "channels-last" : "NCHW";
    r.threads = threads;
    r.stepsPerEpoch = it.batchesPerEpoch();
    const std::int64_t limit = steps > 0 ? std::min(steps, r.stepsPerEpoch) : r.stepsPerEpoch;
    it.startEpoch(0);
    const auto t = Clock::now();
    while (r.stepsTimed < limit && it.next(x, y)) {
        r.lastLoss = step();
        ++r.stepsTimed;
        if (maxSeconds > 0 && since(t) > maxSeconds) break;
    }
    r.timed = since(t);
    r.epochSeconds = r.timed * static_cast<double>(r.stepsPerEpoch) /
                     static_cast<double>(std::max<std::int64_t>(1, r.stepsTimed));
    const auto te = Clock::now();
    const Evaluation ev = evaluateClassifier(*model, data.test, data.mean, data.std, 500);
    r.evalSeconds = since(te);
    r.testAccuracy = ev.accuracy;
    return r;
}

/// Runs the Python reference; returns threads → {epoch seconds, eval seconds}.
std::map<int, std::pair<double, double>> runReference(const std::string& folder,
                                                      const std::string& threads,
                                                      std::int64_t steps, std::int64_t warmup,
                                                      double maxSeconds) {
    std::map<int, std::pair<double, double>> out;
    std::string cmd = "/usr/bin/python3 " TRAINLAB_SOURCE_DIR
                      "/tests/bench/reference_cnn_epoch.py '" +
                      folder + "' --threads " + threads + " --warmup " + std::to_string(warmup);
    if (steps > 0) cmd += " --steps " + std::to_string(steps);
    cmd += " --max-seconds " + std::to_string(maxSeconds);
    cmd += " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
        std::fputs(("  python: " + std::string(line)).c_str(), stdout);
        int t = 0;
        double epoch = 0, ms = 0, eval = 0;
        if (std::sscanf(line, "threads %d epoch_s %lf ms_per_step %lf eval_s %lf", &t, &epoch, &ms,
                        &eval) == 4)
            out[t] = {epoch, eval};
    }
    ::pclose(p);
    return out;
}

/// The 1-minute load average (other processes share the 2 cores: 2-thread figures suffer).

}  // namespace

int main(int argc, char** argv) {
    std::string threadList = "1,2", layout = "both";
    std::int64_t steps = 0, warmup = 20;
    double maxSeconds = 40;
    bool withReference = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool hasValue = i + 1 < argc;
        if (a == "--threads" && hasValue)
            threadList = argv[++i];
        else if (a == "--steps" && hasValue)
            steps = std::atoll(argv[++i]);
        else if (a == "--layout" && hasValue)
            layout = argv[++i];
        else if (a == "--max-seconds" && hasValue)
            maxSeconds = std::atof(argv[++i]);
        else if (a == "--blas-threads" && hasValue)
            gBlasThreads = std::atoi(argv[++i]);
        else if (a == "--warmup" && hasValue)
            warmup = std::atoll(argv[++i]);
        else if (a == "--with-reference")
            withReference = true;
        else {
            std::fprintf(stderr,
                         "usage: bench_cnn [--threads 1|2|1,2] [--steps N] [--layout "
                         "cl|nchw|both] [--warmup 20] [--blas-threads 1] [--max-seconds 40] "
                         "[--with-reference]\n");
            return 2;
        }
    }
    const std::vector<int> threads = parseList(threadList);
    std::vector<bool> layouts;
    if (layout == "cl" || layout == "both") layouts.push_back(true);
    if (layout == "nchw" || layout == "both") layouts.push_back(false);
    if (threads.empty() || layouts.empty()) {
        std::fprintf(stderr, "bench_cnn: bad --threads or --layout\n");
        return 2;
    }

    const auto fashion = loadFashion("bench_cnn");
    if (!fashion) return 1;
    const ImageDataset& data = fashion->data;
    const CnnSpec spec = cnnModel(1, 1, 28, 28);
    const double macs = cnnForwardMacs(spec);
    std::printf(
        "bench_cnn: Model 1 (%lld parameters, %.3f M forward MACs per image) on Fashion-MNIST "
        "from %s\n  %lld train / %lld test images, batch 100, shuffled, Adam 1e-3, "
        "cross-entropy; libtorch %d.%d.%d, %d hardware threads\n",
        static_cast<long long>(cnnParameterCount(spec)), macs / 1e6, fashion->path.c_str(),
        static_cast<long long>(data.train.size()), static_cast<long long>(data.test.size()),
        TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH,
        static_cast<int>(std::thread::hardware_concurrency()));
    std::printf(
        "  training FLOPs = 3 x forward MACs x 2 per image (forward + input gradient + "
        "weight gradient)\n");
    const char* waitPolicy = std::getenv("OMP_WAIT_POLICY");
    std::printf("  OpenBLAS threads during training: %s; OMP_WAIT_POLICY=%s; load average %s\n\n",
                gBlasThreads > 0 ? std::to_string(gBlasThreads).c_str() : "as --threads",
                waitPolicy ? waitPolicy : "(unset: active)", loadAverage().c_str());

    std::map<int, double> peak;
    for (int t : threads) peak[t] = matmulPeak(t);
    for (int t : threads)
        std::printf(
            "matrix-product peak (torch::mm 2048x2048 float32, best of 5), %d thread%s: "
            "%7.1f GFLOP/s\n",
            t, t > 1 ? "s" : "", peak[t]);
    std::printf("\n");

    std::vector<EpochTiming> rows;
    for (bool cl : layouts)
        for (int t : threads) {
            rows.push_back(timeEpoch(data, cl, t, steps, warmup, maxSeconds));
            const auto& r = rows.back();
            std::printf(
                "  done: %-13s %d thread(s): %lld steps in %.2f s, last loss %.3f, test "
                "accuracy %.4f\n",
                r.layout.c_str(), r.threads, static_cast<long long>(r.stepsTimed), r.timed,
                r.lastLoss, r.testAccuracy);
            std::fflush(stdout);
        }
    std::printf(
        "\nepoch_s: the whole epoch of %lld steps, timed over `steps`; a '*' marks an "
        "EXTRAPOLATED epoch (fewer steps timed)\n",
        static_cast<long long>(rows.front().stepsPerEpoch));
    std::printf("%-13s %3s | %5s %9s %8s %9s %9s %7s | %7s %9s\n", "layout", "thr", "steps",
                "epoch_s", "ms/step", "images/s", "GFLOP/s", "%peak", "eval_s", "eval GF/s");
    for (const auto& r : rows) {
        const double stepS = r.timed / static_cast<double>(std::max<std::int64_t>(1, r.stepsTimed));
        const double imagesPerS = 100.0 / stepS;
        const double gflops = 3.0 * macs * 2.0 * imagesPerS / 1e9;
        const double evalGflops =
            macs * 2.0 * static_cast<double>(data.test.size()) / r.evalSeconds / 1e9;
        const bool extrapolated = r.stepsTimed < r.stepsPerEpoch;
        std::printf("%-13s %3d | %5lld %8.2f%s %8.2f %9.0f %9.2f %6.1f%% | %7.3f %9.2f\n",
                    r.layout.c_str(), r.threads, static_cast<long long>(r.stepsTimed),
                    r.epochSeconds, extrapolated ? "*" : " ", stepS * 1e3, imagesPerS, gflops,
                    100.0 * gflops / peak[r.threads], r.evalSeconds, evalGflops);
    }

    if (withReference) {
        std::printf(
            "\nPython reference (tests/bench/reference_cnn_epoch.py, run after the above):\n");
        std::fflush(stdout);
        const auto ref = runReference(fashion->path, threadList, steps, warmup, maxSeconds);
        for (const auto& r : rows) {
            const auto f = ref.find(r.threads);
            if (f == ref.end()) continue;
            std::printf(
                "%-13s %d thread(s): trainlab %7.2f s/epoch, PyTorch %7.2f s/epoch: "
                "speed-up %.2fx (test evaluation %.3f s vs %.3f s)\n",
                r.layout.c_str(), r.threads, r.epochSeconds, f->second.first,
                f->second.first / r.epochSeconds, r.evalSeconds, f->second.second);
        }
    }
    return 0;
}
