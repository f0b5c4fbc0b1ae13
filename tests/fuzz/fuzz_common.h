// Helpers shared by the fuzz targets: a per-process temporary file or folder rewritten with
// each input (for the readers that take paths).
#pragma once

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

namespace fuzz {

/// A private temporary folder, removed at exit.
inline const std::filesystem::path& scratchDir() {
    static const std::filesystem::path dir = [] {
        const char* base = std::getenv("TMPDIR");
        std::string templ = std::string(base && *base ? base : "/tmp") + "/trainlab-fuzz-XXXXXX";
        if (!::mkdtemp(templ.data())) std::abort();
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratchDir(), ec);
        });
        return std::filesystem::path(templ);
    }();
    return dir;
}

/// Replaces the contents of `path` with the input.
inline void writeInput(const std::filesystem::path& path, const std::uint8_t* data,
                       std::size_t size) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) std::abort();
    std::size_t done = 0;
    while (done < size) {
        const ssize_t w = ::write(fd, data + done, size - done);
        if (w <= 0) std::abort();
        done += std::size_t(w);
    }
    ::close(fd);
}

}  // namespace fuzz
