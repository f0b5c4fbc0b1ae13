// CIFAR-10 binary version: records of 1 label byte + 3,072 pixel bytes (1024 R, G, B each).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "raw_images.h"

namespace trainlab {

/// Parses CIFAR-10 records from memory; appends to `out` (which must be 3×32×32 or empty).
/// Throws DataError naming `name` when the size is not a whole number of records or a label
/// is >= 10.
void parseCifarRecords(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                       RawImages& out, const ReadLimits& limits = {});

/// Reads batch files (data_batch_1.bin … or test_batch.bin) in order.
RawImages readCifarBatches(const std::vector<std::filesystem::path>& files,
                           const ReadLimits& limits = {});

struct CifarSplits {
    RawImages train, test;
};

/// Reads data_batch_1..5.bin and test_batch.bin from inside cifar-10-binary.tar.gz
/// (libarchive), without extracting to disk. Entries are bounded in size and count.
CifarSplits readCifarArchive(const std::filesystem::path& archive, const ReadLimits& limits = {});

/// The ten class names in label order.
const std::vector<std::string>& cifar10ClassNames();

}  // namespace trainlab
