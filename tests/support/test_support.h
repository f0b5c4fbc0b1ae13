// Helpers shared by the tests and benchmarks that drive runs and windows (issue 7): an observer
// that drops a run's data, and a Qt message filter for the offscreen platform's noise.
#pragma once

#include <QString>
#include <QtGlobal>
#include <string>
#include <vector>

#include "experiment_runner.h"

namespace trainlab::testing {

/// Keeps the run folder's path and drops everything else: a run as headless as the CLI's,
/// without its console output.
class DiscardingObserver : public RunObserver {
  public:
    void runDirectoryCreated(const std::string& dir) override { runDir = dir; }
    void layoutDeclared(const PlotLayout&) override {}
    void pointsAppended(const std::string&, const std::vector<double>&,
                        const std::vector<double>&) override {}
    void seriesReplaced(const std::string&, const std::vector<double>&,
                        const std::vector<double>&) override {}
    void progressed(double, const std::string&) override {}
    void logged(const std::string&) override {}
    std::string runDir;
};

/// Installs a message handler that drops the offscreen platform's "does not support
/// propagateSizeHints()" warning (one per dock shown) and passes everything else on.
inline void quietOffscreenWarnings() {
    static QtMessageHandler previous = nullptr;
    previous = qInstallMessageHandler(
        [](QtMsgType type, const QMessageLogContext& context, const QString& message) {
            if (type == QtWarningMsg && message.contains(QLatin1String("propagateSizeHints")))
                return;
            if (previous) previous(type, context, message);
        });
}

}  // namespace trainlab::testing
