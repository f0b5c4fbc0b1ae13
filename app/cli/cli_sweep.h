// `trainlab-cli sweep`: a preset × a grid of settings × seeds, run here (a pool of child
// processes) or as a Slurm job array (docs/sweeps.md). cli_sweep.cpp starts, validates and
// runs tasks; cli_sweep_manage.cpp has status, resume, cancel and merge, the options and the
// help. Its entry points are declared in cli_commands.h; this header is what the two share.
#pragma once

#include <string>
#include <vector>

#include "cli_commands.h"
#include "sweep_folder.h"

namespace trainlab {

// Shared by the two files.
/// Runs tasks `indices` here, `jobs` at a time, holding the sweep's driver lock; Ctrl+C,
/// SIGTERM and SIGHUP stop them (recorded as cancelled). Returns the exit code: 0 all finished,
/// 1 some did not, 2 another driver runs the sweep, 128 + the signal when stopped.
int runSweepLocally(const SweepFolder& folder, const std::vector<int>& indices, int jobs,
                    bool quiet);
/// Submits `indices` as one job array and says so on stderr. Returns 0 (sbatch's refusal
/// throws).
int submitSweepToSlurm(SweepFolder& folder, const std::vector<int>& indices);
/// A warning on stderr when `dir` looks node-local (/tmp, /var/tmp, /dev/shm, /run).
void warnIfNodeLocal(const fs::path& dir);
/// The integer value of `option`, in [lo, hi]; throws ConfigError naming it.
int intOption(const CliInvocation& call, const char* option, int lo, int hi);

int sweepStatusCommand(const CliInvocation& call);
int sweepResumeCommand(const CliInvocation& call);
int sweepCancelCommand(const CliInvocation& call);
int sweepMergeCommand(const CliInvocation& call);

}  // namespace trainlab
