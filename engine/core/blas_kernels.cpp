#include "blas_kernels.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace trainlab {

namespace {

bool hasEntry(const std::string& marker, const std::string& entry) {
    for (const auto& e : markerEntries(marker))
        if (e == entry) return true;
    return false;
}

KernelDecision keep(KernelSource source, std::string reason) {
    KernelDecision d;
    d.source = source;
    d.reason = std::move(reason);
    return d;
}

/// The reason a forced family was chosen, from the table (or a plain one when the family
/// is no longer in it).
std::string forcedReason(const std::string& family, const std::string& ownCore) {
    const BlasFamilyRule* rule = findBlasFamily(family);
    return "OpenBLAS chose " + (ownCore.empty() ? std::string("a generic core") : ownCore) +
           ", a generic fallback; the CPU has " +
           (rule ? rule->reason : std::string("the instructions of ") + family) +
           ": OPENBLAS_CORETYPE=" + family + " set by trainlab (restarted once)";
}

}  // namespace

const std::vector<BlasFamilyRule>& blasFamilyTable() {
    // Best first. A family is chosen only when the CPU has every flag it needs: a kernel
    // with an instruction the CPU lacks would stop the program (SIGILL), not just run slower.
    static const std::vector<BlasFamilyRule> table = {
        {"Cooperlake",
         {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx512_bf16", "avx2", "fma"},
         "AVX-512 (F, CD, BW, DQ, VL) with BF16, as Cooper Lake, Sapphire and Emerald Rapids, "
         "Zen 4 and Zen 5: OpenBLAS's newest x86-64 kernels (the SkylakeX ones plus BF16)"},
        {"SkylakeX",
         {"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl", "avx2", "fma"},
         "AVX-512 (F, CD, BW, DQ, VL), as Skylake-SP, Cascade Lake and Ice Lake: 16-lane "
         "float32 kernels"},
        {"Haswell",
         {"avx2", "fma"},
         "AVX2 and FMA3, as Haswell to Arrow Lake and every Zen: 8-lane fused multiply-add "
         "kernels"},
        {"Sandybridge",
         {"avx"},
         "AVX without FMA, as Sandy and Ivy Bridge: 8-lane multiply and add kernels"},
    };
    return table;
}

const BlasFamilyRule* bestBlasFamily(const CpuFeatures& cpu) {
    for (const auto& rule : blasFamilyTable())
        if (std::all_of(rule.needs.begin(), rule.needs.end(),
                        [&](const std::string& f) { return cpu.has(f); }))
            return &rule;
    return nullptr;
}

const BlasFamilyRule* findBlasFamily(const std::string& family) {
    for (const auto& rule : blasFamilyTable())
        if (sameCoreName(rule.family, family)) return &rule;
    return nullptr;
}

const std::vector<std::string>& fallbackCoreNames() {
    // OpenBLAS 0.3.21's pre-AVX cores (driver/others/dynamic.c) and its placeholders.
    static const std::vector<std::string> names = {
        "Generic", "Unknown",  "Katmai",     "Coppermine", "Northwood", "Prescott",
        "Banias",  "Atom",     "Core2",      "Penryn",     "Dunnington", "Nehalem",
        "Athlon",  "Opteron",  "Opteron_SSE3", "Barcelona", "Nano",     "Bobcat"};
    return names;
}

bool isFallbackCore(const std::string& coreName) {
    const auto& names = fallbackCoreNames();
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return sameCoreName(n, coreName); });
}

std::string kernelSourceId(KernelSource s) {
    switch (s) {
        case KernelSource::OpenBlasOwn: return "openblas";
        case KernelSource::ForcedByTrainlab: return "forced";
        case KernelSource::User: return "user";
        case KernelSource::SelfCheckFallback: return "selfcheck-fallback";
        case KernelSource::NotOpenBlas: return "not-openblas";
    }
    return "openblas";
}

bool sameCoreName(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::vector<std::string> markerEntries(const std::string& marker) {
    std::vector<std::string> out;
    std::istringstream in(marker);
    for (std::string e; std::getline(in, e, ',');)
        if (!e.empty()) out.push_back(e);
    return out;
}

KernelDecision decideKernels(const KernelInputs& in) {
    if (!in.openBlas)
        return keep(KernelSource::NotOpenBlas,
                    in.library.empty()
                        ? "no BLAS is loaded in this process"
                        : "sgemm comes from " + in.library + ", not OpenBLAS: no kernels to choose");
    if (hasEntry(in.marker, "selfcheck-failed"))
        return keep(KernelSource::SelfCheckFallback,
                    "trainlab forced " + in.forcedFamily + " over OpenBLAS's " + in.ownCore +
                        ", but the self-check failed with it: OpenBLAS's own choice (" +
                        in.coreName + ") is used");
    const bool restartedBefore = hasEntry(in.marker, "forced");
    if (!in.coretypeEnv.empty()) {
        if (restartedBefore && sameCoreName(in.coretypeEnv, in.forcedFamily))
            return keep(KernelSource::ForcedByTrainlab, forcedReason(in.forcedFamily, in.ownCore));
        std::string why = "OPENBLAS_CORETYPE=" + in.coretypeEnv + " set by the user (kept)";
        if (!sameCoreName(in.coretypeEnv, in.coreName))
            why += "; OpenBLAS reports " + (in.coreName.empty() ? "no core" : in.coreName);
        return keep(KernelSource::User, why);
    }
    if (restartedBefore)
        return keep(KernelSource::OpenBlasOwn,
                    in.coreName + ": OpenBLAS's own choice; trainlab restarted once already (" +
                        std::string(kReexecMarker) + "=" + in.marker + ") and does not again");
    if (!isFallbackCore(in.coreName))
        return keep(KernelSource::OpenBlasOwn,
                    in.coreName + ": OpenBLAS's own choice for this CPU (not a generic fallback)");
    if (!in.dynamicArch)
        return keep(KernelSource::OpenBlasOwn,
                    in.coreName + ": OpenBLAS's own choice; this OpenBLAS is built for one CPU "
                                  "(no DYNAMIC_ARCH), so OPENBLAS_CORETYPE cannot change it");
    const BlasFamilyRule* best = bestBlasFamily(in.cpu);
    if (!best)
        return keep(KernelSource::OpenBlasOwn,
                    in.coreName + ": OpenBLAS's own choice; the CPU has no AVX, so no better "
                                  "kernel family exists");
    KernelDecision d;
    d.restart = true;
    d.family = best->family;
    d.source = KernelSource::ForcedByTrainlab;
    d.reason = forcedReason(best->family, in.coreName);
    return d;
}

bool shouldFallBack(const KernelDecision& decision, const std::string& marker) {
    return decision.source == KernelSource::ForcedByTrainlab &&
           !hasEntry(marker, "selfcheck-failed");
}

}  // namespace trainlab
