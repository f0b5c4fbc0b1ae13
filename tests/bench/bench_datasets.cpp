// Dataset loading and batch iteration speed, side by side with plain Python (numpy/gzip, PIL).
//   bench_datasets [--cifar DIR] [--with-reference]
// Prints seconds and ratios; not a test.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "dataset_catalog.h"
#include "image_folder.h"
#include "image_tensors.h"
#include "mlp.h"
#include "mlp_fast.h"

using namespace trainlab;
using Clock = std::chrono::steady_clock;

namespace {
double since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

std::map<std::string, double> runReference(const std::string& fashion, const std::string& cifar) {
    std::map<std::string, double> out;
    const std::string cmd = "/usr/bin/python3 " TRAINLAB_SOURCE_DIR
                            "/tests/bench/reference_datasets.py '" +
                            fashion + "' '" + cifar + "' 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    char line[512];
    while (std::fgets(line, sizeof line, p)) {
        char name[128];
        double v = 0;
        if (std::sscanf(line, "%127s %lf", name, &v) == 2)
            out[name] = v;
        else
            std::fputs(line, stderr);
    }
    ::pclose(p);
    return out;
}
}  // namespace

int main(int argc, char** argv) {
    torch::set_num_threads(1);
    setBlasThreads(1);
    std::string cifarRoot = TRAINLAB_SOURCE_DIR "/../shared/datasets/cifar10-jpeg";
    bool withReference = false;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--cifar") && i + 1 < argc) cifarRoot = argv[++i];
        if (!std::strcmp(argv[i], "--with-reference")) withReference = true;
    }
    const auto fashionLoc = locateDataset("fashion-mnist", datasetSearchRoots());
    if (!fashionLoc) {
        std::fprintf(
            stderr,
            "bench_datasets: Fashion-MNIST not found (apt-get install dataset-fashion-mnist)\n");
        return 1;
    }
    std::printf("bench_datasets: Fashion-MNIST from %s, CIFAR-10 image folders from %s\n\n",
                fashionLoc->path.c_str(), cifarRoot.c_str());

    // Fashion-MNIST, gzip IDX, train + test, to tensors.
    auto t = Clock::now();
    RawDataset fashion = loadRawDataset(*fashionLoc);
    const ImageTensors train = toTensors(std::move(fashion.train));
    const ImageTensors test = toTensors(std::move(fashion.test));
    const double fashionLoad = since(t);
    std::printf("Fashion-MNIST load (70,000 images, gzip)         %8.3f s\n", fashionLoad);

    // CIFAR-10 image folders: decode (first load) and cached load.
    double cifarFirst = -1, cifarCached = -1;
    std::error_code ec;
    if (fs::is_directory(fs::path(cifarRoot) / "train", ec)) {
        t = Clock::now();
        for (const char* split : {"train", "test"}) {
            const fs::path dir = fs::path(cifarRoot) / split;
            RawImages r = decodeImageFolder(dir, 2);
            writeImageCache(imageCachePath(cifarRoot, split), r, fingerprintFolder(dir));
            toTensors(std::move(r));
        }
        cifarFirst = since(t);
        t = Clock::now();
        for (const char* split : {"train", "test"}) {
            bool cached = false;
            toTensors(loadImageFolder(cifarRoot, split, &cached, 2));
            if (!cached) std::fprintf(stderr, "warning: %s was not served from the cache\n", split);
        }
        cifarCached = since(t);
        std::printf("CIFAR-10 folders, first load (60,000 JPEGs)      %8.3f s\n", cifarFirst);
        std::printf("CIFAR-10 folders, cached load                    %8.3f s\n", cifarCached);
    } else {
        std::printf("CIFAR-10 image folders not found at %s: skipped\n", cifarRoot.c_str());
    }

    // One epoch of shuffled mini-batches of 100, normalised on the fly.
    // The first epoch also allocates the batch buffers; report the median of the next five.
    BatchIterator it(train, {0.2860f}, {0.3530f}, 100, true, 0);
    torch::Tensor x, y;
    std::vector<double> epochs;
    for (int e = 0; e < 6; ++e) {
        it.startEpoch(e);
        t = Clock::now();
        while (it.next(x, y)) {
        }
        if (e > 0) epochs.push_back(since(t));
    }
    std::sort(epochs.begin(), epochs.end());
    const double epochBatches = epochs[epochs.size() / 2];
    std::printf("One epoch of batches (600 x 100, shuffled)       %8.3f s  (median of 5)\n",
                epochBatches);

    // A training epoch of the 2-1 MLP (784-128-64-10, SGD lr 1e-3, batch 100) for scale.
    MlpSpec spec{{784, 128, 64, 10}, Activation::ReLU, 0};
    Mlp model(spec, 1);
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(1e-3));
    it.startEpoch(1);
    double iterOnly = 0;
    t = Clock::now();
    for (;;) {
        const auto tb = Clock::now();
        if (!it.next(x, y)) break;
        iterOnly += since(tb);
        opt.zero_grad();
        auto loss =
            torch::nn::functional::cross_entropy(model->forward(x.view({x.size(0), -1})), y);
        loss.backward();
        opt.step();
    }
    const double epochTrain = since(t);
    std::printf(
        "Training epoch of the 784-128-64-10 MLP          %8.3f s  (batches: %.1f%% of it inside "
        "the loop, "
        "%.1f%% by the median epoch)\n\n",
        epochTrain, 100 * iterOnly / epochTrain, 100 * epochBatches / epochTrain);

    if (withReference) {
        const auto ref = runReference(fashionLoc->path.string(), cifarFirst >= 0 ? cifarRoot : "");
        auto row = [&](const char* what, const char* key, double ours) {
            const auto f = ref.find(key);
            if (f == ref.end() || ours < 0) return;
            std::printf("%-44s trainlab %8.3f s   Python %8.3f s   %5.1fx faster\n", what, ours,
                        f->second, f->second / ours);
        };
        std::printf("Against the Python reference (tests/bench/reference_datasets.py):\n");
        row("Fashion-MNIST load", "fashion_load", fashionLoad);
        row("CIFAR-10 folders, first load", "cifar_folder_load", cifarFirst);
        row("CIFAR-10 folders, cached load", "cifar_folder_load", cifarCached);
        row("One epoch of batches", "epoch_batches", epochBatches);
    }
    return 0;
}
