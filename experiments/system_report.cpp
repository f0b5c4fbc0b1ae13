#include "system_report.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <sstream>

#include "kernel_startup.h"

namespace trainlab {

namespace {

/// ATen's kernel level from show_config()'s "CPU capability usage: AVX512" line.
std::string atenCapability() {
    std::istringstream in(torch::show_config());
    const std::string key = "CPU capability usage:";
    for (std::string line; std::getline(in, line);)
        if (const auto at = line.find(key); at != std::string::npos) {
            std::string v = line.substr(at + key.size());
            v.erase(0, v.find_first_not_of(' '));
            return v;
        }
    return "";
}

}  // namespace

TorchFacts torchFacts() {
    TorchFacts f;
    f.version = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) +
                "." + std::to_string(TORCH_VERSION_PATCH);
    f.threads = torch::get_num_threads();
    f.atenCapability = atenCapability();
    f.cudaUsable = torch::cuda::is_available();
    f.cudaNote = f.cudaUsable
                     ? std::to_string(torch::cuda::device_count()) + " CUDA device(s)"
                     : "torch::cuda::is_available() is false: this libtorch has no usable CUDA "
                       "device (Debian's libtorch is built for the CPU only)";
    return f;
}

nlohmann::json runEnvironmentJson() {
    nlohmann::json env = kernelEnvironmentJson();
    const TorchFacts t = torchFacts();
    env["torch"] = {{"version", t.version},
                    {"threads", t.threads},
                    {"aten_cpu_capability", t.atenCapability},
                    {"cuda", t.cudaUsable}};
    return env;
}

}  // namespace trainlab
