// Image folders, the decoding: libjpeg-turbo / libpng on several threads, every image to the
// folder's first image's shape, HWC to CHW.
#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "errors.h"
#include "image_folder.h"
#include "image_listing.h"
#include "read_util.h"

namespace trainlab {

namespace {

using detail::withCommas;

struct Shape {
    int c = 0, h = 0, w = 0;
};

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
        detail::readFileInto(path, file_, limits.maxBytes);
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

/// The image paths of a listing, class folder after class folder; their labels and the class
/// names go to `out`.
std::vector<std::string> imagePaths(const detail::Listing& l, const std::string& root,
                                    RawImages& out) {
    std::vector<std::string> paths;
    paths.reserve(std::size_t(l.files));
    out.labels.reserve(std::size_t(l.files));
    for (std::size_t k = 0; k < l.classes.size(); ++k) {
        out.classNames.push_back(l.classes[k].name);
        for (const detail::ImageFile& f : l.classes[k].files) {
            paths.push_back(root + "/" + l.classes[k].name + "/" + f.name);
            out.labels.push_back(std::int32_t(k));
        }
    }
    return paths;
}

/// Decodes paths[1..] into `pixels` (CHW, imageBytes each) on up to `threads` threads, the
/// calling thread one of them with `first`; rethrows the error of the lowest failing index.
void decodeRest(const std::vector<std::string>& paths, const Shape& shape, Decoder& first,
                int threads, const ReadLimits& limits, std::vector<std::uint8_t>& pixels) {
    const std::size_t n = paths.size();
    const std::uint64_t imageBytes =
        std::uint64_t(shape.c) * std::uint64_t(shape.h) * std::uint64_t(shape.w);

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
                    toChw(mine->pixels(), pixels.data() + i * imageBytes, shape);
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
}

}  // namespace

RawImages decodeImageFolder(const std::filesystem::path& splitDir, int threads,
                            const ReadLimits& limits) {
    const std::string root = splitDir.string();
    const detail::Listing l = detail::listImageFolder(splitDir);
    if (l.classes.empty()) throw DataError(root, "has no class sub-folders");
    if (l.files == 0)
        throw DataError(root, "has no .png/.jpg/.jpeg images in its class sub-folders");
    if (l.files > limits.maxImages)
        throw DataError(root, "holds " + withCommas(std::uint64_t(l.files)) +
                                  " images, more than the limit of " +
                                  withCommas(std::uint64_t(limits.maxImages)));

    RawImages out;
    out.source = root;
    const std::vector<std::string> paths = imagePaths(l, root, out);
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
    decodeRest(paths, shape, first, threads, limits, out.pixels);
    return out;
}

}  // namespace trainlab
