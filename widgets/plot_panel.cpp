#include "plot_panel.h"

#include <qcustomplot.h>
#include <QBuffer>
#include <QEvent>
#include <QFileDialog>
#include <QImage>
#include <QMenu>
#include <QMessageBox>
#include <QMouseEvent>
#include <QPixmap>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

#include "palette.h"

namespace trainlab {

namespace {

constexpr int kHoverRadiusPx = 15;
constexpr int kMinDecimationWidthPx = 1000;  // exports are wider than most panels on screen
constexpr double kTrajectoryMarkerPx = 7;
constexpr double kTrajectoryStartPx = 12;
constexpr int kLabelOffsetPx = 9;
constexpr std::size_t kBlockPoints = 16;  // points per block summary of the decimation
constexpr std::uint32_t kNoPoint = std::numeric_limits<std::uint32_t>::max();

const std::vector<std::string> kNoLabels;

/// Appends `text` as one quoted CSV field ("" inside doubled).
void appendQuoted(QByteArray& out, const std::string& text) {
    out.append('"');
    for (char ch : text) {
        if (ch == '"') out.append('"');
        out.append(ch);
    }
    out.append('"');
}

/// Log-axis ticker that also labels ranges spanning less than about two decades, where the
/// plain QCPAxisTickerLog would leave the axis with one label or none.
class LogTicker : public QCPAxisTickerLog {
  public:
    LogTicker() {
        setLogBase(10);
        setSubTickCount(8);
    }

  protected:
    QVector<double> createTickVector(double tickStep, const QCPRange& range) override {
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
        QVector<double> ticks = collect(kLo, kHi, kSparse, 3, range);
        if (ticks.size() < 4) ticks = collect(kLo, kHi, kFull, 9, range);
        return ticks;
    }

    int getSubTickCount(double tickStep) override {
        return dense_ ? 0 : QCPAxisTickerLog::getSubTickCount(tickStep);
    }

    QString getTickLabel(double tick, const QLocale& locale, QChar formatChar,
                         int precision) override {
        if (!dense_) return QCPAxisTickerLog::getTickLabel(tick, locale, formatChar, precision);
        if (plainLabels_) return locale.toString(tick, 'g', 4);
        return locale.toString(tick, 'e', 0);
    }

  private:
    static QVector<double> collect(int kLo, int kHi, const double* mantissas, int n,
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
    void drawLinePlot(QCPPainter* painter, const QVector<QPointF>& lines) const override {
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
        const bool dashed = pen.style() != Qt::SolidLine;
        const double width = pen.widthF() > 0 ? pen.widthF() : 1.0;
        const double offset0 = pen.dashOffset();
        double length = 0;  // along the dashed line so far, for the dash phase
        QVector<QLineF> segments;
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
            if (!dashed) {
                segments.clear();
                segments.reserve(end - i - 1);
                for (int k = i + 1; k < end; ++k)
                    segments.push_back(QLineF(lines[k - 1], lines[k]));
                painter->drawLines(segments.constData(), static_cast<int>(segments.size()));
            } else {
                for (int a = i; a + 1 < end; a += kDashedPieceSegments) {
                    const int b = std::min(end - 1, a + kDashedPieceSegments);
                    pen.setDashOffset(offset0 + length / width);
                    painter->setPen(pen);
                    painter->drawPolyline(lines.constData() + a, b - a + 1);
                    for (int k = a + 1; k <= b; ++k) {
                        const QPointF d = lines[k] - lines[k - 1];
                        length += std::sqrt(d.x() * d.x() + d.y() * d.y());
                    }
                }
            }
            i = end;
        }
    }

  private:
    static constexpr int kPiecewiseFromPoints = 64;
    static constexpr int kDashedPieceSegments = 4;
};

/// Formats a double with 9 significant digits, independent of the C locale (which
/// QCoreApplication sets from the environment).
int formatNumber(char* buf, std::size_t size, double v) {
    if (std::isnan(v)) return std::snprintf(buf, size, "nan");
    if (std::isinf(v)) return std::snprintf(buf, size, v > 0 ? "inf" : "-inf");
    const auto res = std::to_chars(buf, buf + size, v, std::chars_format::general, 9);
    return static_cast<int>(res.ptr - buf);
}

bool writeAtomically(const QString& path, const QByteArray& bytes, const char* what,
                     QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("Cannot write %1 to %2: %3")
                         .arg(QLatin1String(what), path, file.errorString());
        return false;
    }
    if (file.write(bytes) != bytes.size() || !file.commit()) {
        if (error)
            *error = QStringLiteral("Cannot write %1 to %2: %3")
                         .arg(QLatin1String(what), path, file.errorString());
        return false;
    }
    return true;
}

/// Matplotlib's viridis (perceptually uniform, colour-blind safe), at 11 stops.
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

/// The index of the value of `v` (increasing) nearest to `c`.
std::size_t nearestIndex(const std::vector<double>& v, double c) {
    const auto it = std::lower_bound(v.begin(), v.end(), c);
    if (it == v.begin()) return 0;
    if (it == v.end()) return v.size() - 1;
    const std::size_t i = static_cast<std::size_t>(it - v.begin());
    return (c - v[i - 1] <= v[i] - c) ? i - 1 : i;
}

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

struct PlotPanel::SeriesData {
    SeriesSpec spec;
    std::vector<double> x;
    std::vector<double> y;
    bool monotonic = true;  ///< x never decreases (NaNs aside)
    double lastFiniteX = -std::numeric_limits<double>::infinity();
    bool changed = false;
    /// The display depends on the visible x range: decimated, over the whole range or a zoom.
    bool rangeLimited = false;
    std::size_t displayed = 0;
    QCPGraph* graph = nullptr;        ///< lines with increasing x, and scatter
    QCPCurve* curve = nullptr;        ///< lines whose x goes back and forth (trajectories)
    QCPColorMap* map = nullptr;       ///< heatmaps
    Grid grid;                        ///< heatmaps: the data (x and y stay empty)
    QCPRange extentX, extentY;        ///< heatmaps: the drawn cells' outer edges
    std::vector<std::string> labels;  ///< per-point labels (label i of point i), maybe fewer
    /// Summaries of the complete blocks of kBlockPoints consecutive points, for the min/max
    /// decimation, so that a redraw need not visit every point (see updateDisplay). Added
    /// for the blocks completed since, at each decimated redraw (a complete block never
    /// changes); dropped when the points are replaced or the axis scales they were made for
    /// change.
    struct Block {
        std::uint32_t first = kNoPoint;  ///< first shown point (kNoPoint: none shown)
        std::uint32_t last = kNoPoint;   ///< last shown point
        std::uint32_t min = kNoPoint;    ///< the first shown point with the smallest y
        std::uint32_t max = kNoPoint;    ///< the first shown point with the largest y
    };
    std::vector<Block> blocks;
    bool blocksLogX = false;  ///< the axis scales the summaries were made for
    bool blocksLogV = false;
    // Trajectories only (owned by the plot):
    QCPItemLine* arrow = nullptr;      ///< last segment; its end also anchors `labelItem`
    QCPItemTracer* start = nullptr;    ///< marks the first point
    QCPItemText* labelItem = nullptr;  ///< the last point's label

