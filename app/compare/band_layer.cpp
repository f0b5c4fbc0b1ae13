#include "band_layer.h"

#include <algorithm>
#include <cmath>

namespace trainlab {

namespace {

const QString kLayer = QStringLiteral("compare_bands");

QCPLayer* bandLayerOf(QCustomPlot* plot) {
    if (QCPLayer* layer = plot->layer(kLayer)) return layer;
    plot->addLayer(kLayer, plot->layer(QStringLiteral("main")), QCustomPlot::limBelow);
    return plot->layer(kLayer);
}

/// The band's lower and upper curves as plotted: bucketed to at most `maxPoints`, and kept
/// above zero on a log axis.
void plottedBand(const Band& band, bool logY, std::size_t maxPoints, QVector<double>& x,
                 QVector<double>& lo, QVector<double>& hi) {
    const std::size_t n = band.x.size();
    const std::size_t bucket = std::max<std::size_t>(1, (n + maxPoints - 1) / maxPoints);
    for (std::size_t i = 0; i < n; i += bucket) {
        const std::size_t end = std::min(n, i + bucket);
        double l = band.lower[i], h = band.upper[i];
        for (std::size_t j = i; j < end; ++j) {
            double lj = band.lower[j];
            if (logY && !(lj > 0)) lj = band.centre[j] > 0 ? band.centre[j] / 100 : NAN;
            l = j == i ? lj : std::min(l, lj);
            h = std::max(h, band.upper[j]);
        }
        x.push_back(band.x[i]);
        lo.push_back(l);
        hi.push_back(h);
    }
}

}  // namespace

BandLayer::BandLayer(QCustomPlot* plot, bool logY) : plot_(plot), logY_(logY) {}

BandLayer::~BandLayer() { clear(); }

void BandLayer::setBand(const std::string& key, const Band& band, const QColor& color) {
    if (!plot_) return;
    auto it = std::find_if(bands_.begin(), bands_.end(), [&](const Pair& p) { return p.key == key; });
    if (it == bands_.end()) {
        QCPLayer* layer = bandLayerOf(plot_);
        Pair p;
        p.key = key;
        p.lower = plot_->addGraph(plot_->xAxis, plot_->yAxis);
        p.upper = plot_->addGraph(plot_->xAxis, plot_->yAxis);
        for (QCPGraph* g : {p.lower, p.upper}) {
            g->setLayer(layer);
            g->setPen(Qt::NoPen);
            g->removeFromLegend();
            g->setSelectable(QCP::stNone);
            g->setAdaptiveSampling(false);  // the band is bucketed already; keep its envelope
        }
        p.upper->setChannelFillGraph(p.lower);
        bands_.push_back(p);
        it = std::prev(bands_.end());
    }
    QColor fill = color;
    fill.setAlpha(60);
    it->upper->setBrush(fill);
    it->upper->setName(QString::fromStdString(key));
    QVector<double> x, lo, hi;
    plottedBand(band, logY_, kMaxBandPoints, x, lo, hi);
    it->lower->setData(x, lo, true);
    it->upper->setData(x, hi, true);
}

void BandLayer::clear() {
    if (plot_)
        for (const Pair& p : bands_) {
            plot_->removeGraph(p.upper);
            plot_->removeGraph(p.lower);
        }
    bands_.clear();
}

QCPGraph* BandLayer::lowerOf(const std::string& key) const {
    for (const Pair& p : bands_)
        if (p.key == key) return p.lower;
    return nullptr;
}

QCPGraph* BandLayer::upperOf(const std::string& key) const {
    for (const Pair& p : bands_)
        if (p.key == key) return p.upper;
    return nullptr;
}

}  // namespace trainlab
