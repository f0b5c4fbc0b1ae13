// decodeImageFolder on a folder with one class holding two copies of the input, once as .png
// and once as .jpg (the decoder picks the codec by signature, so both name it the same way).
// Checks the buffer sizing around libpng / TurboJPEG.
#include <cstdint>

#include "errors.h"
#include "image_folder.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto root = [] {
        const auto r = fuzz::scratchDir() / "split";
        std::filesystem::create_directories(r / "class");
        return r;
    }();
    fuzz::writeInput(root / "class" / "a.png", data, size);
    fuzz::writeInput(root / "class" / "b.jpg", data, size);
    trainlab::ReadLimits limits;
    limits.maxSide = 512;
    try {
        const trainlab::RawImages r = trainlab::decodeImageFolder(root, 1, limits);
        if (r.n != 2 || r.pixels.size() != std::size_t(2 * r.imageBytes()) ||
            (r.c != 1 && r.c != 3) || r.h > 512 || r.w > 512)
            __builtin_trap();
    } catch (const trainlab::DataError&) {
    }
    return 0;
}
