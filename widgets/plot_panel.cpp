#include "plot_panel.h"

#include <qcustomplot.h>
#include <QEvent>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "heatmap_layer.h"
#include "palette.h"
#include "plot_extras.h"
#include "plot_interaction.h"
#include "plot_series.h"

namespace trainlab {

namespace {

constexpr int kMinDecimationWidthPx = 1000;  // exports are wider than most panels on screen
constexpr double kTrajectoryMarkerPx = 7;

const std::vector<std::string> kNoLabels;

/// Leaves a margin of `fraction` of the range above and below the data (in decades on log
/// axes; a tenth of the value, or 0.1, around a single one).
void padAxis(QCPAxis* axis, double fraction) {
    QCPRange r = axis->range();
    if (axis->scaleType() == QCPAxis::stLogarithmic) {
        if (r.lower <= 0) return;
        const double f = std::pow(r.upper / r.lower, fraction);
        const double g = std::max(f, 1.1);
        axis->setRange(r.lower / g, r.upper * g);
    } else {
        const double d =
            r.size() > 0 ? r.size() * fraction : std::max(std::abs(r.lower), 1.0) * 0.1;
        axis->setRange(r.lower - d, r.upper + d);
    }
}

}  // namespace

PlotPanel::PlotPanel(const PanelSpec& spec, QWidget* parent) : QWidget(parent), spec_(spec) {
    setObjectName(QString::fromStdString("plotPanel_" + spec.id));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    plot_ = new QCustomPlot(this);
    plot_->setMinimumSize(240, 160);
    layout->addWidget(plot_);
    if (!spec_.title.empty()) {
        plot_->plotLayout()->insertRow(0);
        QFont titleFont = font();
        titleFont.setPointSizeF(titleFont.pointSizeF() + 1.5);
        titleFont.setBold(true);
        auto* title = new QCPTextElement(plot_, QString::fromStdString(spec_.title), titleFont);
        title->setObjectName(QStringLiteral("title"));
        plot_->plotLayout()->addElement(0, 0, title);
    }
    buildAxes();
    plot_->legend->setVisible(false);  // shown once there is a series
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    plot_->legend->setIconSize(28, 12);
    plot_->legend->setMargins(QMargins(8, 5, 8, 6));

    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->axisRect()->setRangeDragAxes({plot_->xAxis}, {plot_->yAxis, plot_->yAxis2});
    plot_->axisRect()->setRangeZoomAxes({plot_->xAxis}, {plot_->yAxis, plot_->yAxis2});
    plot_->setNoAntialiasingOnDrag(true);
    addLayers();
    setUpFitting();

    redecimateTimer_ = new QTimer(this);
    redecimateTimer_->setSingleShot(true);
    redecimateTimer_->setInterval(30);
    connect(redecimateTimer_, &QTimer::timeout, this, [this] {
        updating_ = true;
        updateAllDisplays(true);
        updating_ = false;
        plot_->replot(QCustomPlot::rpQueuedReplot);
    });
    connect(plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            [this] { onXRangeChanged(); });
    connect(interaction_, &PlotInteraction::viewTaken, this, [this] { userView_ = true; });
    connect(interaction_, &PlotInteraction::pointClicked, this, &PlotPanel::pointClicked);
    applyColors();
}

PlotPanel::~PlotPanel() = default;

void PlotPanel::buildAxes() {
    configureAxis(plot_->xAxis, spec_.xLabel, spec_.logX, font());
    if (!spec_.xTickLabels.empty()) {
        auto ticker = QSharedPointer<QCPAxisTickerText>::create();
        for (size_t i = 0; i < spec_.xTickLabels.size(); ++i)
            ticker->addTick(static_cast<double>(i), QString::fromStdString(spec_.xTickLabels[i]));
        plot_->xAxis->setTicker(ticker);
        plot_->xAxis->setTickLabelRotation(spec_.xTickLabels.size() > 5 ? 35 : 0);
    } else if (spec_.integerX && !spec_.logX) {
        auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
        ticker->setTickStep(1.0);
        ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);  // 1, 2, 5, 10… epochs
        plot_->xAxis->setTicker(ticker);
    }
    configureAxis(plot_->yAxis, spec_.yLabel, spec_.logY, font());
    configureAxis(plot_->yAxis2, spec_.y2Label, spec_.logY2, font());
    plot_->yAxis2->setVisible(!spec_.y2Label.empty());
}

