// Image folders: decoding with libjpeg-turbo / libpng on several threads, and the validated
// binary cache "TLIMGC1" that makes the second load a single read.
#include "image_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <png.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "errors.h"
#include "run_directory.h"
#include "user_dirs.h"
#include "read_util.h"

namespace trainlab {

namespace {

using detail::readFully;
using detail::sysFault;
using detail::withCommas;

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Listing

bool isImageName(const char* name) {
    const char* dot = std::strrchr(name, '.');
    if (!dot || dot == name) return false;
    std::string ext(dot + 1);
    if (ext.size() > 4) return false;
    for (char& ch : ext) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    return ext == "png" || ext == "jpg" || ext == "jpeg";
}

struct ImageFile {
    std::string name;
    std::int64_t bytes = 0;
};

struct ClassDir {
    std::string name;
    std::vector<ImageFile> files;
};

struct Listing {
    std::vector<ClassDir> classes;
    std::int64_t files = 0, bytes = 0, newestMtime = 0;
};

std::int64_t mtimeNs(const struct stat& st) {
    return std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + std::int64_t(st.st_mtim.tv_nsec);
}

struct DirCloser {
    DIR* d;
    ~DirCloser() {
        if (d) ::closedir(d);
    }
};

/// Lists <splitDir>/<class>/<image>: class sub-folders and image files, hidden entries
/// (names starting with '.') skipped, both sorted by name. Folder and file times feed the
/// newest mtime, so that renaming, adding or removing a file changes the fingerprint.
Listing listFolder(const fs::path& splitDir) {
    const std::string root = splitDir.string();
    Listing out;
    DirCloser top{::opendir(splitDir.c_str())};
    if (!top.d) {
        if (errno == ENOENT || errno == ENOTDIR) throw DataError(root, "folder does not exist");
        throw IoError(sysFault("cannot list", root, errno));
    }
    struct stat st {};
    if (::fstat(::dirfd(top.d), &st) == 0) out.newestMtime = mtimeNs(st);
    while (dirent* de = ::readdir(top.d)) {
        if (de->d_name[0] == '.') continue;
        if (::fstatat(::dirfd(top.d), de->d_name, &st, 0) != 0 || !S_ISDIR(st.st_mode)) continue;
        out.newestMtime = std::max(out.newestMtime, mtimeNs(st));
        out.classes.push_back({de->d_name, {}});
    }
    std::sort(out.classes.begin(), out.classes.end(),
              [](const ClassDir& a, const ClassDir& b) { return a.name < b.name; });
    for (ClassDir& c : out.classes) {
        const std::string dir = root + "/" + c.name;
        DirCloser d{::opendir(dir.c_str())};
        if (!d.d) throw IoError(sysFault("cannot list", dir, errno));
        const int fd = ::dirfd(d.d);
        while (dirent* de = ::readdir(d.d)) {
            if (de->d_name[0] == '.' || !isImageName(de->d_name)) continue;
            if (de->d_type != DT_REG && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN) continue;
            if (::fstatat(fd, de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
            c.files.push_back({de->d_name, std::int64_t(st.st_size)});
            out.files += 1;
            out.bytes += std::int64_t(st.st_size);
            out.newestMtime = std::max(out.newestMtime, mtimeNs(st));
        }
        std::sort(c.files.begin(), c.files.end(),
                  [](const ImageFile& a, const ImageFile& b) { return a.name < b.name; });
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

struct Shape {
    int c = 0, h = 0, w = 0;
};

/// Reads a whole file into `buf` (reused between calls).
void readInto(const std::string& path, std::vector<std::uint8_t>& buf, std::uint64_t maxBytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(sysFault("cannot open", path, errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw IoError(sysFault("cannot stat", path, errno));
    if (std::uint64_t(st.st_size) > maxBytes)
        throw DataError(path, "file has " + withCommas(std::uint64_t(st.st_size)) +
                                  " bytes, more than the limit of " + withCommas(maxBytes));
    buf.resize(std::size_t(st.st_size));
    const std::size_t got = readFully(fd, buf.data(), buf.size(), path);
    buf.resize(got);
}

void checkSides(const std::string& path, int w, int h, const ReadLimits& limits) {
    if (w <= 0 || h <= 0 || w > limits.maxSide || h > limits.maxSide)
        throw DataError(path, "image of " + std::to_string(w) + "x" + std::to_string(h) +
                                  " pixels is outside 1.." + std::to_string(limits.maxSide) +
                                  " per side");
}

/// One decoding thread's state: a TurboJPEG handle and reused buffers.
class Decoder {
  public:
    Decoder() : tj_(tjInitDecompress()) {}
    ~Decoder() {
        if (tj_) tjDestroy(tj_);
    }
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    /// Decodes `path` into HWC bytes held by the decoder; returns the shape. When `expect`
    /// has c > 0, the image must match it (checked before decoding the pixels).
    Shape decode(const std::string& path, const Shape& expect, const ReadLimits& limits) {
        readInto(path, file_, limits.maxBytes);
        if (file_.empty()) throw DataError(path, "file is empty");
        const bool jpeg =
            file_.size() >= 3 && file_[0] == 0xff && file_[1] == 0xd8 && file_[2] == 0xff;
        const bool png = file_.size() >= 8 && png_sig_cmp(file_.data(), 0, 8) == 0;
        if (jpeg) return decodeJpeg(path, expect, limits);
        if (png) return decodePng(path, expect, limits);
        throw DataError(path, "not a JPEG or PNG image (unknown signature)");
    }

    const std::uint8_t* pixels() const { return hwc_.data(); }

  private:
    void checkShape(const std::string& path, const Shape& got, const Shape& expect) {
        if (expect.c == 0) return;
        if (got.c != expect.c || got.h != expect.h || got.w != expect.w)
            throw DataError(path, "image is " + std::to_string(got.w) + "x" +
                                      std::to_string(got.h) + " with " + std::to_string(got.c) +
                                      " channel(s), but the folder's first image is " +
                                      std::to_string(expect.w) + "x" + std::to_string(expect.h) +
                                      " with " + std::to_string(expect.c) + " channel(s)");
    }

    void reserveHwc(const std::string& path, const Shape& s, const ReadLimits& limits) {
        const std::uint64_t bytes = std::uint64_t(s.c) * std::uint64_t(s.h) * std::uint64_t(s.w);
        if (bytes > limits.maxBytes)
            throw DataError(path,
                            "image needs " + withCommas(bytes) + " bytes, more than the limit");
        if (hwc_.size() < bytes) hwc_.resize(std::size_t(bytes));
    }

    Shape decodeJpeg(const std::string& path, const Shape& expect, const ReadLimits& limits) {
        if (!tj_) throw DataError(path, "cannot start the JPEG decoder");
        int w = 0, h = 0, subsamp = 0, colorspace = 0;
        if (tjDecompressHeader3(tj_, file_.data(), static_cast<unsigned long>(file_.size()), &w, &h,
                                &subsamp, &colorspace) != 0)
            throw DataError(path, std::string("corrupt JPEG: ") + tjGetErrorStr2(tj_));
        checkSides(path, w, h, limits);
        const bool grey = colorspace == TJCS_GRAY;
        Shape s{grey ? 1 : 3, h, w};
        checkShape(path, s, expect);
        reserveHwc(path, s, limits);
        if (tjDecompress2(tj_, file_.data(), static_cast<unsigned long>(file_.size()), hwc_.data(),
                          w, w * s.c, h, grey ? TJPF_GRAY : TJPF_RGB, TJFLAG_STOPONWARNING) != 0)
            throw DataError(path, std::string("corrupt JPEG: ") + tjGetErrorStr2(tj_));
        return s;
    }

    Shape decodePng(const std::string& path, const Shape& expect, const ReadLimits& limits) {
        png_image img;
        std::memset(&img, 0, sizeof img);
        img.version = PNG_IMAGE_VERSION;
        if (!png_image_begin_read_from_memory(&img, file_.data(), file_.size()))
            throw DataError(path, std::string("corrupt PNG: ") + img.message);
        struct Freer {
            png_image* i;
            ~Freer() { png_image_free(i); }
        } freer{&img};
        if (img.width > std::uint32_t(std::numeric_limits<int>::max()) ||
            img.height > std::uint32_t(std::numeric_limits<int>::max()))
            checkSides(path, -1, -1, limits);
        checkSides(path, int(img.width), int(img.height), limits);
        const bool colour = (img.format & PNG_FORMAT_FLAG_COLOR) != 0;
        Shape s{colour ? 3 : 1, int(img.height), int(img.width)};
        checkShape(path, s, expect);
        reserveHwc(path, s, limits);
        img.format = colour ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
        if (!png_image_finish_read(&img, nullptr, hwc_.data(), 0, nullptr))
            throw DataError(path, std::string("corrupt PNG: ") + img.message);
        return s;
    }

    tjhandle tj_;
    std::vector<std::uint8_t> file_;
    std::vector<std::uint8_t> hwc_;
};

/// HWC -> CHW.
void toChw(const std::uint8_t* hwc, std::uint8_t* chw, const Shape& s) {
    const std::size_t plane = std::size_t(s.h) * std::size_t(s.w);
    if (s.c == 1) {
        std::memcpy(chw, hwc, plane);
        return;
    }
    if (s.c == 3) {
        std::uint8_t* r = chw;
        std::uint8_t* g = chw + plane;
        std::uint8_t* b = chw + 2 * plane;
        for (std::size_t i = 0; i < plane; ++i) {
            r[i] = hwc[3 * i];
            g[i] = hwc[3 * i + 1];
            b[i] = hwc[3 * i + 2];
        }
        return;
    }
    for (std::size_t i = 0; i < plane; ++i)
        for (int k = 0; k < s.c; ++k)
            chw[std::size_t(k) * plane + i] = hwc[i * std::size_t(s.c) + std::size_t(k)];
}

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
    std::uint32_t u32(const char* what) {
        need(4, what);
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= std::uint32_t(p_[pos_ + std::size_t(i)]) << (8 * i);
        pos_ += 4;
        return v;
    }
    std::uint64_t u64(const char* what) {
        need(8, what);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= std::uint64_t(p_[pos_ + std::size_t(i)]) << (8 * i);
        pos_ += 8;
        return v;
    }
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

std::string hexHash16(const std::string& s) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr) != 1 || len < 8) {
        // Fall back to FNV-1a; only the folder name depends on it.
        std::uint64_t h = 1469598103934665603ULL;
        for (unsigned char ch : s) h = (h ^ ch) * 1099511628211ULL;
        for (int i = 0; i < 8; ++i) md[i] = static_cast<unsigned char>(h >> (8 * i));
    }
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 8; ++i) {
        out += digits[md[i] >> 4];
        out += digits[md[i] & 15];
    }
    return out;
}

}  // namespace

FolderFingerprint fingerprintFolder(const std::filesystem::path& splitDir) {
    const Listing l = listFolder(splitDir);
    FolderFingerprint fp;
    fp.files = l.files;
    fp.bytes = l.bytes;
    fp.newestMtime = l.newestMtime;
    return fp;
}

RawImages decodeImageFolder(const std::filesystem::path& splitDir, int threads,
                            const ReadLimits& limits) {
    const std::string root = splitDir.string();
    const Listing l = listFolder(splitDir);
    if (l.classes.empty()) throw DataError(root, "has no class sub-folders");
    if (l.files == 0)
        throw DataError(root, "has no .png/.jpg/.jpeg images in its class sub-folders");
    if (l.files > limits.maxImages)
        throw DataError(root, "holds " + withCommas(std::uint64_t(l.files)) +
                                  " images, more than the limit of " +
                                  withCommas(std::uint64_t(limits.maxImages)));

    RawImages out;
    out.source = root;
    std::vector<std::string> paths;
    paths.reserve(std::size_t(l.files));
    out.labels.reserve(std::size_t(l.files));
    for (std::size_t k = 0; k < l.classes.size(); ++k) {
        out.classNames.push_back(l.classes[k].name);
        for (const ImageFile& f : l.classes[k].files) {
            paths.push_back(root + "/" + l.classes[k].name + "/" + f.name);
            out.labels.push_back(std::int32_t(k));
        }
    }
    const std::size_t n = paths.size();

    // The first image decides the shape.
    Decoder first;
    const Shape shape = first.decode(paths[0], Shape{}, limits);
    const std::uint64_t imageBytes =
        std::uint64_t(shape.c) * std::uint64_t(shape.h) * std::uint64_t(shape.w);
    if (imageBytes != 0 && std::uint64_t(n) > limits.maxBytes / imageBytes)
        throw DataError(root, withCommas(std::uint64_t(n)) + " images of " +
                                  withCommas(imageBytes) + " bytes exceed the limit of " +
                                  withCommas(limits.maxBytes) + " bytes");
    out.n = std::int64_t(n);
    out.c = shape.c;
    out.h = shape.h;
    out.w = shape.w;
    out.pixels.resize(std::size_t(n * imageBytes));
    toChw(first.pixels(), out.pixels.data(), shape);

    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    const std::size_t workers = std::min<std::size_t>(std::size_t(std::min(threads, 256)), n);
    std::atomic<std::size_t> next{1};
    std::atomic<bool> failed{false};
    std::mutex errMutex;
    std::size_t errIndex = std::numeric_limits<std::size_t>::max();
    std::exception_ptr err;
    constexpr std::size_t kBatch = 32;

    auto work = [&](Decoder* mine) {
        std::unique_ptr<Decoder> own;
        if (!mine) {
            own = std::make_unique<Decoder>();
            mine = own.get();
        }
        while (!failed.load(std::memory_order_relaxed)) {
            const std::size_t begin = next.fetch_add(kBatch);
            if (begin >= n) break;
            const std::size_t end = std::min(n, begin + kBatch);
            for (std::size_t i = begin; i < end; ++i) {
                try {
                    mine->decode(paths[i], shape, limits);
                    toChw(mine->pixels(), out.pixels.data() + i * imageBytes, shape);
                } catch (...) {
                    std::lock_guard<std::mutex> lock(errMutex);
                    if (i < errIndex) {
                        errIndex = i;
                        err = std::current_exception();
                    }
                    failed = true;
                    break;
                }
            }
        }
    };
    std::vector<std::thread> pool;
    try {
        for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work, nullptr);
    } catch (const std::system_error&) {
        // Fewer threads than asked for: the ones started and this thread do the work.
    }
    work(&first);  // the calling thread is one of the workers
    for (auto& t : pool) t.join();
    if (err) std::rethrow_exception(err);
    return out;
}

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

/// Reads a cache file: the header first, then the pixels straight into the result (no
/// intermediate copy), the checksum computed chunk by chunk while the data is hot.
RawImages readCacheFile(const fs::path& path, FolderFingerprint* stored, const ReadLimits& limits) {
    const std::string name = path.string();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw IoError(sysFault("cannot open", name, errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw IoError(sysFault("cannot stat", name, errno));
    if (!S_ISREG(st.st_mode)) throw DataError(name, "cache is not a regular file");
    const std::uint64_t total = std::uint64_t(st.st_size);
    auto readFully = [&](std::uint8_t* dst, std::size_t n) {
        std::size_t got = 0;
        while (got < n) {
            const ssize_t r = ::read(fd, dst + got, n - got);
            if (r < 0) {
                if (errno == EINTR) continue;
                throw IoError(sysFault("cannot read", name, errno));
            }
            if (r == 0) throw DataError(name, "cache shrank while being read");
            got += std::size_t(r);
        }
    };
    std::vector<std::uint8_t> head(std::size_t(std::min<std::uint64_t>(total, 1u << 20)));
    readFully(head.data(), head.size());
    if (head.size() < total) {
        // Only the header is parsed from this prefix; a header larger than it (a huge class
        // table) is read the simple way.
        CacheHeader hd;
        try {
            hd = parseCacheHeader(head.data(), head.size(), total, name, limits);
        } catch (const DataError&) {
            const std::uint64_t bound =
                limits.maxBytes + 4 * std::uint64_t(std::max<std::int64_t>(limits.maxImages, 0)) +
                std::uint64_t(kMaxClasses) * (4 + kMaxClassNameBytes) + 4096;
            std::vector<std::uint8_t> all;
            readInto(name, all, bound);
            return parseImageCache(all.data(), all.size(), name, stored, limits);
        }
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
            readFully(r.pixels.data() + at, k);
            crc = crc32_z(crc, r.pixels.data() + at, k);
            at += k;
        }
        // Labels and checksum: whatever of them was in `head`, then the rest.
        std::vector<std::uint8_t> tail(4 * n + 4);
        const std::size_t tailInHead = head.size() - hb - inHead;
        std::memcpy(tail.data(), head.data() + hb + inHead, tailInHead);
        readFully(tail.data() + tailInHead, tail.size() - tailInHead);
        crc = crc32_z(crc, tail.data(), 4 * n);
        if (std::uint32_t(crc) != readLe32(tail.data() + 4 * n))
            throw DataError(name, "checksum mismatch (damaged cache)");
        takeLabels(tail.data(), n, classCount, r.labels, name);
        if (stored) *stored = fp;
        return r;
    }
    return parseImageCache(head.data(), head.size(), name, stored, limits);
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

std::filesystem::path imageCachePath(const std::filesystem::path& root, const std::string& split) {
    if (split.empty() || split == "." || split == ".." || split.find('/') != std::string::npos)
        throw DataError(root.string(), "invalid split name '" + split + "'");
    // Never in the dataset's own folder: it may be read-only, shared, or a user's folder that
    // an import only links to.
    // Never a fixed folder in /tmp either: without a cache folder of the user's, no cache.
    const fs::path base = userCacheHome();
    if (base.empty()) return {};
    // Keyed by the split folder's real path, so that an imported (linked) folder and its
    // source share one cache.
    std::error_code ec;
    fs::path abs = fs::absolute(root / split, ec);
    if (ec) abs = root / split;
    const fs::path real = fs::weakly_canonical(abs, ec);
    if (!ec) abs = real;
    std::string key = abs.lexically_normal().string();
    while (key.size() > 1 && key.back() == '/') key.pop_back();
    return base / "trainlab" / hexHash16(key) / (split + ".tlimg");
}

RawImages loadImageFolder(const std::filesystem::path& root, const std::string& split,
                          bool* fromCache, int threads, const ReadLimits& limits) {
    const fs::path splitDir = root / split;
    const fs::path cache = imageCachePath(root, split);
    // The fingerprint (a stat per file) runs while the cache is read. It is taken before any
    // decoding, so that a change during the decode invalidates the cache written after it.
    FolderFingerprint fp;
    std::exception_ptr fpError;
    std::thread fpThread([&] {
        try {
            fp = fingerprintFolder(splitDir);
        } catch (...) {
            fpError = std::current_exception();
        }
    });
    std::optional<RawImages> cached;
    FolderFingerprint stored;
    try {
        if (!cache.empty() && fs::exists(cache)) cached = readCacheFile(cache, &stored, limits);
    } catch (const std::exception&) {
        cached.reset();  // a damaged cache is never fatal
    }
    fpThread.join();
    if (fpError) std::rethrow_exception(fpError);
    if (cached && stored == fp) {
        cached->source = splitDir.string();
        cached->classOrdered = true;  // read class folder after class folder
        if (fromCache) *fromCache = true;
        return std::move(*cached);
    }
    cached.reset();
    RawImages r = decodeImageFolder(splitDir, threads, limits);
    try {
        if (!cache.empty()) writeImageCache(cache, r, fp);  // empty: no user cache folder
    } catch (const std::exception&) {
        // Not fatal: the next load decodes again.
    }
    if (fromCache) *fromCache = false;
    r.classOrdered = true;  // decoded class folder after class folder
    return r;
}

}  // namespace trainlab
