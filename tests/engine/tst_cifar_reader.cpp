// CIFAR-10 reader: generated batches and a generated tar.gz (written with libarchive), read back
// exactly; damaged sizes, labels and archives reported as DataErrors naming the fault.
#include <archive.h>
#include <archive_entry.h>

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>
#include "data_faults.h"

#include "errors.h"
#include "cifar_reader.h"

using namespace trainlab;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::size_t kRecord = 3073;

/// `count` records; record i has label (seed + i) % 10 and pixel k = (seed*13 + i*7 + k) & 255.
Bytes batch(int count, int seed) {
    Bytes b;
    for (int i = 0; i < count; ++i) {
        b.push_back(std::uint8_t((seed + i) % 10));
        for (int k = 0; k < 3072; ++k) b.push_back(std::uint8_t((seed * 13 + i * 7 + k) & 255));
    }
    return b;
}

void writeBytes(const fs::path& p, const Bytes& b) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

/// Writes a gzip-compressed tar with the given (path, contents) entries.
bool writeTarGz(const fs::path& p, const std::vector<std::pair<std::string, Bytes>>& entries) {
    archive* a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_pax_restricted(a);
    if (archive_write_open_filename(a, p.c_str()) != ARCHIVE_OK) {
        archive_write_free(a);
        return false;
    }
    bool ok = true;
    for (const auto& [name, data] : entries) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_size(e, la_int64_t(data.size()));
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        ok = ok && archive_write_header(a, e) == ARCHIVE_OK;
        if (!data.empty())
            ok = ok && archive_write_data(a, data.data(), data.size()) == la_ssize_t(data.size());
        archive_entry_free(e);
    }
    ok = ok && archive_write_close(a) == ARCHIVE_OK;
    archive_write_free(a);
    return ok;
}

const char* kNames[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                         "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};

}  // namespace