void PlotPanel::addLayers() {
    // arrowheads of trajectories under the markers, so that the last point stays visible
    plot_->addLayer(QStringLiteral("arrows"), plot_->layer(QStringLiteral("main")),
                    QCustomPlot::limBelow);
    // heatmaps under every line, marker and arrow
    plot_->addLayer(QStringLiteral("maps"), plot_->layer(QStringLiteral("arrows")),
                    QCustomPlot::limBelow);
    // the hover marker above everything
    interaction_ = new PlotInteraction(this, plot_, series_);
}

void PlotPanel::applyColors() {
    const QPalette pal = palette();
    const QColor bg = pal.color(QPalette::Base);
    const QColor fg = pal.color(QPalette::Text);
    QColor grid = fg;
    grid.setAlpha(45);
    QColor subGrid = fg;
    subGrid.setAlpha(20);
    plot_->setBackground(bg);
    QList<QCPAxis*> axes = plot_->axisRect()->axes();
    if (colorScale_) axes << colorScale_->axis();
    for (QCPAxis* axis : axes) {
        axis->setBasePen(QPen(fg, 1));
        axis->setTickPen(QPen(fg, 1));
        axis->setSubTickPen(QPen(fg, 1));
        axis->setTickLabelColor(fg);
        axis->setLabelColor(fg);
        axis->grid()->setPen(QPen(grid, 1, Qt::SolidLine));
        axis->grid()->setSubGridPen(QPen(subGrid, 1, Qt::SolidLine));
        axis->grid()->setZeroLinePen(QPen(grid, 1, Qt::SolidLine));
    }
    QColor legendBg = bg;
    legendBg.setAlpha(215);
    QColor legendBorder = fg;
    legendBorder.setAlpha(70);
    plot_->legend->setBrush(legendBg);
    plot_->legend->setBorderPen(QPen(legendBorder, 1));
    plot_->legend->setTextColor(fg);
    if (auto* title = plot_->findChild<QCPTextElement*>(QStringLiteral("title")))
        title->setTextColor(fg);
    interaction_->tracer()->setPen(QPen(fg, 1.5));
    for (auto& s : series_)
        if (s->trajectory) s->trajectory->style(pal, seriesColor(s->spec.color));
}

void PlotPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
        applyColors();
        plot_->replot(QCustomPlot::rpQueuedReplot);
    }
    QWidget::changeEvent(event);
}

PlotSeries* PlotPanel::find(const std::string& id) const {
    const auto it = index_.find(id);
    return it == index_.end() ? nullptr : series_[it->second].get();
}

void PlotPanel::addSeries(const SeriesSpec& s) {
    if (find(s.id)) return;
    auto data = std::make_unique<PlotSeries>();
    data->spec = s;
    if (s.rightAxis) {
        plot_->yAxis2->setVisible(true);
        if (plot_->yAxis2->label().isEmpty())
            plot_->yAxis2->setLabel(QString::fromStdString(spec_.y2Label));
    }
    index_.emplace(s.id, series_.size());
    series_.push_back(std::move(data));
    ensurePlottable(*series_.back());
    plot_->legend->setVisible(plot_->legend->itemCount() > 0);  // heatmaps are not listed
}

void PlotPanel::ensureColorScale(const PlotSeries& first) {
    if (colorScale_) return;
    const std::string& label = !spec_.y2Label.empty()     ? spec_.y2Label
                               : !first.spec.name.empty() ? first.spec.name
                                                          : first.spec.id;
    colorScale_ = addColorScale(plot_, label, spec_.logY2, font());
    // y2Label names the colour scale: the right axis only shows for right-axis series
    plot_->yAxis2->setVisible(std::any_of(series_.begin(), series_.end(),
                                          [](const auto& d) { return d->spec.rightAxis; }));
    applyColors();
}

