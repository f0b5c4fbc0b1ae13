// Small helpers shared by the dataset readers (internal to trainlab_data).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "errors.h"
#include "unique_fd.h"

namespace trainlab::detail {

/// 47040000 -> "47,040,000", for messages that quote sizes and counts.
inline std::string withCommas(std::uint64_t v) {
    const std::string digits = std::to_string(v);
    std::string out;
    const std::size_t n = digits.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0 && (n - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

/// "cannot open '<path>': <strerror>".
inline std::string sysFault(const char* what, const std::string& path, int err) {
    return std::string(what) + " '" + path + "': " + std::strerror(err);
}

/// Reads up to n bytes (fewer only at end of file), retrying on EINTR; returns the count.
/// Throws IoError naming `path` on a read error.
inline std::size_t readFully(int fd, std::uint8_t* dst, std::size_t n, const std::string& path) {
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::read(fd, dst + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            throw IoError(sysFault("cannot read", path, errno));
        }
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    return got;
}

/// Opens `path` for reading and stats it into `st`: DataError "file does not exist" when it
/// does not, IoError naming the path and the system's reason otherwise.
inline UniqueFd openForReading(const std::string& path, struct stat& st) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) throw DataError(path, "file does not exist");
        throw IoError(sysFault("cannot open", path, errno));
    }
    if (::fstat(fd.get(), &st) != 0) throw IoError(sysFault("cannot stat", path, errno));
    return fd;
}

/// Reads a whole file into `buf` (reused between calls); DataError when it has more than
/// `maxBytes`, IoError naming `path` when it cannot be opened or read.
inline void readFileInto(const std::string& path, std::vector<std::uint8_t>& buf,
                         std::uint64_t maxBytes) {
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw IoError(sysFault("cannot open", path, errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw IoError(sysFault("cannot stat", path, errno));
    if (std::uint64_t(st.st_size) > maxBytes)
        throw DataError(path, "file has " + withCommas(std::uint64_t(st.st_size)) +
                                  " bytes, more than the limit of " + withCommas(maxBytes));
    buf.resize(std::size_t(st.st_size));
    const std::size_t got = readFully(fd.get(), buf.data(), buf.size(), path);
    buf.resize(got);
}

}  // namespace trainlab::detail
