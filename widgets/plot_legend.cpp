#include "plot_legend.h"

#include <QFontMetricsF>
#include <algorithm>
#include <cmath>

#include "plot_fit.h"
#include "plot_panel.h"

namespace trainlab {

namespace {

constexpr double kMinPointSize = 7.0;
constexpr double kSmallerBy = 1.5;        // the smaller font tried inside the axis rect
constexpr double kMaxShareBelow = 0.3;    // of the viewport's height, for a legend below
constexpr double kSampleEveryPx = 4.0;    // along lines, for the covered share
constexpr std::size_t kMaxSamples = 20000;  // per series

/// A legend entry drawn faded while its plottable is hidden.
class FadingLegendItem : public QCPPlottableLegendItem {
  public:
    using QCPPlottableLegendItem::QCPPlottableLegendItem;

  protected:
    void draw(QCPPainter* painter) override {
        const bool hidden = !plottable()->visible();
        if (hidden) painter->setOpacity(0.3);
        QCPPlottableLegendItem::draw(painter);
        if (hidden) painter->setOpacity(1.0);
    }
};

/// Counts the samples of a polyline (points, and with `lines` points every few pixels along
/// its segments) inside `rect`.
struct Counter {
    Counter(const QRectF& r, bool l) : rect(r), lines(l) {}
    const QRectF& rect;
    bool lines;
    std::size_t inside = 0;
    std::size_t total = 0;
    bool havePrev = false;
    QPointF prev;

    void add(const QPointF& p) {
        if (!std::isfinite(p.x()) || !std::isfinite(p.y())) {
            havePrev = false;
            return;
        }
        if (lines && havePrev) {
            const QPointF d = p - prev;
            const double len = std::hypot(d.x(), d.y());
            const int steps = std::min(200, static_cast<int>(len / kSampleEveryPx));
            for (int k = 1; k < steps; ++k) count(prev + d * (double(k) / steps));
        }
        count(p);
        prev = p;
        havePrev = true;
    }
    void count(const QPointF& p) {
        ++total;
        if (rect.contains(p)) ++inside;
    }
};

template <class Container, class ToPixels>
void countData(const Container& data, ToPixels toPixels, Counter& c) {
    const int n = data.size();
    const int stride = std::max<int>(1, static_cast<int>(n / kMaxSamples));
    for (int i = 0; i < n; i += stride) c.add(toPixels(*(data.constBegin() + i)));
}

}  // namespace

PlotLegend::PlotLegend(PlotPanel* panel, QCustomPlot* plot, PlotSeriesList& series)
    : QObject(panel), panel_(panel), plot_(plot), series_(series) {
    connect(plot_, &QCustomPlot::legendClick, this,
            [this](QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent* event) {
                if (item && event->button() == Qt::LeftButton) onClick(item);
            });
}

double PlotLegend::coverage(const QCustomPlot* plot, const PlotSeriesList& series,
                            const QRectF& rect) {
    std::size_t inside = 0;
    std::size_t total = 0;
    for (const auto& sp : series) {
        const PlotSeries& s = *sp;
        if (!s.plottable() || !s.plottable()->visible() || s.displayed == 0) continue;
        if (s.map) return 1.0;  // a heat map fills the axis rect
        const bool lines = s.spec.style != SeriesStyle::Scatter;
        Counter c{rect, lines};
        if (s.graph) {
            const QCPGraph* g = s.graph;
            countData(*g->data(), [g](const QCPGraphData& d) {
                return g->coordsToPixels(d.key, d.value);
            }, c);
        } else if (s.curve) {
            const QCPCurve* cv = s.curve;
            countData(*cv->data(), [cv](const QCPCurveData& d) {
                return cv->coordsToPixels(d.key, d.value);
            }, c);
        }
        inside += c.inside;
        total += c.total;
    }
    return total == 0 ? 0.0 : static_cast<double>(inside) / static_cast<double>(total);
}

void PlotLegend::syncItems() {
    QCPLegend* legend = plot_->legend;
    std::vector<QCPAbstractLegendItem*> wanted;
    for (const auto& s : series_) {
        QCPAbstractPlottable* p = s->plottable();
        if (!p || s->map) continue;
        QCPPlottableLegendItem* item = legend->itemWithPlottable(p);
        if (!dynamic_cast<FadingLegendItem*>(item)) {
            if (item) legend->removeItem(item);
            item = new FadingLegendItem(legend, p);
            item->setFont(legend->font());
            item->setTextColor(legend->textColor());
        }
        wanted.push_back(item);
    }
    // the entries in grid order (a wrapped legend may have empty cells)
    std::vector<QCPAbstractLegendItem*> have;
    for (int i = 0; i < legend->elementCount(); ++i)
        if (auto* item = qobject_cast<QCPAbstractLegendItem*>(legend->elementAt(i)))
            have.push_back(item);
    if (have == wanted) return;
    for (QCPAbstractLegendItem* item : wanted)
        if (item->layout() == legend) legend->take(item);
    legend->clearItems();  // entries of plottables that are gone
    for (QCPAbstractLegendItem* item : wanted) legend->addElement(item);
}

bool PlotLegend::outside() const {
    return plot_->legend->layout() == plot_->plotLayout();
}

void PlotLegend::moveInside(Qt::Alignment corner) {
    QCPLegend* legend = plot_->legend;
    QCPLayoutInset* inset = plot_->axisRect()->insetLayout();
    if (legend->layout() != inset) {
        inset->addElement(legend, corner);
        plot_->plotLayout()->simplify();
    }
    legend->setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX);
    legend->setIconSize(28, 12);
    legend->setWrap(0);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);  // one column
    inset->setInsetAlignment(0, corner);
}

