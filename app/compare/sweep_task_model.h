// The task table of a sweep in the compare window: one row per task (index, each grid setting,
// state, elapsed, headline), filled from sweep_status.h's TaskStatus. Sorting by value
// (numbers as numbers) through kSortRole; exportable as CSV.
#pragma once

#include <QAbstractTableModel>
#include <QString>
#include <string>
#include <vector>

#include "sweep_folder.h"
#include "sweep_status.h"

class QAbstractItemModel;

namespace trainlab {

class SweepTaskModel : public QAbstractTableModel {
    Q_OBJECT
  public:
    /// Sort key of a cell: a double for numbers (task, numeric settings, elapsed seconds),
    /// else the text.
    static constexpr int kSortRole = Qt::UserRole + 1;
    /// The cell as written by exportCsv: numbers in the C locale, elapsed in seconds.
    static constexpr int kExportRole = Qt::UserRole + 2;

    /// Columns: task, the settings of the sweep's first task (grid order, then seed), state,
    /// elapsed, result (headline, or the message of a task that did not finish).
    explicit SweepTaskModel(const SweepRecord& record, QObject* parent = nullptr);

    /// Replaces the tasks' status (rows keep their place; changed cells are announced).
    void setStatus(const SweepStatus& status);
    const SweepStatus& status() const { return status_; }
    int taskOfRow(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

  private:
    QVariant cell(int row, int column, int role) const;

    std::vector<SweepTask> tasks_;
    std::vector<std::string> keys_;
    SweepStatus status_;
};

/// Writes the rows of `model` (any model: a sorted and filtered proxy writes what it shows, in
/// its order) as CSV: the header texts, then each row's kExportRole (else display) text, quoted
/// where needed (csvField). Written atomically. False with `error` set when it cannot be.
bool exportTableCsv(const QAbstractItemModel& model, const QString& path, QString* error);

}  // namespace trainlab
