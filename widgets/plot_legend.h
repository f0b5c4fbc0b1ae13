// The legend of a plot panel: never over the data. It sits in the emptiest corner of the axis
// rect while that corner holds at most a sliver of the plotted points (in a smaller font if
// that is what it takes), else below the axis rect, wrapped into as many columns as fit and
// shrunk when it would take too much of the height. Clicking an entry hides or shows its
// series; hidden series stay listed, faded.
#pragma once

#include <QFont>
#include <QObject>
#include <QRectF>

#include "plot_series.h"

namespace trainlab {

class PlotPanel;

/// Contract: GUI thread only; a child of its panel. Reads the panel's series list and sets
/// PlotSeries::hidden and the plottables' visibility; the panel rescales on toggled().
class PlotLegend : public QObject {
    Q_OBJECT
  public:
    /// The largest share of the plotted points the legend may cover inside the axis rect.
    static constexpr double kSliver = 0.01;

    PlotLegend(PlotPanel* panel, QCustomPlot* plot, PlotSeriesList& series);

    /// Lists the series in their order (faded when hidden) and places the legend for the
    /// plot's current viewport, in `baseFont` or smaller. Lays the plot out (layoutNow).
    void fit(const QFont& baseFont);
    /// Whether the legend is below the axis rect (else inside it, or hidden).
    bool outside() const;
    /// Hides or shows a series (its plottable, its legend entry faded); emits toggled().
    void setHidden(PlotSeries& s, bool hidden);

    /// The share of the displayed points of the visible series of `plot` (their lines sampled
    /// every few pixels; heat maps count as covering everything) that lie inside `rect`
    /// (widget pixels); 0 when nothing is displayed.
    static double coverage(const QCustomPlot* plot, const PlotSeriesList& series,
                           const QRectF& rect);

  signals:
    /// A series was hidden or shown (from a click on its entry or setHidden).
    void toggled(const QString& seriesId, bool visible);

  private:
    void syncItems();
    void moveInside(Qt::Alignment corner);
    void moveBelow(const QFont& font);
    bool placeInside();
    void onClick(QCPAbstractLegendItem* item);

    PlotPanel* panel_;
    QCustomPlot* plot_;
    PlotSeriesList& series_;
};

}  // namespace trainlab
