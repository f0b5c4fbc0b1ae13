// parseCifarRecords on arbitrary bytes, appended twice to check the append path.
#include <cstdint>

#include "errors.h"
#include "cifar_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    trainlab::RawImages out;
    try {
        trainlab::parseCifarRecords(data, size, "fuzz", out);
        trainlab::parseCifarRecords(data, size, "fuzz", out);
        if (out.pixels.size() != std::size_t(out.n) * 3072 ||
            out.labels.size() != std::size_t(out.n))
            __builtin_trap();
        for (auto l : out.labels)
            if (l < 0 || l >= 10) __builtin_trap();
    } catch (const trainlab::DataError&) {
    }
    return 0;
}
