// trainlab: the desktop workbench. Without a display it runs the default preset headless.
#include <QApplication>
#include <QIcon>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli.h"
#include "main_window.h"

namespace {
bool haveDisplay() {
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    if (platform && *platform) return true;  // the user chose (offscreen, xcb, wayland…)
    const char* x = std::getenv("DISPLAY");
    const char* w = std::getenv("WAYLAND_DISPLAY");
    return (x && *x) || (w && *w);
}
}  // namespace

int main(int argc, char** argv) {
    const bool headless = !haveDisplay();
    if (headless) ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
    QApplication app(argc, argv);
    QApplication::setApplicationName("trainlab");
    QApplication::setOrganizationName("trainlab");
    QApplication::setApplicationVersion(TRAINLAB_VERSION);
    QApplication::setWindowIcon(QIcon(":/trainlab/trainlab.svg"));
    if (headless) {
        std::fprintf(stderr,
                     "trainlab: no display found; running the default preset headless "
                     "(use trainlab-cli for other presets).\n");
        QStringList args = QApplication::arguments().mid(0, 1);
        args << "run" << "1-1-sinc-patience";
        return trainlab::runCommandLine(args);
    }
    trainlab::MainWindow window;
    window.resize(1400, 900);
    window.show();
    return QApplication::exec();
}
