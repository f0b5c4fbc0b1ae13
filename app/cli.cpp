#include "cli.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "bridge/downloader.h"
#include "errors.h"
#include "user_dirs.h"
#include "dataset_catalog.h"
#include "experiment_runner.h"
#include "experiment_view.h"
#include "preset.h"

namespace trainlab {

namespace {

RunControl* gControl = nullptr;
volatile std::sig_atomic_t gStopSignal = 0;

// SIGINT (Ctrl+C), SIGTERM (kill, shutdown) and SIGHUP (the terminal closed) all stop the run
// the same way: it ends as "cancelled" with the signal's name, and the exit code is 128 + the
// signal's number, as shells report a process ended by it.
extern "C" void onSignal(int sig) {
    if (gStopSignal == 0) gStopSignal = sig;
    if (!gControl) return;
    const char* none = nullptr;
    gControl->cancelReason.compare_exchange_strong(none, cancelReasonForSignal(sig));
    gControl->cancel = true;
}

std::string formatDuration(double seconds) {
    if (!(seconds >= 0) || seconds > 1e7) return "--:--";
    const long s = static_cast<long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

/// Progress with ETA and log lines on stderr.
class ConsoleObserver : public RunObserver {
  public:
    explicit ConsoleObserver(bool quiet) : quiet_(quiet), tty_(::isatty(STDERR_FILENO)) {}
    void runDirectoryCreated(const std::string& dir) override {
        std::lock_guard<std::mutex> lock(mutex_);
        std::cerr << "trainlab: recording to " << dir << "\n";
    }
    void layoutDeclared(const PlotLayout&) override {}
    void pointsAppended(const std::string&, const std::vector<double>&,
                        const std::vector<double>&) override {}
    void seriesReplaced(const std::string&, const std::vector<double>&,
                        const std::vector<double>&) override {}
    void progressed(double f, const std::string& message) override {
        if (quiet_) return;
        std::lock_guard<std::mutex> lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(tty_ ? 200 : 2000)) return;
        last_ = now;
        const double elapsed = std::chrono::duration<double>(now - t0_).count();
        const double eta = f > 0.001 ? elapsed * (1 - f) / f : -1;
        char line[512];
        std::snprintf(line, sizeof line, "[%5.1f%%] %s  elapsed %s  ETA %s", 100 * f,
                      message.c_str(), formatDuration(elapsed).c_str(),
                      formatDuration(eta).c_str());
        if (tty_)
            std::cerr << "\r\033[K" << line << std::flush;
        else
            std::cerr << line << "\n";
    }
    void logged(const std::string& text) override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (tty_) std::cerr << "\r\033[K";
        std::cerr << text << "\n";
    }

  private:
    bool quiet_, tty_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_{};
};

void printList() {
    std::string group;
    for (const auto& p : builtinPresets()) {
        if (p.group != group) {
            group = p.group;
            std::cout << group << ":\n";
        }
        std::cout << "  " << p.id << std::string(p.id.size() < 32 ? 32 - p.id.size() : 1, ' ')
                  << p.title << "\n";
    }
}

void printSettings(const Preset& p) {
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

int runDataCommand(const QStringList& args, const std::string& dataDir, bool quiet) {
    const QString sub = args.value(0);
    const auto roots = datasetSearchRoots(dataDir);
    if (sub == "list" || sub.isEmpty()) {
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
    const std::string id = args.value(1).toStdString();
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
    if (sub == "download") {
        const fs::path dest = root / id;
        std::error_code ec;
        fs::create_directories(dest, ec);
        if (ec) {
            std::cerr << "trainlab-cli: cannot create " << dest.string() << ": " << ec.message()
                      << "\n";
            return 1;
        }
        std::cerr << "trainlab: downloading " << spec->title << " ("
                  << humanBytes(spec->downloadBytes()) << ") to " << dest.string() << "\n";
        const bool tty = ::isatty(STDERR_FILENO);
        auto last = std::chrono::steady_clock::now() - std::chrono::seconds(10);
        QString error;
        const bool ok = downloadBlocking(
            spec->downloads, QString::fromStdString(dest.string()), &error,
            [&](qint64 got, qint64 total, double speed, double eta, const QString& file) {
                if (quiet) return;
                const auto now = std::chrono::steady_clock::now();
                if (now - last < std::chrono::milliseconds(tty ? 200 : 2000)) return;
                last = now;
                char line[256];
                std::snprintf(line, sizeof line, "%s  %s / %s  %s/s  ETA %s",
                              file.toStdString().c_str(), humanBytes(got).c_str(),
                              humanBytes(total).c_str(),
                              humanBytes(static_cast<std::int64_t>(speed)).c_str(),
                              formatDuration(eta).c_str());
                if (tty)
                    std::cerr << "\r\033[K" << line << std::flush;
                else
                    std::cerr << line << "\n";
            });
        if (tty) std::cerr << "\r\033[K";
        if (!ok) {
            std::cerr << "trainlab-cli: download failed: " << error.toStdString() << "\n";
            return 1;
        }
        const auto loc = locateDataset(id, {{root, "download"}});
        if (!loc) {
            std::cerr << "trainlab-cli: downloaded files in " << dest.string()
                      << " were not recognised\n";
            return 1;
        }
        loadRawDataset(*loc);  // verifies the contents, not only the checksums
        std::cout << loc->path.string() << "\n";
        return 0;
    }
    if (sub == "import") {
        if (args.size() < 3) {
            std::cerr << "trainlab-cli: data import needs a dataset id and a folder or archive\n";
            return 2;
        }
        const auto loc = importDataset(id, args.at(2).toStdString(), root);
        std::cerr << "trainlab: imported " << spec->title << " (" << loc.detail << ")\n";
        std::cout << loc.path.string() << "\n";
        return 0;
    }
    std::cerr << "trainlab-cli: unknown data command '" << sub.toStdString()
              << "' (list, download, import)\n";
    return 2;
}

}  // namespace

void guardStandardStreams() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        const int nul = ::open("/dev/null", O_RDWR);  // the lowest free descriptor: fd
        if (nul >= 0 && nul != fd) {
            ::dup2(nul, fd);
            ::close(nul);
        }
    }
    // A closed pipe (`| head`) is no reason to lose a run: writes to it fail with EPIPE, which
    // the streams ignore, and the run goes on to its end.
    std::signal(SIGPIPE, SIG_IGN);
}

