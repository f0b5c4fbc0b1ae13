// Writes small PNG files for the image-folder tests (libpng's simplified API).
#pragma once

#include <png.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <vector>

namespace trainlab::testing {

/// `pixels`: h rows of w pixels, `channels` (1 grey, 3 RGB) bytes each. False when not written.
inline bool writePngFile(const std::filesystem::path& path, int w, int h, int channels,
                         const std::vector<std::uint8_t>& pixels) {
    if (pixels.size() != std::size_t(w) * std::size_t(h) * std::size_t(channels)) return false;
    png_image img;
    std::memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = png_uint_32(w);
    img.height = png_uint_32(h);
    img.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    return png_image_write_to_file(&img, path.c_str(), 0, pixels.data(), 0, nullptr) != 0;
}

}  // namespace trainlab::testing
