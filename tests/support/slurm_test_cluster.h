// A throw-away one-node Slurm cluster for tests, from Debian's packages (munge, slurmctld,
// slurmd, slurm-client): its own munge key and socket, slurm.conf, ports, state, spool and logs
// in one temporary folder; nothing in /etc is touched. The daemons run as root and are
// stopped by their pid files, never by name. Clients find it through SLURM_CONF, which only the
// tests set (environment()).
#pragma once

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <array>

namespace trainlab::testing {

class SlurmTestCluster {
  public:
    /// Why the cluster cannot run here ("" when it can): not root, or a program missing.
    static QString unavailableReason() {
        if (::geteuid() != 0)
            return "the Slurm tests need root (the daemons run as root on this machine)";
        for (const char* p : {"munged", "mungekey", "slurmctld", "slurmd", "sbatch", "scontrol",
                              "scancel", "squeue", "sinfo"})
            if (program(p).isEmpty())
                return QString("'%1' is missing: install munge slurmctld slurmd slurm-client "
                               "(.ci/setup-debian.sh)").arg(p);
        return {};
    }

    ~SlurmTestCluster() { stop(); }

    /// Starts munged, slurmctld and slurmd and waits (at most 60 s) until the node is idle.
    bool start(QString* error) {
        if (!dir_.isValid()) return fail(error, "no temporary folder");
        for (const char* sub : {"state", "spool", "log", "run"}) QDir(dir_.path()).mkdir(sub);
        const QString s = dir_.path();
        if (!exec("mungekey", {"-c", "-k", s + "/munge.key", "-b", "1024"}, error)) return false;
        QFile::setPermissions(s + "/munge.key", QFile::ReadOwner | QFile::WriteOwner);
        if (!exec("munged", {"--key-file=" + s + "/munge.key", "--socket=" + s + "/munge.sock",
                             "--pid-file=" + s + "/munged.pid", "--log-file=" + s + "/munged.log",
                             "--seed-file=" + s + "/munged.seed", "--force"},
                  error))
            return false;
        pidFiles_ << s + "/munged.pid";
        if (!writeConf(error)) return false;
        if (!exec("slurmctld", {"-f", conf()}, error)) return false;
        pidFiles_ << s + "/run/slurmctld.pid";
        if (!exec("slurmd", {"-f", conf(), "-N", "localhost"}, error)) return false;
        pidFiles_ << s + "/run/slurmd.pid";
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000) {
            if (client("sinfo", {"-h", "-o", "%t"}).trimmed() == "idle") return true;
            QThread::msleep(200);
        }
        return fail(error, "the node did not become idle within 60 s; see " + s + "/log");
    }

    QString conf() const { return dir_.path() + "/slurm.conf"; }
    QString path() const { return dir_.path(); }

    /// This environment with SLURM_CONF naming the cluster.
    QProcessEnvironment environment() const {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("SLURM_CONF", conf());
        return env;
    }

    /// Runs a Slurm client command against the cluster; its stdout.
    QString client(const QString& name, const QStringList& args, int* code = nullptr) const {
        QProcess p;
        p.setProcessEnvironment(environment());
        p.start(program(name), args);
        p.waitForFinished(30000);
        if (code) *code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        return QString::fromUtf8(p.readAllStandardOutput());
    }

