// IDX reader: files generated here (raw and gzip), read back exactly, and every kind of damage
// reported as a DataError naming the fault, quickly and without big allocations.
#include <zlib.h>

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include "data_faults.h"
#include "test_timing.h"

using trainlab::test::faultOf;
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "errors.h"
#include "idx_reader.h"

using namespace trainlab;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

void putBe32(Bytes& b, std::uint32_t v) {
    b.push_back(std::uint8_t(v >> 24));
    b.push_back(std::uint8_t(v >> 16));
    b.push_back(std::uint8_t(v >> 8));
    b.push_back(std::uint8_t(v));
}

Bytes idxHeader(std::uint32_t magic, const std::vector<std::uint32_t>& dims) {
    Bytes b;
    putBe32(b, magic);
    for (auto d : dims) putBe32(b, d);
    return b;
}

/// A valid images file of n×h×w with pixel (i, y, x) = (i*31 + y*7 + x) & 255.
Bytes imagesFile(std::uint32_t n, std::uint32_t h, std::uint32_t w) {
    Bytes b = idxHeader(0x803, {n, h, w});
    for (std::uint32_t i = 0; i < n; ++i)
        for (std::uint32_t y = 0; y < h; ++y)
            for (std::uint32_t x = 0; x < w; ++x)
                b.push_back(std::uint8_t((i * 31 + y * 7 + x) & 255));
    return b;
}

Bytes labelsFile(const std::vector<std::uint8_t>& labels) {
    Bytes b = idxHeader(0x801, {std::uint32_t(labels.size())});
    b.insert(b.end(), labels.begin(), labels.end());
    return b;
}

