#include "plot_layout.h"

#include "enum_names.h"

namespace trainlab {

using nlohmann::json;

namespace {
inline constexpr EnumName<SeriesMode> kSeriesModeNames[] = {{SeriesMode::Append, "append"},
                                                            {SeriesMode::Replace, "replace"}};
inline constexpr EnumName<SeriesStyle> kSeriesStyleNames[] = {
    {SeriesStyle::Line, "line"},
    {SeriesStyle::Scatter, "scatter"},
    {SeriesStyle::Trajectory, "trajectory"},
    {SeriesStyle::Heatmap, "heatmap"}};

/// The value named `name`, else `fallback` (panels.json from elsewhere: unknown names are
/// read as the default, as before).
template <class E, std::size_t N>
E valueOr(const EnumName<E> (&table)[N], const std::string& name, E fallback) {
    for (const auto& e : table)
        if (name == e.name) return e.value;
    return fallback;
}
}  // namespace

const SeriesSpec* PlotLayout::findSeries(const std::string& id) const {
    for (const auto& s : series)
        if (s.id == id) return &s;
    return nullptr;
}

const PanelSpec* PlotLayout::findPanel(const std::string& id) const {
    for (const auto& p : panels)
        if (p.id == id) return &p;
    return nullptr;
}

void to_json(json& j, const PanelSpec& p) {
    j = json{{"id", p.id},          {"title", p.title},      {"x_label", p.xLabel},
             {"y_label", p.yLabel}, {"y2_label", p.y2Label}, {"log_x", p.logX},
             {"log_y", p.logY},     {"log_y2", p.logY2}};
    if (p.integerX) j["integer_x"] = true;
    if (!p.xTickLabels.empty()) j["x_tick_labels"] = p.xTickLabels;
}

void from_json(const json& j, PanelSpec& p) {
    p.id = j.at("id").get<std::string>();
    p.title = j.value("title", p.id);
    p.xLabel = j.value("x_label", "");
    p.yLabel = j.value("y_label", "");
    p.y2Label = j.value("y2_label", "");
    p.logX = j.value("log_x", false);
    p.logY = j.value("log_y", false);
    p.logY2 = j.value("log_y2", false);
    p.integerX = j.value("integer_x", false);
    p.xTickLabels = j.value("x_tick_labels", std::vector<std::string>{});
}

PanelSpec logXPanel(std::string id, std::string title, std::string xLabel, std::string yLabel,
                    std::string y2Label) {
    return PanelSpec(std::move(id), std::move(title), std::move(xLabel), std::move(yLabel),
                     std::move(y2Label), /*logX_=*/true);
}

SeriesSpec makeSeries(std::string id, std::string panel, std::string name, std::string xName,
                      std::string yName, int color) {
    SeriesSpec s;
    s.id = std::move(id);
    s.panel = std::move(panel);
    s.name = std::move(name);
    s.xName = std::move(xName);
    s.yName = std::move(yName);
    s.color = color;
    return s;
}

void to_json(json& j, const SeriesSpec& s) {
    j = json{{"id", s.id},
             {"panel", s.panel},
             {"name", s.name},
             {"x_name", s.xName},
             {"y_name", s.yName},
             {"color", s.color},
             {"dashed", s.dashed},
             {"right_axis", s.rightAxis},
             {"mode", nameOf(kSeriesModeNames, s.mode)},
             {"per_run", s.perRun},
             {"style", nameOf(kSeriesStyleNames, s.style)}};
}

void from_json(const json& j, SeriesSpec& s) {
    s.id = j.at("id").get<std::string>();
    s.panel = j.at("panel").get<std::string>();
    s.name = j.value("name", s.id);
    s.xName = j.value("x_name", "x");
    s.yName = j.value("y_name", "y");
    s.color = j.value("color", 0);
    s.dashed = j.value("dashed", false);
    s.rightAxis = j.value("right_axis", false);
    s.mode = valueOr(kSeriesModeNames, j.value("mode", "append"), SeriesMode::Append);
    s.perRun = j.value("per_run", false);
    s.style = valueOr(kSeriesStyleNames, j.value("style", "line"), SeriesStyle::Line);
}

void to_json(json& j, const PlotLayout& l) {
    j = json{{"panels", l.panels}, {"series", l.series}};
}

void from_json(const json& j, PlotLayout& l) {
    l.panels = j.at("panels").get<std::vector<PanelSpec>>();
    l.series = j.at("series").get<std::vector<SeriesSpec>>();
}

std::string perRunSeriesId(const std::string& id, int run) {
    return id + "_run" + std::to_string(run);
}

bool isSafeId(const std::string& id) {
    if (id.empty() || id.size() > 120 || id.front() == '.') return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
        if (!ok) return false;
    }
    return true;
}

}  // namespace trainlab
