#include "run_history.h"

#include <QDesktopServices>
#include <QFileInfo>
#include <QHeaderView>
#include <QMenu>
#include <QRegularExpression>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>
#include <algorithm>
#include <exception>
#include <filesystem>
#include <system_error>

#include "run_directory.h"
#include "palette.h"
#include "run_listing.h"

namespace trainlab {

namespace {

constexpr int kPathRole = Qt::UserRole;
constexpr int kSweepRole = Qt::UserRole + 1;  ///< true on a sweep folder's row

enum Column { kDate, kPreset, kStatus, kResult, kColumnCount };

/// "20240501-134510-name" → "2024-05-01 13:45:10"; other names are shown as they are.
QString dateFromFolderName(const QString& name) {
    static const QRegularExpression re(
        QStringLiteral("^(\\d{4})(\\d{2})(\\d{2})-(\\d{2})(\\d{2})(\\d{2})"));
    const auto m = re.match(name);
    if (!m.hasMatch()) return name;
    return QStringLiteral("%1-%2-%3 %4:%5:%6")
        .arg(m.captured(1), m.captured(2), m.captured(3), m.captured(4), m.captured(5),
             m.captured(6));
}

QColor stateColor(RunState s) {
    switch (s) {
        case RunState::Running:
            return seriesColor(0);  // blue
        case RunState::Finished:
            return seriesColor(2);  // bluish green
        case RunState::Failed:
            return seriesColor(1);  // vermillion
        case RunState::Cancelled:
            return seriesColor(3);  // orange
        case RunState::Interrupted:
            return seriesColor(5);  // reddish purple
    }
    return seriesColor(-1);
}

}  // namespace

RunHistory::RunHistory(QWidget* parent) : QWidget(parent) {
    tree_ = new QTreeWidget(this);
    tree_->setObjectName(QStringLiteral("runTree"));
    tree_->setColumnCount(kColumnCount);
    tree_->setHeaderLabels({tr("Date"), tr("Preset"), tr("Status"), tr("Result")});
    tree_->setRootIsDecorated(false);
    tree_->setUniformRowHeights(true);
    tree_->setAlternatingRowColors(true);
    tree_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    tree_->header()->setStretchLastSection(true);
    tree_->setContextMenuPolicy(Qt::CustomContextMenu);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(tree_);

    connect(tree_, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem* item, int) {
        if (!item) return;
        const QString path = item->data(kDate, kPathRole).toString();
        if (item->data(kDate, kSweepRole).toBool())
            emit sweepActivated(path);
        else if (!path.isEmpty())
            emit runActivated(path);
    });
    connect(tree_, &QWidget::customContextMenuRequested, this, &RunHistory::showContextMenu);
}

void RunHistory::setRoot(const QString& runsRoot) {
    root_ = runsRoot;
    reload();
}

QString RunHistory::currentRunPath() const {
    const QTreeWidgetItem* item = tree_->currentItem();
    return item && !item->data(kDate, kSweepRole).toBool() ? item->data(kDate, kPathRole).toString()
                                                           : QString();
}

QStringList RunHistory::selectedRunPaths() const {
    QStringList paths;
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        const QTreeWidgetItem* item = tree_->topLevelItem(i);
        const QString path = item->data(kDate, kPathRole).toString();
        if (item->isSelected() && !path.isEmpty() && !item->data(kDate, kSweepRole).toBool())
            paths << path;
    }
    return paths;
}

void RunHistory::requestCompare() {
    const QStringList paths = selectedRunPaths();
    if (paths.size() >= 2) emit compareRequested(paths);
}

