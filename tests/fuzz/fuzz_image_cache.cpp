// parseImageCache on arbitrary bytes. Only inputs with a valid CRC-32 get past the checksum, so
// the fuzzer also rewrites the trailing checksum of every input (second call) to reach the
// label checks; the result must be self-consistent.
#include <zlib.h>

#include <cstdint>
#include <vector>

#include "errors.h"
#include "image_folder.h"

namespace {
void check(const std::uint8_t* data, std::size_t size) {
    try {
        trainlab::FolderFingerprint fp;
        const trainlab::RawImages r = trainlab::parseImageCache(data, size, "fuzz", &fp);
        if (r.pixels.size() != std::size_t(r.n * r.imageBytes()) ||
            r.labels.size() != std::size_t(r.n) || r.classNames.empty())
            __builtin_trap();
        for (auto l : r.labels)
            if (l < 0 || std::size_t(l) >= r.classNames.size()) __builtin_trap();
    } catch (const trainlab::DataError&) {
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    check(data, size);
    if (size >= 4) {
        std::vector<std::uint8_t> fixed(data, data + size);
        const uLong crc = crc32(crc32(0L, Z_NULL, 0), fixed.data(), uInt(size - 4));
        for (int i = 0; i < 4; ++i) fixed[size - 4 + std::size_t(i)] = std::uint8_t(crc >> (8 * i));
        check(fixed.data(), fixed.size());
    }
    return 0;
}
