// What this CPU can do, as the kernel choice (blas_kernels.h) and the system report need it:
// vendor, family/model numbers, model name, the instruction-set flags the OS lets us use, the
// clock and the single-core float32 peak derived from them. Flags use Linux's /proc/cpuinfo
// names ("pni" is SSE3, "avx512_bf16"), so recorded cpuinfo texts and cpuid read the same.
// Plain C++ (no torch, no Qt).
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace trainlab {

struct CpuFeatures {
    std::string vendor;     ///< "GenuineIntel", "AuthenticAMD"
    std::string modelName;  ///< "AMD EPYC 9654 96-Core Processor"
    int family = 0;         ///< display family (base + extended), as /proc/cpuinfo shows it
    int model = 0;          ///< display model (with the extended model bits)
    int stepping = 0;
    std::set<std::string> flags;  ///< usable instruction-set flags
    bool has(const std::string& flag) const { return flags.count(flag) != 0; }
};

/// The flags that matter for matrix kernels, in the order reports list them.
const std::vector<std::string>& simdFlagNames();
/// The flags of simdFlagNames() that `cpu` has, joined by spaces ("sse sse2 … avx512_bf16").
std::string simdFlagsText(const CpuFeatures& cpu);

/// This CPU, from cpuid (leaves 1 and 7.0/7.1) with XGETBV's check that the OS saves the
/// AVX, AVX-512 and AMX registers: a flag whose registers the OS does not save is left out,
/// as Linux leaves it out of /proc/cpuinfo. The model name comes from /proc/cpuinfo, else
/// from cpuid's brand string.
CpuFeatures detectCpuFeatures();

/// The first processor block of a /proc/cpuinfo text (vendor_id, cpu family, model, model
/// name, stepping, flags); lines starting with '#' and unknown fields are ignored.
CpuFeatures cpuFeaturesFromCpuinfo(const std::string& text);

/// This machine's clock in GHz and where it came from: cpufreq's cpuinfo_max_freq (sysfs),
/// else the highest "cpu MHz" of /proc/cpuinfo, else the "@ 2.60GHz" of the model name;
/// {0, "unknown"} when none is readable.
std::pair<double, std::string> cpuClockGhz(const CpuFeatures& cpu);

/// A core's theoretical float32 peak: GHz × FMA units × SIMD lanes × 2 flops per FMA.
struct CorePeak {
    double gflops = 0;  ///< 0 when the clock is unknown
    double ghz = 0;
    std::string clockSource;
    int fmaUnits = 2;  ///< assumed: two vector FMA (or multiply + add) pipes per core
    int lanes = 1;     ///< float32 lanes of the widest full-speed vector unit
    bool fma = false;  ///< fused multiply-add (else one multiply and one add per cycle)
    std::string note;  ///< what the lane count assumes, when it is not the register width
    /// "83.1 GFLOP/s = 2.60 GHz (cpu MHz in /proc/cpuinfo) × 2 FMA units (assumed) × 8 lanes
    /// × 2 flops (FMA)" plus the note.
    std::string derivation() const;
};
CorePeak corePeak(const CpuFeatures& cpu, double ghz, const std::string& clockSource);

/// Processors online (sysconf) and those this process may run on (its affinity mask).
int onlineCpus();
int usableCpus();

}  // namespace trainlab
