// Image folders, the cache file "TLIMGC1": written atomically, read back with every size
// checked against the limits and the file's length before anything is allocated.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "atomic_file.h"
#include "errors.h"
#include "image_folder.h"
#include "read_util.h"
#include "unique_fd.h"

namespace trainlab {

namespace {

using detail::sysFault;
using detail::withCommas;

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Cache format (all integers little-endian):
//   "TLIMGC1\0"  u32 version=1  u32 reserved=0
//   i64 n, c, h, w
//   u32 classCount, then classCount × (u32 length, bytes)
//   i64 fingerprint.files, fingerprint.bytes, fingerprint.newestMtime
//   u64 pixelBytes (= n*c*h*w)  u64 labelCount (= n)
//   pixels, labels (int32)
//   u32 crc32 of everything before it

constexpr char kMagic[8] = {'T', 'L', 'I', 'M', 'G', 'C', '1', '\0'};
constexpr std::uint32_t kVersion = 1;
constexpr std::uint32_t kMaxClasses = 100'000;
constexpr std::uint32_t kMaxClassNameBytes = 1024;

void putU32(std::string& s, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}
void putU64(std::string& s, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
}

/// Bounds-checked little-endian reader over a byte range.
class Cursor {
  public:
    Cursor(const std::uint8_t* p, std::size_t n, const std::string& name)
        : p_(p), n_(n), name_(name) {}
    void need(std::size_t k, const char* what) const {
        if (n_ - pos_ < k)
            throw DataError(name_, std::string("cache is truncated in ") + what + " (offset " +
                                       std::to_string(pos_) + " of " + std::to_string(n_) + ")");
    }
    /// The next little-endian integer of type T.
    template <class T>
    T little(const char* what) {
        need(sizeof(T), what);
        T v = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i) v |= T(p_[pos_ + i]) << (8 * i);
        pos_ += sizeof(T);
        return v;
    }
    std::uint32_t u32(const char* what) { return little<std::uint32_t>(what); }
    std::uint64_t u64(const char* what) { return little<std::uint64_t>(what); }
    std::int64_t i64(const char* what) { return std::int64_t(u64(what)); }
    const std::uint8_t* take(std::size_t k, const char* what) {
        need(k, what);
        const std::uint8_t* r = p_ + pos_;
        pos_ += k;
        return r;
    }
    std::size_t pos() const { return pos_; }
    std::size_t remaining() const { return n_ - pos_; }

  private:
    const std::uint8_t* p_;
    std::size_t n_;
    std::size_t pos_ = 0;
    const std::string& name_;
};

std::uint32_t crcOf(const std::uint8_t* p, std::size_t n) {
    return std::uint32_t(crc32_z(crc32_z(0L, Z_NULL, 0), p, n));
}

}  // namespace

