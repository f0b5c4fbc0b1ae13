// Image folders: tiny PNG/JPEG folders generated here (libpng, TurboJPEG), decoded into exact
// CHW pixels; damaged files named in DataErrors; the cache hit, invalidated and rebuilt.
#include <png.h>
#include <turbojpeg.h>
#include <unistd.h>
#include <zlib.h>

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include "test_compare.h"
#include "test_png.h"
#include "data_faults.h"

using trainlab::test::faultOf;
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "errors.h"
#include "cifar_reader.h"
#include "image_folder.h"

using namespace trainlab;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::uint8_t>;

/// HWC pixels of a w×h image with c channels: value (seed*40 + y*w*c + x*c + k*5) & 255.
Bytes pattern(int w, int h, int c, int seed) {
    Bytes b(std::size_t(w * h * c));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int k = 0; k < c; ++k)
                b[std::size_t((y * w + x) * c + k)] =
                    std::uint8_t((seed * 40 + y * w * c + x * c + k * 5) & 255);
    return b;
}

/// A smooth pattern that JPEG keeps within a few levels.
Bytes smooth(int w, int h, int c, int seed) {
    Bytes b(std::size_t(w * h * c));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int k = 0; k < c; ++k)
                b[std::size_t((y * w + x) * c + k)] =
                    std::uint8_t(40 + seed * 20 + k * 50 + x * 2 + y * 3);
    return b;
}

bool writePng(const fs::path& p, int w, int h, int c, const Bytes& hwc) {
    return testing::writePngFile(p, w, h, c, hwc);
}

bool writeJpeg(const fs::path& p, int w, int h, int c, const Bytes& hwc) {
    tjhandle tj = tjInitCompress();
    unsigned char* out = nullptr;
    unsigned long size = 0;
    const int rc = tjCompress2(tj, hwc.data(), w, w * c, h, c == 3 ? TJPF_RGB : TJPF_GRAY, &out,
                               &size, c == 3 ? TJSAMP_444 : TJSAMP_GRAY, 100, 0);
    bool ok = rc == 0;
    if (ok) {
        std::ofstream f(p, std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(out), std::streamsize(size));
        ok = bool(f);
    }
    tjFree(out);
    tjDestroy(tj);
    return ok;
}

void writeBytes(const fs::path& p, const Bytes& b) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

Bytes readBytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// The CHW plane value of an HWC buffer.
int chwAt(const Bytes& hwc, int w, int c, int k, int y, int x) {
    return hwc[std::size_t((y * w + x) * c + k)];
}

bool sameImages(const RawImages& a, const RawImages& b) {
    return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w && a.pixels == b.pixels &&
           a.labels == b.labels && a.classNames == b.classNames;
}

}  // namespace

