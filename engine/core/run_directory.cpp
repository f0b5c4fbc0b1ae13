#include "run_directory.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <utility>

#include "errors.h"

namespace trainlab {

using nlohmann::json;

std::string runStateName(RunState s) {
    switch (s) {
        case RunState::Running:
            return "running";
        case RunState::Finished:
            return "finished";
        case RunState::Failed:
            return "failed";
        case RunState::Cancelled:
            return "cancelled";
        case RunState::Interrupted:
            return "interrupted";
    }
    return "interrupted";
}

RunState runStateFromName(const std::string& n) {
    if (n == "running") return RunState::Running;
    if (n == "finished") return RunState::Finished;
    if (n == "failed") return RunState::Failed;
    if (n == "cancelled") return RunState::Cancelled;
    return RunState::Interrupted;
}

namespace {

std::string sysError(const std::string& what, const fs::path& p, int err) {
    return what + " '" + p.string() + "': " + std::strerror(err);
}

void writeAll(int fd, const std::string& bytes, const fs::path& p) {
    const char* data = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, data, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw IoError(sysError("cannot write", p, errno));
        }
        data += n;
        left -= static_cast<size_t>(n);
    }
}

}  // namespace

void writeFileAtomic(const fs::path& path, const std::string& bytes) {
    const fs::path tmp = path.string() + ".tmp" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw IoError(sysError("cannot create", tmp, errno));
    try {
        writeAll(fd, bytes, tmp);
        if (::fsync(fd) != 0) throw IoError(sysError("cannot flush", tmp, errno));
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw IoError(sysError("cannot close", tmp, err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw IoError(sysError("cannot replace", path, err));
    }
}

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot open '" + path.string() + "': " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

json readJsonFile(const fs::path& path) {
    const std::string text = readFile(path);
    try {
        return json::parse(text);
    } catch (const json::exception& e) {  // also numbers out of range (found by fuzzing)
        throw ConfigError({"'" + path.string() + "' is not valid JSON: " + e.what()});
    }
}

std::string isoTimestampUtc() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::ostringstream s;
    s << std::put_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
    return s.str();
}

CsvSeriesWriter::CsvSeriesWriter(const fs::path& path, const std::string& xName,
                                 const std::string& yName)
    : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) throw IoError(sysError("cannot create", path, errno));
    pending_ = xName + ',' + yName + '\n';
    flush();
}

CsvSeriesWriter::CsvSeriesWriter(CsvSeriesWriter&& o) noexcept
    : path_(std::move(o.path_)),
      fd_(std::exchange(o.fd_, -1)),
      pending_(std::move(o.pending_)),
      good_(o.good_),
      error_(o.error_) {}

CsvSeriesWriter& CsvSeriesWriter::operator=(CsvSeriesWriter&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        path_ = std::move(o.path_);
        fd_ = std::exchange(o.fd_, -1);
        pending_ = std::move(o.pending_);
        good_ = o.good_;
        error_ = o.error_;
    }
    return *this;
}

CsvSeriesWriter::~CsvSeriesWriter() {
    if (fd_ < 0) return;
    if (!error_ && !pending_.empty()) {
        try {
            flush();  // rows appended after the last flush (a destructor must not throw)
        } catch (...) {
        }
    }
    ::close(fd_);
}

void CsvSeriesWriter::append(double x, double y) {
    char row[64];
    const int n = std::snprintf(row, sizeof row, "%.9g,%.9g\n", x, y);  // as ostream precision 9
    if (n > 0) pending_.append(row, static_cast<size_t>(std::min<int>(n, sizeof row - 1)));
}