void writeImageCache(const std::filesystem::path& path, const RawImages& images,
                     const FolderFingerprint& fingerprint) {
    const std::uint64_t pixelBytes = std::uint64_t(images.n) * std::uint64_t(images.imageBytes());
    if (images.n < 0 || images.pixels.size() != pixelBytes ||
        images.labels.size() != std::size_t(images.n))
        throw DataError(path.string(), "refusing to cache an inconsistent image set");
    std::string s;
    std::size_t names = 0;
    for (const auto& c : images.classNames) names += 4 + c.size();
    s.reserve(128 + names + images.pixels.size() + 4 * images.labels.size());
    s.append(kMagic, sizeof kMagic);
    putU32(s, kVersion);
    putU32(s, 0);
    putU64(s, std::uint64_t(images.n));
    putU64(s, std::uint64_t(images.c));
    putU64(s, std::uint64_t(images.h));
    putU64(s, std::uint64_t(images.w));
    if (images.classNames.size() > kMaxClasses)
        throw DataError(path.string(), "too many classes to cache");
    putU32(s, std::uint32_t(images.classNames.size()));
    for (const auto& c : images.classNames) {
        if (c.size() > kMaxClassNameBytes)
            throw DataError(path.string(), "class name too long to cache");
        putU32(s, std::uint32_t(c.size()));
        s += c;
    }
    putU64(s, std::uint64_t(fingerprint.files));
    putU64(s, std::uint64_t(fingerprint.bytes));
    putU64(s, std::uint64_t(fingerprint.newestMtime));
    putU64(s, pixelBytes);
    putU64(s, std::uint64_t(images.labels.size()));
    s.append(reinterpret_cast<const char*>(images.pixels.data()), images.pixels.size());
    for (std::int32_t v : images.labels) putU32(s, std::uint32_t(v));
    putU32(s, crcOf(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);  // writeFileAtomic reports a real failure
    writeFileAtomic(path, s);
}

namespace {

/// The validated header of a cache file; the payload (pixels, labels, checksum) follows at
/// `headerBytes`, and the file is exactly headerBytes + pixelBytes + 4*n + 4 bytes long.
struct CacheHeader {
    std::int64_t n = 0, c = 0, h = 0, w = 0;
    std::vector<std::string> classes;
    FolderFingerprint fp;
    std::uint64_t pixelBytes = 0;
    std::size_t headerBytes = 0;
};

/// Parses the header from the first `avail` bytes of a cache of `total` bytes; every size is
/// checked against the limits and against `total` before the caller allocates anything.
CacheHeader parseCacheHeader(const std::uint8_t* bytes, std::size_t avail, std::uint64_t total,
                             const std::string& name, const ReadLimits& limits) {
    Cursor cur(bytes, avail, name);
    const std::uint8_t* magic = cur.take(sizeof kMagic, "the magic");
    if (std::memcmp(magic, kMagic, sizeof kMagic) != 0)
        throw DataError(name, "not a trainlab image cache (wrong magic)");
    const std::uint32_t version = cur.u32("the version");
    if (version != kVersion)
        throw DataError(name, "unsupported cache version " + std::to_string(version));
    cur.u32("the header");
    CacheHeader hd;
    hd.n = cur.i64("the header");
    hd.c = cur.i64("the header");
    hd.h = cur.i64("the header");
    hd.w = cur.i64("the header");
    if (hd.n < 1 || hd.n > limits.maxImages)
        throw DataError(name, "image count " + std::to_string(hd.n) + " is outside 1.." +
                                  std::to_string(limits.maxImages));
    if (hd.c < 1 || hd.c > 4)
        throw DataError(name, "channel count " + std::to_string(hd.c) + " is outside 1..4");
    if (hd.h < 1 || hd.w < 1 || hd.h > limits.maxSide || hd.w > limits.maxSide)
        throw DataError(name, "image size " + std::to_string(hd.w) + "x" + std::to_string(hd.h) +
                                  " is outside 1.." + std::to_string(limits.maxSide));
    const std::uint32_t classCount = cur.u32("the class count");
    if (classCount < 1 || classCount > kMaxClasses || std::uint64_t(classCount) * 4 > total)
        throw DataError(name, "class count " + std::to_string(classCount) + " is implausible");
    hd.classes.reserve(std::min<std::size_t>(classCount, cur.remaining() / 4));
    for (std::uint32_t k = 0; k < classCount; ++k) {
        const std::uint32_t len = cur.u32("a class name");
        if (len > kMaxClassNameBytes)
            throw DataError(name, "class name of " + std::to_string(len) + " bytes is too long");
        const std::uint8_t* p = cur.take(len, "a class name");
        hd.classes.emplace_back(reinterpret_cast<const char*>(p), len);
    }
    hd.fp.files = cur.i64("the fingerprint");
    hd.fp.bytes = cur.i64("the fingerprint");
    hd.fp.newestMtime = cur.i64("the fingerprint");
    hd.pixelBytes = cur.u64("the payload sizes");
    const std::uint64_t labelCount = cur.u64("the payload sizes");
    // n, c, h, w are bounded above, so this product cannot overflow 64 bits.
    const std::uint64_t expectPixels =
        std::uint64_t(hd.n) * std::uint64_t(hd.c) * std::uint64_t(hd.h) * std::uint64_t(hd.w);
    if (hd.pixelBytes != expectPixels)
        throw DataError(name, "pixel byte count " + std::to_string(hd.pixelBytes) +
                                  " does not match " + std::to_string(hd.n) + "x" +
                                  std::to_string(hd.c) + "x" + std::to_string(hd.h) + "x" +
                                  std::to_string(hd.w));
    if (hd.pixelBytes > limits.maxBytes) throw DataError(name, "pixel bytes exceed the limit");
    if (labelCount != std::uint64_t(hd.n))
        throw DataError(name, "label count does not match the image count");
    hd.headerBytes = cur.pos();
    const std::uint64_t want = hd.pixelBytes + 4 * labelCount + 4;
    const std::uint64_t rest = total - hd.headerBytes;
    if (rest != want)
        throw DataError(name, "cache holds " + withCommas(rest) +
                                  " payload bytes, its header announces " + withCommas(want));
    return hd;
}

std::uint32_t readLe32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) | (std::uint32_t(p[1]) << 8) | (std::uint32_t(p[2]) << 16) |
           (std::uint32_t(p[3]) << 24);
}

