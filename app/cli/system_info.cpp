#include "system_info.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <QtGlobal>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "dataset_catalog.h"
#include "experiment_runner.h"
#include "kernel_startup.h"
#include "system_report.h"
#include "text_format.h"

#ifndef TRAINLAB_BUILD_TYPE
#define TRAINLAB_BUILD_TYPE "unknown"
#endif

namespace trainlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Problems = std::vector<SystemProblem>;

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

json programSection(const TorchFacts& torch) {
    const std::string buildType = TRAINLAB_BUILD_TYPE;
    return {{"version", trainlabVersion()},
            {"build_type", buildType.empty() ? "none" : buildType},
            {"libtorch", torch.version},
            {"qt", qVersion()}};
}

json cpuSection(const KernelChoice& c) {
    return {{"model_name", c.cpu.modelName},
            {"vendor", c.cpu.vendor},
            {"family", c.cpu.family},
            {"model", c.cpu.model},
            {"stepping", c.cpu.stepping},
            {"cores_online", onlineCpus()},
            {"cores_usable", usableCpus()},
            {"flags", simdFlagsText(c.cpu)}};
}

json blasSection(const KernelChoice& c, const json& gemm, Problems& problems) {
    json blas = kernelEnvironmentJson()["blas"];
    blas["core_from_test_override"] = c.coreFromTestOverride;
    const std::string measured =
        gemm.value("measured", false)
            ? " (measured here: " + formatSignificant(gemm.value("gflops", 0.0), 3) +
                  " GFLOP/s on one core)"
            : "";
    if (c.blas.kind == BlasKind::Reference)
        problems.push_back(
            {"the reference BLAS is in use (" + c.blas.path +
                 "): matrix products run 10 to 40 times slower than with OpenBLAS" + measured,
             "install OpenBLAS: sudo apt install libopenblas0-pthread (it takes over "
             "libblas.so.3; check with update-alternatives --display "
             "libblas.so.3-x86_64-linux-gnu)"});
    else if (c.blas.kind == BlasKind::None)
        problems.push_back({"no BLAS is loaded in this program",
                            "reinstall trainlab's dependencies (libopenblas0-pthread)"});
    if (c.selfCheck.ran && !c.selfCheck.passed)
        problems.push_back({"the BLAS self-check " + c.selfCheck.detail + " (core " + c.core + ")",
                            c.decision.source == KernelSource::User
                                ? "unset OPENBLAS_CORETYPE, or choose an older family"
                                : "report this with the whole report; results may be wrong"});
    else if (!c.warning.empty())
        problems.push_back({c.warning, "set OPENBLAS_CORETYPE yourself (see docs/benchmarks.md, "
                                       "\"Which kernels\")"});
    return blas;
}

/// A single-thread float32 GEMM rate against the core's theoretical peak.
json gemmSection(const KernelChoice& c, bool measure) {
    const auto [ghz, clockSource] = cpuClockGhz(c.cpu);
    const CorePeak peak = corePeak(c.cpu, ghz, clockSource);
    json g = {{"peak_gflops", peak.gflops}, {"peak_derivation", peak.derivation()}};
    if (!measure || !c.blas.sgemm) {
        g["measured"] = false;
        return g;
    }
    const int before = setOpenBlasThreads(1);  // one core, as the peak is per core
    const GemmRate rate = measureSgemm(c.blas.sgemm);
    if (before > 0) setOpenBlasThreads(before);
    g["measured"] = true;
    g["gflops"] = rate.gflops;
    g["size"] = rate.size;
    g["repeats"] = rate.repeats;
    g["threads"] = before > 0 ? 1 : -1;  // -1: not OpenBLAS, its own setting
    if (peak.gflops > 0) g["percent_of_peak"] = 100.0 * rate.gflops / peak.gflops;
    return g;
}

json backendsSection(const TorchFacts& torch) {
    std::string maxIsa = env("ONEDNN_MAX_CPU_ISA");
    if (maxIsa.empty()) maxIsa = env("DNNL_MAX_CPU_ISA");
    return {{"onednn_isa", onednnIsa()},
            {"onednn_max_isa_env", maxIsa},
            {"aten_cpu_capability", torch.atenCapability},
            {"aten_cpu_capability_env", env("ATEN_CPU_CAPABILITY")},
            {"torch_threads", torch.threads},
            {"cuda_usable", torch.cudaUsable},
            {"cuda_note", torch.cudaNote}};
}

