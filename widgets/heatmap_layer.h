// The heatmap layer of a plot panel: grids (series_data.h) drawn as QCPColorMaps under the
// lines and markers, sharing one viridis colour scale on the right of the axis rect.
#pragma once

#include <qcustomplot.h>

#include <cstddef>
#include <string>
#include <vector>

#include "series_data.h"

namespace trainlab {

/// Matplotlib's viridis (perceptually uniform, colour-blind safe), at 11 stops; NaN cells
/// transparent.
QCPColorGradient viridisGradient();

/// The index of the value of `v` (increasing, not empty) nearest to `c`.
std::size_t nearestIndex(const std::vector<double>& v, double c);

/// Adds the colour scale of a panel's heatmaps next to its axis rect (below the title, if
/// any), viridis, not draggable, its axis' label and scale (log or linear) as given, the axis
/// rect and the scale aligned at top and bottom.
QCPColorScale* addColorScale(QCustomPlot* plot, const std::string& label, bool log,
                             const QFont& font);

/// Adds a colour map named `name` on the "maps" layer of `plot`, not in the legend, sharing
/// `scale`'s gradient, range and scale type.
QCPColorMap* addColorMap(QCustomPlot* plot, QCPColorScale* scale, const QString& name);

/// What a colour map shows after showGrid(): its number of display cells and their outer
/// edges.
struct HeatmapCells {
    std::size_t cells = 0;
    QCPRange extentX;
    QCPRange extentY;
};

/// Puts `grid` into `map`: evenly spaced axes as they are, others resampled to nearest grid
/// values on an even grid of up to 2000 cells an axis; non-finite values (and non-positive
/// ones when `logZ`) become transparent gaps. An empty grid clears the map.
HeatmapCells showGrid(QCPColorMap* map, const Grid& grid, bool logZ);

/// The colour range spanning the finite values (positive ones when `logZ`) of `grids`; a
/// default range (0..1, log 1..10) when there are none, widened around a single value.
QCPRange colorRange(const std::vector<const Grid*>& grids, bool logZ);

}  // namespace trainlab
