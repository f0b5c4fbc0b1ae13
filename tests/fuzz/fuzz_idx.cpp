// parseIdx on arbitrary bytes, as labels (1 dimension) and as images (3 dimensions).
#include <cstdint>

#include "errors.h"
#include "idx_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    for (int dims : {1, 3}) {
        try {
            const trainlab::IdxArray a = trainlab::parseIdx(data, size, dims, "fuzz");
            std::size_t product = 1;
            for (auto d : a.dims) product *= std::size_t(d);
            if (a.dims.size() != std::size_t(dims) || a.data.size() != product) __builtin_trap();
        } catch (const trainlab::DataError&) {
        }
    }
    return 0;
}
