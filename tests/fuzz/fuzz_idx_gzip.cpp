// readIdxFile on a file holding the input: raw IDX or gzip (the zlib streaming path). The first
// byte picks labels or images; the rest is the file. Small limits keep a lying header cheap.
#include <cstdint>

#include "errors.h"
#include "idx_reader.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const int dims = (data[0] & 1) ? 3 : 1;
    const auto path = fuzz::scratchDir() / "input.idx";
    fuzz::writeInput(path, data + 1, size - 1);
    trainlab::ReadLimits limits;
    limits.maxBytes = 1u << 22;
    try {
        const trainlab::IdxArray a = trainlab::readIdxFile(path, dims, limits);
        std::size_t product = 1;
        for (auto d : a.dims) product *= std::size_t(d);
        if (a.dims.size() != std::size_t(dims) || a.data.size() != product ||
            a.data.size() > limits.maxBytes)
            __builtin_trap();
    } catch (const trainlab::DataError&) {
    }
    return 0;
}
