#include "sweep_folder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "atomic_file.h"
#include "errors.h"
#include "experiment_runner.h"
#include "host.h"

namespace trainlab {

using nlohmann::json;

namespace {

json presetToJson(const Preset& p) {
    return json{{"id", p.id},
                {"title", p.title},
                {"group", p.group},
                {"kind", p.kind},
                {"description", p.description},
                {"expected", p.expected},
                {"source", p.source},
                {"config", p.config}};
}

Preset presetFromJson(const json& j) {
    Preset p;
    p.id = j.at("id").get<std::string>();
    p.title = j.value("title", p.id);
    p.group = j.value("group", "");
    p.kind = j.at("kind").get<std::string>();
    p.description = j.value("description", "");
    p.expected = j.value("expected", "");
    p.source = j.value("source", "");
    p.config = j.at("config");
    return p;
}

json tasksToJson(const std::vector<SweepTask>& tasks) {
    json out = json::array();
    for (const auto& t : tasks) {
        json settings = json::object();
        for (const auto& [k, v] : t.settings) settings[k] = v;
        out.push_back(
            {{"index", t.index}, {"name", t.name}, {"settings", settings}, {"config", t.config}});
    }
    return out;
}

/// The tasks, their settings in the order of `keys` (sweep.json's "setting_keys").
std::vector<SweepTask> tasksFromJson(const json& j, const json& keys) {
    std::vector<SweepTask> tasks;
    for (const auto& t : j) {
        SweepTask task;
        task.index = t.at("index").get<int>();
        task.name = t.at("name").get<std::string>();
        task.config = t.at("config");
        const json& settings = t.at("settings");
        for (const auto& k : keys)
            if (settings.contains(k.get<std::string>()))
                task.settings.emplace_back(k.get<std::string>(), settings[k.get<std::string>()]);
        if (task.index != static_cast<int>(tasks.size()) || task.name.empty() ||
            task.name.find('/') != std::string::npos || task.name[0] == '.')
            throw ConfigError({"task " + std::to_string(tasks.size()) + " is out of order or "
                               "has an unusable name"});
        tasks.push_back(std::move(task));
    }
    return tasks;
}

}  // namespace

json sweepRecordToJson(const SweepRecord& r) {
    json keys = json::array();
    if (!r.tasks.empty())
        for (const auto& [k, v] : r.tasks.front().settings) keys.push_back(k);
    json submissions = json::array();
    for (const auto& s : r.submissions)
        submissions.push_back({{"job_id", s.jobId},
                               {"indices", s.indices},
                               {"array", s.array},
                               {"submitted_at", s.submittedAt}});
    return json{{"format", 1},
                {"trainlab_version", r.trainlabVersion},
                {"created_at", r.createdAt},
                {"backend", sweepBackendName(r.spec.backend)},
                {"executable", r.executable},
                {"spec", sweepSpecToJson(r.spec)},
                {"preset", presetToJson(r.preset)},
                {"setting_keys", keys},
                {"task_count", r.tasks.size()},
                {"tasks", tasksToJson(r.tasks)},
                {"submissions", submissions}};
}

SweepRecord sweepRecordFromJson(const json& j, const std::string& source) {
    SweepRecord r;
    try {
        r.spec = sweepSpecFromJson(j.at("spec"), source + " (spec)");
        r.preset = presetFromJson(j.at("preset"));
        r.tasks = tasksFromJson(j.at("tasks"), j.at("setting_keys"));
        r.trainlabVersion = j.value("trainlab_version", "");
        r.createdAt = j.value("created_at", "");
        r.executable = j.value("executable", "");
        for (const auto& s : j.at("submissions"))
            r.submissions.push_back({s.at("job_id").get<std::string>(),
                                     s.at("indices").get<std::vector<int>>(),
                                     s.value("array", ""), s.value("submitted_at", "")});
    } catch (const ConfigError& e) {
        std::vector<std::string> p;
        for (const auto& m : e.problems()) p.push_back(source + ": " + m);
        throw ConfigError(p);
    } catch (const json::exception& e) {
        throw ConfigError({source + ": not a sweep record (" + std::string(e.what()) + ")"});
    }
    return r;
}

SweepFolder::SweepFolder(fs::path dir, SweepRecord record)
    : dir_(std::move(dir)), record_(std::move(record)) {}

SweepFolder SweepFolder::create(const fs::path& dir, const SweepRecord& record) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(dir, ec))) {
        if (!fs::is_directory(fs::symlink_status(dir, ec)) || !fs::is_empty(dir, ec))
            throw IoError("'" + dir.string() +
                          "' already exists and is not an empty folder: a sweep needs a new "
                          "folder (sweep resume continues an existing sweep)");
    }
    fs::create_directories(dir, ec);
    if (ec) throw IoError(systemErrorText("cannot create the sweep folder", dir, ec.value()));
    for (const char* sub : {"tasks", "logs", "locks"}) {
        if (::mkdir((dir / sub).c_str(), 0777) != 0 && errno != EEXIST)
            throw IoError(systemErrorText("cannot create", dir / sub, errno));
    }
    SweepFolder folder(fs::absolute(dir, ec).lexically_normal(), record);
    folder.save();
    return folder;
}

