#include "cpu_features.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "csv.h"
#include "text_format.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TRAINLAB_X86 1
#endif

namespace trainlab {

namespace {

enum Reg { EAX, EBX, ECX, EDX };
/// Which registers the OS must save for a flag to be usable (XCR0 bits, read by XGETBV).
enum class State { None, Avx, Avx512, Amx };

struct CpuidBit {
    const char* name;
    unsigned leaf, subleaf;
    Reg reg;
    int bit;
    State state;
};

// The kernel-relevant flags (Intel SDM vol. 2A, CPUID; Linux's names), in report order.
const CpuidBit kBits[] = {
    {"sse", 1, 0, EDX, 25, State::None},          {"sse2", 1, 0, EDX, 26, State::None},
    {"pni", 1, 0, ECX, 0, State::None},           {"ssse3", 1, 0, ECX, 9, State::None},
    {"sse4_1", 1, 0, ECX, 19, State::None},       {"sse4_2", 1, 0, ECX, 20, State::None},
    {"avx", 1, 0, ECX, 28, State::Avx},           {"f16c", 1, 0, ECX, 29, State::Avx},
    {"fma", 1, 0, ECX, 12, State::Avx},           {"avx2", 7, 0, EBX, 5, State::Avx},
    {"avx_vnni", 7, 1, EAX, 4, State::Avx},       {"avx512f", 7, 0, EBX, 16, State::Avx512},
    {"avx512dq", 7, 0, EBX, 17, State::Avx512},   {"avx512cd", 7, 0, EBX, 28, State::Avx512},
    {"avx512bw", 7, 0, EBX, 30, State::Avx512},   {"avx512vl", 7, 0, EBX, 31, State::Avx512},
    {"avx512ifma", 7, 0, EBX, 21, State::Avx512}, {"avx512vbmi", 7, 0, ECX, 1, State::Avx512},
    {"avx512_vnni", 7, 0, ECX, 11, State::Avx512}, {"avx512_bf16", 7, 1, EAX, 5, State::Avx512},
    {"avx512_fp16", 7, 0, EDX, 23, State::Avx512}, {"amx_tile", 7, 0, EDX, 24, State::Amx},
    {"amx_bf16", 7, 0, EDX, 22, State::Amx},      {"amx_int8", 7, 0, EDX, 25, State::Amx},
};

std::string trimmed(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

int toInt(const std::string& s) {
    double v = 0;
    const std::string t = trimmed(s);
    return parseCsvNumber(t.data(), t.data() + t.size(), v) ? static_cast<int>(v) : 0;
}

/// "key<blanks>: value" → {key, value}; {"", ""} for other lines.
std::pair<std::string, std::string> cpuinfoField(const std::string& line) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) return {};
    return {trimmed(line.substr(0, colon)), trimmed(line.substr(colon + 1))};
}

/// The value of the first `key` line of /proc/cpuinfo ("" when unreadable).
std::string procCpuinfoValue(const std::string& key) {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        const auto [k, v] = cpuinfoField(line);
        if (k == key) return v;
    }
    return {};
}

#ifdef TRAINLAB_X86
struct Regs {
    unsigned r[4] = {0, 0, 0, 0};
};

Regs cpuid(unsigned leaf, unsigned subleaf) {
    Regs x;
    __cpuid_count(leaf, subleaf, x.r[EAX], x.r[EBX], x.r[ECX], x.r[EDX]);
    return x;
}

std::uint64_t xcr0() {
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<std::uint64_t>(hi) << 32) | lo;
}

std::string brandString() {
    if (__get_cpuid_max(0x80000000u, nullptr) < 0x80000004u) return {};
    char brand[49] = {0};
    for (unsigned i = 0; i < 3; ++i) {
        const Regs x = cpuid(0x80000002u + i, 0);
        for (int r = 0; r < 4; ++r)
            for (int b = 0; b < 4; ++b) brand[16 * i + 4 * r + b] = char(x.r[r] >> (8 * b));
    }
    return trimmed(brand);
}

/// Vendor, family, model and stepping from leaves 0 and 1 (display numbers, as Linux shows).
void readSignature(CpuFeatures& cpu, const Regs& leaf0, const Regs& leaf1) {
    char vendor[13] = {0};
    for (int b = 0; b < 4; ++b) {
        vendor[b] = char(leaf0.r[EBX] >> (8 * b));
        vendor[4 + b] = char(leaf0.r[EDX] >> (8 * b));
        vendor[8 + b] = char(leaf0.r[ECX] >> (8 * b));
    }
    cpu.vendor = vendor;
    const unsigned eax = leaf1.r[EAX];
    const int base = static_cast<int>((eax >> 8) & 0xF);
    cpu.family = base == 0xF ? base + static_cast<int>((eax >> 20) & 0xFF) : base;
    cpu.model = static_cast<int>((eax >> 4) & 0xF);
    if (base == 6 || base == 0xF) cpu.model += static_cast<int>((eax >> 16) & 0xF) << 4;
    cpu.stepping = static_cast<int>(eax & 0xF);
}
#endif

}  // namespace

const std::vector<std::string>& simdFlagNames() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n;
        for (const auto& b : kBits) n.emplace_back(b.name);
        return n;
    }();
    return names;
}

std::string simdFlagsText(const CpuFeatures& cpu) {
    std::string out;
    for (const auto& f : simdFlagNames())
        if (cpu.has(f)) out += (out.empty() ? "" : " ") + f;
    return out;
}

