// Tests of SeriesStore (plain C++, no GUI): appends and replaces keep every point, monotonic x
// is tracked, log scales hide non-positive values, the shown bounds, and the min/max
// decimation keeps the smallest and the largest point of every bucket (whole range, zoomed,
// log x, grown by appends), as visiting each point would.
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "series_store.h"
#include "test_compare.h"

using namespace trainlab;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A noisy decreasing loss with spikes, gaps (NaN) and non-positive values; x = 1, 2, ...
void noisyLoss(std::size_t n, std::vector<double>* x, std::vector<double>* y) {
    std::uint64_t state = 12345;
    for (std::size_t i = 0; i < n; ++i) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const double u = static_cast<double>(state >> 11) / 9007199254740992.0;  // [0, 1)
        double v = 2.0 / (1.0 + 0.001 * static_cast<double>(i)) + 0.2 * (u - 0.5);
        if (i % 997 == 0) v = 50 + u;  // spikes
        if (i % 1231 == 0) v = kNaN;   // gaps
        if (i % 1499 == 0) v = -1;     // hidden on a log axis
        x->push_back(static_cast<double>(i + 1));
        y->push_back(v);
    }
}

/// The bucket of each shown point, computed point by point as the decimation documents.
long bucketOf(double x, double lo, double hi, int buckets, bool logX) {
    const auto t = [logX](double v) { return logX ? std::log10(v) : v; };
    const double span = t(hi) - t(lo);
    if (!(span > 0 && std::isfinite(span))) return 0;
    const double f = (t(x) - t(lo)) / span;
    return static_cast<long>(std::floor(std::clamp(f, -1.0, 2.0) * buckets));
}

/// Checks `kept` against every shown point in [i0, i1): the kept points are in x order, and
/// each bucket keeps exactly its first smallest and its first largest y.
void checkExtremes(const SeriesStore& s, const std::vector<std::size_t>& kept, AxisScales sc,
                   std::size_t i0, std::size_t i1, double lo, double hi, int buckets) {
    QVERIFY(std::is_sorted(kept.begin(), kept.end()));
    std::map<long, std::pair<std::size_t, std::size_t>> expected;  // bucket → (min, max)
    for (std::size_t i = i0; i < i1; ++i) {
        if (!s.shown(i, sc)) continue;
        const long b = bucketOf(s.x()[i], lo, hi, buckets, sc.logX);
        auto it = expected.find(b);
        if (it == expected.end()) {
            expected.emplace(b, std::make_pair(i, i));
            continue;
        }
        if (s.y()[i] < s.y()[it->second.first]) it->second.first = i;
        if (s.y()[i] > s.y()[it->second.second]) it->second.second = i;
    }
    std::vector<std::size_t> want;
    for (const auto& [b, mm] : expected) {
        want.push_back(std::min(mm.first, mm.second));
        if (mm.first != mm.second) want.push_back(std::max(mm.first, mm.second));
    }
    QCOMPARE(kept.size(), want.size());
    QVERIFY(kept == want);
}

}  // namespace

class TestSeriesStore : public QObject {
    Q_OBJECT
  private slots:
    void appendKeepsEveryPointAndTracksOrder();
    void replaceStartsOver();
    void logScalesHideNonPositive();
    void boundsAreTheFirstAndLastShownPoints();
    void decimationKeepsEveryBucketsMinAndMax();
    void decimationOfAZoomedRange();
    void decimationFollowsAppendsAndScales();
};

void TestSeriesStore::appendKeepsEveryPointAndTracksOrder() {
    SeriesStore s;
    QVERIFY(s.empty());
    s.append({1, 2, 3}, {0.5, 0.25});  // the extra x is ignored
    QCOMPARE(s.size(), std::size_t(2));
    s.append({kNaN, 4}, {1, 2});  // a NaN x does not break the order
    QCOMPARE(s.size(), std::size_t(4));
    QVERIFY(s.monotonic());
    QCOMPARE(s.x()[3], 4.0);
    QFUZZY(s.y()[1], 0.25, 0, 0);
    s.append({3.5}, {1});
    QVERIFY(!s.monotonic());
    s.append({}, {});
    QCOMPARE(s.size(), std::size_t(5));
}

void TestSeriesStore::replaceStartsOver() {
    SeriesStore s;
    std::vector<double> x;
    std::vector<double> y;
    noisyLoss(5000, &x, &y);
    s.append({5, 1}, {1, 1});
    QVERIFY(!s.monotonic());
    s.replace(x, y);
    QCOMPARE(s.size(), x.size());
    QVERIFY(s.monotonic());
    QVERIFY(!s.decimate({}, 100).empty());
    QCOMPARE(s.summarisedBlocks(), x.size() / SeriesStore::kBlockPoints);
    s.replace({3, 2, 1}, {1, 2, 3, 4});
    QCOMPARE(s.size(), std::size_t(3));
    QCOMPARE(s.summarisedBlocks(), std::size_t(0));  // the old summaries are gone
    QVERIFY(!s.monotonic());
    QCOMPARE(s.y()[2], 3.0);
}

