// trainlab-cli: the headless front end. Plots are rendered offscreen.
#include <QApplication>
#include <clocale>
#include <cstdlib>

#include "cli.h"

int main(int argc, char** argv) {
    trainlab::guardStandardStreams();
    trainlab::prepareHeadlessEnvironment();
    QApplication app(argc, argv);
    std::setlocale(LC_NUMERIC, "C");  // Qt set the user's locale; numbers in files stay C
    QApplication::setApplicationName("trainlab");
    QApplication::setApplicationVersion(TRAINLAB_VERSION);
    return trainlab::runCommandLine(QApplication::arguments());
}
