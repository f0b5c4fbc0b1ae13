#include "run_directory.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
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
#include "user_dirs.h"

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
    // Errors name `path`, the file the user knows of, not its temporary file.
    // O_NOFOLLOW: a link planted in the temporary file's place is not written through; the
    // rename below replaces a link at `path` itself, never its target.
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) throw IoError(sysError("cannot write", path, errno));
    try {
        writeAll(fd, bytes, path);
        if (::fsync(fd) != 0) throw IoError(sysError("cannot write", path, errno));
    } catch (...) {
        ::close(fd);
        ::unlink(tmp.c_str());
        throw;
    }
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw IoError(sysError("cannot write", path, err));
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

namespace {

json parseJsonText(const std::string& text, const fs::path& path) {
    try {
        return json::parse(text);
    } catch (const json::exception& e) {  // also numbers out of range (found by fuzzing)
        throw ConfigError({"'" + path.string() + "' is not valid JSON: " + e.what()});
    }
}

std::string byteCount(std::uint64_t n) {
    if (n >= (std::uint64_t{1} << 30) && n % (std::uint64_t{1} << 30) == 0)
        return std::to_string(n >> 30) + " GiB";
    if (n >= (std::uint64_t{1} << 20) && n % (std::uint64_t{1} << 20) == 0)
        return std::to_string(n >> 20) + " MiB";
    return std::to_string(n) + " bytes";
}

/// Opens a file of a run folder for reading: O_NOFOLLOW (a symbolic link is refused), O_NONBLOCK
/// (a named pipe does not block the open), then only a regular file of at most maxBytes is kept.
int openRunFile(const fs::path& path, std::uint64_t maxBytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        if (err == ELOOP)
            throw IoError("'" + path.string() +
                          "' is a symbolic link: a run folder's files are read only as plain "
                          "files inside it");
        throw IoError(sysError("cannot open", path, err));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        throw IoError(sysError("cannot read", path, err));
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        const char* what = S_ISDIR(st.st_mode)                          ? "a folder"
                           : S_ISFIFO(st.st_mode)                       ? "a named pipe"
                           : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                           : S_ISSOCK(st.st_mode)                       ? "a socket"
                                                                        : "a special file";
        throw IoError("'" + path.string() + "' is " + what + ", not a plain file (not read)");
    }
    if (static_cast<std::uint64_t>(st.st_size) > maxBytes) {
        ::close(fd);
        throw DataError(path.string(), "the file is " + std::to_string(st.st_size) +
                                           " bytes, more than the " + byteCount(maxBytes) +
                                           " such a file may have (not read)");
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // a regular file: plain reads
    return fd;
}

/// Appends one read(2) of `fd` to `out` (EINTR retried); false at the end of the file. Throws
/// when `total` passes maxBytes (a file that grew while being read).
bool readChunk(int fd, const fs::path& path, std::string& out, std::uint64_t& total,
               std::uint64_t maxBytes) {
    char chunk[1 << 16];
    ssize_t n;
    do n = ::read(fd, chunk, sizeof chunk);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw IoError(sysError("cannot read", path, errno));
    total += static_cast<std::uint64_t>(n);
    if (total > maxBytes)
        throw DataError(path.string(), "the file is more than the " + byteCount(maxBytes) +
                                           " such a file may have (not read)");
    out.append(chunk, static_cast<size_t>(n));
    return n > 0;
}

/// The lines of a file of a run folder (see openRunFile), read in chunks: never more than
/// maxBytes in all, nor kMaxRunFileLineBytes in a line.
class RunFileLines {
  public:
    RunFileLines(const fs::path& path, std::uint64_t maxBytes)
        : path_(path), fd_(openRunFile(path, maxBytes)), max_(maxBytes) {}
    ~RunFileLines() { ::close(fd_); }
    RunFileLines(const RunFileLines&) = delete;
    RunFileLines& operator=(const RunFileLines&) = delete;

    /// The next line without its "\n" or "\r\n"; false at the end of the file. `complete` is
    /// false for a last line without a line end.
    bool next(std::string& line, bool& complete) {
        for (;;) {
            const size_t nl = buf_.find('\n', pos_);
            if (nl != std::string::npos) {
                if (nl - pos_ > kMaxRunFileLineBytes) tooLong();
                line.assign(buf_, pos_, nl - pos_);
                pos_ = nl + 1;
                if (!line.empty() && line.back() == '\r') line.pop_back();
                complete = true;
                ++lineNo_;
                return true;
            }
            if (buf_.size() - pos_ > kMaxRunFileLineBytes) tooLong();
            if (eof_) {
                if (pos_ >= buf_.size()) return false;
                line.assign(buf_, pos_, std::string::npos);
                pos_ = buf_.size();
                complete = false;
                ++lineNo_;
                return true;
            }
            buf_.erase(0, pos_);
            pos_ = 0;
            eof_ = !readChunk(fd_, path_, buf_, total_, max_);
        }
    }
    size_t lineNo() const { return lineNo_; }

