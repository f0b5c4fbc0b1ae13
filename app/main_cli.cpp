// trainlab-cli: the headless front end. Plots are rendered offscreen.
#include <QApplication>
#include <clocale>
#include <cstdlib>

#include "cli.h"
#include "kernel_startup.h"

int main(int argc, char** argv) {
    trainlab::guardStandardStreams();
    // OpenBLAS's kernels for this CPU; may re-execute the program once (kernel_startup.h).
    trainlab::chooseBlasKernelsAtStartup(argv);
    trainlab::prepareHeadlessEnvironment();
    QApplication app(argc, argv);
    std::setlocale(LC_NUMERIC, "C");  // Qt set the user's locale; numbers in files stay C
    QApplication::setApplicationName("trainlab");
    QApplication::setApplicationVersion(TRAINLAB_VERSION);
    return trainlab::runCommandLine(QApplication::arguments());
}
