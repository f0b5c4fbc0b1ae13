// IDX files (MNIST, Fashion-MNIST), raw or gzip. Validates before it allocates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "raw_images.h"

namespace trainlab {

/// An IDX array of unsigned bytes (type code 0x08).
struct IdxArray {
    std::vector<std::int64_t> dims;
    std::vector<std::uint8_t> data;
};

/// Parses an IDX array held in memory (already decompressed). `expectedDims` is 1 for labels
/// (magic 0x00000801) and 3 for images (0x00000803). Throws DataError naming `name`.
IdxArray parseIdx(const std::uint8_t* bytes, std::size_t size, int expectedDims,
                  const std::string& name, const ReadLimits& limits = {});

/// Reads a file, gunzipping it when it starts with the gzip magic; the decompressed size is
/// bounded by limits.maxBytes and by what the header announces. Throws DataError / IoError.
IdxArray readIdxFile(const std::filesystem::path& path, int expectedDims,
                     const ReadLimits& limits = {});

/// Reads an image file and its label file and checks that they agree (counts) and that
/// every label is below classNames.size(). Images become [n, 1, h, w].
RawImages readIdxPair(const std::filesystem::path& images, const std::filesystem::path& labels,
                      const std::vector<std::string>& classNames, const ReadLimits& limits = {});

}  // namespace trainlab
