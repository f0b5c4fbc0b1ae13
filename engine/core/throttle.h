// Rate limiting for live reports (progress lines, chunked series): at most one "go" per
// interval, whatever the calling rate. Not thread-safe: guard it like the data it paces.
#pragma once

#include <chrono>

namespace trainlab {

class Throttle {
  public:
    using Clock = std::chrono::steady_clock;

    /// With `firstDue`, the first due() is true at once; otherwise after one interval.
    explicit Throttle(Clock::duration interval, bool firstDue = true,
                      Clock::time_point now = Clock::now())
        : interval_(interval), last_(firstDue ? now - interval : now) {}

    /// True when at least the interval has passed since the last true (or restart()); a true
    /// starts the next interval at `now`.
    bool due(Clock::time_point now = Clock::now()) {
        if (now - last_ < interval_) return false;
        last_ = now;
        return true;
    }

    /// Starts the interval afresh at `now` (e.g. after a report forced for another reason).
    void restart(Clock::time_point now = Clock::now()) { last_ = now; }

  private:
    Clock::duration interval_;
    Clock::time_point last_;
};

/// Seconds elapsed since `t0` on the steady clock.
inline double secondsSince(Throttle::Clock::time_point t0) {
    return std::chrono::duration<double>(Throttle::Clock::now() - t0).count();
}

}  // namespace trainlab
