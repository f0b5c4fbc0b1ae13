// CIFAR-10 binary reader: plain batch files or the release archive read through libarchive
// (never extracted to disk). Sizes are checked before anything is allocated.
#include "cifar_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "errors.h"
#include "read_util.h"
#include "unique_fd.h"

namespace trainlab {

namespace {

using detail::readFully;
using detail::sysFault;
using detail::withCommas;

constexpr std::size_t kPixels = 3 * 32 * 32;
constexpr std::size_t kRecord = 1 + kPixels;  // 3,073
constexpr int kClasses = 10;
constexpr std::int64_t kMaxArchiveEntries = 10'000;

/// The largest batch (file or archive entry) the limits allow.
std::uint64_t maxBatchBytes(const ReadLimits& limits) {
    const std::uint64_t byImages =
        limits.maxImages > 0 ? std::uint64_t(limits.maxImages) * kRecord : 0;
    return std::min<std::uint64_t>(byImages, limits.maxBytes + limits.maxBytes / kPixels + 1);
}

/// Reads a whole regular file, refusing one larger than `maxBytes` before allocating.
std::vector<std::uint8_t> readBounded(const std::filesystem::path& path, std::uint64_t maxBytes) {
    const std::string name = path.string();
    struct stat st {};
    const UniqueFd fd = detail::openForReading(name, st);
    if (!S_ISREG(st.st_mode)) throw DataError(name, "is not a regular file");
    const std::uint64_t size = std::uint64_t(st.st_size);
    if (size > maxBytes)
        throw DataError(name, "file has " + withCommas(size) + " bytes, more than the limit of " +
                                  withCommas(maxBytes));
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(size));
    const std::size_t got = readFully(fd.get(), buf.data(), buf.size(), name);
    if (got != buf.size())
        throw DataError(name, "file shrank while being read: " + withCommas(got) + " of " +
                                  withCommas(buf.size()) + " bytes");
    return buf;
}

const std::array<const char*, 6> kBatchNames = {"data_batch_1.bin", "data_batch_2.bin",
                                                "data_batch_3.bin", "data_batch_4.bin",
                                                "data_batch_5.bin", "test_batch.bin"};

}  // namespace

