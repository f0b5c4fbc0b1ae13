// Image datasets in memory: tensors, normalisation, batches, validation split, label noise.
#include <torch/torch.h>

#include <QtTest>
#include <set>

#include "core/errors.h"
#include "data/dataset_catalog.h"
#include "image_tensors.h"

using namespace trainlab;

namespace {
RawImages makeRaw(std::int64_t n, std::int64_t c = 1, std::int64_t h = 2, std::int64_t w = 2) {
    RawImages r;
    r.n = n;
    r.c = c;
    r.h = h;
    r.w = w;
    r.pixels.resize(static_cast<size_t>(n * c * h * w));
    for (size_t i = 0; i < r.pixels.size(); ++i) r.pixels[i] = static_cast<std::uint8_t>(i % 251);
    if (c * h * w >= 2)  // image i carries its index in its first two bytes
        for (std::int64_t i = 0; i < n; ++i) {
            r.pixels[static_cast<size_t>(i * c * h * w)] = static_cast<std::uint8_t>(i & 255);
            r.pixels[static_cast<size_t>(i * c * h * w + 1)] = static_cast<std::uint8_t>(i >> 8);
        }
    for (std::int64_t i = 0; i < n; ++i) r.labels.push_back(static_cast<std::int32_t>(i % 10));
    for (int k = 0; k < 10; ++k) r.classNames.push_back(std::to_string(k));
    return r;
}
}  // namespace

