// The element-wise loops and the BLAS call shared by the fused MLP passes (mlp_fast.cpp: loss
// and gradient; mlp_fast_hvp.cpp: ‖∇L‖² and its gradient). Internal to engine/nn.
// Row-major layout throughout: an activation of layer i is [rows, width]. BLAS is
// column-major, so a row-major [r, c] matrix is passed as a column-major [c, r] one.
#pragma once

#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace trainlab::mlp_kernels {

// The loops below are plain loops over raw pointers, written branch-free so that they
// vectorise. The build is -O2, where GCC 12 vectorises almost nothing; they need -O3's
// vectoriser (SSE2 baseline; measured: without it they cost as much as the GEMMs).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("O3")
#endif

inline constexpr std::int64_t kTorchGrain = 32768;  // at::internal::GRAIN_SIZE: smaller runs
                                                    // stay serial

// z[r, j] += b[j]; then LeakyReLU/ReLU (slope 0) in place.
inline void biasLeaky(float* __restrict z, const float* __restrict b, std::int64_t rows,
                      std::int64_t w, float slope) {
    for (std::int64_t r = 0; r < rows; ++r) {
        float* zr = z + r * w;
        for (std::int64_t j = 0; j < w; ++j) {
            const float v = zr[j] + b[j];
            zr[j] = std::max(v, v * slope);  // = leaky(v) for slope in [0, 1]
        }
    }
}

inline void biasOnly(float* __restrict z, const float* __restrict b, std::int64_t rows,
                     std::int64_t w) {
    for (std::int64_t r = 0; r < rows; ++r) {
        float* zr = z + r * w;
        for (std::int64_t j = 0; j < w; ++j) zr[j] += b[j];
    }
}

// First layer with a single input: z[r, j] = x[r] * W[j] + b[j] (then activation if leaky).
inline void outerBias(float* __restrict z, const float* __restrict x, const float* __restrict wcol,
                      const float* __restrict b, std::int64_t rows, std::int64_t w, bool leaky,
                      float slope) {
    for (std::int64_t r = 0; r < rows; ++r) {
        float* zr = z + r * w;
        const float xr = x[r];
        if (leaky) {
            for (std::int64_t j = 0; j < w; ++j) {
                const float v = xr * wcol[j] + b[j];
                zr[j] = std::max(v, v * slope);  // = leaky(v) for slope in [0, 1]
            }
        } else {
            for (std::int64_t j = 0; j < w; ++j) zr[j] = xr * wcol[j] + b[j];
        }
    }
}

// d = out - y; loss += d²; out = d * scale (flat over rows * w).
inline double mseGrad(float* __restrict out, const float* __restrict y, std::int64_t count,
                      float scale) {
    double loss = 0;
    for (std::int64_t k = 0; k < count; ++k) {
        const float d = out[k] - y[k];
        loss += static_cast<double>(d * d);
        out[k] = d * scale;
    }
    return loss;
}

// Column sums of d[rows, w] (each row times x[r] when x is given) added to gb: float partial
// sums over blocks of rows (vectorised), flushed into double.
inline constexpr std::int64_t kSumBlock = 64;
inline constexpr std::int64_t kMaxWidthOnStack = 512;

inline void columnSums(const float* __restrict d, const float* __restrict x, std::int64_t rows,
                       std::int64_t w, double* __restrict gb) {
    float part[kMaxWidthOnStack];
    for (std::int64_t c0 = 0; c0 < w; c0 += kMaxWidthOnStack) {
        const std::int64_t cw = std::min(kMaxWidthOnStack, w - c0);
        for (std::int64_t r0 = 0; r0 < rows; r0 += kSumBlock) {
            const std::int64_t r1 = std::min(rows, r0 + kSumBlock);
            for (std::int64_t j = 0; j < cw; ++j) part[j] = 0.f;
            for (std::int64_t r = r0; r < r1; ++r) {
                const float* dr = d + r * w + c0;
                if (x) {
                    const float xr = x[r];
                    for (std::int64_t j = 0; j < cw; ++j) part[j] += dr[j] * xr;
                } else {
                    for (std::int64_t j = 0; j < cw; ++j) part[j] += dr[j];
                }
            }
            for (std::int64_t j = 0; j < cw; ++j) gb[c0 + j] += part[j];
        }
    }
}

// dz = da * f'(a) in place (flat over rows * w); for LeakyReLU/ReLU f'(a) = a > 0 ? 1 : slope
// (a > 0 exactly when z > 0 for slope >= 0), for tanh 1 - a².
// GCC turns the scalar select into a branch (and then neither vectorises nor predicts it);
// vector extensions make it a blend.
typedef float Floats4 __attribute__((vector_size(16)));  // SSE2 baseline width
typedef std::int32_t Ints4 __attribute__((vector_size(16)));

