// Typed exceptions of trainlab. Every message names the file, field or value at fault.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace trainlab {

/// Base class of every error trainlab raises on purpose.
class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// A config or preset is invalid; `problems()` holds one message per bad field.
class ConfigError : public Error {
  public:
    explicit ConfigError(std::vector<std::string> problems);
    const std::vector<std::string>& problems() const { return problems_; }

  private:
    std::vector<std::string> problems_;
};

/// Reading or writing a file failed (missing, unreadable, full disk, read-only folder).
class IoError : public Error {
  public:
    using Error::Error;
};

/// A data file is missing, truncated, lying about its sizes, or otherwise unusable. The
/// message names the file and the fault ("labels file has 59,999 entries, images file
/// 60,000").
class DataError : public Error {
  public:
    DataError(const std::string& path, const std::string& fault)
        : Error("'" + path + "': " + fault), path_(path), fault_(fault) {}
    const std::string& path() const { return path_; }
    const std::string& fault() const { return fault_; }

  private:
    std::string path_;
    std::string fault_;
};

/// The loss or gradient became NaN/Inf, or exceeded the divergence bound.
class DivergenceError : public Error {
  public:
    DivergenceError(std::string model, std::int64_t step, double loss, double gradNorm);
    std::int64_t step() const { return step_; }
    double loss() const { return loss_; }

  private:
    std::int64_t step_;
    double loss_;
};

}  // namespace trainlab
