// Cancel and pause requests for a running experiment. Written by any thread (the GUI, a
// signal handler); read by training threads before every step. Plain atomics, no Qt.
#pragma once

#include <atomic>
#include <csignal>

namespace trainlab {

struct RunControl {
    std::atomic<bool> cancel{false};
    std::atomic<bool> pause{false};
    /// Why cancel was set, for the run's status ("cancelled by SIGTERM …"); a string literal
    /// (set from a signal handler), nullptr for "cancelled by the user".
    std::atomic<const char*> cancelReason{nullptr};
};

/// The cancelReason for a stop asked by signal `sig` (SIGINT, SIGTERM or SIGHUP): a string
/// literal, so a signal handler may use it.
inline const char* cancelReasonForSignal(int sig) {
    return sig == SIGTERM  ? "cancelled by SIGTERM (asked to terminate)"
           : sig == SIGHUP ? "cancelled by SIGHUP (the terminal was closed)"
                           : "cancelled by the user (SIGINT)";
}

}  // namespace trainlab
