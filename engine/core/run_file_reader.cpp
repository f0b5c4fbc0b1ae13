#include "run_file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "atomic_file.h"
#include "errors.h"

namespace trainlab {

namespace {

std::string byteCount(std::uint64_t n) {
    if (n >= (std::uint64_t{1} << 30) && n % (std::uint64_t{1} << 30) == 0)
        return std::to_string(n >> 30) + " GiB";
    if (n >= (std::uint64_t{1} << 20) && n % (std::uint64_t{1} << 20) == 0)
        return std::to_string(n >> 20) + " MiB";
    return std::to_string(n) + " bytes";
}

const char* fileKind(mode_t mode) {
    return S_ISDIR(mode)                    ? "a folder"
           : S_ISFIFO(mode)                 ? "a named pipe"
           : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
           : S_ISSOCK(mode)                 ? "a socket"
                                            : "a special file";
}

/// Opens a file of a run folder for reading: O_NOFOLLOW (a symbolic link is refused), O_NONBLOCK
/// (a named pipe does not block the open), then only a regular file of at most maxBytes is kept.
UniqueFd openRunFile(const fs::path& path, std::uint64_t maxBytes) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        const int err = errno;
        if (err == ELOOP)
            throw IoError("'" + path.string() +
                          "' is a symbolic link: a run folder's files are read only as plain "
                          "files inside it");
        throw IoError(systemErrorText("cannot open", path, err));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw IoError(systemErrorText("cannot read", path, errno));
    if (!S_ISREG(st.st_mode))
        throw IoError("'" + path.string() + "' is " + fileKind(st.st_mode) +
                      ", not a plain file (not read)");
    if (static_cast<std::uint64_t>(st.st_size) > maxBytes)
        throw DataError(path.string(), "the file is " + std::to_string(st.st_size) +
                                           " bytes, more than the " + byteCount(maxBytes) +
                                           " such a file may have (not read)");
    // a regular file: plain reads
    ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
    return fd;
}

/// Appends one read(2) of `fd` to `out` (EINTR retried); false at the end of the file. Throws
/// when `total` passes maxBytes (a file that grew while being read).
bool readChunk(int fd, const fs::path& path, std::string& out, std::uint64_t& total,
               std::uint64_t maxBytes) {
    char chunk[1 << 16];
    ssize_t n;
    do n = ::read(fd, chunk, sizeof chunk);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw IoError(systemErrorText("cannot read", path, errno));
    total += static_cast<std::uint64_t>(n);
    if (total > maxBytes)
        throw DataError(path.string(), "the file is more than the " + byteCount(maxBytes) +
                                           " such a file may have (not read)");
    out.append(chunk, static_cast<size_t>(n));
    return n > 0;
}

}  // namespace

std::string readRunFile(const fs::path& path, std::uint64_t maxBytes) {
    const UniqueFd fd = openRunFile(path, maxBytes);
    std::string text;
    std::uint64_t total = 0;
    while (readChunk(fd.get(), path, text, total, maxBytes)) {
    }
    return text;
}

nlohmann::json readRunJsonFile(const fs::path& path) {
    return parseJsonText(readRunFile(path, kMaxRunJsonFileBytes), path);
}

RunFileLines::RunFileLines(const fs::path& path, std::uint64_t maxBytes)
    : path_(path), fd_(openRunFile(path, maxBytes)), max_(maxBytes) {}

bool RunFileLines::next(std::string& line, bool& complete) {
    for (;;) {
        const size_t nl = buf_.find('\n', pos_);
        if (nl != std::string::npos) {
            if (nl - pos_ > kMaxRunFileLineBytes) tooLong();
            line.assign(buf_, pos_, nl - pos_);
            pos_ = nl + 1;
            if (!line.empty() && line.back() == '\r') line.pop_back();
            complete = true;
            ++lineNo_;
            return true;
        }
        if (buf_.size() - pos_ > kMaxRunFileLineBytes) tooLong();
        if (eof_) {
            if (pos_ >= buf_.size()) return false;
            line.assign(buf_, pos_, std::string::npos);
            pos_ = buf_.size();
            complete = false;
            ++lineNo_;
            return true;
        }
        buf_.erase(0, pos_);
        pos_ = 0;
        eof_ = !readChunk(fd_.get(), path_, buf_, total_, max_);
    }
}

void RunFileLines::tooLong() const {
    throw DataError(path_.string(), "line " + std::to_string(lineNo_ + 1) + " is longer than " +
                                        byteCount(kMaxRunFileLineBytes) +
                                        ", the limit for one line (not read)");
}

}  // namespace trainlab
