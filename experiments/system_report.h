// libtorch's side of the environment a run records and `trainlab-cli doctor` reports: its
// version, threads, ATen's vectorised kernel level and whether CUDA is usable. Torch-free
// header (the app and the CLI include it); the BLAS and CPU part is engine/core's
// kernel_startup.h.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace trainlab {

struct TorchFacts {
    std::string version;          ///< "1.13.1"
    int threads = 0;              ///< torch::get_num_threads() on this thread
    std::string atenCapability;   ///< "AVX512" (torch::show_config's "CPU capability usage")
    bool cudaUsable = false;      ///< torch::cuda::is_available()
    std::string cudaNote;         ///< why not, in words
};
TorchFacts torchFacts();

/// config.json's "environment" block: kernelEnvironmentJson() plus {"torch": {version,
/// threads, aten_cpu_capability, cuda}}.
nlohmann::json runEnvironmentJson();

}  // namespace trainlab
