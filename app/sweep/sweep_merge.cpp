// `sweep merge`: the sweep's results as one CSV, a row per task.
#include <map>

#include "atomic_file.h"
#include "csv.h"
#include "sweep_status.h"

namespace trainlab {

using nlohmann::json;

namespace {

/// Arrays longer than this (spectra, curves) are series, not summary numbers.
constexpr std::size_t kMaxFlattenedArray = 64;

/// Every scalar under `j` as ("a.b.0.c", value), in document order.
void flatten(const json& j, const std::string& prefix, std::vector<std::pair<std::string, json>>& out,
             int depth = 0) {
    if (depth > 16) return;
    if (j.is_object()) {
        for (const auto& [key, value] : j.items()) {
            if (depth == 0 && key == "log") continue;  // the run's log lines
            flatten(value, prefix + key + ".", out, depth + 1);
        }
    } else if (j.is_array()) {
        if (j.size() > kMaxFlattenedArray) return;
        for (std::size_t i = 0; i < j.size(); ++i)
            flatten(j[i], prefix + std::to_string(i) + ".", out, depth + 1);
    } else if (!prefix.empty()) {
        out.emplace_back(prefix.substr(0, prefix.size() - 1), j);
    }
}

std::string cell(const json& v) {
    if (v.is_null()) return "";
    if (v.is_number_float()) return csvNumberText(v.get<double>());
    if (v.is_number()) return v.dump();
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    if (v.is_string()) return csvField(v.get<std::string>());
    return csvField(settingValueText(v));
}

/// Column names in order, and where each name is.
struct Columns {
    std::vector<std::string> names;
    std::map<std::string, std::size_t> at;
    std::size_t add(const std::string& name) {
        auto [it, fresh] = at.try_emplace(name, names.size());
        if (fresh) names.push_back(name);
        return it->second;
    }
};

}  // namespace

std::vector<std::pair<std::string, json>> flattenResults(const json& results) {
    std::vector<std::pair<std::string, json>> out;
    flatten(results, "", out);
    return out;
}

int writeSweepCsv(const SweepFolder& folder, const SweepStatus& status, const fs::path& path) {
    Columns columns;
    for (const char* fixed : {"task", "name", "state", "elapsed_s"}) columns.add(fixed);
    const auto& tasks = folder.record().tasks;
    if (!tasks.empty())
        for (const auto& [key, value] : tasks.front().settings) columns.add(key);
    const std::size_t reserved = columns.names.size();
    std::vector<std::map<std::size_t, std::string>> rows;
    for (const TaskStatus& t : status.tasks) {
        std::map<std::size_t, std::string> row;
        row[0] = std::to_string(t.index);
        row[1] = csvField(t.name);
        row[2] = csvField(taskStateName(t.state));
        row[3] = t.attempts ? csvNumberText(t.elapsedSeconds) : "";
        for (const auto& [key, value] : tasks.at(static_cast<std::size_t>(t.index)).settings)
            row[columns.at[key]] = cell(value);
        for (const auto& [key, value] : flattenResults(t.results)) {
            // A result named like a setting or a fixed column gets its own column.
            const auto known = columns.at.find(key);
            const bool clash = known != columns.at.end() && known->second < reserved;
            row[columns.add(clash ? "results." + key : key)] = cell(value);
        }
        rows.push_back(std::move(row));
    }
    std::string text;
    for (std::size_t c = 0; c < columns.names.size(); ++c)
        text += (c ? "," : "") + csvField(columns.names[c]);
    text += "\n";
    for (const auto& row : rows) {
        for (std::size_t c = 0; c < columns.names.size(); ++c) {
            if (c) text += ",";
            if (const auto it = row.find(c); it != row.end()) text += it->second;
        }
        text += "\n";
    }
    writeFileAtomic(path, text);
    return static_cast<int>(columns.names.size());
}

}  // namespace trainlab
