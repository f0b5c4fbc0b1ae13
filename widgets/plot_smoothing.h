// The smoothing display of a plot panel's line series (PlotPanel::setSmoothing): the series'
// own graph shows the smoothed values (series_store/smoothing.h) and a faint graph behind it
// the raw ones, both decimated alike. Internal to the plot panel's parts.
#pragma once

#include <cstddef>

#include "series_store.h"
#include "smoothing.h"

class QCPGraph;
class QCustomPlot;

namespace trainlab {

struct PlotSeries;

/// What a smoothed series keeps besides its raw points.
struct SeriesSmoothing {
    SmoothedSeries values;    ///< x and the smoothed y, following the raw points
    QCPGraph* raw = nullptr;  ///< the faint raw graph (owned by the plot; not in the legend)
};

/// Whether smoothing applies to a series: lines of appended points (curves over training time,
/// such as losses) whose x never goes back. Replace series (a prediction over x, a target, a
/// spectrum, the loss along a line) are results whose shape is the point, and an average along
/// x would shift them; markers, trajectories and heatmaps are not lines.
bool smoothable(const PlotSeries& s);

/// Brings the smoothing of `s` in line with `weight` before its display is updated: off (and
/// the raw graph removed) when the weight is 0 or the series is not smoothable; else the raw
/// graph made (again, if the series' graph was replaced) and the smoothed values caught up
/// with the raw points (only the new ones are smoothed).
void syncSmoothing(QCustomPlot* plot, PlotSeries& s, double weight);

/// The smoothed value of point i of `s` in *value: false while `s` is not smoothed or point i
/// is not smoothed yet (points appended since the last display update).
bool smoothedValue(const PlotSeries& s, std::size_t i, double* value);

/// How a line graph shows a store: its axes' scales and, when decimated, the number of min/max
/// buckets and the x range (null: the whole data).
struct LineView {
    AxisScales scales;
    bool decimate = false;
    int buckets = 0;
    const XRange* range = nullptr;
};

/// Hands the points of `store` that `view` shows (all shown ones, or the decimation's) to
/// `graph`; returns how many.
std::size_t showOnGraph(QCPGraph* graph, SeriesStore& store, const LineView& view);

}  // namespace trainlab
