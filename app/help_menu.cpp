#include "help_menu.h"

#include <QAction>
#include <QKeySequence>
#include <QMenu>
#include <QMessageBox>
#include <QWidget>

#include "experiment_runner.h"

namespace trainlab {

void addHelpMenu(QMenu* menu, QWidget* window) {
    auto* helpAct = menu->addAction("trainlab &help", window, [window] {
        QMessageBox::information(
            window, "trainlab help",
            "<b>trainlab</b> runs the experiments that explain how deep networks learn.<br><br>"
            "Double-click a preset to run it, or select it, change its settings and press Run "
            "(Ctrl+R). Space pauses, Esc stops. Every run is recorded in the runs folder "
            "(File → Show runs folder) with its complete config, every metric as CSV and the "
            "plots; double-click a run in the history to reopen it.<br><br>Plots: wheel zooms, "
            "drag pans, double-click resets, right-click exports PNG, SVG or CSV. Ctrl+E exports "
            "everything.<br><br>The same experiments run headless: <tt>trainlab-cli --help</tt>.");
    });
    helpAct->setShortcut(QKeySequence::HelpContents);
    menu->addAction("About trainlab", window, [window] {
        QMessageBox::about(window, "About trainlab",
                           QString("trainlab %1<br>A workbench for deep-learning experiments.<br>"
                                   "Qt %2, libtorch, QCustomPlot, Eigen.")
                               .arg(QString::fromStdString(trainlabVersion()), qVersion()));
    });
}

}  // namespace trainlab