Bytes gzip(const Bytes& in, int level = 6) {
    z_stream zs{};
    if (deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    Bytes out(deflateBound(&zs, uLong(in.size())) + 64);
    zs.next_in = const_cast<Bytes::value_type*>(in.data());
    zs.avail_in = uInt(in.size());
    zs.next_out = out.data();
    zs.avail_out = uInt(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

void writeBytes(const fs::path& p, const Bytes& b) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

}  // namespace

class TestIdxReader : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir tmp_;
    fs::path file(const char* name) const { return fs::path(tmp_.path().toStdString()) / name; }

  private slots:
    void initTestCase() { QVERIFY(tmp_.isValid()); }

    void parseFromMemory() {
        const Bytes img = imagesFile(3, 4, 5);
        const IdxArray a = parseIdx(img.data(), img.size(), 3, "mem");
        QCOMPARE(a.dims, (std::vector<std::int64_t>{3, 4, 5}));
        QCOMPARE(a.data, Bytes(img.begin() + 16, img.end()));
        const Bytes lab = labelsFile({1, 2, 3, 0});
        const IdxArray l = parseIdx(lab.data(), lab.size(), 1, "mem");
        QCOMPARE(l.dims, (std::vector<std::int64_t>{4}));
        QCOMPARE(l.data, (Bytes{1, 2, 3, 0}));
    }

    void rawFilesReadBackExactly() {
        const Bytes img = imagesFile(3, 4, 5);
        writeBytes(file("raw-images"), img);
        const IdxArray a = readIdxFile(file("raw-images"), 3);
        QCOMPARE(a.dims, (std::vector<std::int64_t>{3, 4, 5}));
        QCOMPARE(a.data, Bytes(img.begin() + 16, img.end()));
        writeBytes(file("raw-labels"), labelsFile({7, 0, 9}));
        const IdxArray l = readIdxFile(file("raw-labels"), 1);
        QCOMPARE(l.dims, (std::vector<std::int64_t>{3}));
        QCOMPARE(l.data, (Bytes{7, 0, 9}));
    }

    void gzipFilesReadBackExactly() {
        const Bytes img = imagesFile(50, 28, 28);
        writeBytes(file("gz-images.gz"), gzip(img));
        const IdxArray a = readIdxFile(file("gz-images.gz"), 3);
        QCOMPARE(a.dims, (std::vector<std::int64_t>{50, 28, 28}));
        QVERIFY(a.data == Bytes(img.begin() + 16, img.end()));
        writeBytes(file("gz-labels.gz"), gzip(labelsFile({1, 1, 2})));
        const IdxArray l = readIdxFile(file("gz-labels.gz"), 1);
        QCOMPARE(l.data, (Bytes{1, 1, 2}));
    }

    void gzipConcatenatedMembers() {
        const Bytes img = imagesFile(4, 3, 3);
        Bytes a(img.begin(), img.begin() + 20), b(img.begin() + 20, img.end());
        Bytes gz = gzip(a);
        const Bytes gz2 = gzip(b);
        gz.insert(gz.end(), gz2.begin(), gz2.end());
        writeBytes(file("two-members.gz"), gz);
        QCOMPARE(readIdxFile(file("two-members.gz"), 3).data, Bytes(img.begin() + 16, img.end()));
    }

    void pairBecomesNx1xHxW() {
        writeBytes(file("pair-images"), imagesFile(4, 2, 3));
        writeBytes(file("pair-labels.gz"), gzip(labelsFile({3, 0, 1, 2})));
        const RawImages r =
            readIdxPair(file("pair-images"), file("pair-labels.gz"), {"a", "b", "c", "d"});
        QCOMPARE(r.n, 4);
        QCOMPARE(r.c, 1);
        QCOMPARE(r.h, 2);
        QCOMPARE(r.w, 3);
        QCOMPARE(r.labels, (std::vector<std::int32_t>{3, 0, 1, 2}));
        QCOMPARE(r.classNames.size(), std::size_t(4));
        QCOMPARE(r.pixels.size(), std::size_t(24));
        QCOMPARE(int(r.image(2)[4]), int((2 * 31 + 1 * 7 + 1) & 255));
    }

    void emptyFile() {
        writeBytes(file("empty"), {});
        EXPECT_FAULT(readIdxFile(file("empty"), 3), "file is empty");
        EXPECT_FAULT(parseIdx(nullptr, 0, 1, "mem"), "file is empty");
        writeBytes(file("empty.gz"), gzip({}));
        EXPECT_FAULT(readIdxFile(file("empty.gz"), 1), "file is empty");
    }

    void missingFile() { EXPECT_FAULT(readIdxFile(file("does-not-exist"), 3), "does not exist"); }

    void truncatedHeader() {
        Bytes h = idxHeader(0x803, {2, 2, 2});
        h.resize(10);
        writeBytes(file("short-header"), h);
        EXPECT_FAULT(readIdxFile(file("short-header"), 3), "file is truncated");
        writeBytes(file("short-header.gz"), gzip(h));
        EXPECT_FAULT(readIdxFile(file("short-header.gz"), 3), "file is truncated");
    }

    void headerOnly() {
        const Bytes h = idxHeader(0x803, {2, 2, 2});
        writeBytes(file("header-only"), h);
        EXPECT_FAULT(readIdxFile(file("header-only"), 3),
                     "file is truncated: header announces 8 pixel bytes, 0 present");
        writeBytes(file("header-only.gz"), gzip(h));
        EXPECT_FAULT(readIdxFile(file("header-only.gz"), 3),
                     "file is truncated: header announces 8 pixel bytes, 0 present");
    }

    void dataCut() {
        Bytes b = idxHeader(0x803, {60000, 28, 28});
        b.resize(16 + 1234, 7);
        writeBytes(file("cut"), b);
        EXPECT_FAULT(readIdxFile(file("cut"), 3),
                     "file is truncated: header announces 47,040,000 pixel bytes, 1,234 present");
        EXPECT_FAULT(parseIdx(b.data(), b.size(), 3, "mem"),
                     "header announces 47,040,000 pixel bytes, 1,234 present");
        writeBytes(file("cut.gz"), gzip(b));
        EXPECT_FAULT(readIdxFile(file("cut.gz"), 3),
                     "header announces 47,040,000 pixel bytes, 1,234 present");
        Bytes l = labelsFile({1, 2, 3});
        l.pop_back();
        writeBytes(file("cut-labels"), l);
        EXPECT_FAULT(readIdxFile(file("cut-labels"), 1),
                     "header announces 3 label bytes, 2 present");
    }

    void extraBytes() {
        Bytes b = imagesFile(2, 2, 2);
        b.push_back(1);
        b.push_back(2);
        writeBytes(file("extra"), b);
        EXPECT_FAULT(readIdxFile(file("extra"), 3), "2 extra bytes");
        EXPECT_FAULT(parseIdx(b.data(), b.size(), 3, "mem"), "2 extra bytes");
        writeBytes(file("extra.gz"), gzip(b));
        EXPECT_FAULT(readIdxFile(file("extra.gz"), 3), "extra bytes");
        Bytes g = gzip(imagesFile(2, 2, 2));
        g.push_back(0);
        g.push_back(0);
        writeBytes(file("trailing.gz"), g);
        EXPECT_FAULT(readIdxFile(file("trailing.gz"), 3), "after the end of the gzip stream");
    }

    void wrongMagic() {
        Bytes b = imagesFile(1, 2, 2);
        b[0] = 0x12;
        writeBytes(file("magic"), b);
        EXPECT_FAULT(readIdxFile(file("magic"), 3), "wrong magic 0x12000803, expected 0x00000803");
        Bytes png = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0};
        writeBytes(file("magic.gz"), gzip(png));
        EXPECT_FAULT(readIdxFile(file("magic.gz"), 1), "wrong magic");
    }

    void wrongTypeByte() {
        Bytes b = imagesFile(1, 2, 2);
        b[2] = 0x0d;  // float
        writeBytes(file("type"), b);
        EXPECT_FAULT(readIdxFile(file("type"), 3), "unsupported IDX data type 0x0d");
    }

    void wrongDimensionCount() {
        writeBytes(file("labels-as-images"), labelsFile({1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2}));
        EXPECT_FAULT(readIdxFile(file("labels-as-images"), 3), "1 dimension(s), expected 3");
        writeBytes(file("images-as-labels"), imagesFile(1, 2, 2));
        EXPECT_FAULT(readIdxFile(file("images-as-labels"), 1), "3 dimension(s), expected 1");
        const Bytes zero = idxHeader(0x803, {0, 28, 28});
        EXPECT_FAULT(parseIdx(zero.data(), zero.size(), 3, "mem"), "dimension 0 is 0");
    }

    void hugeDimensionsFailFastWithoutAllocating() {
        QElapsedTimer t;
        t.start();
        Bytes b = idxHeader(0x803, {0x80000000u, 0x80000000u, 0x80000000u});
        b.resize(64, 1);
        writeBytes(file("huge"), b);
        EXPECT_FAULT(readIdxFile(file("huge"), 3), "more than the limit");
        writeBytes(file("huge.gz"), gzip(b));
        EXPECT_FAULT(readIdxFile(file("huge.gz"), 3), "more than the limit");
        // Each dimension within its own limit, the product beyond the byte limit.
        Bytes p = idxHeader(0x803, {10'000'000u, 4096u, 4096u});
        EXPECT_FAULT(parseIdx(p.data(), p.size(), 3, "mem"), "more than the limit");
        // 2^31 × 2^31 within an enlarged limit: the overflow check or the byte limit fires.
        ReadLimits wide;
        wide.maxImages = std::numeric_limits<std::int64_t>::max();
        wide.maxSide = std::numeric_limits<std::int64_t>::max();
        wide.maxBytes = std::numeric_limits<std::uint64_t>::max();
        Bytes o = idxHeader(0x803, {0xffffffffu, 0xffffffffu, 0xffffffffu});
        EXPECT_FAULT(parseIdx(o.data(), o.size(), 3, "mem", wide), "overflow");
        Bytes l = idxHeader(0x801, {0x80000000u});
        EXPECT_FAULT(parseIdx(l.data(), l.size(), 1, "mem"), "more than the limit");
        QVERIFY2(t.elapsed() < timeLimitMs(2000), "huge headers must be rejected at once");
    }

    void countMismatchNamesBothCounts() {
        writeBytes(file("mm-images"), imagesFile(60000, 1, 1));
        writeBytes(file("mm-labels"), labelsFile(std::vector<std::uint8_t>(59999, 1)));
        EXPECT_FAULT(readIdxPair(file("mm-images"), file("mm-labels"), {"a", "b"}),
                     "labels file has 59,999 entries, images file 60,000");
    }

    void labelOutOfRange() {
        writeBytes(file("lr-images"), imagesFile(8, 2, 2));
        writeBytes(file("lr-labels"), labelsFile({0, 1, 2, 3, 4, 12, 6, 7}));
        const std::vector<std::string> ten = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
        EXPECT_FAULT(readIdxPair(file("lr-images"), file("lr-labels"), ten),
                     "label 12 at index 5 is outside 0..9");
    }

    void corruptGzipStream() {
        const Bytes img = imagesFile(20, 10, 10);
        Bytes gz = gzip(img);
        Bytes bad = gz;
        for (std::size_t i = 20; i < 40 && i < bad.size(); ++i) bad[i] ^= 0x5a;
        writeBytes(file("corrupt.gz"), bad);
        EXPECT_FAULT(readIdxFile(file("corrupt.gz"), 3), "'");
        // The message must be a DataError (faultOf checks the type).
        QVERIFY(faultOf([&] { readIdxFile(file("corrupt.gz"), 3); }).rfind("'", 0) == 0);
        Bytes cut(gz.begin(), gz.begin() + std::ptrdiff_t(gz.size() / 2));
        writeBytes(file("cut-stream.gz"), cut);
        EXPECT_FAULT(readIdxFile(file("cut-stream.gz"), 3), "truncated");
        Bytes crc = gz;
        crc[crc.size() - 6] ^= 1;  // the CRC-32 of the trailer
        writeBytes(file("crc.gz"), crc);
        EXPECT_FAULT(readIdxFile(file("crc.gz"), 3), "corrupt gzip stream");
        Bytes onlyMagic = {0x1f, 0x8b};
        writeBytes(file("magic-only.gz"), onlyMagic);
        EXPECT_FAULT(readIdxFile(file("magic-only.gz"), 3), "'");
    }

    void gzipBombStopsEarly() {
        ReadLimits small;
        small.maxBytes = 4096;
        QElapsedTimer t;
        t.start();
        // A valid header announcing 1,000 bytes followed by 64 MB of zeros (64 KB compressed).
        Bytes bomb = idxHeader(0x803, {10, 10, 10});
        bomb.resize(bomb.size() + (64u << 20), 0);
        const Bytes gz = gzip(bomb, 9);
        bomb.clear();
        bomb.shrink_to_fit();
        QVERIFY(gz.size() < 100'000);
        writeBytes(file("bomb.gz"), gz);
        t.restart();
        EXPECT_FAULT(readIdxFile(file("bomb.gz"), 3, small), "longer than its header announces");
        // A header announcing more than the limit over the same kind of stream.
        Bytes big = idxHeader(0x803, {100, 100, 100});
        big.resize(big.size() + (1u << 20), 0);
        writeBytes(file("bomb2.gz"), gzip(big, 9));
        EXPECT_FAULT(readIdxFile(file("bomb2.gz"), 3, small), "more than the limit of 4,096");
        // Zeros from the start: rejected at the magic.
        writeBytes(file("bomb3.gz"), gzip(Bytes(1u << 20, 0), 9));
        EXPECT_FAULT(readIdxFile(file("bomb3.gz"), 3, small), "wrong magic");
        QVERIFY2(t.elapsed() < timeLimitMs(2000),
                 "a gzip bomb must be rejected without inflating it all");
    }

    void sharedMnist10k() {
        const char* env = std::getenv("TRAINLAB_SHARED_DATASETS");
        const fs::path root =
            env && *env ? fs::path(env)
                        : fs::path(TRAINLAB_TEST_DATA) / ".." / ".." / ".." / "shared" / "datasets";
        const fs::path dir = root / "mnist-10k";
        if (!fs::exists(dir / "images-idx3-ubyte.gz"))
            QSKIP(qPrintable("shared MNIST sample absent at " +
                             QString::fromStdString(dir.string()) +
                             " (set TRAINLAB_SHARED_DATASETS)"));
        const std::vector<std::string> digits = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
        const RawImages r =
            readIdxPair(dir / "images-idx3-ubyte.gz", dir / "labels-idx1-ubyte.gz", digits);
        QCOMPARE(r.n, 10000);
        QCOMPARE(r.c, 1);
        QCOMPARE(r.h, 28);
        QCOMPARE(r.w, 28);
    }
};

QTEST_APPLESS_MAIN(TestIdxReader)
#include "tst_idx_reader.moc"
