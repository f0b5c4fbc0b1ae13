#include "run_directory.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <utility>

#include "atomic_file.h"
#include "csv.h"
#include "enum_names.h"
#include "errors.h"
#include "host.h"
#include "run_file_reader.h"
#include "unique_fd.h"

namespace trainlab {

using nlohmann::json;

namespace {
inline constexpr EnumName<RunState> kRunStateNames[] = {{RunState::Running, "running"},
                                                        {RunState::Finished, "finished"},
                                                        {RunState::Failed, "failed"},
                                                        {RunState::Cancelled, "cancelled"},
                                                        {RunState::Interrupted, "interrupted"}};
}  // namespace

std::string runStateName(RunState s) {
    return nameOf(kRunStateNames, s, "interrupted");
}

RunState runStateFromName(const std::string& n) {
    for (const auto& e : kRunStateNames)
        if (n == e.name) return e.value;
    return RunState::Interrupted;
}

RunDirectory RunDirectory::create(const fs::path& root, const std::string& name) {
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec) throw IoError("cannot create runs folder '" + root.string() + "': " + ec.message());
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    std::ostringstream stem;
    stem << std::put_time(&tm, "%Y%m%d-%H%M%S") << '-' << (isSafeId(name) ? name : "run");
    for (int n = 0; n < 10000; ++n) {
        fs::path dir = root / (n == 0 ? stem.str() : stem.str() + "-" + std::to_string(n));
        // mkdir(2) is atomic and never follows a symlink: EEXIST for any entry of that name
        // (a file, a folder, a symlink, a dangling one) means "taken", so try the next name.
        if (::mkdir(dir.c_str(), 0755) != 0) {
            if (errno == EEXIST) continue;
            throw IoError(systemErrorText("cannot create run folder in", root, errno));
        }
        for (const char* sub : {"metrics", "plots"}) {
            if (::mkdir((dir / sub).c_str(), 0755) != 0) {
                const int err = errno;
                RunDirectory(dir).removeUnstarted();
                throw IoError(systemErrorText("cannot create", dir / sub, err));
            }
        }
        return RunDirectory(dir);
    }
    throw IoError("cannot find a free run folder name in '" + root.string() + "'");
}

bool RunDirectory::removeUnstarted() const {
    const std::string pid = std::to_string(::getpid());
    for (const char* name : {"config.json", "panels.json", "status.json"}) {
        ::unlink((dir_ / name).c_str());
        ::unlink((dir_ / (std::string(name) + ".tmp" + pid)).c_str());  // writeFileAtomic's
    }
    ::rmdir(metricsDir().c_str());  // only when empty: nothing of anyone else is removed
    ::rmdir(plotsDir().c_str());
    return ::rmdir(dir_.c_str()) == 0;
}

RunDirectory::RunDirectory(fs::path dir) : dir_(std::move(dir)) {
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) throw IoError("'" + dir_.string() + "' is not a run folder");
}

fs::path RunDirectory::seriesPath(const std::string& id) const {
    if (!isSafeId(id)) throw IoError("series id '" + id + "' is not a safe file name");
    return metricsDir() / (id + ".csv");
}

fs::path RunDirectory::labelsPath(const std::string& id) const {
    if (!isSafeId(id)) throw IoError("series id '" + id + "' is not a safe file name");
    return metricsDir() / (id + ".labels.txt");
}

fs::path RunDirectory::pointRunsPath(const std::string& id) const {
    if (!isSafeId(id)) throw IoError("series id '" + id + "' is not a safe file name");
    return metricsDir() / (id + ".runs.txt");
}

fs::path RunDirectory::perRunSeriesPath(const std::string& id, int run) const {
    return seriesPath(perRunSeriesId(id, run));
}

void RunDirectory::writePointRuns(const std::string& id, const std::vector<int>& runs) const {
    std::vector<std::string> lines;
    lines.reserve(runs.size());
    for (int r : runs) lines.push_back(std::to_string(r));
    writeSeriesLabels(pointRunsPath(id), lines);  // one line per point, written atomically
}

std::vector<int> RunDirectory::readPointRuns(const std::string& id) const {
    const fs::path path = pointRunsPath(id);
    std::vector<int> runs;
    int lineNo = 0;
    for (const std::string& line : readSeriesLabels(path)) {
        ++lineNo;
        char* end = nullptr;
        errno = 0;
        const long v = std::strtol(line.c_str(), &end, 10);
        if (line.empty() || *end != '\0' || errno != 0 || v < 1 || v > 1000000000)
            throw DataError(path.string(), "line " + std::to_string(lineNo) + ": '" +
                                               line.substr(0, 40) + "' is not a run number");
        runs.push_back(static_cast<int>(v));
    }
    return runs;
}

