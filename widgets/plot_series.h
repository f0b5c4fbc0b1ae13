// What a PlotPanel keeps per series: the stored points (SeriesStore) or grid, the labels and
// the QCustomPlot objects that draw them. Internal to the plot panel's parts.
#pragma once

#include <qcustomplot.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "plot_layout.h"
#include "plot_smoothing.h"
#include "series_data.h"
#include "series_store.h"
#include "trajectory_items.h"

namespace trainlab {

struct PlotSeries {
    SeriesSpec spec;
    SeriesStore points;               ///< every point (not for heatmaps)
    std::vector<std::string> labels;  ///< per-point labels (label i of point i), maybe fewer
    bool changed = false;             ///< the display is out of date
    bool hidden = false;              ///< hidden by the user (legend click): not drawn
    /// The display depends on the visible x range: decimated, over the whole range or a zoom.
    bool rangeLimited = false;
    std::size_t displayed = 0;  ///< points (cells) handed to QCustomPlot at the last update
    QCPGraph* graph = nullptr;  ///< lines with increasing x, and scatter
    QCPCurve* curve = nullptr;  ///< lines whose x goes back and forth (trajectories)
    QCPColorMap* map = nullptr;  ///< heatmaps
    Grid grid;                   ///< heatmaps: the data
    QCPRange extentX, extentY;   ///< heatmaps: the drawn cells' outer edges
    std::unique_ptr<TrajectoryItems> trajectory;  ///< trajectories: start, arrow, last label
    /// smoothed lines (PlotPanel::setSmoothing): the smoothed values and the faint raw graph
    std::unique_ptr<SeriesSmoothing> smoothing;

    QCPAbstractPlottable* plottable() const {
        if (graph) return graph;
        if (curve) return curve;
        return map;
    }
    bool heatmap() const { return spec.style == SeriesStyle::Heatmap; }
};

using PlotSeriesList = std::vector<std::unique_ptr<PlotSeries>>;

/// The value axis of a series on `plot`: the right one for rightAxis series, else the left.
inline QCPAxis* valueAxisOf(const QCustomPlot* plot, const SeriesSpec& s) {
    return s.rightAxis ? plot->yAxis2 : plot->yAxis;
}

/// The scales of the axes a series is drawn on.
inline AxisScales scalesOf(const QCustomPlot* plot, const SeriesSpec& s) {
    return {plot->xAxis->scaleType() == QCPAxis::stLogarithmic,
            valueAxisOf(plot, s)->scaleType() == QCPAxis::stLogarithmic};
}

}  // namespace trainlab
