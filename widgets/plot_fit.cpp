#include "plot_fit.h"

#include <QFontMetricsF>
#include <QTransform>
#include <QVariant>
#include <algorithm>
#include <cmath>

namespace trainlab {

namespace {

constexpr double kMinPointSize = 7.0;
const char* const kFullProperty = "trainlabFullText";
const char* const kFittedProperty = "trainlabFittedText";

/// The size QCustomPlot gives a tick label: "1e-02" in a "b" number format is drawn as 10
/// with a raised exponent in a 0.75× font (QCPAxisPainterPrivate::getTickLabelData).
QSizeF tickLabelSize(const QCPAxis* axis, const QString& text) {
    const QFontMetricsF fm(axis->tickLabelFont());
    const int e = text.indexOf(QLatin1Char('e'));
    if (!axis->numberFormat().contains(QLatin1Char('b')) || e < 0 || text.size() < 2 ||
        !text.at(0).isDigit())
        return fm.boundingRect(QRectF(), Qt::TextDontClip, text).size();
    QString base = text.left(e);
    base = base == QLatin1String("1") ? QStringLiteral("10") : base + QStringLiteral(" · 10");
    QString exp = text.mid(e + 1);
    while (exp.size() > 1 && (exp.at(0) == QLatin1Char('+') || exp.at(0) == QLatin1Char('0')))
        exp.remove(0, 1);
    if (exp.size() > 1 && exp.at(0) == QLatin1Char('-') && exp.at(1) == QLatin1Char('0'))
        exp.remove(1, 1);
    QFont expFont = axis->tickLabelFont();
    expFont.setPointSizeF(expFont.pointSizeF() * 0.75);
    const QSizeF b = fm.boundingRect(QRectF(), Qt::TextDontClip, base).size();
    const QSizeF x = QFontMetricsF(expFont).boundingRect(QRectF(), Qt::TextDontClip, exp).size();
    return QSizeF(b.width() + x.width() + 2, b.height());
}

/// Where QCustomPlot draws a tick label relative to its anchor (outside tick labels;
/// QCPAxisPainterPrivate::getTickLabelDrawOffset).
QPointF drawOffset(QCPAxis::AxisType type, double rotation, const QSizeF& s) {
    const double rad = rotation / 180.0 * M_PI;
    const bool rotated = !qFuzzyIsNull(rotation);
    switch (type) {
        case QCPAxis::atLeft:
            return QPointF(-s.width(), -s.height() / 2);
        case QCPAxis::atRight:
            return QPointF(0, -s.height() / 2);
        case QCPAxis::atTop:
            return QPointF(-s.width() / 2, -s.height());
        case QCPAxis::atBottom:
            if (!rotated) return QPointF(-s.width() / 2, 0);
            if (rotation > 0) return QPointF(std::sin(rad) * s.height() / 2, 0);
            return QPointF(-std::cos(-rad) * s.width() - std::sin(-rad) * s.height() / 2,
                           std::sin(-rad) * s.width());
    }
    return {};
}

QString axisName(const QCPAxis* axis) {
    switch (axis->axisType()) {
        case QCPAxis::atLeft:
            return QStringLiteral("left axis");
        case QCPAxis::atRight:
            return QStringLiteral("right axis");
        case QCPAxis::atTop:
            return QStringLiteral("top axis");
        case QCPAxis::atBottom:
            return QStringLiteral("bottom axis");
    }
    return {};
}

/// The distance from the axis rect to the outer edge of the tick labels.
double tickLabelsExtent(QCPAxis* axis, const std::vector<PlotText>& labels) {
    double extent = 0;
    const bool vertical = axis->orientation() == Qt::Vertical;
    for (const PlotText& t : labels)
        extent = std::max(extent, vertical ? t.bounds().width() : t.bounds().height());
    return extent;
}

std::vector<PlotText> axisLabelTexts(QCPAxis* axis) {
    if (!axis->visible() || axis->label().isEmpty()) return {};
    const QRect r = axis->axisRect()->rect();
    const std::vector<PlotText> ticks = tickLabelTexts(axis);
    double margin = std::max(0, std::max(axis->tickLengthOut(), axis->subTickLengthOut()));
    if (axis->tickLabels()) margin += axis->tickLabelPadding() + tickLabelsExtent(axis, ticks);
    margin += axis->labelPadding() + axis->offset();
    const QSizeF s =
        QFontMetricsF(axis->labelFont()).boundingRect(QRectF(), Qt::TextDontClip, axis->label()).size();
    QRectF box;
    const QPointF c = QRectF(r).center();
    switch (axis->axisType()) {
        case QCPAxis::atLeft:
            box = QRectF(r.left() - margin - s.height(), c.y() - s.width() / 2, s.height(), s.width());
            break;
        case QCPAxis::atRight:
            box = QRectF(r.right() + margin, c.y() - s.width() / 2, s.height(), s.width());
            break;
        case QCPAxis::atTop:
            box = QRectF(c.x() - s.width() / 2, r.top() - margin - s.height(), s.width(), s.height());
            break;
        case QCPAxis::atBottom:
            box = QRectF(c.x() - s.width() / 2, r.bottom() + margin, s.width(), s.height());
            break;
    }
    return {PlotText{axisName(axis) + QStringLiteral(" label"), axis->label(), QPolygonF(box), axis}};
}

}  // namespace

void layoutNow(QCustomPlot* plot) {
    QCPLayoutGrid* layout = plot->plotLayout();
    layout->setOuterRect(plot->viewport());
    layout->update(QCPLayoutElement::upPreparation);
    layout->update(QCPLayoutElement::upMargins);
    layout->update(QCPLayoutElement::upLayout);
}

std::vector<PlotText> tickLabelTexts(QCPAxis* axis) {
    std::vector<PlotText> out;
    if (!axis->visible() || !axis->tickLabels()) return out;
    const QVector<double> ticks = axis->tickVector();
    const QVector<QString> labels = axis->tickVectorLabels();
    const QRect r = axis->axisRect()->rect();
    const double dist = axis->offset() +
                        std::max(0, std::max(axis->tickLengthOut(), axis->subTickLengthOut())) +
                        axis->tickLabelPadding();
    const double rotation = axis->tickLabelRotation();
    for (int i = 0; i < ticks.size() && i < labels.size(); ++i) {
        if (!axis->range().contains(ticks[i]) || labels[i].isEmpty()) continue;
        const double p = axis->coordToPixel(ticks[i]);
        QPointF anchor;
        switch (axis->axisType()) {
            case QCPAxis::atLeft:
                anchor = QPointF(r.left() - dist, p);
                break;
            case QCPAxis::atRight:
                anchor = QPointF(r.right() + dist, p);
                break;
            case QCPAxis::atTop:
                anchor = QPointF(p, r.top() - dist);
                break;
            case QCPAxis::atBottom:
                anchor = QPointF(p, r.bottom() + dist);
                break;
        }
        const QSizeF s = tickLabelSize(axis, labels[i]);
        QTransform t;
        t.translate(anchor.x(), anchor.y());
        t.translate(drawOffset(axis->axisType(), rotation, s).x(),
                    drawOffset(axis->axisType(), rotation, s).y());
        if (axis->axisType() == QCPAxis::atBottom) t.rotate(rotation);
        out.push_back(PlotText{axisName(axis) + QStringLiteral(" tick label"), labels[i],
                               t.map(QPolygonF(QRectF(QPointF(0, 0), s))), axis});
    }
    return out;
}

std::vector<PlotText> plotTexts(QCustomPlot* plot) {
    std::vector<PlotText> out;
    QList<QCPAxis*> axes;
    for (QCPAxisRect* rect : plot->axisRects()) axes << rect->axes();
    for (QCPLayoutElement* e : plot->plotLayout()->elements(true)) {
        if (auto* scale = qobject_cast<QCPColorScale*>(e); scale && scale->visible())
            axes << scale->axis();
        auto* title = qobject_cast<QCPTextElement*>(e);
        if (!title || !title->visible() || title->text().isEmpty()) continue;
        const QRectF box = QFontMetricsF(title->font())
                               .boundingRect(QRectF(title->rect()),
                                             title->textFlags() | Qt::TextDontClip, title->text());
        out.push_back(PlotText{QStringLiteral("title"), title->text(), QPolygonF(box)});
    }
    for (QCPAxis* axis : axes) {
        for (PlotText& t : tickLabelTexts(axis)) out.push_back(std::move(t));
        for (PlotText& t : axisLabelTexts(axis)) out.push_back(std::move(t));
    }
    return out;
}

QMargins textOverflow(QCustomPlot* plot) {
    const QRectF v = plot->viewport();
    double l = 0, t = 0, r = 0, b = 0;
    for (const PlotText& text : plotTexts(plot)) {
        const QRectF x = text.bounds();
        l = std::max(l, v.left() - x.left());
        t = std::max(t, v.top() - x.top());
        r = std::max(r, x.right() - (v.left() + v.width()));
        b = std::max(b, x.bottom() - (v.top() + v.height()));
    }
    return QMargins(static_cast<int>(std::ceil(l)), static_cast<int>(std::ceil(t)),
                    static_cast<int>(std::ceil(r)), static_cast<int>(std::ceil(b)));
}

bool tickLabelsOverlap(QCPAxis* axis) {
    const std::vector<PlotText> labels = tickLabelTexts(axis);
    for (std::size_t i = 1; i < labels.size(); ++i) {
        // shrunk by half a pixel: labels that only touch do not overlap
        const QPolygonF a = QTransform::fromScale(1, 1).map(labels[i - 1].shape);
        if (a.intersected(labels[i].shape).boundingRect().width() > 0.5 &&
            a.intersected(labels[i].shape).boundingRect().height() > 0.5)
            return true;
    }
    return false;
}

QString fullText(QObject* holder, const QString& shown) {
    if (holder->property(kFittedProperty).toString() == shown &&
        holder->property(kFullProperty).isValid())
        return holder->property(kFullProperty).toString();
    return shown;  // set by someone else since the last fit: that is the full text now
}

void rememberFitted(QObject* holder, const QString& full, const QString& shown) {
    holder->setProperty(kFullProperty, full);
    holder->setProperty(kFittedProperty, shown);
}

QString fitText(const QString& text, QFont* font, double width, int maxLines) {
    const QStringList words = text.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (;;) {
        const QFontMetricsF fm(*font);
        QStringList lines;
        for (const QString& w : words) {
            if (!lines.isEmpty() &&
                fm.horizontalAdvance(lines.back() + QLatin1Char(' ') + w) <= width)
                lines.back() += QLatin1Char(' ') + w;
            else
                lines << w;
        }
        bool fits = lines.size() <= maxLines;
        for (const QString& l : lines) fits = fits && fm.horizontalAdvance(l) <= width;
        if (fits) return lines.join(QLatin1Char('\n'));
        if (font->pointSizeF() - 0.5 < kMinPointSize) {
            // still too long at the smallest size: the first lines, elided
            while (lines.size() > maxLines) {
                lines[maxLines - 1] += QLatin1Char(' ') + lines.takeAt(maxLines);
            }
            for (QString& l : lines) l = fm.elidedText(l, Qt::ElideRight, width);
            return lines.join(QLatin1Char('\n'));
        }
        font->setPointSizeF(font->pointSizeF() - 0.5);
    }
}

void fitTitle(QCPTextElement* title, const QFont& baseFont, int width) {
    const QString full = fullText(title, title->text());
    QFont font = baseFont;
    const QString shown = fitText(full, &font, std::max(width - 8, 40), 2);
    if (title->font() != font) title->setFont(font);
    if (title->text() != shown) title->setText(shown);
    rememberFitted(title, full, shown);
}

void fitAxisLabel(QCPAxis* axis, const QFont& baseFont, const QRect& viewport) {
    if (axis->label().isEmpty() && !axis->property(kFullProperty).isValid()) return;
    const QString full = fullText(axis, axis->label());
    const QPointF c = QRectF(axis->axisRect()->rect()).center();
    const double room = axis->orientation() == Qt::Vertical
                            ? 2 * std::min(c.y() - viewport.top(), viewport.bottom() - c.y())
                            : 2 * std::min(c.x() - viewport.left(), viewport.right() - c.x());
    QFont font = baseFont;
    const QString shown = fitText(full, &font, std::max(room - 6, 30.0), 2);
    if (axis->labelFont() != font) axis->setLabelFont(font);
    if (axis->label() != shown) axis->setLabel(shown);
    rememberFitted(axis, full, shown);
}

bool isCategoryAxis(const QCPAxis* axis) {
    return !axis->ticker().dynamicCast<QCPAxisTickerText>().isNull();
}

void fitTicks(QCPAxis* axis, const QFont& baseFont) {
    if (!axis->visible() || !axis->tickLabels()) return;
    QCustomPlot* plot = axis->parentPlot();
    if (isCategoryAxis(axis)) {
        // categories: every label shown, turned and then shrunk until they stand apart
        QFont font = baseFont;
        for (;;) {
            axis->setTickLabelFont(font);
            for (const double rotation : {0.0, -35.0, -55.0, -90.0}) {
                axis->setTickLabelRotation(rotation);
                layoutNow(plot);
                if (!tickLabelsOverlap(axis)) return;
            }
            if (font.pointSizeF() - 0.5 < kMinPointSize) return;
            font.setPointSizeF(font.pointSizeF() - 0.5);
        }
    }
    if (!axis->ticker().dynamicCast<QCPAxisTickerFixed>().isNull()) return;  // whole numbers
    const QFontMetricsF fm(axis->tickLabelFont());
    const double length = axis->orientation() == Qt::Vertical ? axis->axisRect()->height()
                                                              : axis->axisRect()->width();
    const double label = axis->orientation() == Qt::Vertical ? fm.height()
                                                             : fm.horizontalAdvance("-0.000");
    const int estimate = std::clamp(static_cast<int>(length / (2.2 * label)), 3, 6);
    // QCustomPlot takes the count as a wish: the first count near the estimate that gives
    // at least three labels standing apart, else the first whose labels stand apart
    int fallback = 0;
    for (const int count : {estimate, estimate + 1, estimate + 2, estimate - 1, estimate - 2}) {
        if (count < 2) continue;
        axis->ticker()->setTickCount(count);
        layoutNow(plot);
        if (tickLabelsOverlap(axis)) continue;
        if (tickLabelTexts(axis).size() >= 3) return;
        if (!fallback) fallback = count;
    }
    if (fallback) {
        axis->ticker()->setTickCount(fallback);
        layoutNow(plot);
    }
}

}  // namespace trainlab
