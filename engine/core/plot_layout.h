// Declarative description of an experiment's panels and series. Plain C++ (no torch, no Qt):
// experiments produce it, the run directory stores it as panels.json, widgets draw from it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace trainlab {

/// One plot panel. Axes titles include units where there are any.
struct PanelSpec {
    PanelSpec() = default;
    PanelSpec(std::string id_, std::string title_, std::string xLabel_, std::string yLabel_,
              std::string y2Label_ = {}, bool logX_ = false, bool logY_ = false,
              bool logY2_ = false)
        : id(std::move(id_)),
          title(std::move(title_)),
          xLabel(std::move(xLabel_)),
          yLabel(std::move(yLabel_)),
          y2Label(std::move(y2Label_)),
          logX(logX_),
          logY(logY_),
          logY2(logY2_) {}

    std::string id;  ///< file-name safe, unique within a run
    std::string title;
    std::string xLabel;
    std::string yLabel;
    /// Non-empty: the panel has a right axis. In a panel with a Heatmap series it labels the
    /// colour scale instead (the right axis then shows only if a series has rightAxis).
    std::string y2Label;
    bool logX = false;
    bool logY = false;
    bool logY2 = false;     ///< log right axis; in a panel with a Heatmap series, log colour scale
    bool integerX = false;  ///< x counts something (epochs): ticks on whole numbers only
    /// Non-empty: x is a category index and tick i is labelled xTickLabels[i] (class names).
    std::vector<std::string> xTickLabels;
};

/// How a series receives data.
enum class SeriesMode {
    Append,   ///< points are appended (per-step curves); every point is kept
    Replace,  ///< the whole curve is replaced (a model's prediction over a grid)
};

/// Line: a curve; Scatter: markers only; Trajectory: markers joined in the given order (x may
/// go back and forth), the first point marked as the start and an arrowhead on the last
/// segment showing the direction of travel. Heatmap: a value on a 2-D grid drawn as coloured
/// cells with a colour scale (a loss landscape); a Replace series whose data comes whole
/// through ExperimentSink::gridReplaced (not pointsAppended/seriesReplaced), recorded as
/// metrics/<id>.csv with header "x,y,z". Its xName/yName name the grid's coordinates; the
/// colour scale is labelled with the panel's y2Label (else the series' name) and is
/// logarithmic when the panel's logY2 is set. Lines and markers of the same panel draw on top.
enum class SeriesStyle { Line, Scatter, Trajectory, Heatmap };

struct SeriesSpec {
    std::string id;     ///< file-name safe, unique within a run: metrics/<id>.csv
    std::string panel;  ///< PanelSpec::id
    std::string name;   ///< legend text
    std::string xName = "x";
    std::string yName = "y";
    int color = 0;  ///< index into the colour-blind-safe palette; -1 = neutral (targets)
    bool dashed = false;
    bool rightAxis = false;
    SeriesMode mode = SeriesMode::Append;
    SeriesStyle style = SeriesStyle::Line;
    /// The experiment also records this series for every run N as the series
    /// perRunSeriesId(id, N) (metrics/<id>_run<N>.csv); a click on a point of a series whose
    /// point runs were given (ExperimentSink::pointRunsReplaced) shows that run's version
    /// (e.g. the spectrum of the selected run).
    bool perRun = false;
};

/// A panel whose x axis is logarithmic (batch sizes, parameter counts); linear y axes.
PanelSpec logXPanel(std::string id, std::string title, std::string xLabel, std::string yLabel,
                    std::string y2Label = {});

/// A series from its essentials: id, panel, legend name, the CSV's column names and colour
/// (the rest at their defaults: an appended line on the left axis).
SeriesSpec makeSeries(std::string id, std::string panel, std::string name, std::string xName,
                      std::string yName, int color);

struct PlotLayout {
    std::vector<PanelSpec> panels;
    std::vector<SeriesSpec> series;

    const SeriesSpec* findSeries(const std::string& id) const;
    const PanelSpec* findPanel(const std::string& id) const;
};

void to_json(nlohmann::json& j, const PanelSpec& p);
void from_json(const nlohmann::json& j, PanelSpec& p);
void to_json(nlohmann::json& j, const SeriesSpec& s);
void from_json(const nlohmann::json& j, SeriesSpec& s);
void to_json(nlohmann::json& j, const PlotLayout& l);
void from_json(const nlohmann::json& j, PlotLayout& l);

/// The id of run `run`'s (1-based) copy of the per-run series `id`: "<id>_run<run>". The one
/// place this naming is spelled: experiments record with it, the window finds files with it.
std::string perRunSeriesId(const std::string& id, int run);

/// True when `id` is usable as a file name: [A-Za-z0-9_.-], not empty, not starting with '.'.
bool isSafeId(const std::string& id);

}  // namespace trainlab
