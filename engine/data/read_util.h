// Small helpers shared by the dataset readers (internal to trainlab_data).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

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

}  // namespace trainlab::detail