    /// Cancels every job, waits (at most 60 s) for the queue to empty, and stops the daemons by
    /// their pid files: SIGTERM, then SIGKILL after 10 s.
    void stop() {
        if (pidFiles_.isEmpty()) return;
        client("scancel", {"--user=root"});
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000 && !client("squeue", {"-h"}).trimmed().isEmpty())
            QThread::msleep(200);
        for (int i = pidFiles_.size() - 1; i >= 0; --i) stopByPidFile(pidFiles_[i]);
        pidFiles_.clear();
    }

  private:
    static QString program(const char* name) {
        return QStandardPaths::findExecutable(
            name, QString::fromLocal8Bit(qgetenv("PATH")).split(':') +
                      QStringList{"/usr/sbin", "/sbin", "/usr/bin"});
    }
    static QString program(const QString& name) { return program(name.toLocal8Bit().constData()); }

    static bool fail(QString* error, const QString& why) {
        if (error) *error = why;
        return false;
    }

    bool exec(const char* name, const QStringList& args, QString* error) const {
        QProcess p;
        p.setProcessEnvironment(environment());
        p.start(program(name), args);
        if (!p.waitForFinished(30000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
            return fail(error, QString("%1 failed: %2 (logs in %3)")
                                   .arg(name, QString::fromUtf8(p.readAllStandardError()), path()));
        return true;
    }

    /// Two free TCP ports on this machine: the cluster's own, beside any other Slurm.
    static std::array<int, 2> freePorts() {
        std::array<int, 2> ports{};
        std::array<int, 2> fds{};
        for (int i = 0; i < 2; ++i) {
            fds[i] = ::socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_ANY);
            socklen_t len = sizeof a;
            ::bind(fds[i], reinterpret_cast<sockaddr*>(&a), sizeof a);
            ::getsockname(fds[i], reinterpret_cast<sockaddr*>(&a), &len);
            ports[i] = ntohs(a.sin_port);
        }
        for (int fd : fds) ::close(fd);
        return ports;
    }

    bool writeConf(QString* error) const {
        const auto ports = freePorts();
        const QString s = path();
        const long memMb = ::sysconf(_SC_PHYS_PAGES) / 1024 * ::sysconf(_SC_PAGESIZE) / 1024;
        QFile f(conf());
        if (!f.open(QIODevice::WriteOnly)) return fail(error, "cannot write " + conf());
        f.write(QString("ClusterName=trainlabtest\nSlurmctldHost=localhost\n"
                        "SlurmctldPort=%1\nSlurmdPort=%2\n"
                        "AuthType=auth/munge\nAuthInfo=socket=%3/munge.sock\nCredType=cred/munge\n"
                        "SlurmUser=root\nSlurmdUser=root\nStateSaveLocation=%3/state\n"
                        "SlurmdSpoolDir=%3/spool\nSlurmctldPidFile=%3/run/slurmctld.pid\n"
                        "SlurmdPidFile=%3/run/slurmd.pid\nSlurmctldLogFile=%3/log/slurmctld.log\n"
                        "SlurmdLogFile=%3/log/slurmd.log\nProctrackType=proctrack/linuxproc\n"
                        "TaskPlugin=task/none\nSelectType=select/cons_tres\n"
                        "SelectTypeParameters=CR_Core_Memory\nDefMemPerCPU=1000\nMpiDefault=none\n"
                        "ReturnToService=2\nJobCompType=jobcomp/filetxt\n"
                        "JobCompLoc=%3/log/jobcomp.txt\nJobAcctGatherType=jobacct_gather/none\n"
                        "AccountingStorageType=accounting_storage/none\nMinJobAge=3600\n"
                        "KillWait=5\n"
                        "NodeName=localhost CPUs=%4 RealMemory=%5 State=UNKNOWN\n"
                        "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE "
                        "State=UP\n")
                    .arg(ports[0])
                    .arg(ports[1])
                    .arg(s)
                    .arg(QThread::idealThreadCount())
                    .arg(std::max(1024L, memMb - 1024))
                    .toUtf8());
        return true;
    }

    static void stopByPidFile(const QString& pidFile) {
        QFile f(pidFile);
        if (!f.open(QIODevice::ReadOnly)) return;
        const pid_t pid = static_cast<pid_t>(f.readAll().trimmed().toLongLong());
        if (pid <= 1 || ::kill(pid, SIGTERM) != 0) return;
        QElapsedTimer t;
        t.start();
        while (::kill(pid, 0) == 0 && t.elapsed() < 10000) QThread::msleep(50);
        if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
    }

    QTemporaryDir dir_;
    QStringList pidFiles_;
};

}  // namespace trainlab::testing
