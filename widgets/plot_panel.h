// One live numeric plot (QCustomPlot) for one PanelSpec. Its parts: the points of each series
// (series_store.h, with the min/max decimation), the heatmap layer (heatmap_layer.h), the
// trajectory items (trajectory_items.h), the mouse (plot_interaction.h), the QCustomPlot extras
// (plot_extras.h) and the export shared with ResultsChart (plot_export.h).
#pragma once

#include <QString>
#include <QWidget>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "plot_export.h"
#include "plot_layout.h"
#include "series_data.h"

class QCustomPlot;
class QCPAbstractPlottable;
class QCPAxis;
class QCPColorMap;
class QCPColorScale;
class QCPCurve;
class QCPItemLine;
class QCPItemText;
class QCPItemTracer;
class QTimer;

namespace trainlab {

class PlotInteraction;
class PlotLegend;
struct PlotSeries;

/// The axes of a panel whose scale can be switched (setAxisLog).
enum class PanelAxis { X, Left, Right };

/// A live plot of the series of one panel, drawn with QCustomPlot.
///
/// Contract: GUI thread only. Every point given to appendPoints()/replaceSeries() is kept in
/// the panel's own storage; data reaches the screen at refresh(), which the owner calls at
/// its own pace (e.g. from a ~40 ms timer). For display only, a series with many more points
/// than pixels is reduced to the minimum and maximum of each pixel bucket, so spikes stay
/// visible; exports of CSV always write every stored point. On a log axis, non-positive values
/// are left out of the display. Axes rescale to the data at each refresh until the user zooms
/// or pans; a double-click (or "Reset view") goes back to automatic scaling. Works on a widget
/// that is never shown (QT_QPA_PLATFORM=offscreen), e.g. to export plots from the CLI.
///
/// Heatmaps (SeriesStyle::Heatmap) get their data from setGrid() and are drawn as a
/// QCPColorMap under every other series of the panel, with one colour scale per panel on the
/// right (perceptually uniform viridis, shared by the panel's heatmaps, spanning their finite
/// values; log when the panel's logY2 is set, where non-positive values become gaps).
/// Non-finite values are transparent gaps. Grids with unevenly spaced xs or ys are shown
/// resampled to nearest cells on an even grid; keep heatmap panels' x and y axes linear.
class PlotPanel : public QWidget, public ExportSource {
    Q_OBJECT
  public:
    explicit PlotPanel(const PanelSpec& spec, QWidget* parent = nullptr);
    ~PlotPanel() override;

    const PanelSpec& spec() const { return spec_; }

    /// Adds a series (legend text `s.name`, colour from the palette, dashed if `s.dashed`,
    /// on the right axis if `s.rightAxis`). A second series with an existing id is ignored.
    /// A SeriesStyle::Trajectory series is drawn as circle markers joined in the order given
    /// (x may go back and forth), its first point with a larger hollow square and an arrowhead
    /// on its last segment; it is never decimated.
    void addSeries(const SeriesSpec& s);
    bool hasSeries(const std::string& id) const;

    /// Appends points to a series (x and y of equal length; extra elements of the longer one
    /// are ignored). Unknown ids are ignored.
    void appendPoints(const std::string& seriesId, const std::vector<double>& x,
                      const std::vector<double>& y);
    /// Replaces all points of a series. Unknown ids and Heatmap series are ignored.
    void replaceSeries(const std::string& seriesId, const std::vector<double>& x,
                       const std::vector<double>& y);
    /// Replaces the grid of a Heatmap series (see Grid; cell centres at xs × ys). False, and
    /// nothing changed, for unknown ids, series of another style and inconsistent grids
    /// (gridFault). An empty grid clears the map. Shown at the next refresh().
    bool setGrid(const std::string& seriesId, const Grid& grid);

    /// Sets the labels of a series' points (label i belongs to point i), replacing any earlier
    /// ones; they stay when the points are replaced, so give new labels along with new points.
    /// The hover tooltip shows the label of the point under the cursor, exportCsv() writes
    /// them, and trajectories show their last point's label on the plot (setShowLabelsOnPlot).
    /// Unknown ids are ignored; an empty vector removes the labels.
    void setPointLabels(const std::string& seriesId, const std::vector<std::string>& labels);
    /// The labels of a series (empty for unknown ids or a series without labels).
    const std::vector<std::string>& pointLabels(const std::string& seriesId) const;
    /// Whether each trajectory series shows the label of its last point as text next to it
    /// (on by default; the text is in PNG/SVG exports too). Takes effect at once.
    void setShowLabelsOnPlot(bool show);
    bool showLabelsOnPlot() const { return showLabelsOnPlot_; }
    /// Smoothing of the panel's lines of appended points (smoothable() in plot_smoothing.h)
    /// with TensorBoard's debiased exponential moving average of weight `w` (smoothing.h),
    /// clamped to [0, 0.999]; 0 turns it off. Each such series is drawn smoothed in its colour
    /// with its raw points as a faint, thinner line behind (not in the legend), both decimated
    /// alike; the hover shows both values and exportCsv() adds a "smoothed" column. Values are
    /// averaged as they are, also on a log axis (as TensorBoard does). Takes effect at once;
    /// appended points are smoothed as they arrive, without redoing the series.
    void setSmoothing(double w);
    double smoothing() const { return smoothing_; }

    /// Pushes changed data to the plot (decimated for display) and queues a replot.
    void refresh();
    /// Forgets the user's zoom/pan and rescales the axes to the data.
    void resetView();

