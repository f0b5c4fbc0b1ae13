// Whole files: written atomically (a temporary file in the same folder, then a rename) and
// read back whole. Plain C++ (no torch, no Qt).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace trainlab {

namespace fs = std::filesystem;

/// "<what> '<path>': <the system's reason for err>", the text of every system error on a file.
std::string systemErrorText(const std::string& what, const fs::path& path, int err);

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename.
/// Throws IoError naming the path and the system's reason; the old file stays intact.
void writeFileAtomic(const fs::path& path, const std::string& bytes);

/// Reads a whole file; throws IoError naming the path.
std::string readFile(const fs::path& path);

/// Parses `text` read from `path`; throws ConfigError naming the path (syntax, numbers out of
/// range).
nlohmann::json parseJsonText(const std::string& text, const fs::path& path);

/// Reads and parses a JSON file; throws IoError (missing/unreadable) or ConfigError (syntax).
nlohmann::json readJsonFile(const fs::path& path);

}  // namespace trainlab
