#include "plot_interaction.h"

#include <QEvent>
#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>
#include <QMouseEvent>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "axis_menu.h"
#include "heatmap_layer.h"
#include "palette.h"
#include "plot_panel.h"
#include "text_format.h"

namespace trainlab {

namespace {

constexpr int kHoverRadiusPx = 15;

QString html(const std::string& s) {
    return QString::fromStdString(s).toHtmlEscaped();
}

/// A hovered value: 4 significant digits are what a reader compares.
QString value(double v) {
    return QString::fromStdString(formatSignificant(v, 4));
}

}  // namespace

PlotInteraction::PlotInteraction(PlotPanel* panel, QCustomPlot* plot,
                                 const PlotSeriesList& series)
    : QObject(panel), panel_(panel), plot_(plot), series_(series) {
    plot_->addLayer(QStringLiteral("hover"), plot_->layer(QStringLiteral("main")),
                    QCustomPlot::limAbove);
    plot_->layer(QStringLiteral("hover"))->setMode(QCPLayer::lmBuffered);
    tracer_ = new QCPItemTracer(plot_);
    tracer_->setLayer(QStringLiteral("hover"));
    tracer_->setStyle(QCPItemTracer::tsCircle);
    tracer_->setSize(9);
    tracer_->setVisible(false);

    connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) { onMouseMove(e); });
    connect(plot_, &QCustomPlot::mouseWheel, this, [this](QWheelEvent*) {
        emit viewTaken();
        hideHover();
    });
    connect(plot_, &QCustomPlot::mouseDoubleClick, this,
            [this](QMouseEvent*) { panel_->resetView(); });
    connect(plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) { onMousePress(e); });
    plot_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(plot_, &QWidget::customContextMenuRequested, this,
            [this](const QPoint& pos) { showContextMenu(pos); });
    plot_->installEventFilter(this);
}

bool PlotInteraction::eventFilter(QObject* watched, QEvent* event) {
    if (watched == plot_ && event->type() == QEvent::Leave) hideHover();
    return QObject::eventFilter(watched, event);
}

void PlotInteraction::hideHover() {
    if (tracer_->visible()) {
        tracer_->setVisible(false);
        tracer_->layer()->replot();
    }
    QToolTip::hideText();
    hoverText_.clear();
}

bool PlotInteraction::nearestPoint(const QPointF& pos, const PlotSeries** bestOut,
                                   std::size_t* indexOut) const {
    const PlotSeries* best = nullptr;
    std::size_t bestI = 0;
    double bestD2 = double(kHoverRadiusPx) * kHoverRadiusPx;
    QCPAxis* xa = plot_->xAxis;
    for (const auto& sp : series_) {
        const PlotSeries& s = *sp;
        if (!s.plottable() || !s.plottable()->visible() || s.points.empty()) continue;
        QCPAxis* va = valueAxisOf(plot_, s.spec);
        const AxisScales scales = scalesOf(plot_, s.spec);
        const std::vector<double>& xs = s.points.x();
        std::size_t i0 = 0;
        std::size_t i1 = xs.size();
        if (s.points.monotonic()) {
            double a = xa->pixelToCoord(pos.x() - kHoverRadiusPx);
            double b = xa->pixelToCoord(pos.x() + kHoverRadiusPx);
            if (a > b) std::swap(a, b);
            i0 = static_cast<std::size_t>(std::lower_bound(xs.begin(), xs.end(), a) - xs.begin());
            i1 = static_cast<std::size_t>(std::upper_bound(xs.begin(), xs.end(), b) - xs.begin());
            if (i1 - i0 > 20000) {  // very dense: look around the x under the cursor only
                const double c = xa->pixelToCoord(pos.x());
                const std::size_t m = static_cast<std::size_t>(
                    std::lower_bound(xs.begin(), xs.end(), c) - xs.begin());
                i0 = std::max(i0, m > 10000 ? m - 10000 : 0);
                i1 = std::min(i1, m + 10000);
            }
        }
        for (std::size_t i = i0; i < i1; ++i) {
            if (!s.points.shown(i, scales)) continue;
            const double dx = xa->coordToPixel(xs[i]) - pos.x();
            const double dy = va->coordToPixel(s.points.y()[i]) - pos.y();
            double d2 = dx * dx + dy * dy;
            double smoothed = 0;  // a smoothed point is hovered where its line is drawn
            if (smoothedValue(s, i, &smoothed)) {
                const double ds = va->coordToPixel(smoothed) - pos.y();
                d2 = std::min(d2, dx * dx + ds * ds);  // NaN (off a log axis) loses
            }
            if (d2 < bestD2) {
                bestD2 = d2;
                best = &s;
                bestI = i;
            }
        }
    }
    *bestOut = best;
    *indexOut = bestI;
    return best != nullptr;
}

bool PlotInteraction::cellAt(const QPointF& pos, const PlotSeries** bestOut, std::size_t* ix,
                             std::size_t* iy) const {
    const double x = plot_->xAxis->pixelToCoord(pos.x());
    const double y = plot_->yAxis->pixelToCoord(pos.y());
    if (!plot_->axisRect()->rect().contains(pos.toPoint())) return false;
    // the last added heatmap is drawn on top
    for (auto it = series_.rbegin(); it != series_.rend(); ++it) {
        const PlotSeries& s = **it;
        if (!s.map || !s.map->visible() || s.displayed == 0) continue;
        if (!s.extentX.contains(x) || !s.extentY.contains(y)) continue;
        *bestOut = &s;
        *ix = nearestIndex(s.grid.xs, x);
        *iy = nearestIndex(s.grid.ys, y);
        return true;
    }
    return false;
}