CpuFeatures detectCpuFeatures() {
    CpuFeatures cpu;
#ifdef TRAINLAB_X86
    const Regs leaf0 = cpuid(0, 0);
    const unsigned maxLeaf = leaf0.r[EAX];
    const Regs leaf1 = cpuid(1, 0);
    readSignature(cpu, leaf0, leaf1);
    const Regs leaf7 = maxLeaf >= 7 ? cpuid(7, 0) : Regs{};
    const Regs leaf71 = maxLeaf >= 7 && leaf7.r[EAX] >= 1 ? cpuid(7, 1) : Regs{};
    // The OS must save a register file for its instructions to be usable (XCR0).
    const bool osxsave = (leaf1.r[ECX] >> 27) & 1;
    const std::uint64_t saved = osxsave ? xcr0() : 0;
    const bool ymm = (saved & 0x6) == 0x6;
    const bool zmm = ymm && (saved & 0xE0) == 0xE0;
    const bool tiles = (saved & 0x60000) == 0x60000;
    for (const auto& b : kBits) {
        const Regs& x = b.leaf == 1 ? leaf1 : (b.subleaf == 0 ? leaf7 : leaf71);
        if (!((x.r[b.reg] >> b.bit) & 1)) continue;
        if ((b.state == State::Avx && !ymm) || (b.state == State::Avx512 && !zmm) ||
            (b.state == State::Amx && !tiles))
            continue;
        cpu.flags.insert(b.name);
    }
    cpu.modelName = brandString();
#endif
    if (const std::string name = procCpuinfoValue("model name"); !name.empty())
        cpu.modelName = name;
    return cpu;
}

CpuFeatures cpuFeaturesFromCpuinfo(const std::string& text) {
    CpuFeatures cpu;
    std::istringstream in(text);
    std::string line;
    bool seen = false;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '#') continue;
        const auto [key, value] = cpuinfoField(line);
        if (key.empty()) {
            if (seen && trimmed(line).empty()) break;  // the end of the first block
            continue;
        }
        seen = true;
        if (key == "vendor_id") cpu.vendor = value;
        else if (key == "cpu family") cpu.family = toInt(value);
        else if (key == "model") cpu.model = toInt(value);
        else if (key == "model name") cpu.modelName = value;
        else if (key == "stepping") cpu.stepping = toInt(value);
        else if (key == "flags") {
            std::istringstream words(value);
            for (std::string w; words >> w;) cpu.flags.insert(w);
        }
    }
    return cpu;
}

std::pair<double, std::string> cpuClockGhz(const CpuFeatures& cpu) {
    std::ifstream sys("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
    double khz = 0;
    std::string text;
    if (sys && std::getline(sys, text) && parseCsvNumber(text.data(), text.data() + text.size(), khz) &&
        khz > 0)
        return {khz / 1e6, "cpuinfo_max_freq (sysfs)"};
    std::ifstream in("/proc/cpuinfo");
    double mhz = 0;
    for (std::string line; std::getline(in, line);) {
        const auto [k, v] = cpuinfoField(line);
        double x = 0;
        if (k == "cpu MHz" && parseCsvNumber(v.data(), v.data() + v.size(), x)) mhz = std::max(mhz, x);
    }
    if (mhz > 0) return {mhz / 1000, "cpu MHz in /proc/cpuinfo"};
    const auto at = cpu.modelName.rfind('@');
    const auto unit = cpu.modelName.rfind("GHz");
    double ghz = 0;
    if (at != std::string::npos && unit != std::string::npos && unit > at) {
        const std::string num = trimmed(cpu.modelName.substr(at + 1, unit - at - 1));
        if (parseCsvNumber(num.data(), num.data() + num.size(), ghz) && ghz > 0)
            return {ghz, "the model name's \"@ " + num + "GHz\""};
    }
    return {0, "unknown"};
}

CorePeak corePeak(const CpuFeatures& cpu, double ghz, const std::string& clockSource) {
    CorePeak p;
    p.ghz = ghz;
    p.clockSource = clockSource;
    p.fma = cpu.has("fma");
    p.lanes = cpu.has("avx512f") ? 16 : cpu.has("avx") ? 8 : cpu.has("sse") ? 4 : 1;
    const bool amd = cpu.vendor == "AuthenticAMD";
    if (amd && cpu.family == 25 && p.lanes == 16) {
        p.lanes = 8;
        p.note = "Zen 4 executes 512-bit instructions as two 256-bit halves: 8 lanes";
    } else if (amd && cpu.family == 23 && cpu.model < 0x30 && p.lanes == 8) {
        p.lanes = 4;
        p.note = "Zen and Zen+ execute 256-bit instructions as two 128-bit halves: 4 lanes";
    }
    p.gflops = ghz * p.fmaUnits * p.lanes * (p.fma ? 2 : 1);
    return p;
}

std::string CorePeak::derivation() const {
    if (gflops <= 0) return "unknown (no clock frequency found)";
    std::string s = formatSignificant(gflops, 3) + " GFLOP/s = " + formatSignificant(ghz, 3) +
                    " GHz (" + clockSource + ") x " + std::to_string(fmaUnits) +
                    " FMA units (assumed) x " + std::to_string(lanes) + " float32 lanes x " +
                    (fma ? "2 flops (fused multiply-add)" : "1 flop (no FMA: multiply and add)");
    if (!note.empty()) s += "; " + note;
    return s;
}

int onlineCpus() {
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
}

int usableCpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) return onlineCpus();
    return std::max(1, CPU_COUNT(&set));
}

}  // namespace trainlab
