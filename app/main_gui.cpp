// trainlab: the desktop workbench. Without a display it runs the default preset headless.
#include <QApplication>
#include <QIcon>
#include <clocale>

#include "cli.h"
#include "gui_startup.h"
#include "kernel_startup.h"
#include "main_window.h"

int main(int argc, char** argv) {
    trainlab::guardStandardStreams();
    // OpenBLAS's kernels for this CPU; may re-execute the program once (kernel_startup.h).
    trainlab::chooseBlasKernelsAtStartup(argv);
    Q_INIT_RESOURCE(resources);
    const bool headless = !trainlab::haveDisplay();
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

    trainlab::GuiCommandLine commandLine;
    commandLine.process(app);
    if (headless) return commandLine.runHeadless();
    if (!commandLine.runsRootUsable()) return 2;
    trainlab::MainWindow window;
    const trainlab::StopSignals stopSignals(window);
    commandLine.applyTo(window);
    const int rc = QApplication::exec();
    return stopSignals.received() != 0 ? 128 + stopSignals.received() : rc;
}
