// Throttle: at most one report per interval, whatever the calling rate.
#include "throttle.h"

#include <QtTest>

using namespace trainlab;
using namespace std::chrono_literals;

class TstThrottle : public QObject {
    Q_OBJECT
  private slots:
    void letsOneThroughPerInterval() {
        const auto t0 = Throttle::Clock::time_point{} + 1h;
        Throttle t(100ms, true, t0);
        QVERIFY(t.due(t0));  // first due at once
        QVERIFY(!t.due(t0 + 50ms));
        QVERIFY(!t.due(t0 + 99ms));
        QVERIFY(t.due(t0 + 100ms));
        QVERIFY(!t.due(t0 + 150ms));  // the interval restarted at 100 ms
        QVERIFY(t.due(t0 + 250ms));
    }

    void startsAnIntervalLateWhenAsked() {
        const auto t0 = Throttle::Clock::time_point{} + 1h;
        Throttle t(40ms, false, t0);
        QVERIFY(!t.due(t0 + 10ms));
        QVERIFY(t.due(t0 + 40ms));
        t.restart(t0 + 70ms);  // e.g. a report forced by a full buffer
        QVERIFY(!t.due(t0 + 100ms));
        QVERIFY(t.due(t0 + 110ms));
    }

    void secondsSinceCountsUp() {
        const auto t0 = Throttle::Clock::now() - 2s;
        const double s = secondsSince(t0);
        QVERIFY2(s >= 2.0 && s < 60.0, qPrintable(QString::number(s)));
    }
};

QTEST_APPLESS_MAIN(TstThrottle)
#include "tst_throttle.moc"