    QCPAbstractPlottable* plottable() const {
        if (graph) return graph;
        if (curve) return curve;
        return map;
    }
    bool heatmap() const { return spec.style == SeriesStyle::Heatmap; }

    void noteAppended(std::size_t from) {
        for (std::size_t i = from; i < x.size(); ++i) {
            if (!std::isfinite(x[i])) continue;
            if (x[i] < lastFiniteX) monotonic = false;
            lastFiniteX = x[i];
        }
    }
};

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

    configureAxis(plot_->xAxis, spec_.xLabel, spec_.logX);
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
    configureAxis(plot_->yAxis, spec_.yLabel, spec_.logY);
    configureAxis(plot_->yAxis2, spec_.y2Label, spec_.logY2);
    plot_->yAxis2->setVisible(!spec_.y2Label.empty());

    plot_->legend->setVisible(false);  // shown once there is a series
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
    plot_->legend->setIconSize(28, 12);
    plot_->legend->setMargins(QMargins(8, 5, 8, 6));

    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->axisRect()->setRangeDragAxes({plot_->xAxis}, {plot_->yAxis, plot_->yAxis2});
    plot_->axisRect()->setRangeZoomAxes({plot_->xAxis}, {plot_->yAxis, plot_->yAxis2});
    plot_->setNoAntialiasingOnDrag(true);

    // arrowheads of trajectories under the markers, so that the last point stays visible
    plot_->addLayer(QStringLiteral("arrows"), plot_->layer(QStringLiteral("main")),
                    QCustomPlot::limBelow);
    // heatmaps under every line, marker and arrow
    plot_->addLayer(QStringLiteral("maps"), plot_->layer(QStringLiteral("arrows")),
                    QCustomPlot::limBelow);
    plot_->addLayer(QStringLiteral("hover"), plot_->layer(QStringLiteral("main")),
                    QCustomPlot::limAbove);
    plot_->layer(QStringLiteral("hover"))->setMode(QCPLayer::lmBuffered);
    tracer_ = new QCPItemTracer(plot_);
    tracer_->setLayer(QStringLiteral("hover"));
    tracer_->setStyle(QCPItemTracer::tsCircle);
    tracer_->setSize(9);
    tracer_->setVisible(false);

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
    connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) { onMouseMove(e); });
    connect(plot_, &QCustomPlot::mouseWheel, this, [this](QWheelEvent* e) { onMouseWheel(e); });
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) { resetView(); });
    connect(plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) {
        if (e->button() != Qt::LeftButton) return;
        const SeriesData* best = nullptr;
        std::size_t i = 0;
        if (!nearestPoint(e->position(), &best, &i)) return;
        const QString label =
            i < best->labels.size() ? QString::fromStdString(best->labels[i]) : QString();
        emit pointClicked(QString::fromStdString(best->spec.id), static_cast<int>(i), label);
    });
    plot_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(plot_, &QWidget::customContextMenuRequested, this,
            [this](const QPoint& pos) { showContextMenu(pos); });
    plot_->installEventFilter(this);

    applyColors();
}

PlotPanel::~PlotPanel() = default;

void PlotPanel::configureAxis(QCPAxis* axis, const std::string& label, bool log) {
    axis->setLabel(QString::fromStdString(label));
    QFont labelFont = font();
    labelFont.setPointSizeF(labelFont.pointSizeF() + 1);
    axis->setLabelFont(labelFont);
    if (log) {
        axis->setScaleType(QCPAxis::stLogarithmic);
        axis->setTicker(QSharedPointer<QCPAxisTicker>(new LogTicker));
        axis->setNumberFormat(QStringLiteral("eb"));
        axis->setNumberPrecision(0);
        axis->setRange(1e-3, 1);
        axis->grid()->setSubGridVisible(true);
    } else {
        axis->setRange(0, 1);
    }
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
    tracer_->setPen(QPen(fg, 1.5));
    for (auto& s : series_) styleTrajectoryItems(*s);
}

void PlotPanel::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
        applyColors();
        plot_->replot(QCustomPlot::rpQueuedReplot);
    }
    QWidget::changeEvent(event);
}

bool PlotPanel::eventFilter(QObject* watched, QEvent* event) {
    if (watched == plot_ && event->type() == QEvent::Leave) hideHover();
    return QWidget::eventFilter(watched, event);
}

PlotPanel::SeriesData* PlotPanel::find(const std::string& id) const {
    const auto it = index_.find(id);
    return it == index_.end() ? nullptr : series_[it->second].get();
}

QCPAxis* PlotPanel::valueAxisOf(const SeriesData& s) const {
    return s.spec.rightAxis ? plot_->yAxis2 : plot_->yAxis;
}

