#include "plot_smoothing.h"

#include <qcustomplot.h>
#include <QPointer>
#include <algorithm>

#include "plot_extras.h"
#include "plot_panel.h"
#include "plot_series.h"

namespace trainlab {

namespace {

const QString kRawLayer = QStringLiteral("smoothing raw");
constexpr double kRawAlpha = 0.25;
constexpr double kRawWidthFactor = 0.6;  // thinner than the smoothed line

/// The faint raw points of a smoothed series. Draws nothing while the series' own graph is
/// hidden, so that hiding the series (e.g. from its legend entry) hides both.
class RawBehindGraph : public PiecewiseLineGraph {
  public:
    RawBehindGraph(QCPAxis* key, QCPAxis* value, QCPGraph* partner)
        : PiecewiseLineGraph(key, value), partner_(partner) {}
    QCPGraph* partner() const { return partner_.data(); }

  protected:
    void draw(QCPPainter* painter) override {
        if (partner_ && partner_->visible()) PiecewiseLineGraph::draw(painter);
    }

  private:
    QPointer<QCPGraph> partner_;
};

/// The layer under "main" that the raw graphs go on: every smoothed line stays above every
/// raw one.
QCPLayer* rawLayer(QCustomPlot* plot) {
    if (QCPLayer* layer = plot->layer(kRawLayer)) return layer;
    plot->addLayer(kRawLayer, plot->layer(QStringLiteral("main")), QCustomPlot::limBelow);
    return plot->layer(kRawLayer);
}

QCPGraph* addRawGraph(QCustomPlot* plot, QCPGraph* smoothed) {
    auto* raw = new RawBehindGraph(smoothed->keyAxis(), smoothed->valueAxis(), smoothed);
    raw->setName(smoothed->name() + QStringLiteral(" (raw)"));
    raw->removeFromLegend();
    raw->setLayer(rawLayer(plot));
    raw->setSelectable(QCP::stNone);
    raw->setVisible(smoothed->visible());  // a hidden series' raw line is hidden too
    QPen pen = smoothed->pen();
    QColor color = pen.color();
    color.setAlphaF(static_cast<float>(kRawAlpha * color.alphaF()));
    pen.setColor(color);
    pen.setWidthF(std::max(1.0, pen.widthF() * kRawWidthFactor));
    raw->setPen(pen);
    return raw;
}

void dropSmoothing(QCustomPlot* plot, PlotSeries& s) {
    if (!s.smoothing) return;
    if (s.smoothing->raw) plot->removePlottable(s.smoothing->raw);
    s.smoothing.reset();
}

}  // namespace

bool smoothable(const PlotSeries& s) {
    return s.spec.style == SeriesStyle::Line && s.spec.mode == SeriesMode::Append &&
           s.points.monotonic();
}

void syncSmoothing(QCustomPlot* plot, PlotSeries& s, double weight) {
    if (!(weight > 0) || !s.graph || !smoothable(s)) {
        dropSmoothing(plot, s);
        return;
    }
    if (!s.smoothing) s.smoothing = std::make_unique<SeriesSmoothing>();
    SeriesSmoothing& sm = *s.smoothing;
    auto* raw = static_cast<RawBehindGraph*>(sm.raw);
    if (raw && raw->partner() != s.graph) {  // the series' graph was made anew
        plot->removePlottable(raw);
        sm.raw = nullptr;
    }
    if (!sm.raw) sm.raw = addRawGraph(plot, s.graph);
    sm.values.setWeight(weight);
    sm.values.follow(s.points.x(), s.points.y());
}

bool smoothedValue(const PlotSeries& s, std::size_t i, double* value) {
    if (!s.smoothing || i >= s.smoothing->values.size()) return false;
    *value = s.smoothing->values.store().y()[i];
    return true;
}

std::size_t showOnGraph(QCPGraph* graph, SeriesStore& store, const LineView& view) {
    const std::vector<std::size_t> indices =
        view.decimate ? store.decimate(view.scales, view.buckets, view.range)
                      : store.shownIndices(view.scales);
    const std::vector<double>& xs = store.x();
    const std::vector<double>& ys = store.y();
    QVector<QCPGraphData> data;
    data.reserve(static_cast<int>(indices.size()));
    for (std::size_t i : indices) data.push_back(QCPGraphData(xs[i], ys[i]));
    graph->data()->set(data, store.monotonic());  // decimated series are monotonic
    return static_cast<std::size_t>(data.size());
}

void PlotPanel::setSmoothing(double w) {
    const double weight = clampSmoothingWeight(w);
    if (weight == smoothing_) return;
    smoothing_ = weight;
    for (auto& s : series_)
        if (!s->heatmap()) s->changed = true;
    dirty_ = true;
    refresh();
}

}  // namespace trainlab
