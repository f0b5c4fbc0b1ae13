// The seed rule, written once: model, run or task r of an experiment seeded with `seed` is
// initialised (and shuffles its batches) from seed·1000003 + r. Recorded in results.json.
#pragma once

#include <cstdint>

namespace trainlab {

constexpr std::uint64_t kSeedStride = 1000003ULL;

constexpr std::uint64_t runSeed(std::uint64_t seed, std::uint64_t run) {
    return seed * kSeedStride + run;
}

}  // namespace trainlab