void PlotPanel::addSeries(const SeriesSpec& s) {
    if (find(s.id)) return;
    auto data = std::make_unique<SeriesData>();
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

void PlotPanel::ensureColorScale(const SeriesData& first) {
    if (colorScale_) return;
    colorScale_ = new QCPColorScale(plot_);
    // next to the axis rect (below the title, if any)
    int row = 0;
    for (int r = 0; r < plot_->plotLayout()->rowCount(); ++r)
        if (plot_->plotLayout()->element(r, 0) == plot_->axisRect()) row = r;
    plot_->plotLayout()->addElement(row, 1, colorScale_);
    colorScale_->setType(QCPAxis::atRight);
    colorScale_->setBarWidth(14);
    colorScale_->setRangeDrag(false);
    colorScale_->setRangeZoom(false);
    colorScale_->setGradient(viridisGradient());
    const std::string& label = !spec_.y2Label.empty()     ? spec_.y2Label
                               : !first.spec.name.empty() ? first.spec.name
                                                          : first.spec.id;
    configureAxis(colorScale_->axis(), label, spec_.logY2);
    colorScale_->setDataScaleType(spec_.logY2 ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    auto* margins = new QCPMarginGroup(plot_);
    plot_->axisRect()->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    colorScale_->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
    // y2Label names the colour scale: the right axis only shows for right-axis series
    plot_->yAxis2->setVisible(std::any_of(series_.begin(), series_.end(),
                                          [](const auto& d) { return d->spec.rightAxis; }));
    applyColors();
}

void PlotPanel::ensurePlottable(SeriesData& s) {
    if (s.heatmap()) {
        if (s.map) return;
        ensureColorScale(s);
        s.map = new QCPColorMap(plot_->xAxis, plot_->yAxis);
        s.map->setName(QString::fromStdString(s.spec.name));
        s.map->removeFromLegend();  // the colour scale says what it shows
        s.map->setLayer(QStringLiteral("maps"));
        s.map->setInterpolate(false);
        s.map->setTightBoundary(false);
        s.map->setColorScale(colorScale_);  // shares its gradient, range and scale type
        s.map->data()->clear();
        s.changed = true;
        return;
    }
    const bool trajectory = s.spec.style == SeriesStyle::Trajectory;
    const bool wantCurve = trajectory || (s.spec.style == SeriesStyle::Line && !s.monotonic);
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

    QCPAxis* valueAxis = valueAxisOf(s);
    QCPAbstractPlottable* p = nullptr;
    if (wantCurve) {
        s.curve = new QCPCurve(plot_->xAxis, valueAxis);
        p = s.curve;
    } else {
        s.graph = new PiecewiseLineGraph(plot_->xAxis, valueAxis);
        p = s.graph;
    }
    p->setName(QString::fromStdString(s.spec.name));
    const QColor color = seriesColor(s.spec.color);
    QPen pen(color, s.spec.color < 0 ? 1.6 : 2.0);
    pen.setCapStyle(Qt::FlatCap);
    if (s.spec.dashed) pen.setStyle(Qt::DashLine);
    p->setPen(pen);
    if (s.spec.style == SeriesStyle::Scatter) {
        QCPScatterStyle scatter(QCPScatterStyle::ssDisc, color, color, 5);
        if (s.graph) {
            s.graph->setLineStyle(QCPGraph::lsNone);
            s.graph->setScatterStyle(scatter);
        } else {
            s.curve->setLineStyle(QCPCurve::lsNone);
            s.curve->setScatterStyle(scatter);
        }
    } else if (trajectory) {
        s.curve->setLineStyle(QCPCurve::lsLine);
        QPen markerPen(color, 1.2);
        s.curve->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, markerPen, color, kTrajectoryMarkerPx));
    } else if (s.curve) {
        s.curve->setLineStyle(QCPCurve::lsLine);
    }
    if (trajectory && !s.arrow) {
        // Created once; the curve of a trajectory is never swapped for a graph.
        s.arrow = new QCPItemLine(plot_);
        s.arrow->setLayer(QStringLiteral("arrows"));
        s.arrow->start->setAxes(plot_->xAxis, valueAxis);
        s.arrow->end->setAxes(plot_->xAxis, valueAxis);
        s.arrow->setHead(QCPLineEnding(QCPLineEnding::esSpikeArrow, 13, 16));
        s.arrow->setVisible(false);
        s.start = new QCPItemTracer(plot_);
        s.start->setStyle(QCPItemTracer::tsSquare);
        s.start->setSize(kTrajectoryStartPx);
        s.start->position->setAxes(plot_->xAxis, valueAxis);
        s.start->setVisible(false);
        s.labelItem = new QCPItemText(plot_);
        s.labelItem->position->setParentAnchor(s.arrow->end);
        s.labelItem->position->setType(QCPItemPosition::ptAbsolute);
        s.labelItem->setPadding(QMargins(4, 1, 4, 1));
        QFont small = font();
        small.setPointSizeF(std::max(6.0, small.pointSizeF() - 1));
        s.labelItem->setFont(small);
        s.labelItem->setVisible(false);
        styleTrajectoryItems(s);
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

bool PlotPanel::hasSeries(const std::string& id) const {
    return find(id) != nullptr;
}

void PlotPanel::styleTrajectoryItems(SeriesData& s) {
    if (!s.arrow) return;
    const QPalette pal = palette();
    const QColor color = seriesColor(s.spec.color);
    QPen arrowPen(color, 2.0);
    arrowPen.setCapStyle(Qt::FlatCap);
    s.arrow->setPen(arrowPen);
    s.start->setPen(QPen(color, 2.2));
    s.start->setBrush(pal.color(QPalette::Base));
    QColor boxBg = pal.color(QPalette::Base);
    boxBg.setAlpha(225);
    s.labelItem->setColor(pal.color(QPalette::Text));
    s.labelItem->setBrush(boxBg);
    s.labelItem->setPen(QPen(color, 1));
}

void PlotPanel::updateTrajectoryItems(SeriesData& s) {
    if (!s.arrow) return;
    const auto data = s.curve->data();
    const int n = data->size();
    const bool visible = s.curve->visible();
    if (n == 0) {
        s.arrow->setVisible(false);
        s.start->setVisible(false);
        s.labelItem->setVisible(false);
        return;
    }
    const QCPCurveData& first = *data->constBegin();
    const QCPCurveData& last = *(data->constEnd() - 1);
    s.start->position->setCoords(first.key, first.value);
    s.start->setVisible(visible);
    s.arrow->end->setCoords(last.key, last.value);
    if (n >= 2) {
        const QCPCurveData& prev = *(data->constEnd() - 2);
        s.arrow->start->setCoords(prev.key, prev.value);
        s.arrow->setVisible(visible && (prev.key != last.key || prev.value != last.value));
    } else {
        s.arrow->start->setCoords(last.key, last.value);
        s.arrow->setVisible(false);
    }

    const auto index = static_cast<std::size_t>(last.t);
    const bool hasLabel = index < s.labels.size() && !s.labels[index].empty();
    s.labelItem->setVisible(visible && showLabelsOnPlot_ && hasLabel);
    if (!hasLabel) return;
    s.labelItem->setText(QString::fromStdString(s.labels[index]));
    // Put the text on the side of the point facing the middle of the plot, so that it stays
    // inside the axis rect (and off the legend in the top right corner where it can).
    const auto fraction = [](QCPAxis* axis, double v) {
        const QCPRange r = axis->range();
        if (axis->scaleType() == QCPAxis::stLogarithmic && r.lower > 0 && v > 0)
            return std::log(v / r.lower) / std::log(r.upper / r.lower);
        return r.size() > 0 ? (v - r.lower) / r.size() : 0.5;
    };
    const double fx = fraction(plot_->xAxis, last.key);
    const double fy = fraction(valueAxisOf(s), last.value);
    const bool left = fx > 0.55;
    const bool below = fy > 0.75;
    s.labelItem->setPositionAlignment((left ? Qt::AlignRight : Qt::AlignLeft) |
                                      (below ? Qt::AlignTop : Qt::AlignBottom));
    s.labelItem->position->setCoords(left ? -kLabelOffsetPx : kLabelOffsetPx,
                                     below ? kLabelOffsetPx : -kLabelOffsetPx);
}

void PlotPanel::setPointLabels(const std::string& seriesId,
                               const std::vector<std::string>& labels) {
    SeriesData* s = find(seriesId);
    if (!s) return;
    s->labels = labels;
    s->changed = true;
    dirty_ = true;
}

const std::vector<std::string>& PlotPanel::pointLabels(const std::string& seriesId) const {
    const SeriesData* s = find(seriesId);
    return s ? s->labels : kNoLabels;
}

void PlotPanel::setShowLabelsOnPlot(bool show) {
    if (show == showLabelsOnPlot_) return;
    showLabelsOnPlot_ = show;
    for (auto& s : series_) updateTrajectoryItems(*s);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

QCPCurve* PlotPanel::curveOf(const std::string& seriesId) const {
    const SeriesData* s = find(seriesId);
    return s ? s->curve : nullptr;
}

QCPItemLine* PlotPanel::trajectoryArrow(const std::string& seriesId) const {
    const SeriesData* s = find(seriesId);
    return s ? s->arrow : nullptr;
}

QCPItemTracer* PlotPanel::trajectoryStart(const std::string& seriesId) const {
    const SeriesData* s = find(seriesId);
    return s ? s->start : nullptr;
}

QCPItemText* PlotPanel::lastPointLabel(const std::string& seriesId) const {
    const SeriesData* s = find(seriesId);
    return s ? s->labelItem : nullptr;
}

void PlotPanel::appendPoints(const std::string& seriesId, const std::vector<double>& x,
                             const std::vector<double>& y) {
    SeriesData* s = find(seriesId);
    if (!s || s->heatmap()) return;
    const std::size_t n = std::min(x.size(), y.size());
    if (n == 0) return;
    const std::size_t from = s->x.size();
    s->x.insert(s->x.end(), x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n));
    s->y.insert(s->y.end(), y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n));
    s->noteAppended(from);
    s->changed = true;
    dirty_ = true;
}

void PlotPanel::replaceSeries(const std::string& seriesId, const std::vector<double>& x,
                              const std::vector<double>& y) {
    SeriesData* s = find(seriesId);
    if (!s || s->heatmap()) return;
    const std::size_t n = std::min(x.size(), y.size());
    s->x.assign(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n));
    s->y.assign(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n));
    s->blocks.clear();
    s->monotonic = true;
    s->lastFiniteX = -std::numeric_limits<double>::infinity();
    s->noteAppended(0);
    s->changed = true;
    dirty_ = true;
}

