#include "preset.h"

#include <algorithm>
#include <system_error>

#include "atomic_file.h"
#include "errors.h"
#include "experiment.h"
#include "json_text.h"
#include "plot_layout.h"
#include "run_directory.h"

namespace trainlab {

using nlohmann::json;

// Defined in the generated presets_embedded.cpp: {file name, JSON text}.
extern const std::vector<std::pair<std::string, std::string>>& embeddedPresetTexts();

std::vector<std::string> presetGroups() {
    return {"Deep vs shallow", "Optimization", "Generalization"};
}

Preset parsePreset(const std::string& text, const std::string& source) {
    // Refuses syntax errors (also numbers out of range), nesting deeper than 64 levels and
    // duplicate keys, each with the source.
    const json j = parseStrictJson(text, source);
    std::vector<std::string> problems;
    if (!j.is_object()) throw ConfigError({source + ": a preset must be a JSON object"});
    auto str = [&](const char* key, bool required) -> std::string {
        if (!j.contains(key)) {
            if (required) problems.push_back(source + ": '" + key + "' is missing");
            return {};
        }
        if (!j.at(key).is_string()) {
            problems.push_back(source + ": '" + key + "' must be text (found " +
                               briefJson(j.at(key)) + ")");
            return {};
        }
        return j.at(key).get<std::string>();
    };
    Preset p;
    p.source = source;
    p.id = str("id", true);
    p.title = str("title", true);
    p.group = str("group", true);
    p.kind = str("kind", true);
    p.description = str("description", false);
    p.expected = str("expected", false);
    if (!p.id.empty() && !isSafeId(p.id))
        problems.push_back(source + ": 'id' \"" + briefText(p.id) +
                           "\" may only use letters, digits, '-', '_', '.'");
    if (!p.group.empty()) {
        bool known = false;
        for (const auto& g : presetGroups()) known = known || g == p.group;
        if (!known)
            problems.push_back(source + ": 'group' \"" + briefText(p.group) +
                               "\" is not one of Deep vs shallow, Optimization, Generalization");
    }
    const ExperimentKind* kind = p.kind.empty() ? nullptr : findExperimentKind(p.kind);
    if (!p.kind.empty() && !kind) {
        std::string known;
        for (const auto& k : experimentKindIds()) known += (known.empty() ? "" : ", ") + k;
        problems.push_back(source + ": 'kind' \"" + briefText(p.kind) +
                           "\" is unknown (known: " + known + ")");
    }
    if (!j.contains("config") || !j.at("config").is_object()) {
        problems.push_back(source + ": 'config' must be an object");
    } else {
        p.config = j.at("config");
        if (kind)
            for (const auto& m : validateExperimentConfig(p.kind, p.config))
                problems.push_back(source + ": config " + m);
    }
    if (!problems.empty()) throw ConfigError(problems);
    return p;
}

Preset loadPresetFile(const std::filesystem::path& path) {
    return parsePreset(readFile(path), path.string());
}

const std::vector<Preset>& builtinPresets() {
    static const std::vector<Preset> presets = [] {
        std::vector<Preset> out;
        for (const auto& [name, text] : embeddedPresetTexts()) {
            Preset p = parsePreset(text, "built-in preset " + name);
            p.source = "built-in";
            out.push_back(std::move(p));
        }
        // The browser order: by id, which starts with the section of science.md ("2-1-…").
        std::sort(out.begin(), out.end(),
                  [](const Preset& a, const Preset& b) { return a.id < b.id; });
        return out;
    }();
    return presets;
}

Preset resolvePreset(const std::string& idOrPath) {
    for (const auto& p : builtinPresets())
        if (p.id == idOrPath) return p;
    std::error_code ec;
    if (std::filesystem::is_regular_file(idOrPath, ec)) return loadPresetFile(idOrPath);
    std::string known;
    for (const auto& p : builtinPresets()) known += (known.empty() ? "" : ", ") + p.id;
    throw ConfigError({"'" + briefText(idOrPath) +
                       "' is neither a preset id nor a preset file (presets: " + known + ")"});
}

}  // namespace trainlab
