#include "plot_extras.h"

#include <algorithm>
#include <cmath>

namespace trainlab {

namespace {

QVector<double> collectTicks(int kLo, int kHi, const double* mantissas, int n,
                             const QCPRange& range) {
    QVector<double> ticks;
    for (int k = kLo - 1; k <= kHi; ++k) {
        const double p = std::pow(10.0, k);
        for (int i = 0; i < n; ++i) {
            const double t = mantissas[i] * p;
            // one tick beyond each end, so that trimTicks() can do its usual job
            if (t >= range.lower / 10 && t <= range.upper * 10) ticks.push_back(t);
        }
    }
    return ticks;
}

int ticksInside(const QVector<double>& ticks, const QCPRange& range) {
    return static_cast<int>(std::count_if(ticks.begin(), ticks.end(), [&](double t) {
        return t >= range.lower * (1 - 1e-9) && t <= range.upper * (1 + 1e-9);
    }));
}

/// Evenly spaced ticks (steps of 1, 2, 2.5 or 5 × 10^k) giving at least three inside `range`:
/// for log ranges too narrow for 1-2-5 ticks (a gradient norm between 0.6 and 0.9).
QVector<double> linearTicks(const QCPRange& range, int tickCount) {
    const double span = range.upper - range.lower;
    const double raw = span / std::max(1, tickCount - 1);
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 5 * p;
    for (const double m : {1.0, 2.0, 2.5, 5.0})
        if (m * p >= raw) {
            step = m * p;
            break;
        }
    QVector<double> ticks;
    const int halvings = tickCount >= 3 ? 4 : 1;  // at least three inside, unless asked fewer
    for (int h = 0; h < halvings; ++h, step /= 2) {
        ticks.clear();
        for (double t = std::floor(range.lower / step) * step; t <= range.upper + step; t += step)
            if (t > 0) ticks.push_back(t);
        if (ticksInside(ticks, range) >= 3) break;
    }
    return ticks;
}

}  // namespace

LogTicker::LogTicker() {
    setLogBase(10);
    setSubTickCount(8);
}

QVector<double> LogTicker::createTickVector(double tickStep, const QCPRange& range) {
    dense_ = false;
    if (range.lower <= 0 || range.upper <= range.lower)
        return QCPAxisTickerLog::createTickVector(tickStep, range);
    const int kLo = static_cast<int>(std::floor(std::log10(range.lower)));
    const int kHi = static_cast<int>(std::ceil(std::log10(range.upper)));
    int powersInside = 0;
    for (int k = kLo; k <= kHi; ++k) {
        const double p = std::pow(10.0, k);
        if (p >= range.lower && p <= range.upper) ++powersInside;
    }
    if (powersInside >= 3) return QCPAxisTickerLog::createTickVector(tickStep, range);
    dense_ = true;
    // plain decimals where they stay short, powers of ten otherwise
    plainLabels_ = range.lower >= 1e-3 && range.upper < 1e5;
    static const double kSparse[] = {1, 2, 5};
    static const double kFull[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    QVector<double> ticks = collectTicks(kLo, kHi, kSparse, 3, range);
    if (ticksInside(ticks, range) < 3) ticks = collectTicks(kLo, kHi, kFull, 9, range);
    if (ticksInside(ticks, range) < 3) {
        plainLabels_ = true;  // less than about a factor 2: plain decimals
        return linearTicks(range, tickCount());
    }
    // more ticks than the axis' length holds (tickCount, set by the panel from its size):
    // every second or third one
    const int stride = (ticksInside(ticks, range) + tickCount() - 1) / std::max(1, tickCount());
    if (stride > 1) {
        QVector<double> thinned;
        int k = 0;
        for (const double t : ticks)
            if (ticksInside({t}, range) == 1 && k++ % stride == 0) thinned.push_back(t);
        ticks = thinned;
    }
    return ticks;
}

int LogTicker::getSubTickCount(double tickStep) {
    return dense_ ? 0 : QCPAxisTickerLog::getSubTickCount(tickStep);
}

QString LogTicker::getTickLabel(double tick, const QLocale& locale, QChar formatChar,
                                int precision) {
    if (!dense_) return QCPAxisTickerLog::getTickLabel(tick, locale, formatChar, precision);
    if (plainLabels_) return locale.toString(tick, 'g', 4);
    return locale.toString(tick, 'e', 0);
}

void PiecewiseLineGraph::drawLinePlot(QCPPainter* painter, const QVector<QPointF>& lines) const {
    // dense: segments of at most ~4 px across on average (QCPGraph's adaptive sampling
    // leaves about 2-4 points per pixel column of a decimated series)
    const int widthPx = mKeyAxis ? mKeyAxis->axisRect()->width() : 0;
    const bool dense = lines.size() >= kPiecewiseFromPoints && 4 * lines.size() >= widthPx;
    if (painter->modes().testFlag(QCPPainter::pmVectorized) || !dense) {
        QCPGraph::drawLinePlot(painter, lines);
        return;
    }
    if (painter->pen().style() == Qt::NoPen || painter->pen().color().alpha() == 0) return;
    applyDefaultAntialiasingHint(painter);
    QPen pen = painter->pen();
    if (qFuzzyCompare(pen.widthF(), 1.0)) {  // as drawPolyline: a 1 px line is cosmetic
        pen.setWidth(0);
        painter->setPen(pen);
    }
    const double offset0 = pen.dashOffset();
    double length = 0;  // along the dashed line so far, for the dash phase
    const auto valid = [](const QPointF& p) {
        return !qIsNaN(p.x()) && !qIsNaN(p.y()) && !qIsInf(p.y());
    };
    const int n = static_cast<int>(lines.size());
    int i = 0;
    while (i < n) {
        if (!valid(lines[i])) {
            ++i;
            continue;
        }
        int end = i + 1;  // one past the last point of this run of valid points
        while (end < n && valid(lines[end])) ++end;
        drawRun(painter, lines, i, end, pen, offset0, &length);
        i = end;
    }
}

void PiecewiseLineGraph::drawRun(QCPPainter* painter, const QVector<QPointF>& lines, int i,
                                 int end, QPen& pen, double offset0, double* length) {
    if (pen.style() == Qt::SolidLine) {
        QVector<QLineF> segments;
        segments.reserve(end - i - 1);
        for (int k = i + 1; k < end; ++k) segments.push_back(QLineF(lines[k - 1], lines[k]));
        painter->drawLines(segments.constData(), static_cast<int>(segments.size()));
        return;
    }
    const double width = pen.widthF() > 0 ? pen.widthF() : 1.0;
    for (int a = i; a + 1 < end; a += kDashedPieceSegments) {
        const int b = std::min(end - 1, a + kDashedPieceSegments);
        pen.setDashOffset(offset0 + *length / width);
        painter->setPen(pen);
        painter->drawPolyline(lines.constData() + a, b - a + 1);
        for (int k = a + 1; k <= b; ++k) {
            const QPointF d = lines[k] - lines[k - 1];
            *length += std::sqrt(d.x() * d.x() + d.y() * d.y());
        }
    }
}

void setAxisScale(QCPAxis* axis, bool log, const QSharedPointer<QCPAxisTicker>& linearTicker) {
    if (log) {
        axis->setScaleType(QCPAxis::stLogarithmic);
        axis->setTicker(QSharedPointer<QCPAxisTicker>(new LogTicker));
        axis->setNumberFormat(QStringLiteral("eb"));
        axis->setNumberPrecision(0);
        axis->setRange(1e-3, 1);
        axis->grid()->setSubGridVisible(true);
    } else {
        axis->setScaleType(QCPAxis::stLinear);
        axis->setTicker(linearTicker ? linearTicker : QSharedPointer<QCPAxisTicker>::create());
        axis->setNumberFormat(QStringLiteral("gbd"));
        axis->setNumberPrecision(6);
        axis->setRange(0, 1);
        axis->grid()->setSubGridVisible(false);
    }
}

QSharedPointer<QCPAxisTicker> integerTicker() {
    auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
    ticker->setTickStep(1.0);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);  // 1, 2, 5, 10… epochs
    return ticker;
}

void configureAxis(QCPAxis* axis, const std::string& label, bool log, const QFont& font) {
    axis->setLabel(QString::fromStdString(label));
    QFont labelFont = font;
    labelFont.setPointSizeF(labelFont.pointSizeF() + 1);
    axis->setLabelFont(labelFont);
    if (log) setAxisScale(axis, true);
    else axis->setRange(0, 1);
}

}  // namespace trainlab
