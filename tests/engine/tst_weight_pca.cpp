// Exact PCA of weight snapshots (science.md 2-1): known answers, Gram vs covariance path,
// sign convention, the snapshot store, and the real size of the 2-1 experiment.
#include <QtTest>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "errors.h"
#include "weight_pca.h"

using namespace trainlab;

namespace {

Eigen::MatrixXf gaussian(Eigen::Index rows, Eigen::Index cols, unsigned seed, float scale = 1) {
    std::mt19937 gen(seed);
    std::normal_distribution<float> dist(0.f, scale);
    Eigen::MatrixXf m(rows, cols);
    for (Eigen::Index j = 0; j < cols; ++j)
        for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = dist(gen);
    return m;
}

/// n = 4 snapshots in `dims` weights: a constant offset everywhere, plus two orthogonal
/// directions in weights (a, b) = (3/5, 4/5) and (-4/5, 3/5) with scores +-15 and +-5
/// (variances 225 and 25: ratio 9 : 1). Every value is an exact float.
Eigen::MatrixXf twoDirections(Eigen::Index dims, Eigen::Index a, Eigen::Index b) {
    Eigen::MatrixXf x = Eigen::MatrixXf::Constant(4, dims, 0.25f);
    const float s1[4] = {15, -15, 15, -15};
    const float s2[4] = {5, 5, -5, -5};
    for (int i = 0; i < 4; ++i) {
        x(i, a) = 1000.f + s1[i] * 3 / 5 + s2[i] * -4 / 5;
        x(i, b) = -7.f + s1[i] * 4 / 5 + s2[i] * 3 / 5;
    }
    return x;
}

double maxAbsDiff(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
    if (a.rows() != b.rows() || a.cols() != b.cols()) return INFINITY;
    return a.size() == 0 ? 0.0 : (a - b).cwiseAbs().maxCoeff();
}

std::vector<float> rowVector(const Eigen::MatrixXf& x, Eigen::Index i) {
    std::vector<float> v(static_cast<std::size_t>(x.cols()));
    for (Eigen::Index j = 0; j < x.cols(); ++j) v[static_cast<std::size_t>(j)] = x(i, j);
    return v;
}

}  // namespace

class TstWeightPca : public QObject {
    Q_OBJECT
  private slots:
    void lineWithTinyNoise() {
        const Eigen::Index n = 20, d = 1000;
        std::mt19937 gen(7);
        std::uniform_real_distribution<float> uni(-1.f, 1.f);
        Eigen::VectorXf t(n), dir(d), offset(d);
        for (Eigen::Index i = 0; i < n; ++i) t(i) = uni(gen);
        for (Eigen::Index j = 0; j < d; ++j) dir(j) = uni(gen), offset(j) = uni(gen);
        Eigen::MatrixXf x = gaussian(n, d, 11, 1e-4f);
        x.rowwise() += offset.transpose();
        x += t * dir.transpose();

        const PcaResult r = pcaFit(x, 2);
        QCOMPARE(r.scores.rows(), n);
        QCOMPARE(r.scores.cols(), Eigen::Index(2));
        QVERIFY(r.explainedVarianceRatio(0) > 0.9999);
        QVERIFY(r.explainedVarianceRatio(1) < 1e-4);
        QVERIFY(r.explainedVarianceRatio(1) > 0);
        QVERIFY(r.mean.size() == 0);        // not requested
        QVERIFY(r.components.size() == 0);  // not requested

        // scores = |dir| (t - mean t) up to the sign.
        const Eigen::VectorXd tc = t.cast<double>().array() - double(t.mean());
        const Eigen::VectorXd expected = tc * double(dir.norm());
        const double sign = r.scores.col(0).dot(expected) >= 0 ? 1 : -1;
        QVERIFY(maxAbs(r.scores.col(0) - sign * expected) < 1e-3 * expected.cwiseAbs().maxCoeff());
    }