  private:
    [[noreturn]] void tooLong() const {
        throw DataError(path_.string(), "line " + std::to_string(lineNo_ + 1) + " is longer than " +
                                            byteCount(kMaxRunFileLineBytes) +
                                            ", the limit for one line (not read)");
    }

    fs::path path_;
    int fd_;
    std::uint64_t max_;
    std::uint64_t total_ = 0;
    std::string buf_;
    size_t pos_ = 0;
    bool eof_ = false;
    size_t lineNo_ = 0;
};

}  // namespace

json readJsonFile(const fs::path& path) {
    return parseJsonText(readFile(path), path);
}

std::string readRunFile(const fs::path& path, std::uint64_t maxBytes) {
    const int fd = openRunFile(path, maxBytes);
    std::string text;
    std::uint64_t total = 0;
    try {
        while (readChunk(fd, path, text, total, maxBytes)) {
        }
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    return text;
}

json readRunJsonFile(const fs::path& path) {
    return parseJsonText(readRunFile(path, kMaxRunJsonFileBytes), path);
}

void appendCsvNumber(std::string& out, double v) {
    // std::to_chars is locale-independent; with a precision it is exactly printf's %.9g in the
    // C locale, "nan", "-nan", "inf" and "-inf" included (files stay byte-identical).
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 9);
    out.append(buf, res.ptr);
}

bool parseCsvNumber(const char* first, const char* last, double& out) {
    while (first < last && (*first == ' ' || *first == '\t')) ++first;
    while (last > first && (last[-1] == ' ' || last[-1] == '\t')) --last;
    if (first < last && *first == '+') {  // from_chars takes no '+'; not "+-1" either
        ++first;
        if (first < last && *first == '-') return false;
    }
    if (first == last) return false;
    const auto res = std::from_chars(first, last, out, std::chars_format::general);
    if (res.ec == std::errc::result_out_of_range && res.ptr == last) {
        // 1e999 or 1e-999 (a diverged loss rounded to 9 digits above DBL_MAX): strtod's ±inf or
        // ±0, as the value was meant
        const char* e = std::find_if(first, last, [](char c) { return c == 'e' || c == 'E'; });
        const bool tiny = e + 1 < last && e[1] == '-';
        out = tiny ? 0.0 : HUGE_VAL;
        if (*first == '-') out = -out;
        return true;
    }
    return res.ec == std::errc() && res.ptr == last;
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
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
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
    appendCsvNumber(pending_, x);  // "%.9g" in the C locale, whatever the process locale
    pending_ += ',';
    appendCsvNumber(pending_, y);
    pending_ += '\n';
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
    std::string o = xName + ',' + yName + '\n';
    const size_t n = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < n; ++i) {
        appendCsvNumber(o, s.x[i]);
        o += ',';
        appendCsvNumber(o, s.y[i]);
        o += '\n';
    }
    writeFileAtomic(path, o);
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
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return labels;
    RunFileLines in(path, kMaxRunCsvFileBytes);
    std::string line;
    bool complete = true;
    while (in.next(line, complete)) labels.push_back(line);
    return labels;
}

Series readSeriesCsv(const fs::path& path) {
    return readSeriesCsv(path, nullptr);
}

Series readSeriesCsv(const fs::path& path, std::vector<std::string>* warnings) {
    RunFileLines in(path, kMaxRunCsvFileBytes);
    Series s;
    std::string line;
    bool complete = true;
    if (!in.next(line, complete)) return s;  // header
    constexpr size_t kListed = 5;            // bad lines named one by one, then counted
    size_t bad = 0;
    while (in.next(line, complete)) {
        if (!complete) break;  // no line end: the writer was killed mid-line
        if (line.empty()) continue;
        const char* b = line.data();
        const char* e = b + line.size();
        const char* comma = std::find(b, e, ',');
        double x = 0, y = 0;
        if (comma != e && parseCsvNumber(b, comma, x) && parseCsvNumber(comma + 1, e, y)) {
            s.x.push_back(x);
            s.y.push_back(y);
            continue;
        }
        if (++bad <= kListed && warnings)
            warnings->push_back("'" + path.string() + "': line " + std::to_string(in.lineNo()) +
                                ": '" + line.substr(0, 60) +
                                "' is not two numbers x,y (skipped; the other lines are kept)");
    }
    if (bad > kListed && warnings)
        warnings->push_back("'" + path.string() + "': " + std::to_string(bad - kListed) +
                            " more lines that are not two numbers x,y (skipped)");
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
    const char* p = line.data();
    const char* end = p + line.size();
    for (int k = 0; k < 3; ++k) {
        const char* comma = k < 2 ? std::find(p, end, ',') : end;
        if (comma == end && k < 2) return false;
        if (!parseCsvNumber(p, comma, out[k])) return false;
        p = comma + 1;
    }
    return true;
}