bool PlotLegend::placeInside() {
    const Qt::Alignment corners[] = {Qt::AlignTop | Qt::AlignRight, Qt::AlignTop | Qt::AlignLeft,
                                     Qt::AlignBottom | Qt::AlignRight,
                                     Qt::AlignBottom | Qt::AlignLeft};
    QCPLayoutInset* inset = plot_->axisRect()->insetLayout();
    const Qt::Alignment was =
        plot_->legend->layout() == inset ? inset->insetAlignment(0) : corners[0];
    moveInside(Qt::AlignTop | Qt::AlignRight);
    layoutNow(plot_);
    const QRect ar = plot_->axisRect()->rect();
    const QRect at = plot_->legend->outerRect();  // top right: its gaps to the sides
    if (at.width() > ar.width() * 0.6 || at.height() > ar.height() * 0.7) return false;
    const int gx = ar.right() - at.right();
    const int gy = at.top() - ar.top();
    double best = 2;
    Qt::Alignment bestCorner = was;
    for (const Qt::Alignment c : corners) {
        QRect r = at;
        r.moveLeft(c & Qt::AlignLeft ? ar.left() + gx : ar.right() - gx - at.width() + 1);
        r.moveTop(c & Qt::AlignTop ? ar.top() + gy : ar.bottom() - gy - at.height() + 1);
        const double cov = coverage(plot_, series_, r);
        // stay where it was unless another corner is emptier (no jumping between equals)
        if (cov < best || (cov == best && c == was)) {
            best = cov;
            bestCorner = c;
        }
    }
    if (best > kSliver) return false;
    moveInside(bestCorner);
    return true;
}

void PlotLegend::moveBelow(const QFont& font) {
    QCPLegend* legend = plot_->legend;
    QCPLayoutGrid* grid = plot_->plotLayout();
    if (legend->layout() != grid) {
        int row = 0;
        for (int r = 0; r < grid->rowCount(); ++r)
            if (grid->element(r, 0) == plot_->axisRect()) row = r;
        grid->insertRow(row + 1);
        grid->addElement(row + 1, 0, legend);
    }
    legend->setFont(font);
    legend->setIconSize(20, 10);  // narrower entries: more of them side by side
    const int room = plot_->viewport().width() - 8;
    // as many columns as fit (filled row by row), each as wide as its widest entry
    for (int cols = std::max(1, legend->itemCount()); cols >= 1; --cols) {
        legend->setWrap(cols);
        legend->setFillOrder(QCPLayoutGrid::foRowsFirst, true);
        if (legend->minimumOuterSizeHint().width() <= room) break;
    }
    legend->setMaximumSize(QWIDGETSIZE_MAX, legend->minimumOuterSizeHint().height());
}

void PlotLegend::fit(const QFont& baseFont) {
    syncItems();
    QCPLegend* legend = plot_->legend;
    legend->setVisible(legend->itemCount() > 0);
    if (legend->itemCount() == 0) return;
    for (const double smaller : {0.0, kSmallerBy}) {
        QFont font = baseFont;
        font.setPointSizeF(std::max(kMinPointSize, baseFont.pointSizeF() - smaller));
        legend->setFont(font);
        if (placeInside()) return;
    }
    QFont font = baseFont;
    for (;;) {
        moveBelow(font);
        const int h = legend->minimumOuterSizeHint().height();
        if (h <= kMaxShareBelow * plot_->viewport().height() ||
            font.pointSizeF() - 0.5 < kMinPointSize)
            break;
        font.setPointSizeF(font.pointSizeF() - 0.5);
    }
    layoutNow(plot_);
}

void PlotLegend::setHidden(PlotSeries& s, bool hidden) {
    s.hidden = hidden;
    if (QCPAbstractPlottable* p = s.plottable()) p->setVisible(!hidden);
    emit toggled(QString::fromStdString(s.spec.id), !hidden);
}

void PlotLegend::onClick(QCPAbstractLegendItem* item) {
    auto* entry = qobject_cast<QCPPlottableLegendItem*>(item);
    if (!entry) return;
    for (auto& s : series_)
        if (s->plottable() == entry->plottable()) {
            setHidden(*s, !s->hidden);
            return;
        }
}

}  // namespace trainlab