void CsvSeriesWriter::flush() {
    if (error_) throw IoError(sysError("cannot write", path_, error_));
    if (fd_ < 0) throw IoError("cannot write '" + path_.string() + "': the file is not open");
    size_t done = 0;
    while (done < pending_.size()) {
        const ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = n < 0 ? errno : EIO;
            // Cut back to the last whole row; a character device (/dev/full) cannot be cut.
            if (::ftruncate(fd_, static_cast<off_t>(good_)) == 0)
                ::lseek(fd_, static_cast<off_t>(good_), SEEK_SET);
            pending_.clear();
            throw IoError(sysError("cannot write", path_, error_));
        }
        done += static_cast<size_t>(n);
    }
    good_ += static_cast<std::int64_t>(pending_.size());
    pending_.clear();
}

void writeSeriesCsv(const fs::path& path, const std::string& xName, const std::string& yName,
                    const Series& s) {
    std::ostringstream o;
    o << std::setprecision(9) << xName << ',' << yName << '\n';
    const size_t n = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < n; ++i) o << s.x[i] << ',' << s.y[i] << '\n';
    writeFileAtomic(path, o.str());
}

void writeSeriesLabels(const fs::path& path, const std::vector<std::string>& labels) {
    std::string text;
    for (const auto& l : labels) {
        for (char ch : l) text += (ch == '\n' || ch == '\r') ? ' ' : ch;
        text += '\n';
    }
    writeFileAtomic(path, text);
}

std::vector<std::string> readSeriesLabels(const fs::path& path) {
    std::vector<std::string> labels;
    std::ifstream in(path);
    std::string line;
    while (in && std::getline(in, line)) labels.push_back(line);
    return labels;
}

Series readSeriesCsv(const fs::path& path) {
    std::ifstream in(path);
    if (!in) throw IoError(sysError("cannot open", path, errno));
    Series s;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        if (in.eof()) break;  // no trailing newline: the writer was killed mid-line
        const char* b = line.c_str();
        char* end = nullptr;
        const double x = std::strtod(b, &end);
        if (end == b || *end != ',') break;
        const char* yb = end + 1;
        const double y = std::strtod(yb, &end);
        if (end == yb || *end != '\0') break;
        s.x.push_back(x);
        s.y.push_back(y);
    }
    return s;
}

namespace {

/// Strictly increasing and finite; "" or what is wrong with the `name` coordinates.
std::string axisFault(const std::vector<double>& v, const char* name) {
    for (size_t i = 0; i < v.size(); ++i) {
        if (!std::isfinite(v[i]))
            return std::string(name) + "[" + std::to_string(i) + "] is not finite";
        if (i > 0 && !(v[i] > v[i - 1]))
            return std::string(name) + " are not strictly increasing at index " + std::to_string(i);
    }
    return {};
}

/// Parses "a,b,c" (exactly three numbers); false on anything else.
bool parseTriple(const std::string& line, double out[3]) {
    const char* p = line.c_str();
    for (int k = 0; k < 3; ++k) {
        char* end = nullptr;
        out[k] = std::strtod(p, &end);
        if (end == p) return false;
        if (k < 2) {
            if (*end != ',') return false;
            p = end + 1;
        } else if (*end != '\0') {
            return false;
        }
    }
    return true;
}

std::string numberText(double v) {
    std::ostringstream o;
    o << std::setprecision(9) << v;
    return o.str();
}

}  // namespace

std::string gridFault(const Grid& g) {
    if (g.xs.empty() != g.ys.empty())
        return "a grid needs both x and y values (has " + std::to_string(g.xs.size()) + " x and " +
               std::to_string(g.ys.size()) + " y)";
    if (std::string f = axisFault(g.xs, "x values"); !f.empty()) return f;
    if (std::string f = axisFault(g.ys, "y values"); !f.empty()) return f;
    const size_t cells = g.xs.size() * g.ys.size();
    if (g.z.size() != cells)
        return "z has " + std::to_string(g.z.size()) + " values; " + std::to_string(g.xs.size()) +
               " x times " + std::to_string(g.ys.size()) + " y need " + std::to_string(cells);
    return {};
}

