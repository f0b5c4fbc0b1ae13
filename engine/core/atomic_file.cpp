#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "errors.h"
#include "unique_fd.h"

namespace trainlab {

using nlohmann::json;

std::string systemErrorText(const std::string& what, const fs::path& p, int err) {
    return what + " '" + p.string() + "': " + std::strerror(err);
}

namespace {

void writeAll(int fd, const std::string& bytes, const fs::path& p) {
    const char* data = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, data, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw IoError(systemErrorText("cannot write", p, errno));
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
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd) throw IoError(systemErrorText("cannot write", path, errno));
    try {
        writeAll(fd.get(), bytes, path);
        if (::fsync(fd.get()) != 0) throw IoError(systemErrorText("cannot write", path, errno));
    } catch (...) {
        fd.reset();
        ::unlink(tmp.c_str());
        throw;
    }
    if (!fd.close()) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw IoError(systemErrorText("cannot write", path, err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        throw IoError(systemErrorText("cannot replace", path, err));
    }
}

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot open '" + path.string() + "': " + std::strerror(errno));
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

json parseJsonText(const std::string& text, const fs::path& path) {
    try {
        return json::parse(text);
    } catch (const json::exception& e) {  // also numbers out of range (found by fuzzing)
        throw ConfigError({"'" + path.string() + "' is not valid JSON: " + e.what()});
    }
}

json readJsonFile(const fs::path& path) {
    return parseJsonText(readFile(path), path);
}

}  // namespace trainlab
