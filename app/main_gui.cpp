// trainlab: the desktop workbench. Without a display it runs the default preset headless.
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QIcon>
#include <QMessageBox>
#include <QPixmap>
#include <QSocketNotifier>
#include <QTimer>
#include <cerrno>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge/engine_worker.h"
#include "cli.h"
#include "run_directory.h"
#include "main_window.h"

namespace {
// SIGINT, SIGTERM and SIGHUP stop the run and close the window (the Qt way: the handler only
// writes the signal's number into a socket pair, async-signal-safe; a QSocketNotifier reads it
// on the GUI thread). Without this they killed the process and left the run "running".
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

bool haveDisplay() {
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    if (platform && *platform) return true;  // the user chose (offscreen, xcb, wayland…)
    const char* x = std::getenv("DISPLAY");
    const char* w = std::getenv("WAYLAND_DISPLAY");
    return (x && *x) || (w && *w);
}
}  // namespace

int main(int argc, char** argv) {
    trainlab::guardStandardStreams();
    Q_INIT_RESOURCE(resources);
    const bool headless = !haveDisplay();
    if (headless) trainlab::prepareHeadlessEnvironment();
    QApplication app(argc, argv);
    std::setlocale(LC_NUMERIC, "C");  // Qt set the user's locale; numbers in files stay C
    QApplication::setApplicationName("trainlab");
    QApplication::setOrganizationName("trainlab");
    QApplication::setApplicationVersion(TRAINLAB_VERSION);
    QApplication::setWindowIcon(QIcon(":/trainlab/trainlab.svg"));
    // The installed desktop entry (packaging/org.trainlab.trainlab.desktop, without ".desktop"):
    // Wayland's app id and the desktop's window-to-launcher matching use it.
    QGuiApplication::setDesktopFileName("org.trainlab.trainlab");

    QCommandLineParser parser;
    parser.setApplicationDescription(
        "trainlab: a workbench for the experiments that explain how deep networks learn.");
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption presetOpt("preset", "Select this preset (an id or a preset file) at start.",
                                 "id|file");
    QCommandLineOption runOpt("run", "Start the selected preset at once.");
    QCommandLineOption runsOpt("runs", "Folder of recorded runs.", "dir");
    QCommandLineOption dataOpt("data-dir", "Folder searched first for datasets.", "dir");
    QCommandLineOption shotOpt(
        "screenshot",
        "Save a picture of the window to FILE after --screenshot-after seconds, then quit.",
        "file");
    QCommandLineOption shotAfterOpt("screenshot-after",
                                    "Seconds before the screenshot (default 5).", "s", "5");
    parser.addOptions({presetOpt, runOpt, runsOpt, dataOpt, shotOpt, shotAfterOpt});
    parser.process(app);

    if (headless) {
        const std::string preset =
            parser.isSet(presetOpt) ? parser.value(presetOpt).toStdString() : "1-1-sinc-patience";
        std::fprintf(stderr,
                     "trainlab: no display found; running the preset '%s' headless "
                     "(trainlab-cli runs any preset: trainlab-cli --help).\n",
                     preset.c_str());
        QStringList args = QApplication::arguments().mid(0, 1);
        args << "run" << QString::fromStdString(preset);
        if (parser.isSet(runsOpt)) args << "--out" << parser.value(runsOpt);
        return trainlab::runCommandLine(args);
    }
    if (!parser.isSet(runsOpt)) {  // the same default as trainlab-cli, never a folder in /tmp
        std::string why;
        if (trainlab::defaultRunsRoot(&why).empty()) {
            std::fprintf(stderr, "trainlab: %s\n", why.c_str());
            if (QGuiApplication::platformName() != "offscreen")
                QMessageBox::critical(nullptr, "trainlab", QString::fromStdString(why));
            return 2;
        }
    }
    trainlab::MainWindow window;
    int stopSignal = 0;
    std::unique_ptr<QSocketNotifier> signalNotifier;
    if (installStopSignals()) {
        signalNotifier = std::make_unique<QSocketNotifier>(gSignalFds[1], QSocketNotifier::Read);
        QObject::connect(signalNotifier.get(), &QSocketNotifier::activated, &window, [&] {
            unsigned char byte = 0;
            while (::read(gSignalFds[1], &byte, 1) == 1)
                if (stopSignal == 0) stopSignal = byte;
            if (stopSignal == 0) return;
            signalNotifier->setEnabled(false);  // the first signal decides; closing is under way
            // The run ends as "cancelled" naming the signal; close() waits for it (closeEvent)
            // and saves the settings, then the application ends with 128 + the signal.
            if (window.controller()->isBusy())
                window.controller()->requestStop(trainlab::cancelReasonForSignal(stopSignal));
            std::fprintf(stderr, "trainlab: %s received, stopping\n", strsignal(stopSignal));
            window.close();
            QCoreApplication::exit(128 + stopSignal);
        });
    } else {
        std::fprintf(stderr, "trainlab: cannot watch for SIGTERM/SIGHUP: %s\n", strerror(errno));
    }
    if (parser.isSet(runsOpt)) window.setRunsRoot(parser.value(runsOpt));
    if (parser.isSet(dataOpt)) window.setDataDir(parser.value(dataOpt));
    window.resize(1500, 950);
    window.show();
    bool presetOk = true;
    if (parser.isSet(presetOpt)) {
        // A preset id, or a preset file (as trainlab-cli accepts).
        const QString preset = parser.value(presetOpt);
        presetOk = QFileInfo(preset).isFile() ? window.openPresetFile(preset)
                                              : window.selectPreset(preset);
        if (!presetOk)
            std::fprintf(stderr, "trainlab: no preset '%s' (trainlab-cli list shows them)\n",
                         qPrintable(preset));
    }
    if (parser.isSet(runOpt) && presetOk)
        QTimer::singleShot(0, &window, &trainlab::MainWindow::startRun);
    if (parser.isSet(shotOpt)) {
        const QString file = parser.value(shotOpt);
        QTimer::singleShot(static_cast<int>(parser.value(shotAfterOpt).toDouble() * 1000), &window,
                           [&window, file] {
                               if (!window.grab().save(file))
                                   std::fprintf(stderr, "trainlab: cannot write %s\n",
                                                qPrintable(file));
                               window.close();
                           });
    }
    const int rc = QApplication::exec();
    return stopSignal != 0 ? 128 + stopSignal : rc;
}