const std::vector<std::string>& cifar10ClassNames() {
    static const std::vector<std::string> names = {
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
    return names;
}

void parseCifarRecords(const std::uint8_t* bytes, std::size_t size, const std::string& name,
                       RawImages& out, const ReadLimits& limits) {
    if (size == 0) throw DataError(name, "file is empty");
    if (size % kRecord != 0)
        throw DataError(name, "size of " + withCommas(size) + " bytes is not a whole number of " +
                                  withCommas(kRecord) + "-byte records (" +
                                  withCommas(size / kRecord) + " records and " +
                                  withCommas(size % kRecord) + " bytes)");
    if (out.n != 0 && (out.c != 3 || out.h != 32 || out.w != 32))
        throw DataError(name, "cannot append CIFAR-10 records to images of " +
                                  std::to_string(out.c) + "x" + std::to_string(out.h) + "x" +
                                  std::to_string(out.w));
    if (out.n < 0 || out.pixels.size() != std::size_t(out.n) * kPixels ||
        out.labels.size() != std::size_t(out.n))
        throw DataError(name, "inconsistent image set to append to");
    const std::size_t records = size / kRecord;
    const std::uint64_t total = std::uint64_t(out.n) + records;
    if (total > std::uint64_t(std::max<std::int64_t>(limits.maxImages, 0)))
        throw DataError(name, "holds " + withCommas(total) +
                                  " images in all, more than the limit of " +
                                  withCommas(std::uint64_t(limits.maxImages)));
    if (total * kPixels > limits.maxBytes)
        throw DataError(name, withCommas(total * kPixels) +
                                  " pixel bytes in all, more than the limit of " +
                                  withCommas(limits.maxBytes));
    // Validate every label before allocating.
    for (std::size_t i = 0; i < records; ++i) {
        const std::uint8_t label = bytes[i * kRecord];
        if (label >= kClasses)
            throw DataError(name, "label " + std::to_string(label) + " at record " + withCommas(i) +
                                      " is outside 0.." + std::to_string(kClasses - 1));
    }
    const std::size_t oldN = std::size_t(out.n);
    out.pixels.resize((oldN + records) * kPixels);
    out.labels.resize(oldN + records);
    std::uint8_t* px = out.pixels.data() + oldN * kPixels;
    std::int32_t* lb = out.labels.data() + oldN;
    for (std::size_t i = 0; i < records; ++i) {
        const std::uint8_t* rec = bytes + i * kRecord;
        lb[i] = std::int32_t(rec[0]);
        std::memcpy(px + i * kPixels, rec + 1, kPixels);
    }
    out.n = std::int64_t(oldN + records);
    out.c = 3;
    out.h = 32;
    out.w = 32;
    if (out.classNames.empty()) out.classNames = cifar10ClassNames();
    if (out.source.empty()) out.source = name;
}

RawImages readCifarBatches(const std::vector<std::filesystem::path>& files,
                           const ReadLimits& limits) {
    RawImages out;
    if (files.empty()) return out;
    // Reserve once when the sizes are plausible, so that appending does not copy.
    std::uint64_t records = 0;
    bool plausible = true;
    for (const auto& f : files) {
        std::error_code ec;
        const auto s = std::filesystem::file_size(f, ec);
        if (ec || s % kRecord != 0) {
            plausible = false;
            break;
        }
        records += s / kRecord;
    }
    if (plausible && records * kPixels <= limits.maxBytes &&
        records <= std::uint64_t(std::max<std::int64_t>(limits.maxImages, 0))) {
        out.pixels.reserve(std::size_t(records * kPixels));
        out.labels.reserve(std::size_t(records));
    }
    for (const auto& f : files) {
        const std::vector<std::uint8_t> buf = readBounded(f, maxBatchBytes(limits));
        parseCifarRecords(buf.data(), buf.size(), f.string(), out, limits);
    }
    out.source = files.size() == 1 ? files.front().string() : files.front().parent_path().string();
    return out;
}

CifarSplits readCifarArchive(const std::filesystem::path& archivePath, const ReadLimits& limits) {
    const std::string name = archivePath.string();
    {
        std::error_code ec;
        const auto st = std::filesystem::status(archivePath, ec);
        if (!std::filesystem::exists(st)) throw DataError(name, "file does not exist");
        if (!std::filesystem::is_regular_file(st)) throw DataError(name, "is not a regular file");
        if (::access(archivePath.c_str(), R_OK) != 0)
            throw IoError(sysFault("cannot open", name, errno));
    }
    std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
    if (!a) throw IoError("cannot start libarchive for '" + name + "'");
    archive_read_support_filter_gzip(a.get());
    archive_read_support_filter_none(a.get());
    archive_read_support_format_tar(a.get());
    auto fault = [&](const std::string& what) {
        const char* msg = archive_error_string(a.get());
        return DataError(name, what + (msg ? std::string(": ") + msg : std::string()));
    };
    if (archive_read_open_filename(a.get(), archivePath.c_str(), 256 * 1024) != ARCHIVE_OK)
        throw fault("cannot open the archive");

    const std::uint64_t entryLimit = maxBatchBytes(limits);
    std::array<std::vector<std::uint8_t>, 6> batches;
    std::array<bool, 6> found{};
    std::int64_t entries = 0;
    std::uint64_t totalBytes = 0;
    archive_entry* e = nullptr;
    for (;;) {
        const int rc = archive_read_next_header(a.get(), &e);
        if (rc == ARCHIVE_EOF) break;
        if (rc == ARCHIVE_FATAL || rc == ARCHIVE_RETRY) throw fault("corrupt archive");
        // ARCHIVE_WARN: usable entry (e.g. odd metadata); read on.
        if (++entries > kMaxArchiveEntries)
            throw DataError(name, "archive has more than " + withCommas(kMaxArchiveEntries) +
                                      " entries, not a CIFAR-10 release");
        if (archive_entry_filetype(e) != AE_IFREG) continue;
        const char* p = archive_entry_pathname(e);
        if (!p) continue;
        std::string base = p;
        const auto slash = base.find_last_of('/');
        if (slash != std::string::npos) base = base.substr(slash + 1);
        int which = -1;
        for (int i = 0; i < 6; ++i)
            if (base == kBatchNames[std::size_t(i)]) which = i;
        if (which < 0 || found[std::size_t(which)]) continue;  // not a batch, or a duplicate
        const std::string entryName = name + ":" + p;
        if (!archive_entry_size_is_set(e)) throw DataError(entryName, "archive entry has no size");
        const std::int64_t size = archive_entry_size(e);
        if (size <= 0) throw DataError(entryName, "archive entry is empty");
        if (std::uint64_t(size) > entryLimit)
            throw DataError(entryName, "archive entry has " + withCommas(std::uint64_t(size)) +
                                           " bytes, more than the limit of " +
                                           withCommas(entryLimit));
        totalBytes += std::uint64_t(size);
        if (totalBytes > 2 * entryLimit)
            throw DataError(name, "batches hold " + withCommas(totalBytes) +
                                      " bytes in all, more than the limit");
        if (std::uint64_t(size) % kRecord != 0)
            throw DataError(entryName, "size of " + withCommas(std::uint64_t(size)) +
                                           " bytes is not a whole number of " +
                                           withCommas(kRecord) + "-byte records");
        auto& buf = batches[std::size_t(which)];
        buf.resize(std::size_t(size));
        std::size_t got = 0;
        while (got < buf.size()) {
            const la_ssize_t r = archive_read_data(a.get(), buf.data() + got, buf.size() - got);
            if (r < 0) throw fault("cannot read " + std::string(p));
            if (r == 0) break;
            got += std::size_t(r);
        }
        if (got != buf.size())
            throw DataError(entryName, "archive entry is truncated: " + withCommas(got) + " of " +
                                           withCommas(buf.size()) + " bytes");
        found[std::size_t(which)] = true;
    }

    std::string missing;
    for (int i = 0; i < 6; ++i)
        if (!found[std::size_t(i)])
            missing += (missing.empty() ? "" : ", ") + std::string(kBatchNames[std::size_t(i)]);
    if (!missing.empty()) throw DataError(name, "archive lacks " + missing);

    CifarSplits s;
    std::size_t trainBytes = 0;
    for (int i = 0; i < 5; ++i) trainBytes += batches[std::size_t(i)].size();
    if (trainBytes / kRecord * kPixels <= limits.maxBytes) {
        s.train.pixels.reserve(trainBytes / kRecord * kPixels);
        s.train.labels.reserve(trainBytes / kRecord);
    }
    for (int i = 0; i < 5; ++i) {
        auto& b = batches[std::size_t(i)];
        parseCifarRecords(b.data(), b.size(), name + ":" + kBatchNames[std::size_t(i)], s.train,
                          limits);
        std::vector<std::uint8_t>().swap(b);
    }
    parseCifarRecords(batches[5].data(), batches[5].size(), name + ":" + kBatchNames[5], s.test,
                      limits);
    s.train.source = name;
    s.test.source = name;
    return s;
}

}  // namespace trainlab
