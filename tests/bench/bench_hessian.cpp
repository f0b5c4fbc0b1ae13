// bench_hessian: the exact Hessian and spectrum of experiment 2-3 (the 599-parameter MLP's MSE
// over 6,000 points of 2·cosh), by generic double back-propagation (denseHessian) and by the
// MLP closed form (mlpMseHessian), optionally beside plain PyTorch
// (tests/bench/reference_hessian.py: torch.autograd.functional.hessian + eigvalsh). Also
// estimates the Hessian part of the default 100-run experiment, and times phase 2's step
// (‖∇L‖² and its gradient) by double back-propagation and by the fused R-operator pass
// (mlp_fast_hvp.h) side by side. A benchmark, not a test.
//
//   bench_hessian [--runs R=100] [--repeat K=5] [--with-reference] [--skip-dense]
#include <torch/torch.h>

#include <dlfcn.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "function_data.h"
#include "hessian.h"
#include "mlp.h"
#include "mlp_fast.h"
#include "mlp_fast_hvp.h"

#ifndef TRAINLAB_SOURCE_DIR
#define TRAINLAB_SOURCE_DIR "."
#endif

using namespace trainlab;

namespace {

double now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

struct Timing {
    double hessian = 0, spectrum = 0;
    double total() const { return hessian + spectrum; }
    double ratio = 0;
};

template <class F>
Timing timeOnce(F&& hessianFn, Eigen::MatrixXd* out = nullptr) {
    Timing t;
    const double t0 = now();
    Eigen::MatrixXd h = hessianFn();
    const double t1 = now();
    const auto s = hessianSpectrum(h, 1e-6);
    const double t2 = now();
    t.hessian = t1 - t0;
    t.spectrum = t2 - t1;
    t.ratio = s.minimalRatio;
    if (out) *out = std::move(h);
    return t;
}

/// Best of the reference's repeats (total seconds), or -1.
Timing runReference() {
    Timing best;
    best.hessian = -1;
    const std::string cmd =
        "/usr/bin/python3 " TRAINLAB_SOURCE_DIR "/tests/bench/reference_hessian.py 2 1 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return best;
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
        double h = 0, e = 0, tot = 0, ratio = 0;
        if (std::sscanf(line, "hessian_s=%lf eig_s=%lf total_s=%lf ratio=%lf", &h, &e, &tot,
                        &ratio) == 4) {
            if (best.hessian < 0 || tot < best.total()) {
                best.hessian = h;
                best.spectrum = e;
                best.ratio = ratio;
            }
        } else {
            std::printf("  reference: %s", line);
        }
    }
    pclose(p);
    return best;
}

void row(const char* name, const Timing& t) {
    std::printf("%-34s %10.4f %10.4f %10.4f %8.4f\n", name, t.hessian, t.spectrum, t.total(),
                t.ratio);
}

double threadCpu() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

/// Milliseconds per call of `fn` on the data over `steps` calls (after one warm-up call):
/// wall clock, and this thread's CPU time (steadier when other processes share the cores).
struct StepTime {
    double wall = 1e30, cpu = 1e30;
    void keepBest(const StepTime& o) {
        wall = std::min(wall, o.wall);
        cpu = std::min(cpu, o.cpu);
    }
};

StepTime msPerStep(const LossGradFn& fn, const FunctionDataset& data, int steps) {
    fn(data.x, data.y);
    const double t0 = now(), c0 = threadCpu();
    for (int i = 0; i < steps; ++i) fn(data.x, data.y);
    return {1e3 * (now() - t0) / steps, 1e3 * (threadCpu() - c0) / steps};
}

torch::Tensor flatGrads(Mlp& model) {
    std::vector<torch::Tensor> parts;
    for (const auto& p : model->parameters()) parts.push_back(p.grad().reshape(-1));
    return torch::cat(parts).to(torch::kFloat64);
}

/// Phase 2's step (‖∇L‖² and its gradient) by libtorch's double back-propagation and by the
/// fused R-operator pass, side by side on the same model, with their difference; then the
/// fused one by block size (rows per block).
void benchPhase2(Mlp& model, const FunctionDataset& data) {
    auto params = model->parameters();
    const auto autograd = gradNormSquaredLossGrad(
        [&](const torch::Tensor& xb) { return model->forward(xb); }, params);
    const auto fused = makeFusedGradNormSquared(model);
    const double vA = autograd(data.x, data.y);
    const auto gA = flatGrads(model);
    const double vF = fused(data.x, data.y);
    const auto gF = flatGrads(model);
    const double gradDiff = (gF - gA).abs().max().item<double>() / gA.abs().max().item<double>();
    const int steps = 100;
    StepTime a, f;
    for (int rep = 0; rep < 5; ++rep) {  // interleaved, best of 5: a busy neighbour hits both
        a.keepBest(msPerStep(autograd, data, steps / 2));
        f.keepBest(msPerStep(fused, data, steps));
    }
    std::printf("\nphase 2 step (‖∇L‖² and 2·H·∇L), best of 5:      wall ms    CPU ms\n");
    std::printf("  autograd (gradNormSquaredLossGrad)        %8.3f  %8.3f\n", a.wall, a.cpu);
    std::printf("  fused (FusedMlpGradNormSquared)           %8.3f  %8.3f\n", f.wall, f.cpu);
    std::printf("  fused / autograd = %.3f wall, %.3f CPU (target <= 0.25)\n", f.wall / a.wall,
                f.cpu / a.cpu);
    std::printf("  ‖∇L‖²: %.9g vs %.9g (rel. diff %.2g); gradient max rel. diff %.2g\n", vF, vA,
                std::abs(vF - vA) / vA, gradDiff);
    std::printf("  fused, CPU ms by rows per block:");
    for (std::int64_t block : {64, 128, 256, 512, 1024, 2048, 6000}) {
        auto impl = std::make_shared<FusedMlpGradNormSquared>(model, block);
        const LossGradFn fn = [impl](const torch::Tensor& x, const torch::Tensor& y) {
            return (*impl)(x, y);
        };
        std::printf(" %lld: %.3f;", static_cast<long long>(block), msPerStep(fn, data, steps).cpu);
    }
    std::printf("\n\n");
}

