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

}  // namespace trainlab
