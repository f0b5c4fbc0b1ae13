#include "sweep_task_model.h"

#include <QColor>
#include <exception>

#include "atomic_file.h"
#include "csv.h"
#include "palette.h"
#include "text_format.h"

namespace trainlab {

SweepTaskModel::SweepTaskModel(const SweepRecord& record, QObject* parent)
    : QAbstractTableModel(parent), tasks_(record.tasks) {
    if (!tasks_.empty())
        for (const auto& kv : tasks_.front().settings) keys_.push_back(kv.first);
    for (const SweepTask& t : tasks_) {
        TaskStatus s;
        s.index = t.index;
        s.name = t.name;
        s.settings = settingsText(t.settings);
        status_.tasks.push_back(s);
    }
}

void SweepTaskModel::setStatus(const SweepStatus& status) {
    const bool sameRows = status.tasks.size() == status_.tasks.size();
    if (!sameRows) beginResetModel();
    status_ = status;
    if (!sameRows) {
        endResetModel();
        return;
    }
    if (!status_.tasks.empty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

int SweepTaskModel::taskOfRow(int row) const {
    return row >= 0 && row < rowCount() ? status_.tasks[static_cast<std::size_t>(row)].index : -1;
}

int SweepTaskModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(status_.tasks.size());
}

int SweepTaskModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(keys_.size()) + 4;
}

QVariant SweepTaskModel::headerData(int section, Qt::Orientation o, int role) const {
    if (o != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, o, role);
    const int k = static_cast<int>(keys_.size());
    if (section == 0) return tr("task");
    if (section <= k) return QString::fromStdString(keys_[static_cast<std::size_t>(section - 1)]);
    if (section == k + 1) return tr("state");
    if (section == k + 2) return tr("elapsed");
    if (section == k + 3) return tr("result");
    return {};
}

QVariant SweepTaskModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount()) return {};
    return cell(index.row(), index.column(), role);
}

namespace {

QColor stateColor(TaskState s) {
    switch (s) {
        case TaskState::Finished: return seriesColor(2);
        case TaskState::Running:
        case TaskState::Pending: return seriesColor(0);
        case TaskState::NotStarted: return seriesColor(-1);
        case TaskState::Cancelled: return seriesColor(3);
        default: return seriesColor(1);
    }
}

}  // namespace

QVariant SweepTaskModel::cell(int row, int column, int role) const {
    const TaskStatus& t = status_.tasks[static_cast<std::size_t>(row)];
    const int k = static_cast<int>(keys_.size());
    const bool sort = role == kSortRole;
    const bool text = role == Qt::DisplayRole || role == kExportRole || role == Qt::ToolTipRole;
    if (column == 0) return sort || text ? QVariant(t.index) : QVariant();
    if (column <= k) {
        const auto& settings = tasks_.at(static_cast<std::size_t>(t.index)).settings;
        const auto& [key, value] = settings.at(static_cast<std::size_t>(column - 1));
        if (sort && value.is_number()) return value.get<double>();
        return sort || text ? QVariant(QString::fromStdString(settingValueText(value))) : QVariant();
    }
    if (column == k + 1) {
        if (role == Qt::ForegroundRole) return stateColor(t.state);
        if (role == Qt::ToolTipRole && !t.scheduler.empty()) return QString::fromStdString(t.scheduler);
        return sort || text ? QVariant(QString::fromStdString(taskStateName(t.state))) : QVariant();
    }
    if (column == k + 2) {
        if (!t.attempts) return sort ? QVariant(-1.0) : QVariant();
        if (sort) return t.elapsedSeconds;
        if (role == kExportRole) return QString::fromStdString(csvNumberText(t.elapsedSeconds));
        return text ? QVariant(QString::fromStdString(formatDuration(t.elapsedSeconds, true))) : QVariant();
    }
    const std::string result =
        t.state == TaskState::Finished || t.message.empty() ? t.headline : t.message;
    return sort || text ? QVariant(QString::fromStdString(result)) : QVariant();
}

bool exportTableCsv(const QAbstractItemModel& model, const QString& path, QString* error) {
    std::string text;
    for (int c = 0; c < model.columnCount(); ++c)
        text += (c ? "," : "") + csvField(model.headerData(c, Qt::Horizontal).toString().toStdString());
    text += "\n";
    for (int r = 0; r < model.rowCount(); ++r) {
        for (int c = 0; c < model.columnCount(); ++c) {
            const QModelIndex i = model.index(r, c);
            QVariant v = model.data(i, SweepTaskModel::kExportRole);
            if (!v.isValid()) v = model.data(i, Qt::DisplayRole);
            text += (c ? "," : "") + csvField(v.toString().toStdString());
        }
        text += "\n";
    }
    try {
        writeFileAtomic(path.toStdString(), text);
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return false;
    }
    return true;
}

}  // namespace trainlab
