#include "compare_data.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <set>
#include <system_error>

#include "csv.h"
#include "errors.h"
#include "sweep_spec.h"
#include "sweep_status.h"

namespace trainlab {

using nlohmann::json;

namespace {

void flattenConfig(const json& j, const std::string& prefix, Settings& out, int depth) {
    const bool arrayOfObjects =
        j.is_array() && !j.empty() && std::all_of(j.begin(), j.end(), [](const json& e) {
            return e.is_object();
        });
    if (depth < 8 && (j.is_object() || arrayOfObjects)) {
        if (j.is_object()) {
            for (const auto& [key, value] : j.items())
                flattenConfig(value, prefix + key + ".", out, depth + 1);
        } else {
            for (std::size_t i = 0; i < j.size(); ++i)
                flattenConfig(j[i], prefix + std::to_string(i) + ".", out, depth + 1);
        }
        return;
    }
    if (!prefix.empty()) out.emplace_back(prefix.substr(0, prefix.size() - 1), settingValueText(j));
}

}  // namespace

Settings configSettings(const json& config) {
    Settings out;
    flattenConfig(config, "", out, 0);
    return out;
}

RunHeader readRunHeader(const fs::path& dir) {
    const RunDirectory run(dir);
    RunHeader h;
    h.dir = dir;
    const json config = run.readConfig();
    if (!config.is_object() || !config.contains("kind") || !config["kind"].is_string())
        throw ConfigError({"'" + (dir / "config.json").string() +
                           "': not a run's config (it names no experiment kind)"});
    h.kind = config["kind"].get<std::string>();
    h.presetId = config.value("preset_id", "");
    if (config.contains("config")) h.settings = configSettings(config["config"]);
    h.layout = run.readLayout();
    return h;
}

std::string kindMismatch(const std::vector<RunHeader>& runs) {
    for (const RunHeader& r : runs)
        if (r.kind != runs.front().kind)
            return "Runs of different kinds cannot be compared: " +
                   runs.front().dir.filename().string() + " is a " + runs.front().kind +
                   " run, " + r.dir.filename().string() + " a " + r.kind + " run.";
    return "";
}

PlotLayout mergedLayout(const std::vector<const PlotLayout*>& layouts) {
    PlotLayout out;
    std::set<std::string> panels, series;
    for (const PlotLayout* l : layouts) {
        if (!l) continue;
        for (const PanelSpec& p : l->panels)
            if (panels.insert(p.id).second) out.panels.push_back(p);
        for (const SeriesSpec& s : l->series)
            if (series.insert(s.id).second) out.series.push_back(s);
    }
    return out;
}

namespace {

std::uintmax_t fileBytes(const fs::path& p) {
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? 0 : n;
}

void readResultsInto(const RunDirectory& run, RunData& data) {
    try {
        if (auto results = run.readResults()) data.results = std::move(*results);
    } catch (const std::exception& e) {
        data.problems.push_back(std::string("results.json not read: ") + e.what());
    }
}

Grid readGridOf(const RunDirectory& run, const std::string& id, RunData& data) {
    std::error_code ec;
    const fs::path path = run.seriesPath(id);
    try {
        if (fs::exists(fs::symlink_status(path, ec))) return readGridCsv(path);
    } catch (const std::exception& e) {
        data.problems.push_back("series '" + id + "' not read: " + e.what());
    }
    return {};
}

}  // namespace

RunData readRunData(const fs::path& dir) {
    RunData data;
    data.dir = dir;
    try {
        const RunDirectory run(dir);
        data.layout = run.readLayout();
        std::vector<std::string> warnings;
        for (auto& [spec, series] : run.readAllSeries(warnings, data.problems)) {
            data.fileBytes[spec.id] = fileBytes(run.seriesPath(spec.id));
            if (spec.style == SeriesStyle::Heatmap)
                data.grids[spec.id] = readGridOf(run, spec.id, data);
            else
                data.series[spec.id] = std::move(series);
        }
        readResultsInto(run, data);
    } catch (const std::exception& e) {
        data.problems.push_back(e.what());
    }
    return data;
}

RunFiles filesOf(const RunData& data) {
    return {data.dir, data.fileBytes, !data.results.is_null()};
}

std::optional<RunData> readRunChanges(const RunFiles& known) {
    if (known.dir.empty()) return std::nullopt;
    RunData changed;
    changed.dir = known.dir;
    bool any = false;
    try {
        const RunDirectory run(known.dir);
        for (const SeriesSpec& spec : run.readLayout().series) {
            const std::uintmax_t bytes = fileBytes(run.seriesPath(spec.id));
            const auto it = known.fileBytes.find(spec.id);
            if (bytes == 0 || (it != known.fileBytes.end() && it->second == bytes)) continue;
            any = true;
            changed.fileBytes[spec.id] = bytes;
            if (spec.style == SeriesStyle::Heatmap) {
                changed.grids[spec.id] = readGridOf(run, spec.id, changed);
                continue;
            }
            try {
                changed.series[spec.id] = readSeriesCsv(run.seriesPath(spec.id));
            } catch (const std::exception& e) {
                changed.problems.push_back("series '" + spec.id + "' not read: " + e.what());
            }
        }
        if (!known.hasResults) {
            readResultsInto(run, changed);
            any = any || !changed.results.is_null();
        }
    } catch (const std::exception& e) {
        changed.problems.push_back(e.what());
        any = true;
    }
    if (!any) return std::nullopt;
    return changed;
}

void mergeRunData(RunData& into, RunData&& changes) {
    for (auto& [id, series] : changes.series) into.series[id] = std::move(series);
    for (auto& [id, grid] : changes.grids) into.grids[id] = std::move(grid);
    for (const auto& [id, bytes] : changes.fileBytes) into.fileBytes[id] = bytes;
    if (!changes.results.is_null()) into.results = std::move(changes.results);
    for (std::string& p : changes.problems)
        if (std::find(into.problems.begin(), into.problems.end(), p) == into.problems.end())
            into.problems.push_back(std::move(p));
}

Reload reloadRuns(const std::vector<fs::path>& dirs, const std::vector<RunFiles>& known,
                  int threads) {
    Reload out;
    std::vector<std::size_t> whole;
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        if (dirs[i].empty()) continue;
        if (i >= known.size() || known[i].dir != dirs[i]) {
            whole.push_back(i);
        } else if (auto changes = readRunChanges(known[i])) {
            out.changed.emplace_back(i, std::move(*changes));
        }
    }
    // Whole reads (the first load of a sweep: every run) on a few threads: parsing CSV is the cost.
    std::vector<RunData> read(whole.size());
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t k = next++; k < whole.size(); k = next++) read[k] = readRunData(dirs[whole[k]]);
    };
    std::vector<std::thread> pool;
    const int extra = std::min<int>(std::max(1, threads), static_cast<int>(whole.size())) - 1;
    for (int t = 0; t < extra; ++t) pool.emplace_back(work);
    work();
    for (std::thread& t : pool) t.join();
    for (std::size_t k = 0; k < whole.size(); ++k) out.full.emplace_back(whole[k], std::move(read[k]));
    return out;
}

std::vector<std::pair<std::string, double>> numericResults(const json& results) {
    std::vector<std::pair<std::string, double>> out;
    if (!results.is_object()) return out;
    for (const auto& [key, value] : flattenResults(results))
        if (value.is_number()) out.emplace_back(key, value.get<double>());
    return out;
}

}  // namespace trainlab
