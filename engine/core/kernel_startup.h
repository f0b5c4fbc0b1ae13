// The kernel choice at start-up of trainlab and trainlab-cli, and what it says about itself.
// OpenBLAS reads OPENBLAS_CORETYPE once, when it is loaded (before main), so a better kernel
// family can only be had by setting the variable and re-executing the program: done at most
// once (the marker variables of blas_kernels.h), never over the user's own OPENBLAS_CORETYPE,
// and undone once more when the self-check finds the forced kernels wrong.
// Test hooks (environment, read only here): TRAINLAB_TEST_BLAS_CORENAME=<core> makes start-up
// believe OpenBLAS chose <core> when OPENBLAS_CORETYPE is unset (as OpenBLAS does on a CPU
// model it does not know); TRAINLAB_TEST_BLAS_SELFCHECK_FAIL=1 (or =<core>: only with that
// core) makes the self-check see a wrong product. Plain C++ (no torch, no Qt).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "blas_kernels.h"
#include "blas_runtime.h"
#include "cpu_features.h"

namespace trainlab {

struct KernelChoice {
    bool checkedAtStartup = false;  ///< false: a process that did not run start-up (tests)
    BlasProbe blas;
    CpuFeatures cpu;
    KernelDecision decision;  ///< its source and reason describe the kernels in use
    std::string core;         ///< the core in use as OpenBLAS reports it (or the test override)
    bool coreFromTestOverride = false;  ///< core is TRAINLAB_TEST_BLAS_CORENAME's
    int restarts = 0;         ///< re-executions before this process (the marker's entries)
    std::string marker;       ///< TRAINLAB_BLAS_REEXEC as this process found it
    SelfCheckResult selfCheck;
    std::string warning;      ///< a restart that failed, a self-check failed with no fallback
};

/// First thing in main(), before QApplication (and before anything is printed): probes the
/// BLAS and the CPU, decides, and may re-execute the program (execv /proc/self/exe with the
/// same argv) with OPENBLAS_CORETYPE set; then runs the self-check, re-executing once more
/// without the forced core if it fails. A restart that fails is reported and the program goes
/// on with OpenBLAS's own choice. Warnings go to stderr; nothing is printed otherwise.
void chooseBlasKernelsAtStartup(char** argv);

/// What start-up chose; in a process that did not run it (tests, benchmarks), the kernels as
/// they are (no restart, no self-check: checkedAtStartup is false).
const KernelChoice& kernelChoice();

/// "OpenBLAS 0.3.21" from the config string; the library's name for other BLAS.
std::string blasLibraryLabel(const BlasProbe& blas);

/// The run log's line: "kernels: OpenBLAS 0.3.21 core Cooperlake (OpenBLAS's own choice),
/// 1 BLAS thread; oneDNN avx512_core_bf16; CPU AMD EPYC (family 25, model 17); self-check
/// passed".
std::string kernelLogLine();

/// config.json's "environment" block without libtorch's facts (the runner adds those):
/// {"blas": {library, path, config, core, core_source, reason, threads, restarts,
/// self_check, checked_at_startup, openblas_coretype}, "onednn": {isa, max_isa_env},
/// "cpu": {vendor, model_name, family, model, stepping, flags}}.
nlohmann::json kernelEnvironmentJson();

}  // namespace trainlab
