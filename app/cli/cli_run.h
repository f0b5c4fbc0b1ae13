// What `run` shares with `sweep task` (cli_sweep.cpp): one run with the command line's
// progress, log and stop signals.
#pragma once

#include "experiment_runner.h"

namespace trainlab {

/// Runs `request` as `trainlab-cli run` does: progress (unless `quiet`) and log lines on stderr,
/// SIGINT, SIGTERM and SIGHUP cancel it (recorded naming the signal, rows kept). `*stopSignal`
/// gets the signal that stopped it, 0 when none.
RunOutcome runWithStopSignals(const RunRequest& request, bool quiet, int* stopSignal);

}  // namespace trainlab
