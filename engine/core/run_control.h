// Cancel and pause requests for a running experiment. Written by any thread (the GUI, a
// signal handler); read by training threads before every step. Plain atomics, no Qt.
#pragma once

#include <atomic>

namespace trainlab {

struct RunControl {
    std::atomic<bool> cancel{false};
    std::atomic<bool> pause{false};
    /// Why cancel was set, for the run's status ("cancelled by SIGTERM …"); a string literal
    /// (set from a signal handler), nullptr for "cancelled by the user".
    std::atomic<const char*> cancelReason{nullptr};
};

}  // namespace trainlab
