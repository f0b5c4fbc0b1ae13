#include "history_actions.h"

#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QMenu>
#include <QUrl>

#include "run_history.h"

namespace trainlab {

HistoryActions::HistoryActions(const QString& runsRoot, QWidget* window)
    : QObject(window), window_(window), runsRoot_(runsRoot), history_(new RunHistory) {
    history_->setRoot(runsRoot_);
    connect(history_, &RunHistory::runActivated, this, &HistoryActions::openRequested);
}

void HistoryActions::addOpenTo(QMenu* fileMenu) {
    fileMenu->addAction("Open run folder…", this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(window_, "Open run", runsRoot_);
        if (!dir.isEmpty()) emit openRequested(dir);
    });
}

void HistoryActions::addShowFolderTo(QMenu* fileMenu) {
    fileMenu->addAction("Show runs folder", this, [this] {
        QDir().mkpath(runsRoot_);
        QDesktopServices::openUrl(QUrl::fromLocalFile(runsRoot_));
    });
}

void HistoryActions::setRunsRoot(const QString& root) {
    runsRoot_ = root;
    history_->setRoot(root);
}

void HistoryActions::reload() {
    history_->reload();
}

}  // namespace trainlab
