// Helpers shared by the CNN benchmarks (bench_cnn, bench_flatness): timing, thread settings,
// the machine's matrix-product peak, the load average, list options and the Fashion-MNIST
// data set they run on.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "dataset_catalog.h"
#include "image_tensors.h"
#include "mlp_fast.h"  // setBlasThreads

namespace bench {

using Clock = std::chrono::steady_clock;

inline double since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

/// OpenBLAS threads during training (--blas-threads; 0: as many as the torch threads). One by
/// default, as in the other benchmarks: the FC layers are tiny, and OpenBLAS's own thread
/// pool would otherwise compete with OpenMP's workers for the two cores.
inline int gBlasThreads = 1;

inline int blasThreadsFor(int t) {
    return gBlasThreads > 0 ? gBlasThreads : t;
}

inline void setThreads(int t, int blas) {
    torch::set_num_threads(t);       // ATen / oneDNN (OpenMP): convolutions, pooling, BatchNorm
    trainlab::setBlasThreads(blas);  // OpenBLAS, which set_num_threads does not reach: FCs, mm
}

/// Best-of-5 GFLOP/s of a 2048x2048 float32 torch::mm (2n^3 FLOPs) with `threads` threads.
inline double matmulPeak(int threads) {
    setThreads(threads, threads);
    const std::int64_t n = 2048;
    auto a = torch::randn({n, n}), b = torch::randn({n, n}), c = torch::empty({n, n});
    torch::mm_out(c, a, b);  // warm-up
    double best = 1e30;
    for (int r = 0; r < 5; ++r) {
        const auto t = Clock::now();
        torch::mm_out(c, a, b);
        best = std::min(best, since(t));
    }
    return 2.0 * static_cast<double>(n * n * n) / best / 1e9;
}

/// The 1-minute load average, as text ("?" when unknown).
inline std::string loadAverage() {
    FILE* f = std::fopen("/proc/loadavg", "r");
    if (!f) return "?";
    char buf[64] = {0};
    const bool ok = std::fscanf(f, "%63s", buf) == 1;
    std::fclose(f);
    return ok ? buf : "?";
}

/// "1,2" -> {1, 2}; values below 1 are dropped.
inline std::vector<int> parseList(const std::string& s) {
    std::vector<int> out;
    size_t start = 0;
    while (start < s.size()) {
        const size_t comma = s.find(',', start);
        const int t = std::atoi(s.substr(start, comma - start).c_str());
        if (t >= 1) out.push_back(t);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

/// Fashion-MNIST from the catalog's search roots, or nullopt after a message naming `program`.
struct Fashion {
    trainlab::ImageDataset data;
    std::string path;
};
inline std::optional<Fashion> loadFashion(const char* program) {
    const auto loc = trainlab::locateDataset("fashion-mnist", trainlab::datasetSearchRoots());
    const trainlab::DatasetSpec* spec = trainlab::findDatasetSpec("fashion-mnist");
    if (!loc || !spec) {
        std::fprintf(stderr,
                     "%s: Fashion-MNIST not found (apt-get install dataset-fashion-mnist)\n",
                     program);
        return std::nullopt;
    }
    return Fashion{trainlab::makeImageDataset(trainlab::loadRawDataset(*loc), *spec, {}),
                   loc->path.string()};
}

}  // namespace bench