class TestImageFolder : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir tmp_;
    int counter_ = 0;

    /// A fresh dataset root with split "train": dog/{b.png, a.PNG}, cat/c.png, 4×3 RGB, plus
    /// files that must be ignored.
    fs::path makePngRoot() {
        const fs::path root =
            fs::path(tmp_.path().toStdString()) / ("png" + std::to_string(counter_++));
        fs::create_directories(root / "train" / "dog");
        fs::create_directories(root / "train" / "cat");
        fs::create_directories(root / "train" / ".hidden");
        writePng(root / "train" / "dog" / "b.png", 4, 3, 3, pattern(4, 3, 3, 2));
        writePng(root / "train" / "dog" / "a.PNG", 4, 3, 3, pattern(4, 3, 3, 1));
        writePng(root / "train" / "cat" / "c.png", 4, 3, 3, pattern(4, 3, 3, 0));
        writePng(root / "train" / ".hidden" / "x.png", 4, 3, 3, pattern(4, 3, 3, 5));
        writeBytes(root / "train" / "cat" / "notes.txt", Bytes{'h', 'i'});
        writeBytes(root / "train" / "stray.png", Bytes{1, 2, 3});  // not in a class folder
        return root;
    }

  private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        // Caches go to the user's cache folder (issue 18): this test's own.
        qputenv("XDG_CACHE_HOME", (tmp_.path() + "/xdg-cache").toLocal8Bit());
    }

    void pngFolderExactPixelsChw() {
        const fs::path root = makePngRoot();
        const RawImages r = decodeImageFolder(root / "train", 2);
        QCOMPARE(r.n, 3);
        QCOMPARE(r.c, 3);
        QCOMPARE(r.h, 3);
        QCOMPARE(r.w, 4);
        QCOMPARE(r.classNames, (std::vector<std::string>{"cat", "dog"}));
        QCOMPARE(r.labels, (std::vector<std::int32_t>{0, 1, 1}));
        const int seeds[3] = {0, 1, 2};  // cat/c, dog/a.PNG, dog/b
        for (int i = 0; i < 3; ++i) {
            const Bytes hwc = pattern(4, 3, 3, seeds[i]);
            const std::uint8_t* img = r.image(i);
            for (int k = 0; k < 3; ++k)
                for (int y = 0; y < 3; ++y)
                    for (int x = 0; x < 4; ++x)
                        QCOMPARE(int(img[(k * 3 + y) * 4 + x]), chwAt(hwc, 4, 3, k, y, x));
        }
    }

    void greyPngIsOneChannel() {
        const fs::path root = fs::path(tmp_.path().toStdString()) / "grey";
        fs::create_directories(root / "only");
        writePng(root / "only" / "1.png", 5, 2, 1, pattern(5, 2, 1, 3));
        writePng(root / "only" / "2.png", 5, 2, 1, pattern(5, 2, 1, 4));
        const RawImages r = decodeImageFolder(root, 1);
        QCOMPARE(r.c, 1);
        QCOMPARE(r.h, 2);
        QCOMPARE(r.w, 5);
        QVERIFY(Bytes(r.image(1), r.image(1) + 10) == pattern(5, 2, 1, 4));
    }

    void jpegFolderWithinTolerance() {
        const fs::path root = fs::path(tmp_.path().toStdString()) / "jpeg";
        fs::create_directories(root / "a");
        fs::create_directories(root / "b");
        writeJpeg(root / "a" / "1.jpg", 8, 8, 3, smooth(8, 8, 3, 0));
        writeJpeg(root / "a" / "2.JPEG", 8, 8, 3, smooth(8, 8, 3, 1));
        writeJpeg(root / "b" / "3.Jpg", 8, 8, 3, smooth(8, 8, 3, 2));
        const RawImages r = decodeImageFolder(root, 2);
        QCOMPARE(r.n, 3);
        QCOMPARE(r.c, 3);
        QCOMPARE(r.labels, (std::vector<std::int32_t>{0, 0, 1}));
        for (int i = 0; i < 3; ++i) {
            const Bytes hwc = smooth(8, 8, 3, i);
            for (int k = 0; k < 3; ++k)
                for (int y = 0; y < 8; ++y)
                    for (int x = 0; x < 8; ++x)  // JPEG is lossy: within 4 levels
                        QFUZZY(r.image(i)[(k * 8 + y) * 8 + x], chwAt(hwc, 8, 3, k, y, x), 0, 4);
        }
        // Grey JPEG folder.
        const fs::path grey = fs::path(tmp_.path().toStdString()) / "jpeg-grey";
        fs::create_directories(grey / "g");
        writeJpeg(grey / "g" / "1.jpg", 8, 8, 1, smooth(8, 8, 1, 0));
        QCOMPARE(decodeImageFolder(grey, 1).c, 1);
    }

    void threadsGiveTheSameResult() {
        const fs::path root = fs::path(tmp_.path().toStdString()) / "many";
        for (int k = 0; k < 3; ++k) {
            fs::create_directories(root / ("c" + std::to_string(k)));
            for (int i = 0; i < 70; ++i) {
                const fs::path p = root / ("c" + std::to_string(k)) /
                                   (std::to_string(1000 + i) + (i % 2 ? ".png" : ".jpg"));
                if (i % 2)
                    writePng(p, 6, 5, 3, pattern(6, 5, 3, i + k));
                else
                    writeJpeg(p, 6, 5, 3, smooth(6, 5, 3, i % 7));
            }
        }
        const RawImages one = decodeImageFolder(root, 1);
        const RawImages four = decodeImageFolder(root, 4);
        QCOMPARE(one.n, 210);
        QVERIFY(sameImages(one, four));
    }

    void mismatchedSizeNamesTheFile() {
        const fs::path root = makePngRoot();
        writePng(root / "train" / "dog" / "z.png", 5, 3, 3, pattern(5, 3, 3, 0));
        EXPECT_FAULT(decodeImageFolder(root / "train", 2), "z.png': image is 5x3");
        const fs::path root2 = makePngRoot();
        writePng(root2 / "train" / "dog" / "z.png", 4, 3, 1, pattern(4, 3, 1, 0));
        EXPECT_FAULT(decodeImageFolder(root2 / "train", 2),
                     "z.png': image is 4x3 with 1 channel(s)");
    }

    void corruptFileNamesTheFile() {
        const fs::path root = makePngRoot();
        writeBytes(root / "train" / "dog" / "bad.png", Bytes(100, 0x33));
        EXPECT_FAULT(decodeImageFolder(root / "train", 2), "bad.png'");
        const fs::path root2 = makePngRoot();
        Bytes png = readBytes(root2 / "train" / "dog" / "b.png");
        png.resize(png.size() - 20);
        writeBytes(root2 / "train" / "dog" / "b.png", png);
        EXPECT_FAULT(decodeImageFolder(root2 / "train", 1), "b.png'");
        const fs::path root3 = fs::path(tmp_.path().toStdString()) / "badjpeg";
        fs::create_directories(root3 / "a");
        writeJpeg(root3 / "a" / "1.jpg", 16, 16, 3, smooth(16, 16, 3, 0));
        writeJpeg(root3 / "a" / "2.jpg", 16, 16, 3, smooth(16, 16, 3, 1));
        Bytes jpg = readBytes(root3 / "a" / "2.jpg");
        jpg.resize(jpg.size() / 2);
        writeBytes(root3 / "a" / "2.jpg", jpg);
        EXPECT_FAULT(decodeImageFolder(root3, 2), "2.jpg'");
        writeBytes(root3 / "a" / "0.jpg", Bytes{});
        EXPECT_FAULT(decodeImageFolder(root3, 2), "0.jpg': file is empty");
    }

    void emptyOrMissingFolder() {
        const fs::path root = fs::path(tmp_.path().toStdString()) / "empty";
        fs::create_directories(root / "a");
        EXPECT_FAULT(decodeImageFolder(root, 2), "no .png/.jpg/.jpeg images");
        EXPECT_FAULT(decodeImageFolder(root / "a", 2), "no class sub-folders");
        EXPECT_FAULT(decodeImageFolder(root / "nope", 2), "does not exist");
    }

    void limitsCheckedBeforeAllocating() {
        const fs::path root = makePngRoot();
        ReadLimits small;
        small.maxSide = 3;
        EXPECT_FAULT(decodeImageFolder(root / "train", 2, small), "outside 1..3 per side");
        ReadLimits few;
        few.maxImages = 2;
        EXPECT_FAULT(decodeImageFolder(root / "train", 2, few), "more than the limit");
    }

    void cacheHitEqualsFirstLoad() {
        const fs::path root = makePngRoot();
        bool fromCache = true;
        const RawImages first = loadImageFolder(root, "train", &fromCache);
        QVERIFY(!fromCache);
        QVERIFY(fs::exists(imageCachePath(root, "train")));
        QVERIFY(!fs::exists(root / ".trainlab-cache"));  // never in the dataset's folder
        const RawImages second = loadImageFolder(root, "train", &fromCache);
        QVERIFY(fromCache);
        QVERIFY(sameImages(first, second));
        QCOMPARE(second.source, (root / "train").string());
    }

    void damagedCacheIsRebuilt() {
        const fs::path root = makePngRoot();
        bool fromCache = true;
        const RawImages first = loadImageFolder(root, "train", &fromCache);
        const fs::path cache = imageCachePath(root, "train");
        const FolderFingerprint fp = fingerprintFolder(root / "train");
        QVERIFY(readImageCache(cache, fp).has_value());
        Bytes bytes = readBytes(cache);
        Bytes flipped = bytes;
        flipped[bytes.size() / 2] ^= 0x01;
        writeBytes(cache, flipped);
        QVERIFY(!readImageCache(cache, fp).has_value());
        RawImages again = loadImageFolder(root, "train", &fromCache);
        QVERIFY(!fromCache);
        QVERIFY(sameImages(first, again));
        QVERIFY(readBytes(cache) == bytes);
        // Truncated.
        writeBytes(cache, Bytes(bytes.begin(), bytes.end() - 7));
        QVERIFY(!readImageCache(cache, fp).has_value());
        again = loadImageFolder(root, "train", &fromCache);
        QVERIFY(!fromCache);
        QVERIFY(sameImages(first, again));
        again = loadImageFolder(root, "train", &fromCache);
        QVERIFY(fromCache);
        // A stale fingerprint is a miss, not an error.
        FolderFingerprint other = fp;
        other.files += 1;
        QVERIFY(!readImageCache(cache, other).has_value());
        QVERIFY(!readImageCache(root / "no-such-cache", fp).has_value());
    }

    void changedFolderInvalidatesCache() {
        const fs::path root = makePngRoot();
        bool fromCache = true;
        QCOMPARE(loadImageFolder(root, "train", &fromCache).n, 3);
        QVERIFY(!fromCache);
        QCOMPARE(loadImageFolder(root, "train", &fromCache).n, 3);
        QVERIFY(fromCache);
        writePng(root / "train" / "cat" / "d.png", 4, 3, 3, pattern(4, 3, 3, 3));
        const RawImages r = loadImageFolder(root, "train", &fromCache);
        QVERIFY(!fromCache);
        QCOMPARE(r.n, 4);
        QCOMPARE(r.labels, (std::vector<std::int32_t>{0, 0, 1, 1}));
        // A renamed class folder changes the fingerprint too.
        const FolderFingerprint before = fingerprintFolder(root / "train");
        ::usleep(20'000);
        fs::rename(root / "train" / "cat", root / "train" / "cow");
        QVERIFY(!(fingerprintFolder(root / "train") == before));
        const RawImages renamed = loadImageFolder(root, "train", &fromCache);
        QVERIFY(!fromCache);
        QCOMPARE(renamed.classNames, (std::vector<std::string>{"cow", "dog"}));
    }

    void parseCacheRejectsGarbageAndEveryDamage() {
        EXPECT_FAULT(parseImageCache(nullptr, 0, "mem", nullptr), "'mem'");
        const Bytes garbage(500, 0x41);
        EXPECT_FAULT(parseImageCache(garbage.data(), garbage.size(), "mem", nullptr),
                     "wrong magic");
        const fs::path root = makePngRoot();
        const RawImages r = decodeImageFolder(root / "train", 1);
        const FolderFingerprint fp{3, 1234, 5678};
        const fs::path cache = fs::path(tmp_.path().toStdString()) / "manual" / "c.tlimg";
        writeImageCache(cache, r, fp);
        const Bytes ok = readBytes(cache);
        FolderFingerprint got;
        const RawImages back = parseImageCache(ok.data(), ok.size(), "mem", &got);
        QVERIFY(sameImages(r, back));
        QVERIFY(got == fp);
        for (std::size_t len = 0; len < ok.size(); ++len)
            QVERIFY2(faultOf([&] {
                         parseImageCache(ok.data(), len, "mem", nullptr);
                     }).rfind("'mem'", 0) == 0,
                     qPrintable(QString("prefix of %1 bytes accepted").arg(len)));
        for (std::size_t i = 0; i < ok.size(); ++i) {
            Bytes bad = ok;
            bad[i] ^= 0x10;
            QVERIFY2(faultOf([&] {
                         parseImageCache(bad.data(), bad.size(), "mem", nullptr);
                     }).rfind("'mem'", 0) == 0,
                     qPrintable(QString("flip at byte %1 accepted").arg(i)));
        }
        Bytes longer = ok;
        longer.push_back(0);
        EXPECT_FAULT(parseImageCache(longer.data(), longer.size(), "mem", nullptr), "'mem'");
        // A header announcing a huge payload in a small buffer fails before allocating.
        Bytes lie = ok;
        lie[16] = 0xff;
        lie[17] = 0xff;
        lie[18] = 0xff;  // n
        ReadLimits wide;
        EXPECT_FAULT(parseImageCache(lie.data(), lie.size(), "mem", nullptr, wide), "'mem'");
    }

    void largeCacheReadInChunks() {
        // Over 1 MB, so that readImageCache takes its streaming path (header, then pixels read
        // straight into place with a running checksum).
        RawImages r;
        r.n = 500;
        r.c = 3;
        r.h = 32;
        r.w = 32;
        r.classNames = {"x", "y", "z"};
        r.pixels.resize(std::size_t(r.n * r.imageBytes()));
        for (std::size_t i = 0; i < r.pixels.size(); ++i)
            r.pixels[i] = std::uint8_t(i * 2654435761u >> 13);
        for (int i = 0; i < r.n; ++i) r.labels.push_back(i % 3);
        const FolderFingerprint fp{500, 99, 123456789};
        const fs::path cache = fs::path(tmp_.path().toStdString()) / "large" / "l.tlimg";
        writeImageCache(cache, r, fp);
        const Bytes ok = readBytes(cache);
        QVERIFY(ok.size() > (1u << 20));
        auto back = readImageCache(cache, fp);
        QVERIFY(back.has_value());
        QVERIFY(sameImages(r, *back));
        for (std::size_t at :
             {std::size_t(100), std::size_t(ok.size() / 2), std::size_t((1u << 20) + 5),
              ok.size() - 4 * 500 - 4 + 3, ok.size() - 1}) {
            Bytes bad = ok;
            bad[at] ^= 0x80;
            writeBytes(cache, bad);
            QVERIFY2(!readImageCache(cache, fp).has_value(),
                     qPrintable(QString("flip at %1 accepted").arg(at)));
        }
        writeBytes(cache, Bytes(ok.begin(), ok.end() - 1));
        QVERIFY(!readImageCache(cache, fp).has_value());
        Bytes longer = ok;
        longer.push_back(1);
        writeBytes(cache, longer);
        QVERIFY(!readImageCache(cache, fp).has_value());
        // A label out of range under a valid checksum.
        Bytes label = ok;
        const std::size_t labelAt = ok.size() - 4 - 4 * 500 + 4 * 7;
        label[labelAt] = 99;
        const uLong crc = crc32(crc32(0L, Z_NULL, 0), label.data(), uInt(label.size() - 4));
        for (int i = 0; i < 4; ++i)
            label[label.size() - 4 + std::size_t(i)] = std::uint8_t(crc >> (8 * i));
        writeBytes(cache, label);
        QVERIFY(!readImageCache(cache, fp).has_value());
        EXPECT_FAULT(parseImageCache(label.data(), label.size(), "mem", nullptr),
                     "label 99 at index 7");
        writeBytes(cache, ok);
        QVERIFY(readImageCache(cache, fp).has_value());
    }

    void cachePathIsInTheUserCache() {
        const fs::path root = fs::path(tmp_.path().toStdString()) / "pathroot";
        fs::create_directories(root);
        // Writable or not, the dataset's folder never gets a cache (issue 18): always
        // $XDG_CACHE_HOME/trainlab/<16 hex>/.
        QVERIFY(imageCachePath(root, "test").string().find(root.string()) == std::string::npos);
        QVERIFY(!fs::exists(root / ".trainlab-cache"));
        EXPECT_FAULT(imageCachePath(root, "../x"), "invalid split name");
        const fs::path ro = fs::path(tmp_.path().toStdString()) / "readonly";
        fs::create_directories(ro);
        fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
        const fs::path xdg = fs::path(tmp_.path().toStdString()) / "xdg";
        const QByteArray oldXdg = qgetenv("XDG_CACHE_HOME");
        qputenv("XDG_CACHE_HOME", QByteArray::fromStdString(xdg.string()));
        const fs::path p = imageCachePath(ro, "train");
        const fs::path p2 = imageCachePath(ro, "train");
        if (oldXdg.isNull())
            qunsetenv("XDG_CACHE_HOME");
        else
            qputenv("XDG_CACHE_HOME", oldXdg);
        fs::permissions(ro, fs::perms::owner_all);
        QVERIFY(!fs::exists(ro / ".trainlab-cache"));
        QCOMPARE(p, p2);
        QCOMPARE(p.filename().string(), std::string("train.tlimg"));
        QCOMPARE(p.parent_path().parent_path(), xdg / "trainlab");
        QCOMPARE(p.parent_path().filename().string().size(), std::size_t(16));
        // A root below a plain file: .trainlab-cache cannot be created there either.
        writeBytes(ro / "file", Bytes{1});
        const fs::path underFile = imageCachePath(ro / "file" / "root", "train");
        QVERIFY(underFile.string().find(".trainlab-cache") == std::string::npos);
        QVERIFY(p != underFile);  // another root, another hash
    }

    void sharedCifarTestSplit() {
        const char* env = std::getenv("TRAINLAB_SHARED_DATASETS");
        const fs::path root =
            env && *env ? fs::path(env)
                        : fs::path(TRAINLAB_TEST_DATA) / ".." / ".." / ".." / "shared" / "datasets";
        const fs::path split = root / "cifar10-jpeg" / "test";
        if (!fs::is_directory(split))
            QSKIP(qPrintable("shared CIFAR-10 JPEG folder absent at " +
                             QString::fromStdString(split.string()) +
                             " (set TRAINLAB_SHARED_DATASETS)"));
        QElapsedTimer t;
        t.start();
        const RawImages r = decodeImageFolder(split, 2);
        qInfo("decoded %lld images in %lld ms", static_cast<long long>(r.n),
              static_cast<long long>(t.elapsed()));
        QCOMPARE(r.n, 10000);
        QCOMPARE(r.c, 3);
        QCOMPARE(r.h, 32);
        QCOMPARE(r.w, 32);
        QCOMPARE(r.classNames, cifar10ClassNames());
        std::vector<int> perClass(10, 0);
        for (auto l : r.labels) perClass[std::size_t(l)] += 1;
        QCOMPARE(perClass, std::vector<int>(10, 1000));
    }
};

QTEST_APPLESS_MAIN(TestImageFolder)
#include "tst_image_folder.moc"
