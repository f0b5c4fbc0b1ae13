#include "sweep_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include "atomic_file.h"
#include "errors.h"
#include "unique_fd.h"

extern char** environ;

namespace trainlab {

namespace {

/// posix_spawn's attributes and file actions, destroyed with the object.
class Spawn {
  public:
    Spawn() {
        ::posix_spawnattr_init(&attr_);
        ::posix_spawn_file_actions_init(&actions_);
        // Children start with default signal handling and nothing blocked, whatever this
        // process ignores (trainlab-cli ignores SIGPIPE) or blocks.
        sigset_t defaults, none;
        sigemptyset(&defaults);
        sigemptyset(&none);
        for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
        ::posix_spawnattr_setsigdefault(&attr_, &defaults);
        ::posix_spawnattr_setsigmask(&attr_, &none);
        ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
        ::posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    }
    ~Spawn() {
        ::posix_spawn_file_actions_destroy(&actions_);
        ::posix_spawnattr_destroy(&attr_);
    }
    Spawn(const Spawn&) = delete;
    Spawn& operator=(const Spawn&) = delete;
    void redirect(int fd, int to) { ::posix_spawn_file_actions_adddup2(&actions_, fd, to); }
    /// Starts argv; returns 0 and the pid, or the error number.
    int start(const std::vector<std::string>& argv, pid_t& pid) {
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        return ::posix_spawnp(&pid, args[0], &actions_, &attr_, args.data(), environ);
    }

  private:
    posix_spawnattr_t attr_;
    posix_spawn_file_actions_t actions_;
};

int waitFor(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

/// Reads both pipes until both are closed or the deadline passes; false on the deadline.
bool drain(int outFd, int errFd, std::string& out, std::string& err, double timeoutSeconds) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<long long>(timeoutSeconds * 1000));
    pollfd fds[2] = {{outFd, POLLIN, 0}, {errFd, POLLIN, 0}};
    std::string* sinks[2] = {&out, &err};
    int open = 2;
    char buf[8192];
    while (open > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        const int n = ::poll(fds, 2, static_cast<int>(left.count()));
        if (n < 0 && errno != EINTR) return false;
        for (int i = 0; i < 2 && n > 0; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open;
            }
        }
    }
    return true;
}

}  // namespace

int exitCodeOfWaitStatus(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

CommandResult runCommand(const std::vector<std::string>& argv, double timeoutSeconds) {
    CommandResult r;
    int outPipe[2], errPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) != 0) {
        r.error = std::string("pipe: ") + std::strerror(errno);
        return r;
    }
    UniqueFd outRead(outPipe[0]), outWrite(outPipe[1]);
    if (::pipe2(errPipe, O_CLOEXEC) != 0) {
        r.error = std::string("pipe: ") + std::strerror(errno);
        return r;
    }
    UniqueFd errRead(errPipe[0]), errWrite(errPipe[1]);
    Spawn spawn;
    spawn.redirect(outWrite.get(), 1);
    spawn.redirect(errWrite.get(), 2);
    pid_t pid = 0;
    if (const int rc = spawn.start(argv, pid); rc != 0) {
        r.error = "cannot run '" + argv.at(0) + "': " + std::strerror(rc);
        return r;
    }
    r.started = true;
    outWrite.reset();
    errWrite.reset();
    if (!drain(outRead.get(), errRead.get(), r.out, r.err, timeoutSeconds)) {
        ::kill(pid, SIGKILL);
        r.error = "'" + argv.at(0) + "' did not finish within " +
                  std::to_string(static_cast<int>(timeoutSeconds)) + " s";
    }
    r.exitCode = exitCodeOfWaitStatus(waitFor(pid));
    return r;
}

pid_t spawnLogged(const std::vector<std::string>& argv, const fs::path& logFile) {
    UniqueFd log(::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!log) throw IoError(systemErrorText("cannot open the log", logFile, errno));
    Spawn spawn;
    spawn.redirect(log.get(), 1);
    spawn.redirect(log.get(), 2);
    pid_t pid = 0;
    if (const int rc = spawn.start(argv, pid); rc != 0)
        throw Error("cannot run '" + argv.at(0) + "': " + std::strerror(rc));
    return pid;
}

fs::path currentExecutable() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe;
}

int usableCores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
}

}  // namespace trainlab