std::string numberText(double v) {
    std::string o;
    appendCsvNumber(o, v);
    return o;
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
    std::string o = "x,y,z\n";
    const size_t nx = grid.xs.size();
    for (size_t iy = 0; iy < grid.ys.size(); ++iy)
        for (size_t ix = 0; ix < nx; ++ix) {
            appendCsvNumber(o, grid.xs[ix]);
            o += ',';
            appendCsvNumber(o, grid.ys[iy]);
            o += ',';
            appendCsvNumber(o, grid.z[iy * nx + ix]);
            o += '\n';
        }
    writeFileAtomic(path, o);
}

Grid readGridCsv(const fs::path& path) {
    RunFileLines in(path, kMaxRunCsvFileBytes);
    const std::string file = path.string();
    const auto fail = [&](size_t lineNo, const std::string& fault) -> DataError {
        return DataError(file, "line " + std::to_string(lineNo) + ": " + fault);
    };
    std::string line;
    bool complete = true;
    if (!in.next(line, complete)) throw DataError(file, "empty file (expected the header x,y,z)");
    if (line != "x,y,z")
        throw fail(1, "header is '" + line.substr(0, 60) + "', expected 'x,y,z' (not a grid)");
    Grid g;
    size_t lineNo = 1;
    size_t rows = 0;
    bool xsComplete = false;  // the first y's row of x values has ended
    double v[3];
    while (in.next(line, complete)) {
        lineNo = in.lineNo();
        if (line.empty() && complete) continue;  // a blank line
        if (!complete)                           // the writer ends every row with a line break
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
        // mkdir(2) is atomic and never follows a symlink: EEXIST for any entry of that name
        // (a file, a folder, a symlink, a dangling one) means "taken", so try the next name.
        if (::mkdir(dir.c_str(), 0755) != 0) {
            if (errno == EEXIST) continue;
            throw IoError(sysError("cannot create run folder in", root, errno));
        }
        for (const char* sub : {"metrics", "plots"}) {
            if (::mkdir((dir / sub).c_str(), 0755) != 0) {
                const int err = errno;
                RunDirectory(dir).removeUnstarted();
                throw IoError(sysError("cannot create", dir / sub, err));
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
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return false;
    struct stat st {};
    bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
              static_cast<std::uint64_t>(st.st_size) >= text.size();
    if (ok) {
        if (text.size() < static_cast<size_t>(st.st_size)) {  // cover the rest of a longer file
            text.pop_back();
            text.resize(static_cast<size_t>(st.st_size) - 1, ' ');
            text += '\n';
        }
        size_t done = 0;
        while (ok && done < text.size()) {
            const ssize_t n =
                ::pwrite(fd, text.data() + done, text.size() - done, static_cast<off_t>(done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0)
                ok = false;
            else
                done += static_cast<size_t>(n);
        }
        ok = ok && ::fdatasync(fd) == 0;
    }
    ok = ::close(fd) == 0 && ok;
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
    if (::lstat(dir.c_str(), &st) != 0) throw IoError(sysError("cannot open", dir, errno));
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
        throw IoError(sysError("cannot create", dir, errno));
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
    if (s.state == RunState::Running && (s.host != hostName() || !processAlive(s))) {
        // Another host's run can't be probed; a dead local process means it was killed.
        if (s.host == hostName()) {
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

fs::path defaultRunsRoot(std::string* whyNot) {
    if (const char* r = std::getenv("TRAINLAB_RUNS"); r && *r) return r;
    std::string why;
    const fs::path base = userDataHome(&why);
    if (!base.empty()) return base / "trainlab" / "runs";
    if (whyNot)
        *whyNot = "no folder for runs: " + why +
                  "; name one with --out DIR (trainlab: --runs DIR) or the environment variable "
                  "TRAINLAB_RUNS";
    return {};
}

fs::path defaultRunsRoot() {
    std::string why;
    fs::path root = defaultRunsRoot(&why);
    if (root.empty()) throw ConfigError({why});
    return root;
}

std::string currentHostName() {
    return hostName();
}

std::int64_t processStartTicks(std::int64_t pid) {
    if (pid <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!in || !std::getline(in, line)) return 0;
    // "pid (comm) state ppid …": comm may hold spaces and ')', so count from the last ')'.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    for (int k = 3; k <= 22; ++k)
        if (!(fields >> field)) return 0;
    try {
        return std::stoll(field);
    } catch (const std::exception&) {
        return 0;
    }
}

std::string currentBootId() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    if (!in || !std::getline(in, id)) return {};
    return id;
}

void recordThisProcess(RunStatus& s) {
    s.pid = ::getpid();
    s.host = hostName();
    s.pidStartTicks = processStartTicks(s.pid);
    s.bootId = currentBootId();
}

}  // namespace trainlab
