#include "kernel_startup.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

namespace trainlab {

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

KernelChoice& choice() {
    static KernelChoice c;
    return c;
}
bool gStartupRan = false;  // written once in main(), before any other thread exists

/// The decision's inputs: the probes and the environment, with the tests' core override.
KernelInputs gatherInputs(const BlasProbe& blas, const CpuFeatures& cpu, bool& overridden) {
    KernelInputs in;
    in.openBlas = blas.kind == BlasKind::OpenBlas;
    in.dynamicArch = blas.dynamicArch();
    if (blas.kind != BlasKind::None) in.library = blas.name + " (" + blas.path + ")";
    in.coreName = blas.coreName;
    in.coretypeEnv = env("OPENBLAS_CORETYPE");
    in.marker = env(kReexecMarker);
    in.forcedFamily = env(kForcedFamilyVar);
    in.ownCore = env(kOwnCoreVar);
    in.cpu = cpu;
    // Tests: OpenBLAS "falls back" to this core when left to itself, as it does on a CPU
    // model it does not know; with OPENBLAS_CORETYPE set it obeys, as OpenBLAS does.
    const std::string fake = env("TRAINLAB_TEST_BLAS_CORENAME");
    overridden = !fake.empty() && in.openBlas && in.coretypeEnv.empty();
    if (overridden) in.coreName = fake;
    return in;
}

/// Re-executes this program with the same arguments; returns only on failure, with why.
std::string reexecute(char** argv) {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    ::execv("/proc/self/exe", argv);
    return std::strerror(errno);
}

bool selfCheckMustFail(const std::string& core) {
    const std::string v = env("TRAINLAB_TEST_BLAS_SELFCHECK_FAIL");
    return !v.empty() && (v == "1" || sameCoreName(v, core));
}

/// Sets OPENBLAS_CORETYPE and the markers and restarts; if that fails, undoes them and keeps
/// OpenBLAS's own choice, saying why.
void forceAndRestart(KernelChoice& c, char** argv) {
    const std::string family = c.decision.family;
    ::setenv("OPENBLAS_CORETYPE", family.c_str(), 1);
    ::setenv(kReexecMarker, "forced", 1);
    ::setenv(kForcedFamilyVar, family.c_str(), 1);
    ::setenv(kOwnCoreVar, c.core.c_str(), 1);
    const std::string error = reexecute(argv);
    for (const char* v : {"OPENBLAS_CORETYPE", kReexecMarker, kForcedFamilyVar, kOwnCoreVar})
        ::unsetenv(v);
    c.decision.restart = false;
    c.decision.source = KernelSource::OpenBlasOwn;
    c.decision.reason = c.core + ": OpenBLAS's own choice; restarting with OPENBLAS_CORETYPE=" +
                        family + " failed (" + error + ")";
    c.warning = c.decision.reason;
}

/// A failed self-check: back to OpenBLAS's own choice when the core was trainlab's, else
/// a warning (the user's or OpenBLAS's own choice is not overruled).
void selfCheckFailed(KernelChoice& c, char** argv) {
    if (shouldFallBack(c.decision, c.marker)) {
        ::unsetenv("OPENBLAS_CORETYPE");
        ::setenv(kReexecMarker, (c.marker + ",selfcheck-failed").c_str(), 1);
        const std::string error = reexecute(argv);
        c.warning = "the BLAS self-check failed with " + c.core +
                    " (forced by trainlab) and restarting without it failed (" + error +
                    "): matrix products may be wrong";
        return;
    }
    c.warning = "the BLAS self-check " + c.selfCheck.detail + " (core " + c.core +
                "): matrix products may be wrong";
}

std::string sourcePhrase(const KernelChoice& c) {
    switch (c.decision.source) {
        case KernelSource::OpenBlasOwn: return "OpenBLAS's own choice";
        case KernelSource::ForcedByTrainlab:
            return "forced by trainlab over " + env(kOwnCoreVar) + ", restarted once";
        case KernelSource::User: return "the user's OPENBLAS_CORETYPE";
        case KernelSource::SelfCheckFallback:
            return "OpenBLAS's own choice: trainlab's " + env(kForcedFamilyVar) +
                   " failed the self-check";
        case KernelSource::NotOpenBlas: return "not OpenBLAS";
    }
    return "";
}

/// Fills `c` with the BLAS found, the CPU, the restart marker and the kernel decision.
void probeAndDecide(KernelChoice& c) {
    c.blas = probeBlas();
    c.cpu = detectCpuFeatures();
    const KernelInputs in = gatherInputs(c.blas, c.cpu, c.coreFromTestOverride);
    c.marker = in.marker;
    c.restarts = static_cast<int>(markerEntries(in.marker).size());
    c.core = in.coreName;
    c.decision = decideKernels(in);
}

}  // namespace

