// Image folders, loading: where a split's cache lives, and the load that takes the cache when
// it still matches the folder and decodes (and caches) otherwise. The parts: image_listing.cpp
// (the folder's files and fingerprint), image_decode.cpp (decoding), image_cache.cpp (the
// cache file format).
#include "image_folder.h"

#include <openssl/evp.h>

#include <exception>
#include <system_error>
#include <thread>

#include "errors.h"
#include "user_dirs.h"

namespace trainlab {

namespace {

namespace fs = std::filesystem;

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
        if (!cache.empty() && fs::exists(cache))
            cached = readImageCacheFile(cache, &stored, limits);
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
