// IDX reader: validates the header against the limits and the data length before it allocates.
// gzip files are inflated with zlib in a stream whose output is bounded by the header.
#include "idx_reader.h"

#include <fcntl.h>
#include <libdeflate.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "errors.h"
#include "read_util.h"
#include "unique_fd.h"

namespace trainlab {

namespace {

using detail::readFully;
using detail::sysFault;
using detail::withCommas;

std::string hex32(std::uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", v);
    return buf;
}

std::uint32_t readBe32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) |
           std::uint32_t(p[3]);
}

const char* unitName(int expectedDims) {
    return expectedDims == 1 ? "label" : "pixel";
}

/// A validated IDX header.
struct IdxHeader {
    std::vector<std::int64_t> dims;
    std::size_t headerBytes = 0;
    std::uint64_t dataBytes = 0;
};

/// Validates the header held in the first `avail` bytes. Checks magic, type, dimension count,
/// each dimension against the limits and their product for overflow; does not look at the
/// data length (the caller compares it with dataBytes).
IdxHeader parseIdxHeader(const std::uint8_t* p, std::size_t avail, int expectedDims,
                         const std::string& name, const ReadLimits& limits) {
    if (expectedDims != 1 && expectedDims != 3)
        throw DataError(name, "IDX reader asked for " + std::to_string(expectedDims) +
                                  " dimensions; only 1 (labels) and 3 (images) are supported");
    const std::uint32_t expectedMagic = 0x800u | std::uint32_t(expectedDims);
    const char* what = expectedDims == 1 ? "IDX labels" : "IDX images";
    if (avail == 0) throw DataError(name, "file is empty");
    if (avail < 4)
        throw DataError(name, "file is truncated: " + std::to_string(avail) +
                                  " bytes, shorter than the 4-byte IDX magic");
    const std::uint32_t magic = readBe32(p);
    if (p[0] != 0 || p[1] != 0)
        throw DataError(name, "wrong magic " + hex32(magic) + ", expected " + hex32(expectedMagic) +
                                  " (" + what + ")");
    const bool idxType = p[2] == 0x08 || p[2] == 0x09 || (p[2] >= 0x0b && p[2] <= 0x0e);
    if (!idxType || p[3] == 0)
        throw DataError(name, "wrong magic " + hex32(magic) + ", expected " + hex32(expectedMagic) +
                                  " (" + what + ")");
    if (p[2] != 0x08) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "0x%02x", unsigned(p[2]));
        throw DataError(name, std::string("unsupported IDX data type ") + buf +
                                  ", expected 0x08 (unsigned bytes)");
    }
    if (p[3] != expectedDims)
        throw DataError(name, "IDX array has " + std::to_string(p[3]) + " dimension(s), expected " +
                                  std::to_string(expectedDims) + " (magic " + hex32(magic) +
                                  ", expected " + hex32(expectedMagic) + ", " + what + ")");
    IdxHeader h;
    h.headerBytes = 4 + 4 * std::size_t(expectedDims);
    if (avail < h.headerBytes)
        throw DataError(name, "file is truncated: the header needs " +
                                  std::to_string(h.headerBytes) + " bytes, " +
                                  std::to_string(avail) + " present");
    std::uint64_t product = 1;
    for (int i = 0; i < expectedDims; ++i) {
        const std::uint32_t d = readBe32(p + 4 + 4 * i);
        if (d == 0) throw DataError(name, "dimension " + std::to_string(i) + " is 0");
        if (i == 0 && std::int64_t(d) > limits.maxImages)
            throw DataError(name, "header announces " + withCommas(d) +
                                      " entries, more than the limit of " +
                                      withCommas(std::uint64_t(limits.maxImages)));
        if (i > 0 && std::int64_t(d) > limits.maxSide)
            throw DataError(name, "header announces an image side of " + withCommas(d) +
                                      ", more than the limit of " +
                                      withCommas(std::uint64_t(limits.maxSide)));
        if (product > std::numeric_limits<std::uint64_t>::max() / d)
            throw DataError(name, "header dimensions overflow");
        product *= d;
        h.dims.push_back(std::int64_t(d));
    }
    if (product > limits.maxBytes ||
        product > std::uint64_t(std::numeric_limits<std::size_t>::max() / 2))
        throw DataError(name, "header announces " + withCommas(product) + " " +
                                  unitName(expectedDims) + " bytes, more than the limit of " +
                                  withCommas(limits.maxBytes));
    h.dataBytes = product;
    return h;
}

