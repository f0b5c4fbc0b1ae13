#include "sweep_spec.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "csv.h"
#include "errors.h"
#include "experiment.h"
#include "experiment_runner.h"
#include "json_text.h"

namespace trainlab {

using nlohmann::json;

std::string sweepBackendName(SweepBackend backend) {
    return backend == SweepBackend::Slurm ? "slurm" : "local";
}

std::string settingValueText(const json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_float()) return csvNumberText(value.get<double>());
    if (value.is_array()) {  // a list setting: "1,8,1", as --set takes it
        std::string out;
        for (const auto& e : value) out += (out.empty() ? "" : ",") + settingValueText(e);
        return out;
    }
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string settingsText(const std::vector<std::pair<std::string, json>>& settings) {
    std::string out;
    for (const auto& [key, value] : settings)
        out += (out.empty() ? "" : " ") + key + "=" + settingValueText(value);
    return out;
}

namespace {

std::vector<std::string> splitOn(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::string::size_type from = 0;
    while (true) {
        const auto at = text.find(sep, from);
        out.push_back(text.substr(from, at == std::string::npos ? std::string::npos : at - from));
        if (at == std::string::npos) return out;
        from = at + 1;
    }
}

}  // namespace

GridAxis parseGridOption(const std::string& text) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError({"--grid '" + briefText(text) + "': expected key=value1,value2,…"});
    GridAxis axis;
    axis.key = text.substr(0, eq);
    const std::string values = text.substr(eq + 1);
    axis.values = splitOn(values, values.find(';') != std::string::npos ? ';' : ',');
    // "1e-3, 1e-2" as typed in a dialog or a shell: a value never starts or ends with a space.
    for (auto& v : axis.values) {
        const auto first = v.find_first_not_of(" \t");
        v = first == std::string::npos ? std::string() : v.substr(first, v.find_last_not_of(" \t") - first + 1);
    }
    for (const auto& v : axis.values)
        if (v.empty())
            throw ConfigError({"--grid '" + briefText(text) + "': a value of '" + axis.key +
                               "' is empty"});
    return axis;
}

namespace {

/// Collects the problems of a sweep file, each prefixed with its source.
struct FieldReader {
    const json& j;
    std::string source;
    std::vector<std::string> problems;

    void bad(const std::string& key, const std::string& what) {
        problems.push_back(source + ": '" + key + "' " + what);
    }
    std::string text(const json& o, const std::string& key, const std::string& path) {
        if (!o.contains(key)) return {};
        if (!o[key].is_string()) bad(path, "must be text, not " + briefJson(o[key]));
        return o[key].is_string() ? o[key].get<std::string>() : std::string();
    }
    int integer(const json& o, const std::string& key, const std::string& path, int lo, int hi,
                int fallback) {
        if (!o.contains(key)) return fallback;
        const json& v = o[key];
        if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi) {
            bad(path, "must be an integer in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "], not " + briefJson(v));
            return fallback;
        }
        return static_cast<int>(v.get<long long>());
    }
    std::vector<std::string> texts(const json& o, const std::string& key, const std::string& path) {
        std::vector<std::string> out;
        if (!o.contains(key)) return out;
        if (!o[key].is_array()) {
            bad(path, "must be a list of texts");
            return out;
        }
        for (const auto& e : o[key]) {
            if (!e.is_string()) bad(path, "must hold only texts, not " + briefJson(e));
            else out.push_back(e.get<std::string>());
        }
        return out;
    }
    void onlyKnown(const json& o, const std::set<std::string>& known, const std::string& where) {
        for (const auto& [k, v] : o.items()) {
            if (known.count(k)) continue;
            std::string list;
            for (const auto& n : known) list += (list.empty() ? "" : ", ") + n;
            bad(where + k, "is not a field of a sweep file (fields: " + list + ")");
        }
    }
};

GridAxis axisFromJson(FieldReader& r, const std::string& key, const json& values) {
    GridAxis axis{key, {}};
    if (!values.is_array() || values.empty()) {
        r.bad("grid." + key, "must be a non-empty list of values, not " + briefJson(values));
        return axis;
    }
    for (const auto& v : values) {
        if (v.is_object() || v.is_null()) r.bad("grid." + key, "holds " + briefJson(v));
        else axis.values.push_back(settingValueText(v));
    }
    return axis;
}

std::vector<GridAxis> gridFromJson(FieldReader& r, const json& g) {
    std::vector<GridAxis> grid;
    if (g.is_object()) {  // {"lr": [0.001, 0.01]}: keys in alphabetical order
        for (const auto& [key, values] : g.items()) grid.push_back(axisFromJson(r, key, values));
    } else if (g.is_array()) {  // [{"key": "lr", "values": [...]}]: in this order
        for (const auto& a : g) {
            if (!a.is_object() || !a.contains("key") || !a["key"].is_string() ||
                !a.contains("values")) {
                r.bad("grid", "entries must be {\"key\": …, \"values\": […]}, not " + briefJson(a));
                continue;
            }
            grid.push_back(axisFromJson(r, a["key"].get<std::string>(), a["values"]));
        }
    } else {
        r.bad("grid", "must be an object of lists ({\"lr\": [0.001, 0.01]})");
    }
    return grid;
}

