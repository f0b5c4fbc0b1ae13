// Which OpenBLAS kernels to run, decided from what the CPU can do. OpenBLAS picks its kernel
// family ("core") from a table of CPU model numbers when it loads; a model newer than its
// table (Debian 12's 0.3.21 on a family 6 model 207 Xeon, Zen 5 …) gets a generic SSE3 core
// (Prescott) at a third of the speed. trainlab then sets OPENBLAS_CORETYPE to the best family
// the cpuid flags allow and restarts once (kernel_startup.h). This file is the table and the
// decision, pure functions of what start-up found. Plain C++ (no torch, no Qt).
#pragma once

#include <string>
#include <vector>

#include "cpu_features.h"

namespace trainlab {

/// One row of the kernel table: an OpenBLAS core family, the flags its kernels need, and why.
struct BlasFamilyRule {
    std::string family;                 ///< an OPENBLAS_CORETYPE value: "Cooperlake"
    std::vector<std::string> needs;     ///< every flag the family's kernels use
    std::string reason;                 ///< "AVX-512 with BF16: …"
};

/// The table, best family first. The one place it is written.
const std::vector<BlasFamilyRule>& blasFamilyTable();
/// The first (best) rule whose every flag `cpu` has; nullptr when none (a CPU without AVX:
/// OpenBLAS's own SSE kernels are then the best there are).
const BlasFamilyRule* bestBlasFamily(const CpuFeatures& cpu);
/// The rule of `family` (case-insensitive), nullptr when it is not in the table.
const BlasFamilyRule* findBlasFamily(const std::string& family);

/// OpenBLAS's generic and pre-AVX cores: what it falls back to on a CPU model it does not
/// know ("Prescott", "Core2", "Nehalem", "Atom", "Katmai", "Generic" …). Case-insensitive.
bool isFallbackCore(const std::string& coreName);
const std::vector<std::string>& fallbackCoreNames();

/// Why the kernels are what they are.
enum class KernelSource {
    OpenBlasOwn,        ///< OpenBLAS's own choice, kept
    ForcedByTrainlab,   ///< OPENBLAS_CORETYPE set by trainlab, which restarted once
    User,               ///< the user's OPENBLAS_CORETYPE, kept
    SelfCheckFallback,  ///< trainlab's choice failed the self-check: OpenBLAS's own again
    NotOpenBlas,        ///< sgemm comes from another BLAS: nothing to choose
};
/// "openblas", "forced", "user", "selfcheck-fallback", "not-openblas" (config.json, --json).
std::string kernelSourceId(KernelSource s);

/// The re-execution markers in the environment (names and values).
inline constexpr const char* kReexecMarker = "TRAINLAB_BLAS_REEXEC";  ///< "forced[,selfcheck-failed]"
inline constexpr const char* kForcedFamilyVar = "TRAINLAB_BLAS_FORCED";  ///< the family forced
inline constexpr const char* kOwnCoreVar = "TRAINLAB_BLAS_OPENBLAS_CORE";  ///< OpenBLAS's own core

/// What start-up found, environment included.
struct KernelInputs {
    bool openBlas = false;     ///< sgemm_ comes from OpenBLAS
    bool dynamicArch = false;  ///< and it is a DYNAMIC_ARCH build (OPENBLAS_CORETYPE works)
    std::string library;       ///< the library's name and file, for the reasons ("" no BLAS)
    std::string coreName;      ///< the core OpenBLAS reports (or the tests' override)
    std::string coretypeEnv;   ///< OPENBLAS_CORETYPE ("" when unset)
    std::string marker;        ///< kReexecMarker ("" when unset)
    std::string forcedFamily;  ///< kForcedFamilyVar
    std::string ownCore;       ///< kOwnCoreVar
    CpuFeatures cpu;
};

struct KernelDecision {
    bool restart = false;  ///< set OPENBLAS_CORETYPE=family and re-execute once
    std::string family;    ///< the family to force (restart)
    KernelSource source = KernelSource::OpenBlasOwn;
    std::string reason;    ///< one sentence for the log, config.json and the report
};

/// The decision at start-up, before the self-check. Never restarts when the user set
/// OPENBLAS_CORETYPE, when the marker says trainlab already restarted, when OpenBLAS's core
/// is not a fallback, when OpenBLAS cannot switch (no DYNAMIC_ARCH) or when the CPU has no
/// better family; only ever forces a family whose every flag the CPU has.
KernelDecision decideKernels(const KernelInputs& in);

/// After a failed self-check: whether to restart with OPENBLAS_CORETYPE unset (only when the
/// kernels are trainlab's forced choice and no fallback happened yet), and the new marker.
bool shouldFallBack(const KernelDecision& decision, const std::string& marker);

/// Core and family names compared as OpenBLAS does (case-insensitive).
bool sameCoreName(const std::string& a, const std::string& b);

/// The marker split at ',' ("forced,selfcheck-failed" → two entries).
std::vector<std::string> markerEntries(const std::string& marker);

}  // namespace trainlab