void PlotPanel::ensurePlottable(PlotSeries& s) {
    if (s.heatmap()) {
        if (s.map) return;
        ensureColorScale(s);
        s.map = addColorMap(plot_, colorScale_, QString::fromStdString(s.spec.name));
        s.changed = true;
        return;
    }
    const bool trajectory = s.spec.style == SeriesStyle::Trajectory;
    const bool wantCurve =
        trajectory || (s.spec.style == SeriesStyle::Line && !s.points.monotonic());
    if (s.plottable() && (s.curve != nullptr) == wantCurve) return;

    int legendRow = -1;
    if (QCPAbstractPlottable* old = s.plottable()) {
        // keep the legend order: remember where the old entry was
        for (int i = 0; i < plot_->legend->itemCount(); ++i)
            if (auto* item = qobject_cast<QCPPlottableLegendItem*>(plot_->legend->item(i)))
                if (item->plottable() == old) legendRow = i;
        plot_->removePlottable(old);
        s.graph = nullptr;
        s.curve = nullptr;
    }
    QCPAbstractPlottable* p = createLinePlottable(s, wantCurve);
    if (trajectory && !s.trajectory) {
        // Created once; the curve of a trajectory is never swapped for a graph.
        s.trajectory =
            std::make_unique<TrajectoryItems>(plot_, valueAxisOf(plot_, s.spec), font());
        s.trajectory->style(palette(), seriesColor(s.spec.color));
    }
    if (legendRow >= 0) {
        // move the new entry (added last) back to where the old one was
        QCPAbstractLegendItem* item = plot_->legend->itemWithPlottable(p);
        if (item && plot_->legend->take(item)) {
            plot_->legend->insertRow(legendRow);
            plot_->legend->addElement(legendRow, 0, item);
            plot_->legend->simplify();
        }
    }
    s.changed = true;
}

QCPAbstractPlottable* PlotPanel::createLinePlottable(PlotSeries& s, bool curve) {
    QCPAxis* valueAxis = valueAxisOf(plot_, s.spec);
    QCPAbstractPlottable* p = nullptr;
    if (curve)
        p = s.curve = new QCPCurve(plot_->xAxis, valueAxis);
    else
        p = s.graph = new PiecewiseLineGraph(plot_->xAxis, valueAxis);
    p->setName(QString::fromStdString(s.spec.name));
    const QColor color = seriesColor(s.spec.color);
    QPen pen(color, s.spec.color < 0 ? 1.6 : 2.0);
    pen.setCapStyle(Qt::FlatCap);
    if (s.spec.dashed) pen.setStyle(Qt::DashLine);
    p->setPen(pen);
    p->setVisible(!s.hidden);  // a replaced plottable stays hidden
    if (s.spec.style == SeriesStyle::Scatter) {
        QCPScatterStyle scatter(QCPScatterStyle::ssDisc, color, color, 5);
        if (s.graph) {
            s.graph->setLineStyle(QCPGraph::lsNone);
            s.graph->setScatterStyle(scatter);
        } else {
            s.curve->setLineStyle(QCPCurve::lsNone);
            s.curve->setScatterStyle(scatter);
        }
    } else if (s.spec.style == SeriesStyle::Trajectory) {
        s.curve->setLineStyle(QCPCurve::lsLine);
        QPen markerPen(color, 1.2);
        s.curve->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, markerPen, color, kTrajectoryMarkerPx));
    } else if (s.curve) {
        s.curve->setLineStyle(QCPCurve::lsLine);
    }
    return p;
}

bool PlotPanel::hasSeries(const std::string& id) const {
    return find(id) != nullptr;
}

void PlotPanel::setPointLabels(const std::string& seriesId,
                               const std::vector<std::string>& labels) {
    PlotSeries* s = find(seriesId);
    if (!s) return;
    s->labels = labels;
    s->changed = true;
    dirty_ = true;
}

const std::vector<std::string>& PlotPanel::pointLabels(const std::string& seriesId) const {
    const PlotSeries* s = find(seriesId);
    return s ? s->labels : kNoLabels;
}