void TestSeriesStore::logScalesHideNonPositive() {
    SeriesStore s;
    s.append({0, 1, 2, 3, 4, kNaN}, {1.0, 0.0, -2.0, 0.5, kNaN, 1});
    QCOMPARE(s.shownIndices({false, false}), (std::vector<std::size_t>{0, 1, 2, 3}));
    QCOMPARE(s.shownIndices({false, true}), (std::vector<std::size_t>{0, 3}));
    QCOMPARE(s.shownIndices({true, true}), (std::vector<std::size_t>{3}));
    QVERIFY(!s.shown(4, {}));
}

void TestSeriesStore::boundsAreTheFirstAndLastShownPoints() {
    SeriesStore s;
    double lo = -1;
    double hi = -1;
    QVERIFY(!s.shownBounds({}, &lo, &hi));
    QCOMPARE(lo, 0.0);
    QCOMPARE(hi, 0.0);
    std::vector<double> x;
    std::vector<double> y;
    for (int i = 0; i < 100; ++i) {  // blocks of 16 and a partial block at the end
        x.push_back(i);
        y.push_back(i < 20 || i > 90 ? -1.0 : 1.0);
    }
    s.append(x, y);
    QVERIFY(s.shownBounds({}, &lo, &hi));
    QCOMPARE(lo, 0.0);
    QCOMPARE(hi, 99.0);
    QVERIFY(s.shownBounds({false, true}, &lo, &hi));  // log y: only 20..90
    QCOMPARE(lo, 20.0);
    QCOMPARE(hi, 90.0);
    QVERIFY(s.shownBounds({true, true}, &lo, &hi));  // log x too: x = 0 is not shown either
    QCOMPARE(lo, 20.0);
    SeriesStore none;
    none.append({1, 2}, {-1, 0});
    QVERIFY(!none.shownBounds({false, true}, &lo, &hi));
}

void TestSeriesStore::decimationKeepsEveryBucketsMinAndMax() {
    std::vector<double> x;
    std::vector<double> y;
    noisyLoss(60000, &x, &y);
    for (AxisScales sc : {AxisScales{false, false}, AxisScales{false, true},
                          AxisScales{true, true}}) {
        SeriesStore s;
        s.append(x, y);
        const std::vector<std::size_t> kept = s.decimate(sc, 2000);
        QVERIFY(kept.size() < x.size() / 10);
        double lo = 0;
        double hi = 0;
        QVERIFY(s.shownBounds(sc, &lo, &hi));
        checkExtremes(s, kept, sc, 0, s.size(), lo, hi, 2000);
        // the highest spike survives
        double top = -1;
        for (std::size_t i : s.shownIndices(sc)) top = std::max(top, y[i]);
        double keptTop = -1;
        for (std::size_t i : kept) keptTop = std::max(keptTop, y[i]);
        QVERIFY(top > 50);
        QFUZZY(keptTop, top, 0, 0);
    }
}

void TestSeriesStore::decimationOfAZoomedRange() {
    std::vector<double> x;
    std::vector<double> y;
    noisyLoss(60000, &x, &y);
    SeriesStore s;
    s.append(x, y);
    const XRange zoom{10000.5, 30000.25};
    const std::vector<std::size_t> kept = s.decimate({}, 500, &zoom);
    // one neighbour beyond each end (alone in its bucket), so that lines run on to the edges
    QCOMPARE(kept.front(), std::size_t(9999));
    QCOMPARE(kept.back(), std::size_t(30000));
    checkExtremes(s, kept, {}, 9999, 30001, zoom.lo, zoom.hi, 500);
    // a range narrower than the buckets: every point in it is kept
    const XRange narrow{100, 200};
    const std::vector<std::size_t> all = s.decimate({}, 2000, &narrow);
    QCOMPARE(all.size(), std::size_t(103));
}

void TestSeriesStore::decimationFollowsAppendsAndScales() {
    std::vector<double> x;
    std::vector<double> y;
    noisyLoss(40000, &x, &y);
    SeriesStore s;
    const std::size_t chunk = 7777;  // not a multiple of the block size
    for (std::size_t from = 0; from < x.size(); from += chunk) {
        const std::size_t to = std::min(x.size(), from + chunk);
        s.append({x.begin() + from, x.begin() + to}, {y.begin() + from, y.begin() + to});
        const AxisScales sc{false, from % 2 == 0};  // the summaries are redone for new scales
        const std::vector<std::size_t> kept = s.decimate(sc, 1000);
        QCOMPARE(s.summarisedBlocks(), s.size() / SeriesStore::kBlockPoints);
        double lo = 0;
        double hi = 0;
        QVERIFY(s.shownBounds(sc, &lo, &hi));
        checkExtremes(s, kept, sc, 0, s.size(), lo, hi, 1000);
    }
}

QTEST_APPLESS_MAIN(TestSeriesStore)
#include "tst_series_store.moc"
