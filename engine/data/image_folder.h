// Image folders: <root>/<split>/<class>/*.png|jpg|jpeg, classes from sorted sub-folder names.
// Decoded once (libjpeg-turbo, libpng), then cached in the user's cache folder as a validated
// binary file so that the next load takes well under a second.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "raw_images.h"

namespace trainlab {

/// What identifies a folder's contents for the cache: file count, total bytes, newest mtime.
struct FolderFingerprint {
    std::int64_t files = 0;
    std::int64_t bytes = 0;
    std::int64_t newestMtime = 0;
    bool operator==(const FolderFingerprint& o) const {
        return files == o.files && bytes == o.bytes && newestMtime == o.newestMtime;
    }
};

FolderFingerprint fingerprintFolder(const std::filesystem::path& splitDir);

/// Decodes every image of <splitDir>/<class>/ with `threads` threads. All images must have
/// the same size and channel count (grey images are read as 1 channel, colour as 3).
/// Throws DataError naming the file at fault.
RawImages decodeImageFolder(const std::filesystem::path& splitDir, int threads = 2,
                            const ReadLimits& limits = {});

/// Cache file format "TLIMGC1": header (magic, version, n, c, h, w, class names,
/// fingerprint, payload sizes), pixels, labels, and a trailing checksum. Written atomically.
void writeImageCache(const std::filesystem::path& path, const RawImages& images,
                     const FolderFingerprint& fingerprint);
/// Parses a cache held in memory. Throws DataError on any inconsistency.
RawImages parseImageCache(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                          FolderFingerprint* fingerprint, const ReadLimits& limits = {});
/// Reads a cache file whatever its fingerprint, which goes to `stored`. Throws IoError or
/// DataError on any fault (a missing, damaged or foreign file).
RawImages readImageCacheFile(const std::filesystem::path& path, FolderFingerprint* stored,
                             const ReadLimits& limits = {});
/// Reads the cache if it exists, is valid and matches `fingerprint`; nullopt otherwise
/// (a damaged cache is never fatal: the folder is decoded again).
std::optional<RawImages> readImageCache(const std::filesystem::path& path,
                                        const FolderFingerprint& fingerprint,
                                        const ReadLimits& limits = {});

/// The cache path for a split, always under the user's cache folder, never in the dataset's
/// folder: <userCacheHome()>/trainlab/<hash of the split folder's real path>/<split>.tlimg,
/// where userCacheHome() is $XDG_CACHE_HOME, ~/.cache or $XDG_RUNTIME_DIR. A linked (imported)
/// folder and its source share one cache. Empty when the user has no cache folder (never a
/// fixed folder in /tmp): the folder is then decoded on every load.
std::filesystem::path imageCachePath(const std::filesystem::path& root, const std::string& split);

/// Loads <root>/<split> through the cache; `fromCache` tells which path was taken.
RawImages loadImageFolder(const std::filesystem::path& root, const std::string& split,
                          bool* fromCache = nullptr, int threads = 2,
                          const ReadLimits& limits = {});

}  // namespace trainlab