void RunHistory::addSweeps() {
    // A sweep's own folder (sweep.json) among the runs: one stat per entry of the root, no more.
    std::error_code ec;
    std::vector<fs::path> sweeps;
    for (fs::directory_iterator it(fs::path(root_.toStdString()), ec), end; !ec && it != end;
         it.increment(ec))
        if (it->is_directory(ec) && fs::is_regular_file(it->path() / "sweep.json", ec))
            sweeps.push_back(it->path());
    std::sort(sweeps.rbegin(), sweeps.rend());  // newest first, as the runs
    for (const fs::path& p : sweeps) {
        const QString folder = QString::fromStdString(p.filename().string());
        auto* item = new QTreeWidgetItem(tree_);
        item->setData(kDate, kPathRole, QString::fromStdString(p.string()));
        item->setData(kDate, kSweepRole, true);
        item->setText(kDate, dateFromFolderName(folder));
        item->setToolTip(kDate, QString::fromStdString(p.string()));
        item->setText(kPreset, tr("Sweep %1").arg(folder));
        item->setText(kStatus, tr("sweep"));
        item->setText(kResult, tr("Double-click to open the sweep"));
    }
}

void RunHistory::reload() {
    const QString selected = currentRunPath();
    tree_->clear();
    if (root_.isEmpty()) return;
    std::vector<RunSummary> runs;
    try {
        runs = listRuns(fs::path(root_.toStdString()));
    } catch (const std::exception& e) {
        auto* item = new QTreeWidgetItem(tree_);
        item->setText(
            kPreset,
            tr("Cannot list the runs in %1: %2").arg(root_, QString::fromLocal8Bit(e.what())));
        item->setFlags(Qt::ItemIsEnabled);
        return;
    }
    addSweeps();
    QTreeWidgetItem* toSelect = nullptr;
    for (const RunSummary& run : runs) {
        const QString path = QString::fromStdString(run.path.string());
        const QString folder = QString::fromStdString(run.path.filename().string());
        auto* item = new QTreeWidgetItem(tree_);
        item->setData(kDate, kPathRole, path);
        item->setText(kDate, dateFromFolderName(folder));
        item->setToolTip(kDate, path);
        item->setText(kPreset,
                      QString::fromStdString(run.title.empty() ? run.presetId : run.title));
        item->setToolTip(kPreset, QString::fromStdString(run.presetId));
        item->setText(kStatus, QString::fromStdString(runStateName(run.status.state)));
        item->setForeground(kStatus, stateColor(run.status.state));
        QFont bold = item->font(kStatus);
        bold.setBold(true);
        item->setFont(kStatus, bold);
        if (!run.status.message.empty())
            item->setToolTip(kStatus, QString::fromStdString(run.status.message));
        item->setText(kResult, QString::fromStdString(run.headline));
        item->setToolTip(kResult, QString::fromStdString(run.headline));
        if (path == selected) toSelect = item;
    }
    for (int c = 0; c < kResult; ++c) tree_->resizeColumnToContents(c);
    if (toSelect) tree_->setCurrentItem(toSelect);
}

void RunHistory::showContextMenu(const QPoint& pos) {
    QTreeWidgetItem* item = tree_->itemAt(pos);
    const QString path = item ? item->data(kDate, kPathRole).toString() : QString();
    QMenu menu(this);
    if (item && item->data(kDate, kSweepRole).toBool()) {
        menu.addAction(tr("Open sweep"), this, [this, path] { emit sweepActivated(path); });
        menu.addAction(tr("Open folder"), this,
                       [path] { QDesktopServices::openUrl(QUrl::fromLocalFile(path)); });
        menu.addSeparator();
    } else if (!path.isEmpty()) {
        menu.addAction(tr("Reopen"), this, [this, path] { emit runActivated(path); });
        menu.addAction(tr("Open folder"), this,
                       [path] { QDesktopServices::openUrl(QUrl::fromLocalFile(path)); });
        menu.addSeparator();
    }
    QAction* compare = menu.addAction(tr("Compare"), this, &RunHistory::requestCompare);
    compare->setEnabled(selectedRunPaths().size() >= 2);
    compare->setToolTip(tr("Overlay the selected runs (two or more, of one kind)"));
    menu.addSeparator();
    menu.addAction(tr("Reload"), this, &RunHistory::reload);
    menu.exec(tree_->viewport()->mapToGlobal(pos));
}

}  // namespace trainlab
