// The sub-commands of trainlab-cli other than `run` (cli_run.cpp), and the command table.
#include "cli_commands.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "bridge/downloader.h"
#include "dataset_catalog.h"
#include "experiment.h"
#include "preset.h"
#include "render_run.h"
#include "run_directory.h"
#include "system_info.h"
#include "text_format.h"
#include "run_listing.h"

namespace trainlab {

namespace {

int listPresets(const CliInvocation&) {
    std::string group;
    for (const auto& p : builtinPresets()) {
        if (p.group != group) {
            group = p.group;
            std::cout << group << ":\n";
        }
        std::cout << "  " << p.id << std::string(p.id.size() < 32 ? 32 - p.id.size() : 1, ' ')
                  << p.title << "\n";
    }
    return 0;
}

int showPreset(const CliInvocation& call) {
    const Preset p = resolvePreset(call.arguments.at(0).toStdString());
    const ExperimentKind* kind = findExperimentKind(p.kind);
    std::cout << p.title << " (" << p.id << ", kind " << p.kind << ")\n\n"
              << p.description << "\n\nExpected: " << p.expected
              << "\n\nSettings (--set key=value):\n";
    for (const auto& s : kind->schema(p.config)) {
        const auto ptr = keyToPointer(s.key);
        std::cout << "  " << s.key << " = "
                  << (p.config.contains(ptr)
                          ? p.config.at(ptr).dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace)
                          : "?")
                  << "  (" << paramTypeName(s.type);
        if (s.type == ParamType::Int || s.type == ParamType::Double)
            std::cout << " in [" << s.min << ", " << s.max << "]";
        if (s.type == ParamType::Choice) {
            std::cout << ":";
            for (const auto& c : s.choices) std::cout << " " << c;
        }
        std::cout << ")  " << s.help << "\n";
    }
    return 0;
}

int validatePreset(const CliInvocation& call) {
    const std::string target = call.arguments.at(0).toStdString();
    const Preset p = loadPresetFile(target);
    std::cout << target << ": valid preset '" << p.id << "' (" << p.kind << ")\n";
    return 0;
}

int renderRun(const CliInvocation& call) {
    QString error;
    const QStringList files = renderRunPlots(call.arguments.at(0), &error);
    if (!error.isEmpty()) {
        std::cerr << "trainlab-cli: " << error.toStdString() << "\n";
        return 1;
    }
    for (const auto& f : files) std::cout << f.toStdString() << "\n";
    return 0;
}

std::string humanBytes(std::int64_t b) {
    char buf[32];
    if (b >= 1'000'000'000)
        std::snprintf(buf, sizeof buf, "%.1f GB", b / 1e9);
    else if (b >= 1'000'000)
        std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
    else if (b >= 1000)
        std::snprintf(buf, sizeof buf, "%.1f kB", b / 1e3);
    else
        std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
    return buf;
}

int listDatasets(const std::string& dataDir) {
    const auto roots = datasetSearchRoots(dataDir);
    std::cout << "Searched, in order:\n";
    for (const auto& r : roots)
        std::cout << "  " << r.path.string() << "  (" << r.origin << ")\n";
    std::cout << "\n";
    for (const auto& spec : knownDatasets()) {
        const auto loc = locateDataset(spec.id, roots);
        std::cout << spec.id << std::string(16 - std::min<size_t>(15, spec.id.size()), ' ');
        if (loc)
            std::cout << "present  " << loc->path.string() << " (" << loc->root.origin << "; "
                      << loc->detail << "; " << humanBytes(loc->bytes) << ")\n";
        else
            std::cout << "absent   download " << humanBytes(spec.downloadBytes())
                      << ": trainlab-cli data download " << spec.id << "\n";
    }
    return 0;
}

/// Progress of a download on stderr: at most 5 lines a second on a terminal (rewritten in
/// place), one every 2 s otherwise; nothing when `quiet`.
auto downloadProgressPrinter(bool quiet) {
    const bool tty = ::isatty(STDERR_FILENO);
    auto last = std::chrono::steady_clock::now() - std::chrono::seconds(10);
    return [quiet, tty, last](qint64 got, qint64 total, double speed, double eta,
                              const QString& file) mutable {
        if (quiet) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last < std::chrono::milliseconds(tty ? 200 : 2000)) return;
        last = now;
        char line[256];
        std::snprintf(line, sizeof line, "%s  %s / %s  %s/s  ETA %s", file.toStdString().c_str(),
                      humanBytes(got).c_str(), humanBytes(total).c_str(),
                      humanBytes(static_cast<std::int64_t>(speed)).c_str(),
                      formatDuration(eta).c_str());
        if (tty)
            std::cerr << "\r\033[K" << line << std::flush;
        else
            std::cerr << line << "\n";
    };
}

int downloadDataset(const DatasetSpec& spec, const fs::path& root, bool quiet) {
    const fs::path dest = root / spec.id;
    std::error_code ec;
    fs::create_directories(dest, ec);
    if (ec) {
        std::cerr << "trainlab-cli: cannot create " << dest.string() << ": " << ec.message()
                  << "\n";
        return 1;
    }
    std::cerr << "trainlab: downloading " << spec.title << " (" << humanBytes(spec.downloadBytes())
              << ") to " << dest.string() << "\n";
    QString error;
    const bool ok = downloadBlocking(spec.downloads, QString::fromStdString(dest.string()), &error,
                                     downloadProgressPrinter(quiet));
    if (::isatty(STDERR_FILENO)) std::cerr << "\r\033[K";
    if (!ok) {
        std::cerr << "trainlab-cli: download failed: " << error.toStdString() << "\n";
        return 1;
    }
    const auto loc = locateDataset(spec.id, {{root, "download"}});
    if (!loc) {
        std::cerr << "trainlab-cli: downloaded files in " << dest.string()
                  << " were not recognised\n";
        return 1;
    }
    loadRawDataset(*loc);  // verifies the contents, not only the checksums
    std::cout << loc->path.string() << "\n";
    return 0;
}

int dataCommand(const CliInvocation& call) {
    const QString sub = call.arguments.value(0);
    const std::string dataDir = call.value("data-dir").toStdString();
    if (sub == "list" || sub.isEmpty()) return listDatasets(dataDir);
    const std::string id = call.arguments.value(1).toStdString();
    const DatasetSpec* spec = findDatasetSpec(id);
    if (!spec) {
        std::cerr << "trainlab-cli: dataset '" << id
                  << "' is unknown (mnist, fashion-mnist or cifar10)\n";
        return 2;
    }
    std::string noUserDir;
    const fs::path root = dataDir.empty() ? userDataDir(&noUserDir) : fs::path(dataDir);
    if (root.empty() && (sub == "download" || sub == "import")) {
        std::cerr << "trainlab-cli: " << noUserDir << "\n";
        return 2;
    }
    if (sub == "download") return downloadDataset(*spec, root, call.isSet("quiet"));
    if (sub == "import") {
        if (call.arguments.size() < 3) {
            std::cerr << "trainlab-cli: data import needs a dataset id and a folder or archive\n";
            return 2;
        }
        const auto loc = importDataset(id, call.arguments.at(2).toStdString(), root);
        std::cerr << "trainlab: imported " << spec->title << " (" << loc.detail << ")\n";
        std::cout << loc.path.string() << "\n";
        return 0;
    }
    std::cerr << "trainlab-cli: unknown data command '" << sub.toStdString()
              << "' (list, download, import)\n";
    return 2;
}

/// `doctor`: the system report (system_info.h); exit code 1 when it found a problem.
int doctor(const CliInvocation& call) {
    SystemInfoRequest request;
    request.dataDir = call.value("data-dir").toStdString();
    if (call.isSet("out"))
        request.runsRoot = call.value("out").toStdString();
    else
        request.runsRoot = defaultRunsRoot(&request.runsRootProblem);
    const SystemInfo info = collectSystemInfo(request);
    if (call.isSet("json"))
        std::cout << info.report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                  << "\n";
    else
        std::cout << systemInfoText(info);
    return info.problems.empty() ? 0 : 1;
}

}  // namespace

