// Tiny, class-sorted datasets written on the fly for tests that run image experiments:
// a CIFAR-10 image folder (train|test/<class>/NNNN.png, each class its own colour) and an
// MNIST in raw IDX files (class after class, each class a bright row of its own).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dataset_catalog.h"
#include "test_png.h"

namespace trainlab::testing {

inline constexpr int kTinyClasses = 10;

// Ten clearly different colours: a tiny net tells them apart in a few steps.
inline constexpr std::uint8_t kClassColours[kTinyClasses][3] = {
    {230, 30, 30},   {30, 230, 30}, {30, 30, 230}, {230, 230, 30}, {230, 30, 230},
    {30, 230, 230},  {128, 128, 128}, {250, 140, 0}, {120, 0, 200}, {0, 90, 40}};

inline std::uint32_t nextLcg(std::uint32_t& s) { return s = s * 1664525u + 1013904223u; }

/// <root>/cifar10/{train,test}/<class>/NNNN.png: files sorted by class, as CIFAR-10
/// exported to folders is.
inline void writeCifarFolder(const std::filesystem::path& root, int trainPerClass,
                             int testPerClass) {
    const auto& names = findDatasetSpec("cifar10")->classNames;
    std::uint32_t seed = 7;
    for (const auto& [split, n] : {std::pair<const char*, int>{"train", trainPerClass},
                                   std::pair<const char*, int>{"test", testPerClass}})
        for (int k = 0; k < kTinyClasses; ++k) {
            const auto dir = root / "cifar10" / split / names[static_cast<size_t>(k)];
            std::filesystem::create_directories(dir);
            for (int i = 0; i < n; ++i) {
                std::vector<std::uint8_t> rgb(32 * 32 * 3);
                for (size_t b = 0; b < rgb.size(); ++b) {
                    const int v =
                        kClassColours[k][b % 3] + static_cast<int>(nextLcg(seed) >> 26) - 32;
                    rgb[b] = static_cast<std::uint8_t>(std::clamp(v, 0, 255));
                }
                char name[16];
                std::snprintf(name, sizeof name, "%04d.png", i);
                if (!writePngFile(dir / name, 32, 32, 3, rgb))
                    throw std::runtime_error("cannot write " + (dir / name).string());
            }
        }
}

inline void putBigEndian32(std::ofstream& f, std::uint32_t v) {
    const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    f.write(b, 4);
}

/// <root>/mnist: raw IDX files with the images stored class after class.
inline void writeMnistSorted(const std::filesystem::path& root, int trainPerClass,
                             int testPerClass) {
    const auto dir = root / "mnist";
    std::filesystem::create_directories(dir);
    for (const auto& [prefix, n] : {std::pair<const char*, int>{"train", trainPerClass},
                                    std::pair<const char*, int>{"t10k", testPerClass}}) {
        std::ofstream img(dir / (std::string(prefix) + "-images-idx3-ubyte"), std::ios::binary);
        std::ofstream lab(dir / (std::string(prefix) + "-labels-idx1-ubyte"), std::ios::binary);
        putBigEndian32(img, 0x803);
        putBigEndian32(img, std::uint32_t(n * kTinyClasses));
        putBigEndian32(img, 28);
        putBigEndian32(img, 28);
        putBigEndian32(lab, 0x801);
        putBigEndian32(lab, std::uint32_t(n * kTinyClasses));
        for (int k = 0; k < kTinyClasses; ++k)
            for (int i = 0; i < n; ++i) {
                std::vector<char> px(28 * 28, 0);
                for (int x = 0; x < 28; ++x)
                    px[static_cast<size_t>((2 * k + 3) * 28 + x)] = char(200);
                img.write(px.data(), static_cast<std::streamsize>(px.size()));
                lab.put(char(k));
            }
    }
}

}  // namespace trainlab::testing
