#include "csv.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>

#include "atomic_file.h"
#include "errors.h"
#include "run_file_reader.h"

namespace trainlab {

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

void appendCsvQuoted(std::string& out, std::string_view text) {
    out += '"';
    for (char ch : text) {
        if (ch == '"') out += '"';
        out += ch;
    }
    out += '"';
}

std::string csvField(std::string_view text) {
    if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
    std::string out;
    appendCsvQuoted(out, text);
    return out;
}

std::string csvNumberText(double v) {
    std::string o;
    appendCsvNumber(o, v);
    return o;
}

CsvSeriesWriter::CsvSeriesWriter(const fs::path& path, const std::string& xName,
                                 const std::string& yName)
    : path_(path) {
    fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd_) throw IoError(systemErrorText("cannot create", path, errno));
    pending_ = xName + ',' + yName + '\n';
    flush();
}

CsvSeriesWriter::~CsvSeriesWriter() {
    if (!fd_) return;
    if (!error_ && !pending_.empty()) {
        try {
            flush();  // rows appended after the last flush (a destructor must not throw)
        } catch (...) {
        }
    }
}

void CsvSeriesWriter::append(double x, double y) {
    appendCsvNumber(pending_, x);  // "%.9g" in the C locale, whatever the process locale
    pending_ += ',';
    appendCsvNumber(pending_, y);
    pending_ += '\n';
}

void CsvSeriesWriter::flush() {
    if (error_) throw IoError(systemErrorText("cannot write", path_, error_));
    if (!fd_) throw IoError("cannot write '" + path_.string() + "': the file is not open");
    size_t done = 0;
    while (done < pending_.size()) {
        const ssize_t n = ::write(fd_.get(), pending_.data() + done, pending_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = n < 0 ? errno : EIO;
            // Cut back to the last whole row; a character device (/dev/full) cannot be cut.
            if (::ftruncate(fd_.get(), static_cast<off_t>(good_)) == 0)
                ::lseek(fd_.get(), static_cast<off_t>(good_), SEEK_SET);
            pending_.clear();
            throw IoError(systemErrorText("cannot write", path_, error_));
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

}  // namespace

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
                throw fail(lineNo, "x = " + csvNumberText(v[0]) + " does not increase (after x = " +
                                       csvNumberText(g.xs.back()) + ")");
            g.xs.push_back(v[0]);
        } else {
            xsComplete = true;
            const size_t nx = g.xs.size();
            const size_t ix = rows % nx;
            if (ix == 0) {
                if (!(v[1] > g.ys.back()))
                    throw fail(lineNo, "y = " + csvNumberText(v[1]) +
                                           " does not increase (after y = " +
                                           csvNumberText(g.ys.back()) + ")");
                g.ys.push_back(v[1]);
            } else if (v[1] != g.ys.back()) {
                throw fail(lineNo, "y = " + csvNumberText(v[1]) +
                                       " where y = " + csvNumberText(g.ys.back()) +
                                       " was expected: y " + csvNumberText(g.ys.back()) +
                                       " has only " + std::to_string(ix) + " of " +
                                       std::to_string(nx) + " x values");
            }
            if (v[0] != g.xs[ix])
                throw fail(lineNo, "x = " + csvNumberText(v[0]) +
                                       " where x = " + csvNumberText(g.xs[ix]) +
                                       " was expected (x value " + std::to_string(ix + 1) + " of " +
                                       std::to_string(nx) + " of every y)");
        }
        g.z.push_back(v[2]);
        ++rows;
    }
    if (rows > 0 && rows != g.xs.size() * g.ys.size())
        throw DataError(file, "truncated: the last y (" + csvNumberText(g.ys.back()) + ") has " +
                                  std::to_string(rows % g.xs.size()) + " of " +
                                  std::to_string(g.xs.size()) + " x values");
    return g;
}

}  // namespace trainlab