json datasetsSection(const fs::path& dataDir, Problems& problems) {
    json found = json::array(), searched = json::array();
    bool any = false;
    try {
        const auto roots = datasetSearchRoots(dataDir);
        for (const auto& r : roots) searched.push_back(r.path.string() + " (" + r.origin + ")");
        for (const auto& spec : knownDatasets()) {
            const auto loc = locateDataset(spec.id, roots);
            any = any || loc.has_value();
            found.push_back({{"id", spec.id},
                             {"present", loc.has_value()},
                             {"path", loc ? loc->path.string() : ""},
                             {"origin", loc ? loc->root.origin : ""}});
        }
    } catch (const std::exception& e) {
        searched.push_back(std::string("(the search failed: ") + e.what() + ")");
    }
    if (!any)
        problems.push_back({"no dataset found (the image experiments need one)",
                            "trainlab-cli data download mnist (or fashion-mnist, cifar10), or "
                            "install Debian's dataset-fashion-mnist"});
    return {{"found", found}, {"searched", searched}};
}

/// The deepest existing folder on the way to `root` (absolute), "" when a file is in the way.
fs::path existingAncestor(const fs::path& root, std::string& why) {
    std::error_code ec;
    fs::path p = root;
    while (!fs::exists(p, ec) && p.has_parent_path() && p != p.parent_path()) p = p.parent_path();
    if (!fs::is_directory(p, ec)) {
        why = p == root ? "'" + p.string() + "' is not a folder"
                        : "'" + p.string() + "' is not a folder, so '" + root.string() +
                              "' cannot be created";
        return {};
    }
    return p;
}

/// Writable means a file can be created there (as root, mode bits say nothing).
std::string writeProbe(const fs::path& folder) {
    std::string name = (folder / ".trainlab-doctor-XXXXXX").string();
    const int fd = ::mkstemp(name.data());
    if (fd < 0) return "'" + folder.string() + "' is not writable: " + std::strerror(errno);
    ::close(fd);
    ::unlink(name.c_str());
    return {};
}

json runsSection(const SystemInfoRequest& r, Problems& problems) {
    std::error_code ec;
    const fs::path root = r.runsRoot.empty() ? fs::path() : fs::absolute(r.runsRoot, ec);
    json runs = {{"folder", root.string()}, {"writable", false}};
    std::string why = !r.runsRoot.empty()          ? ""
                      : r.runsRootProblem.empty() ? "no runs folder is set"
                                                  : r.runsRootProblem;
    fs::path folder = root.empty() ? fs::path() : existingAncestor(root, why);
    if (!folder.empty()) why = writeProbe(folder);
    if (!folder.empty()) {
        struct statvfs s {};
        if (::statvfs(folder.c_str(), &s) == 0)
            runs["free_bytes"] = static_cast<double>(s.f_bavail) * static_cast<double>(s.f_frsize);
        runs["exists"] = folder == root;
    }
    if (!why.empty()) {
        runs["problem"] = why;
        problems.push_back({"the runs folder is unusable: " + why,
                            "pass --out DIR (trainlab: --runs DIR) or set TRAINLAB_RUNS to a "
                            "writable folder"});
    } else {
        runs["writable"] = true;
    }
    return runs;
}

}  // namespace

SystemInfo collectSystemInfo(const SystemInfoRequest& request) {
    SystemInfo info;
    const KernelChoice& c = kernelChoice();
    const TorchFacts torch = torchFacts();
    json& r = info.report;
    r["program"] = programSection(torch);
    r["cpu"] = cpuSection(c);
    r["gemm"] = gemmSection(c, request.measureGemm);
    r["blas"] = blasSection(c, r["gemm"], info.problems);
    r["backends"] = backendsSection(torch);
    r["datasets"] = datasetsSection(request.dataDir, info.problems);
    r["runs"] = runsSection(request, info.problems);
    r["problems"] = json::array();
    for (const auto& p : info.problems)
        r["problems"].push_back({{"problem", p.problem}, {"advice", p.advice}});
    return info;
}

}  // namespace trainlab

