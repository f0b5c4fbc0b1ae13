// Child processes for sweeps: Slurm's client commands (sbatch, sacct, scontrol, squeue,
// scancel) run with their output captured, and tasks started with their output in a log file.
// posix_spawn, no shell: arguments are never re-parsed. Plain C++ (no Qt).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace trainlab {

namespace fs = std::filesystem;

struct CommandResult {
    bool started = false;  ///< false: the program could not be started (`error` says why)
    int exitCode = -1;     ///< its exit status; 128 + n when a signal n ended it
    std::string out;       ///< stdout
    std::string err;       ///< stderr
    std::string error;     ///< why it did not start or did not end in time; "" otherwise
};

/// Runs `argv` (argv[0] looked up in PATH) with stdin from /dev/null and stdout and stderr
/// captured; a command still running after `timeoutSeconds` is killed (error says so).
CommandResult runCommand(const std::vector<std::string>& argv, double timeoutSeconds = 60);

/// Starts `argv` with stdin from /dev/null and stdout and stderr appended to `logFile`; returns
/// its pid. The child keeps this process group (a Ctrl+C in the terminal reaches it too) and
/// gets default signal dispositions and an empty signal mask. Throws Error naming the program
/// and the reason when it cannot start.
pid_t spawnLogged(const std::vector<std::string>& argv, const fs::path& logFile);

/// The exit status of a wait(2) status word: the exit code, or 128 + the signal.
int exitCodeOfWaitStatus(int status);

/// The running program's absolute path (/proc/self/exe).
fs::path currentExecutable();

/// How many processors this process may run on (its affinity mask: taskset, Slurm's cgroups),
/// at least 1.
int usableCores();

}  // namespace trainlab