std::vector<std::string> setsFromJson(FieldReader& r, const json& s) {
    std::vector<std::string> sets;
    if (s.is_object()) {
        for (const auto& [key, value] : s.items()) sets.push_back(key + "=" + settingValueText(value));
    } else if (s.is_array()) {
        sets = r.texts(r.j, "set", "set");
    } else {
        r.bad("set", "must be an object ({\"max_steps\": 100}) or a list of \"key=value\"");
    }
    return sets;
}

SlurmOptions slurmFromJson(FieldReader& r, const json& s) {
    SlurmOptions o;
    if (!s.is_object()) {
        r.bad("slurm", "must be an object");
        return o;
    }
    r.onlyKnown(s, {"partition", "time", "cpus_per_task", "mem", "gres", "sbatch_args", "setup"},
                "slurm.");
    o.partition = r.text(s, "partition", "slurm.partition");
    o.time = r.text(s, "time", "slurm.time");
    o.cpusPerTask = r.integer(s, "cpus_per_task", "slurm.cpus_per_task", 0, 4096, 0);
    o.mem = r.text(s, "mem", "slurm.mem");
    o.gres = r.text(s, "gres", "slurm.gres");
    o.sbatchArgs = r.texts(s, "sbatch_args", "slurm.sbatch_args");
    o.setup = r.texts(s, "setup", "slurm.setup");
    return o;
}

/// A preset file named relative to the sweep file is found beside it.
std::string presetBeside(const std::string& preset, const std::string& source) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path p(preset);
    if (p.is_absolute() || fs::is_regular_file(p, ec)) return preset;
    const fs::path beside = fs::path(source).parent_path() / p;
    if (!source.empty() && fs::is_regular_file(beside, ec))
        return fs::absolute(beside, ec).lexically_normal().string();
    return preset;
}

}  // namespace

SweepSpec sweepSpecFromJson(const json& j, const std::string& source) {
    if (!j.is_object()) throw ConfigError({source + ": a sweep file holds one JSON object"});
    FieldReader r{j, source, {}};
    r.onlyKnown(j, {"id", "title", "description", "expected", "preset", "grid", "seeds", "set",
                    "backend", "jobs", "threads", "data_dir", "slurm"}, "");
    SweepSpec spec;
    spec.info = {r.text(j, "id", "id"), r.text(j, "title", "title"),
                 r.text(j, "description", "description"), r.text(j, "expected", "expected")};
    spec.preset = r.text(j, "preset", "preset");
    if (spec.preset.empty()) r.bad("preset", "is missing: a built-in preset's id or a file");
    spec.preset = presetBeside(spec.preset, source);
    if (j.contains("grid")) spec.grid = gridFromJson(r, j["grid"]);
    spec.seeds = r.integer(j, "seeds", "seeds", 1, kMaxSweepTasks, 1);
    if (j.contains("set")) spec.sets = setsFromJson(r, j["set"]);
    const std::string backend = r.text(j, "backend", "backend");
    if (backend == "slurm") spec.backend = SweepBackend::Slurm;
    else if (!backend.empty() && backend != "local")
        r.bad("backend", "must be \"local\" or \"slurm\", not \"" + briefText(backend) + "\"");
    spec.jobs = r.integer(j, "jobs", "jobs", 0, 100000, 0);
    spec.threads = r.integer(j, "threads", "threads", 1, 256, 1);
    spec.dataDir = r.text(j, "data_dir", "data_dir");
    if (j.contains("slurm")) spec.slurm = slurmFromJson(r, j["slurm"]);
    if (!r.problems.empty()) throw ConfigError(r.problems);
    return spec;
}

json sweepSpecToJson(const SweepSpec& spec) {
    json grid = json::array();
    for (const auto& a : spec.grid) grid.push_back({{"key", a.key}, {"values", a.values}});
    const SlurmOptions& s = spec.slurm;
    json j{{"preset", spec.preset},
                {"grid", grid},
                {"seeds", spec.seeds},
                {"set", spec.sets},
                {"backend", sweepBackendName(spec.backend)},
                {"jobs", spec.jobs},
                {"threads", spec.threads},
                {"data_dir", spec.dataDir},
                {"slurm",
                 {{"partition", s.partition},
                  {"time", s.time},
                  {"cpus_per_task", s.cpusPerTask},
                  {"mem", s.mem},
                  {"gres", s.gres},
                  {"sbatch_args", s.sbatchArgs},
                  {"setup", s.setup}}}};
    // Only a built-in sweep's: the user's sweep files keep their fields.
    if (!spec.info.id.empty()) {
        j["id"] = spec.info.id;
        j["title"] = spec.info.title;
        j["description"] = spec.info.description;
        j["expected"] = spec.info.expected;
    }
    return j;
}

}  // namespace trainlab
