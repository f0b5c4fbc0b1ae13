// Fitting a plot panel's text to its size: where QCustomPlot places titles, axis labels and
// tick labels (so that they can be checked and kept inside the widget), wrapping or shrinking
// the ones that do not fit, spacing ticks so that their labels do not overlap, and keeping
// heat maps of square grids square.
#pragma once

#include <qcustomplot.h>

#include <QPolygonF>
#include <QString>
#include <vector>

namespace trainlab {

/// A text drawn by a plot: what it is ("title", "left axis label", "bottom axis tick label"),
/// the text and the rectangle it is drawn in (rotated for rotated tick labels), in widget
/// pixels.
struct PlotText {
    QString what;
    QString text;
    QPolygonF shape;
    QCPAxis* axis = nullptr;  ///< the axis of a tick label or axis label, else null
    QRectF bounds() const { return shape.boundingRect(); }
};

/// Lays `plot` out at its viewport as a replot does (tick vectors, margins, element rects),
/// without drawing.
void layoutNow(QCustomPlot* plot);

/// The tick labels of `axis` where the last layout puts them.
std::vector<PlotText> tickLabelTexts(QCPAxis* axis);
/// Every title element, axis label and tick label of `plot`: the axes of its axis rect and of
/// its colour scales, where the last layout puts them.
std::vector<PlotText> plotTexts(QCustomPlot* plot);
/// How far the texts of `plot` reach beyond its viewport on each side (0 where they do not).
QMargins textOverflow(QCustomPlot* plot);
/// Whether two neighbouring tick labels of `axis` overlap.
bool tickLabelsOverlap(QCPAxis* axis);

/// The text an element showed before fitting changed it (titles and axis labels keep theirs
/// in a property; whoever sets a new text sets the full text, which fitting then keeps).
QString fullText(QObject* holder, const QString& shown);
/// Records `shown` as the fitted form of `full` on `holder`.
void rememberFitted(QObject* holder, const QString& full, const QString& shown);

/// `text` broken at spaces into at most `maxLines` lines no wider than `width` in `font`,
/// the font shrunk (down to 7 pt) while that is not enough, the lines elided as a last resort.
/// Returns the text; `font` is the font to draw it in.
QString fitText(const QString& text, QFont* font, double width, int maxLines);

/// Fits the title element to `width` pixels (wrapped, shrunk, elided).
void fitTitle(QCPTextElement* title, const QFont& baseFont, int width);
/// Fits the label of `axis` to the length along the axis that stays inside `viewport` around
/// the axis rect's centre.
void fitAxisLabel(QCPAxis* axis, const QFont& baseFont, const QRect& viewport);
/// Sets the tick count of an axis with a plain or log ticker so that its labels are about
/// three label extents apart (at least 3 ticks); a category axis (text ticker) is rotated
/// (0°, -35°, -55°, -90°) and then shrunk until its labels do not overlap.
void fitTicks(QCPAxis* axis, const QFont& baseFont);
/// Whether `axis` shows categories (a QCPAxisTickerText).
bool isCategoryAxis(const QCPAxis* axis);

}  // namespace trainlab