const std::vector<CliCommand>& cliCommands() {
    static const std::vector<CliCommand> commands = {
        {"list", "", {{"list", "list the built-in presets"}}, "", {}, 0, listPresets},
        {"show",
         "<preset>",
         {{"show <preset>", "describe a preset and every setting it has"}},
         "<preset> is a built-in preset's id (trainlab-cli list) or a preset file.",
         {},
         1,
         showPreset},
        {"validate",
         "<preset file>",
         {{"validate <preset file>", "check a preset file and name every bad field"}},
         "Exit code 0 when the file is a valid preset, 2 with one message per bad field.",
         {},
         1,
         validatePreset},
        {"run",
         "<preset id or file>",
         {{"run <preset id or file>", "run a preset and record it (see the options)"}},
         "Prints the run folder on stdout; progress and the log go to stderr.\n"
         "Exit code 0 finished, 1 failed, 2 bad input; Ctrl+C, SIGTERM and SIGHUP stop the\n"
         "run, which is recorded as cancelled (exit code 128 + the signal).",
         {"set", "seed", "threads", "out", "quiet", "no-plots", "data-dir"},
         1,
         runPresetCommand},
        {"render",
         "<run folder>",
         {{"render <run folder>", "(re)draw a run's plots as PNG, SVG and CSV"}},
         "Writes every panel of the run to <run folder>/plots and prints the files written.",
         {},
         1,
         renderRun},
        {"data",
         "[list | download <id> | import <id> <path>]",
         {{"data list", "datasets: where they were found, sizes"},
          {"data download <id>", "download a dataset (verified by SHA-256)"},
          {"data import <id> <path>", "import a dataset from a folder or archive"}},
         "<id> is mnist, fashion-mnist or cifar10.",
         {"data-dir", "quiet"},
         0,
         dataCommand},
        {"doctor",
         "",
         {{"doctor", "report this system: CPU, BLAS kernels, GEMM speed, datasets"}},
         "A report to paste into a bug: versions, CPU and SIMD flags, the BLAS and the kernels\n"
         "chosen at start-up (and why), a single-thread GEMM rate against the CPU's peak,\n"
         "oneDNN, CUDA, the datasets found and the runs folder (--out, else the default).\n"
         "Exit code 0 when nothing is wrong, 1 with advice for each problem found.",
         {"json", "out", "data-dir"},
         0,
         doctor},
        {"sweep", "<preset or file> | validate | status | resume | cancel | merge | task …",
         sweepUsage(), sweepHelp(), sweepOptionNames(), 1, sweepCommand},
    };
    return commands;
}

