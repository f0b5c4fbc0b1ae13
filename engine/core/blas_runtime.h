// The BLAS and oneDNN this process actually runs, found at run time with dlsym: libtorch from
// Debian calls the Fortran sgemm_ of whatever libblas.so.3 the alternatives system points at
// (OpenBLAS, the reference BLAS, BLIS …), so trainlab asks the loaded libraries rather than
// linking one. Also the sgemm self-check against float64 and a single-thread GEMM rate.
// Plain C++ (no torch, no Qt); everything here answers "absent" when nothing is loaded.
#pragma once

#include <string>

namespace trainlab {

/// Fortran BLAS sgemm_ (column-major), the entry libtorch calls.
using SgemmFn = void (*)(const char* transa, const char* transb, const int* m, const int* n,
                         const int* k, const float* alpha, const float* a, const int* lda,
                         const float* b, const int* ldb, const float* beta, float* c,
                         const int* ldc);

enum class BlasKind { None, OpenBlas, Reference, Other };

/// Where sgemm_ comes from and, for OpenBLAS, what it says about itself.
struct BlasProbe {
    BlasKind kind = BlasKind::None;
    SgemmFn sgemm = nullptr;
    std::string path;      ///< the library file sgemm_ resolves to
    std::string name;      ///< "OpenBLAS", "reference BLAS", "BLIS", "Intel MKL", "unrecognised BLAS", "no BLAS"
    std::string config;    ///< openblas_get_config(): "OpenBLAS 0.3.21 … DYNAMIC_ARCH …"
    std::string coreName;  ///< openblas_get_corename(): "Cooperlake", "Prescott" …
    int threads = 0;       ///< openblas_get_num_threads(); 0 when not OpenBLAS
    /// OPENBLAS_CORETYPE only works in a DYNAMIC_ARCH build (one library, every kernel family).
    bool dynamicArch() const { return config.find("DYNAMIC_ARCH") != std::string::npos; }
};

/// Looks sgemm_ up in the process (RTLD_DEFAULT), names the library it lives in (dladdr) and,
/// when that library or its dependencies export openblas_get_config, asks OpenBLAS for its
/// config, core and threads. Never throws.
BlasProbe probeBlas();

/// OpenBLAS's thread count set to `threads`; returns the previous count, -1 without OpenBLAS.
int setOpenBlasThreads(int threads);
/// OpenBLAS's thread count now, -1 without OpenBLAS.
int openBlasThreads();

/// The self-check: sgemm on awkward shapes (1×1×1, 17×33×5 with A transposed, 129×257×65,
/// 5000×50×60 as the f1 model's layer, beta ≠ 0) against a float64 product of the same
/// float32 inputs. An element passes when |c − ref| ≤ 2·k·u·(|A||B|) + tiny (u = 2⁻²⁴, the
/// float32 rounding bound of a k-term dot product, doubled for blocked summation orders).
struct SelfCheckResult {
    bool ran = false;
    bool passed = false;
    int products = 0;
    double worstRatio = 0;  ///< largest |error| / bound over all elements (passes ≤ 1)
    std::string detail;     ///< "passed: 5 products …" or the first failing element
};
/// `corrupt` (tests: TRAINLAB_TEST_BLAS_SELFCHECK_FAIL) changes one result element by 0.1% of
/// its magnitude after sgemm, a wrong answer the check must catch. `sgemm` null: not run.
SelfCheckResult sgemmSelfCheck(SgemmFn sgemm, bool corrupt = false);

/// A float32 GEMM rate on the calling thread's BLAS setting (callers set one thread).
struct GemmRate {
    double gflops = 0;
    int size = 0;     ///< n of the n×n×n products timed
    int repeats = 0;  ///< products timed (the best one counts)
    double seconds = 0;  ///< total time spent, warm-up included
};
/// The best of up to `repeats` n×n×n products, n ≤ `maxSize`, chosen from a 256³ warm-up so
/// that all of it stays under about `budgetSeconds` even with a slow BLAS.
GemmRate measureSgemm(SgemmFn sgemm, int maxSize = 1024, int repeats = 3,
                      double budgetSeconds = 0.8);

/// oneDNN's instruction set as it will dispatch (dnnl_get_effective_cpu_isa, named by
/// dnnl_cpu_isa2str: "avx512_core_bf16"); "" when no oneDNN is loaded.
std::string onednnIsa();

}  // namespace trainlab
