// Small helpers shared by the dataset readers (internal to trainlab_data).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include <unistd.h>

#include <cerrno>

#include "errors.h"

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

}  // namespace trainlab::detail