bool PlotPanel::setGrid(const std::string& seriesId, const Grid& grid) {
    SeriesData* s = find(seriesId);
    if (!s || !s->heatmap() || !gridFault(grid).empty()) return false;
    s->grid = grid;
    s->changed = true;
    dirty_ = true;
    return true;
}

QCPColorMap* PlotPanel::colorMapOf(const std::string& seriesId) const {
    const SeriesData* s = find(seriesId);
    return s ? s->map : nullptr;
}

std::size_t PlotPanel::pointCount(const std::string& seriesId) const {
    const SeriesData* s = find(seriesId);
    if (!s) return 0;
    return s->heatmap() ? s->grid.z.size() : s->x.size();
}

std::size_t PlotPanel::displayedPointCount(const std::string& seriesId) const {
    const SeriesData* s = find(seriesId);
    return s ? s->displayed : 0;
}

void PlotPanel::updateHeatmap(SeriesData& s) {
    const Grid& g = s.grid;
    s.rangeLimited = false;
    if (g.z.empty()) {
        s.map->data()->clear();
        s.displayed = 0;
        return;
    }
    const DisplayAxis ax = displayAxis(g.xs);
    const DisplayAxis ay = displayAxis(g.ys);
    const bool logZ = spec_.logY2;
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
    s.map->setData(data);  // takes ownership
    s.extentX = ax.extent();
    s.extentY = ay.extent();
    s.displayed = static_cast<std::size_t>(ax.cells) * static_cast<std::size_t>(ay.cells);
}