void RunDirectory::writeConfig(const json& c) const {
    writeFileAtomic(dir_ / "config.json",
                    c.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}
void RunDirectory::writeResults(const json& r) const {
    writeFileAtomic(dir_ / "results.json",
                    r.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}
void RunDirectory::writeLayout(const PlotLayout& l) const {
    writeFileAtomic(dir_ / "panels.json",
                    json(l).dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

namespace {

/// status.json's text padded with spaces to exactly kStatusFileBytes (a message too long for
/// that is shortened); JSON allows the trailing whitespace.
std::string statusFileText(const RunStatus& s) {
    std::string message = s.message;
    for (;;) {
        json j{{"state", runStateName(s.state)},
               {"message", message},
               {"started_at", s.startedAt},
               {"ended_at", s.endedAt},
               {"elapsed_s", s.elapsedSeconds},
               {"pid", s.pid},
               {"pid_start_ticks", s.pidStartTicks},
               {"boot_id", s.bootId},
               {"host", s.host}};
        std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
        if (text.size() < kStatusFileBytes) {
            text.resize(kStatusFileBytes - 1, ' ');
            text += '\n';
            return text;
        }
        if (message.empty()) return text + '\n';  // absurd other fields: no reservation
        const size_t over = text.size() - kStatusFileBytes + 64;
        message =
            message.substr(0, message.size() > over ? message.size() - over : 0) + " [shortened]";
    }
}

/// Overwrites `path` in place with `text` (no new block, no new inode): false when the file is
/// not a regular file at least as long as `text`, or cannot be written.
bool overwriteInPlace(const fs::path& path, std::string text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return false;
    struct stat st {};
    bool ok = ::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) &&
              static_cast<std::uint64_t>(st.st_size) >= text.size();
    if (ok) {
        if (text.size() < static_cast<size_t>(st.st_size)) {  // cover the rest of a longer file
            text.pop_back();
            text.resize(static_cast<size_t>(st.st_size) - 1, ' ');
            text += '\n';
        }
        size_t done = 0;
        while (ok && done < text.size()) {
            const ssize_t n = ::pwrite(fd.get(), text.data() + done, text.size() - done,
                                       static_cast<off_t>(done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0)
                ok = false;
            else
                done += static_cast<size_t>(n);
        }
        ok = ok && ::fdatasync(fd.get()) == 0;
    }
    ok = fd.close() && ok;
    return ok;
}

}  // namespace

void RunDirectory::writeStatus(const RunStatus& s) const {
    const fs::path path = dir_ / "status.json";
    const std::string text = statusFileText(s);
    try {
        writeFileAtomic(path, text);
    } catch (const IoError&) {
        // A full disk (or no inode left) has no room for the temporary file; the file written
        // at the start reserved the room, so the final state still gets there.
        if (!overwriteInPlace(path, text)) throw;
    }
}

json RunDirectory::readConfig() const {
    return readRunJsonFile(dir_ / "config.json");
}

std::optional<json> RunDirectory::readResults() const {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(dir_ / "results.json", ec))) return std::nullopt;
    return readRunJsonFile(dir_ / "results.json");
}

PlotLayout RunDirectory::readLayout() const {
    const fs::path path = dir_ / "panels.json";
    const json j = readRunJsonFile(path);
    PlotLayout layout;
    try {
        layout = j.get<PlotLayout>();
    } catch (const json::exception& e) {
        throw ConfigError({"'" + path.string() + "': " + e.what()});
    }
    // Ids name files (metrics/<series>.csv, plots/<panel>.png): "../x" or "/tmp/x" would
    // read or write outside the run folder.
    std::vector<std::string> problems;
    const auto check = [&](const std::string& id, const char* what) {
        if (!isSafeId(id))
            problems.push_back("'" + path.string() + "': " + what + " id '" + id.substr(0, 200) +
                               "' is not a plain file name (letters, digits, '_', '-', '.', not "
                               "starting with '.', at most 120 characters)");
    };
    for (const PanelSpec& p : layout.panels) check(p.id, "panel");
    for (const SeriesSpec& s : layout.series) check(s.id, "series");
    if (!problems.empty()) throw ConfigError(problems);
    return layout;
}

namespace {
/// `dir` is a folder of its own inside the run folder, not a symbolic link to elsewhere.
void requirePlainFolder(const fs::path& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) throw IoError(systemErrorText("cannot open", dir, errno));
    if (S_ISLNK(st.st_mode))
        throw IoError("'" + dir.string() +
                      "' is a symbolic link: a run's files are read and written only inside its "
                      "folder (replace the link with a folder)");
    if (!S_ISDIR(st.st_mode)) throw IoError("'" + dir.string() + "' is not a folder");
}
}  // namespace

fs::path RunDirectory::plotsDirForWriting() const {
    const fs::path dir = plotsDir();
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        throw IoError(systemErrorText("cannot create", dir, errno));
    requirePlainFolder(dir);
    return dir;
}

namespace {
/// Whether the run's process still runs: the pid exists and, where recorded, the boot and the
/// process's start time are the run's (a pid is reused once its process has ended).
bool processAlive(const RunStatus& s) {
    if (s.pid <= 0) return false;
    if (!s.bootId.empty()) {
        const std::string boot = currentBootId();
        if (!boot.empty() && boot != s.bootId) return false;  // rebooted since
    }
    if (!(::kill(static_cast<pid_t>(s.pid), 0) == 0 || errno == EPERM)) return false;
    if (s.pidStartTicks > 0) {
        const std::int64_t started = processStartTicks(s.pid);
        if (started != 0 && started != s.pidStartTicks) return false;  // another process
    }
    return true;
}

}  // namespace

RunStatus RunDirectory::readStatus() const {
    RunStatus s;
    std::error_code ec;
    if (!fs::exists(dir_ / "status.json", ec)) {
        s.state = RunState::Interrupted;
        s.message = "no status.json: the run was interrupted before it started";
        return s;
    }
    try {
        const json j = readRunJsonFile(dir_ / "status.json");
        s.state = runStateFromName(j.value("state", ""));
        s.message = j.value("message", "");
        s.startedAt = j.value("started_at", "");
        s.endedAt = j.value("ended_at", "");
        s.elapsedSeconds = j.value("elapsed_s", 0.0);
        s.pid = j.value("pid", std::int64_t{0});
        s.host = j.value("host", "");
        s.pidStartTicks = j.value("pid_start_ticks", std::int64_t{0});
        s.bootId = j.value("boot_id", "");
    } catch (const std::exception& e) {
        s.state = RunState::Interrupted;
        s.message = std::string("status.json unreadable: ") + e.what();
        return s;
    }
    if (s.state == RunState::Running && (s.host != currentHostName() || !processAlive(s))) {
        // Another host's run can't be probed; a dead local process means it was killed.
        if (s.host == currentHostName()) {
            s.state = RunState::Interrupted;
            s.message = "the run was interrupted (its process ended without finishing)";
        }
    }
    return s;
}

std::vector<std::pair<SeriesSpec, Series>> RunDirectory::readAllSeries() const {
    std::vector<std::string> warnings;
    std::vector<std::string> errors;
    auto out = readAllSeries(warnings, errors);
    if (!errors.empty()) throw IoError(errors.front());
    return out;
}

std::vector<std::pair<SeriesSpec, Series>> RunDirectory::readAllSeries(
    std::vector<std::string>& warnings, std::vector<std::string>& errors) const {
    const PlotLayout layout = readLayout();
    std::vector<std::pair<SeriesSpec, Series>> out;
    std::error_code ec;
    // No metrics/ at all: nothing was recorded (every series empty), not a fault.
    if (fs::exists(fs::symlink_status(metricsDir(), ec))) requirePlainFolder(metricsDir());
    for (const auto& spec : layout.series) {
        const fs::path p = seriesPath(spec.id);
        // a missing file is a series without points; a dangling link is read (and refused)
        const bool read =
            spec.style != SeriesStyle::Heatmap && fs::exists(fs::symlink_status(p, ec));
        Series s;
        if (read) {
            try {
                s = readSeriesCsv(p, &warnings);
            } catch (const std::exception& e) {
                errors.push_back("series '" + spec.id + "' not read: " + e.what());
            }
        }
        out.emplace_back(spec, std::move(s));
    }
    return out;
}

void recordThisProcess(RunStatus& s) {
    s.pid = ::getpid();
    s.host = currentHostName();
    s.pidStartTicks = processStartTicks(s.pid);
    s.bootId = currentBootId();
}

}  // namespace trainlab
