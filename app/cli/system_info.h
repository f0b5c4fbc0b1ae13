// One report a user can paste into a bug: `trainlab-cli doctor` prints it (text or --json)
// and Help → System information shows it with a Copy button. Program and library versions,
// the CPU, the BLAS and the kernels chosen at start-up (kernel_startup.h) with the reason, a
// measured single-thread GEMM rate against the core's theoretical peak, oneDNN's ISA, CUDA,
// the datasets found and the runs folder. Each problem found comes with advice.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace trainlab {

struct SystemInfoRequest {
    std::filesystem::path dataDir;   ///< searched first for datasets (--data-dir); may be empty
    std::filesystem::path runsRoot;  ///< the runs folder checked; empty: there is none
    std::string runsRootProblem;     ///< why there is none (defaultRunsRoot's reason)
    bool measureGemm = true;         ///< time float32 GEMM (under a second)
};

struct SystemProblem {
    std::string problem;  ///< "the reference BLAS is in use …"
    std::string advice;   ///< "install libopenblas0-pthread …"
};

struct SystemInfo {
    nlohmann::json report;  ///< every section, and "problems" [{problem, advice}]
    std::vector<SystemProblem> problems;
};

/// Collects the report. Never throws: what cannot be read is reported as such.
SystemInfo collectSystemInfo(const SystemInfoRequest& request);

/// The report as text, one labelled line per fact, then the problems with their advice or
/// "No problems found.".
std::string systemInfoText(const SystemInfo& info);

}  // namespace trainlab
