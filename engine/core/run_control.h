// Cancel and pause requests for a running experiment. Written by any thread (the GUI, a
// signal handler); read by training threads before every step. Plain atomics, no Qt.
#pragma once

#include <atomic>

namespace trainlab {

struct RunControl {
    std::atomic<bool> cancel{false};
    std::atomic<bool> pause{false};
};

}  // namespace trainlab