void chooseBlasKernelsAtStartup(char** argv) {
    gStartupRan = true;
    KernelChoice& c = choice();
    c.checkedAtStartup = true;
    probeAndDecide(c);
    if (c.decision.restart) forceAndRestart(c, argv);
    c.selfCheck = sgemmSelfCheck(c.blas.sgemm, selfCheckMustFail(c.core));
    if (c.selfCheck.ran && !c.selfCheck.passed) selfCheckFailed(c, argv);
    if (!c.warning.empty()) std::cerr << "trainlab: " << c.warning << "\n";
}

const KernelChoice& kernelChoice() {
    if (gStartupRan) return choice();
    static const KernelChoice probed = [] {
        KernelChoice c;
        probeAndDecide(c);
        if (c.decision.restart) {  // this process cannot restart: say what start-up would do
            c.decision.restart = false;
            c.decision.source = KernelSource::OpenBlasOwn;
            c.decision.reason = c.core + ": OpenBLAS's own choice (no start-up check in this "
                                         "process; trainlab would force " +
                                c.decision.family + ")";
        }
        c.selfCheck.detail = "not run in this process";
        return c;
    }();
    return probed;
}

std::string blasLibraryLabel(const BlasProbe& blas) {
    if (blas.kind != BlasKind::OpenBlas) return blas.name;
    const auto first = blas.config.find(' ');
    const auto second = first == std::string::npos ? first : blas.config.find(' ', first + 1);
    return second == std::string::npos ? blas.config : blas.config.substr(0, second);
}

std::string kernelLogLine() {
    const KernelChoice& c = kernelChoice();
    std::string line = "kernels: " + blasLibraryLabel(c.blas);
    if (c.blas.kind == BlasKind::OpenBlas) {
        const int threads = openBlasThreads();
        line += " core " + c.core + " (" + sourcePhrase(c) + "), " + std::to_string(threads) +
                (threads == 1 ? " BLAS thread" : " BLAS threads");
    } else if (c.blas.kind != BlasKind::None) {
        line += " (" + c.blas.path + ", not OpenBLAS)";
    }
    const std::string isa = onednnIsa();
    line += "; oneDNN " + (isa.empty() ? std::string("not loaded") : isa);
    line += "; CPU " + c.cpu.modelName + " (family " + std::to_string(c.cpu.family) +
            ", model " + std::to_string(c.cpu.model) + ")";
    line += "; self-check " + std::string(!c.selfCheck.ran       ? "not run"
                                          : c.selfCheck.passed ? "passed"
                                                               : "FAILED");
    return line;
}

nlohmann::json kernelEnvironmentJson() {
    const KernelChoice& c = kernelChoice();
    const bool openBlas = c.blas.kind == BlasKind::OpenBlas;
    nlohmann::json blas = {{"library", blasLibraryLabel(c.blas)},
                           {"path", c.blas.path},
                           {"config", c.blas.config},
                           {"core", openBlas ? c.core : ""},
                           {"core_source", kernelSourceId(c.decision.source)},
                           {"reason", c.decision.reason},
                           {"threads", openBlas ? openBlasThreads() : -1},
                           {"restarts", c.restarts},
                           {"self_check", c.selfCheck.detail},
                           {"checked_at_startup", c.checkedAtStartup},
                           {"openblas_coretype", env("OPENBLAS_CORETYPE")}};
    std::string maxIsa = env("ONEDNN_MAX_CPU_ISA");
    if (maxIsa.empty()) maxIsa = env("DNNL_MAX_CPU_ISA");
    return {{"blas", blas},
            {"onednn", {{"isa", onednnIsa()}, {"max_isa_env", maxIsa}}},
            {"cpu",
             {{"vendor", c.cpu.vendor},
              {"model_name", c.cpu.modelName},
              {"family", c.cpu.family},
              {"model", c.cpu.model},
              {"stepping", c.cpu.stepping},
              {"flags", simdFlagsText(c.cpu)}}}};
}

}  // namespace trainlab
