// readCifarArchive (libarchive, gzip + tar) on a file holding the input.
#include <cstdint>

#include "errors.h"
#include "cifar_reader.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = fuzz::scratchDir() / "input.tar.gz";
    fuzz::writeInput(path, data, size);
    trainlab::ReadLimits limits;
    limits.maxBytes = 1u << 22;
    try {
        const trainlab::CifarSplits s = trainlab::readCifarArchive(path, limits);
        if (s.train.pixels.size() != std::size_t(s.train.n) * 3072 ||
            s.test.pixels.size() != std::size_t(s.test.n) * 3072)
            __builtin_trap();
    } catch (const trainlab::DataError&) {
    }
    return 0;
}
