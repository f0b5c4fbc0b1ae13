// trainlab-cli: the headless front end. Plots are rendered offscreen.
#include <QApplication>
#include <cstdlib>

#include "cli.h"

int main(int argc, char** argv) {
    trainlab::prepareHeadlessEnvironment();
    QApplication app(argc, argv);
    QApplication::setApplicationName("trainlab");
    QApplication::setApplicationVersion(TRAINLAB_VERSION);
    return trainlab::runCommandLine(QApplication::arguments());
}