    void twoOrthogonalDirectionsExactRatios() {
        const Eigen::MatrixXf x = twoDirections(1000, 123, 777);
        for (PcaMethod m : {PcaMethod::Auto, PcaMethod::Gram, PcaMethod::Covariance}) {
            const PcaResult r = pcaFit(x, 3, true, m);
            QVERIFY(std::abs(r.explainedVarianceRatio(0) - 0.9) < 1e-9);
            QVERIFY(std::abs(r.explainedVarianceRatio(1) - 0.1) < 1e-9);
            QVERIFY(std::abs(r.explainedVarianceRatio(2)) < 1e-12);
            for (int i = 0; i < 4; ++i) {
                QVERIFY(std::abs(std::abs(r.scores(i, 0)) - 15) < 1e-9);
                QVERIFY(std::abs(std::abs(r.scores(i, 1)) - 5) < 1e-9);
                QVERIFY(std::abs(r.scores(i, 2)) < 1e-9);
            }
            // Sign convention: the largest-magnitude entry of each direction is positive.
            // PC1 = (3/5, 4/5) at (123, 777): the 777 entry decides; PC2 = (-4/5, 3/5): the 123.
            QVERIFY(std::abs(r.components(123, 0) - 0.6) < 1e-9);
            QVERIFY(std::abs(r.components(777, 0) - 0.8) < 1e-9);
            QVERIFY(std::abs(r.components(123, 1) - 0.8) < 1e-9);
            QVERIFY(std::abs(r.components(777, 1) + 0.6) < 1e-9);
            QVERIFY(std::abs(r.mean(123) - 1000) < 1e-9);
            QVERIFY(std::abs(r.mean(0) - 0.25) < 1e-12);
            // Row 0 is +15 along (3/5, 4/5).
            QVERIFY(std::abs(r.scores(0, 0) - 15) < 1e-9);
        }
    }

