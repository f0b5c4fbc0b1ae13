// bench_flatness: the two costly measurements of 3-3 (issue 6) on Fashion-MNIST, optionally
// side by side with plain PyTorch (tests/bench/reference_sensitivity.py). A benchmark, not a
// test.
//
//  (a) Sensitivity: the Frobenius norm of the Jacobian of the softmax output with respect to
//      the input (Novak et al. 2018), averaged over the first 1,000 test images, for 1-2's
//      Model 1 (cnnModel(1, 1, 28, 28), channels-last, eval mode) after 200 Adam steps
//      (1e-3, batch 100; nothing is saved): meanSensitivity(model, test, mean, std, 1000, B)
//      for B in --batches, with each --threads count, best of --repeats rounds after a
//      warm-up round; the configurations run interleaved (round 1 of all of them, then round
//      2, ...), so that a changing load on shared cores hits all alike. Before the timings, the
//      per-image norms of the first 10 images are checked against a naive computation (each image
//      alone, one autograd::grad per class of softmax[k] with respect to that image): "check ok"
//      within 1e-4 relative.
//  (b) One α point of the interpolation between two solutions over the whole train (60,000)
//      and test (10,000) sets: interpolateStates(trained, fresh, 0.5) + loadState +
//      evaluateClassifier on train and test (batches of 500), with the BatchNorm statistics
//      interpolated and with them re-estimated (reestimateBatchNorm, --bn-batches batches of
//      100), best of --interp-repeats.
//  --investigate (default on; --no-investigate) adds, at B = 100, where the sensitivity time
//      goes: the forward pass alone, one backward pass, the NCHW layout, the parameters
//      frozen (requires_grad false: shows whether weight gradients are computed), two
//      1-thread workers on the two halves of the images, and two prototypes of faster exact
//      computations (K − 1 backward passes; a hand-written input-gradient pass without
//      autograd), each checked against softmaxJacobianNorms; --profile adds the operators by
//      self time (libtorch's legacy profiler) for one sensitivity run in each layout and for
//      the hand-written prototype. The prototypes are measurements for engine/flatness.cpp,
//      not engine code: they read Model 1's layers by name ("conv1", "bn1", "fc1"…).
//  --with-reference runs tests/bench/reference_sensitivity.py afterwards (never at the same
//      time) and prints trainlab / PyTorch ratios; its full-Jacobian timing (the method the
//      issue names, 30-70 s and 11 GB per batch of 100) stops after the batch that passes
//      --ref-max-seconds and is extrapolated.
//
//   [OMP_WAIT_POLICY=PASSIVE] bench_flatness [--threads 1,2] [--batches 100,250,1000]
//             [--count 1000] [--repeats 3] [--train-steps 200] [--bn-batches 20]
//             [--interp-repeats 2] [--no-interp] [--no-investigate] [--profile]
//             [--blas-threads 1] [--with-reference] [--ref-max-seconds 30]
//
// As in bench_cnn: OpenBLAS (the FC layers), which torch::set_num_threads does not reach, is
// held at --blas-threads (1; 0: as many as the torch threads); on shared cores run with
// OMP_WAIT_POLICY=PASSIVE (the header prints it and the load average). GFLOP/s of the
// sensitivity count 11 x the forward MACs x 2 per image: the forward pass and one input-
// gradient pass per class, each as costly as a forward pass (weight gradients not counted).
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bench_cnn_common.h"
#include "cnn.h"
#include "run_control.h"
#include "dataset_catalog.h"
#include "flatness.h"
#include "image_tensors.h"
#include "image_trainer.h"

#ifndef TRAINLAB_SOURCE_DIR
#define TRAINLAB_SOURCE_DIR "."
#endif

using namespace trainlab;
using namespace bench;