    /// Renders the plot to a PNG of width×height logical pixels (×scale device pixels, written
    /// with 96·scale DPI). Written through a temporary file. False with `error` set on failure.
    bool exportPng(const QString& path, int width = 1200, int height = 800, double scale = 1.0,
                   QString* error = nullptr) const;
    /// Renders the plot as SVG (vector) of width×height. Written through a temporary file.
    bool exportSvg(const QString& path, int width = 1200, int height = 800,
                   QString* error = nullptr) const;
    /// Writes every stored point as CSV in long format: header "series,x,y", one row per point,
    /// series in the order they were added, values with 9 significant digits. When any series
    /// has point labels, the header is "series,x,y,label" and every row has a fourth field,
    /// quoted ("" inside doubled; empty for points without a label). When the panel has a
    /// heatmap, a "z" column follows "y": one row "id,x,y,z" per cell (y outer, x inner, as in
    /// Grid), and the rows of the other series leave z empty. With smoothing on (setSmoothing)
    /// and a smoothed series in the panel, a "smoothed" column follows "y" (before z and
    /// label): the smoothed value of each point of a smoothed series, empty for other rows.
    bool exportCsv(const QString& path, QString* error = nullptr) const;

    /// Stored points of a series (cells of a heatmap's grid; 0 for unknown ids).
    std::size_t pointCount(const std::string& seriesId) const;
    /// Points (heatmaps: cells) handed to QCustomPlot for display at the last refresh (0 for
    /// unknown ids).
    std::size_t displayedPointCount(const std::string& seriesId) const;

    QCustomPlot* plot() const { return plot_; }
    /// The colour map of a Heatmap series, else null.
    QCPColorMap* colorMapOf(const std::string& seriesId) const;
    /// The colour scale of the panel's heatmaps (null while it has none).
    QCPColorScale* colorScale() const { return colorScale_; }
    /// The curve of a trajectory series (or of a line whose x goes back and forth), else null.
    QCPCurve* curveOf(const std::string& seriesId) const;
    /// The arrow on the last segment of a trajectory series (hidden below two points), else null.
    QCPItemLine* trajectoryArrow(const std::string& seriesId) const;
    /// The start marker of a trajectory series (hidden when it has no points), else null.
    QCPItemTracer* trajectoryStart(const std::string& seriesId) const;
    /// The on-plot text with the last point's label of a trajectory series, else null.
    QCPItemText* lastPointLabel(const std::string& seriesId) const;
    /// The text of the hover tooltip last shown (empty while no point is hovered).
    QString hoverText() const;

    /// Hides or shows a series (as a click on its legend entry does): a hidden series stays
    /// stored and listed (faded), is left out of autoscaling, hover and PNG/SVG exports (the
    /// CSV keeps every stored point) and stays hidden across refreshes. Unknown ids are ignored.
    void setSeriesVisible(const std::string& seriesId, bool visible);
    bool seriesVisible(const std::string& seriesId) const;
    int hiddenSeriesCount() const;
    void showAllSeries();
    /// Whether the scale of `axis` can be switched: x unless it shows categories or a heat
    /// map, the left y unless a heat map, the right y while it is shown.
    bool axisScaleSwitchable(PanelAxis axis) const;
    bool axisLog(PanelAxis axis) const;
    /// Makes `axis` logarithmic or linear and rescales to the data (non-positive values are
    /// left out of a log axis' display). False, and nothing changed, where it cannot switch.
    bool setAxisLog(PanelAxis axis, bool log);
    /// The share of the displayed points (lines sampled along their segments) that the legend
    /// covers, at the last layout (0 while it has no entries or sits outside the axis rect).
    double legendCoverage() const;

  signals:
    /// A left click on a plotted point: its series, its index in the series and its label.
    void pointClicked(const QString& seriesId, int index, const QString& label);

  protected:
    void changeEvent(QEvent* event) override;

  private:
    bool paintForExport(QPaintDevice* device, int w, int h, double scale,
                        bool vector) const override;
    QColor exportBackground() const override;
    QString exportTitle() const override;
    QString exportDescription() const override;

    PlotSeries* find(const std::string& id) const;
    void buildAxes();
    void addLayers();
    void ensurePlottable(PlotSeries& s);
    void ensureColorScale(const PlotSeries& first);
    QCPAbstractPlottable* createLinePlottable(PlotSeries& s, bool curve);
    void updateDisplay(PlotSeries& s);
    void updateLineDisplay(PlotSeries& s);
    void updateHeatmap(PlotSeries& s);
    void updateColorRange();
    void updateAllTrajectoryItems();
    void updateAllDisplays(bool force);
    void rescaleToData();
    bool fitHeatmaps();
    void applyColors();
    void syncForExport() const;
    void onXRangeChanged();
    // plot_panel_layout.cpp: text, legend and heat maps fitted to the size before each replot
    void setUpFitting();
    void fitLayout(const QSize& size) const;
    QFont titleFont() const;
    void colourAxes() const;
    void keepHeatmapsSquare() const;

    PanelSpec spec_;
    QCustomPlot* plot_ = nullptr;
    PlotInteraction* interaction_ = nullptr;
    PlotLegend* legend_ = nullptr;
    QCPColorScale* colorScale_ = nullptr;  ///< created with the first heatmap
    QTimer* redecimateTimer_ = nullptr;
    std::vector<std::unique_ptr<PlotSeries>> series_;
    std::unordered_map<std::string, std::size_t> index_;
    bool userView_ = false;  ///< the user zoomed or panned since the last reset
    bool updating_ = false;  ///< suppresses range-change handling during our own updates
    bool dirty_ = false;     ///< some series changed since the last refresh
    bool showLabelsOnPlot_ = true;
    double smoothing_ = 0;  ///< the smoothing weight, 0 = off
};

}  // namespace trainlab