void PlotPanel::updateColorRange() {
    if (!colorScale_) return;
    const bool logZ = spec_.logY2;
    double lo = std::numeric_limits<double>::infinity();
    double hi = -lo;
    for (const auto& s : series_)
        if (s->heatmap())
            for (double v : s->grid.z)
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
    colorScale_->setDataRange(QCPRange(lo, hi));
}

void PlotPanel::updateDisplay(SeriesData& s) {
    ensurePlottable(s);
    if (s.map) {
        updateHeatmap(s);
        return;
    }
    const bool logX = plot_->xAxis->scaleType() == QCPAxis::stLogarithmic;
    const bool logV = valueAxisOf(s)->scaleType() == QCPAxis::stLogarithmic;
    const auto shown = [&](std::size_t i) {
        const double x = s.x[i];
        const double y = s.y[i];
        return std::isfinite(x) && std::isfinite(y) && (!logX || x > 0) && (!logV || y > 0);
    };
    const std::size_t n = s.x.size();
    s.rangeLimited = false;

    if (s.curve) {
        QVector<QCPCurveData> data;
        data.reserve(static_cast<int>(n));
        for (std::size_t i = 0; i < n; ++i)
            if (shown(i)) data.push_back(QCPCurveData(static_cast<double>(i), s.x[i], s.y[i]));
        s.displayed = static_cast<std::size_t>(data.size());
        s.curve->data()->set(data, true);
        return;
    }

    const int widthPx = std::max(plot_->axisRect()->width(), kMinDecimationWidthPx);
    const std::size_t threshold = 4 * static_cast<std::size_t>(widthPx);
    const bool decimate = s.spec.style == SeriesStyle::Line && s.monotonic && n > threshold;

    QVector<QCPGraphData> data;
    if (!decimate) {
        data.reserve(static_cast<int>(n));
        for (std::size_t i = 0; i < n; ++i)
            if (shown(i)) data.push_back(QCPGraphData(s.x[i], s.y[i]));
        s.displayed = static_cast<std::size_t>(data.size());
        s.graph->data()->set(data, s.monotonic);
        return;
    }

    // Min/max per pixel bucket over the visible x range (the whole data unless the user has
    // zoomed), plus one neighbour on each side so that lines run on to the edges.
    //
    // Block summaries make this independent of the number of points in the common case:
    // x increases, so the shown points of a block whose first and last shown points fall
    // into the same bucket all do, and the block's first smallest and first largest point are
    // what visiting its points one by one would pick. Blocks that straddle a bucket boundary
    // (at most one per boundary) and the partial blocks at the ends are visited point by point.
    const bool useBlocks = n < kNoPoint;
    if (useBlocks) {
        if (s.blocksLogX != logX || s.blocksLogV != logV) {
            s.blocks.clear();
            s.blocksLogX = logX;
            s.blocksLogV = logV;
        }
        const std::size_t complete = n / kBlockPoints;
        for (std::size_t k = s.blocks.size(); k < complete; ++k) {
            SeriesData::Block blk;
            for (std::size_t i = k * kBlockPoints; i < (k + 1) * kBlockPoints; ++i) {
                if (!shown(i)) continue;
                const auto u = static_cast<std::uint32_t>(i);
                if (blk.first == kNoPoint) {
                    blk.first = blk.min = blk.max = u;
                } else {
                    if (s.y[i] < s.y[blk.min]) blk.min = u;
                    if (s.y[i] > s.y[blk.max]) blk.max = u;
                }
                blk.last = u;
            }
            s.blocks.push_back(blk);
        }
    }
    s.rangeLimited = true;
    std::size_t i0 = 0;
    std::size_t i1 = n;
    double lo = 0;
    double hi = 0;
    if (userView_) {
        lo = plot_->xAxis->range().lower;
        hi = plot_->xAxis->range().upper;
        const auto first = std::lower_bound(s.x.begin(), s.x.end(), lo);
        const auto last = std::upper_bound(s.x.begin(), s.x.end(), hi);
        i0 = static_cast<std::size_t>(first - s.x.begin());
        i1 = static_cast<std::size_t>(last - s.x.begin());
        if (i0 > 0) --i0;
        if (i1 < n) ++i1;
    } else {
        // the first and the last shown point
        const std::size_t tail = useBlocks ? s.blocks.size() * kBlockPoints : 0;
        bool any = false;
        for (std::size_t k = 0; k < s.blocks.size() && useBlocks && !any; ++k)
            if (s.blocks[k].first != kNoPoint) {
                lo = s.x[s.blocks[k].first];
                any = true;
            }
        for (std::size_t i = tail; i < n && !any; ++i)
            if (shown(i)) {
                lo = s.x[i];
                any = true;
            }
        bool anyHi = false;
        for (std::size_t i = n; i > tail && !anyHi; --i)
            if (shown(i - 1)) {
                hi = s.x[i - 1];
                anyHi = true;
            }
        for (std::size_t k = useBlocks ? s.blocks.size() : 0; k > 0 && !anyHi; --k)
            if (s.blocks[k - 1].last != kNoPoint) {
                hi = s.x[s.blocks[k - 1].last];
                anyHi = true;
            }
    }
    const auto t = [logX](double x) { return logX ? std::log10(x) : x; };
    const double tLo = t(lo);
    const double span = t(hi) - tLo;
    const int buckets = 2 * widthPx;
    const auto bucketOf = [&](std::size_t i) -> long {
        if (!(span > 0 && std::isfinite(span))) return 0;
        const double f = (t(s.x[i]) - tLo) / span;
        return static_cast<long>(std::floor(std::clamp(f, -1.0, 2.0) * buckets));
    };

    data.reserve(2 * buckets + 4);
    long current = -1;
    std::size_t minI = 0;
    std::size_t maxI = 0;
    const auto flush = [&] {
        if (current < 0) return;
        const std::size_t a = std::min(minI, maxI);
        const std::size_t b = std::max(minI, maxI);
        data.push_back(QCPGraphData(s.x[a], s.y[a]));
        if (b != a) data.push_back(QCPGraphData(s.x[b], s.y[b]));
    };
    const auto visit = [&](std::size_t i) {
        if (!shown(i)) return;
        const long bucket = bucketOf(i);
        if (bucket != current) {
            flush();
            current = bucket;
            minI = maxI = i;
        } else {
            if (s.y[i] < s.y[minI]) minI = i;
            if (s.y[i] > s.y[maxI]) maxI = i;
        }
    };
    std::size_t i = i0;
    while (i < i1) {
        if (useBlocks && i % kBlockPoints == 0 && i + kBlockPoints <= i1) {
            const SeriesData::Block& blk = s.blocks[i / kBlockPoints];
            const std::size_t end = i + kBlockPoints;
            if (blk.first == kNoPoint) {
                i = end;
                continue;
            }
            const long bucket = bucketOf(blk.first);
            if (bucket == bucketOf(blk.last)) {
                if (bucket != current) {
                    flush();
                    current = bucket;
                    minI = blk.min;
                    maxI = blk.max;
                } else {
                    if (s.y[blk.min] < s.y[minI]) minI = blk.min;
                    if (s.y[blk.max] > s.y[maxI]) maxI = blk.max;
                }
                i = end;
                continue;
            }
            for (; i < end; ++i) visit(i);
            continue;
        }
        visit(i);
        ++i;
    }
    flush();
    s.displayed = static_cast<std::size_t>(data.size());
    s.graph->data()->set(data, true);
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

void PlotPanel::rescaleToData() {
    bool anyData = false;
    for (const auto& s : series_)
        if (s->displayed > 0) anyData = true;
    if (!anyData) return;
    plot_->rescaleAxes();
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
    if (heatmap) {
        QCPRange rx = plot_->xAxis->range();
        QCPRange ry = plot_->yAxis->range();
        rx.expand(hx);
        ry.expand(hy);
        plot_->xAxis->setRange(rx);
        plot_->yAxis->setRange(ry);
        return;
    }
    // Leave a margin above and below the data (in decades on log axes).
    const auto pad = [](QCPAxis* axis, double fraction) {
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
    };
    bool scatter = false;
    bool trajectory = false;
    for (const auto& s : series_) {
        if (s->spec.style == SeriesStyle::Scatter || s->curve) scatter = true;
        if (s->spec.style == SeriesStyle::Trajectory && s->displayed > 0) trajectory = true;
    }
    // trajectories: room for the start markers, arrowheads and the labels of the last points
    const double yPad = trajectory ? 0.1 : 0.06;
    pad(plot_->yAxis, yPad);
    if (plot_->yAxis2->visible()) pad(plot_->yAxis2, yPad);
    if (scatter || plot_->xAxis->range().size() <= 0) pad(plot_->xAxis, trajectory ? 0.08 : 0.04);
}

void PlotPanel::updateAllTrajectoryItems() {
    bool any = false;
    for (auto& s : series_) {
        updateTrajectoryItems(*s);
        if (s->arrow) any = true;
    }
    if (any) placeLegend();
}

void PlotPanel::placeLegend() {
    // Trajectories wander over the whole plot: put the legend in the corner with the fewest
    // points and last-point labels (top right when it is free).
    const Qt::Alignment corners[] = {Qt::AlignTop | Qt::AlignRight, Qt::AlignTop | Qt::AlignLeft,
                                     Qt::AlignBottom | Qt::AlignRight,
                                     Qt::AlignBottom | Qt::AlignLeft};
    int count[4] = {0, 0, 0, 0};
    const auto fraction = [](QCPAxis* axis, double v) {
        const QCPRange r = axis->range();
        if (axis->scaleType() == QCPAxis::stLogarithmic)
            return r.lower > 0 && v > 0 ? std::log(v / r.lower) / std::log(r.upper / r.lower)
                                        : -1.0;
        return r.size() > 0 ? (v - r.lower) / r.size() : 0.5;
    };
    constexpr double kCorner = 0.35;  // the share of each axis a corner stands for
    for (const auto& sp : series_) {
        const SeriesData& s = *sp;
        const QCPAbstractPlottable* p = s.plottable();
        if (!p || !p->visible()) continue;
        QCPAxis* va = valueAxisOf(s);
        const std::size_t step = std::max<std::size_t>(1, s.x.size() / 2000);  // a sample
        for (std::size_t i = 0; i < s.x.size(); i += step) {
            const double fx = fraction(plot_->xAxis, s.x[i]);
            const double fy = fraction(va, s.y[i]);
            if (!std::isfinite(fx) || !std::isfinite(fy)) continue;
            const bool right = fx > 1 - kCorner && fx <= 1;
            const bool left = fx < kCorner && fx >= 0;
            const bool top = fy > 1 - kCorner && fy <= 1;
            const bool bottom = fy < kCorner && fy >= 0;
            // the last point of a trajectory carries a label: it weighs more
            const int w = (s.arrow && i + 1 == s.x.size()) ? 4 : 1;
            if (top && right) count[0] += w;
            if (top && left) count[1] += w;
            if (bottom && right) count[2] += w;
            if (bottom && left) count[3] += w;
        }
    }
    // stay where it is unless another corner is emptier (no jumping between equal corners)
    auto* inset = plot_->axisRect()->insetLayout();
    int best = 0;
    for (int c = 1; c < 4; ++c)
        if (inset->insetAlignment(0) == corners[c]) best = c;
    for (int c = 0; c < 4; ++c)
        if (count[c] < count[best]) best = c;
    if (inset->insetAlignment(0) != corners[best]) inset->setInsetAlignment(0, corners[best]);
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

void PlotPanel::onMouseWheel(QWheelEvent*) {
    userView_ = true;
    hideHover();
}

void PlotPanel::hideHover() {
    if (tracer_->visible()) {
        tracer_->setVisible(false);
        tracer_->layer()->replot();
    }
    QToolTip::hideText();
    hoverText_.clear();
}

bool PlotPanel::nearestPoint(const QPointF& pos, const SeriesData** bestOut,
                             std::size_t* indexOut) const {
    const double r2 = double(kHoverRadiusPx) * kHoverRadiusPx;
    const SeriesData* best = nullptr;
    std::size_t bestI = 0;
    double bestD2 = r2;
    QCPAxis* xa = plot_->xAxis;
    const bool logX = xa->scaleType() == QCPAxis::stLogarithmic;
    for (const auto& sp : series_) {
        const SeriesData& s = *sp;
        if (!s.plottable() || !s.plottable()->visible() || s.x.empty()) continue;
        QCPAxis* va = valueAxisOf(s);
        const bool logV = va->scaleType() == QCPAxis::stLogarithmic;
        std::size_t i0 = 0;
        std::size_t i1 = s.x.size();
        if (s.monotonic) {
            double a = xa->pixelToCoord(pos.x() - kHoverRadiusPx);
            double b = xa->pixelToCoord(pos.x() + kHoverRadiusPx);
            if (a > b) std::swap(a, b);
            i0 =
                static_cast<std::size_t>(std::lower_bound(s.x.begin(), s.x.end(), a) - s.x.begin());
            i1 =
                static_cast<std::size_t>(std::upper_bound(s.x.begin(), s.x.end(), b) - s.x.begin());
            if (i1 - i0 > 20000) {  // very dense: look around the x under the cursor only
                const double c = xa->pixelToCoord(pos.x());
                const std::size_t m = static_cast<std::size_t>(
                    std::lower_bound(s.x.begin(), s.x.end(), c) - s.x.begin());
                i0 = std::max(i0, m > 10000 ? m - 10000 : 0);
                i1 = std::min(i1, m + 10000);
            }
        }
        for (std::size_t i = i0; i < i1; ++i) {
            const double x = s.x[i];
            const double y = s.y[i];
            if (!std::isfinite(x) || !std::isfinite(y) || (logX && x <= 0) || (logV && y <= 0))
                continue;
            const double dx = xa->coordToPixel(x) - pos.x();
            const double dy = va->coordToPixel(y) - pos.y();
            const double d2 = dx * dx + dy * dy;
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

bool PlotPanel::cellAt(const QPointF& pos, const SeriesData** bestOut, std::size_t* ix,
                       std::size_t* iy) const {
    const double x = plot_->xAxis->pixelToCoord(pos.x());
    const double y = plot_->yAxis->pixelToCoord(pos.y());
    if (!plot_->axisRect()->rect().contains(pos.toPoint())) return false;
    // the last added heatmap is drawn on top
    for (auto it = series_.rbegin(); it != series_.rend(); ++it) {
        const SeriesData& s = **it;
        if (!s.map || !s.map->visible() || s.displayed == 0) continue;
        if (!s.extentX.contains(x) || !s.extentY.contains(y)) continue;
        *bestOut = &s;
        *ix = nearestIndex(s.grid.xs, x);
        *iy = nearestIndex(s.grid.ys, y);
        return true;
    }
    return false;
}

void PlotPanel::onMouseMove(QMouseEvent* event) {
    if (event->buttons() & (Qt::LeftButton | Qt::MiddleButton)) {
        userView_ = true;
        hideHover();
        return;
    }
    const QPointF pos = event->position();
    const SeriesData* best = nullptr;
    std::size_t bestI = 0;
    nearestPoint(pos, &best, &bestI);
    QCPAxis* xa = plot_->xAxis;
    if (!best) {
        // no point near: the heatmap cell under the cursor, if any
        std::size_t ix = 0;
        std::size_t iy = 0;
        if (!cellAt(pos, &best, &ix, &iy)) {
            hideHover();
            return;
        }
        const Grid& g = best->grid;
        const double x = g.xs[ix];
        const double y = g.ys[iy];
        const double z = g.z[iy * g.xs.size() + ix];
        tracer_->position->setAxes(xa, plot_->yAxis);
        tracer_->position->setCoords(x, y);
        tracer_->setPen(QPen(Qt::white, 1.5));
        tracer_->setBrush(Qt::NoBrush);
        tracer_->setVisible(true);
        tracer_->layer()->replot();
        const QString zName = QString::fromStdString(spec_.y2Label.empty() ? "z" : spec_.y2Label);
        hoverText_ =
            QStringLiteral("<b>%1</b><br>%2 = %3<br>%4 = %5<br>%6 = %7")
                .arg(QString::fromStdString(best->spec.name).toHtmlEscaped(),
                     QString::fromStdString(best->spec.xName).toHtmlEscaped(),
                     QString::number(x, 'g', 9),
                     QString::fromStdString(best->spec.yName).toHtmlEscaped(),
                     QString::number(y, 'g', 9), zName.toHtmlEscaped(), QString::number(z, 'g', 9));
        QToolTip::showText(event->globalPosition().toPoint(), hoverText_, plot_);
        return;
    }
    const double x = best->x[bestI];
    const double y = best->y[bestI];
    tracer_->position->setAxes(xa, valueAxisOf(*best));
    tracer_->position->setCoords(x, y);
    tracer_->setPen(QPen(palette().color(QPalette::Text), 1.5));
    tracer_->setBrush(seriesColor(best->spec.color));
    tracer_->setVisible(true);
    tracer_->layer()->replot();
    const QString xName = QString::fromStdString(best->spec.xName);
    const QString yName = QString::fromStdString(best->spec.yName);
    QString text =
        QStringLiteral("<b>%1</b>").arg(QString::fromStdString(best->spec.name).toHtmlEscaped());
    if (bestI < best->labels.size() && !best->labels[bestI].empty())
        text += QStringLiteral("<br>%1").arg(
            QString::fromStdString(best->labels[bestI]).toHtmlEscaped());
    text += QStringLiteral("<br>%1 = %2<br>%3 = %4")
                .arg(xName.toHtmlEscaped(), QString::number(x, 'g', 9), yName.toHtmlEscaped(),
                     QString::number(y, 'g', 9));
    hoverText_ = text;
    QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
}

void PlotPanel::showContextMenu(const QPoint& pos) {
    hideHover();
    QMenu menu(this);
    const QString base = QString::fromStdString(spec_.id);
    const auto fail = [this](const QString& error) {
        QMessageBox::warning(this, tr("Export failed"), error);
    };
    menu.addAction(tr("Export PNG…"), this, [this, base, fail] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export PNG"), base + ".png",
                                                          tr("PNG images (*.png)"));
        QString error;
        if (!path.isEmpty() && !exportPng(path, 1200, 800, 2.0, &error)) fail(error);
    });
    menu.addAction(tr("Export SVG…"), this, [this, base, fail] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export SVG"), base + ".svg",
                                                          tr("SVG images (*.svg)"));
        QString error;
        if (!path.isEmpty() && !exportSvg(path, 1200, 800, &error)) fail(error);
    });
    menu.addAction(tr("Export CSV…"), this, [this, base, fail] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export CSV"), base + ".csv",
                                                          tr("CSV files (*.csv)"));
        QString error;
        if (!path.isEmpty() && !exportCsv(path, &error)) fail(error);
    });
    menu.addSeparator();
    menu.addAction(tr("Reset view"), this, [this] { resetView(); });
    menu.exec(plot_->mapToGlobal(pos));
}

