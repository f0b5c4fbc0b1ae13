// CSV text of the run files: numbers written and parsed in the C locale whatever the process
// locale (QCoreApplication sets it from the environment: de_DE writes "0,5"), quoted fields,
// and the series, labels and grid files of metrics/. Plain C++ (no torch, no Qt).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "series_data.h"
#include "unique_fd.h"

namespace trainlab {

namespace fs = std::filesystem;

/// Appends `v` as "%.9g" does in the C locale (0.118651191, 1e-05, nan, -inf), whatever the
/// process locale.
void appendCsvNumber(std::string& out, double v);
/// appendCsvNumber's text of `v` on its own.
std::string csvNumberText(double v);
/// Parses one number written by appendCsvNumber (or by hand: C locale, '.' as the decimal
/// point, optional '+' and surrounding blanks, nan/inf). False unless [first, last) is one
/// whole number.
bool parseCsvNumber(const char* first, const char* last, double& out);

/// Appends `text` as one quoted CSV field ("" inside doubled), always quoted.
void appendCsvQuoted(std::string& out, std::string_view text);
/// `text` as one CSV field: as it is, or quoted when it holds ',', '"' or a line break.
std::string csvField(std::string_view text);

/// Appends rows "x,y" to a CSV file with a header line; each row reaches the OS at flush().
/// A failed write (full disk, read-only, file too large) throws IoError naming the file and
/// the system's reason, and cuts the file back to its last whole row: what was written before
/// stays intact, and nothing is ever written twice (a buffered stream would retry its whole
/// buffer on close). Move-only; closes the file when destroyed.
class CsvSeriesWriter {
  public:
    CsvSeriesWriter() = default;
    CsvSeriesWriter(const fs::path& path, const std::string& xName, const std::string& yName);
    CsvSeriesWriter(CsvSeriesWriter&& other) noexcept = default;
    CsvSeriesWriter& operator=(CsvSeriesWriter&& other) noexcept = default;
    ~CsvSeriesWriter();
    void append(double x, double y);
    void flush();  ///< throws IoError on a write failure (full disk), then on every later call
    bool isOpen() const { return static_cast<bool>(fd_); }

  private:
    fs::path path_;
    UniqueFd fd_;
    std::string pending_;    ///< rows not yet written
    std::int64_t good_ = 0;  ///< bytes of whole rows on disk
    int error_ = 0;          ///< errno of the failed write (EFBIG, ENOSPC, EROFS …)
};

/// Writes a whole series (atomically) as CSV with a header.
void writeSeriesCsv(const fs::path& path, const std::string& xName, const std::string& yName,
                    const Series& s);

/// Per-point labels of a series (one line per point, e.g. "epoch 3 · loss 0.31 · acc 91%"),
/// stored as metrics/<series>.labels.txt. Written atomically; a missing file reads as empty;
/// reading refuses what readSeriesCsv refuses.
void writeSeriesLabels(const fs::path& path, const std::vector<std::string>& labels);
std::vector<std::string> readSeriesLabels(const fs::path& path);

/// Reads a two-column CSV written by trainlab (LF or CRLF line ends). Skips the header and
/// blank lines; ignores an incomplete last line (the tail of a killed run); skips a malformed
/// line and keeps the rest. Throws IoError if the file cannot be opened or is not a regular file
/// (see readRunFile), DataError naming the file when it passes kMaxRunCsvFileBytes or a line
/// passes kMaxRunFileLineBytes.
Series readSeriesCsv(const fs::path& path);
/// As readSeriesCsv; each skipped line is reported in `warnings` with the file and line number
/// (the first few one by one, then their count).
Series readSeriesCsv(const fs::path& path, std::vector<std::string>* warnings);

/// Writes a grid (atomically) as CSV: header "x,y,z", then one row per cell, y in the outer
/// and x in the inner loop (the order of z), 9 significant digits, non-finite z as nan/inf.
/// Throws DataError naming the path when the grid is inconsistent (see gridFault), IoError
/// when the file cannot be written.
void writeGridCsv(const fs::path& path, const Grid& grid);

/// Reads a grid written by writeGridCsv. Throws IoError if the file cannot be opened and
/// DataError naming the file, the line and the fault if it is not a whole regular grid (wrong
/// header, a malformed or truncated row, an x or y out of place, too few rows for the last y).
/// A file with only the header reads as an empty grid.
Grid readGridCsv(const fs::path& path);

}  // namespace trainlab