/// Fault for a data section of `present` bytes when `announced` were announced.
[[noreturn]] void throwLengthMismatch(const std::string& name, int expectedDims,
                                      std::uint64_t announced, std::uint64_t present,
                                      bool atLeast) {
    if (present < announced)
        throw DataError(name, "file is truncated: header announces " + withCommas(announced) + " " +
                                  unitName(expectedDims) + " bytes, " + withCommas(present) +
                                  " present");
    throw DataError(
        name,
        "file is longer than its header announces: " + std::string(atLeast ? "at least " : "") +
            withCommas(present - announced) + " extra bytes after the " + withCommas(announced) +
            " announced " + unitName(expectedDims) + " bytes");
}

/// Inflates a gzip file (possibly several members) from a file descriptor. The IDX header is
/// decoded from the first output bytes; the output buffer is bounded by the announced size, and
/// output beyond it is a fault.
class IdxInflater {
  public:
    IdxInflater(int fd, int expectedDims, const std::string& name, const ReadLimits& limits)
        : fd_(fd),
          dims_(expectedDims),
          name_(name),
          limits_(limits),
          hdrLen_(4 + 4 * std::size_t(expectedDims == 1 ? 1 : 3)),
          in_(kChunk) {
        if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK) throw DataError(name, "cannot start zlib");
    }
    ~IdxInflater() { inflateEnd(&zs_); }
    IdxInflater(const IdxInflater&) = delete;
    IdxInflater& operator=(const IdxInflater&) = delete;

    /// The whole array; the first `preN` bytes of the file are already in `pre`.
    IdxArray run(const std::uint8_t* pre, std::size_t preN) {
        std::memcpy(in_.data(), pre, preN);
        setInput(preN + readFully(fd_, in_.data() + preN, kChunk - preN, name_));
        while (step()) {
        }
        return finish();
    }

  private:
    static constexpr std::size_t kChunk = 256 * 1024;

    void setInput(std::size_t n) {
        eof_ = n < kChunk;
        zs_.next_in = in_.data();
        zs_.avail_in = uInt(n);
    }
    void refill() {
        if (zs_.avail_in > 0 || eof_) return;
        setInput(readFully(fd_, in_.data(), kChunk, name_));
    }

    /// Where the next output goes: the header, then the data, then the overflow bin.
    std::pair<std::uint8_t*, std::size_t> target() {
        if (hdrGot_ < hdrLen_) return {hdr_ + hdrGot_, hdrLen_ - hdrGot_};
        if (!header_) {
            header_ = parseIdxHeader(hdr_, hdrGot_, dims_, name_, limits_);
            // Grow geometrically up to the announced size so that a lying header over a short
            // stream does not reserve the whole announced size at once.
            out_.data.resize(std::size_t(std::min<std::uint64_t>(header_->dataBytes, 1u << 20)));
        }
        if (dataGot_ >= header_->dataBytes) return {overflow_, sizeof overflow_};
        if (dataGot_ == out_.data.size())
            out_.data.resize(
                std::size_t(std::min<std::uint64_t>(header_->dataBytes, dataGot_ * 2)));
        return {out_.data.data() + dataGot_, out_.data.size() - std::size_t(dataGot_)};
    }

    /// One inflate() call; false when inflating is over (the end of the last member, input
    /// exhausted, or output beyond the announced size: no need to inflate further).
    bool step() {
        refill();
        const auto [dst, room] = target();
        const std::size_t chunkRoom = std::min<std::size_t>(room, 1u << 30);
        zs_.next_out = dst;
        zs_.avail_out = uInt(chunkRoom);
        const uInt inBefore = zs_.avail_in;
        const int rc = inflate(&zs_, Z_NO_FLUSH);
        const std::size_t produced = chunkRoom - zs_.avail_out;
        if (hdrGot_ < hdrLen_)
            hdrGot_ += produced;
        else if (header_ && dataGot_ < header_->dataBytes)
            dataGot_ += produced;
        else
            extra_ += produced;
        if (extra_ > 0) return false;
        if (rc == Z_STREAM_END) return nextMember();
        if (rc == Z_BUF_ERROR) {
            // No progress possible: input exhausted (truncated) when output had room.
            if (zs_.avail_in == 0 && eof_) return false;
            if (produced == 0 && inBefore == zs_.avail_in && zs_.avail_out > 0)
                throw DataError(name_, "corrupt gzip stream (no progress)");
            return true;
        }
        if (rc != Z_OK) {
            std::string why = zs_.msg ? zs_.msg : ("zlib error " + std::to_string(rc));
            throw DataError(name_, "corrupt gzip stream: " + why);
        }
        return true;
    }

    /// At the end of a gzip member: another may follow (concatenated gzip files).
    bool nextMember() {
        refill();
        if (zs_.avail_in == 0) {
            streamEnded_ = true;
            return false;
        }
        if (zs_.avail_in < 2 || zs_.next_in[0] != 0x1f || zs_.next_in[1] != 0x8b)
            throw DataError(name_, "unexpected bytes after the end of the gzip stream");
        if (inflateReset(&zs_) != Z_OK) throw DataError(name_, "cannot restart zlib");
        return true;
    }

    IdxArray finish() {
        // A stream no longer than the header: validate what there is (a short header throws).
        if (!header_) header_ = parseIdxHeader(hdr_, hdrGot_, dims_, name_, limits_);
        const std::uint64_t announced = header_->dataBytes;
        if (extra_ > 0) throwLengthMismatch(name_, dims_, announced, announced + extra_, true);
        if (dataGot_ < announced) {
            if (!streamEnded_)
                throw DataError(name_, "gzip stream is truncated: header announces " +
                                           withCommas(announced) + " " + unitName(dims_) +
                                           " bytes, " + withCommas(dataGot_) + " present");
            throwLengthMismatch(name_, dims_, announced, dataGot_, false);
        }
        out_.data.resize(std::size_t(announced));
        out_.dims = std::move(header_->dims);
        return std::move(out_);
    }

    int fd_;
    int dims_;
    const std::string& name_;
    const ReadLimits& limits_;
    std::size_t hdrLen_;
    z_stream zs_{};
    std::vector<std::uint8_t> in_;
    bool eof_ = false;
    std::uint8_t hdr_[16] = {};
    std::size_t hdrGot_ = 0;
    std::optional<IdxHeader> header_;
    IdxArray out_;
    std::uint64_t dataGot_ = 0;
    std::uint8_t overflow_[64];  ///< output beyond the announced size lands here
    std::uint64_t extra_ = 0;
    bool streamEnded_ = false;
};