SweepFolder SweepFolder::open(const fs::path& dir) {
    const fs::path file = dir / "sweep.json";
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
        throw IoError("'" + dir.string() + "' is not a sweep folder (no sweep.json)");
    SweepRecord record = sweepRecordFromJson(readJsonFile(file), file.string());
    return SweepFolder(fs::absolute(dir, ec).lexically_normal(), std::move(record));
}

void SweepFolder::save() const {
    writeFileAtomic(recordPath(), sweepRecordToJson(record_).dump(2) + "\n");
}

const SweepTask& SweepFolder::task(int index) const {
    if (index < 0 || index >= static_cast<int>(record_.tasks.size()))
        throw ConfigError({"task " + std::to_string(index) + " is not in this sweep (tasks 0 to " +
                           std::to_string(static_cast<int>(record_.tasks.size()) - 1) + ")"});
    return record_.tasks[static_cast<std::size_t>(index)];
}

fs::path SweepFolder::taskFolder(int index) const {
    return dir_ / "tasks" / task(index).name;
}

fs::path SweepFolder::taskLockPath(int index) const {
    return dir_ / "locks" / ("task-" + std::to_string(index) + ".lock");
}

fs::path SweepFolder::taskLogPath(int index) const {
    return logsDir() / ("task-" + std::to_string(index) + ".log");
}

std::vector<fs::path> SweepFolder::taskRuns(int index) const {
    std::vector<fs::path> runs;
    std::error_code ec;
    for (fs::directory_iterator it(taskFolder(index), ec), end; !ec && it != end; it.increment(ec)) {
        const auto st = it->symlink_status(ec);
        if (!ec && fs::is_directory(st)) runs.push_back(it->path());
    }
    // Names start with the time to the second; the same second adds "-2", "-3" …: shorter first.
    std::sort(runs.begin(), runs.end(), [](const fs::path& a, const fs::path& b) {
        const std::string x = a.filename().string(), y = b.filename().string();
        const std::string tx = x.substr(0, 15), ty = y.substr(0, 15);
        if (tx != ty) return tx < ty;
        return x.size() != y.size() ? x.size() < y.size() : x < y;
    });
    return runs;
}

namespace {

/// The line the lock's holder wrote ("" when unreadable).
std::string holderLine(const fs::path& path) {
    std::string line;
    try {
        line = readFile(path);
    } catch (const std::exception&) {
    }
    if (line.size() > 512) line.resize(512);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return line;
}

}  // namespace

std::optional<FileLock> FileLock::tryAcquire(const fs::path& path, std::string* holder) {
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) throw IoError(systemErrorText("cannot open the lock file", path, errno));
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd.get(), F_OFD_SETLK, &fl) != 0) {
        if (errno != EAGAIN && errno != EACCES)
            throw IoError(systemErrorText("cannot lock", path, errno));
        if (holder) *holder = holderLine(path);
        return std::nullopt;
    }
    const std::string line = "pid " + std::to_string(::getpid()) + " on host " +
                             currentHostName() + " since " + isoTimestampUtc() + "\n";
    if (::ftruncate(fd.get(), 0) != 0 ||
        ::pwrite(fd.get(), line.data(), line.size(), 0) != static_cast<ssize_t>(line.size()))
        throw IoError(systemErrorText("cannot write", path, errno));
    return FileLock(std::move(fd));
}

bool FileLock::isHeld(const fs::path& path, std::string* holder) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return false;
    struct flock fl {};
    fl.l_type = F_RDLCK;  // conflicts with the holder's write lock
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd.get(), F_OFD_GETLK, &fl) != 0 || fl.l_type == F_UNLCK) return false;
    if (holder) *holder = holderLine(path);
    return true;
}

std::int64_t FileLock::holderPid(const std::string& holder, std::string* host) {
    // "pid 1234 on host node7 since 2026-…"
    if (holder.rfind("pid ", 0) != 0) return 0;
    const std::int64_t pid = std::strtoll(holder.c_str() + 4, nullptr, 10);
    const auto on = holder.find(" on host ");
    if (host && on != std::string::npos) {
        const auto end = holder.find(' ', on + 9);
        *host = holder.substr(on + 9, end == std::string::npos ? std::string::npos : end - on - 9);
    }
    return pid;
}

}  // namespace trainlab