inline void leakyBackward(float* __restrict d, const float* __restrict a, std::int64_t count,
                          float slope) {
    std::int64_t k = 0;
    for (; k + 4 <= count; k += 4) {
        Floats4 dv, av;
        std::memcpy(&dv, d + k, sizeof dv);
        std::memcpy(&av, a + k, sizeof av);
        const Ints4 positive = av > 0.f;
        const Floats4 r = positive ? dv : dv * slope;
        std::memcpy(d + k, &r, sizeof r);
    }
    for (; k < count; ++k) d[k] = a[k] > 0.f ? d[k] : d[k] * slope;
}

inline void tanhBackward(float* __restrict d, const float* __restrict a, std::int64_t count) {
    for (std::int64_t k = 0; k < count; ++k) d[k] *= 1.f - a[k] * a[k];
}

// out = d * (1 - a²), out of place (tanh keeps d = dL/da for its second-order term).
inline void tanhBackwardTo(float* __restrict out, const float* __restrict d,
                           const float* __restrict a, std::int64_t count) {
    for (std::int64_t k = 0; k < count; ++k) out[k] = d[k] * (1.f - a[k] * a[k]);
}

// The R-operator's tanh term: rd = rd·(1 − a²) + da·σ''(z)·R{z}, with σ''(z) = −2a(1 − a²)
// and R{a} = (1 − a²)·R{z}, so the second term is −2·a·da·R{a}.
inline void tanhRBackward(float* __restrict rd, const float* __restrict a,
                          const float* __restrict da, const float* __restrict ra,
                          std::int64_t count) {
    for (std::int64_t k = 0; k < count; ++k)
        rd[k] = rd[k] * (1.f - a[k] * a[k]) - 2.f * a[k] * da[k] * ra[k];
}

// out = in * scale (flat).
inline void scaledCopy(float* __restrict out, const float* __restrict in, std::int64_t count,
                       float scale) {
    for (std::int64_t k = 0; k < count; ++k) out[k] = in[k] * scale;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

inline torch::Tensor rowView(const float* p, std::int64_t rows, std::int64_t cols,
                             std::int64_t ld) {
    return torch::from_blob(const_cast<float*>(p), {rows, cols}, {ld, 1},
                            torch::TensorOptions().dtype(torch::kFloat32));
}

inline void* findSymbol(const char* name) {
    return dlsym(RTLD_DEFAULT, name);
}

using SgemmFn = void (*)(const char*, const char*, const int*, const int*, const int*, const float*,
                         const float*, const int*, const float*, const int*, const float*, float*,
                         const int*);

/// OpenBLAS's sgemm_ when the process has it (called directly, skipping ATen's dispatcher).
inline SgemmFn findSgemm() {
    return reinterpret_cast<SgemmFn>(findSymbol("sgemm_"));
}

/// Column-major C[m, n] = alpha·op(A)·op(B) + beta·C, through `sgemm` when given, else ATen.
inline void blasGemm(SgemmFn sgemm, bool transA, bool transB, std::int64_t m, std::int64_t n,
                     std::int64_t k, float alpha, const float* a, std::int64_t lda, const float* b,
                     std::int64_t ldb, float beta, float* c, std::int64_t ldc) {
    if (sgemm) {
        const char ta = transA ? 'T' : 'N', tb = transB ? 'T' : 'N';
        const int im = static_cast<int>(m), in = static_cast<int>(n), ik = static_cast<int>(k);
        const int ia = static_cast<int>(lda), ib = static_cast<int>(ldb),
                  ic = static_cast<int>(ldc);
        sgemm(&ta, &tb, &im, &in, &ik, &alpha, a, &ia, b, &ib, &beta, c, &ic);
        return;
    }
    // Row-major view: C^T[n, m] = op(B)^T op(A)^T.
    auto ct = rowView(c, n, m, ldc);
    auto bt = transB ? rowView(b, k, n, ldb).t() : rowView(b, n, k, ldb);
    auto at = transA ? rowView(a, m, k, lda).t() : rowView(a, k, m, lda);
    if (beta == 0.f) {
        at::mm_out(ct, bt, at);
        if (alpha != 1.f) ct.mul_(alpha);
    } else {
        ct.addmm_(bt, at, beta, alpha);
    }
}

}  // namespace trainlab::mlp_kernels
