// The mouse on a plot panel: hover (a marker on the nearest stored point or heatmap cell and a
// tooltip), clicks on points, wheel and drag (which take the view from automatic scaling),
// double-click (back to it) and the context menu (exports, reset view, axis scales).
#pragma once

#include <QObject>
#include <QPointF>
#include <QString>
#include <cstddef>

#include "plot_series.h"

class QMenu;
class QMouseEvent;

namespace trainlab {

class PlotPanel;

/// Contract: GUI thread only; lives as long as its panel (a child of it). Reads the panel's
/// series list; changes nothing of the panel but through its public API and the signals.
class PlotInteraction : public QObject {
    Q_OBJECT
  public:
    PlotInteraction(PlotPanel* panel, QCustomPlot* plot, const PlotSeriesList& series);

    /// The hover marker (on the "hover" layer).
    QCPItemTracer* tracer() const { return tracer_; }
    /// The text of the hover tooltip last shown (empty while no point is hovered).
    QString hoverText() const { return hoverText_; }
    void hideHover();
    /// The entries of the panel's context menu: exports, reset view, the axes' log/linear
    /// switches and "Show all series" (axis_menu.h).
    void populateContextMenu(QMenu& menu);
    /// The stored point nearest to `pos` (widget pixels) within the hover radius.
    bool nearestPoint(const QPointF& pos, const PlotSeries** best, std::size_t* index) const;
    /// The heatmap cell under `pos` (widget pixels): its series and grid indices.
    bool cellAt(const QPointF& pos, const PlotSeries** best, std::size_t* ix,
                std::size_t* iy) const;

  signals:
    /// The user zoomed (wheel) or panned (drag): the view is theirs now.
    void viewTaken();
    /// A left click on a plotted point: its series, its index in the series and its label.
    void pointClicked(const QString& seriesId, int index, const QString& label);

  protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

  private:
    void onMouseMove(QMouseEvent* event);
    void onMousePress(QMouseEvent* event);
    void showTracer(double x, double y, QCPAxis* valueAxis, const QPen& pen, const QBrush& brush);
    QString pointText(const PlotSeries& s, std::size_t i) const;
    QString cellText(const PlotSeries& s, std::size_t ix, std::size_t iy) const;
    void showContextMenu(const QPoint& pos);

    PlotPanel* panel_;
    QCustomPlot* plot_;
    const PlotSeriesList& series_;
    QCPItemTracer* tracer_ = nullptr;
    QString hoverText_;
};

}  // namespace trainlab
