// The items that show where a trajectory starts, where it is heading and what its last point
// is (the legend keeps out of their way: plot_legend.h).
#pragma once

#include <QFont>
#include <QPalette>
#include <memory>
#include <string>
#include <vector>

class QColor;
class QCPAxis;
class QCPCurve;
class QCPItemLine;
class QCPItemText;
class QCPItemTracer;
class QCustomPlot;

namespace trainlab {

/// A hollow square on the first point, an arrowhead on the last segment (on the "arrows"
/// layer, under the markers) and a box with the last point's label. The items belong to the
/// plot; this only points at them.
struct TrajectoryItems {
    /// Creates the (hidden) items of a series drawn on plot->xAxis and `valueAxis`, the label
    /// in a font 1 pt smaller than `font`.
    TrajectoryItems(QCustomPlot* plot, QCPAxis* valueAxis, const QFont& font);

    /// Colours: the series' `color`, the palette's base and text.
    void style(const QPalette& pal, const QColor& color);
    /// Places the items on the ends of `curve`'s data (shown as the curve is); the label text
    /// is labels[t] of the last point t, shown when `showLabel` and it is not empty. The text
    /// sits on the side of the point facing the middle of the plot.
    void update(const QCPCurve* curve, const std::vector<std::string>& labels, bool showLabel);

    QCPItemLine* arrow = nullptr;  ///< the last segment; its end also anchors `label`
    QCPItemTracer* start = nullptr;
    QCPItemText* label = nullptr;
};

}  // namespace trainlab