IdxArray inflateIdx(int fd, const std::uint8_t* pre, std::size_t preN, int expectedDims,
                    const std::string& name, const ReadLimits& limits) {
    return IdxInflater(fd, expectedDims, name, limits).run(pre, preN);
}

/// The fast path for the common case, a single-member gzip file: the IDX header is inflated
/// first (zlib, a few bytes) and validated, the gzip trailer must announce exactly that size,
/// and only then is the whole file inflated at once with libdeflate (2-3x faster than zlib)
/// into a buffer of the validated size. Anything unusual returns nullopt.
std::optional<IdxArray> inflateIdxWhole(int fd, std::uint64_t fileSize, int expectedDims,
                                        const std::string& name, const ReadLimits& limits) {
    if (fileSize < 18 + 8 || fileSize > limits.maxBytes) return std::nullopt;
    std::vector<std::uint8_t> in(static_cast<std::size_t>(fileSize));
    if (::lseek(fd, 0, SEEK_SET) != 0) return std::nullopt;
    if (readFully(fd, in.data(), in.size(), name) != in.size()) return std::nullopt;

    const std::size_t hdrLen = 4 + 4 * std::size_t(expectedDims == 1 ? 1 : 3);
    std::uint8_t hdr[16] = {};
    {
        z_stream zs{};
        if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return std::nullopt;
        zs.next_in = in.data();
        zs.avail_in = uInt(std::min<std::size_t>(in.size(), 1u << 20));
        zs.next_out = hdr;
        zs.avail_out = uInt(hdrLen);
        const int rc = inflate(&zs, Z_NO_FLUSH);
        const std::size_t got = hdrLen - zs.avail_out;
        inflateEnd(&zs);
        if ((rc != Z_OK && rc != Z_STREAM_END) || got != hdrLen) return std::nullopt;
    }
    IdxHeader h =
        parseIdxHeader(hdr, hdrLen, expectedDims, name, limits);  // throws on a bad header
    const std::uint64_t total = hdrLen + h.dataBytes;
    const std::uint8_t* t = in.data() + in.size() - 4;
    const std::uint32_t isize = std::uint32_t(t[0]) | std::uint32_t(t[1]) << 8 |
                                std::uint32_t(t[2]) << 16 | std::uint32_t(t[3]) << 24;
    if (isize != std::uint32_t(total & 0xffffffffu)) return std::nullopt;

    std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> d(
        libdeflate_alloc_decompressor(), libdeflate_free_decompressor);
    if (!d) return std::nullopt;
    std::vector<std::uint8_t> out(static_cast<std::size_t>(total));
    std::size_t inUsed = 0, outUsed = 0;
    const auto rc = libdeflate_gzip_decompress_ex(d.get(), in.data(), in.size(), out.data(),
                                                  out.size(), &inUsed, &outUsed);
    if (rc != LIBDEFLATE_SUCCESS || outUsed != total || inUsed != in.size()) return std::nullopt;
    IdxArray a;
    a.dims = std::move(h.dims);
    out.erase(out.begin(), out.begin() + std::ptrdiff_t(hdrLen));
    a.data = std::move(out);
    return a;
}

}  // namespace

