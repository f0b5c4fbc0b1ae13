#include "sweep_actions.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>

#include "compare_window.h"
#include "run_history.h"

namespace trainlab {

SweepActions::SweepActions(QWidget* window, InputSource source)
    : QObject(window), window_(window), source_(std::move(source)) {}

void SweepActions::addRunAsSweepTo(QMenu* runMenu) {
    runAsSweep_ = runMenu->addAction("Run as s&weep…", this, &SweepActions::showDialog);
    runAsSweep_->setShortcut(QKeySequence("Ctrl+Shift+R"));
    runAsSweep_->setToolTip("Run this preset over a grid of settings × seeds, here or on a "
                            "Slurm cluster (trainlab-cli sweep)");
}

void SweepActions::addOpenSweepTo(QMenu* fileMenu) {
    auto* open = fileMenu->addAction("Open s&weep…", this, [this] {
        const auto in = source_();
        const QString dir = QFileDialog::getExistingDirectory(
            window_, "Open sweep (the folder with sweep.json)", in ? in->runsRoot : QString());
        if (!dir.isEmpty()) openSweep(dir);
    });
    open->setShortcut(QKeySequence("Ctrl+Shift+O"));
}

void SweepActions::connectHistory(RunHistory* history) {
    connect(history, &RunHistory::compareRequested, this, &SweepActions::compareRuns);
    connect(history, &RunHistory::sweepActivated, this, &SweepActions::openSweep);
}

void SweepActions::openSweep(const QString& dir) {
    CompareWindow::openSweep(dir, window_);
}

void SweepActions::compareRuns(const QStringList& runDirs) {
    CompareWindow::compareRuns(runDirs, window_);
}

void SweepActions::showDialog() {
    const auto in = source_();
    if (!in) {
        QMessageBox::information(window_, "Run as sweep", "Choose a preset first.");
        return;
    }
    auto* dialog = new SweepDialog(*in, window_);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &SweepDialog::sweepStarted, this, [this](const QString& dir) {
        emit sweepStarted(dir);
        openSweep(dir);
    });
    dialog->open();
}

}  // namespace trainlab
