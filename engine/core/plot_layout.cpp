#include "plot_layout.h"

namespace trainlab {

using nlohmann::json;

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

void to_json(json& j, const SeriesSpec& s) {
    j = json{{"id", s.id},
             {"panel", s.panel},
             {"name", s.name},
             {"x_name", s.xName},
             {"y_name", s.yName},
             {"color", s.color},
             {"dashed", s.dashed},
             {"right_axis", s.rightAxis},
             {"mode", s.mode == SeriesMode::Append ? "append" : "replace"},
             {"per_run", s.perRun},
             {"style", s.style == SeriesStyle::Line         ? "line"
                       : s.style == SeriesStyle::Scatter    ? "scatter"
                       : s.style == SeriesStyle::Trajectory ? "trajectory"
                                                            : "heatmap"}};
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
    s.mode = j.value("mode", "append") == "replace" ? SeriesMode::Replace : SeriesMode::Append;
    s.perRun = j.value("per_run", false);
    const std::string style = j.value("style", "line");
    s.style = style == "scatter"      ? SeriesStyle::Scatter
              : style == "trajectory" ? SeriesStyle::Trajectory
              : style == "heatmap"    ? SeriesStyle::Heatmap
                                      : SeriesStyle::Line;
}

void to_json(json& j, const PlotLayout& l) {
    j = json{{"panels", l.panels}, {"series", l.series}};
}

void from_json(const json& j, PlotLayout& l) {
    l.panels = j.at("panels").get<std::vector<PanelSpec>>();
    l.series = j.at("series").get<std::vector<SeriesSpec>>();
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
