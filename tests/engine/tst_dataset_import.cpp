// Issue 18, importing an image folder (`trainlab-cli data import cifar10 <folder>`): it links
// train/ and test/ rather than copying them and says so; its decoded cache goes to trainlab's
// cache folder ($XDG_CACHE_HOME/trainlab), never into the user's source folder, which may be
// read-only or shared. The source is a tiny CIFAR-10-shaped tree written here with libpng.
#include <png.h>
#include <sys/stat.h>

#include <QTemporaryDir>
#include <QtTest>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "test_png.h"
#include "cifar_reader.h"
#include "dataset_catalog.h"
#include "image_folder.h"

using namespace trainlab;
namespace fs = std::filesystem;

namespace {

bool writePng(const fs::path& p, int w, int h, int seed) {
    std::vector<std::uint8_t> rgb(std::size_t(w * h * 3));
    for (std::size_t i = 0; i < rgb.size(); ++i) rgb[i] = std::uint8_t((seed * 37 + i * 7) & 255);
    return testing::writePngFile(p, w, h, 3, rgb);
}

/// <root>/{train,test}/<each CIFAR-10 class>/0.png, 32×32 RGB: the smallest CIFAR-10 folder.
bool makeCifarTree(const fs::path& root) {
    int seed = 0;
    for (const char* split : {"train", "test"})
        for (const auto& cls : cifar10ClassNames()) {
            fs::create_directories(root / split / cls);
            if (!writePng(root / split / cls / "0.png", 32, 32, seed++)) return false;
        }
    return true;
}

/// Every entry under `dir` (not following links) with its type, size and modification time.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
         ++it) {
        struct stat st {};
        ::lstat(it->path().c_str(), &st);
        out[fs::relative(it->path(), dir).string()] =
            std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
            std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    }
    struct stat st {};
    ::lstat(dir.c_str(), &st);
    out["."] = std::to_string(st.st_mode) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
               std::to_string(st.st_mtim.tv_nsec);
    return out;
}

void setWritable(const fs::path& root, bool writable) {
    const auto perms =
        writable ? fs::perms::owner_write
                 : fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write;
    const auto opts = writable ? fs::perm_options::add : fs::perm_options::remove;
    fs::permissions(root, perms, opts);
    for (auto& e : fs::recursive_directory_iterator(root)) fs::permissions(e.path(), perms, opts);
}

}  // namespace

class TstDatasetImport : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        cache_ = fs::path(tmp_.path().toStdString()) / "xdg-cache";
        qputenv("XDG_CACHE_HOME", QByteArray::fromStdString(cache_.string()));
    }

    void importingAnImageFolderNeverWritesIntoIt_data() {
        QTest::addColumn<bool>("readOnly");
        QTest::newRow("writable source") << false;
        QTest::newRow("read-only source (chmod -w)") << true;
    }
    void importingAnImageFolderNeverWritesIntoIt() {
        QFETCH(bool, readOnly);
        const fs::path base = fs::path(tmp_.path().toStdString()) / (readOnly ? "ro" : "rw");
        const fs::path src = base / "my-cifar";
        QVERIFY(makeCifarTree(src));
        if (readOnly) setWritable(src, false);
        const auto before = snapshot(src);
        fs::remove_all(cache_);

        const DatasetLocation loc = importDataset("cifar10", src, base / "datasets");
        // The source folder is exactly as it was: no .trainlab-cache/, nothing else new (as
        // root, permission bits alone would not have stopped a write).
        const auto after = snapshot(src);
        if (readOnly) setWritable(src, true);
        QVERIFY2(after == before, "the import changed the source folder");
        QVERIFY(!fs::exists(src / ".trainlab-cache"));
        // What it did is what it says: train/ and test/ are links to the source, not copies.
        QCOMPARE(loc.format, DatasetFormat::ImageFolder);
        QCOMPARE(loc.path, base / "datasets" / "cifar10");
        for (const char* split : {"train", "test"}) {
            QVERIFY(fs::is_symlink(loc.path / split));
            QCOMPARE(fs::canonical(loc.path / split), fs::canonical(src / split));
        }
        const QString detail = QString::fromStdString(loc.detail);
        QVERIFY2(detail.contains("links to '" + QString::fromStdString(src.string()) + "'") &&
                     detail.contains("not copies"),
                 qPrintable(detail));
        // The decoded cache is in trainlab's cache folder, shared by the link and its source:
        // the first load after the import reads it.
        QVERIFY(fs::exists(cache_ / "trainlab"));
        QCOMPARE(imageCachePath(loc.path, "train"), imageCachePath(src, "train"));
        QVERIFY(imageCachePath(src, "train").string().rfind((cache_ / "trainlab").string(), 0) ==
                0);
        const RawDataset d = loadRawDataset(loc);
        QVERIFY(d.fromCache);
        QCOMPARE(d.train.n, 10);
        QCOMPARE(d.test.n, 10);
        if (readOnly) setWritable(src, false);
        QVERIFY(snapshot(src) == before);
        if (readOnly) setWritable(src, true);
    }

    void copiedFormatsSayCopied() {
        // Four raw IDX files of 3 images each: copied, and the location says so.
        const fs::path src = fs::path(tmp_.path().toStdString()) / "idx";
        fs::create_directories(src);
        auto be32 = [](std::ofstream& f, std::uint32_t v) {
            const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
            f.write(b, 4);
        };
        for (const char* prefix : {"train", "t10k"}) {
            std::ofstream images(src / (std::string(prefix) + "-images-idx3-ubyte"),
                                 std::ios::binary);
            be32(images, 0x803);
            be32(images, 3);
            be32(images, 28);
            be32(images, 28);
            images << std::string(3 * 28 * 28, '\x40');
            std::ofstream labels(src / (std::string(prefix) + "-labels-idx1-ubyte"),
                                 std::ios::binary);
            be32(labels, 0x801);
            be32(labels, 3);
            labels << std::string("\x01\x02\x03", 3);
        }
        const auto before = snapshot(src);
        const DatasetLocation loc = importDataset("mnist", src, src.parent_path() / "idx-datasets");
        QVERIFY2(QString::fromStdString(loc.detail).endsWith(", copied"), loc.detail.c_str());
        QVERIFY(fs::is_regular_file(loc.path / "train-images-idx3-ubyte"));
        QVERIFY(!fs::is_symlink(loc.path / "train-images-idx3-ubyte"));
        QVERIFY(snapshot(src) == before);
    }

  private:
    QTemporaryDir tmp_;
    fs::path cache_;
};

QTEST_GUILESS_MAIN(TstDatasetImport)
#include "tst_dataset_import.moc"
