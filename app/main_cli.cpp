// trainlab-cli: the headless front end. Plots are rendered offscreen.
#include <QApplication>
#include <cstdlib>

#include "cli.h"

int main(int argc, char** argv) {
    if (!std::getenv("QT_QPA_PLATFORM")) ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
    QApplication app(argc, argv);
    QApplication::setApplicationName("trainlab");
    QApplication::setApplicationVersion(TRAINLAB_VERSION);
    return trainlab::runCommandLine(QApplication::arguments());
}
