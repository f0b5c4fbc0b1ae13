// Labelled images as plain bytes, the common output of every dataset reader.
// Plain C++ (no torch, no Qt), so that readers, fuzzers and widgets share it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace trainlab {

/// n images of c×h×w bytes, stored image after image in CHW order (channel planes), and one
/// label per image in [0, classNames.size()).
struct RawImages {
    std::int64_t n = 0, c = 0, h = 0, w = 0;
    std::vector<std::uint8_t> pixels;  ///< n*c*h*w bytes
    std::vector<std::int32_t> labels;  ///< n labels
    std::vector<std::string> classNames;
    std::string source;  ///< file or folder it came from (for messages)
    /// The source stores images grouped by class (image folders: train/<class>/*), so "the
    /// first n" of it is one or two classes: limits must draw per class (drawSubset).
    bool classOrdered = false;

    std::int64_t imageBytes() const { return c * h * w; }
    const std::uint8_t* image(std::int64_t i) const { return pixels.data() + i * imageBytes(); }
};

/// Upper bounds every reader enforces before it allocates (a lying header must not make
/// trainlab allocate gigabytes).
struct ReadLimits {
    std::uint64_t maxBytes = 2'000'000'000ULL;  ///< decoded bytes of one file / one set
    std::int64_t maxImages = 10'000'000;
    std::int64_t maxSide = 4096;  ///< image height or width
};

}  // namespace trainlab