void writeGridCsv(const fs::path& path, const Grid& grid) {
    if (std::string fault = gridFault(grid); !fault.empty()) throw DataError(path.string(), fault);
    std::ostringstream o;
    o << std::setprecision(9) << "x,y,z\n";
    const size_t nx = grid.xs.size();
    for (size_t iy = 0; iy < grid.ys.size(); ++iy)
        for (size_t ix = 0; ix < nx; ++ix)
            o << grid.xs[ix] << ',' << grid.ys[iy] << ',' << grid.z[iy * nx + ix] << '\n';
    writeFileAtomic(path, o.str());
}

Grid readGridCsv(const fs::path& path) {
    std::ifstream in(path);
    if (!in) throw IoError(sysError("cannot open", path, errno));
    const std::string file = path.string();
    const auto fail = [&](size_t lineNo, const std::string& fault) -> DataError {
        return DataError(file, "line " + std::to_string(lineNo) + ": " + fault);
    };
    std::string line;
    if (!std::getline(in, line)) throw DataError(file, "empty file (expected the header x,y,z)");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line != "x,y,z")
        throw fail(1, "header is '" + line.substr(0, 60) + "', expected 'x,y,z' (not a grid)");
    Grid g;
    size_t lineNo = 1;
    size_t rows = 0;
    bool xsComplete = false;  // the first y's row of x values has ended
    double v[3];
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() && in.peek() == std::char_traits<char>::eof()) break;
        if (in.eof())  // the writer ends every row with a line break
            throw fail(lineNo, "'" + line.substr(0, 60) + "' has no line end (truncated file?)");
        if (!parseTriple(line, v))
            throw fail(lineNo, "'" + line.substr(0, 60) + "' is not three numbers x,y,z");
        if (!std::isfinite(v[0]) || !std::isfinite(v[1]))
            throw fail(lineNo, "x and y must be finite");
        if (rows == 0) {
            g.xs.push_back(v[0]);
            g.ys.push_back(v[1]);
        } else if (!xsComplete && v[1] == g.ys.back()) {
            if (!(v[0] > g.xs.back()))
                throw fail(lineNo, "x = " + numberText(v[0]) + " does not increase (after x = " +
                                       numberText(g.xs.back()) + ")");
            g.xs.push_back(v[0]);
        } else {
            xsComplete = true;
            const size_t nx = g.xs.size();
            const size_t ix = rows % nx;
            if (ix == 0) {
                if (!(v[1] > g.ys.back()))
                    throw fail(lineNo, "y = " + numberText(v[1]) +
                                           " does not increase (after y = " +
                                           numberText(g.ys.back()) + ")");
                g.ys.push_back(v[1]);
            } else if (v[1] != g.ys.back()) {
                throw fail(lineNo,
                           "y = " + numberText(v[1]) + " where y = " + numberText(g.ys.back()) +
                               " was expected: y " + numberText(g.ys.back()) + " has only " +
                               std::to_string(ix) + " of " + std::to_string(nx) + " x values");
            }
            if (v[0] != g.xs[ix])
                throw fail(lineNo, "x = " + numberText(v[0]) +
                                       " where x = " + numberText(g.xs[ix]) +
                                       " was expected (x value " + std::to_string(ix + 1) + " of " +
                                       std::to_string(nx) + " of every y)");
        }
        g.z.push_back(v[2]);
        ++rows;
    }
    if (rows > 0 && rows != g.xs.size() * g.ys.size())
        throw DataError(file, "truncated: the last y (" + numberText(g.ys.back()) + ") has " +
                                  std::to_string(rows % g.xs.size()) + " of " +
                                  std::to_string(g.xs.size()) + " x values");
    return g;
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
        if (fs::create_directory(dir, ec)) {
            fs::create_directory(dir / "metrics", ec);
            if (!ec) fs::create_directory(dir / "plots", ec);
            if (ec) throw IoError("cannot create '" + dir.string() + "': " + ec.message());
            return RunDirectory(dir);
        }
        if (ec)
            throw IoError("cannot create run folder in '" + root.string() + "': " + ec.message());
    }
    throw IoError("cannot find a free run folder name in '" + root.string() + "'");
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

