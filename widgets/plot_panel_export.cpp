// PlotPanel's exports: PNG and SVG through the ExportSource interface it shares with
// ResultsChart (plot_export.h), and the CSV of every stored point.
#include <qcustomplot.h>

#include <algorithm>

#include "plot_export.h"
#include "plot_interaction.h"
#include "plot_panel.h"
#include "plot_series.h"

namespace trainlab {

QColor PlotPanel::exportBackground() const {
    return palette().color(QPalette::Base);  // the plot's background (applyColors)
}

QString PlotPanel::exportTitle() const {
    return QString::fromStdString(spec_.title);
}

QString PlotPanel::exportDescription() const {
    return QStringLiteral("trainlab plot %1").arg(QString::fromStdString(spec_.id));
}

bool PlotPanel::paintForExport(QPaintDevice* device, int w, int h, double scale,
                               bool vector) const {
    QCPItemTracer* tracer = interaction_->tracer();
    const bool tracerShown = tracer->visible();
    tracer->setVisible(false);
    QCPPainter painter;
    const bool ok = painter.begin(device);
    if (ok) {
        if (vector) {
            painter.setMode(QCPPainter::pmVectorized);
        } else if (!qFuzzyCompare(scale, 1.0)) {  // as QCustomPlot::toPixmap
            // below 1: cosmetic pens where possible, or thin lines might disappear
            if (scale > 1.0) painter.setMode(QCPPainter::pmNonCosmetic);
            painter.scale(scale, scale);
        }
        painter.setMode(QCPPainter::pmNoCaching);
        fitLayout(QSize(w, h));  // legend, labels and margins for the export's size
        plot_->toPainter(&painter, w, h);
        painter.end();
    }
    tracer->setVisible(tracerShown);
    plot_->replot(QCustomPlot::rpQueuedReplot);  // relayout at the widget's own size
    return ok;
}

bool PlotPanel::exportPng(const QString& path, int width, int height, double scale,
                          QString* error) const {
    if (width > 0 && height > 0 && scale > 0) syncForExport();
    return trainlab::exportPng(*this, path, width, height, scale, error);
}

bool PlotPanel::exportSvg(const QString& path, int width, int height, QString* error) const {
    if (width > 0 && height > 0) syncForExport();
    return trainlab::exportSvg(*this, path, width, height, error);
}

bool PlotPanel::exportCsv(const QString& path, QString* error) const {
    CsvExport csv(path);
    const bool withLabels = std::any_of(series_.begin(), series_.end(),
                                        [](const auto& s) { return !s->labels.empty(); });
    const bool withZ =
        std::any_of(series_.begin(), series_.end(), [](const auto& s) { return s->heatmap(); });
    // as on screen: the smoothed series are those smoothable at the current weight
    const bool withSmoothed =
        smoothing_ > 0 &&
        std::any_of(series_.begin(), series_.end(), [](const auto& s) { return smoothable(*s); });
    csv.text("series,x,y");
    if (withSmoothed) csv.text(",smoothed");
    if (withZ) csv.text(",z");
    if (withLabels) csv.text(",label");
    csv.endRow();
    for (const auto& s : series_) {
        const QByteArray id = QByteArray::fromStdString(s->spec.id);
        const Grid& g = s->grid;
        for (std::size_t i = 0; i < g.z.size(); ++i) {  // heatmaps: one row per cell
            csv.text(id);
            csv.text(',');
            csv.number(g.xs[i % g.xs.size()]);
            csv.text(',');
            csv.number(g.ys[i / g.xs.size()]);
            if (withSmoothed) csv.text(',');
            csv.text(',');
            csv.number(g.z[i]);
            if (withLabels) csv.text(",\"\"");
            csv.endRow();
        }
        // the whole series at once: the same numbers as the display's incremental smoothing
        const std::vector<double> smoothed = withSmoothed && smoothable(*s)
                                                 ? smoothEma(s->points.y(), smoothing_)
                                                 : std::vector<double>();
        for (std::size_t i = 0; i < s->points.size(); ++i) {
            csv.text(id);
            csv.text(',');
            csv.number(s->points.x()[i]);
            csv.text(',');
            csv.number(s->points.y()[i]);
            if (withSmoothed) csv.text(',');
            if (i < smoothed.size()) csv.number(smoothed[i]);
            if (withZ) csv.text(',');
            if (withLabels) {
                csv.text(',');
                csv.quoted(i < s->labels.size() ? s->labels[i] : std::string());
            }
            csv.endRow();
        }
    }
    return csv.commit(error);
}

}  // namespace trainlab