/// OpenBLAS's kernel family ("Haswell", "Zen", "Prescott", ...), or "n/a".
const char* blasCore() {
    using CoreFn = char* (*)();
    auto fn = reinterpret_cast<CoreFn>(dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    return fn ? fn() : "n/a";
}
}  // namespace

int main(int argc, char** argv) {
    int runs = 100, repeat = 5;
    bool withReference = false, skipDense = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = std::atoi(argv[++i]);
        else if (!std::strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = std::max(1, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--with-reference"))
            withReference = true;
        else if (!std::strcmp(argv[i], "--skip-dense"))
            skipDense = true;
        else {
            std::fprintf(stderr,
                         "usage: %s [--runs R] [--repeat K] [--with-reference] [--skip-dense]\n",
                         argv[0]);
            return 2;
        }
    }
    torch::set_num_threads(1);
    const int blas = setBlasThreads(1);
    std::printf("bench_hessian: 1 torch thread, OpenBLAS threads %s, OpenBLAS core %s\n",
                blas < 0 ? "n/a (not OpenBLAS)" : "1", blasCore());

    const auto data =
        makeFunctionDataset(TargetFunction::TwoCosh, {-3, 3, 0, 0.001}, {-3, 3, 100, 0}, false);
    const MlpSpec spec{{1, 12, 10, 18, 8, 6, 5, 1}, Activation::LeakyReLU, 0.2};
    Mlp model(spec, 1);
    std::printf("net 1-12-10-18-8-6-5-1 (%lld parameters), %lld points, float32 model\n\n",
                static_cast<long long>(model->parameterCount()),
                static_cast<long long>(data.x.size(0)));

    std::printf("%-34s %10s %10s %10s %8s\n", "method", "hessian_s", "eig_s", "total_s", "ratio");
    Eigen::MatrixXd dense, fast;
    Timing denseT;
    if (!skipDense) {
        denseT = timeOnce(
            [&] {
                return denseHessian(model->parameters(), [&] {
                    return torch::mse_loss(model->forward(data.x), data.y);
                });
            },
            &dense);
        row("denseHessian (autograd, C++)", denseT);
    }
    Timing fastT;
    fastT.hessian = 1e30;
    for (int r = 0; r < repeat; ++r) {
        const Timing t = timeOnce([&] { return mlpMseHessian(model, data.x, data.y); }, &fast);
        if (t.total() < fastT.total()) fastT = t;
    }
    row("mlpMseHessian (closed form, best)", fastT);
    Timing ref;
    if (withReference) {
        ref = runReference();
        if (ref.hessian >= 0)
            row("PyTorch reference (best of 2)", ref);
        else
            std::printf("reference: could not run /usr/bin/python3\n");
    }
    std::printf("\n");
    if (!skipDense) {
        const double diff = (fast - dense).cwiseAbs().maxCoeff() / dense.cwiseAbs().maxCoeff();
        std::printf("max |fast - dense| / max |dense| = %.3g\n", diff);
        std::printf("closed form vs denseHessian: %.1fx faster\n", denseT.total() / fastT.total());
    }
    if (withReference && ref.hessian >= 0)
        std::printf("closed form vs PyTorch reference: %.1fx faster (target >= 4x)\n",
                    ref.total() / fastT.total());

    benchPhase2(model, data);
    if (runs > 0) {
        double hess = 0, eig = 0;
        for (int r = 0; r < runs; ++r) {
            Mlp m(spec, 1000 + r);
            const Timing t = timeOnce([&] { return mlpMseHessian(m, data.x, data.y); });
            hess += t.hessian;
            eig += t.spectrum;
        }
        std::printf(
            "%d x (Hessian + spectrum), fresh models: %.2f s (Hessian %.2f s, spectrum %.2f s), "
            "%.1f ms per run\n",
            runs, hess + eig, hess, eig, 1e3 * (hess + eig) / runs);
    }
    return 0;
}