    void gramEqualsCovariance_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("d");
        QTest::newRow("dims < n") << 30 << 10;
        QTest::newRow("dims > n") << 10 << 30;
        QTest::newRow("dims = n") << 12 << 12;
    }
    void gramEqualsCovariance() {
        QFETCH(int, n);
        QFETCH(int, d);
        // Distinct variances per direction so the components are unique.
        Eigen::MatrixXf x = gaussian(n, d, 3);
        for (int j = 0; j < d; ++j) x.col(j) *= float(1 + j);
        x.array() += 2.f;
        const int k = 4;
        const PcaResult g = pcaFit(x, k, true, PcaMethod::Gram);
        const PcaResult c = pcaFit(x, k, true, PcaMethod::Covariance);
        const PcaResult a = pcaFit(x, k, true);
        const double scale = g.scores.cwiseAbs().maxCoeff();
        QVERIFY(maxAbsDiff(g.scores, c.scores) < 1e-9 * scale);
        QVERIFY(maxAbsDiff(g.explainedVarianceRatio, c.explainedVarianceRatio) < 1e-12);
        QVERIFY(maxAbsDiff(g.components, c.components) < 1e-9);
        QVERIFY(maxAbsDiff(g.mean, c.mean) < 1e-12);
        QVERIFY(maxAbsDiff(a.scores, g.scores) < 1e-9 * scale);
        // Ratios are decreasing, positive, and components are orthonormal.
        for (int i = 1; i < k; ++i)
            QVERIFY(g.explainedVarianceRatio(i) <= g.explainedVarianceRatio(i - 1));
        const Eigen::MatrixXd gram = g.components.transpose() * g.components;
        QVERIFY(maxAbsDiff(gram, Eigen::MatrixXd::Identity(k, k)) < 1e-9);
        // With all components the ratios sum to 1.
        const PcaResult all = pcaFit(x, std::min(n, d));
        QVERIFY(std::abs(all.explainedVarianceRatio.sum() - 1) < 1e-9);
        // Projecting the fitted rows reproduces the scores.
        QVERIFY(maxAbsDiff(pcaTransform(g, x), g.scores) < 1e-9 * scale);
    }

    void signStableUnderRowPermutation() {
        // Random data and the symmetric two-direction data (where the scores alone cannot fix
        // a sign).
        const Eigen::MatrixXf datasets[] = {gaussian(16, 500, 5), twoDirections(200, 3, 150)};
        for (const Eigen::MatrixXf& x : datasets) {
            std::vector<int> perm(static_cast<std::size_t>(x.rows()));
            std::iota(perm.begin(), perm.end(), 0);
            std::mt19937 gen(9);
            for (int trial = 0; trial < 5; ++trial) {
                std::shuffle(perm.begin(), perm.end(), gen);
                Eigen::MatrixXf px(x.rows(), x.cols());
                for (Eigen::Index i = 0; i < x.rows(); ++i) px.row(i) = x.row(perm[i]);
                const PcaResult r = pcaFit(x, 2);
                const PcaResult p = pcaFit(px, 2);
                const double scale = r.scores.cwiseAbs().maxCoeff();
                for (Eigen::Index i = 0; i < x.rows(); ++i)
                    QVERIFY(maxAbsDiff(p.scores.row(i), r.scores.row(perm[i])) < 1e-9 * scale);
            }
        }
    }

    void alignSignsFollowsReference() {
        // Two dominant directions, so fits of the first 10 and of all 12 rows agree.
        Eigen::MatrixXf x = gaussian(12, 300, 21);
        x.col(0) *= 10.f;
        x.col(1) *= 5.f;
        const PcaResult ref = pcaFit(x.topRows(10), 2, true);
        const PcaResult plain = pcaFit(x, 2, true);
        PcaResult flipped = plain;
        flipped.scores.col(1) *= -1;
        flipped.components.col(1) *= -1;
        alignSigns(flipped, ref);
        QVERIFY(maxAbsDiff(flipped.scores, plain.scores) < 1e-12);
        QVERIFY(maxAbsDiff(flipped.components, plain.components) < 1e-12);
        QVERIFY(flipped.scores.col(1).head(10).dot(ref.scores.col(1)) > 0);
        QVERIFY(maxAbsDiff(pcaTransform(flipped, x), flipped.scores) < 1e-9);
    }

    void firstLayerColumnRange() {
        const Eigen::Index d = 50, split = 30;
        Eigen::MatrixXf x = gaussian(9, d, 13);
        x.leftCols(split) *= 3.f;
        SnapshotStore store(d);
        for (Eigen::Index i = 0; i < x.rows(); ++i)
            store.add(int(i % 3), int(i / 3), rowVector(x, i), 0.5 / double(i + 1), 0.1 * i);
        QCOMPARE(store.size(), std::size_t(9));
        QCOMPARE(store.meta().size(), std::size_t(9));
        QCOMPARE(store.meta()[4].run, 1);
        QCOMPARE(store.meta()[4].index, 1);
        QCOMPARE(store.meta()[4].accuracy, 0.4);

        const PcaResult first = store.fitColumns(0, split, 2);
        const PcaResult firstRef = pcaFit(Eigen::MatrixXf(x.leftCols(split)), 2);
        QVERIFY(maxAbsDiff(first.scores, firstRef.scores) < 1e-12);
        QVERIFY(maxAbsDiff(first.explainedVarianceRatio, firstRef.explainedVarianceRatio) < 1e-12);

        const PcaResult rest = store.fitColumns(split, d, 3);
        const PcaResult restRef = pcaFit(Eigen::MatrixXf(x.rightCols(d - split)), 3);
        QVERIFY(maxAbsDiff(rest.scores, restRef.scores) < 1e-12);

        const PcaResult whole = store.fit(2);
        QVERIFY(maxAbsDiff(whole.scores, pcaFit(x, 2).scores) < 1e-12);
    }

    void singleSnapshotAndTooManyComponents() {
        const Eigen::MatrixXf one = gaussian(1, 100, 1);
        const PcaResult r1 = pcaFit(one, 2, true);
        QCOMPARE(r1.scores.rows(), Eigen::Index(1));
        QCOMPARE(r1.scores.cols(), Eigen::Index(2));
        QVERIFY(r1.scores.isZero(0));
        QVERIFY(r1.explainedVarianceRatio.isZero(0));
        QCOMPARE(r1.components.rows(), Eigen::Index(100));
        QVERIFY(r1.components.isZero(0));

        // 3 snapshots, 5 components: rank 2 after centring; the rest are zero.
        const Eigen::MatrixXf three = gaussian(3, 40, 2);
        for (PcaMethod m : {PcaMethod::Gram, PcaMethod::Covariance}) {
            const PcaResult r = pcaFit(three, 5, false, m);
            QCOMPARE(r.scores.rows(), Eigen::Index(3));
            QCOMPARE(r.scores.cols(), Eigen::Index(5));
            QCOMPARE(r.explainedVarianceRatio.size(), Eigen::Index(5));
            QVERIFY(std::abs(r.explainedVarianceRatio.head(2).sum() - 1) < 1e-9);
            QVERIFY(r.explainedVarianceRatio.tail(3).cwiseAbs().maxCoeff() < 1e-12);
            QVERIFY(r.scores.rightCols(3).cwiseAbs().maxCoeff() < 1e-6);
        }

        // Identical rows: no variance at all.
        const Eigen::MatrixXf same = Eigen::MatrixXf::Constant(5, 20, 0.3f);
        const PcaResult rs = pcaFit(same, 2);
        QVERIFY(rs.scores.isZero(0));
        QVERIFY(rs.explainedVarianceRatio.isZero(0));

        // An empty store fits to an empty result rather than throwing.
        SnapshotStore empty(10);
        const PcaResult re = empty.fit(2);
        QCOMPARE(re.scores.rows(), Eigen::Index(0));
        QCOMPARE(re.explainedVarianceRatio.size(), Eigen::Index(2));
    }

    void badInputThrowsConfigError() {
        const Eigen::MatrixXf x = gaussian(4, 10, 1);
        QVERIFY_THROWS_EXCEPTION(ConfigError, pcaFit(x, 0));
        QVERIFY_THROWS_EXCEPTION(ConfigError, pcaFit(x, -2));
        Eigen::MatrixXf bad = x;
        bad(2, 7) = std::numeric_limits<float>::quiet_NaN();
        QVERIFY_THROWS_EXCEPTION(ConfigError, pcaFit(bad, 2));
        bad(2, 7) = std::numeric_limits<float>::infinity();
        QVERIFY_THROWS_EXCEPTION(ConfigError, pcaFit(bad, 2));

        QVERIFY_THROWS_EXCEPTION(ConfigError, SnapshotStore(0));
        SnapshotStore store(10);
        QVERIFY_THROWS_EXCEPTION(ConfigError, store.add(0, 0, std::vector<float>(9), 0, 0));
        QCOMPARE(store.size(), std::size_t(0));
        store.add(0, 0, rowVector(x, 0), 1, 0);
        QVERIFY_THROWS_EXCEPTION(ConfigError, store.fit(0));
        QVERIFY_THROWS_EXCEPTION(ConfigError, store.fitColumns(0, 11, 2));
        QVERIFY_THROWS_EXCEPTION(ConfigError, store.fitColumns(-1, 5, 2));
        QVERIFY_THROWS_EXCEPTION(ConfigError, store.fitColumns(5, 5, 2));

        const PcaResult noComponents = pcaFit(x, 2);
        QVERIFY_THROWS_EXCEPTION(ConfigError, pcaTransform(noComponents, x));
        const PcaResult withComponents = pcaFit(x, 2, true);
        QVERIFY_THROWS_EXCEPTION(ConfigError,
                                 pcaTransform(withComponents, Eigen::MatrixXf(x.leftCols(9))));
        try {
            pcaFit(x, 0);
        } catch (const ConfigError& e) {
            QCOMPARE(e.problems().size(), std::size_t(1));
            QVERIFY(QString::fromStdString(e.problems()[0]).contains("components"));
        }
    }

    void concurrentAdds() {
        const std::int64_t d = 64;
        SnapshotStore store(d);
        const int threads = 4, perThread = 25;
        std::vector<std::thread> workers;
        for (int t = 0; t < threads; ++t)
            workers.emplace_back([&store, t] {
                for (int i = 0; i < perThread; ++i) {
                    std::vector<float> w(static_cast<std::size_t>(d), float(t));
                    w[static_cast<std::size_t>(i % d)] += float(i);
                    store.add(t, i, w, double(t), double(i));
                    if (i % 5 == 0) (void)store.fit(2);  // fits while others add
                }
            });
        for (auto& w : workers) w.join();
        QCOMPARE(store.size(), std::size_t(threads * perThread));
        const auto meta = store.metaCopy();
        std::vector<int> next(threads, 0);
        for (const auto& m : meta) {
            QCOMPARE(m.index, next[static_cast<std::size_t>(m.run)]++);  // per-run order kept
            QCOMPARE(m.loss, double(m.run));
        }
        QCOMPARE(store.fit(2).scores.rows(), Eigen::Index(threads * perThread));
    }

    // Regression (issue 13): with parallel runs the threads add snapshots in any order; the
    // final fit takes them in (run, index) order from one copy, so its scores (and the meta of
    // each row) are the same bytes whatever the insertion order.
    void runAndIndexOrderIgnoresInsertionOrder() {
        const int runs = 3, perRun = 4;
        const Eigen::Index d = 300;
        const Eigen::MatrixXf x = gaussian(runs * perRun, d, 11);
        auto rowOf = [&](int run, int index) { return rowVector(x, run * perRun + index); };
        SnapshotStore sequential(d), interleaved(d);
        for (int r = 0; r < runs; ++r)
            for (int i = 0; i < perRun; ++i) sequential.add(r, i, rowOf(r, i), r + 0.1 * i, 0.5);
        // Another order: epochs interleaved across runs, runs from last to first.
        for (int i = 0; i < perRun; ++i)
            for (int r = runs - 1; r >= 0; --r)
                interleaved.add(r, i, rowOf(r, i), r + 0.1 * i, 0.5);

        const SnapshotSet a = sequential.snapshots(SnapshotOrder::RunAndIndex);
        const SnapshotSet b = interleaved.snapshots(SnapshotOrder::RunAndIndex);
        QCOMPARE(a.size(), size_t(runs * perRun));
        QCOMPARE(b.size(), a.size());
        for (size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(b.meta()[i].run, a.meta()[i].run);
            QCOMPARE(b.meta()[i].index, a.meta()[i].index);
            QCOMPARE(a.meta()[i].run, int(i) / perRun);
            QCOMPARE(a.meta()[i].index, int(i) % perRun);
        }
        const PcaResult fa = a.fit(3), fb = b.fit(3);
        QVERIFY(fa.scores == fb.scores);  // bit for bit, not just close
        QVERIFY(fa.explainedVarianceRatio == fb.explainedVarianceRatio);
        const PcaResult ca = a.fitColumns(10, 60, 3), cb = b.fitColumns(10, 60, 3);
        QVERIFY(ca.scores == cb.scores);
        QVERIFY(fa.scores.cwiseAbs().maxCoeff() > 0);

        // Insertion order keeps the order of add() (live refits rely on it being a prefix).
        const SnapshotSet live = interleaved.snapshots(SnapshotOrder::Insertion);
        QCOMPARE(live.meta()[0].run, runs - 1);
        QCOMPARE(live.meta()[0].index, 0);
        // The interleaved store's insertion-order fit has the same rows, permuted.
        const PcaResult fl = live.fit(3);
        for (size_t i = 0; i < live.size(); ++i) {
            const int row = live.meta()[i].run * perRun + live.meta()[i].index;
            for (int c = 0; c < 3; ++c)
                QVERIFY(std::abs(fl.scores(Eigen::Index(i), c) - fa.scores(row, c)) <
                        1e-9 * (1 + std::abs(fa.scores(row, c))));
        }
    }

    void realSize() {
        // 8 runs x 8 snapshots of the 784-128-64-10 MLP (109,386 weights, first layer 100,352).
        const Eigen::Index n = 64, d = 109386, firstLayer = 100352;
        std::mt19937 gen(2024);
        std::uniform_real_distribution<float> uni(-0.05f, 0.05f);
        Eigen::MatrixXf x(n, d);
        for (Eigen::Index j = 0; j < d; ++j)
            for (Eigen::Index i = 0; i < n; ++i) x(i, j) = uni(gen);

        QElapsedTimer timer;
        timer.start();
        const PcaResult whole = pcaFit(x, 2);
        const qint64 wholeMs = timer.elapsed();
        QCOMPARE(whole.scores.rows(), n);
        // Random data: every component holds about 1/63 of the variance.
        QVERIFY(whole.explainedVarianceRatio(0) > 1.0 / 63);
        QVERIFY(whole.explainedVarianceRatio(0) < 0.03);

        SnapshotStore store(d);
        for (Eigen::Index i = 0; i < n; ++i)
            store.add(int(i / 8), int(i % 8), rowVector(x, i), 0, 0);
        timer.restart();
        const PcaResult storeWhole = store.fit(2);
        const qint64 storeMs = timer.elapsed();
        timer.restart();
        const PcaResult first = store.fitColumns(0, firstLayer, 2);
        const qint64 firstMs = timer.elapsed();
        timer.restart();
        const PcaResult kept = pcaFit(x, 2, true);
        const qint64 keptMs = timer.elapsed();
        QVERIFY(maxAbsDiff(storeWhole.scores, whole.scores) < 1e-12);
        QCOMPARE(first.scores.rows(), n);
        QCOMPARE(kept.components.rows(), d);
        qInfo(
            "PCA 64 x 109,386: pcaFit %lld ms, store.fit %lld ms, first layer %lld ms, "
            "with components %lld ms",
            wholeMs, storeMs, firstMs, keptMs);
    }

  private:
    static double maxAbs(const Eigen::VectorXd& v) { return v.cwiseAbs().maxCoeff(); }
};

QTEST_APPLESS_MAIN(TstWeightPca)
#include "tst_weight_pca.moc"
