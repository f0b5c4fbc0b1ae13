// Runs the built trainlab-cli (TRAINLAB_CLI_PATH) as a child process for the end-to-end tests.
#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace trainlab::testing {

struct CliResult {
    int code = -1;  ///< the exit code; -1 on timeout, 1000 when it crashed
    QString out, err;
};

/// trainlab-cli with `args` in `env`; killed (code -1, err "timeout") after `timeoutMs`.
inline CliResult runCli(const QStringList& args,
                        const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
                        int timeoutMs = 120000) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(TRAINLAB_CLI_PATH, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, {}, "timeout"};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : 1000,
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

}  // namespace trainlab::testing
