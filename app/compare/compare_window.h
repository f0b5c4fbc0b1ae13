// The compare window (issue 14, "In the window"): runs of one kind overlaid panel by panel, or
// a sweep opened whole: its task table (sortable, filterable, exportable), its runs grouped by
// chosen settings and averaged over seeds as bands, a summary panel of any result against any
// setting, and live updates while the sweep runs (the folder watched, a 2 s timer besides;
// files are read in a worker thread, never on the GUI thread).
#pragma once

#include <QFutureWatcher>
#include <QMainWindow>
#include <QString>
#include <QStringList>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compare_data.h"
#include "compare_plots.h"
#include "run_groups.h"
#include "sweep_folder.h"
#include "sweep_status.h"

class QComboBox;
class QFileSystemWatcher;
class QLabel;
class QLineEdit;
class QListWidget;
class QSortFilterProxyModel;
class QTableView;
class QTimer;

namespace trainlab {

class SummaryPanel;
class SweepTaskModel;
struct CompareLoaded;  ///< a reload's result (worker → GUI)

class CompareWindow : public QMainWindow {
    Q_OBJECT
  public:
    /// Opens a window comparing the runs in `runDirs` (two or more, of one kind) and shows it;
    /// on failure shows a message box saying why (runs of different kinds name both kinds) and
    /// returns null. The window deletes itself when closed.
    static CompareWindow* compareRuns(const QStringList& runDirs, QWidget* parent);
    /// Opens the sweep in `sweepDir` (the folder with sweep.json) and shows it; on failure
    /// shows a message box and returns null. The window deletes itself when closed.
    static CompareWindow* openSweep(const QString& sweepDir, QWidget* parent);
    /// As compareRuns/openSweep without showing anything: null with the reason in `error`.
    static CompareWindow* createForRuns(const QStringList& runDirs, QWidget* parent, QString* error);
    static CompareWindow* createForSweep(const QString& sweepDir, QWidget* parent, QString* error);
    ~CompareWindow() override;

    bool isSweep() const { return sweep_.has_value(); }
    /// The settings that tell the runs apart (the legend), "seed" last.
    const std::vector<std::string>& legendKeys() const { return legendKeys_; }
    const std::vector<CompareEntry>& entries() const { return entries_; }
    const std::vector<RunGroup>& groups() const { return groups_; }
    BandMode bandMode() const { return mode_; }
    ComparePlots* plots() const { return plots_; }
    SummaryPanel* summaryPanel() const { return summary_; }
    /// Sweeps only (else null): the task table's model, and the sorted, filtered view of it.
    SweepTaskModel* taskModel() const { return taskModel_; }
    QSortFilterProxyModel* taskProxy() const { return proxy_; }

    /// Groups the runs by these settings (seed is never one: it is what is averaged over).
    void setGroupKeys(const std::vector<std::string>& keys);
    void setBandMode(BandMode mode);
    void setSelectedRun(std::size_t run);
    /// Writes the task table as it is shown (sorted, filtered) as CSV. False with `error` set.
    bool exportTable(const QString& path, QString* error) const;
    /// Reads what changed now (in the worker; the result arrives as dataLoaded()).
    void reloadNow();

    /// Whether files are being read or bands computed in the worker.
    bool isBusy() const;

  signals:
    /// Data read in the worker has been applied to the table and the lines.
    void dataLoaded();
    /// The bands and centre lines of the current groups have been computed and drawn.
    void bandsApplied();

  private:
    CompareWindow(QWidget* parent);
    void buildUi();
    QWidget* buildControls();
    QWidget* buildTaskTable();
    void startWatching();
    void watchTaskFolders();
    void startReload();
    void applyReload();
    void applyLoaded(const std::shared_ptr<struct CompareLoaded>& loaded);
    void scheduleBands(const std::vector<std::size_t>& changed);
    void startBands();
    void applyBandsResult();
    void applyLayoutAndChoice();
    void refreshSummary();
    std::vector<Settings> entrySettings() const;
    void exportTableInteractively();

    using Loaded = CompareLoaded;
    struct BandsResult {
        int generation = 0;
        std::vector<ComparePlots::GroupBand> bands;
    };

    std::optional<SweepFolder> sweep_;
    std::vector<fs::path> runDirs_;  ///< compared runs (not a sweep)
    std::vector<CompareEntry> entries_;
    std::vector<std::string> legendKeys_;
    std::vector<std::string> groupKeys_;
    std::vector<RunGroup> groups_;
    BandMode mode_ = BandMode::Individual;
    std::size_t selectedRun_ = 0;
    PlotLayout layout_;

    ComparePlots* plots_ = nullptr;
    SummaryPanel* summary_ = nullptr;
    SweepTaskModel* taskModel_ = nullptr;
    QSortFilterProxyModel* proxy_ = nullptr;
    QTableView* table_ = nullptr;
    QListWidget* groupList_ = nullptr;
    QComboBox* modeBox_ = nullptr;
    QComboBox* runBox_ = nullptr;
    QLabel* stateLabel_ = nullptr;
    QFileSystemWatcher* fsWatcher_ = nullptr;
    QTimer* pollTimer_ = nullptr;
    QTimer* debounce_ = nullptr;
    QFutureWatcher<std::shared_ptr<Loaded>>* watcher_ = nullptr;
    bool reloadPending_ = false;
    std::shared_ptr<Loaded> deferred_;  ///< read while bands were computed: applied after them
    QFutureWatcher<std::shared_ptr<BandsResult>>* bandWatcher_ = nullptr;
    std::vector<bool> bandsDirty_;  ///< entries whose groups' bands are to be computed
    bool bandsPending_ = false;
    int bandGeneration_ = 0;  ///< bumped at each rebuild: older bands are dropped
};

}  // namespace trainlab