const CliCommand* findCliCommand(const QString& name) {
    for (const auto& c : cliCommands())
        if (c.name == name) return &c;
    return nullptr;
}

std::vector<CliOption> cliOptions() {
    std::string noRunsRoot;
    const fs::path runsRoot = defaultRunsRoot(&noRunsRoot);
    const QString outDefault = runsRoot.empty()
                                   ? QString("none: HOME is unusable; set TRAINLAB_RUNS")
                                   : QString::fromStdString(runsRoot.string());
    return {
        {{"set"}, "Override one setting, e.g. --set lr=0.001 (repeatable).", "key=value", {}},
        {{"seed"}, "Random seed (overrides the preset's).", "N", {}},
        {{"threads"}, "Intra-op threads for libtorch (default 1).", "N", "1"},
        {{"out"}, "Folder in which the run folder is created (default: " + outDefault + ").",
         "DIR", {}},
        {{"q", "quiet"}, "No progress lines.", {}, {}},
        {{"no-plots"}, "Do not render PNG/SVG plots at the end.", {}, {}},
        {{"data-dir"},
         "Folder searched first for datasets (and where 'data download' puts them).", "DIR", {}},
        {{"json"}, "doctor: print the report as JSON.", {}, {}},
    };
}

}  // namespace trainlab
