#include "experiment_view.h"

#include <QDir>
#include <QWidget>
#include <exception>

#include "core/errors.h"

namespace trainlab {

ExperimentView::ExperimentView(const PlotLayout& layout, QWidget* panelParent) : layout_(layout) {
    for (const PanelSpec& p : layout_.panels) {
        if (panelIndex_.count(p.id)) continue;  // duplicate panel ids: the first one wins
        auto* panel = new PlotPanel(p, panelParent);
        panelIndex_.emplace(p.id, panels_.size());
        panels_.push_back(panel);
        guarded_.emplace_back(panel);
    }
    for (const SeriesSpec& s : layout_.series) {
        const auto it = panelIndex_.find(s.panel);
        if (it == panelIndex_.end() || seriesPanel_.count(s.id)) continue;
        panels_[it->second]->addSeries(s);
        seriesPanel_.emplace(s.id, it->second);
    }
}

ExperimentView::~ExperimentView() {
    for (const QPointer<PlotPanel>& panel : guarded_)
        if (panel && !panel->parent()) delete panel.data();
}

PlotPanel* ExperimentView::panelFor(const std::string& panelId) const {
    const auto it = panelIndex_.find(panelId);
    return it == panelIndex_.end() ? nullptr : guarded_[it->second].data();
}

PlotPanel* ExperimentView::panelOfSeries(const std::string& seriesId) const {
    const auto it = seriesPanel_.find(seriesId);
    return it == seriesPanel_.end() ? nullptr : guarded_[it->second].data();
}

void ExperimentView::append(const std::string& seriesId, const std::vector<double>& x,
                            const std::vector<double>& y) {
    if (PlotPanel* panel = panelOfSeries(seriesId)) panel->appendPoints(seriesId, x, y);
}

void ExperimentView::replace(const std::string& seriesId, const std::vector<double>& x,
                             const std::vector<double>& y) {
    if (PlotPanel* panel = panelOfSeries(seriesId)) panel->replaceSeries(seriesId, x, y);
}

void ExperimentView::setLabels(const std::string& seriesId,
                               const std::vector<std::string>& labels) {
    if (PlotPanel* panel = panelOfSeries(seriesId)) panel->setPointLabels(seriesId, labels);
}

void ExperimentView::setGrid(const std::string& seriesId, const Grid& grid) {
    if (PlotPanel* panel = panelOfSeries(seriesId)) panel->setGrid(seriesId, grid);
}

void ExperimentView::refresh() {
    for (const QPointer<PlotPanel>& panel : guarded_)
        if (panel) panel->refresh();
}

void ExperimentView::loadFromRun(const RunDirectory& dir) {
    // An Append series' file holds every point, a Replace series' file holds the last curve:
    // either way the file is the whole series.
    std::exception_ptr damaged;
    for (const auto& [spec, series] : dir.readAllSeries()) {
        if (spec.style == SeriesStyle::Heatmap) {
            std::error_code ec;
            const fs::path path = dir.seriesPath(spec.id);
            Grid grid;
            try {
                if (fs::exists(path, ec)) grid = readGridCsv(path);
            } catch (const DataError&) {
                if (!damaged) damaged = std::current_exception();
            }
            setGrid(spec.id, grid);
            continue;
        }
        replace(spec.id, series.x, series.y);
        std::error_code ec;
        const fs::path labels = dir.labelsPath(spec.id);
        // the labels belong to these points: none when the run has none
        setLabels(spec.id,
                  fs::exists(labels, ec) ? readSeriesLabels(labels) : std::vector<std::string>{});
    }
    refresh();
    if (damaged) std::rethrow_exception(damaged);
}

QStringList ExperimentView::exportAll(const QString& plotsDir, QString* error) const {
    QStringList written;
    QStringList errors;
    if (!QDir().mkpath(plotsDir)) {
        if (error) *error = QStringLiteral("Cannot create the folder %1").arg(plotsDir);
        return written;
    }
    const QDir dir(plotsDir);
    for (const QPointer<PlotPanel>& panel : guarded_) {
        if (!panel) continue;
        const QString base = dir.filePath(QString::fromStdString(panel->spec().id));
        QString e;
        if (panel->exportPng(base + ".png", 1200, 800, 1.0, &e))
            written << base + ".png";
        else
            errors << e;
        if (panel->exportSvg(base + ".svg", 1200, 800, &e))
            written << base + ".svg";
        else
            errors << e;
        if (panel->exportCsv(base + ".csv", &e))
            written << base + ".csv";
        else
            errors << e;
    }
    if (error) *error = errors.join(QLatin1Char('\n'));
    return written;
}

}  // namespace trainlab
