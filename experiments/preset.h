// Presets: complete, validated experiment configs with their description and expected
// result. Built-in presets are embedded in the binary; users may load their own files.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace trainlab {

struct Preset {
    std::string id;           ///< "1-1-sinc"
    std::string title;        ///< "1-1 Simulate a function: sinc(5πx)"
    std::string group;        ///< "Deep vs shallow" | "Optimization" | "Generalization"
    std::string kind;         ///< experiment kind id
    std::string description;  ///< what this shows (one paragraph)
    std::string expected;     ///< the expected result, with its source
    nlohmann::json config;    ///< complete config of `kind`
    std::string source;       ///< "built-in" or the file it came from
};

/// Parses and validates a preset. Throws ConfigError with one message per bad field
/// (structure and config), each prefixed with `source`.
Preset parsePreset(const std::string& text, const std::string& source);
Preset loadPresetFile(const std::filesystem::path& path);  ///< IoError / ConfigError

/// The presets compiled into trainlab (every experiments/presets/*.json), sorted by id: the
/// browser order, since ids start with their section of science.md ("1-1-…", "2-1-…").
/// Throws if one is invalid (a test pins that they all are).
const std::vector<Preset>& builtinPresets();

/// A built-in preset by id, or a preset file when `idOrPath` names an existing file.
/// Throws ConfigError naming the id and listing the known ones when neither.
Preset resolvePreset(const std::string& idOrPath);

/// The groups of science.md, in order.
std::vector<std::string> presetGroups();

}  // namespace trainlab
