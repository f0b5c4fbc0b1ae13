// QCustomPlot extras of the plot panels: a log ticker that also labels narrow ranges, a line
// graph that draws dense lines segment by segment on raster devices, and the axis set-up.
#pragma once

#include <qcustomplot.h>

#include <string>

namespace trainlab {

/// Log-axis ticker that also labels ranges spanning less than about two decades, where the
/// plain QCPAxisTickerLog would leave the axis with one label or none: 1-2-5 ticks, every
/// mantissa, or (under about a factor 2) evenly spaced decimals, whichever first gives at
/// least three ticks inside the range.
class LogTicker : public QCPAxisTickerLog {
  public:
    LogTicker();

  protected:
    QVector<double> createTickVector(double tickStep, const QCPRange& range) override;
    int getSubTickCount(double tickStep) override;
    QString getTickLabel(double tick, const QLocale& locale, QChar formatChar,
                         int precision) override;

  private:
    bool dense_ = false;
    bool plainLabels_ = false;
};

/// A QCPGraph that draws long lines on raster devices (screen, PNG) without one huge polygon.
///
/// The raster engine strokes a polyline by filling its outline as one polygon. For the
/// min/max-decimated curve of a long noisy series (thousands of vertices zigzagging across
/// much of the plot's height) that polygon has thousands of edges crossing every scanline: one
/// redraw of the gradient-norm panel of a 1,000,000-point run took ~85 ms on screen, and the
/// PNG exports at the end of the run 11-17 s (issue 7, tests/bench/bench_gui_load.cpp).
/// Dense lines (at least kPiecewiseFromPoints points, and segments at most ~4 px across on
/// average) are drawn on raster devices with solid pens as their segments in one drawLines()
/// call (the engine's direct line rasteriser; the flat ends of neighbouring segments meet
/// with no visible seam at these pen widths and densities), and with dashed pens as polylines
/// of kDashedPieceSegments segments, each one continuing the last one's dash phase. Gaps at
/// NaN/inf stay gaps, as in QCPAbstractPlottable1D::drawPolyline. Sparse lines (where joins
/// show) and vector output (SVG) are drawn as before, as one polyline.
class PiecewiseLineGraph : public QCPGraph {
  public:
    using QCPGraph::QCPGraph;

  protected:
    void drawLinePlot(QCPPainter* painter, const QVector<QPointF>& lines) const override;

  private:
    /// Draws the run of valid points [a, end) of `lines` with `pen` (its dash offset moved
    /// on from `offset0` by `*length`, the dashed length drawn so far, which grows).
    static void drawRun(QCPPainter* painter, const QVector<QPointF>& lines, int a, int end,
                        QPen& pen, double offset0, double* length);

    static constexpr int kPiecewiseFromPoints = 64;
    static constexpr int kDashedPieceSegments = 4;
};

/// Makes `axis` logarithmic (a LogTicker, powers-of-ten labels, sub-grid, a 1e-3..1 start
/// range) or linear (`linearTicker`, else a plain QCPAxisTicker; a 0..1 start range).
void setAxisScale(QCPAxis* axis, bool log,
                  const QSharedPointer<QCPAxisTicker>& linearTicker = {});

/// Ticks on whole numbers only (1, 2, 5, 10… epochs).
QSharedPointer<QCPAxisTicker> integerTicker();

/// Sets an axis' label (in `font`, 1 pt larger) and scale: logarithmic with a LogTicker,
/// sub-grid and a 1e-3..1 start range, or linear with a 0..1 start range.
void configureAxis(QCPAxis* axis, const std::string& label, bool log, const QFont& font);

}  // namespace trainlab