namespace {

ImageTensors firstImages(const ImageTensors& data, std::int64_t start, std::int64_t n) {
    ImageTensors s = data;
    s.images = data.images.narrow(0, start, n);
    s.labels = data.labels.narrow(0, start, n);
    return s;
}

/// One timed configuration: `run` returns the mean norm it computed (NaN when none).
struct Variant {
    std::string name;
    int threads = 1;
    std::int64_t batch = 0;
    std::function<double()> run;
    double best = 1e30, value = NAN;
};

/// Runs every variant once untimed (warm-up), then `rounds` rounds of all of them in turn,
/// keeping each one's best time: interleaving spreads the changing load of a shared machine
/// over all variants alike.
void runInterleaved(std::vector<Variant>& vs, int rounds) {
    for (auto& v : vs) {
        setThreads(v.threads, blasThreadsFor(v.threads));
        v.value = v.run();
    }
    for (int r = 0; r < std::max(1, rounds); ++r) {
        for (auto& v : vs) {
            setThreads(v.threads, blasThreadsFor(v.threads));
            const auto t = Clock::now();
            v.value = v.run();
            v.best = std::min(v.best, since(t));
        }
        std::printf("  round %d of %d done (load average %s)\n", r + 1, std::max(1, rounds),
                    loadAverage().c_str());
        std::fflush(stdout);
    }
}

// ---------------------------------------------------------------------------------------------
// The value check: softmaxJacobianNorms against one image and one class at a time.

/// ‖∂softmax(f(x_i))/∂x_i‖_F of each image alone: for each class k, the autograd gradient of
/// softmax[k] with respect to that single image.
torch::Tensor naiveJacobianNorms(CnnImpl& model, const torch::Tensor& x) {
    model.eval();
    auto out = torch::zeros({x.size(0)}, torch::kDouble);
    for (std::int64_t i = 0; i < x.size(0); ++i) {
        const auto xi = x.narrow(0, i, 1).detach().clone().requires_grad_(true);
        const auto p = torch::softmax(model.forward(xi), 1)[0];
        double sq = 0;
        for (std::int64_t k = 0; k < p.size(0); ++k) {
            const auto g = torch::autograd::grad({p[k]}, {xi}, {}, /*retain_graph=*/true)[0];
            sq += g.to(torch::kDouble).pow(2).sum().item<double>();
        }
        out[i] = std::sqrt(sq);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Prototypes of faster exact computations, for the investigation (not engine code).

/// As softmaxJacobianNorms with K − 1 backward passes instead of K: the probabilities sum to
/// one, so the last row of the Jacobian is minus the sum of the others.
torch::Tensor jacobianNormsKMinus1(CnnImpl& model, const torch::Tensor& x) {
    model.eval();
    const auto input = x.detach().clone().requires_grad_(true);
    const auto probs = torch::softmax(model.forward(input), 1);
    const std::int64_t k = probs.size(1), n = x.size(0);
    auto sq = torch::zeros({n}, torch::kDouble);
    torch::Tensor sum;
    for (std::int64_t c = 0; c + 1 < k; ++c) {
        const auto g = torch::autograd::grad({probs.select(1, c).sum()}, {input}, {},
                                             /*retain_graph=*/c + 2 < k)[0]
                           .reshape({n, -1})
                           .to(torch::kDouble);
        sq += g.pow(2).sum(1);
        sum = c == 0 ? g : sum + g;
    }
    sq += sum.pow(2).sum(1);
    return sq.sqrt();
}

/// The prototype below handles 1-2's Model 1 family: blocks conv3x3 pad 1 → maxpool 2 → ReLU →
/// BatchNorm, flatten, one hidden FC.
bool manualApplies(const CnnSpec& s) {
    const std::vector<BlockLayer> order{BlockLayer::Conv, BlockLayer::Pool, BlockLayer::Relu,
                                        BlockLayer::BatchNorm};
    for (const auto& b : s.blocks)
        if (b.order != order || !b.batchNorm || b.kernel != 3 || b.padding != 1 || b.pool != 2)
            return false;
    return !s.blocks.empty() && !s.globalAvgPool && s.hidden.size() == 1;
}

/// Exact per-example ‖∂softmax/∂x‖_F without autograd: in eval mode the network is linear
/// given its ReLU masks and max-pool choices. One forward pass (no graph) keeps, per block,
/// the conv output, the pool's argmax indices and m = (ReLU mask) × (BatchNorm scale
/// γ/√(σ²+ε)) at the pooled resolution; then for each class c the cotangent p_c(e_c − p) at
/// the logits is pushed back by hand: the two FC products (and the hidden ReLU mask), and per
/// block one multiplication by m (BatchNorm and ReLU backward in one pass),
/// max_pool2d_with_indices_backward and the conv's input gradient (at::convolution_backward,
/// input gradient only). With `nchwFirst`, the first block runs in NCHW and its conv's input
/// gradient is conv_transpose2d (faster than oneDNN's for a one-channel input). With
/// `kMinus1`, K − 1 classes are pushed back and the last row is minus their sum.
torch::Tensor jacobianNormsManual(CnnImpl& model, const torch::Tensor& xIn, bool nchwFirst,
                                  bool kMinus1 = false) {
    torch::NoGradGuard noGrad;
    model.eval();
    const CnnSpec& spec = model.spec();
    auto kids = model.named_children();
    const bool cl = model.channelsLast();
    torch::Tensor a = model.prepareInput(xIn);
    const std::int64_t n = a.size(0);
    struct Block {
        torch::Tensor input, convOut, idx, m, weight;
    };
    std::vector<Block> blocks;
    for (size_t i = 0; i < spec.blocks.size(); ++i) {
        auto& conv = *kids["conv" + std::to_string(i + 1)]->as<torch::nn::Conv2dImpl>();
        auto& bn = *kids["bn" + std::to_string(i + 1)]->as<torch::nn::BatchNorm2dImpl>();
        Block blk;
        blk.input = a;
        blk.weight = conv.weight;
        blk.convOut = model.prepareInput(conv.forward(a));
        const auto pooled = at::max_pool2d_with_indices(blk.convOut, {2, 2}, {2, 2});
        const auto& p = std::get<0>(pooled);
        blk.idx = std::get<1>(pooled);
        const auto scale = bn.weight / (bn.running_var + bn.options.eps()).sqrt();
        blk.m = p.gt(0).to(torch::kFloat) * scale.view({1, -1, 1, 1});
        if (i == 0 && nchwFirst && cl) {
            blk.input = blk.input.contiguous();
            blk.convOut = blk.convOut.contiguous();
            blk.idx = blk.idx.contiguous();
            blk.m = blk.m.contiguous();
            blk.weight = blk.weight.clone(torch::MemoryFormat::Contiguous);
        }
        blocks.push_back(blk);
        a = bn.forward(torch::relu(p));
    }
    auto& fc1 = *kids["fc1"]->as<torch::nn::LinearImpl>();
    auto& fc2 = *kids["fc2"]->as<torch::nn::LinearImpl>();
    const auto h = fc1.forward(a.flatten(1));
    const auto hMask = h.gt(0).to(torch::kFloat);
    const auto probs = torch::softmax(fc2.forward(torch::relu(h)), 1);
    const std::int64_t k = probs.size(1);
    auto sq = torch::zeros({n}, torch::kDouble);
    torch::Tensor sum;
    for (std::int64_t c = 0; c < (kMinus1 ? k - 1 : k); ++c) {
        // Cotangent of class c at the logits: p_c (e_c − p).
        auto cot = -probs * probs.select(1, c).unsqueeze(1);
        cot.select(1, c).add_(probs.select(1, c));
        auto g = (cot.mm(fc2.weight) * hMask).mm(fc1.weight).view(a.sizes());
        if (cl) g = g.contiguous(torch::MemoryFormat::ChannelsLast);
        for (size_t ii = blocks.size(); ii-- > 0;) {
            const Block& blk = blocks[ii];
            if (ii == 0 && nchwFirst) g = g.contiguous();
            g = at::max_pool2d_with_indices_backward(g * blk.m, blk.convOut, {2, 2}, {2, 2}, {0, 0},
                                                     {1, 1}, false, blk.idx);
            if (ii == 0 && nchwFirst)
                g = torch::conv_transpose2d(g, blk.weight, {}, 1, 1);
            else
                g = std::get<0>(at::convolution_backward(g, blk.input, blk.weight, c10::nullopt,
                                                         {1, 1}, {1, 1}, {1, 1}, false, {0, 0}, 1,
                                                         {true, false, false}));
        }
        const auto gd = g.reshape({n, -1}).to(torch::kDouble);
        sq += gd.pow(2).sum(1);
        if (kMinus1) sum = c == 0 ? gd : sum + gd;
    }
    if (kMinus1) sq += sum.pow(2).sum(1);
    return sq.sqrt();
}

/// Mean of `norms` over the first `count` images of `data` in batches of `batch`.
template <typename Norms>
double meanWith(Norms&& norms, const ImageTensors& data, const std::vector<float>& mean,
                const std::vector<float>& std, std::int64_t count, std::int64_t batch) {
    BatchIterator it(firstImages(data, 0, count), mean, std, batch, false, 0);
    torch::Tensor x, y;
    double sum = 0;
    while (it.next(x, y)) sum += norms(x).sum().template item<double>();
    return sum / static_cast<double>(count);
}

// ---------------------------------------------------------------------------------------------
// Profiling: operators by self time over one sensitivity run (legacy profiler, CPU).

struct OpTime {
    double selfUs = 0;
    std::int64_t calls = 0;
};

std::string shapeKey(const std::vector<std::vector<std::int64_t>>& shapes) {
    if (shapes.empty() || shapes[0].empty()) return "";
    std::string s = "[";
    for (size_t i = 0; i < shapes[0].size(); ++i)
        s += (i ? "," : "") + std::to_string(shapes[0][i]);
    return s + "]";
}

/// Profiles run(count) after run(batch) as a warm-up.
template <typename Run>
void profileSensitivity(Run&& run, std::int64_t count, std::int64_t batch, const char* label) {
    using namespace torch::autograd::profiler;
    run(batch);  // warm-up
    enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(
        torch::profiler::impl::ProfilerState::CPU, /*report_input_shapes=*/true));
    const auto t = Clock::now();
    run(count);
    const double wall = since(t);
    const thread_event_lists lists = disableProfilerLegacy();
    std::map<std::string, OpTime> agg;
    for (const auto& events : lists) {
        struct Open {
            std::string key;
            at::RecordFunctionHandle handle;
            double start, childUs;
        };
        std::vector<Open> stack;
        for (const auto& e : events) {
            if (e.kind() == EventKind::PushRange) {
                std::string key = e.name();
                const std::string sk = shapeKey(e.shapes());
                if (!sk.empty()) key += " " + sk;
                stack.push_back({key, e.handle(), e.cpuUs(), 0});
            } else if (e.kind() == EventKind::PopRange) {
                // Close the range with this handle (and anything left open inside it).
                while (!stack.empty()) {
                    const Open o = stack.back();
                    stack.pop_back();
                    const double dur = e.cpuUs() - o.start;
                    auto& a = agg[o.key];
                    a.selfUs += dur - o.childUs;
                    a.calls += 1;
                    if (!stack.empty()) stack.back().childUs += dur;
                    if (o.handle == e.handle()) break;
                }
            }
        }
    }
    std::vector<std::pair<std::string, OpTime>> rows(agg.begin(), agg.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second.selfUs > b.second.selfUs; });
    double total = 0;
    for (const auto& r : rows) total += r.second.selfUs;
    std::printf(
        "\nprofile, %s, B = %lld, %lld images: %.3f s wall (profiled), %.3f s of operator "
        "self time; operators by self time (first input's shape):\n",
        label, static_cast<long long>(batch), static_cast<long long>(count), wall, total / 1e6);
    for (size_t i = 0; i < rows.size() && i < 22; ++i)
        std::printf("  %8.1f ms %5.1f%% %6lld calls  %s\n", rows[i].second.selfUs / 1e3,
                    100.0 * rows[i].second.selfUs / std::max(1.0, total),
                    static_cast<long long>(rows[i].second.calls), rows[i].first.c_str());
}

// ---------------------------------------------------------------------------------------------
// The Python reference.

struct RefRow {
    std::string method;
    int threads = 0;
    std::int64_t batch = 0;
    double seconds = 0, meanNorm = NAN;
    bool extrapolated = false;
};
struct RefAlpha {
    std::string bn;
    int threads = 0;
    double seconds = 0;
};

void runReference(const std::string& folder, const std::string& threads, std::int64_t count,
                  int repeats, std::int64_t trainSteps, double maxSeconds, std::vector<RefRow>& jac,
                  std::vector<RefAlpha>& alpha) {
    std::string cmd =
        "/usr/bin/python3 " TRAINLAB_SOURCE_DIR "/tests/bench/reference_sensitivity.py '" + folder +
        "' --threads " + threads + " --count " + std::to_string(count) + " --repeats " +
        std::to_string(repeats) + " --train-steps " + std::to_string(trainSteps) +
        " --max-seconds " + std::to_string(maxSeconds) + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return;
    char line[1024];
    while (std::fgets(line, sizeof line, p)) {
        std::fputs(("  python: " + std::string(line)).c_str(), stdout);
        std::fflush(stdout);
        char method[64] = {0}, ext[8] = {0}, bn[32] = {0};
        RefRow r;
        long long b = 0;
        if (std::sscanf(line,
                        "jacobian %63s threads %d batch %lld seconds %lf mean_norm %lf "
                        "extrapolated %7s",
                        method, &r.threads, &b, &r.seconds, &r.meanNorm, ext) == 6) {
            r.method = method;
            r.batch = b;
            r.extrapolated = std::strcmp(ext, "yes") == 0;
            jac.push_back(r);
            continue;
        }
        RefAlpha a;
        if (std::sscanf(line, "alpha threads %d bn %31s seconds %lf", &a.threads, bn, &a.seconds) ==
            3) {
            a.bn = bn;
            alpha.push_back(a);
        }
    }
    ::pclose(p);
}

struct SensRow {
    int threads = 0;
    std::int64_t batch = 0;
    double seconds = 0, meanNorm = NAN;
};
struct AlphaRow {
    int threads = 0;
    bool reestimated = false;
    double interp = 0, bn = 0, evalTrain = 0, evalTest = 0, total = 0;
    double trainAcc = NAN, testAcc = NAN;
};

}  // namespace

