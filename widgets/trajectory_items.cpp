#include "trajectory_items.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

#include "plot_series.h"

namespace trainlab {

namespace {

constexpr double kTrajectoryStartPx = 12;
constexpr int kLabelOffsetPx = 9;

/// Where `v` lies on `axis`' range, 0 at the lower end and 1 at the upper one (in decades on
/// a log axis). Non-positive values or ranges on a log axis give *logOutside, or without it
/// the linear fraction.
double axisFraction(QCPAxis* axis, double v, const double* logOutside = nullptr) {
    const QCPRange r = axis->range();
    if (axis->scaleType() == QCPAxis::stLogarithmic) {
        if (r.lower > 0 && v > 0) return std::log(v / r.lower) / std::log(r.upper / r.lower);
        if (logOutside) return *logOutside;
    }
    return r.size() > 0 ? (v - r.lower) / r.size() : 0.5;
}

}  // namespace

TrajectoryItems::TrajectoryItems(QCustomPlot* plot, QCPAxis* valueAxis, const QFont& font) {
    arrow = new QCPItemLine(plot);
    arrow->setLayer(QStringLiteral("arrows"));
    arrow->start->setAxes(plot->xAxis, valueAxis);
    arrow->end->setAxes(plot->xAxis, valueAxis);
    arrow->setHead(QCPLineEnding(QCPLineEnding::esSpikeArrow, 13, 16));
    arrow->setVisible(false);
    start = new QCPItemTracer(plot);
    start->setStyle(QCPItemTracer::tsSquare);
    start->setSize(kTrajectoryStartPx);
    start->position->setAxes(plot->xAxis, valueAxis);
    start->setVisible(false);
    label = new QCPItemText(plot);
    label->position->setParentAnchor(arrow->end);
    label->position->setType(QCPItemPosition::ptAbsolute);
    label->setPadding(QMargins(4, 1, 4, 1));
    QFont small = font;
    small.setPointSizeF(std::max(6.0, small.pointSizeF() - 1));
    label->setFont(small);
    label->setVisible(false);
}

void TrajectoryItems::style(const QPalette& pal, const QColor& color) {
    QPen arrowPen(color, 2.0);
    arrowPen.setCapStyle(Qt::FlatCap);
    arrow->setPen(arrowPen);
    start->setPen(QPen(color, 2.2));
    start->setBrush(pal.color(QPalette::Base));
    QColor boxBg = pal.color(QPalette::Base);
    boxBg.setAlpha(225);
    label->setColor(pal.color(QPalette::Text));
    label->setBrush(boxBg);
    label->setPen(QPen(color, 1));
}

void TrajectoryItems::update(const QCPCurve* curve, const std::vector<std::string>& labels,
                             bool showLabel) {
    const auto data = curve->data();
    const int n = data->size();
    const bool visible = curve->visible();
    if (n == 0) {
        arrow->setVisible(false);
        start->setVisible(false);
        label->setVisible(false);
        return;
    }
    const QCPCurveData& first = *data->constBegin();
    const QCPCurveData& last = *(data->constEnd() - 1);
    start->position->setCoords(first.key, first.value);
    start->setVisible(visible);
    arrow->end->setCoords(last.key, last.value);
    if (n >= 2) {
        const QCPCurveData& prev = *(data->constEnd() - 2);
        arrow->start->setCoords(prev.key, prev.value);
        arrow->setVisible(visible && (prev.key != last.key || prev.value != last.value));
    } else {
        arrow->start->setCoords(last.key, last.value);
        arrow->setVisible(false);
    }

    const auto index = static_cast<std::size_t>(last.t);
    const bool hasLabel = index < labels.size() && !labels[index].empty();
    label->setVisible(visible && showLabel && hasLabel);
    if (!hasLabel) return;
    label->setText(QString::fromStdString(labels[index]));
    // Put the text on the side of the point facing the middle of the plot, so that it stays
    // inside the axis rect (and off the legend in the top right corner where it can).
    const double fx = axisFraction(curve->keyAxis(), last.key);
    const double fy = axisFraction(curve->valueAxis(), last.value);
    const bool left = fx > 0.55;
    const bool below = fy > 0.75;
    label->setPositionAlignment((left ? Qt::AlignRight : Qt::AlignLeft) |
                                (below ? Qt::AlignTop : Qt::AlignBottom));
    label->position->setCoords(left ? -kLabelOffsetPx : kLabelOffsetPx,
                               below ? kLabelOffsetPx : -kLabelOffsetPx);
}

void placeLegend(QCustomPlot* plot, const PlotSeriesList& series) {
    const Qt::Alignment corners[] = {Qt::AlignTop | Qt::AlignRight, Qt::AlignTop | Qt::AlignLeft,
                                     Qt::AlignBottom | Qt::AlignRight,
                                     Qt::AlignBottom | Qt::AlignLeft};
    int count[4] = {0, 0, 0, 0};
    constexpr double kOutside = -1.0;
    constexpr double kCorner = 0.35;  // the share of each axis a corner stands for
    for (const auto& sp : series) {
        const PlotSeries& s = *sp;
        const QCPAbstractPlottable* p = s.plottable();
        if (!p || !p->visible()) continue;
        QCPAxis* va = valueAxisOf(plot, s.spec);
        const std::vector<double>& xs = s.points.x();
        const std::vector<double>& ys = s.points.y();
        const std::size_t step = std::max<std::size_t>(1, xs.size() / 2000);  // a sample
        for (std::size_t i = 0; i < xs.size(); i += step) {
            const double fx = axisFraction(plot->xAxis, xs[i], &kOutside);
            const double fy = axisFraction(va, ys[i], &kOutside);
            if (!std::isfinite(fx) || !std::isfinite(fy)) continue;
            const bool right = fx > 1 - kCorner && fx <= 1;
            const bool left = fx < kCorner && fx >= 0;
            const bool top = fy > 1 - kCorner && fy <= 1;
            const bool bottom = fy < kCorner && fy >= 0;
            // the last point of a trajectory carries a label: it weighs more
            const int w = (s.trajectory && i + 1 == xs.size()) ? 4 : 1;
            if (top && right) count[0] += w;
            if (top && left) count[1] += w;
            if (bottom && right) count[2] += w;
            if (bottom && left) count[3] += w;
        }
    }
    // stay where it is unless another corner is emptier (no jumping between equal corners)
    auto* inset = plot->axisRect()->insetLayout();
    int best = 0;
    for (int c = 1; c < 4; ++c)
        if (inset->insetAlignment(0) == corners[c]) best = c;
    for (int c = 0; c < 4; ++c)
        if (count[c] < count[best]) best = c;
    if (inset->insetAlignment(0) != corners[best]) inset->setInsetAlignment(0, corners[best]);
}

}  // namespace trainlab