class TestCifarReader : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir tmp_;
    fs::path file(const std::string& name) const {
        return fs::path(tmp_.path().toStdString()) / name;
    }

    static void checkBatch(const RawImages& r, std::int64_t offset, int count, int seed) {
        for (int i = 0; i < count; ++i) {
            const std::int64_t at = offset + i;
            QCOMPARE(r.labels[std::size_t(at)], (seed + i) % 10);
            const std::uint8_t* px = r.image(at);
            for (int k = 0; k < 3072; k += 97) QCOMPARE(int(px[k]), (seed * 13 + i * 7 + k) & 255);
            QCOMPARE(int(px[3071]), (seed * 13 + i * 7 + 3071) & 255);
        }
    }

  private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void classNames() {
        QCOMPARE(cifar10ClassNames().size(), std::size_t(10));
        QCOMPARE(cifar10ClassNames().front(), std::string("airplane"));
        QCOMPARE(cifar10ClassNames().back(), std::string("truck"));
    }

    void recordsReadBackExactly() {
        const Bytes b = batch(3, 4);
        RawImages r;
        parseCifarRecords(b.data(), b.size(), "mem", r);
        QCOMPARE(r.n, 3);
        QCOMPARE(r.c, 3);
        QCOMPARE(r.h, 32);
        QCOMPARE(r.w, 32);
        QCOMPARE(r.pixels.size(), std::size_t(3 * 3072));
        QCOMPARE(r.classNames, cifar10ClassNames());
        // CHW as stored: the record's bytes after the label, unchanged.
        for (int i = 0; i < 3; ++i)
            QVERIFY(std::equal(r.image(i), r.image(i) + 3072, b.begin() + i * kRecord + 1));
        checkBatch(r, 0, 3, 4);
        // Appending keeps the earlier images.
        parseCifarRecords(b.data(), b.size(), "mem", r);
        QCOMPARE(r.n, 6);
        checkBatch(r, 3, 3, 4);
    }

    void batchFilesInOrder() {
        writeBytes(file("b1.bin"), batch(2, 1));
        writeBytes(file("b2.bin"), batch(3, 2));
        const RawImages r = readCifarBatches({file("b1.bin"), file("b2.bin")});
        QCOMPARE(r.n, 5);
        checkBatch(r, 0, 2, 1);
        checkBatch(r, 2, 3, 2);
    }

    void sizeNotWholeRecords() {
        Bytes b = batch(2, 0);
        b.pop_back();
        RawImages r;
        EXPECT_FAULT(parseCifarRecords(b.data(), b.size(), "mem", r),
                     "size of 6,145 bytes is not a whole number of 3,073-byte records");
        writeBytes(file("odd.bin"), b);
        EXPECT_FAULT(readCifarBatches({file("odd.bin")}), "not a whole number");
        writeBytes(file("empty.bin"), {});
        EXPECT_FAULT(readCifarBatches({file("empty.bin")}), "file is empty");
        EXPECT_FAULT(readCifarBatches({file("missing.bin")}), "does not exist");
    }

    void badLabel() {
        Bytes b = batch(3, 0);
        b[2 * kRecord] = 10;
        RawImages r;
        EXPECT_FAULT(parseCifarRecords(b.data(), b.size(), "mem", r),
                     "label 10 at record 2 is outside 0..9");
        QCOMPARE(r.n, 0);
    }

    void limitsRefuseBeforeAllocating() {
        ReadLimits small;
        small.maxImages = 2;
        const Bytes b = batch(3, 0);
        RawImages r;
        EXPECT_FAULT(parseCifarRecords(b.data(), b.size(), "mem", r, small), "more than the limit");
    }

    void archiveReadBack() {
        std::vector<std::pair<std::string, Bytes>> entries;
        entries.push_back({"cifar-10-batches-bin/batches.meta.txt", Bytes{'a', '\n'}});
        entries.push_back({"cifar-10-batches-bin/readme.html", Bytes{'<', '>'}});
        // Out of order on purpose: the reader orders the batches by name.
        for (int i : {5, 2, 0, 4, 1, 3})
            entries.push_back({std::string("cifar-10-batches-bin/") + kNames[i], batch(2, i)});
        QVERIFY(writeTarGz(file("cifar.tar.gz"), entries));
        const CifarSplits s = readCifarArchive(file("cifar.tar.gz"));
        QCOMPARE(s.train.n, 10);
        QCOMPARE(s.test.n, 2);
        for (int i = 0; i < 5; ++i) checkBatch(s.train, 2 * i, 2, i);
        checkBatch(s.test, 0, 2, 5);
        QCOMPARE(s.train.classNames, cifar10ClassNames());
    }

    void archiveWithoutFolderPrefix() {
        std::vector<std::pair<std::string, Bytes>> entries;
        for (int i = 0; i < 6; ++i) entries.push_back({kNames[i], batch(1, i)});
        QVERIFY(writeTarGz(file("flat.tar.gz"), entries));
        const CifarSplits s = readCifarArchive(file("flat.tar.gz"));
        QCOMPARE(s.train.n, 5);
        QCOMPARE(s.test.n, 1);
    }

    void archiveMissingTestBatch() {
        std::vector<std::pair<std::string, Bytes>> entries;
        for (int i = 0; i < 5; ++i)
            entries.push_back({std::string("cifar-10-batches-bin/") + kNames[i], batch(2, i)});
        QVERIFY(writeTarGz(file("no-test.tar.gz"), entries));
        EXPECT_FAULT(readCifarArchive(file("no-test.tar.gz")), "archive lacks test_batch.bin");
        entries.erase(entries.begin() + 2);
        QVERIFY(writeTarGz(file("no-test-no-3.tar.gz"), entries));
        EXPECT_FAULT(readCifarArchive(file("no-test-no-3.tar.gz")),
                     "archive lacks data_batch_3.bin, test_batch.bin");
    }

    void archiveEntryTooLarge() {
        std::vector<std::pair<std::string, Bytes>> entries;
        for (int i = 0; i < 6; ++i) entries.push_back({kNames[i], batch(3, i)});
        QVERIFY(writeTarGz(file("big.tar.gz"), entries));
        ReadLimits small;
        small.maxBytes = 2 * 3072;
        EXPECT_FAULT(readCifarArchive(file("big.tar.gz"), small), "more than the limit");
    }

    void archiveBadBatch() {
        std::vector<std::pair<std::string, Bytes>> entries;
        for (int i = 0; i < 6; ++i) entries.push_back({kNames[i], batch(2, i)});
        entries[3].second.pop_back();
        QVERIFY(writeTarGz(file("bad-batch.tar.gz"), entries));
        EXPECT_FAULT(readCifarArchive(file("bad-batch.tar.gz")), "data_batch_4.bin");
    }

    void archiveWithTooManyEntries() {
        std::vector<std::pair<std::string, Bytes>> entries;
        for (int i = 0; i < 10'001; ++i) entries.push_back({"junk/" + std::to_string(i), Bytes{}});
        QVERIFY(writeTarGz(file("many.tar.gz"), entries));
        EXPECT_FAULT(readCifarArchive(file("many.tar.gz")), "more than 10,000 entries");
    }

    void corruptArchive() {
        std::vector<std::pair<std::string, Bytes>> entries;
        for (int i = 0; i < 6; ++i) entries.push_back({kNames[i], batch(2, i)});
        QVERIFY(writeTarGz(file("ok.tar.gz"), entries));
        std::ifstream in(file("ok.tar.gz"), std::ios::binary);
        Bytes gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        Bytes cut(gz.begin(), gz.begin() + std::ptrdiff_t(gz.size() / 2));
        writeBytes(file("cut.tar.gz"), cut);
        EXPECT_FAULT(readCifarArchive(file("cut.tar.gz")), "cut.tar.gz");
        Bytes flipped = gz;
        for (std::size_t i = 40; i < 80; ++i) flipped[i] ^= 0xa5;
        writeBytes(file("flipped.tar.gz"), flipped);
        EXPECT_FAULT(readCifarArchive(file("flipped.tar.gz")), "flipped.tar.gz");
        writeBytes(file("garbage.tar.gz"), Bytes(1000, 0x42));
        EXPECT_FAULT(readCifarArchive(file("garbage.tar.gz")), "garbage.tar.gz");
        EXPECT_FAULT(readCifarArchive(file("absent.tar.gz")), "does not exist");
    }
};

QTEST_APPLESS_MAIN(TestCifarReader)
#include "tst_cifar_reader.moc"
