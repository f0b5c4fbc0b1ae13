// The dataset catalog (issue 3, engine/data/dataset_catalog.h): the known datasets and their
// downloads, the search roots and their order, finding a copy (the first complete one; none),
// loading it, and importing a tiny folder into the user data folder, with the faults of each
// named in words. The datasets are tiny raw-IDX MNISTs written here (test_datasets.h).
#include <QTemporaryDir>
#include <QtTest>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "dataset_catalog.h"
#include "errors.h"
#include "test_datasets.h"

using namespace trainlab;
namespace fs = std::filesystem;

namespace {

const char* kIdxFiles[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/// The message of what `f` throws (of type E), or "" when it throws nothing.
template <class E, class F>
std::string faultOf(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    return {};
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

class TstDatasetCatalog : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        root_ = fs::path(tmp_.path().toStdString());
        // The user's folders inside the temporary folder: nothing of the real user's is read.
        qputenv("XDG_DATA_HOME", QByteArray::fromStdString((root_ / "xdg-data").string()));
        qputenv("XDG_CACHE_HOME", QByteArray::fromStdString((root_ / "xdg-cache").string()));
        qunsetenv("TRAINLAB_DATA");
    }

    void knownDatasetsAndTheirDownloads() {
        const auto& specs = knownDatasets();
        QCOMPARE(specs.size(), std::size_t(3));
        QCOMPARE(specs[0].id, std::string("mnist"));
        QCOMPARE(specs[1].id, std::string("fashion-mnist"));
        QCOMPARE(specs[2].id, std::string("cifar10"));

        const DatasetSpec* mnist = findDatasetSpec("mnist");
        QVERIFY(mnist);
        QCOMPARE(mnist->format, DatasetFormat::Idx);
        QCOMPARE(mnist->trainCount, 60000);
        QCOMPARE(mnist->testCount, 10000);
        QCOMPARE(mnist->channels * mnist->height * mnist->width, std::int64_t(28 * 28));
        QCOMPARE(mnist->classNames.size(), std::size_t(10));
        QCOMPARE(mnist->substitute, std::string("fashion-mnist"));
        QCOMPARE(mnist->downloads.size(), std::size_t(4));
        for (int i = 0; i < 4; ++i) {
            const DownloadFile& d = mnist->downloads[std::size_t(i)];
            QCOMPARE(d.name, std::string(kIdxFiles[i]) + ".gz");
            QCOMPARE(d.url, "https://ossci-datasets.s3.amazonaws.com/mnist/" + d.name);
            QCOMPARE(d.sha256.size(), std::size_t(64));
        }
        QCOMPARE(mnist->downloadBytes(), std::int64_t(9912422 + 28881 + 1648877 + 4542));

        const DatasetSpec* fashion = findDatasetSpec("fashion-mnist");
        QVERIFY(fashion);
        QCOMPARE(fashion->classNames.front(), std::string("T-shirt/top"));
        QCOMPARE(fashion->classNames.back(), std::string("Ankle boot"));
        QCOMPARE(fashion->substitute, std::string("mnist"));
        QCOMPARE(fashion->downloadBytes(), std::int64_t(26421880 + 29515 + 4422102 + 5148));

        const DatasetSpec* cifar = findDatasetSpec("cifar10");
        QVERIFY(cifar);
        QCOMPARE(cifar->channels, 3);
        QCOMPARE(cifar->mean.size(), std::size_t(3));
        QCOMPARE(cifar->downloads.size(), std::size_t(1));
        QCOMPARE(cifar->downloadBytes(), std::int64_t(170052171));

        QVERIFY(!findDatasetSpec("imagenet"));
        QVERIFY(!findDatasetSpec(""));
    }

    void searchRootsInTheirOrder() {
        const fs::path env = root_ / "env-data";
        qputenv("TRAINLAB_DATA", QByteArray::fromStdString(env.string()));
        const std::vector<SearchRoot> roots = datasetSearchRoots(root_ / "explicit");
        qunsetenv("TRAINLAB_DATA");
        QCOMPARE(roots.size(), std::size_t(4));
        QCOMPARE(roots[0].path, root_ / "explicit");
        QCOMPARE(roots[0].origin, std::string("--data-dir"));
        QCOMPARE(roots[1].path, env);
        QCOMPARE(roots[1].origin, std::string("TRAINLAB_DATA"));
        QCOMPARE(roots[2].path, root_ / "xdg-data" / "trainlab" / "datasets");
        QCOMPARE(roots[2].path, userDataDir());
        QCOMPARE(roots[2].origin, std::string("user data folder"));
        QCOMPARE(roots[3].path, fs::path("/usr/share/datasets"));
        QCOMPARE(roots[3].origin, std::string("Debian package"));

        // Without an explicit folder or TRAINLAB_DATA: the user's folder, then Debian's.
        const std::vector<SearchRoot> plain = datasetSearchRoots();
        QCOMPARE(plain.size(), std::size_t(2));
        QCOMPARE(plain[0].origin, std::string("user data folder"));
    }

    void theFirstCompleteCopyIsFoundAndAMissingOneIsNot() {
        const fs::path first = root_ / "first", second = root_ / "second";
        testing::writeMnistSorted(first, 1, 1);
        fs::remove(first / "mnist" / kIdxFiles[3]);  // incomplete: no test labels
        testing::writeMnistSorted(second, 2, 1);
        const std::vector<SearchRoot> roots = {{first, "first"}, {second, "second"}};

        const auto loc = locateDataset("mnist", roots);
        QVERIFY(loc);
        QCOMPARE(loc->id, std::string("mnist"));
        QCOMPARE(loc->path, second / "mnist");
        QCOMPARE(loc->root.origin, std::string("second"));
        QCOMPARE(loc->format, DatasetFormat::Idx);
        QCOMPARE(loc->detail, std::string("IDX"));
        std::int64_t bytes = 0;
        for (const char* f : kIdxFiles) bytes += std::int64_t(fs::file_size(second / "mnist" / f));
        QCOMPARE(loc->bytes, bytes);
        // 20 + 10 images of 28×28 with their headers, and 30 labels with theirs.
        QCOMPARE(bytes, std::int64_t(30 * 784 + 2 * 16 + 30 + 2 * 8));

        // A root named like the dataset is itself a candidate.
        const auto direct = locateDataset("mnist", {{second / "mnist", "direct"}});
        QVERIFY(direct);
        QCOMPARE(direct->path, second / "mnist");

        QVERIFY(!locateDataset("fashion-mnist", roots));  // absent everywhere
        QVERIFY(!locateDataset("no-such-dataset", roots));
        QVERIFY(!locateDataset("mnist", {{first, "first"}}));  // only the incomplete copy
        QVERIFY(!locateDataset("mnist", {{root_ / "does-not-exist", "nowhere"}}));
    }

    void aLocatedCopyLoadsClassByClass() {
        const fs::path dir = root_ / "load";
        testing::writeMnistSorted(dir, 2, 1);
        const auto loc = locateDataset("mnist", {{dir, "test"}});
        QVERIFY(loc);
        const RawDataset d = loadRawDataset(*loc);
        QCOMPARE(d.id, std::string("mnist"));
        QCOMPARE(d.train.n, 20);
        QCOMPARE(d.test.n, 10);
        QCOMPARE(d.train.c * d.train.h * d.train.w, std::int64_t(784));
        QCOMPARE(d.train.classNames, findDatasetSpec("mnist")->classNames);
        for (int k = 0; k < 10; ++k) {
            QCOMPARE(d.train.labels[std::size_t(2 * k)], k);
            QCOMPARE(d.test.labels[std::size_t(k)], k);
            // Class k is the bright row 2k+3.
            QCOMPARE(int(d.test.image(k)[(2 * k + 3) * 28 + 5]), 200);
            QCOMPARE(int(d.test.image(k)[(2 * k + 4) * 28 + 5]), 0);
        }
        QVERIFY(!d.fromCache);

        // A copy of the wrong shape is refused, naming both shapes.
        DatasetLocation wrong = *loc;
        wrong.id = "cifar10";
        wrong.format = DatasetFormat::Idx;
        const std::string fault = faultOf<DataError>([&] { loadRawDataset(wrong); });
        QVERIFY2(contains(fault, "train images are 1x28x28, CIFAR-10 colour images has 3x32x32"),
                 fault.c_str());
    }

    void aTinyFolderIsImportedByCopying() {
        const fs::path src = root_ / "import-src";
        testing::writeMnistSorted(src, 1, 1);
        const fs::path dest = root_ / "import-dest";
        const DatasetLocation loc = importDataset("mnist", src / "mnist", dest);
        QCOMPARE(loc.path, dest / "mnist");
        QCOMPARE(loc.root.origin, std::string("user data folder"));
        QCOMPARE(loc.detail, std::string("IDX, copied"));
        for (const char* f : kIdxFiles) {
            QVERIFY(fs::is_regular_file(dest / "mnist" / f));
            QVERIFY(!fs::is_symlink(dest / "mnist" / f));
            QCOMPARE(fs::file_size(dest / "mnist" / f), fs::file_size(src / "mnist" / f));
            QVERIFY(!fs::exists(dest / "mnist" / (std::string(f) + ".part")));
        }
        const RawDataset copied = loadRawDataset(loc);
        const RawDataset original = loadRawDataset(*locateDataset("mnist", {{src, "src"}}));
        QCOMPARE(copied.train.pixels, original.train.pixels);
        QCOMPARE(copied.test.labels, original.test.labels);
    }

    void importFaultsAreNamed() {
        const fs::path src = root_ / "faults-src";
        testing::writeMnistSorted(src, 1, 1);
        const fs::path dest = root_ / "faults-dest";

        std::string fault = faultOf<DataError>([&] { importDataset("imagenet", src, dest); });
        QVERIFY2(contains(fault, "unknown dataset 'imagenet' (mnist, fashion-mnist or cifar10)"),
                 fault.c_str());

        fault = faultOf<DataError>([&] { importDataset("mnist", src / "mnist", fs::path()); });
        QVERIFY2(contains(fault, "cannot import: "), fault.c_str());

        fault = faultOf<DataError>(
            [&] { importDataset("mnist", src / "mnist" / kIdxFiles[0], dest); });
        QVERIFY2(contains(fault, "a single file can only be CIFAR-10's cifar-10-binary.tar.gz"),
                 fault.c_str());

        fs::create_directories(root_ / "empty");
        fault = faultOf<DataError>([&] { importDataset("mnist", root_ / "empty", dest); });
        QVERIFY2(contains(fault, "does not hold MNIST handwritten digits (expected the four IDX "
                                 "files train-images-idx3-ubyte[.gz]"),
                 fault.c_str());
        QVERIFY(!fs::exists(dest));  // nothing was made before the source was recognised

        // A source that is recognised but does not load is refused before anything is copied.
        const fs::path bad = root_ / "bad-src" / "mnist";
        testing::writeMnistSorted(root_ / "bad-src", 1, 1);
        fs::resize_file(bad / kIdxFiles[0], 100);
        fault = faultOf<DataError>([&] { importDataset("mnist", bad, dest); });
        QVERIFY2(contains(fault, "truncated"), fault.c_str());
        QVERIFY(!fs::exists(dest));

        // A file that cannot be put in place is named with the system's reason.
        fs::create_directories(dest / "mnist" / kIdxFiles[1]);  // a folder where a file goes
        fault = faultOf<IoError>([&] { importDataset("mnist", src / "mnist", dest); });
        QVERIFY2(contains(fault, "cannot copy '" + (src / "mnist" / kIdxFiles[1]).string() +
                                     "' to '" + (dest / "mnist" / kIdxFiles[1]).string() +
                                     "': Is a directory"),
                 fault.c_str());
        QVERIFY(!fs::exists(dest / "mnist" / (std::string(kIdxFiles[1]) + ".part")));
    }

  private:
    QTemporaryDir tmp_;
    fs::path root_;
};

QTEST_GUILESS_MAIN(TstDatasetCatalog)
#include "tst_dataset_catalog.moc"
