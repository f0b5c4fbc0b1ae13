#pragma once
// Waiting for a signal that another thread emits.
//
// QSignalSpy connects directly, so a signal emitted on a worker thread is recorded at once, on
// that thread. QSignalSpy::wait() then waits for a *further* emission: if the worker got there
// before the test called wait() (a fast failure on a busy 2-core machine), wait() times out even
// though the signal came. This checks what is already recorded first.
#include <QSignalSpy>

inline bool waitForFirst(QSignalSpy& spy, int timeoutMs) {
    return !spy.isEmpty() || spy.wait(timeoutMs);
}