/// Decodes little-endian int32 labels and checks each against the class count.
void takeLabels(const std::uint8_t* p, std::size_t n, std::size_t classCount,
                std::vector<std::int32_t>& out, const std::string& name) {
    out.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t v = readLe32(p + 4 * i);
        if (v >= classCount)
            throw DataError(name, "label " + std::to_string(std::int32_t(v)) + " at index " +
                                      std::to_string(i) + " is outside 0.." +
                                      std::to_string(classCount - 1));
        out[i] = std::int32_t(v);
    }
}

RawImages fromHeader(CacheHeader&& hd, const std::string& name) {
    RawImages r;
    r.n = hd.n;
    r.c = hd.c;
    r.h = hd.h;
    r.w = hd.w;
    r.classNames = std::move(hd.classes);
    r.source = name;
    return r;
}

/// Reads exactly n bytes of the cache (EINTR retried); it must not shrink while being read.
void readExactly(int fd, std::uint8_t* dst, std::size_t n, const std::string& name) {
    if (detail::readFully(fd, dst, n, name) < n)
        throw DataError(name, "cache shrank while being read");
}

/// The rest of a cache whose header `hd` was parsed from `head`, its first bytes: the pixels
/// straight into the result (no intermediate copy), then labels and checksum, the checksum
/// computed chunk by chunk while the data is hot.
RawImages readCachePayload(int fd, const std::vector<std::uint8_t>& head, CacheHeader&& hd,
                           const std::string& name, FolderFingerprint* stored) {
    const std::size_t classCount = hd.classes.size();
    const FolderFingerprint fp = hd.fp;
    const std::size_t hb = hd.headerBytes;
    const std::size_t pixelBytes = std::size_t(hd.pixelBytes);
    const std::size_t n = std::size_t(hd.n);
    RawImages r = fromHeader(std::move(hd), name);
    uLong crc = crc32_z(0L, Z_NULL, 0);
    crc = crc32_z(crc, head.data(), hb);
    // Pixels: the part already in `head`, then the rest in chunks.
    r.pixels.resize(pixelBytes);
    const std::size_t inHead = std::min(head.size() - hb, pixelBytes);
    std::memcpy(r.pixels.data(), head.data() + hb, inHead);
    crc = crc32_z(crc, r.pixels.data(), inHead);
    constexpr std::size_t kChunk = 1u << 20;
    for (std::size_t at = inHead; at < pixelBytes;) {
        const std::size_t k = std::min(kChunk, pixelBytes - at);
        readExactly(fd, r.pixels.data() + at, k, name);
        crc = crc32_z(crc, r.pixels.data() + at, k);
        at += k;
    }
    // Labels and checksum: whatever of them was in `head`, then the rest.
    std::vector<std::uint8_t> tail(4 * n + 4);
    const std::size_t tailInHead = head.size() - hb - inHead;
    std::memcpy(tail.data(), head.data() + hb + inHead, tailInHead);
    readExactly(fd, tail.data() + tailInHead, tail.size() - tailInHead, name);
    crc = crc32_z(crc, tail.data(), 4 * n);
    if (std::uint32_t(crc) != readLe32(tail.data() + 4 * n))
        throw DataError(name, "checksum mismatch (damaged cache)");
    takeLabels(tail.data(), n, classCount, r.labels, name);
    if (stored) *stored = fp;
    return r;
}

