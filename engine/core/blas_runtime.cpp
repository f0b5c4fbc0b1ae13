#include "blas_runtime.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "text_format.h"

namespace trainlab {

namespace {

/// The library file `lib` names, with symbolic links resolved ("" when it cannot be).
std::string resolvedPath(const std::string& lib) {
    char buf[PATH_MAX];
    return ::realpath(lib.c_str(), buf) ? std::string(buf) : lib;
}

/// The BLAS behind a library that is not OpenBLAS, by the symbols it (or what it loads)
/// exports and, for the reference BLAS, by Debian's folder for it.
void nameOtherBlas(BlasProbe& p, void* lib) {
    if (lib && dlsym(lib, "bli_info_get_version_str")) {
        p.kind = BlasKind::Other;
        p.name = "BLIS";
    } else if (lib && (dlsym(lib, "mkl_get_version_string") || dlsym(lib, "MKL_Get_Version_String"))) {
        p.kind = BlasKind::Other;
        p.name = "Intel MKL";
    } else if (lib && dlsym(lib, "ATL_buildinfo")) {
        p.kind = BlasKind::Other;
        p.name = "ATLAS";
    } else if (p.path.find("/blas/") != std::string::npos ||
               p.path.find("netlib") != std::string::npos ||
               p.path.find("refblas") != std::string::npos) {
        p.kind = BlasKind::Reference;
        p.name = "reference BLAS";
    } else {
        p.kind = BlasKind::Other;
        p.name = "unrecognised BLAS";
    }
}

/// LCG numbers in [-1, 1): the same inputs on every machine.
float nextValue(std::uint32_t& s) {
    s = s * 1664525u + 1013904223u;
    return static_cast<float>(s >> 8) / static_cast<float>(1u << 23) - 1.0f;
}

struct Shape {
    int m, n, k;
    bool transA;
    float beta;
    int rowStep;  ///< rows compared: every rowStep-th (the big shape is sampled)
};

/// One product checked; returns the largest error/bound ratio (NaN counts as failing).
double checkShape(SgemmFn sgemm, const Shape& s, bool corrupt, std::uint32_t& seed) {
    const int m = s.m, n = s.n, k = s.k;
    std::vector<float> a(static_cast<size_t>(m) * k), b(static_cast<size_t>(k) * n),
        c(static_cast<size_t>(m) * n);
    for (auto& x : a) x = nextValue(seed);
    for (auto& x : b) x = nextValue(seed);
    for (auto& x : c) x = nextValue(seed);
    const std::vector<float> c0 = c;
    const float alpha = 1.0f;
    const int lda = s.transA ? k : m;
    sgemm(s.transA ? "T" : "N", "N", &m, &n, &k, &alpha, a.data(), &lda, b.data(), &k, &s.beta,
          c.data(), &m);
    if (corrupt) c[0] += 1e-3f * (std::fabs(c[0]) + 1.0f);
    auto A = [&](int i, int l) {
        return static_cast<double>(s.transA ? a[size_t(l) + size_t(i) * k] : a[size_t(i) + size_t(l) * m]);
    };
    const double u = std::ldexp(1.0, -24);
    double worst = 0;
    for (int i = 0; i < m; i += s.rowStep)
        for (int j = 0; j < n; ++j) {
            double ref = 0, mag = 0;
            for (int l = 0; l < k; ++l) {
                const double p = A(i, l) * b[size_t(l) + size_t(j) * k];
                ref += p;
                mag += std::fabs(p);
            }
            const double c0ij = c0[size_t(i) + size_t(j) * m];
            ref += s.beta * c0ij;
            mag += std::fabs(s.beta * c0ij);
            const double bound = 2.0 * (k + 1) * u * mag + 1e-30;
            const double ratio = std::fabs(c[size_t(i) + size_t(j) * m] - ref) / bound;
            if (!(ratio <= worst)) worst = std::isnan(ratio) ? INFINITY : ratio;
        }
    return worst;
}

double secondsOf(SgemmFn sgemm, int n, const float* a, const float* b, float* c) {
    const float one = 1.0f, zero = 0.0f;
    const auto t0 = std::chrono::steady_clock::now();
    sgemm("N", "N", &n, &n, &n, &one, a, &n, b, &n, &zero, c, &n);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

BlasProbe probeBlas() {
    BlasProbe p;
    void* sym = dlsym(RTLD_DEFAULT, "sgemm_");
    if (!sym) {
        p.name = "no BLAS";
        return p;
    }
    p.sgemm = reinterpret_cast<SgemmFn>(sym);
    Dl_info info{};
    std::string loadedAs;
    if (dladdr(sym, &info) && info.dli_fname) loadedAs = info.dli_fname;
    p.path = resolvedPath(loadedAs);
    // Searches that library and what it loads (OpenBLAS's libblas.so.3 is a thin front of
    // libopenblas.so.0), not the whole process: OpenBLAS may be loaded without being used.
    void* lib = loadedAs.empty() ? nullptr : dlopen(loadedAs.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    using TextFn = const char* (*)();
    using IntFn = int (*)();
    auto config = lib ? reinterpret_cast<TextFn>(dlsym(lib, "openblas_get_config")) : nullptr;
    if (config) {
        p.kind = BlasKind::OpenBlas;
        p.name = "OpenBLAS";
        p.config = config() ? config() : "";
        if (auto core = reinterpret_cast<TextFn>(dlsym(lib, "openblas_get_corename")))
            p.coreName = core() ? core() : "";
        if (auto threads = reinterpret_cast<IntFn>(dlsym(lib, "openblas_get_num_threads")))
            p.threads = threads();
    } else {
        nameOtherBlas(p, lib);
    }
    if (lib) dlclose(lib);
    return p;
}

int setOpenBlasThreads(int threads) {
    auto get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    auto set = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    if (!get || !set) return -1;
    const int previous = get();
    set(std::max(1, threads));
    return previous;
}

int openBlasThreads() {
    auto get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    return get ? get() : -1;
}

SelfCheckResult sgemmSelfCheck(SgemmFn sgemm, bool corrupt) {
    SelfCheckResult r;
    if (!sgemm) {
        r.detail = "not run: no sgemm in this process";
        return r;
    }
    static const Shape shapes[] = {{1, 1, 1, false, 0.0f, 1},
                                   {17, 33, 5, true, 0.0f, 1},
                                   {129, 257, 65, false, 0.5f, 1},
                                   {5000, 50, 60, false, 0.0f, 7},
                                   {64, 96, 200, true, 1.0f, 1}};
    std::uint32_t seed = 12345;
    r.ran = true;
    for (const Shape& s : shapes) {
        const double ratio = checkShape(sgemm, s, corrupt && s.m == 129, seed);
        ++r.products;
        r.worstRatio = std::max(r.worstRatio, ratio);
        if (!(ratio <= 1.0)) {
            r.detail = "failed: " + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                       std::to_string(s.k) + " differs from the float64 product by " +
                       formatSignificant(ratio, 3) + " times the float32 rounding bound";
            return r;
        }
    }
    r.passed = true;
    r.detail = "passed: " + std::to_string(r.products) +
               " products against float64, largest error " + formatSignificant(r.worstRatio, 2) +
               " of the float32 rounding bound";
    return r;
}

GemmRate measureSgemm(SgemmFn sgemm, int maxSize, int repeats, double budgetSeconds) {
    GemmRate g;
    if (!sgemm || maxSize < 1 || repeats < 1) return g;
    std::uint32_t seed = 99;
    const size_t cap = static_cast<size_t>(maxSize) * maxSize;
    std::vector<float> a(cap), b(cap), c(cap);
    for (auto& x : a) x = nextValue(seed);
    for (auto& x : b) x = nextValue(seed);
    const int probe = std::min(256, maxSize);
    const double t0 = secondsOf(sgemm, probe, a.data(), b.data(), c.data());
    const double rate = 2.0 * probe * probe * probe / std::max(t0, 1e-9);  // flop/s
    int n = probe;
    for (int size : {1024, 768, 512, 384, 256})
        if (size <= maxSize && 2.0 * size * size * size / rate * repeats <= budgetSeconds) {
            n = size;
            break;
        }
    double best = 1e300, total = t0;
    for (int r = 0; r < repeats; ++r) {
        const double t = secondsOf(sgemm, n, a.data(), b.data(), c.data());
        best = std::min(best, t);
        total += t;
        ++g.repeats;
        if (total > 2 * budgetSeconds) break;  // a BLAS far slower than the warm-up said
    }
    g.size = n;
    g.seconds = total;
    g.gflops = 2.0 * n * n * n / std::max(best, 1e-12) / 1e9;
    return g;
}

std::string onednnIsa() {
    auto isa = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "dnnl_get_effective_cpu_isa"));
    if (!isa) return {};
    auto name = reinterpret_cast<const char* (*)(int)>(dlsym(RTLD_DEFAULT, "dnnl_cpu_isa2str"));
    const int value = isa();
    const char* text = name ? name(value) : nullptr;
    if (text && *text) {
        const std::string s = text;  // "cpu_isa_avx512_core_bf16" → "avx512_core_bf16"
        return s.rfind("cpu_isa_", 0) == 0 ? s.substr(8) : s;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "isa 0x%x", static_cast<unsigned>(value));
    return buf;
}

}  // namespace trainlab
