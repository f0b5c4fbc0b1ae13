// Image datasets in memory: tensors, normalisation, batches, validation split, label noise.
#include <torch/torch.h>

#include <QtTest>
#include <set>

#include "errors.h"
#include "dataset_catalog.h"
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

    // Issue 19: a limit is a seeded, class-stratified draw, never "the first n".
    void subsetOfClassSortedLabelsHasEveryClass() {
        std::vector<std::int64_t> labels;
        for (int k = 0; k < 10; ++k) labels.insert(labels.end(), 100, k);  // sorted by class
        const SubsetDraw a = drawSubset(labels, 10, 200, 42);
        QVERIFY(!a.whole);
        QCOMPARE(a.size(), 200);
        QCOMPARE(a.perClass, std::vector<std::int64_t>(10, 20));
        QCOMPARE(a.available, std::vector<std::int64_t>(10, 100));
        std::vector<std::int64_t> h(10, 0);
        for (size_t i = 0; i < a.indices.size(); ++i) {
            QVERIFY(a.indices[i] >= 0 && a.indices[i] < 1000);
            if (i > 0) QVERIFY(a.indices[i] > a.indices[i - 1]);  // ascending, no repeats
            ++h[static_cast<size_t>(labels[static_cast<size_t>(a.indices[i])])];
        }
        QCOMPARE(h, std::vector<std::int64_t>(10, 20));
        // Not the first 20 of each class either: spread over the class.
        std::int64_t beyondFirst20 = 0;
        for (auto i : a.indices) beyondFirst20 += i % 100 >= 20;
        QVERIFY(beyondFirst20 > 100);
        // Deterministic for a seed; another seed draws other images (same counts).
        QCOMPARE(drawSubset(labels, 10, 200, 42).indices, a.indices);
        const SubsetDraw b = drawSubset(labels, 10, 200, 43);
        QVERIFY(b.indices != a.indices);
        QCOMPARE(b.perClass, a.perClass);
        // The tensor form draws the same.
        QCOMPARE(drawSubset(torch::tensor(labels, torch::kLong), 10, 200, 42).indices, a.indices);
        // Every n: the proportions hold to within one image per class.
        for (std::int64_t n : {1, 9, 10, 11, 55, 999}) {
            const SubsetDraw d = drawSubset(labels, 10, n, 7);
            QCOMPARE(d.size(), n);
            for (auto c : d.perClass) QVERIFY(c == n / 10 || c == n / 10 + 1);
        }
    }

    void stratifiedRoundsByLargestRemainder() {
        auto sized = [](std::vector<int> counts) {
            std::vector<std::int64_t> l;
            for (size_t k = 0; k < counts.size(); ++k)
                l.insert(l.end(), static_cast<size_t>(counts[k]), static_cast<std::int64_t>(k));
            return l;
        };
        // 7 of {50, 30, 20}: quotas 3.5, 2.1, 1.4 → floors 3, 2, 1, the extra to the largest
        // remainder (class 0).
        QCOMPARE(drawSubset(sized({50, 30, 20}), 3, 7, 1).perClass,
                 (std::vector<std::int64_t>{4, 2, 1}));
        // 10 of {1, 1, 1, 97}: 0.1, 0.1, 0.1, 9.7 → the extra to class 3 (not the low indices).
        QCOMPARE(drawSubset(sized({1, 1, 1, 97}), 4, 10, 1).perClass,
                 (std::vector<std::int64_t>{0, 0, 0, 10}));
        // An empty class stays empty.
        QCOMPARE(drawSubset(sized({10, 0, 30}), 3, 4, 1).perClass,
                 (std::vector<std::int64_t>{1, 0, 3}));
        // Balanced: equal counts; a class short of its share gives what it has.
        QCOMPARE(drawSubset(sized({50, 30, 5}), 3, 45, 1, SubsetMode::Balanced).perClass,
                 (std::vector<std::int64_t>{20, 20, 5}));
        const auto odd = drawSubset(sized({50, 30, 5}), 3, 46, 1, SubsetMode::Balanced).perClass;
        QCOMPARE(odd[2], std::int64_t{5});
        QCOMPARE(odd[0] + odd[1], std::int64_t{41});
        QVERIFY(std::abs(odd[0] - odd[1]) == 1);
        QCOMPARE(drawSubset(sized({90, 10}), 2, 40, 3, SubsetMode::Balanced).perClass,
                 (std::vector<std::int64_t>{30, 10}));
        QCOMPARE(drawSubset(sized({90, 30}), 2, 40, 3, SubsetMode::Balanced).perClass,
                 (std::vector<std::int64_t>{20, 20}));
        QCOMPARE(drawSubset(sized({90, 10}), 2, 40, 3, SubsetMode::Stratified).perClass,
                 (std::vector<std::int64_t>{36, 4}));
        // No limit, or a limit at or above the size: the whole set in its order.
        for (std::int64_t n : {0, -1, 100, 1000}) {
            const SubsetDraw w = drawSubset(sized({50, 30, 20}), 3, n, 1);
            QVERIFY(w.whole);
            QCOMPARE(w.size(), 100);
            QCOMPARE(w.indices.front(), 0);
            QCOMPARE(w.indices.back(), 99);
            QCOMPARE(w.perClass, (std::vector<std::int64_t>{50, 30, 20}));
        }
        QVERIFY_THROWS_EXCEPTION(Error, drawSubset(std::vector<std::int64_t>{0, 3}, 3, 1, 1));
        QVERIFY_THROWS_EXCEPTION(ConfigError, subsetModeFromName("first"));
        QCOMPARE(subsetModeFromName(subsetModeName(SubsetMode::Balanced)), SubsetMode::Balanced);
        // One stream per purpose, fixed for a run seed.
        QCOMPARE(subsetSeed(1, SubsetPurpose::TrainLimit), subsetSeed(1, SubsetPurpose::TrainLimit));
        QVERIFY(subsetSeed(1, SubsetPurpose::TrainLimit) != subsetSeed(1, SubsetPurpose::TestLimit));
        QVERIFY(subsetSeed(1, SubsetPurpose::TrainLimit) != subsetSeed(2, SubsetPurpose::TrainLimit));
    }

    void limitsDrawPerClassFromClassSortedData() {
        auto sortedRaw = [](std::int64_t n) {
            RawImages r = makeRaw(n);
            for (std::int64_t i = 0; i < n; ++i)
                r.labels[static_cast<size_t>(i)] = static_cast<std::int32_t>(i * 10 / n);
            return r;
        };
        RawDataset raw;
        raw.id = "mnist";
        raw.train = sortedRaw(1000);
        raw.test = sortedRaw(500);
        ImageDatasetOptions o;
        o.limitTrain = 200;
        o.limitTest = 50;
        o.validationFraction = 0.1;
        o.labelCorruption = 1.0;
        o.seed = 9;
        const ImageDataset d = makeImageDataset(raw, *findDatasetSpec("mnist"), o);
        QVERIFY(d.classOrderedSource);  // found from the labels' order
        QCOMPARE(d.test.size(), 50);
        QCOMPARE(classHistogram(d.test.labels, 10), std::vector<std::int64_t>(10, 5));
        QCOMPARE(d.testSubset.seed, subsetSeed(9, SubsetPurpose::TestLimit));
        QCOMPARE(d.trainSubset.seed, subsetSeed(9, SubsetPurpose::TrainLimit));
        QCOMPARE(d.trainSubset.perClass, std::vector<std::int64_t>(10, 20));
        // The validation split and the corruption work on the subset, as before.
        QCOMPARE(d.validation.size(), 20);
        QCOMPARE(d.train.size(), 180);
        QCOMPARE(d.corruptedLabels, 180);
        auto indexOf = [](const ImageTensors& t, int k) {
            return t.images[k][0][0][0].item<int>() + 256 * t.images[k][0][0][1].item<int>();
        };
        std::vector<std::int64_t> all(10, 0);
        for (int k = 0; k < d.validation.size(); ++k) {
            const int i = indexOf(d.validation, k);
            QCOMPARE(d.validation.labels[k].item<std::int64_t>(), std::int64_t(i / 100));
            ++all[static_cast<size_t>(i / 100)];
        }
        for (int k = 0; k < d.train.size(); ++k) ++all[static_cast<size_t>(indexOf(d.train, k) / 100)];
        QCOMPARE(all, std::vector<std::int64_t>(10, 20));  // the subset, split: every class
        // The same options give the same images; the balanced mode on balanced data too.
        const ImageDataset again = makeImageDataset(raw, *findDatasetSpec("mnist"), o);
        QVERIFY(torch::equal(again.test.images, d.test.images));
        QVERIFY(torch::equal(again.train.images, d.train.images));
        o.seed = 10;
        const ImageDataset other = makeImageDataset(raw, *findDatasetSpec("mnist"), o);
        QVERIFY(!torch::equal(other.test.images, d.test.images));
        QCOMPARE(classHistogram(other.test.labels, 10), std::vector<std::int64_t>(10, 5));
        // Without limits nothing is drawn: the splits are the raw ones, in order.
        ImageDatasetOptions none;
        const ImageDataset whole = makeImageDataset(raw, *findDatasetSpec("mnist"), none);
        QVERIFY(whole.trainSubset.whole && whole.testSubset.whole);
        QVERIFY(torch::equal(whole.test.images, toTensors(raw.test).images));
        QVERIFY(torch::equal(whole.train.labels, toTensors(raw.train).labels));
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