void prepareHeadlessEnvironment() {
    // Runs, datasets and caches: never in the runtime folder given to Qt below (a fixed name).
    pinUserFolders();
    if (!std::getenv("QT_QPA_PLATFORM")) ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (!runtime || !*runtime) {
        const std::string dir = "/tmp/trainlab-runtime-" + std::to_string(::getuid());
        ::mkdir(dir.c_str(), 0700);
        ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
    }
}

QStringList renderRunPlots(const QString& runDir, QString* error) {
    try {
        RunDirectory dir(runDir.toStdString());
        ExperimentView view(dir.readLayout());
        QString damaged;
        std::vector<std::string> warnings;
        try {
            view.loadFromRun(dir, &warnings);
        } catch (const DataError& e) {  // series that could not be read: render the rest,
            damaged = QString::fromUtf8(e.what());  // then report them (exit code 1)
        }
        for (const std::string& w : warnings) std::cerr << "trainlab-cli: warning: " << w << "\n";
        const QStringList files = view.exportToRun(dir, error);
        if (error && !damaged.isEmpty())
            *error = error->isEmpty() ? damaged : damaged + QLatin1Char('\n') + *error;
        return files;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return {};
    }
}

int runCommandLine(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "trainlab: the experiments that explain how deep networks learn, headless.\n\n"
        "Commands:\n"
        "  list                         list the built-in presets\n"
        "  show <preset>                describe a preset and every setting it has\n"
        "  validate <preset file>       check a preset file and name every bad field\n"
        "  run <preset id or file>      run a preset and record it (see the options)\n"
        "  render <run folder>          (re)draw a run's plots as PNG, SVG and CSV\n"
        "  data list                    datasets: where they were found, sizes\n"
        "  data download <id>           download a dataset (verified by SHA-256)\n"
        "  data import <id> <path>      import a dataset from a folder or archive");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("command", "list | show | validate | run | render");
    parser.addPositionalArgument("target", "preset id, preset file or run folder", "[target]");
    QCommandLineOption setOpt("set", "Override one setting, e.g. --set lr=0.001 (repeatable).",
                              "key=value");
    QCommandLineOption seedOpt("seed", "Random seed (overrides the preset's).", "N");
    QCommandLineOption threadsOpt("threads", "Intra-op threads for libtorch (default 1).", "N",
                                  "1");
    std::string noRunsRoot;
    const std::filesystem::path runsRoot = defaultRunsRoot(&noRunsRoot);
    QCommandLineOption outOpt(
        "out",
        "Folder in which the run folder is created (default: " +
            (runsRoot.empty() ? QString("none: HOME is unusable; set TRAINLAB_RUNS")
                              : QString::fromStdString(runsRoot.string())) +
            ").",
        "DIR");
    QCommandLineOption quietOpt({"q", "quiet"}, "No progress lines.");
    QCommandLineOption dataDirOpt(
        "data-dir", "Folder searched first for datasets (and where 'data download' puts them).",
        "DIR");
    QCommandLineOption noPlotsOpt("no-plots", "Do not render PNG/SVG plots at the end.");
    parser.addOptions({setOpt, seedOpt, threadsOpt, outOpt, quietOpt, noPlotsOpt, dataDirOpt});
    if (!parser.parse(arguments)) {
        std::cerr << "trainlab-cli: " << parser.errorText().toStdString()
                  << "\n(see trainlab-cli --help)\n";
        return 2;
    }
    if (parser.isSet("help")) {
        std::cout << parser.helpText().toStdString();
        return 0;
    }
    if (parser.isSet("version")) {
        std::cout << "trainlab-cli " << trainlabVersion() << "\n";
        return 0;
    }
    const QStringList pos = parser.positionalArguments();
    if (pos.isEmpty()) {
        std::cerr << parser.helpText().toStdString();
        return 2;
    }
    const QString command = pos.first();
    try {
        if (command == "list") {
            printList();
            return 0;
        }
        if (command == "data")
            return runDataCommand(pos.mid(1), parser.value(dataDirOpt).toStdString(),
                                  parser.isSet(quietOpt));
        if (pos.size() < 2) {
            std::cerr << "trainlab-cli: '" << command.toStdString()
                      << "' needs a target (see --help)\n";
            return 2;
        }
        const std::string target = pos.at(1).toStdString();
        if (command == "show") {
            printSettings(resolvePreset(target));
            return 0;
        }
        if (command == "validate") {
            const Preset p = loadPresetFile(target);
            std::cout << target << ": valid preset '" << p.id << "' (" << p.kind << ")\n";
            return 0;
        }
        if (command == "render") {
            QString error;
            const QStringList files = renderRunPlots(pos.at(1), &error);
            if (!error.isEmpty()) {
                std::cerr << "trainlab-cli: " << error.toStdString() << "\n";
                return 1;
            }
            for (const auto& f : files) std::cout << f.toStdString() << "\n";
            return 0;
        }
        if (command != "run") {
            std::cerr << "trainlab-cli: unknown command '" << command.toStdString()
                      << "' (see --help)\n";
            return 2;
        }
        RunRequest request;
        request.preset = resolvePreset(target);
        request.config = request.preset.config;
        std::vector<std::string> problems;
        for (const QString& s : parser.values(setOpt)) {
            try {
                applyOverride(request.preset.kind, request.config, s.toStdString());
            } catch (const ConfigError& e) {
                problems.insert(problems.end(), e.problems().begin(), e.problems().end());
            }
        }
        if (parser.isSet(seedOpt)) {
            try {
                applyOverride(request.preset.kind, request.config,
                              "seed=" + parser.value(seedOpt).toStdString());
            } catch (const ConfigError& e) {
                problems.push_back("--seed: " + e.problems().front());
            }
        }
        bool ok = false;
        request.threads = parser.value(threadsOpt).toInt(&ok);
        if (!ok || request.threads < 1 || request.threads > 256)
            problems.push_back("--threads '" + parser.value(threadsOpt).toStdString() +
                               "' must be an integer in [1, 256]");
        if (!problems.empty()) throw ConfigError(problems);
        request.dataDir = parser.value(dataDirOpt).toStdString();
        if (parser.isSet(outOpt)) {
            request.runsRoot = parser.value(outOpt).toStdString();
        } else {
            if (runsRoot.empty()) throw ConfigError({noRunsRoot});
            request.runsRoot = runsRoot;
        }

        RunControl control;
        gStopSignal = 0;
        gControl = &control;
        for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, onSignal);
        ConsoleObserver observer(parser.isSet(quietOpt));
        std::cerr << "trainlab: running " << request.preset.title << "\n";
        const RunOutcome outcome = runExperiment(request, &observer, control);
        for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, SIG_DFL);
        gControl = nullptr;
        if (::isatty(STDERR_FILENO)) std::cerr << "\r\033[K";
        if (!outcome.runDir.empty() && !parser.isSet(noPlotsOpt)) {
            QString error;
            if (outcome.recordingFailed)  // a full disk: no plots from an incomplete record
                error = "the run folder could not be written to (the reason follows)";
            else
                renderRunPlots(QString::fromStdString(outcome.runDir.string()), &error);
            if (!error.isEmpty())
                std::cerr << "trainlab: plots not rendered: " << error.toStdString() << "\n";
        }
        std::cerr << "trainlab: " << runStateName(outcome.state) << ": " << outcome.message << "\n";
        if (!outcome.runDir.empty()) std::cout << outcome.runDir.string() << "\n";
        switch (outcome.state) {
            case RunState::Finished:
                return 0;
            case RunState::Cancelled:  // 128 + the signal: 130 SIGINT, 143 SIGTERM, 129 SIGHUP
                return 128 + (gStopSignal ? static_cast<int>(gStopSignal) : SIGINT);
            default:
                return 1;
        }
    } catch (const std::exception& e) {
        std::cerr << "trainlab-cli: " << e.what() << "\n";
        return 2;
    }
}

}  // namespace trainlab
