// The panels of a compare window: the kind's PlotLayout drawn once, every run's series overlaid
// (one colour per run, or per group), or per group a centre line and a band (band_layer.h)
// aggregated over the group's runs (run_groups.h). Heatmaps show the selected run only, and
// their panel says so.
#pragma once

#include <QWidget>
#include <memory>
#include <string>
#include <vector>

#include "band_layer.h"
#include "compare_data.h"
#include "plot_layout.h"
#include "plot_panel.h"
#include "run_groups.h"

class QGridLayout;
class QLabel;

namespace trainlab {

/// One run of the comparison.
struct CompareEntry {
    std::string name;   ///< its folder's name, or the sweep task's
    Settings settings;  ///< what the legend and the groups are made of
    RunData data;
};

/// How the runs are drawn.
struct PlotChoice {
    std::vector<std::string> legendKeys;  ///< the settings that tell runs apart
    std::vector<RunGroup> groups;         ///< band modes: one centre and band per group
    BandMode mode = BandMode::Individual;
    bool colourByGroup = false;  ///< individual lines coloured by their group (a sweep's seeds)
    std::size_t selectedRun = 0;  ///< whose heatmaps are shown
};

class ComparePlots : public QWidget {
    Q_OBJECT
  public:
    explicit ComparePlots(QWidget* parent = nullptr);
    ~ComparePlots() override;

    /// Builds the panels of `layout` afresh for `entries` drawn as `choice` says, and fills them.
    void rebuild(const PlotLayout& layout, const std::vector<CompareEntry>& entries,
                 const PlotChoice& choice);
    /// Redraws what entries `changed` (indices) touch: their lines and the heatmaps when the
    /// selected run is among them. Bands and centre lines come from computeBands/applyBands
    /// (the costly part, meant for a worker thread). Same layout and choice as the last rebuild.
    void update(const std::vector<CompareEntry>& entries, const std::vector<std::size_t>& changed);

    /// One group's aggregate of one series.
    struct GroupBand {
        std::string panelId;
        std::string seriesId;  ///< groupSeriesId
        std::size_t group = 0;
        Band band;
    };
    /// The bands of the groups that hold an entry flagged in `changed`, for every series drawn
    /// as groups. Reads `entries` only: safe in a worker while nobody writes them.
    static std::vector<GroupBand> computeBands(const PlotLayout& layout, const PlotChoice& choice,
                                               const std::vector<CompareEntry>& entries,
                                               const std::vector<bool>& changed);
    /// Draws bands and their centre lines (from computeBands with this layout and choice).
    void applyBands(const std::vector<GroupBand>& bands);
    const PlotChoice& choice() const { return choice_; }
    /// Shows the heatmaps of another run.
    void selectRun(const std::vector<CompareEntry>& entries, std::size_t run);

    const PlotLayout& layout() const { return layout_; }
    std::vector<PlotPanel*> panels() const;
    PlotPanel* panelFor(const std::string& panelId) const;
    const BandLayer* bandsOf(const std::string& panelId) const;
    /// The line above a panel ("" when there is none): heatmap panels name the run they show.
    QString captionOf(const std::string& panelId) const;

    /// The id of run `run`'s copy of series `seriesId` on its panel: "<id>#<run>".
    static std::string runSeriesId(const std::string& seriesId, std::size_t run);
    /// The id of group `group`'s centre line of series `seriesId`: "<id>#g<group>".
    static std::string groupSeriesId(const std::string& seriesId, std::size_t group);
    /// The legend text of an entry: its differing settings, else its name.
    static std::string entryLegend(const CompareEntry& e, const std::vector<std::string>& keys);

  private:
    struct Cell {
        QWidget* box = nullptr;
        PlotPanel* panel = nullptr;
        QLabel* caption = nullptr;
        std::unique_ptr<BandLayer> bands;
    };
    Cell* cellOf(const std::string& panelId) const;
    static bool aggregated(const SeriesSpec& s, const PlotChoice& choice);
    void addSeriesOf(const SeriesSpec& s, const std::vector<CompareEntry>& entries, Cell& cell);
    /// Whether anything of the panel changed.
    bool updateSeries(const SeriesSpec& s, const std::vector<CompareEntry>& entries,
                      const std::vector<bool>& changed, Cell& cell);
    void updateHeatmap(const SeriesSpec& s, const std::vector<CompareEntry>& entries, Cell& cell);
    void clearCells();

    PlotLayout layout_;
    PlotChoice choice_;
    std::vector<std::size_t> groupOf_;  ///< entry → group
    std::vector<std::unique_ptr<Cell>> cells_;
    QGridLayout* grid_ = nullptr;
};

}  // namespace trainlab