IdxArray parseIdx(const std::uint8_t* bytes, std::size_t size, int expectedDims,
                  const std::string& name, const ReadLimits& limits) {
    IdxHeader h = parseIdxHeader(bytes, size, expectedDims, name, limits);
    const std::uint64_t present = size - h.headerBytes;
    if (present != h.dataBytes)
        throwLengthMismatch(name, expectedDims, h.dataBytes, present, false);
    IdxArray a;
    a.dims = std::move(h.dims);
    a.data.assign(bytes + h.headerBytes, bytes + size);
    return a;
}

IdxArray readIdxFile(const std::filesystem::path& path, int expectedDims,
                     const ReadLimits& limits) {
    const std::string name = path.string();
    struct stat st {};
    const UniqueFd f = detail::openForReading(name, st);
    if (S_ISDIR(st.st_mode)) throw DataError(name, "is a folder, not a file");

    std::uint8_t head[16];
    const std::size_t headN = readFully(f.get(), head, sizeof head, name);
    if (headN >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
        if (S_ISREG(st.st_mode)) {
            if (auto fast =
                    inflateIdxWhole(f.get(), std::uint64_t(st.st_size), expectedDims, name, limits))
                return std::move(*fast);
            // Not a plain single-member gzip of the announced size: the streaming reader
            // decides, and names the fault precisely.
            if (::lseek(f.get(), 0, SEEK_SET) != 0)
                throw IoError(sysFault("cannot seek", name, errno));
            const std::size_t again = readFully(f.get(), head, sizeof head, name);
            return inflateIdx(f.get(), head, again, expectedDims, name, limits);
        }
        return inflateIdx(f.get(), head, headN, expectedDims, name, limits);
    }

    // Raw file: validate the header, compare with the file length, then read the data once.
    const std::size_t hdrLen = 4 + 4 * std::size_t(expectedDims == 1 ? 1 : 3);
    IdxHeader h = parseIdxHeader(head, std::min(headN, hdrLen), expectedDims, name, limits);
    if (S_ISREG(st.st_mode)) {
        const std::uint64_t present = std::uint64_t(st.st_size) > h.headerBytes
                                          ? std::uint64_t(st.st_size) - h.headerBytes
                                          : 0;
        if (present != h.dataBytes)
            throwLengthMismatch(name, expectedDims, h.dataBytes, present, false);
    }
    IdxArray a;
    a.dims = std::move(h.dims);
    a.data.resize(std::size_t(h.dataBytes));
    const std::size_t fromHead = headN - h.headerBytes;  // bytes of data already read
    std::size_t have = std::min<std::size_t>(fromHead, a.data.size());
    std::memcpy(a.data.data(), head + h.headerBytes, have);
    if (fromHead > a.data.size())
        throwLengthMismatch(name, expectedDims, h.dataBytes, fromHead, true);
    have += readFully(f.get(), a.data.data() + have, a.data.size() - have, name);
    if (have < a.data.size()) throwLengthMismatch(name, expectedDims, h.dataBytes, have, false);
    std::uint8_t probe;
    if (readFully(f.get(), &probe, 1, name) != 0)
        throwLengthMismatch(name, expectedDims, h.dataBytes, h.dataBytes + 1, true);
    return a;
}

RawImages readIdxPair(const std::filesystem::path& images, const std::filesystem::path& labels,
                      const std::vector<std::string>& classNames, const ReadLimits& limits) {
    if (classNames.empty()) throw DataError(labels.string(), "no class names given for the labels");
    IdxArray img = readIdxFile(images, 3, limits);
    IdxArray lab = readIdxFile(labels, 1, limits);
    const std::int64_t n = img.dims[0];
    if (lab.dims[0] != n)
        throw DataError(labels.string(),
                        "labels file has " + withCommas(std::uint64_t(lab.dims[0])) +
                            " entries, images file " + withCommas(std::uint64_t(n)) + " ('" +
                            images.string() + "')");
    const std::size_t classes = classNames.size();
    RawImages r;
    r.labels.resize(std::size_t(n));
    for (std::size_t i = 0; i < lab.data.size(); ++i) {
        const std::uint8_t v = lab.data[i];
        if (v >= classes)
            throw DataError(labels.string(), "label " + std::to_string(v) + " at index " +
                                                 withCommas(i) + " is outside 0.." +
                                                 std::to_string(classes - 1));
        r.labels[i] = std::int32_t(v);
    }
    r.n = n;
    r.c = 1;
    r.h = img.dims[1];
    r.w = img.dims[2];
    r.pixels = std::move(img.data);
    r.classNames = classNames;
    r.source = images.string();
    return r;
}

}  // namespace trainlab
