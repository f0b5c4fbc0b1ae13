#pragma once
// Waiting and time limits in tests that cross threads or bound a response time.
#include <QSignalSpy>
#include <QtGlobal>

// QSignalSpy connects directly, so a signal emitted on a worker thread is recorded at once, on
// that thread. QSignalSpy::wait() then waits for a *further* emission: if the worker got there
// before the test called wait() (a fast failure on a busy 2-core machine), wait() times out even
// though the signal came. This checks what is already recorded first.
inline bool waitForFirst(QSignalSpy& spy, int timeoutMs) {
    return !spy.isEmpty() || spy.wait(timeoutMs);
}

// A bound on how long something may take ("stop within a quarter second", "close returns at
// once"). The bounds are the behaviour users are promised on a normal build; a sanitizer build
// (TRAINLAB_SANITIZE, code 2-5x slower, CTest running two suites at once) gets four times as long,
// so it checks for hangs and runaway waits rather than for instrumented speed.
#ifndef TRAINLAB_TIME_SCALE
#define TRAINLAB_TIME_SCALE 1
#endif
constexpr qint64 timeLimitMs(qint64 ms) {
    return ms * TRAINLAB_TIME_SCALE;
}
