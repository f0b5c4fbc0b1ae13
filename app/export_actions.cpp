#include "export_actions.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>

#include "experiment_view.h"
#include "plot_panel.h"
#include "results_chart.h"

namespace trainlab {

ExportActions::ExportActions(QMenu* fileMenu, QWidget* window, ResultsChart* results,
                             Reporter report, std::function<QString()> runDir)
    : QObject(window),
      window_(window),
      results_(results),
      report_(std::move(report)),
      runDir_(std::move(runDir)) {
    exportRun_ = fileMenu->addAction("&Export run…", this, &ExportActions::exportRunInteractive);
    panelMenu_ = fileMenu->addMenu("Export &panel");
    panelMenu_->setEnabled(false);
    exportRun_->setShortcut(QKeySequence("Ctrl+E"));
}

void ExportActions::setView(ExperimentView* view) {
    view_ = view;
    exportRun_->setEnabled(view_ != nullptr);
    rebuildPanelMenu();
}

void ExportActions::rebuildPanelMenu() {
    // clear() drops the actions but not the per-panel submenus, which are children of the
    // menu: without this, every run left three QMenu widgets behind (bench_memory).
    for (QMenu* sub : panelMenu_->findChildren<QMenu*>(QString(), Qt::FindDirectChildrenOnly))
        sub->deleteLater();
    panelMenu_->clear();
    panelMenu_->setEnabled(view_ != nullptr);
    if (!view_) return;
    for (PlotPanel* panel : view_->panels()) {
        QMenu* sub = panelMenu_->addMenu(QString::fromStdString(panel->spec().title));
        const QString base = QString::fromStdString(panel->spec().id);
        auto exportAs = [this, panel, base](const QString& suffix) {
            const QString path = QFileDialog::getSaveFileName(
                window_, "Export panel", startFolder() + "/" + base + suffix);
            if (path.isEmpty()) return;
            QString error;
            const bool ok = suffix == ".png"   ? panel->exportPng(path, 1600, 1000, 2.0, &error)
                            : suffix == ".svg" ? panel->exportSvg(path, 1200, 800, &error)
                                               : panel->exportCsv(path, &error);
            if (!ok) report_("Export failed", error, true);
        };
        sub->addAction("PNG…", this, [exportAs] { exportAs(".png"); });
        sub->addAction("SVG…", this, [exportAs] { exportAs(".svg"); });
        sub->addAction("CSV…", this, [exportAs] { exportAs(".csv"); });
    }
}

bool ExportActions::exportRunTo(const QString& folder) {
    if (!view_) return false;
    QDir().mkpath(folder);
    QString error;
    QStringList files = view_->exportAll(folder, &error);
    if (!error.isEmpty()) {
        report_("Export failed", error, true);
        return false;
    }
    QStringList failed;
    auto count = [&](bool ok, const QString& name) {
        if (ok) files << folder + "/" + name;
        else failed << name;
    };
    count(results_->exportPng(folder + "/results.png", 1200, 800), "results.png");
    count(results_->exportSvg(folder + "/results.svg", 1200, 800), "results.svg");
    count(results_->exportCsv(folder + "/results.csv"), "results.csv");
    const QString runDir = runDir_();
    for (const char* name : {"config.json", "results.json", "status.json", "panels.json"}) {
        const QString src = runDir + "/" + name;
        const QString dst = folder + "/" + name;
        if (!runDir.isEmpty() && QFile::exists(src) && src != dst) {
            QFile::remove(dst);
            count(QFile::copy(src, dst), name);
        }
    }
    // The count is of files written, not of files meant to be.
    report_({}, QString("Exported %1 file%2 to %3").arg(files.size()).arg(files.size() == 1 ? "" : "s").arg(folder), false);
    if (!failed.isEmpty()) report_("Export incomplete", "Not written: " + failed.join(", "), true);
    return failed.isEmpty();
}

QString ExportActions::startFolder() const {
    // The run's own folder (its plots/ when there is one), as users expect; home without a run.
    const QString runDir = runDir_();
    if (runDir.isEmpty() || !QFileInfo(runDir).isDir()) return QDir::homePath();
    const QString plots = runDir + "/plots";
    return QFileInfo(plots).isDir() ? plots : runDir;
}

void ExportActions::exportRunInteractive() {
    if (!view_) return;
    const QString dir =
        QFileDialog::getExistingDirectory(window_, "Export run to folder", startFolder());
    if (!dir.isEmpty()) exportRunTo(dir);
}

}  // namespace trainlab
