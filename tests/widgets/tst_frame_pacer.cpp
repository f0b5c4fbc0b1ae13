// Tests of FramePacer: cheap frames come every 40 ms, costly ones less often (keeping drawing
// under 8% of a core) down to one every 250 ms, the replots of watched plots count, and reset()
// starts over. Frame costs are CPU time spent on purpose, so the answers do not depend on load.
#include <qcustomplot.h>
#include <QtTest>

#include "frame_pacer.h"
#include "test_compare.h"

using namespace trainlab;

namespace {

/// Spends `ms` of this thread's CPU time.
void spendCpu(double ms) {
    const qint64 start = FramePacer::threadCpuNs();
    volatile double sink = 0;
    while (FramePacer::threadCpuNs() - start < static_cast<qint64>(ms * 1e6)) sink = sink + 1;
}

}  // namespace

class TestFramePacer : public QObject {
    Q_OBJECT
  private slots:
    void cheapFramesComeEvery40Ms();
    void costlyFramesAreSpacedOutUpTo250Ms();
    void replotsOfWatchedPlotsCount();
};

void TestFramePacer::cheapFramesComeEvery40Ms() {
    FramePacer pacer;
    QCOMPARE(pacer.intervalMs(), FramePacer::kMinIntervalMs);
    pacer.beginFrame();
    QCOMPARE(pacer.endFrame(), 40);
    QVERIFY(pacer.frameCpuMs() < 3.2);  // 40 ms × 8%
}

void TestFramePacer::costlyFramesAreSpacedOutUpTo250Ms() {
    FramePacer pacer;
    pacer.beginFrame();
    spendCpu(10);
    const int first = pacer.endFrame();  // 10 ms / 8% = 125 ms
    QVERIFY2(first >= 125 && first < 140, qPrintable(QString::number(first)));
    QCOMPARE(pacer.intervalMs(), first);
    pacer.beginFrame();
    spendCpu(30);
    pacer.endFrame();  // smoothed: 0.7 · 10 + 0.3 · 30 = 16 ms → 200 ms
    QFUZZY(pacer.frameCpuMs(), 16.0, 0.05, 0);
    QVERIFY2(pacer.intervalMs() >= 200 && pacer.intervalMs() < 215,
             qPrintable(QString::number(pacer.intervalMs())));
    pacer.beginFrame();
    spendCpu(60);
    QCOMPARE(pacer.endFrame(), FramePacer::kMaxIntervalMs);  // 29 ms → capped at 250
    pacer.reset();
    QCOMPARE(pacer.intervalMs(), FramePacer::kMinIntervalMs);
    QCOMPARE(pacer.frameCpuMs(), 0.0);
}

void TestFramePacer::replotsOfWatchedPlotsCount() {
    QCustomPlot plot;
    plot.resize(800, 600);
    QCPGraph* graph = plot.addGraph();
    QVector<double> x(200000);
    QVector<double> y(200000);
    for (int i = 0; i < x.size(); ++i) {
        x[i] = i;
        y[i] = std::sin(0.01 * i) + 1e-3 * (i % 17);
    }
    graph->setData(x, y, true);
    plot.rescaleAxes();
    FramePacer pacer;
    pacer.watch(&plot);
    const qint64 before = FramePacer::threadCpuNs();
    plot.replot(QCustomPlot::rpImmediateRefresh);
    const double replotMs = 1e-6 * static_cast<double>(FramePacer::threadCpuNs() - before);
    pacer.beginFrame();
    pacer.endFrame();
    // the replot between the frames is counted into the frame (its signals sit inside it)
    QVERIFY2(pacer.frameCpuMs() >= 0.8 * replotMs - 0.05,
             qPrintable(QString("%1 < %2").arg(pacer.frameCpuMs()).arg(replotMs)));
    QVERIFY(replotMs > 0);
    // and only once: the next frame without a replot costs (nearly) nothing
    pacer.reset();
    pacer.beginFrame();
    pacer.endFrame();
    QVERIFY(pacer.frameCpuMs() < 0.5 * replotMs + 0.5);
}

QTEST_MAIN(TestFramePacer)
#include "tst_frame_pacer.moc"