/// Reads a cache file: the header first, then the payload (readCachePayload). A cache small
/// enough, or with a header too large for the first read, is read whole and parsed.
RawImages readCacheFile(const fs::path& path, FolderFingerprint* stored, const ReadLimits& limits) {
    const std::string name = path.string();
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw IoError(sysFault("cannot open", name, errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw IoError(sysFault("cannot stat", name, errno));
    if (!S_ISREG(st.st_mode)) throw DataError(name, "cache is not a regular file");
    const std::uint64_t total = std::uint64_t(st.st_size);
    std::vector<std::uint8_t> head(std::size_t(std::min<std::uint64_t>(total, 1u << 20)));
    readExactly(fd.get(), head.data(), head.size(), name);
    if (head.size() == total)
        return parseImageCache(head.data(), head.size(), name, stored, limits);
    // Only the header is parsed from this prefix; a header larger than it (a huge class table)
    // is read the simple way.
    CacheHeader hd;
    try {
        hd = parseCacheHeader(head.data(), head.size(), total, name, limits);
    } catch (const DataError&) {
        const std::uint64_t bound = limits.maxBytes +
                                    4 * std::uint64_t(std::max<std::int64_t>(limits.maxImages, 0)) +
                                    std::uint64_t(kMaxClasses) * (4 + kMaxClassNameBytes) + 4096;
        std::vector<std::uint8_t> all;
        detail::readFileInto(name, all, bound);
        return parseImageCache(all.data(), all.size(), name, stored, limits);
    }
    return readCachePayload(fd.get(), head, std::move(hd), name, stored);
}

}  // namespace

RawImages parseImageCache(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                          FolderFingerprint* fingerprint, const ReadLimits& limits) {
    CacheHeader hd = parseCacheHeader(bytes, size, size, name, limits);
    const std::size_t hb = hd.headerBytes;
    const std::size_t pixelBytes = std::size_t(hd.pixelBytes);
    const std::size_t n = std::size_t(hd.n);
    const std::size_t crcAt = hb + pixelBytes + 4 * n;  // == size - 4, checked by the header
    if (crcOf(bytes, crcAt) != readLe32(bytes + crcAt))
        throw DataError(name, "checksum mismatch (damaged cache)");
    const std::size_t classCount = hd.classes.size();
    const FolderFingerprint fp = hd.fp;
    RawImages r = fromHeader(std::move(hd), name);
    takeLabels(bytes + hb + pixelBytes, n, classCount, r.labels, name);
    r.pixels.assign(bytes + hb, bytes + hb + pixelBytes);
    if (fingerprint) *fingerprint = fp;
    return r;
}

std::optional<RawImages> readImageCache(const std::filesystem::path& path,
                                        const FolderFingerprint& fingerprint,
                                        const ReadLimits& limits) {
    try {
        FolderFingerprint stored;
        RawImages r = readCacheFile(path, &stored, limits);
        if (!(stored == fingerprint)) return std::nullopt;
        return r;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

RawImages readImageCacheFile(const std::filesystem::path& path, FolderFingerprint* stored,
                             const ReadLimits& limits) {
    return readCacheFile(path, stored, limits);
}

}  // namespace trainlab
