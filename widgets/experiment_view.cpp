#include "experiment_view.h"

#include <sys/stat.h>
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QWidget>
#include <cerrno>
#include <cstring>
#include <exception>

#include "errors.h"
#include "csv.h"

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
    loadFromRun(dir, nullptr);
}

void ExperimentView::loadFromRun(const RunDirectory& dir, std::vector<std::string>* warnings) {
    // An Append series' file holds every point, a Replace series' file holds the last curve:
    // either way the file is the whole series.
    std::vector<std::string> skipped;
    std::vector<std::string> errors;
    for (const auto& [spec, series] : dir.readAllSeries(skipped, errors)) {
        std::error_code ec;
        if (spec.style == SeriesStyle::Heatmap) {
            const fs::path path = dir.seriesPath(spec.id);
            Grid grid;
            try {
                if (fs::exists(fs::symlink_status(path, ec))) grid = readGridCsv(path);
            } catch (const std::exception& e) {
                errors.push_back("series '" + spec.id + "' not read: " + e.what());
            }
            setGrid(spec.id, grid);
            continue;
        }
        replace(spec.id, series.x, series.y);
        const fs::path labels = dir.labelsPath(spec.id);
        std::vector<std::string> text;  // the labels belong to these points: none without them
        try {
            text = readSeriesLabels(labels);
        } catch (const std::exception& e) {
            errors.push_back("labels of series '" + spec.id + "' not read: " + e.what());
        }
        setLabels(spec.id, text);
    }
    refresh();
    if (warnings) warnings->insert(warnings->end(), skipped.begin(), skipped.end());
    if (!errors.empty()) {
        std::string all;
        for (const std::string& e : errors) all += (all.empty() ? "" : "\n") + e;
        throw DataError(dir.metricsDir().string(), all);
    }
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
        const std::string& id = panel->spec().id;
        if (!isSafeId(id)) {  // "../x" or "/tmp/x" would be written outside the folder
            errors << QStringLiteral("Panel '%1' not exported: its id is not a plain file name")
                          .arg(QString::fromStdString(id.substr(0, 200)));
            continue;
        }
        const QString base = dir.filePath(QString::fromStdString(id));
        // QSaveFile writes through a symbolic link to its target: remove a link in a file's
        // place first, so that the file is written in this folder and the target stays intact.
        for (const char* ext : {".png", ".svg", ".csv"}) {
            const QByteArray path = QFile::encodeName(base + QLatin1String(ext));
            struct stat st {};
            if (::lstat(path.constData(), &st) == 0 && S_ISLNK(st.st_mode) &&
                ::unlink(path.constData()) != 0)
                errors << QStringLiteral("Cannot replace the link %1: %2")
                              .arg(QFile::decodeName(path),
                                   QString::fromLocal8Bit(std::strerror(errno)));
        }
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

QStringList ExperimentView::exportToRun(const RunDirectory& dir, QString* error) const {
    fs::path plots;
    try {
        plots = dir.plotsDirForWriting();
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return {};
    }
    return exportAll(QString::fromStdString(plots.string()), error);
}

}  // namespace trainlab