class TstImageTensors : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void rawBytesBecomeTensorsExactly() {
        const RawImages r = makeRaw(7, 3, 2, 2);
        const ImageTensors t = toTensors(r);
        QCOMPARE(t.images.sizes().vec(), (std::vector<std::int64_t>{7, 3, 2, 2}));
        QCOMPARE(t.images.scalar_type(), torch::kUInt8);
        QCOMPARE(t.images[2][1][0][1].item<int>(), int(r.pixels[2 * 12 + 1 * 4 + 0 * 2 + 1]));
        QCOMPARE(t.images[5][0][0][0].item<int>(), 5);
        RawImages moved = r;
        const ImageTensors m = toTensors(std::move(moved));
        QVERIFY(torch::equal(m.images, t.images));
        QVERIFY(torch::equal(m.labels, t.labels));
        QCOMPARE(t.labels[6].item<std::int64_t>(), 6);
    }

    void normalisationUsesTheConstants() {
        auto bytes = torch::tensor({0, 255, 51}, torch::kUInt8).view({1, 1, 1, 3});
        const auto x = normaliseImages(bytes, {0.5f}, {0.25f});
        QVERIFY(std::abs(x[0][0][0][0].item<float>() - (-2.0f)) < 1e-6);
        QVERIFY(std::abs(x[0][0][0][1].item<float>() - 2.0f) < 1e-6);
        QVERIFY(std::abs(x[0][0][0][2].item<float>() - (0.2f - 0.5f) / 0.25f) < 1e-6);
    }

    void batchesCoverEveryImageOncePerEpoch() {
        const ImageTensors t = toTensors(makeRaw(103));
        BatchIterator it(t, {0.1f}, {0.3f}, 10, true, 42);
        QCOMPARE(it.batchesPerEpoch(), 11);
        std::vector<std::int64_t> firstOrder;
        for (int epoch = 0; epoch < 2; ++epoch) {
            it.startEpoch(epoch);
            std::multiset<std::int64_t> seen;
            torch::Tensor x, y;
            int batches = 0;
            std::vector<std::int64_t> order;
            while (it.next(x, y)) {
                ++batches;
                QCOMPARE(x.size(0), y.size(0));
                QCOMPARE(x.scalar_type(), torch::kFloat32);
                for (int i = 0; i < y.size(0); ++i) order.push_back(y[i].item<std::int64_t>());
                // Each batch equals the normalised images it indexes.
                seen.insert(order.end() - y.size(0), order.end());
            }
            QCOMPARE(batches, 11);
            QCOMPARE(order.size(), size_t(103));
            if (epoch == 0)
                firstOrder = order;
            else
                QVERIFY(order != firstOrder);  // reshuffled
        }
        // Same seed and epoch: the same order.
        BatchIterator again(t, {0.1f}, {0.3f}, 10, true, 42);
        torch::Tensor x, y;
        std::vector<std::int64_t> order;
        while (again.next(x, y))
            for (int i = 0; i < y.size(0); ++i) order.push_back(y[i].item<std::int64_t>());
        QVERIFY(order == firstOrder);
        BatchIterator dropping(t, {0.1f}, {0.3f}, 10, false, 1, true);
        QCOMPARE(dropping.batchesPerEpoch(), 10);
    }

    void batchPixelsAreTheNormalisedImages() {
        const ImageTensors t = toTensors(makeRaw(20, 3, 4, 4));
        const std::vector<float> mean{0.4914f, 0.4822f, 0.4465f}, std{0.2023f, 0.1994f, 0.2010f};
        BatchIterator it(t, mean, std, 20, false, 0);
        torch::Tensor x, y;
        QVERIFY(it.next(x, y));
        QVERIFY(torch::allclose(x, normaliseImages(t.images, mean, std), 1e-5, 1e-5));
        QVERIFY(!it.next(x, y));
        QVERIFY_THROWS_EXCEPTION(ConfigError,
                                 BatchIterator(t, {0.5f}, {0.5f}, 4, false, 0));  // 1 vs 3 channels
    }

    void labelCorruptionIsSeededAndExact() {
        const auto labels = torch::arange(10000, torch::kLong).remainder(10);
        std::int64_t replaced = -1;
        const auto none = corruptLabels(labels, 0.0, 10, 1, &replaced);
        QCOMPARE(replaced, 0);
        QVERIFY(torch::equal(none, labels));
        const auto half = corruptLabels(labels, 0.5, 10, 7, &replaced);
        QCOMPARE(replaced, 5000);
        QVERIFY(torch::equal(half, corruptLabels(labels, 0.5, 10, 7)));  // same seed: same set
        QVERIFY(
            !torch::equal(half, corruptLabels(labels, 0.5, 10, 8)));  // another seed: another set
        // A replaced label equals the true one with probability 1/10: ~4,500 of 10,000 change.
        const auto changed = (half != labels).sum().item<std::int64_t>();
        QVERIFY2(changed > 4300 && changed < 4700, qPrintable(QString::number(changed)));
        const auto all = corruptLabels(labels, 1.0, 10, 3);
        const auto changedAll = (all != labels).sum().item<std::int64_t>();
        QVERIFY(changedAll > 8800 && changedAll < 9200);
        QVERIFY(all.min().item<std::int64_t>() >= 0 && all.max().item<std::int64_t>() <= 9);
        QVERIFY_THROWS_EXCEPTION(ConfigError, corruptLabels(labels, 1.5, 10, 3));
    }

    void validationSplitIsHeldOutBeforeCorruption() {
        RawDataset raw;
        raw.id = "mnist";
        raw.train = makeRaw(1000);
        raw.test = makeRaw(100);
        ImageDatasetOptions o;
        o.validationFraction = 0.1;
        o.labelCorruption = 1.0;
        o.seed = 5;
        const ImageDataset d = makeImageDataset(raw, *findDatasetSpec("mnist"), o);
        QCOMPARE(d.validation.size(), 100);
        QCOMPARE(d.train.size(), 900);
        QCOMPARE(d.test.size(), 100);
        QCOMPARE(d.corruptedLabels, 900);
        // Validation labels are the true ones. Image i carries i in its first two pixels.
        auto indexOf = [](const ImageTensors& t, int k) {
            return t.images[k][0][0][0].item<int>() + 256 * t.images[k][0][0][1].item<int>();
        };
        std::set<int> seen;
        for (int k = 0; k < d.validation.size(); ++k) {
            const int i = indexOf(d.validation, k);
            QCOMPARE(d.validation.labels[k].item<std::int64_t>(), std::int64_t(i % 10));
            seen.insert(i);
        }
        for (int k = 0; k < d.train.size(); ++k) seen.insert(indexOf(d.train, k));
        QCOMPARE(seen.size(), size_t(1000));  // disjoint, and together every image
        QVERIFY_THROWS_EXCEPTION(ConfigError,
                                 makeImageDataset(raw, *findDatasetSpec("mnist"), {0.9, 0, 0, 0}));
    }

    void fashionMnistMatchesItsPublishedStatistics() {
        auto loc = locateDataset("fashion-mnist", datasetSearchRoots());
        if (!loc) QSKIP("Fashion-MNIST not found (apt-get install dataset-fashion-mnist)");
        const RawDataset raw = loadRawDataset(*loc);
        const ImageTensors t = toTensors(raw.train);
        QCOMPARE(t.size(), 60000);
        QCOMPARE(toTensors(raw.test).size(), 10000);
        const auto x = t.images.to(torch::kFloat64) / 255.0;
        QVERIFY(std::abs(x.mean().item<double>() - 0.2860) < 5e-4);
        QVERIFY(std::abs(x.std().item<double>() - 0.3530) < 5e-4);
        QCOMPARE(torch::bincount(t.labels).min().item<std::int64_t>(), 6000);  // balanced classes
    }
};

QTEST_APPLESS_MAIN(TstImageTensors)
#include "tst_image_tensors.moc"