void PlotInteraction::showTracer(double x, double y, QCPAxis* valueAxis, const QPen& pen,
                                 const QBrush& brush) {
    tracer_->position->setAxes(plot_->xAxis, valueAxis);
    tracer_->position->setCoords(x, y);
    tracer_->setPen(pen);
    tracer_->setBrush(brush);
    tracer_->setVisible(true);
    tracer_->layer()->replot();
}

QString PlotInteraction::pointText(const PlotSeries& s, std::size_t i) const {
    QString text = QStringLiteral("<b>%1</b>").arg(html(s.spec.name));
    if (i < s.labels.size() && !s.labels[i].empty())
        text += QStringLiteral("<br>%1").arg(html(s.labels[i]));
    text += QStringLiteral("<br>%1 = %2<br>%3 = %4")
                .arg(html(s.spec.xName), value(s.points.x()[i]),
                     html(s.spec.yName), value(s.points.y()[i]));
    double smoothed = 0;
    if (smoothedValue(s, i, &smoothed))
        text += QStringLiteral("<br>%1 (smoothed) = %2")
                    .arg(html(s.spec.yName), value(smoothed));
    return text;
}

QString PlotInteraction::cellText(const PlotSeries& s, std::size_t ix, std::size_t iy) const {
    const Grid& g = s.grid;
    const std::string& y2 = panel_->spec().y2Label;
    return QStringLiteral("<b>%1</b><br>%2 = %3<br>%4 = %5<br>%6 = %7")
        .arg(html(s.spec.name), html(s.spec.xName), value(g.xs[ix]),
             html(s.spec.yName), value(g.ys[iy]), html(y2.empty() ? "z" : y2),
             value(g.z[iy * g.xs.size() + ix]));
}

void PlotInteraction::onMouseMove(QMouseEvent* event) {
    if (event->buttons() & (Qt::LeftButton | Qt::MiddleButton)) {
        emit viewTaken();
        hideHover();
        return;
    }
    const QPointF pos = event->position();
    const PlotSeries* best = nullptr;
    std::size_t i = 0;
    std::size_t iy = 0;
    if (nearestPoint(pos, &best, &i)) {
        double y = best->points.y()[i];
        double smoothed = 0;  // the marker sits on the drawn (smoothed) line where it can
        if (smoothedValue(*best, i, &smoothed) &&
            (smoothed > 0 || !scalesOf(plot_, best->spec).logY))
            y = smoothed;
        showTracer(best->points.x()[i], y, valueAxisOf(plot_, best->spec),
                   QPen(panel_->palette().color(QPalette::Text), 1.5),
                   seriesColor(best->spec.color));
        hoverText_ = pointText(*best, i);
    } else if (cellAt(pos, &best, &i, &iy)) {  // no point near: the heatmap cell under it
        showTracer(best->grid.xs[i], best->grid.ys[iy], plot_->yAxis, QPen(Qt::white, 1.5),
                   Qt::NoBrush);
        hoverText_ = cellText(*best, i, iy);
    } else {
        hideHover();
        return;
    }
    QToolTip::showText(event->globalPosition().toPoint(), hoverText_, plot_);
}

void PlotInteraction::onMousePress(QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    const PlotSeries* best = nullptr;
    std::size_t i = 0;
    if (!nearestPoint(event->position(), &best, &i)) return;
    const QString label =
        i < best->labels.size() ? QString::fromStdString(best->labels[i]) : QString();
    emit pointClicked(QString::fromStdString(best->spec.id), static_cast<int>(i), label);
}

void PlotInteraction::showContextMenu(const QPoint& pos) {
    hideHover();
    QMenu menu(panel_);
    populateContextMenu(menu);
    menu.exec(plot_->mapToGlobal(pos));
}

void PlotInteraction::populateContextMenu(QMenu& menu) {
    const QString base = QString::fromStdString(panel_->spec().id);
    PlotPanel* panel = panel_;
    // one entry per format: its dialog, then the export (a message box on failure)
    const auto add = [&](const QString& kind, const QString& filter, auto exportTo) {
        menu.addAction(PlotPanel::tr("Export %1…").arg(kind), panel, [=] {
            const QString path = QFileDialog::getSaveFileName(
                panel, PlotPanel::tr("Export %1").arg(kind), base + "." + kind.toLower(), filter);
            QString error;
            if (!path.isEmpty() && !exportTo(path, &error))
                QMessageBox::warning(panel, PlotPanel::tr("Export failed"), error);
        });
    };
    add(QStringLiteral("PNG"), PlotPanel::tr("PNG images (*.png)"),
        [panel](const QString& p, QString* e) { return panel->exportPng(p, 1200, 800, 2.0, e); });
    add(QStringLiteral("SVG"), PlotPanel::tr("SVG images (*.svg)"),
        [panel](const QString& p, QString* e) { return panel->exportSvg(p, 1200, 800, e); });
    add(QStringLiteral("CSV"), PlotPanel::tr("CSV files (*.csv)"),
        [panel](const QString& p, QString* e) { return panel->exportCsv(p, e); });
    menu.addSeparator();
    menu.addAction(PlotPanel::tr("Reset view"), panel, [panel] { panel->resetView(); });
    menu.addSeparator();
    addAxisScaleActions(menu, panel);
}

}  // namespace trainlab
