// Helpers shared by the tests and benchmarks that drive runs and windows (issue 7): the tiny
// test preset's settings (and a diverging variant) shown in a window, an observer that drops a
// run's data, the environment a GUI benchmark needs, and a filter for the offscreen platform's
// noise. Users link trainlab_app.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <QCoreApplication>
#include <QStandardPaths>
#include <QString>
#include <QtGlobal>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli.h"
#include "config_editor.h"
#include "experiment.h"
#include "experiment_runner.h"
#include "main_window.h"
#include "preset.h"

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

/// tests/data/tiny-fit.json: two tiny MLPs fitting sinc, fast enough for any test.
inline Preset tinyPreset() {
    return loadPresetFile(TRAINLAB_TEST_DATA "/tiny-fit.json");
}

/// The tiny preset's config with `maxSteps` steps.
inline nlohmann::json tinyConfig(long long maxSteps) {
    nlohmann::json config = tinyPreset().config;
    config["max_steps"] = maxSteps;
    return config;
}

/// A run of the tiny preset with `config` under `runsRoot`, one thread per model (as the GUI's
/// and the CLI's runs on 2 cores), for runExperiment() with a DiscardingObserver.
inline RunRequest tinyRequest(const std::string& runsRoot, const nlohmann::json& config) {
    RunRequest r;
    r.preset = tinyPreset();
    r.config = config;
    r.runsRoot = runsRoot;
    r.threads = 1;
    return r;
}

/// The tiny preset on exp(x)+exp(−x) by SGD with lr 10: the loss diverges within a few steps.
inline nlohmann::json divergingConfig() {
    nlohmann::json config = tinyPreset().config;
    config["function"] = "two_cosh";
    config["train_grid"] = {{"from", -5.0}, {"to", 5.0}, {"count", 200}, {"step", 0.0}};
    config["optimizer"] = "sgd";
    config["lr"] = 10.0;
    return config;
}

/// Selects `presetId` (a function-fit preset) and puts `config` in the Settings dock, as a user
/// editing the settings would: the next startRun() runs it.
inline void showSettings(MainWindow& w, const nlohmann::json& config,
                         const QString& presetId = "1-1-sinc") {
    w.selectPreset(presetId);
    w.configEditor()->setSchema(findExperimentKind(tinyPreset().kind)->schema(config), config);
}

/// Installs a message handler that drops the offscreen platform's "does not support
/// propagateSizeHints()" warning (one per dock shown) and passes everything else on. Once per
/// process: a second call changes nothing (it would otherwise pass messages to itself).
inline void quietOffscreenWarnings() {
    static QtMessageHandler previous = nullptr;
    static bool installed = false;
    if (installed) return;
    installed = true;
    previous = qInstallMessageHandler(
        [](QtMsgType type, const QMessageLogContext& context, const QString& message) {
            if (type == QtWarningMsg && message.contains(QLatin1String("propagateSizeHints")))
                return;
            if (previous) previous(type, context, message);
        });
}

/// For a GUI benchmark: offscreen when there is no display, a private XDG_RUNTIME_DIR in
/// either case (as prepareHeadlessEnvironment() makes one headless), and the offscreen
/// platform's noise filtered. Call before QApplication; then nameBenchApplication().
inline void prepareBenchEnvironment() {
    quietOffscreenWarnings();
    auto set = [](const char* name) {
        const char* v = std::getenv(name);
        return v && *v;
    };
    if (!set("QT_QPA_PLATFORM") && !set("DISPLAY") && !set("WAYLAND_DISPLAY"))
        prepareHeadlessEnvironment();
    if (!set("XDG_RUNTIME_DIR")) {
        const std::string dir = "/tmp/trainlab-runtime-" + std::to_string(::getuid());
        ::mkdir(dir.c_str(), 0700);
        ::setenv("XDG_RUNTIME_DIR", dir.c_str(), 1);
    }
}

/// A GUI benchmark's names (its settings stay apart from the user's) and test-mode paths.
inline void nameBenchApplication(const char* name) {
    QCoreApplication::setOrganizationName("trainlab-bench");
    QCoreApplication::setApplicationName(name);
    QStandardPaths::setTestModeEnabled(true);
}

}  // namespace trainlab::testing
