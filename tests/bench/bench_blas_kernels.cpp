// bench_blas_kernels: float32 GEMM GFLOP/s at one thread under the current environment, for
// docs/benchmarks.md's "Which kernels" table. Run it once per OPENBLAS_CORETYPE value:
//
//   for c in "" Haswell SkylakeX Cooperlake; do OPENBLAS_CORETYPE=$c bench_blas_kernels; done
//
// Two shapes: 2048×2048×2048 (large, compute-bound) and 5000×50×60 (the f1 model's layer:
// 5,000 points, 60 → 50 units). Each through the BLAS's sgemm_ directly and through
// torch::mm (libtorch's path to the same sgemm_). No start-up kernel choice here: the
// benchmark measures exactly the kernels the environment gives. A benchmark, not a test.
//
//   bench_blas_kernels [--repeats N=5]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "blas_runtime.h"
#include "cpu_features.h"

using namespace trainlab;

namespace {

double seconds(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Shape {
    int m, n, k;
    int inner;  ///< products per timing (small shapes: enough to time reliably)
};

/// Best GFLOP/s of `repeats` timings of `inner` products through sgemm_.
double sgemmRate(SgemmFn sgemm, const Shape& s, int repeats) {
    std::vector<float> a(size_t(s.m) * s.k, 0.5f), b(size_t(s.k) * s.n, 0.25f),
        c(size_t(s.m) * s.n);
    const float one = 1.0f, zero = 0.0f;
    double best = 1e300;
    for (int r = 0; r < repeats + 1; ++r) {  // +1: the first warms the caches and threads
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < s.inner; ++i)
            sgemm("N", "N", &s.m, &s.n, &s.k, &one, a.data(), &s.m, b.data(), &s.k, &zero,
                  c.data(), &s.m);
        if (r > 0) best = std::min(best, seconds(t0) / s.inner);
    }
    return 2.0 * s.m * s.n * s.k / best / 1e9;
}

/// The same through torch::mm ([m, k] · [k, n], float32, row-major).
double torchRate(const Shape& s, int repeats) {
    const auto a = torch::full({s.m, s.k}, 0.5f), b = torch::full({s.k, s.n}, 0.25f);
    auto c = torch::empty({s.m, s.n});
    double best = 1e300;
    for (int r = 0; r < repeats + 1; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < s.inner; ++i) torch::mm_out(c, a, b);
        if (r > 0) best = std::min(best, seconds(t0) / s.inner);
    }
    return 2.0 * s.m * s.n * s.k / best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    int repeats = 5;
    for (int i = 1; i < argc; ++i)
        if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::atoi(argv[++i]);
    repeats = std::max(1, repeats);
    torch::set_num_threads(1);
    setOpenBlasThreads(1);  // torch's setting does not reach OpenBLAS
    const BlasProbe blas = probeBlas();
    if (!blas.sgemm) {
        std::fprintf(stderr, "bench_blas_kernels: no sgemm_ in this process\n");
        return 1;
    }
    const CpuFeatures cpu = detectCpuFeatures();
    const char* coretype = std::getenv("OPENBLAS_CORETYPE");
    std::printf("CPU: %s (family %d, model %d)\n", cpu.modelName.c_str(), cpu.family, cpu.model);
    std::printf("BLAS: %s [%s]  core %s  OPENBLAS_CORETYPE=%s  threads 1\n", blas.name.c_str(),
                blas.config.c_str(), blas.coreName.empty() ? "-" : blas.coreName.c_str(),
                coretype && *coretype ? coretype : "(unset)");
    const Shape shapes[] = {{2048, 2048, 2048, 1}, {5000, 50, 60, 50}};
    for (const Shape& s : shapes) {
        const double direct = sgemmRate(blas.sgemm, s, repeats);
        const double viaTorch = torchRate(s, repeats);
        std::printf("%dx%dx%d (m x n x k)  sgemm_ %.1f GFLOP/s  torch::mm %.1f GFLOP/s\n", s.m,
                    s.n, s.k, direct, viaTorch);
    }
    return 0;
}
