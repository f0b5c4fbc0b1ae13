// Reading the files of a run folder. A run folder may come from anywhere (a copy, an archive, a
// shared disk), so its readers open only regular files inside it: never through a symbolic
// link, never blocking on a named pipe or a device, never more than these limits (issue 18,
// docs/hardening.md). Plain C++ (no torch, no Qt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "unique_fd.h"

namespace trainlab {

namespace fs = std::filesystem;

inline constexpr std::size_t kMaxRunFileLineBytes = std::size_t{1} << 20;        ///< 1 MiB a line
inline constexpr std::uint64_t kMaxRunCsvFileBytes = std::uint64_t{4} << 30;     ///< 4 GiB a CSV
inline constexpr std::uint64_t kMaxRunJsonFileBytes = std::uint64_t{256} << 20;  ///< 256 MiB

/// Reads a whole file of a run folder: a regular file only (a symbolic link, a folder, a named
/// pipe or a device is refused without being opened for reading or blocked on), at most
/// `maxBytes`. Throws IoError naming the file and what it is, or the limit it passes.
std::string readRunFile(const fs::path& path, std::uint64_t maxBytes = kMaxRunJsonFileBytes);

/// readJsonFile through readRunFile (for the JSON files of a run folder).
nlohmann::json readRunJsonFile(const fs::path& path);

/// The lines of a file of a run folder (opened as readRunFile opens it), read in chunks: never
/// more than maxBytes in all, nor kMaxRunFileLineBytes in a line (DataError naming the file).
class RunFileLines {
  public:
    RunFileLines(const fs::path& path, std::uint64_t maxBytes);

    /// The next line without its "\n" or "\r\n"; false at the end of the file. `complete` is
    /// false for a last line without a line end.
    bool next(std::string& line, bool& complete);
    /// The number of the line last returned by next() (1 for the first).
    std::size_t lineNo() const { return lineNo_; }

  private:
    [[noreturn]] void tooLong() const;

    fs::path path_;
    UniqueFd fd_;
    std::uint64_t max_;
    std::uint64_t total_ = 0;
    std::string buf_;
    std::size_t pos_ = 0;
    bool eof_ = false;
    std::size_t lineNo_ = 0;
};

}  // namespace trainlab