void PlotPanel::setShowLabelsOnPlot(bool show) {
    if (show == showLabelsOnPlot_) return;
    showLabelsOnPlot_ = show;
    for (auto& s : series_)
        if (s->trajectory) s->trajectory->update(s->curve, s->labels, showLabelsOnPlot_);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

QCPCurve* PlotPanel::curveOf(const std::string& seriesId) const {
    const PlotSeries* s = find(seriesId);
    return s ? s->curve : nullptr;
}

QCPItemLine* PlotPanel::trajectoryArrow(const std::string& seriesId) const {
    const PlotSeries* s = find(seriesId);
    return s && s->trajectory ? s->trajectory->arrow : nullptr;
}

QCPItemTracer* PlotPanel::trajectoryStart(const std::string& seriesId) const {
    const PlotSeries* s = find(seriesId);
    return s && s->trajectory ? s->trajectory->start : nullptr;
}

QCPItemText* PlotPanel::lastPointLabel(const std::string& seriesId) const {
    const PlotSeries* s = find(seriesId);
    return s && s->trajectory ? s->trajectory->label : nullptr;
}

QString PlotPanel::hoverText() const {
    return interaction_->hoverText();
}

void PlotPanel::appendPoints(const std::string& seriesId, const std::vector<double>& x,
                             const std::vector<double>& y) {
    PlotSeries* s = find(seriesId);
    if (!s || s->heatmap() || std::min(x.size(), y.size()) == 0) return;
    s->points.append(x, y);
    s->changed = true;
    dirty_ = true;
}

void PlotPanel::replaceSeries(const std::string& seriesId, const std::vector<double>& x,
                              const std::vector<double>& y) {
    PlotSeries* s = find(seriesId);
    if (!s || s->heatmap()) return;
    s->points.replace(x, y);
    if (s->smoothing) s->smoothing->values.clear();  // smoothed anew at the next update
    s->changed = true;
    dirty_ = true;
}

bool PlotPanel::setGrid(const std::string& seriesId, const Grid& grid) {
    PlotSeries* s = find(seriesId);
    if (!s || !s->heatmap() || !gridFault(grid).empty()) return false;
    s->grid = grid;
    s->changed = true;
    dirty_ = true;
    return true;
}

QCPColorMap* PlotPanel::colorMapOf(const std::string& seriesId) const {
    const PlotSeries* s = find(seriesId);
    return s ? s->map : nullptr;
}

std::size_t PlotPanel::pointCount(const std::string& seriesId) const {
    const PlotSeries* s = find(seriesId);
    if (!s) return 0;
    return s->heatmap() ? s->grid.z.size() : s->points.size();
}

std::size_t PlotPanel::displayedPointCount(const std::string& seriesId) const {
    const PlotSeries* s = find(seriesId);
    return s ? s->displayed : 0;
}

void PlotPanel::updateHeatmap(PlotSeries& s) {
    s.rangeLimited = false;
    const HeatmapCells shown = showGrid(s.map, s.grid, spec_.logY2);
    s.displayed = shown.cells;
    if (shown.cells == 0) return;
    s.extentX = shown.extentX;
    s.extentY = shown.extentY;
}

void PlotPanel::updateColorRange() {
    if (!colorScale_) return;
    std::vector<const Grid*> grids;
    for (const auto& s : series_)
        if (s->heatmap()) grids.push_back(&s->grid);
    colorScale_->setDataRange(colorRange(grids, spec_.logY2));
}

void PlotPanel::updateDisplay(PlotSeries& s) {
    ensurePlottable(s);
    if (s.map) {
        updateHeatmap(s);
        return;
    }
    s.rangeLimited = false;
    syncSmoothing(plot_, s, smoothing_);
    const AxisScales scales = scalesOf(plot_, s.spec);
    const std::vector<double>& xs = s.points.x();
    const std::vector<double>& ys = s.points.y();
    if (s.curve) {
        QVector<QCPCurveData> data;
        data.reserve(static_cast<int>(xs.size()));
        for (std::size_t i : s.points.shownIndices(scales))
            data.push_back(QCPCurveData(static_cast<double>(i), xs[i], ys[i]));
        s.displayed = static_cast<std::size_t>(data.size());
        s.curve->data()->set(data, true);
        return;
    }
    updateLineDisplay(s);
}

void PlotPanel::updateLineDisplay(PlotSeries& s) {
    const int widthPx = std::max(plot_->axisRect()->width(), kMinDecimationWidthPx);
    const std::size_t threshold = 4 * static_cast<std::size_t>(widthPx);
    LineView view;
    view.scales = scalesOf(plot_, s.spec);
    view.decimate =
        s.spec.style == SeriesStyle::Line && s.points.monotonic() && s.points.size() > threshold;
    // Min/max per pixel bucket over the visible x range (the whole data unless the user has
    // zoomed): spikes stay visible.
    const XRange visible{plot_->xAxis->range().lower, plot_->xAxis->range().upper};
    view.buckets = 2 * widthPx;
    view.range = userView_ ? &visible : nullptr;
    s.rangeLimited = view.decimate;
    if (s.smoothing) {  // the smoothed line in the series' graph, the raw points faint behind
        showOnGraph(s.smoothing->raw, s.points, view);
        s.displayed = showOnGraph(s.graph, s.smoothing->values.store(), view);
    } else {
        s.displayed = showOnGraph(s.graph, s.points, view);
    }
}

void PlotPanel::updateAllDisplays(bool force) {
    bool heatmapChanged = false;
    for (auto& s : series_) {
        // Forced (a zoom, a pan, a reset): every series whose display depends on the range,
        // including one decimated over its whole range before the user zoomed in.
        if (s->changed || (force && (s->rangeLimited || !userView_))) {
            updateDisplay(*s);
            s->changed = false;
            if (s->map) heatmapChanged = true;
        }
    }
    if (heatmapChanged) updateColorRange();
    dirty_ = false;
}

bool PlotPanel::fitHeatmaps() {
    // Heatmaps: exactly their cells (and whatever lies outside them), no margin.
    bool heatmap = false;
    QCPRange hx;
    QCPRange hy;
    for (const auto& s : series_) {
        if (!s->map || s->displayed == 0) continue;
        hx = heatmap ? QCPRange(std::min(hx.lower, s->extentX.lower),
                                std::max(hx.upper, s->extentX.upper))
                     : s->extentX;
        hy = heatmap ? QCPRange(std::min(hy.lower, s->extentY.lower),
                                std::max(hy.upper, s->extentY.upper))
                     : s->extentY;
        heatmap = true;
    }
    if (!heatmap) return false;
    QCPRange rx = plot_->xAxis->range();
    QCPRange ry = plot_->yAxis->range();
    rx.expand(hx);
    ry.expand(hy);
    plot_->xAxis->setRange(rx);
    plot_->yAxis->setRange(ry);
    return true;
}

void PlotPanel::rescaleToData() {
    const bool anyData = std::any_of(series_.begin(), series_.end(),
                                     [](const auto& s) { return s->displayed > 0; });
    if (!anyData) return;
    plot_->rescaleAxes(true);  // hidden series do not count
    if (fitHeatmaps()) return;
    bool scatter = false;
    bool trajectory = false;
    for (const auto& s : series_) {
        if (s->spec.style == SeriesStyle::Scatter || s->curve) scatter = true;
        if (s->spec.style == SeriesStyle::Trajectory && s->displayed > 0) trajectory = true;
    }
    // trajectories: room for the start markers, arrowheads and the labels of the last points
    const double yPad = trajectory ? 0.1 : 0.06;
    padAxis(plot_->yAxis, yPad);
    if (plot_->yAxis2->visible()) padAxis(plot_->yAxis2, yPad);
    if (scatter || plot_->xAxis->range().size() <= 0)
        padAxis(plot_->xAxis, trajectory ? 0.08 : 0.04);
}

void PlotPanel::updateAllTrajectoryItems() {
    for (auto& s : series_)  // the legend keeps out of their way when it is placed (fitLayout)
        if (s->trajectory) s->trajectory->update(s->curve, s->labels, showLabelsOnPlot_);
}

void PlotPanel::refresh() {
    updating_ = true;
    if (dirty_) updateAllDisplays(false);
    if (!userView_) rescaleToData();
    updateAllTrajectoryItems();
    updating_ = false;
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void PlotPanel::resetView() {
    userView_ = false;
    updating_ = true;
    updateAllDisplays(true);
    rescaleToData();
    updateAllTrajectoryItems();
    updating_ = false;
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void PlotPanel::onXRangeChanged() {
    if (updating_) return;
    for (const auto& s : series_)
        if (s->rangeLimited) {  // decimated: the new range needs its own min/max buckets
            redecimateTimer_->start();
            return;
        }
}

void PlotPanel::syncForExport() const {
    // Exports show every point given so far, even if the owner has not refreshed yet.
    if (dirty_) const_cast<PlotPanel*>(this)->refresh();
}

}  // namespace trainlab