namespace trainlab {

namespace {

std::string line(const std::string& label, const std::string& text) {
    return label + std::string(label.size() < 13 ? 13 - label.size() : 1, ' ') + text + "\n";
}

std::string str(const json& j, const char* key) {
    return j.contains(key) && j.at(key).is_string() ? j.at(key).get<std::string>() : "";
}

std::string num(const json& j, const char* key, int digits = 3) {
    return j.contains(key) && j.at(key).is_number() ? formatSignificant(j.at(key).get<double>(), digits)
                                                    : "?";
}

std::string blasText(const json& b) {
    const std::string coretype = str(b, "openblas_coretype");
    std::string t = line("BLAS", str(b, "config").empty() ? str(b, "library") : str(b, "config"));
    t += line("", str(b, "path"));
    if (!str(b, "core").empty())
        t += line("Kernels", str(b, "core") + (b.value("core_from_test_override", false)
                                                  ? " (TRAINLAB_TEST_BLAS_CORENAME)"
                                                  : ""));
    t += line("", "why: " + str(b, "reason"));
    const int threads = b.value("threads", -1);
    t += line("", "restarts: " + std::to_string(b.value("restarts", 0)) + "; OPENBLAS_CORETYPE" +
                      (coretype.empty() ? " unset" : "=" + coretype) +
                      (threads > 0 ? "; BLAS threads " + std::to_string(threads) : ""));
    t += line("Self-check", str(b, "self_check"));
    return t;
}

std::string gemmText(const json& g) {
    std::string t;
    if (g.value("measured", false)) {
        const std::string n = std::to_string(g.value("size", 0));
        t += line("GEMM", num(g, "gflops") + " GFLOP/s float32, " +
                              (g.value("threads", -1) == 1 ? "1 thread"
                                                           : "the BLAS's own thread count") +
                              ", " + n + "x" + n + "x" + n + ", best of " +
                              std::to_string(g.value("repeats", 0)));
    } else {
        t += line("GEMM", "not measured");
    }
    t += line("Peak", str(g, "peak_derivation"));
    if (g.contains("percent_of_peak")) {
        const double pct = g.at("percent_of_peak").get<double>();
        t += line("", "measured: " + formatSignificant(pct, 3) + "% of that peak" +
                          (pct > 100 ? " (the core runs faster than the clock used: turbo)" : ""));
    }
    return t;
}

std::string datasetsText(const json& d) {
    std::string found;
    for (const auto& x : d.at("found"))
        found += (found.empty() ? "" : "; ") + str(x, "id") + ": " +
                 (x.value("present", false) ? str(x, "path") + " (" + str(x, "origin") + ")"
                                            : std::string("absent"));
    std::string t = line("Datasets", found);
    for (const auto& s : d.at("searched")) t += line("", "searched " + s.get<std::string>());
    return t;
}

std::string runsText(const json& r) {
    std::string state = r.value("writable", false) ? "writable" : "NOT usable: " + str(r, "problem");
    if (r.contains("free_bytes"))
        state += ", " + formatSignificant(r.at("free_bytes").get<double>() / 1e9, 3) + " GB free";
    if (r.value("writable", false) && !r.value("exists", true)) state += " (created by the first run)";
    return line("Runs folder", (str(r, "folder").empty() ? "none" : str(r, "folder")) + ": " + state);
}

}  // namespace

std::string systemInfoText(const SystemInfo& info) {
    const json& r = info.report;
    const json &p = r.at("program"), &c = r.at("cpu"), &b = r.at("backends");
    std::string t = "trainlab system report\n";
    t += line("Program", "trainlab " + str(p, "version") + " (" + str(p, "build_type") +
                             "), libtorch " + str(p, "libtorch") + ", Qt " + str(p, "qt"));
    t += line("CPU", str(c, "model_name") + " (" + str(c, "vendor") + ", family " +
                         std::to_string(c.value("family", 0)) + ", model " +
                         std::to_string(c.value("model", 0)) + ", stepping " +
                         std::to_string(c.value("stepping", 0)) + ")");
    t += line("Cores", std::to_string(c.value("cores_online", 0)) + " online, " +
                           std::to_string(c.value("cores_usable", 0)) + " usable by trainlab");
    t += line("SIMD flags", str(c, "flags"));
    t += blasText(r.at("blas")) + gemmText(r.at("gemm"));
    const std::string maxIsa = str(b, "onednn_max_isa_env");
    t += line("oneDNN", (str(b, "onednn_isa").empty() ? "not loaded" : str(b, "onednn_isa")) +
                            (maxIsa.empty() ? "" : " (limited by the environment to " + maxIsa + ")"));
    t += line("ATen", str(b, "aten_cpu_capability") + " vectorised kernels, " +
                          std::to_string(b.value("torch_threads", 0)) + " intra-op thread(s)");
    t += line("CUDA", std::string(b.value("cuda_usable", false) ? "usable: " : "no: ") +
                          str(b, "cuda_note"));
    t += datasetsText(r.at("datasets")) + runsText(r.at("runs")) + "\n";
    if (info.problems.empty()) return t + "No problems found.\n";
    t += "Problems (" + std::to_string(info.problems.size()) + "):\n";
    for (const auto& pr : info.problems)
        t += "  - " + pr.problem + "\n    advice: " + pr.advice + "\n";
    return t;
}

}  // namespace trainlab
