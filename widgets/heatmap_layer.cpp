#include "heatmap_layer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "plot_extras.h"

namespace trainlab {

namespace {

/// How one grid axis is shown: `cells` evenly spaced cell centres from `lo` to `hi`, display
/// cell j showing grid index index[j]. Evenly spaced grids are shown as they are; others are
/// resampled to the nearest grid value.
struct DisplayAxis {
    int cells = 0;
    double lo = 0;
    double hi = 0;
    std::vector<std::size_t> index;
    /// The cells' outer edges (half a display cell beyond the first and last centre).
    QCPRange extent() const {
        const double half = cells > 1 ? 0.5 * (hi - lo) / (cells - 1) : 0.5;
        return QCPRange(lo - half, hi + half);
    }
};

DisplayAxis displayAxis(const std::vector<double>& v) {
    DisplayAxis a;
    const std::size_t n = v.size();
    if (n == 1) {  // one column: a cell of width 1 (QCustomPlot needs two)
        a.cells = 2;
        a.lo = v[0] - 0.25;
        a.hi = v[0] + 0.25;
        a.index = {0, 0};
        return a;
    }
    a.lo = v.front();
    a.hi = v.back();
    const double span = a.hi - a.lo;
    const double step = span / static_cast<double>(n - 1);
    double minStep = span;
    bool even = true;
    for (std::size_t i = 1; i < n; ++i) {
        const double d = v[i] - v[i - 1];
        minStep = std::min(minStep, d);
        if (std::abs(d - step) > 1e-6 * step) even = false;
    }
    constexpr std::size_t kMaxCells = 2000;
    std::size_t cells = n;
    if (!even)
        cells = std::clamp<std::size_t>(
            static_cast<std::size_t>(std::min(std::ceil(span / minStep), 1e7)) + 1, n,
            std::max(n, kMaxCells));
    a.cells = static_cast<int>(cells);
    a.index.resize(cells);
    for (std::size_t j = 0; j < cells; ++j)
        a.index[j] = even ? j
                          : nearestIndex(v, a.lo + span * static_cast<double>(j) /
                                                       static_cast<double>(cells - 1));
    return a;
}

}  // namespace

QCPColorGradient viridisGradient() {
    static const char* const kStops[] = {"#440154", "#482475", "#414487", "#355f8d",
                                         "#2a788e", "#21918c", "#22a884", "#44bf70",
                                         "#7ad151", "#bddf26", "#fde725"};
    QCPColorGradient g;
    QMap<double, QColor> stops;
    for (int i = 0; i < 11; ++i) stops.insert(i / 10.0, QColor(kStops[i]));
    g.setColorStops(stops);
    g.setColorInterpolation(QCPColorGradient::ciRGB);
    g.setNanHandling(QCPColorGradient::nhTransparent);
    g.setLevelCount(256);
    return g;
}

std::size_t nearestIndex(const std::vector<double>& v, double c) {
    const auto it = std::lower_bound(v.begin(), v.end(), c);
    if (it == v.begin()) return 0;
    if (it == v.end()) return v.size() - 1;
    const std::size_t i = static_cast<std::size_t>(it - v.begin());
    return (c - v[i - 1] <= v[i] - c) ? i - 1 : i;
}

QCPColorScale* addColorScale(QCustomPlot* plot, const std::string& label, bool log,
                             const QFont& font) {
    auto* scale = new QCPColorScale(plot);
    int row = 0;
    for (int r = 0; r < plot->plotLayout()->rowCount(); ++r)
        if (plot->plotLayout()->element(r, 0) == plot->axisRect()) row = r;
    plot->plotLayout()->addElement(row, 1, scale);
    scale->setType(QCPAxis::atRight);
    scale->setBarWidth(14);
    scale->setRangeDrag(false);
    scale->setRangeZoom(false);
    scale->setGradient(viridisGradient());
    configureAxis(scale->axis(), label, log, font);
    scale->setDataScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    auto* margins = new QCPMarginGroup(plot);
    plot->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    scale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    return scale;
}

QCPColorMap* addColorMap(QCustomPlot* plot, QCPColorScale* scale, const QString& name) {
    auto* map = new QCPColorMap(plot->xAxis, plot->yAxis);
    map->setName(name);
    map->removeFromLegend();  // the colour scale says what it shows
    map->setLayer(QStringLiteral("maps"));
    map->setInterpolate(false);
    map->setTightBoundary(false);
    map->setColorScale(scale);
    map->data()->clear();
    return map;
}

HeatmapCells showGrid(QCPColorMap* map, const Grid& g, bool logZ) {
    HeatmapCells shown;
    if (g.z.empty()) {
        map->data()->clear();
        return shown;
    }
    const DisplayAxis ax = displayAxis(g.xs);
    const DisplayAxis ay = displayAxis(g.ys);
    const std::size_t nx = g.xs.size();
    auto* data =
        new QCPColorMapData(ax.cells, ay.cells, QCPRange(ax.lo, ax.hi), QCPRange(ay.lo, ay.hi));
    for (int jy = 0; jy < ay.cells; ++jy)
        for (int jx = 0; jx < ax.cells; ++jx) {
            double v = g.z[ay.index[static_cast<std::size_t>(jy)] * nx +
                           ax.index[static_cast<std::size_t>(jx)]];
            if (!std::isfinite(v) || (logZ && v <= 0))
                v = std::numeric_limits<double>::quiet_NaN();  // a transparent gap
            data->setCell(jx, jy, v);
        }
    map->setData(data);  // takes ownership
    shown.extentX = ax.extent();
    shown.extentY = ay.extent();
    shown.cells = static_cast<std::size_t>(ax.cells) * static_cast<std::size_t>(ay.cells);
    return shown;
}

QCPRange colorRange(const std::vector<const Grid*>& grids, bool logZ) {
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const Grid* g : grids)
        for (double v : g->z)
            if (std::isfinite(v) && (!logZ || v > 0)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
    if (!(lo <= hi)) {
        lo = logZ ? 1 : 0;
        hi = logZ ? 10 : 1;
    } else if (lo == hi) {
        if (logZ) {
            lo /= 2;
            hi *= 2;
        } else {
            const double d = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
            lo -= d;
            hi += d;
        }
    }
    return QCPRange(lo, hi);
}

}  // namespace trainlab
