// The pure summaries of 2-3's spectra (engine/core/spectrum_stats): minimal ratios with and
// without τ, the median as 2-3 reports it, and the split by sign; known answers.
#include <QtTest>
#include <cmath>
#include <vector>

#include "spectrum_stats.h"

using namespace trainlab;

Q_DECLARE_METATYPE(std::vector<double>)

class TstSpectrumStats : public QObject {
    Q_OBJECT
  private slots:
    void minimalRatioCountsPositiveEigenvalues_data() {
        QTest::addColumn<std::vector<double>>("eigenvalues");
        QTest::addColumn<double>("tau");
        QTest::addColumn<double>("positive");
        QTest::addColumn<double>("aboveTolerance");
        QTest::addColumn<double>("maxAbs");
        // max|λ| = 4: with τ = 1e-3 the band is |λ| ≤ 4e-3.
        const std::vector<double> mixed{-4, -1e-6, 0, 2e-3, 5e-3, 1};
        QTest::newRow("no band") << mixed << 0.0 << 3.0 / 6 << 3.0 / 6 << 4.0;
        QTest::newRow("tau 1e-3") << mixed << 1e-3 << 3.0 / 6 << 2.0 / 6 << 4.0;
        QTest::newRow("tau 1: only λ above max|λ|") << mixed << 1.0 << 3.0 / 6 << 0.0 << 4.0;
        QTest::newRow("all positive") << std::vector<double>{1, 2, 3} << 0.0 << 1.0 << 1.0 << 3.0;
        QTest::newRow("all negative")
            << std::vector<double>{-3, -2, -1} << 1e-3 << 0.0 << 0.0 << 3.0;
        QTest::newRow("zeros count as not positive")
            << std::vector<double>{0, 0, 0, 0} << 0.0 << 0.0 << 0.0 << 0.0;
        QTest::newRow("empty") << std::vector<double>{} << 1e-3 << 0.0 << 0.0 << 0.0;
    }
    void minimalRatioCountsPositiveEigenvalues() {
        QFETCH(std::vector<double>, eigenvalues);
        QFETCH(double, tau);
        QFETCH(double, positive);
        QFETCH(double, aboveTolerance);
        QFETCH(double, maxAbs);
        const MinimalRatios r = minimalRatios(eigenvalues.data(), eigenvalues.size(), tau);
        QCOMPARE(r.positive, positive);
        QCOMPARE(r.aboveTolerance, aboveTolerance);
        QCOMPARE(r.maxAbs, maxAbs);
    }

    void theOrderOfTheEigenvaluesDoesNotMatter() {
        const std::vector<double> a{-2, 1, 3, -1e-9, 0.5}, b{3, 0.5, -1e-9, 1, -2};
        const MinimalRatios ra = minimalRatios(a.data(), a.size(), 0.2);
        const MinimalRatios rb = minimalRatios(b.data(), b.size(), 0.2);
        QCOMPARE(ra.positive, rb.positive);
        QCOMPARE(ra.aboveTolerance, rb.aboveTolerance);
        QCOMPARE(ra.positive, 3.0 / 5);
        QCOMPARE(ra.aboveTolerance, 2.0 / 5);  // 0.5 ≤ 0.2·3 counts as zero
    }

    void medianIsTheUpperMiddleValue() {
        QCOMPARE(median({3, 1, 2}), 2.0);
        QCOMPARE(median({4, 1, 3, 2}), 3.0);  // element n/2 of 1 2 3 4, not 2.5
        QCOMPARE(median({7}), 7.0);
        QCOMPARE(median({-1, -5}), -1.0);
        QVERIFY(std::isnan(median({})));
    }

    void splitBySignGivesIndicesAndMagnitudes() {
        const SignedSpectrum s = splitBySign({-3, -0.5, 0, 0.25, 2});
        QCOMPARE(s.negativeIndex, (std::vector<double>{1, 2}));
        QCOMPARE(s.negativeAbs, (std::vector<double>{3, 0.5}));
        QCOMPARE(s.positiveIndex, (std::vector<double>{4, 5}));
        QCOMPARE(s.positiveAbs, (std::vector<double>{0.25, 2}));
        const SignedSpectrum none = splitBySign({});
        QVERIFY(none.positiveIndex.empty() && none.negativeAbs.empty());
    }
};

QTEST_APPLESS_MAIN(TstSpectrumStats)
#include "tst_spectrum_stats.moc"