void RunDirectory::writeStatus(const RunStatus& s) const {
    json j{{"state", runStateName(s.state)},
           {"message", s.message},
           {"started_at", s.startedAt},
           {"ended_at", s.endedAt},
           {"elapsed_s", s.elapsedSeconds},
           {"pid", s.pid},
           {"host", s.host}};
    writeFileAtomic(dir_ / "status.json",
                    j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

json RunDirectory::readConfig() const {
    return readJsonFile(dir_ / "config.json");
}

std::optional<json> RunDirectory::readResults() const {
    std::error_code ec;
    if (!fs::exists(dir_ / "results.json", ec)) return std::nullopt;
    return readJsonFile(dir_ / "results.json");
}

PlotLayout RunDirectory::readLayout() const {
    const json j = readJsonFile(dir_ / "panels.json");
    try {
        return j.get<PlotLayout>();
    } catch (const json::exception& e) {
        throw ConfigError({"'" + (dir_ / "panels.json").string() + "': " + e.what()});
    }
}

namespace {
bool processAlive(std::int64_t pid) {
    if (pid <= 0) return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string hostName() {
    char buf[256] = {0};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
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
        const json j = readJsonFile(dir_ / "status.json");
        s.state = runStateFromName(j.value("state", ""));
        s.message = j.value("message", "");
        s.startedAt = j.value("started_at", "");
        s.endedAt = j.value("ended_at", "");
        s.elapsedSeconds = j.value("elapsed_s", 0.0);
        s.pid = j.value("pid", std::int64_t{0});
        s.host = j.value("host", "");
    } catch (const std::exception& e) {
        s.state = RunState::Interrupted;
        s.message = std::string("status.json unreadable: ") + e.what();
        return s;
    }
    if (s.state == RunState::Running && (s.host != hostName() || !processAlive(s.pid))) {
        // Another host's run can't be probed; a dead local process means it was killed.
        if (s.host == hostName()) {
            s.state = RunState::Interrupted;
            s.message = "the run was interrupted (its process ended without finishing)";
        }
    }
    return s;
}

std::vector<std::pair<SeriesSpec, Series>> RunDirectory::readAllSeries() const {
    std::vector<std::pair<SeriesSpec, Series>> out;
    for (const auto& spec : readLayout().series) {
        std::error_code ec;
        const fs::path p = seriesPath(spec.id);
        const bool read = spec.style != SeriesStyle::Heatmap && fs::exists(p, ec);
        out.emplace_back(spec, read ? readSeriesCsv(p) : Series{});
    }
    return out;
}

std::vector<RunSummary> listRuns(const fs::path& root) {
    std::vector<RunSummary> runs;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return runs;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        if (!entry.is_directory(ec)) continue;
        if (!fs::exists(entry.path() / "config.json", ec)) continue;
        RunSummary r;
        r.path = entry.path();
        try {
            RunDirectory dir(entry.path());
            r.status = dir.readStatus();
            const json c = dir.readConfig();
            r.presetId = c.value("preset_id", "");
            r.title = c.value("title", r.presetId);
            if (auto res = dir.readResults()) r.headline = res->value("headline", "");
        } catch (const std::exception& e) {
            r.status.state = RunState::Interrupted;
            r.status.message = std::string("damaged run: ") + e.what();
        }
        runs.push_back(std::move(r));
    }
    std::sort(runs.begin(), runs.end(), [](const RunSummary& a, const RunSummary& b) {
        return a.path.filename() > b.path.filename();
    });
    return runs;
}

fs::path defaultRunsRoot() {
    if (const char* r = std::getenv("TRAINLAB_RUNS"); r && *r) return r;
    if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
        return fs::path(x) / "trainlab" / "runs";
    const char* home = std::getenv("HOME");
    return fs::path(home && *home ? home : "/tmp") / ".local" / "share" / "trainlab" / "runs";
}

std::string currentHostName() {
    return hostName();
}

}  // namespace trainlab