int main(int argc, char** argv) {
    std::string threadList = "1,2", batchList = "100,250,1000";
    std::int64_t count = 1000, trainSteps = 200, bnBatches = 20;
    int repeats = 3, interpRepeats = 2;
    bool interp = true, investigate = true, profile = false, withReference = false;
    double refMaxSeconds = 30;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool hasValue = i + 1 < argc;
        if (a == "--threads" && hasValue)
            threadList = argv[++i];
        else if (a == "--batches" && hasValue)
            batchList = argv[++i];
        else if (a == "--count" && hasValue)
            count = std::atoll(argv[++i]);
        else if (a == "--repeats" && hasValue)
            repeats = std::atoi(argv[++i]);
        else if (a == "--train-steps" && hasValue)
            trainSteps = std::atoll(argv[++i]);
        else if (a == "--bn-batches" && hasValue)
            bnBatches = std::atoll(argv[++i]);
        else if (a == "--interp-repeats" && hasValue)
            interpRepeats = std::atoi(argv[++i]);
        else if (a == "--no-interp")
            interp = false;
        else if (a == "--no-investigate")
            investigate = false;
        else if (a == "--profile")
            profile = true;
        else if (a == "--blas-threads" && hasValue)
            gBlasThreads = std::atoi(argv[++i]);
        else if (a == "--with-reference")
            withReference = true;
        else if (a == "--ref-max-seconds" && hasValue)
            refMaxSeconds = std::atof(argv[++i]);
        else {
            std::fprintf(stderr,
                         "usage: bench_flatness [--threads 1,2] [--batches 100,250,1000] [--count "
                         "1000] [--repeats 3] [--train-steps 200] [--bn-batches 20] "
                         "[--interp-repeats 2] [--no-interp] [--no-investigate] [--profile] "
                         "[--blas-threads 1] [--with-reference] [--ref-max-seconds 30]\n");
            return 2;
        }
    }
    const std::vector<int> threads = parseList(threadList);
    const std::vector<int> batches = parseList(batchList);
    if (threads.empty() || batches.empty() || count < 1) {
        std::fprintf(stderr, "bench_flatness: bad --threads, --batches or --count\n");
        return 2;
    }

    const auto fashion = loadFashion("bench_flatness");
    if (!fashion) return 1;
    const ImageDataset& data = fashion->data;
    count = std::min(count, data.test.size());
    const CnnSpec spec = cnnModel(1, 1, 28, 28);
    const double macs = cnnForwardMacs(spec);
    const char* waitPolicy = std::getenv("OMP_WAIT_POLICY");
    std::printf(
        "bench_flatness: Model 1 (%lld parameters, %.3f M forward MACs per image) on "
        "Fashion-MNIST from %s\n  %lld train / %lld test images; libtorch %d.%d.%d, %d hardware "
        "threads\n  OpenBLAS threads: %s; OMP_WAIT_POLICY=%s; load average %s\n",
        static_cast<long long>(cnnParameterCount(spec)), macs / 1e6, fashion->path.c_str(),
        static_cast<long long>(data.train.size()), static_cast<long long>(data.test.size()),
        TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH,
        static_cast<int>(std::thread::hardware_concurrency()),
        gBlasThreads > 0 ? std::to_string(gBlasThreads).c_str() : "as --threads",
        waitPolicy ? waitPolicy : "(unset: active)", loadAverage().c_str());

    std::map<int, double> peak;
    for (int t : threads) peak[t] = matmulPeak(t);
    for (int t : threads)
        std::printf(
            "matrix-product peak (torch::mm 2048x2048 float32, best of 5), %d thread%s: "
            "%7.1f GFLOP/s\n",
            t, t > 1 ? "s" : "", peak[t]);

    // Model 1, trained briefly so that the norms mean something (1 thread: the busy cores).
    setThreads(1, 1);
    Cnn model(spec, 1);
    model->useChannelsLast(true);
    {
        ImageTrainOptions o;
        o.optimizer = OptimizerKind::Adam;
        o.lr = 1e-3;
        o.batchSize = 100;
        o.epochs = 1;
        o.maxSteps = trainSteps;
        o.label = "Model 1";
        RunControl control;
        const auto t = Clock::now();
        if (trainSteps > 0) {
            const ImageTrainResult r = trainImageClassifier(*model, data, o, control);
            std::printf(
                "\ntrained Model 1 (channels-last) for %lld Adam steps in %.2f s: test "
                "accuracy %.4f\n",
                static_cast<long long>(r.steps), since(t),
                r.epochs.empty() ? NAN : r.epochs.back().testAccuracy);
        }
    }
    model->eval();

    // Value check on the first 10 test images.
    bool checkOk = false;
    {
        BatchIterator it(data.test, data.mean, data.std, 10, false, 0);
        torch::Tensor x, y;
        it.next(x, y);
        x = x.clone();
        const auto batched = softmaxJacobianNorms(*model, x);
        const auto naive = naiveJacobianNorms(*model, x);
        const double maxRel =
            ((batched - naive).abs() / naive.abs().clamp_min(1e-30)).max().item<double>();
        const double meanTen = meanSensitivity(*model, data.test, data.mean, data.std, 10, 10);
        const double meanRel = std::abs(meanTen - naive.mean().item<double>()) /
                               std::max(1e-30, std::abs(naive.mean().item<double>()));
        checkOk = maxRel <= 1e-4 && meanRel <= 1e-4;
        std::printf(
            "\nvalue check, first 10 test images: softmaxJacobianNorms vs naive (each image "
            "alone, one grad per class)\n  norms:");
        for (std::int64_t i = 0; i < naive.size(0); ++i)
            std::printf(" %.5g", naive[i].item<double>());
        std::printf(
            "\n  max relative difference %.2e, meanSensitivity(10) vs naive mean %.2e: "
            "%s\n",
            maxRel, meanRel, checkOk ? "check ok" : "CHECK FAILED");
    }
    if (investigate) {
        // The prototypes on the first 100 test images, against softmaxJacobianNorms of the same
        // model in double precision (NCHW: oneDNN has no float64 kernels).
        BatchIterator it(data.test, data.mean, data.std, 100, false, 0);
        torch::Tensor x, y;
        it.next(x, y);
        x = x.clone();
        Cnn dbl(spec, 1);
        dbl->to(torch::kDouble);
        loadState(*dbl, captureState(*model));
        const auto ref = softmaxJacobianNorms(*dbl, x.to(torch::kDouble));
        const auto rel = [&](const torch::Tensor& v) {
            return ((v - ref).abs() / ref.abs().clamp_min(1e-30)).max().item<double>();
        };
        std::printf(
            "  max relative difference to float64 on 100 images: softmaxJacobianNorms "
            "%.2e, K-1 passes %.2e",
            rel(softmaxJacobianNorms(*model, x)), rel(jacobianNormsKMinus1(*model, x)));
        if (manualApplies(spec))
            std::printf(
                ", manual VJP %.2e (channels-last), %.2e (first block NCHW), %.2e (and "
                "K-1)",
                rel(jacobianNormsManual(*model, x, false)),
                rel(jacobianNormsManual(*model, x, true)),
                rel(jacobianNormsManual(*model, x, true, true)));
        std::printf("\n");
    }
    std::fflush(stdout);

    // (a) Sensitivity timings, every (threads, B) in interleaved rounds.
    std::vector<Variant> sensVariants;
    for (int t : threads)
        for (int b : batches)
            sensVariants.push_back({"B=" + std::to_string(b), t, b, [&model, &data, count, b] {
                                        return meanSensitivity(*model, data.test, data.mean,
                                                               data.std, count, b);
                                    }});
    std::printf(
        "\n(a) meanSensitivity over the first %lld test images: best of %d interleaved "
        "rounds after a warm-up round\n",
        static_cast<long long>(count), repeats);
    runInterleaved(sensVariants, repeats);
    std::vector<SensRow> sens;
    for (const auto& v : sensVariants) sens.push_back({v.threads, v.batch, v.best, v.value});
    std::printf("\n%3s %5s | %9s %9s %9s %7s | %s\n", "thr", "B", "seconds", "images/s", "GFLOP/s",
                "%peak", "mean ‖∂softmax/∂x‖_F");
    for (const auto& r : sens) {
        const double gflops = 11.0 * macs * 2.0 * static_cast<double>(count) / r.seconds / 1e9;
        std::printf("%3d %5lld | %9.3f %9.0f %9.2f %6.1f%% | %.6f\n", r.threads,
                    static_cast<long long>(r.batch), r.seconds,
                    static_cast<double>(count) / r.seconds, gflops,
                    100.0 * gflops / peak[r.threads], r.meanNorm);
    }
    std::fflush(stdout);

    // Where the time goes, at B = 100, all variants in interleaved rounds.
    if (investigate) {
        const std::int64_t b = 100;
        auto params = model->parameters();
        const ImageTensors subset = firstImages(data.test, 0, count);
        std::vector<Variant> vs;
        for (int t : threads) {
            vs.push_back({"meanSensitivity (channels-last)", t, b, [&, b] {
                              return meanSensitivity(*model, data.test, data.mean, data.std, count,
                                                     b);
                          }});
            vs.push_back({"forward only, no graph", t, b, [&, b] {
                              torch::NoGradGuard ng;
                              BatchIterator it(subset, data.mean, data.std, b, false, 0);
                              torch::Tensor x, y;
                              while (it.next(x, y)) model->forward(x);
                              return NAN;
                          }});
            vs.push_back({"forward building the graph", t, b, [&, b] {
                              BatchIterator it(subset, data.mean, data.std, b, false, 0);
                              torch::Tensor x, y;
                              while (it.next(x, y)) {
                                  const auto in = x.detach().clone().requires_grad_(true);
                                  torch::softmax(model->forward(in), 1);
                              }
                              return NAN;
                          }});
            vs.push_back({"forward + 1 backward pass", t, b, [&, b] {
                              BatchIterator it(subset, data.mean, data.std, b, false, 0);
                              torch::Tensor x, y;
                              while (it.next(x, y)) {
                                  const auto in = x.detach().clone().requires_grad_(true);
                                  const auto p = torch::softmax(model->forward(in), 1);
                                  torch::autograd::grad({p.select(1, 0).sum()}, {in});
                              }
                              return NAN;
                          }});
            // If autograd computed weight gradients needlessly, this would be faster.
            vs.push_back({"parameters frozen", t, b, [&, b] {
                              for (auto& p : params) p.requires_grad_(false);
                              const double m =
                                  meanSensitivity(*model, data.test, data.mean, data.std, count, b);
                              for (auto& p : params) p.requires_grad_(true);
                              return m;
                          }});
            vs.push_back({"NCHW layout", t, b, [&, b] {
                              model->useChannelsLast(false);
                              const double m =
                                  meanSensitivity(*model, data.test, data.mean, data.std, count, b);
                              model->useChannelsLast(true);
                              return m;
                          }});
            vs.push_back(
                {"prototype: K-1 backward passes", t, b, [&, b] {
                     return meanWith(
                         [&](const torch::Tensor& x) { return jacobianNormsKMinus1(*model, x); },
                         data.test, data.mean, data.std, count, b);
                 }});
            if (manualApplies(spec))
                for (int variant = 0; variant < 3; ++variant) {
                    const bool nchwFirst = variant > 0, kMinus1 = variant == 2;
                    const char* name[] = {"prototype: manual VJP, channels-last",
                                          "prototype: manual VJP, 1st block NCHW",
                                          "prototype: manual, 1st NCHW, K-1"};
                    vs.push_back({name[variant], t, b, [&, b, nchwFirst, kMinus1] {
                                      return meanWith(
                                          [&](const torch::Tensor& x) {
                                              return jacobianNormsManual(*model, x, nchwFirst,
                                                                         kMinus1);
                                          },
                                          data.test, data.mean, data.std, count, b);
                                  }});
                }
        }
        // Two workers of one thread each on the two halves of the images (the model is shared:
        // eval mode, gradients with respect to the inputs only).
        if (std::find(threads.begin(), threads.end(), 2) != threads.end() && count >= 2 * b)
            vs.push_back(
                {"2 workers x 1 thread (std::thread)", 1, b, [&, b] {
                     const std::int64_t half = count / 2;
                     double m1 = 0;
                     std::thread w([&] {
                         torch::set_num_threads(1);
                         m1 = meanSensitivity(*model, firstImages(data.test, half, count - half),
                                              data.mean, data.std, 0, b);
                     });
                     const double m0 = meanSensitivity(*model, firstImages(data.test, 0, half),
                                                       data.mean, data.std, 0, b);
                     w.join();
                     return (m0 * static_cast<double>(half) +
                             m1 * static_cast<double>(count - half)) /
                            static_cast<double>(count);
                 }});
        std::printf(
            "\ninvestigation at B = %lld, %lld images: best of %d interleaved rounds "
            "after a warm-up round\n",
            static_cast<long long>(b), static_cast<long long>(count), repeats);
        runInterleaved(vs, repeats);
        std::map<int, double> base;
        for (const auto& v : vs)
            if (v.name == "meanSensitivity (channels-last)") base[v.threads] = v.best;
        std::printf("\n%-38s %3s | %8s %8s | %s\n", "variant", "thr", "seconds", "speed-up",
                    "mean norm");
        for (const auto& v : vs) {
            const double ref = base.count(v.threads) ? base[v.threads] : base.begin()->second;
            std::printf("%-38s %3d | %8.3f %7.2fx | %s\n", v.name.c_str(), v.threads, v.best,
                        ref / v.best, std::isnan(v.value) ? "-" : std::to_string(v.value).c_str());
        }
        std::printf(
            "(speed-up: against meanSensitivity with the same thread count; the 2-worker "
            "row against 1 thread)\n");
        std::fflush(stdout);
        if (profile) {
            setThreads(1, 1);
            const auto sensitivity = [&](std::int64_t c) {
                meanSensitivity(*model, data.test, data.mean, data.std, c, b);
            };
            profileSensitivity(sensitivity, count, b, "meanSensitivity, channels-last, 1 thread");
            model->useChannelsLast(false);
            profileSensitivity(sensitivity, count, b, "meanSensitivity, NCHW, 1 thread");
            model->useChannelsLast(true);
            if (manualApplies(spec))
                profileSensitivity(
                    [&](std::int64_t c) {
                        meanWith(
                            [&](const torch::Tensor& x) {
                                return jacobianNormsManual(*model, x, true);
                            },
                            data.test, data.mean, data.std, c, b);
                    },
                    count, b, "prototype manual VJP, first block NCHW, 1 thread");
        }
    }

    // (b) One α point of the interpolation.
    std::vector<AlphaRow> alphaRows;
    if (interp) {
        const ModelState a = captureState(*model);
        Cnn fresh(spec, 2);
        fresh->useChannelsLast(true);
        const ModelState bState = captureState(*fresh);
        Cnn work(spec, 3);
        work->useChannelsLast(true);
        std::printf(
            "\n(b) one alpha point (alpha = 0.5 between the trained model and a fresh "
            "one) over %lld train + %lld test images, batches of 500, best of %d\n",
            static_cast<long long>(data.train.size()), static_cast<long long>(data.test.size()),
            interpRepeats);
        for (int t : threads) {
            setThreads(t, blasThreadsFor(t));
            evaluateClassifier(*work, firstImages(data.test, 0, 1000), data.mean, data.std, 500);
            for (bool re : {false, true}) {
                AlphaRow best;
                best.total = 1e30;
                for (int r = 0; r < std::max(1, interpRepeats); ++r) {
                    AlphaRow row;
                    row.threads = t;
                    row.reestimated = re;
                    auto t0 = Clock::now();
                    loadState(*work, interpolateStates(a, bState, 0.5, true));
                    row.interp = since(t0);
                    if (re) {
                        t0 = Clock::now();
                        reestimateBatchNorm(*work, data.train, data.mean, data.std, bnBatches, 100,
                                            0);
                        row.bn = since(t0);
                    }
                    t0 = Clock::now();
                    const Evaluation tr =
                        evaluateClassifier(*work, data.train, data.mean, data.std, 500);
                    row.evalTrain = since(t0);
                    t0 = Clock::now();
                    const Evaluation te =
                        evaluateClassifier(*work, data.test, data.mean, data.std, 500);
                    row.evalTest = since(t0);
                    row.total = row.interp + row.bn + row.evalTrain + row.evalTest;
                    row.trainAcc = tr.accuracy;
                    row.testAcc = te.accuracy;
                    if (row.total < best.total) best = row;
                }
                alphaRows.push_back(best);
                std::printf("  done: %d thread(s), BN %s: %.3f s\n", t,
                            re ? "re-estimated" : "interpolated", best.total);
                std::fflush(stdout);
            }
        }
        std::printf("\n%3s %-13s | %8s %8s %8s %8s | %8s | %9s %9s\n", "thr", "BatchNorm",
                    "interp_s", "bn_s", "train_s", "test_s", "total_s", "train acc", "test acc");
        for (const auto& r : alphaRows)
            std::printf("%3d %-13s | %8.4f %8.3f %8.3f %8.3f | %8.3f | %9.4f %9.4f\n", r.threads,
                        r.reestimated ? "re-estimated" : "interpolated", r.interp, r.bn,
                        r.evalTrain, r.evalTest, r.total, r.trainAcc, r.testAcc);
    }

    if (withReference) {
        std::printf(
            "\nPython reference (tests/bench/reference_sensitivity.py, run after the "
            "above):\n");
        std::fflush(stdout);
        std::vector<RefRow> jac;
        std::vector<RefAlpha> alpha;
        runReference(fashion->path, threadList, count, repeats, trainSteps, refMaxSeconds, jac,
                     alpha);
        std::printf("\nratios (trainlab / PyTorch; below 0.5 = more than twice as fast):\n");
        for (int t : threads) {
            const SensRow* at100 = nullptr;
            const SensRow* best = nullptr;
            for (const auto& r : sens)
                if (r.threads == t) {
                    if (r.batch == 100) at100 = &r;
                    if (!best || r.seconds < best->seconds) best = &r;
                }
            if (!best) continue;
            for (const auto& j : jac) {
                if (j.threads != t) continue;
                const SensRow* mine = at100 ? at100 : best;
                std::printf(
                    "  %d thread(s), Jacobian: trainlab B=%lld %.3f s vs PyTorch %-9s "
                    "B=%lld %.3f s%s: %.4f (best trainlab B=%lld: %.4f)\n",
                    t, static_cast<long long>(mine->batch), mine->seconds, j.method.c_str(),
                    static_cast<long long>(j.batch), j.seconds, j.extrapolated ? "*" : "",
                    mine->seconds / j.seconds, static_cast<long long>(best->batch),
                    best->seconds / j.seconds);
            }
            std::printf(
                "  %d thread(s), Jacobian: best trainlab %.3f s vs the issue's 2.1 s: "
                "%.3f\n",
                t, best->seconds, best->seconds / 2.1);
            for (const auto& al : alpha) {
                if (al.threads != t) continue;
                for (const auto& r : alphaRows)
                    if (r.threads == t && r.reestimated == (al.bn == "reestimated"))
                        std::printf(
                            "  %d thread(s), alpha point, BN %-12s: trainlab %.3f s vs "
                            "PyTorch %.3f s: %.3f\n",
                            t, al.bn.c_str(), r.total, al.seconds, r.total / al.seconds);
            }
        }
        std::printf("  (* extrapolated from the batches timed within --ref-max-seconds)\n");
    }
    std::printf("\n%s\n", checkOk ? "check ok" : "CHECK FAILED");
    return checkOk ? 0 : 1;
}
