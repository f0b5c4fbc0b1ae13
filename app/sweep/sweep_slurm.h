// The Slurm backend: one job array per submission, through Slurm's own client commands
// (sbatch, sacct, scontrol, scancel from Debian's slurm-client); nothing is scheduled here.
// The commands read the site's slurm.conf (SLURM_CONF is never set here; tests set it).
// Plain C++ (no Qt).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "sweep_folder.h"

namespace trainlab {

/// "0-5", "3,5", "0-2,7", with "%K" when `limit` > 0: Slurm's --array value for `indices`.
std::string slurmArraySpec(std::vector<int> indices, int limit);
/// The indices of an array task list as Slurm writes it: "4", "0-5%2", "3,5", "[1-3,7]",
/// "0-9:2". Empty when the text is not one.
std::vector<int> parseSlurmIndexList(std::string text);

/// The batch script (DIR/sweep.sbatch): #SBATCH lines for the job name, the log files
/// (logs/slurm-%A_%a.log) and every SlurmOptions field given, the setup lines, then
/// `exec <trainlab-cli> sweep task DIR $SLURM_ARRAY_TASK_ID`. The array is given on sbatch's
/// command line, so that `resume` reuses the script for other indices.
std::string sbatchScript(const SweepFolder& folder);

/// Writes sweep.sbatch and submits `indices` as one array (`sbatch --parsable --array=…`),
/// recording the submission in sweep.json. Throws Error with sbatch's own message when it
/// refuses (or cannot be run).
SweepSubmission submitSlurmArray(SweepFolder& folder, const std::vector<int>& indices);

/// What the scheduler says about one array task.
struct SchedulerState {
    std::string jobId;     ///< "4711_3"
    std::string state;     ///< PENDING, RUNNING, COMPLETED, FAILED, TIMEOUT, NODE_FAIL,
                           ///< CANCELLED, OUT_OF_MEMORY, … (as Slurm names it)
    std::string exitCode;  ///< "0:0", "1:0"
    std::string reason;    ///< scontrol's Reason (NonZeroExitCode, JobArrayTaskLimit …)
};

/// Each task's state in its newest submission, from sacct when accounting answers, else from
/// scontrol (finished jobs stay there for MinJobAge). `source` names the command that answered
/// ("sacct", "scontrol" or "" when neither knew the jobs); `notes` say why one was not used.
/// `gone`: tasks of an array the scheduler still knows that it no longer lists: an array task
/// cancelled while pending leaves no record of its own (scontrol).
struct SchedulerReport {
    std::map<int, SchedulerState> tasks;
    std::set<int> gone;
    std::string source;
    std::vector<std::string> notes;
};
SchedulerReport querySlurm(const SweepRecord& record);

/// Parsers of the commands' output (`arrayJobId`: keep only that array's tasks).
/// sacct -n -P -X -o JobID,State,ExitCode: "4711_3|COMPLETED|0:0", "4711_[4-5%2]|PENDING|0:0".
std::map<int, SchedulerState> parseSacct(const std::string& out, const std::string& arrayJobId);
/// scontrol -o show job: one record per line of Key=Value words (ArrayJobId, ArrayTaskId,
/// JobState, Reason, ExitCode).
std::map<int, SchedulerState> parseScontrol(const std::string& out, const std::string& arrayJobId);

/// The newest submission's job id of each task that has one.
std::map<int, std::string> newestJobOfTasks(const SweepRecord& record);

/// `scancel` of every array of the sweep that still has tasks in the scheduler; returns the
/// job ids cancelled. Throws Error with scancel's message when it fails.
std::vector<std::string> cancelSlurm(const SweepRecord& record);

}  // namespace trainlab