void PlotPanel::syncForExport() const {
    // Exports show every point given so far, even if the owner has not refreshed yet.
    if (dirty_) const_cast<PlotPanel*>(this)->refresh();
}

bool PlotPanel::exportPng(const QString& path, int width, int height, double scale,
                          QString* error) const {
    if (width <= 0 || height <= 0 || !(scale > 0)) {
        if (error)
            *error = QStringLiteral("Invalid PNG size %1×%2 at scale %3")
                         .arg(width)
                         .arg(height)
                         .arg(scale);
        return false;
    }
    syncForExport();
    const bool tracerShown = tracer_->visible();
    tracer_->setVisible(false);
    QImage image = plot_->toPixmap(width, height, scale).toImage();
    tracer_->setVisible(tracerShown);
    plot_->replot(QCustomPlot::rpQueuedReplot);  // relayout at the widget's own size
    if (image.isNull()) {
        if (error) *error = QStringLiteral("Cannot render the plot for %1").arg(path);
        return false;
    }
    const int dotsPerMeter = qRound(96.0 * scale / 0.0254);
    image.setDotsPerMeterX(dotsPerMeter);
    image.setDotsPerMeterY(dotsPerMeter);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (!image.save(&buffer, "PNG")) {
        if (error) *error = QStringLiteral("Cannot encode the PNG for %1").arg(path);
        return false;
    }
    return writeAtomically(path, bytes, "PNG", error);
}

