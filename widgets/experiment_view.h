// The set of plot panels of one experiment, built from its PlotLayout.
#pragma once

#include <QPointer>
#include <QString>
#include <QStringList>
#include <string>
#include <unordered_map>
#include <vector>

#include "plot_layout.h"
#include "run_directory.h"
#include "plot_panel.h"

class QWidget;

namespace trainlab {

/// Builds one PlotPanel per PanelSpec of a PlotLayout (each series added to its panel) and
/// routes data to panels by series id.
///
/// Contract: GUI thread only. The caller may reparent the panels (e.g. into dock widgets);
/// whoever is their parent then owns them. Panels that have no parent when the view is
/// destroyed are deleted with it. Data for unknown series ids, or for panels deleted
/// meanwhile, is ignored. Not copyable.
class ExperimentView {
  public:
    explicit ExperimentView(const PlotLayout& layout, QWidget* panelParent = nullptr);
    ~ExperimentView();
    ExperimentView(const ExperimentView&) = delete;
    ExperimentView& operator=(const ExperimentView&) = delete;

    const PlotLayout& layout() const { return layout_; }
    /// The panels in layout order (pointers stay valid while their owner keeps them).
    const std::vector<PlotPanel*>& panels() const { return panels_; }
    /// The panel with this id, or nullptr.
    PlotPanel* panelFor(const std::string& panelId) const;

    void append(const std::string& seriesId, const std::vector<double>& x,
                const std::vector<double>& y);
    void replace(const std::string& seriesId, const std::vector<double>& x,
                 const std::vector<double>& y);
    /// Sets the per-point labels of a series on its panel (see PlotPanel::setPointLabels).
    void setLabels(const std::string& seriesId, const std::vector<std::string>& labels);
    /// Replaces the grid of a Heatmap series on its panel (see PlotPanel::setGrid).
    void setGrid(const std::string& seriesId, const Grid& grid);
    /// Refreshes every panel (see PlotPanel::refresh).
    void refresh();

    /// Fills every series of the layout from the run's metrics/ files (with the point labels of
    /// the series that have a metrics/<id>.labels.txt; the others get none; Heatmap series from
    /// their grid files, see readGridCsv) and refreshes. Throws what RunDirectory::readLayout()
    /// throws (IoError, ConfigError) on a damaged run. A file that cannot be read (a damaged
    /// grid, a folder, a link, a named pipe, a line or file over the limits of run files) leaves
    /// its series empty: everything else is loaded and refreshed, then a DataError naming every
    /// such series and why is thrown. Lines skipped in a series' file (see readSeriesCsv) are
    /// reported in `warnings` when given.
    void loadFromRun(const RunDirectory& dir);
    void loadFromRun(const RunDirectory& dir, std::vector<std::string>* warnings);

    /// Writes <panel id>.png, .svg and .csv for every panel into `plotsDir` (created if
    /// needed). Returns the files written; on any failure `error` names every failed file.
    /// Panels whose id is not a plain file name (isSafeId) are not written (named in `error`);
    /// a symbolic link in the place of a file is replaced, never written through.
    QStringList exportAll(const QString& plotsDir, QString* error = nullptr) const;
    /// exportAll() into the run's plots/ (RunDirectory::plotsDirForWriting: refused, with
    /// `error` set, when plots/ is a symbolic link or not a folder).
    QStringList exportToRun(const RunDirectory& dir, QString* error = nullptr) const;

  private:
    PlotPanel* panelOfSeries(const std::string& seriesId) const;

    PlotLayout layout_;
    std::vector<PlotPanel*> panels_;
    std::vector<QPointer<PlotPanel>> guarded_;
    std::unordered_map<std::string, std::size_t> panelIndex_;   ///< panel id → index
    std::unordered_map<std::string, std::size_t> seriesPanel_;  ///< series id → panel index
};

}  // namespace trainlab
