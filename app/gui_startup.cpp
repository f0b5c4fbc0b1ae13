#include "gui_startup.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <QApplication>
#include <QFileInfo>
#include <QMessageBox>
#include <QSocketNotifier>
#include <QTimer>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli.h"
#include "main_window.h"
#include "run_directory.h"
#include "run_listing.h"

namespace trainlab {

namespace {
int gSignalFds[2] = {-1, -1};

extern "C" void onStopSignal(int sig) {
    const int saved = errno;
    const unsigned char byte = static_cast<unsigned char>(sig);
    [[maybe_unused]] const ssize_t n = ::write(gSignalFds[0], &byte, 1);
    errno = saved;
}

bool installStopSignals() {
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gSignalFds) != 0) return false;
    for (int fd : gSignalFds) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGINT, SIGTERM, SIGHUP})
        if (::sigaction(sig, &sa, nullptr) != 0) return false;
    return true;
}
}  // namespace

bool haveDisplay() {
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    if (platform && *platform) return true;  // the user chose (offscreen, xcb, wayland…)
    const char* x = std::getenv("DISPLAY");
    const char* w = std::getenv("WAYLAND_DISPLAY");
    return (x && *x) || (w && *w);
}

GuiCommandLine::GuiCommandLine()
    : preset_("preset", "Select this preset (an id or a preset file) at start.", "id|file"),
      run_("run", "Start the selected preset at once."),
      runs_("runs", "Folder of recorded runs.", "dir"),
      dataDir_("data-dir", "Folder searched first for datasets.", "dir"),
      shot_("screenshot",
            "Save a picture of the window to FILE after --screenshot-after seconds, then quit.",
            "file"),
      shotAfter_("screenshot-after", "Seconds before the screenshot (default 5).", "s", "5") {
    parser_.setApplicationDescription(
        "trainlab: a workbench for the experiments that explain how deep networks learn.");
    parser_.addHelpOption();
    parser_.addVersionOption();
    parser_.addOptions({preset_, run_, runs_, dataDir_, shot_, shotAfter_});
}

void GuiCommandLine::process(const QApplication& app) {
    parser_.process(app);
}

int GuiCommandLine::runHeadless() const {
    const std::string preset =
        parser_.isSet(preset_) ? parser_.value(preset_).toStdString() : "1-1-sinc-patience";
    std::fprintf(stderr,
                 "trainlab: no display found; running the preset '%s' headless "
                 "(trainlab-cli runs any preset: trainlab-cli --help).\n",
                 preset.c_str());
    QStringList args = QApplication::arguments().mid(0, 1);
    args << "run" << QString::fromStdString(preset);
    if (parser_.isSet(runs_)) args << "--out" << parser_.value(runs_);
    return runCommandLine(args);
}

bool GuiCommandLine::runsRootUsable() const {
    if (parser_.isSet(runs_)) return true;
    std::string why;  // the same default as trainlab-cli, never a folder in /tmp
    if (!defaultRunsRoot(&why).empty()) return true;
    std::fprintf(stderr, "trainlab: %s\n", why.c_str());
    if (QGuiApplication::platformName() != "offscreen")
        QMessageBox::critical(nullptr, "trainlab", QString::fromStdString(why));
    return false;
}

void GuiCommandLine::applyTo(MainWindow& window) const {
    if (parser_.isSet(runs_)) window.setRunsRoot(parser_.value(runs_));
    if (parser_.isSet(dataDir_)) window.setDataDir(parser_.value(dataDir_));
    window.resize(1500, 950);
    window.show();
    bool presetOk = true;
    if (parser_.isSet(preset_)) {
        // A preset id, or a preset file (as trainlab-cli accepts).
        const QString preset = parser_.value(preset_);
        presetOk = QFileInfo(preset).isFile() ? window.openPresetFile(preset)
                                              : window.selectPreset(preset);
        if (!presetOk)
            std::fprintf(stderr, "trainlab: no preset '%s' (trainlab-cli list shows them)\n",
                         qPrintable(preset));
    }
    if (parser_.isSet(run_) && presetOk)
        QTimer::singleShot(0, &window, &MainWindow::startRun);
    if (parser_.isSet(shot_)) {
        const QString file = parser_.value(shot_);
        QTimer::singleShot(static_cast<int>(parser_.value(shotAfter_).toDouble() * 1000), &window,
                           [&window, file] {
                               if (!window.grab().save(file))
                                   std::fprintf(stderr, "trainlab: cannot write %s\n",
                                                qPrintable(file));
                               window.close();
                           });
    }
}

StopSignals::StopSignals(MainWindow& window) {
    if (!installStopSignals()) {
        std::fprintf(stderr, "trainlab: cannot watch for SIGTERM/SIGHUP: %s\n", strerror(errno));
        return;
    }
    notifier_ = std::make_unique<QSocketNotifier>(gSignalFds[1], QSocketNotifier::Read);
    QObject::connect(notifier_.get(), &QSocketNotifier::activated, &window, [this, &window] {
        unsigned char byte = 0;
        while (::read(gSignalFds[1], &byte, 1) == 1)
            if (signal_ == 0) signal_ = byte;
        if (signal_ == 0) return;
        notifier_->setEnabled(false);  // the first signal decides; closing is under way
        // close() waits for the run (closeEvent) and saves the settings.
        if (window.controller()->isBusy())
            window.controller()->requestStop(cancelReasonForSignal(signal_));
        std::fprintf(stderr, "trainlab: %s received, stopping\n", strsignal(signal_));
        window.close();
        QCoreApplication::exit(128 + signal_);
    });
}

StopSignals::~StopSignals() = default;

}  // namespace trainlab
