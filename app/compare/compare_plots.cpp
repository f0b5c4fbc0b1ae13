#include "compare_plots.h"

#include <qcustomplot.h>

#include <QGridLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <algorithm>

#include "palette.h"

namespace trainlab {

namespace {

/// Legends longer than this are hidden: a hundred entries cover the plot and say nothing.
constexpr int kMaxLegendItems = 16;

const Series kNoPoints{};

const Series& seriesOf(const CompareEntry& e, const std::string& id) {
    const auto it = e.data.series.find(id);
    return it == e.data.series.end() ? kNoPoints : it->second;
}

}  // namespace

ComparePlots::ComparePlots(QWidget* parent) : QWidget(parent) {
    grid_ = new QGridLayout(this);
    grid_->setContentsMargins(4, 4, 4, 4);
    grid_->setSpacing(6);
}

ComparePlots::~ComparePlots() { clearCells(); }

std::string ComparePlots::runSeriesId(const std::string& seriesId, std::size_t run) {
    return seriesId + "#" + std::to_string(run);
}

std::string ComparePlots::groupSeriesId(const std::string& seriesId, std::size_t group) {
    return seriesId + "#g" + std::to_string(group);
}

std::string ComparePlots::entryLegend(const CompareEntry& e, const std::vector<std::string>& keys) {
    const std::string text = settingsLegend(e.settings, keys);
    return text.empty() ? e.name : text;
}

void ComparePlots::clearCells() {
    for (auto& c : cells_) {
        c->bands.reset();  // before the plot its graphs belong to
        delete c->box;
    }
    cells_.clear();
}

ComparePlots::Cell* ComparePlots::cellOf(const std::string& panelId) const {
    for (const auto& c : cells_)
        if (c->panel->spec().id == panelId) return c.get();
    return nullptr;
}

std::vector<PlotPanel*> ComparePlots::panels() const {
    std::vector<PlotPanel*> out;
    for (const auto& c : cells_) out.push_back(c->panel);
    return out;
}

PlotPanel* ComparePlots::panelFor(const std::string& panelId) const {
    const Cell* c = cellOf(panelId);
    return c ? c->panel : nullptr;
}

const BandLayer* ComparePlots::bandsOf(const std::string& panelId) const {
    const Cell* c = cellOf(panelId);
    return c ? c->bands.get() : nullptr;
}

QString ComparePlots::captionOf(const std::string& panelId) const {
    const Cell* c = cellOf(panelId);
    return c && !c->caption->isHidden() ? c->caption->text() : QString();
}

bool ComparePlots::aggregated(const SeriesSpec& s, const PlotChoice& choice) {
    return choice.mode != BandMode::Individual && s.style == SeriesStyle::Line && s.color >= 0;
}

void ComparePlots::rebuild(const PlotLayout& layout, const std::vector<CompareEntry>& entries,
                           const PlotChoice& choice) {
    clearCells();
    layout_ = layout;
    choice_ = choice;
    groupOf_.assign(entries.size(), 0);
    for (std::size_t g = 0; g < choice_.groups.size(); ++g)
        for (std::size_t m : choice_.groups[g].members)
            if (m < groupOf_.size()) groupOf_[m] = g;
    int at = 0;
    for (const PanelSpec& p : layout_.panels) {
        auto cell = std::make_unique<Cell>();
        cell->box = new QWidget(this);
        auto* v = new QVBoxLayout(cell->box);
        v->setContentsMargins(0, 0, 0, 0);
        cell->caption = new QLabel(cell->box);
        cell->caption->setWordWrap(true);
        cell->caption->hide();
        cell->panel = new PlotPanel(p, cell->box);
        cell->panel->setMinimumHeight(280);
        v->addWidget(cell->caption);
        v->addWidget(cell->panel, 1);
        cell->bands = std::make_unique<BandLayer>(cell->panel->plot(), p.logY);
        grid_->addWidget(cell->box, at / 2, at % 2);
        ++at;
        cells_.push_back(std::move(cell));
    }
    for (const SeriesSpec& s : layout_.series)
        if (Cell* c = cellOf(s.panel)) addSeriesOf(s, entries, *c);
    for (const auto& c : cells_)
        if (c->panel->plot()->legend->itemCount() > kMaxLegendItems)
            c->panel->plot()->legend->setVisible(false);
    std::vector<std::size_t> all(entries.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    update(entries, all);
}

void ComparePlots::addSeriesOf(const SeriesSpec& s, const std::vector<CompareEntry>& entries,
                               Cell& cell) {
    if (s.style == SeriesStyle::Heatmap || s.color < 0) {
        cell.panel->addSeries(s);  // once: the selected run's map, or the shared reference
        return;
    }
    if (aggregated(s, choice_)) {
        for (std::size_t g = 0; g < choice_.groups.size(); ++g) {
            SeriesSpec copy = s;
            copy.id = groupSeriesId(s.id, g);
            copy.name = s.name + " \u00b7 " + choice_.groups[g].label + " (n=" +
                        std::to_string(choice_.groups[g].members.size()) + ")";
            copy.color = static_cast<int>(g);
            cell.panel->addSeries(copy);
        }
        return;
    }
    for (std::size_t i = 0; i < entries.size(); ++i) {
        SeriesSpec copy = s;
        copy.id = runSeriesId(s.id, i);
        copy.name = s.name + " \u00b7 " + entryLegend(entries[i], choice_.legendKeys);
        copy.color = static_cast<int>(choice_.colourByGroup ? groupOf_[i] : i);
        cell.panel->addSeries(copy);
    }
}

void ComparePlots::update(const std::vector<CompareEntry>& entries,
                          const std::vector<std::size_t>& changed) {
    std::vector<bool> flags(entries.size(), false);
    for (std::size_t i : changed)
        if (i < flags.size()) flags[i] = true;
    std::vector<Cell*> touched;
    for (const SeriesSpec& s : layout_.series) {
        Cell* c = cellOf(s.panel);
        if (!c || !updateSeries(s, entries, flags, *c)) continue;
        if (std::find(touched.begin(), touched.end(), c) == touched.end()) touched.push_back(c);
    }
    for (Cell* c : touched) c->panel->refresh();  // a replot costs: only where lines changed
}

bool ComparePlots::updateSeries(const SeriesSpec& s, const std::vector<CompareEntry>& entries,
                                const std::vector<bool>& changed, Cell& cell) {
    if (s.style == SeriesStyle::Heatmap) {
        if (choice_.selectedRun >= changed.size() || !changed[choice_.selectedRun]) return false;
        updateHeatmap(s, entries, cell);
        return true;
    }
    if (s.color < 0) {  // a reference curve (a target): the same in every run, drawn once
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const Series& data = seriesOf(entries[i], s.id);
            if (data.x.empty()) continue;
            if (!changed[i] || cell.panel->pointCount(s.id) == data.x.size()) return false;
            cell.panel->replaceSeries(s.id, data.x, data.y);
            return true;
        }
        return false;
    }
    if (aggregated(s, choice_)) return false;  // computeBands / applyBands
    bool any = false;
    for (std::size_t i = 0; i < entries.size(); ++i)
        if (changed[i]) {
            const Series& data = seriesOf(entries[i], s.id);
            cell.panel->replaceSeries(runSeriesId(s.id, i), data.x, data.y);
            any = true;
        }
    return any;
}

std::vector<ComparePlots::GroupBand> ComparePlots::computeBands(
    const PlotLayout& layout, const PlotChoice& choice, const std::vector<CompareEntry>& entries,
    const std::vector<bool>& changed) {
    std::vector<GroupBand> out;
    for (const SeriesSpec& s : layout.series) {
        if (!aggregated(s, choice)) continue;
        for (std::size_t g = 0; g < choice.groups.size(); ++g) {
            const auto& members = choice.groups[g].members;
            if (std::none_of(members.begin(), members.end(),
                             [&](std::size_t m) { return m < changed.size() && changed[m]; }))
                continue;
            std::vector<const Series*> data;
            for (std::size_t m : members)
                if (m < entries.size()) data.push_back(&seriesOf(entries[m], s.id));
            out.push_back({s.panel, groupSeriesId(s.id, g), g, aggregateSeries(data, choice.mode)});
        }
    }
    return out;
}

void ComparePlots::applyBands(const std::vector<GroupBand>& bands) {
    std::vector<Cell*> touched;
    for (const GroupBand& b : bands) {
        Cell* cell = cellOf(b.panelId);
        if (!cell || !cell->panel->hasSeries(b.seriesId)) continue;
        cell->panel->replaceSeries(b.seriesId, b.band.x, b.band.centre);
        cell->bands->setBand(b.seriesId, b.band, seriesColor(static_cast<int>(b.group)));
        if (std::find(touched.begin(), touched.end(), cell) == touched.end()) touched.push_back(cell);
    }
    for (Cell* c : touched) c->panel->refresh();
}

void ComparePlots::updateHeatmap(const SeriesSpec& s, const std::vector<CompareEntry>& entries,
                                 Cell& cell) {
    if (choice_.selectedRun >= entries.size()) return;
    const CompareEntry& e = entries[choice_.selectedRun];
    const auto it = e.data.grids.find(s.id);
    cell.panel->setGrid(s.id, it == e.data.grids.end() ? Grid{} : it->second);
    cell.caption->setText(tr("Heatmap: the selected run only (%1). Choose the run under "
                             "\u201cSelected run\u201d.")
                              .arg(QString::fromStdString(entryLegend(e, choice_.legendKeys))));
    cell.caption->show();
}

void ComparePlots::selectRun(const std::vector<CompareEntry>& entries, std::size_t run) {
    choice_.selectedRun = run;
    for (const SeriesSpec& s : layout_.series)
        if (s.style == SeriesStyle::Heatmap)
            if (Cell* c = cellOf(s.panel)) updateHeatmap(s, entries, *c);
    for (const auto& c : cells_) c->panel->refresh();
}

}  // namespace trainlab