bool PlotPanel::exportSvg(const QString& path, int width, int height, QString* error) const {
    if (width <= 0 || height <= 0) {
        if (error) *error = QStringLiteral("Invalid SVG size %1×%2").arg(width).arg(height);
        return false;
    }
    syncForExport();
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator generator;
    generator.setOutputDevice(&buffer);
    generator.setSize(QSize(width, height));
    generator.setViewBox(QRect(0, 0, width, height));
    generator.setResolution(96);
    generator.setTitle(QString::fromStdString(spec_.title));
    generator.setDescription(
        QStringLiteral("trainlab plot %1").arg(QString::fromStdString(spec_.id)));

    const bool tracerShown = tracer_->visible();
    tracer_->setVisible(false);
    QCPPainter painter;
    if (!painter.begin(&generator)) {
        tracer_->setVisible(tracerShown);
        if (error) *error = QStringLiteral("Cannot start the SVG painter for %1").arg(path);
        return false;
    }
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    plot_->toPainter(&painter, width, height);
    painter.end();
    tracer_->setVisible(tracerShown);
    plot_->replot(QCustomPlot::rpQueuedReplot);
    if (bytes.isEmpty()) {
        if (error) *error = QStringLiteral("The SVG renderer produced nothing for %1").arg(path);
        return false;
    }
    return writeAtomically(path, bytes, "SVG", error);
}

