#include "sweep_local.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "csv.h"
#include "host.h"
#include "sweep_process.h"
#include "text_format.h"
#include "unique_fd.h"

namespace trainlab {

int defaultLocalJobs(int threads) {
    return std::max(1, usableCores() / std::max(1, threads));
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kAttemptHeader = "== trainlab: sweep task ";

/// The last `bytes` of a file ("" when unreadable).
std::string tailOf(const fs::path& path, std::size_t bytes) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return {};
    const off_t end = ::lseek(fd.get(), 0, SEEK_END);
    const off_t from = std::max<off_t>(0, end - static_cast<off_t>(bytes));
    std::string text(static_cast<std::size_t>(end - from), '\0');
    const ssize_t got = ::pread(fd.get(), text.data(), text.size(), from);
    text.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    return text;
}

/// The fraction done that the task's newest progress line says ("[ 45.3%] …"), 0 if none
/// since its attempt began.
double progressInLog(const fs::path& log) {
    std::string text = tailOf(log, 4096);
    if (const auto header = text.rfind(kAttemptHeader); header != std::string::npos)
        text.erase(0, header);
    const auto close = text.rfind("%]");
    const auto open = close == std::string::npos ? close : text.rfind('[', close);
    double percent = 0;
    if (open == std::string::npos ||
        !parseCsvNumber(text.data() + open + 1, text.data() + close, percent))
        return 0;
    return std::clamp(percent / 100, 0.0, 1.0);
}

/// The last line the task wrote on stderr ("trainlab: finished: …", "trainlab-cli: task 3 is
/// …"); its stdout (the run folder) shares the log.
std::string lastMessageOf(const fs::path& log) {
    const std::string text = tailOf(log, 4096);
    std::string last;
    std::size_t from = 0;
    while (from < text.size()) {
        std::size_t end = text.find_first_of("\r\n", from);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(from, end - from);
        if (line.rfind("trainlab", 0) == 0) last = line;
        from = end + 1;
    }
    return last;
}

class LocalPool {
  public:
    LocalPool(const SweepFolder& folder, std::vector<int> indices, const LocalRunOptions& o)
        : folder_(folder), queue_(std::move(indices)), o_(o), tty_(::isatty(STDERR_FILENO)) {}

    LocalRunOutcome run() {
        const std::size_t total = queue_.size();
        while ((!stopping() && next_ < queue_.size()) || !children_.empty()) {
            checkStop();
            while (!stopping() && next_ < queue_.size() &&
                   static_cast<int>(children_.size()) < std::max(1, o_.jobs))
                launch(queue_[next_++]);
            reap();
            progress(total);
            ::usleep(50'000);
        }
        if (tty_ && !o_.quiet) std::cerr << "\r\033[K" << std::flush;
        return out_;
    }

  private:
    struct Child {
        pid_t pid;
        int index;
        Clock::time_point started;
    };

    bool stopping() const { return out_.stopSignal != 0; }

    void checkStop() {
        if (!o_.stop || stopping()) {
            if (stopping() && !killed_ && Clock::now() - stopAt_ > std::chrono::seconds(60)) {
                for (const auto& c : children_) ::kill(c.pid, SIGKILL);
                killed_ = true;
            }
            return;
        }
        if (const int sig = o_.stop->load(); sig != 0) {
            out_.stopSignal = sig;
            stopAt_ = Clock::now();
            for (const auto& c : children_) ::kill(c.pid, SIGTERM);
        }
    }

    void launch(int index) {
        const fs::path log = folder_.taskLogPath(index);
        {
            UniqueFd fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
            const std::string header = std::string(kAttemptHeader) + std::to_string(index) +
                                       " started at " + isoTimestampUtc() + " ==\n";
            if (fd && ::write(fd.get(), header.data(), header.size()) < 0) {
            }
        }
        try {
            const pid_t pid = spawnLogged({o_.executable.string(), "sweep", "task",
                                           folder_.path().string(), std::to_string(index)},
                                          log);
            children_.push_back({pid, index, Clock::now()});
        } catch (const std::exception& e) {
            ++out_.failed;
            std::cerr << (tty_ ? "\r\033[K" : "") << "task " << index
                      << ": could not be started: " << e.what() << "\n";
        }
    }

    void reap() {
        for (auto it = children_.begin(); it != children_.end();) {
            int status = 0;
            if (::waitpid(it->pid, &status, WNOHANG) != it->pid) {
                ++it;
                continue;
            }
            ended(*it, exitCodeOfWaitStatus(status));
            it = children_.erase(it);
        }
    }

    void ended(const Child& c, int code) {
        const char* what = code == 0 ? "finished" : code >= 128 ? "stopped" : "failed";
        (code == 0 ? out_.finished : code >= 128 ? out_.stopped : out_.failed)++;
        const double seconds = std::chrono::duration<double>(Clock::now() - c.started).count();
        const SweepTask& task = folder_.task(c.index);
        std::string line = "task " + std::to_string(c.index) + " (" + settingsText(task.settings) +
                           "): " + what + " after " + formatDuration(seconds, true);
        if (code >= 128 && code < 128 + 65) line += " (exit " + std::to_string(code) + ")";
        line += ". " + lastMessageOf(folder_.taskLogPath(c.index));
        std::cerr << (tty_ ? "\r\033[K" : "") << line << "\n" << std::flush;
    }

    void progress(std::size_t total) {
        if (o_.quiet || total == 0) return;
        const auto now = Clock::now();
        if (now - lastLine_ < std::chrono::milliseconds(tty_ ? 250 : 5000)) return;
        lastLine_ = now;
        double done = out_.finished + out_.failed + out_.stopped;
        for (const auto& c : children_) done += progressInLog(folder_.taskLogPath(c.index));
        const double f = done / static_cast<double>(total);
        const double elapsed = std::chrono::duration<double>(now - t0_).count();
        const double eta = f > 0.001 ? elapsed * (1 - f) / f : -1;
        char line[256];
        std::snprintf(line, sizeof line,
                      "sweep [%5.1f%%] %d/%zu ended (%d failed), %zu running  elapsed %s  ETA %s%s",
                      100 * f, out_.finished + out_.failed + out_.stopped, total, out_.failed,
                      children_.size(), formatDuration(elapsed).c_str(),
                      formatDuration(eta).c_str(), stopping() ? "  stopping…" : "");
        std::cerr << (tty_ ? "\r\033[K" : "") << line << (tty_ ? "" : "\n") << std::flush;
    }

    const SweepFolder& folder_;
    std::vector<int> queue_;
    std::size_t next_ = 0;
    LocalRunOptions o_;
    bool tty_;
    std::vector<Child> children_;
    LocalRunOutcome out_;
    Clock::time_point t0_ = Clock::now(), lastLine_{}, stopAt_{};
    bool killed_ = false;
};

}  // namespace

LocalRunOutcome runLocalTasks(const SweepFolder& folder, const std::vector<int>& indices,
                              const LocalRunOptions& options) {
    return LocalPool(folder, indices, options).run();
}

}  // namespace trainlab
