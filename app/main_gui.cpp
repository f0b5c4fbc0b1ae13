// trainlab: the desktop workbench. Without a display it runs the default preset headless.
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QIcon>
#include <QPixmap>
#include <QTimer>
#include <cstdio>
#include <cstdlib>

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
    Q_INIT_RESOURCE(resources);
    const bool headless = !haveDisplay();
    if (headless) trainlab::prepareHeadlessEnvironment();
    QApplication app(argc, argv);
    QApplication::setApplicationName("trainlab");
    QApplication::setOrganizationName("trainlab");
    QApplication::setApplicationVersion(TRAINLAB_VERSION);
    QApplication::setWindowIcon(QIcon(":/trainlab/trainlab.svg"));

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
    trainlab::MainWindow window;
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
    return QApplication::exec();
}