bool PlotPanel::exportCsv(const QString& path, QString* error) const {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = QStringLiteral("Cannot write CSV to %1: %2").arg(path, file.errorString());
        return false;
    }
    QByteArray out;
    out.reserve(1 << 20);
    const bool withLabels = std::any_of(series_.begin(), series_.end(),
                                        [](const auto& s) { return !s->labels.empty(); });
    const bool withZ =
        std::any_of(series_.begin(), series_.end(), [](const auto& s) { return s->heatmap(); });
    out.append("series,x,y");
    if (withZ) out.append(",z");
    out.append(withLabels ? ",label\n" : "\n");
    char buf[64];
    bool ok = true;
    for (const auto& s : series_) {
        const QByteArray id = QByteArray::fromStdString(s->spec.id);
        if (s->heatmap()) {
            const Grid& g = s->grid;
            const std::size_t nx = g.xs.size();
            for (std::size_t i = 0; i < g.z.size() && ok; ++i) {
                out.append(id);
                out.append(',');
                out.append(buf, formatNumber(buf, sizeof buf, g.xs[i % nx]));
                out.append(',');
                out.append(buf, formatNumber(buf, sizeof buf, g.ys[i / nx]));
                out.append(',');
                out.append(buf, formatNumber(buf, sizeof buf, g.z[i]));
                out.append(withLabels ? ",\"\"\n" : "\n");
                if (out.size() > (1 << 20)) {
                    ok = file.write(out) == out.size();
                    out.clear();
                }
            }
            continue;
        }
        for (std::size_t i = 0; i < s->x.size() && ok; ++i) {
            out.append(id);
            out.append(',');
            out.append(buf, formatNumber(buf, sizeof buf, s->x[i]));
            out.append(',');
            out.append(buf, formatNumber(buf, sizeof buf, s->y[i]));
            if (withZ) out.append(',');
            if (withLabels) {
                out.append(',');
                appendQuoted(out, i < s->labels.size() ? s->labels[i] : std::string());
            }
            out.append('\n');
            if (out.size() > (1 << 20)) {
                ok = file.write(out) == out.size();
                out.clear();
            }
        }
    }
    if (ok && !out.isEmpty()) ok = file.write(out) == out.size();
    if (!ok || !file.commit()) {
        if (error)
            *error = QStringLiteral("Cannot write CSV to %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

}  // namespace trainlab
