// PlotPanel's fitting to its size (issue 16): before every replot, and before an export at the
// export's size, the axes are coloured like their series on dual-axis panels, the legend is
// placed off the data (plot_legend.h), the title, axis labels and tick labels are fitted
// (plot_fit.h), the axis rect gets room for any text that would still stick out of the widget,
// and heat maps of square grids get a square axis rect. Also the series' visibility and the
// axes' log/linear switch.
#include <qcustomplot.h>

#include <QVariant>
#include <algorithm>

#include "palette.h"
#include "plot_extras.h"
#include "plot_fit.h"
#include "plot_legend.h"
#include "plot_panel.h"
#include "plot_series.h"

namespace trainlab {

namespace {

const char* const kBaseMargins = "trainlabBaseMinimumMargins";

QFont grown(QFont f, double by) {
    f.setPointSizeF(f.pointSizeF() + by);
    return f;
}

}  // namespace

QFont PlotPanel::titleFont() const {
    QFont f = grown(font(), 1.5);  // as the constructor makes it
    f.setBold(true);
    return f;
}

void PlotPanel::setUpFitting() {
    legend_ = new PlotLegend(this, plot_, series_);
    connect(plot_, &QCustomPlot::beforeReplot, this,
            [this] { fitLayout(plot_->viewport().size()); });
    connect(legend_, &PlotLegend::toggled, this, [this] { refresh(); });
}

void PlotPanel::fitLayout(const QSize& size) const {
    if (size.width() <= 0 || size.height() <= 0) return;
    const QRect old = plot_->viewport();
    plot_->setViewport(QRect(QPoint(0, 0), size));
    QCPAxisRect* rect = plot_->axisRect();
    if (!rect->property(kBaseMargins).isValid())
        rect->setProperty(kBaseMargins, QVariant::fromValue(rect->minimumMargins()));
    rect->setMinimumMargins(rect->property(kBaseMargins).value<QMargins>());
    colourAxes();
    for (const auto& s : series_)  // the faint raw line of a smoothed series goes with it
        if (s->smoothing && s->smoothing->raw) s->smoothing->raw->setVisible(!s->hidden);
    legend_->fit(font());
    if (auto* title = plot_->findChild<QCPTextElement*>(QStringLiteral("title"))) {
        // centred over the first column (the colour scale has the second): the room on the
        // nearer side, twice, after a first fit to the whole width
        fitTitle(title, titleFont(), size.width());
        for (int pass = 0; pass < 2; ++pass) {  // its column's width follows the title's
            layoutNow(plot_);
            const double c = QRectF(title->outerRect()).center().x();
            fitTitle(title, titleFont(), static_cast<int>(2 * std::min(c, size.width() - c)));
        }
    }
    QList<QCPAxis*> axes = rect->axes();
    if (colorScale_) axes << colorScale_->axis();
    layoutNow(plot_);
    for (QCPAxis* axis : axes) fitAxisLabel(axis, grown(font(), 1), plot_->viewport());
    layoutNow(plot_);
    for (QCPAxis* axis : axes) fitTicks(axis, font());
    // what still sticks out (the ends of tick labels): room on that side
    layoutNow(plot_);
    const QMargins over = textOverflow(plot_);
    if (!over.isNull()) {
        rect->setMinimumMargins(rect->margins() + over + QMargins(over.left() ? 2 : 0,
                                                                 over.top() ? 2 : 0,
                                                                 over.right() ? 2 : 0,
                                                                 over.bottom() ? 2 : 0));
        layoutNow(plot_);
        for (QCPAxis* axis : axes) fitTicks(axis, font());  // on the smaller axis rect
    }
    keepHeatmapsSquare();
    if (old != plot_->viewport()) plot_->setViewport(old);
}

void PlotPanel::colourAxes() const {
    // With series on both y axes, each axis takes its series' colour (when they share one).
    std::vector<int> left, right;
    for (const auto& s : series_)
        if (!s->heatmap()) (s->spec.rightAxis ? right : left).push_back(s->spec.color);
    const bool dual = !left.empty() && !right.empty();
    const QColor fg = palette().color(QPalette::Text);
    const auto paint = [&](QCPAxis* axis, const std::vector<int>& colours) {
        const bool one = dual && std::all_of(colours.begin(), colours.end(),
                                             [&](int c) { return c == colours.front(); });
        const QColor c = one ? seriesColor(colours.front()) : fg;
        if (axis->labelColor() == c && axis->basePen().color() == c) return;
        axis->setBasePen(QPen(c, 1));
        axis->setTickPen(QPen(c, 1));
        axis->setSubTickPen(QPen(c, 1));
        axis->setTickLabelColor(c);
        axis->setLabelColor(c);
    };
    paint(plot_->yAxis, left);
    paint(plot_->yAxis2, right);
}

void PlotPanel::keepHeatmapsSquare() const {
    // A square grid (as many cells across as down) is drawn in a square axis rect.
    bool square = false;
    for (const auto& s : series_) {
        if (!s->map || s->displayed == 0) continue;
        if (s->grid.xs.size() != s->grid.ys.size()) return;
        square = true;
    }
    if (!square) return;
    QCPAxisRect* rect = plot_->axisRect();
    const int d = rect->width() - rect->height();
    if (d == 0) return;
    QMargins m = rect->margins();
    if (d > 0) {
        m.setLeft(m.left() + d);  // the map stays next to its colour scale
    } else {
        m.setTop(m.top() + (-d) / 2);
        m.setBottom(m.bottom() + (-d) - (-d) / 2);
    }
    rect->setMinimumMargins(m);
    layoutNow(plot_);
}

void PlotPanel::setSeriesVisible(const std::string& seriesId, bool visible) {
    PlotSeries* s = find(seriesId);
    if (s && s->hidden == visible) legend_->setHidden(*s, !visible);
}

bool PlotPanel::seriesVisible(const std::string& seriesId) const {
    const PlotSeries* s = find(seriesId);
    return s && !s->hidden;
}

int PlotPanel::hiddenSeriesCount() const {
    return static_cast<int>(
        std::count_if(series_.begin(), series_.end(), [](const auto& s) { return s->hidden; }));
}

void PlotPanel::showAllSeries() {
    for (auto& s : series_)
        if (s->hidden) legend_->setHidden(*s, false);
}

bool PlotPanel::axisScaleSwitchable(PanelAxis axis) const {
    const bool heatmap =
        std::any_of(series_.begin(), series_.end(), [](const auto& s) { return s->heatmap(); });
    switch (axis) {
        case PanelAxis::X:
            return !heatmap && spec_.xTickLabels.empty();
        case PanelAxis::Left:
            return !heatmap;
        case PanelAxis::Right:
            return plot_->yAxis2->visible();
    }
    return false;
}

bool PlotPanel::axisLog(PanelAxis axis) const {
    const QCPAxis* a = axis == PanelAxis::X      ? plot_->xAxis
                       : axis == PanelAxis::Left ? plot_->yAxis
                                                 : plot_->yAxis2;
    return a->scaleType() == QCPAxis::stLogarithmic;
}

bool PlotPanel::setAxisLog(PanelAxis axis, bool log) {
    if (!axisScaleSwitchable(axis)) return false;
    if (axisLog(axis) == log) return true;
    QCPAxis* a = axis == PanelAxis::X      ? plot_->xAxis
                 : axis == PanelAxis::Left ? plot_->yAxis
                                           : plot_->yAxis2;
    setAxisScale(a, log, axis == PanelAxis::X && spec_.integerX ? integerTicker() : nullptr);
    applyColors();
    for (auto& s : series_) s->changed = true;  // what a log axis leaves out changes
    dirty_ = true;
    resetView();
    return true;
}

double PlotPanel::legendCoverage() const {
    const QCPLegend* legend = plot_->legend;
    if (!legend->visible() || legend->itemCount() == 0) return 0;
    return PlotLegend::coverage(plot_, series_, legend->outerRect());
}

}  // namespace trainlab
