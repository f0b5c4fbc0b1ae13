// The pure summaries behind 3-1 and 3-3 (engine/nn/curve_summaries.h), on constructed curves
// with known answers: the interpolation's barrier and rises, rises along a sweep, the epochs
// at which a training accuracy passes its levels, and the grids the curves are measured on.
#include <QtTest>

#include <cmath>
#include <map>

#include "curve_summaries.h"

using namespace trainlab;

class TstCurveSummaries : public QObject {
    Q_OBJECT
  private slots:
    void gridsAreEvenAndInclusive() {
        QCOMPARE(evenGrid(-1, 2, 4), (std::vector<double>{-1, 0, 1, 2}));
        QCOMPARE(evenGrid(5, 9, 1), (std::vector<double>{5}));
        QCOMPARE(evenGrid(-0.25, 1.25, 7),
                 (std::vector<double>{-0.25, 0, 0.25, 0.5, 0.75, 1, 1.25}));
        QCOMPARE(symmetricGrid(5), (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
        QCOMPARE(symmetricGrid(1), (std::vector<double>{0}));
        QVERIFY(symmetricGrid(0).empty());
    }

    void nearestValueTakesTheClosestXAndTheFirstOnATie() {
        const std::vector<double> xs{0, 0.5, 1}, ys{1, 2, 3};
        QCOMPARE(nearestValue(xs, ys, 0.7), 2.0);
        QCOMPARE(nearestValue(xs, ys, 0.25), 1.0);  // as close to 0 as to 0.5
        QCOMPARE(nearestValue(xs, ys, 9), 3.0);
        QVERIFY(std::isnan(nearestValue({}, {}, 0)));
    }

    void barrierAndRisesOfAConstructedCurve() {
        // Solution 1 at α = 0 (loss 0.1), solution 2 at α = 1 (loss 0.3), a barrier of 2 at
        // α = 0.5, and beyond the ends: +0.5 before α = 0, +0.05 after α = 1.
        const std::map<double, double> curve{{-0.25, 0.6}, {0, 0.1}, {0.25, 1.2}, {0.5, 2.0},
                                             {0.75, 0.9},  {1, 0.3}, {1.25, 0.35}};
        std::vector<double> alphas, loss;
        for (const auto& [a, l] : curve) {
            alphas.push_back(a);
            loss.push_back(l);
        }
        const InterpolationSummary s = summariseInterpolation(alphas, loss);
        QCOMPARE(s.lossAt0, 0.1);
        QCOMPARE(s.lossAt1, 0.3);
        QVERIFY(s.hasBarrier);
        QCOMPARE(s.barrierAlpha, 0.5);
        QCOMPARE(s.barrierLoss, 2.0);
        QCOMPARE(s.barrierHeight, 2.0 - 0.3);
        QCOMPARE(s.riseBeyond0, 0.6 - 0.1);
        QCOMPARE(s.riseBeyond1, 0.35 - 0.3);

        // The same points in another order give the same summary.
        std::vector<double> ra(alphas.rbegin(), alphas.rend()), rl(loss.rbegin(), loss.rend());
        const InterpolationSummary r = summariseInterpolation(ra, rl);
        QCOMPARE(r.barrierAlpha, 0.5);
        QCOMPARE(r.barrierHeight, s.barrierHeight);
        QCOMPARE(r.riseBeyond0, s.riseBeyond0);
    }

    void noPointBetweenTheSolutionsMeansNoBarrier() {
        const InterpolationSummary s = summariseInterpolation({0, 1}, {0.2, 0.4});
        QVERIFY(!s.hasBarrier);
        QVERIFY(std::isnan(s.barrierHeight));
        QCOMPARE(s.riseBeyond0, 0.0);  // nearest to −0.25 is α = 0 itself
        QCOMPARE(s.riseBeyond1, 0.0);
    }

    void anOverflowingEndIsAnInfiniteRiseAndNoBarrierFromInfinity() {
        const InterpolationSummary s =
            summariseInterpolation({-0.25, 0, 0.5, 1, 1.25}, {INFINITY, 0.1, INFINITY, 0.2, 0.3});
        QVERIFY(std::isinf(s.riseBeyond0));
        QVERIFY(!s.hasBarrier);  // the only point in (0, 1) overflowed
        QVERIFY(std::abs(s.riseBeyond1 - 0.1) < 1e-12);
    }

    void risesCountStrictIncreasesOnly() {
        QCOMPARE(countRises({1, 2, 2, 3, 1}), 2);
        QCOMPARE(countRises({3, 2, 1}), 0);
        QCOMPARE(countRises({1, NAN, 2}), 0);
        QCOMPARE(countRises({}), 0);
        QCOMPARE(countRises({5}), 0);
    }

    void fitMilestonesRecordTheFirstEpochAtEachLevel() {
        FitMilestones f({0.5, 0.9}, 0.99);
        QVERIFY(!f.record(1, 10, 0.4));
        QVERIFY(!f.record(2, 20, 0.6));
        QCOMPARE(f.levelEpoch(0), 2);
        QCOMPARE(f.levelEpoch(1), 0);
        QVERIFY(f.record(3, 30, 0.995));  // passes 0.9 and the threshold at once
        QCOMPARE(f.levelEpoch(1), 3);
        QCOMPARE(f.fitEpoch(), 3);
        QCOMPARE(f.fitSteps(), std::int64_t{30});
        QVERIFY(!f.record(4, 40, 1.0));  // only the first passing epoch counts
        QCOMPARE(f.fitEpoch(), 3);
        QCOMPARE(f.levelEpoch(0), 2);

        FitMilestones never({0.5}, 0.99);
        QVERIFY(!never.record(1, 5, 0.3));
        QVERIFY(!never.record(2, 10, NAN));
        QCOMPARE(never.fitEpoch(), 0);
        QCOMPARE(never.levelEpoch(0), 0);
    }
};

QTEST_APPLESS_MAIN(TstCurveSummaries)
#include "tst_curve_summaries.moc"
