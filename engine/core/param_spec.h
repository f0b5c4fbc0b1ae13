// The knobs of an experiment: type, range, unit and help text of every config field.
// Plain C++ (no torch, no Qt): experiments declare them, the config editor builds its form
// from them, the command line's --set parses through them, and validation uses them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace trainlab {

/// The learning-rate range every kind's schema uses (see learningRateParam in
/// experiments/config_fields.h); the trainer checks the same upper bound.
inline constexpr double kLearningRateMin = 1e-8;
inline constexpr double kLearningRateMax = 10;

enum class ParamType { Int, Double, Bool, Choice, IntList, String };

struct ParamSpec {
    std::string key;    ///< dotted path into the config object: "train.lr", "models.0.widths"
    std::string label;  ///< short label for the editor
    std::string group;  ///< editor section
    ParamType type = ParamType::Double;
    double min = 0;  ///< inclusive range for Int/Double, and for each IntList element
    double max = 0;
    std::vector<std::string> choices;  ///< for Choice
    std::string unit;
    std::string help;
    bool logScale = false;  ///< spin boxes step multiplicatively (learning rates, tolerances)
    int minItems = 1;       ///< IntList length bounds
    int maxItems = 64;
};

/// Builds a spec for a number, integer, boolean, list or text setting (min/max unused for
/// Bool and String).
ParamSpec makeParam(std::string key, std::string label, std::string group, ParamType type,
                    double min, double max, std::string help, bool logScale = false);
/// Builds a spec for a setting chosen from `choices`.
ParamSpec makeChoice(std::string key, std::string label, std::string group,
                     std::vector<std::string> choices, std::string help);

/// Converts "a.b.0.c" to the JSON pointer "/a/b/0/c".
nlohmann::json::json_pointer keyToPointer(const std::string& key);

/// Checks `config` against `specs`: one message per bad or missing field, naming the key,
/// the value found and what is allowed. Empty when valid.
std::vector<std::string> validateParams(const std::vector<ParamSpec>& specs,
                                        const nlohmann::json& config);

/// Parses `text` as the value of `spec` and stores it in `config`. Throws ConfigError naming
/// the key and the text when it does not parse or is out of range.
void setParamFromString(nlohmann::json& config, const ParamSpec& spec, const std::string& text);

/// The text setParamFromString reads back as `value` ("0.001", "true", "1,8,1"): numbers in the
/// C locale with every digit needed to read back the same double. Empty for a value that does
/// not fit the spec's type.
std::string paramValueText(const ParamSpec& spec, const nlohmann::json& value);

/// Finds the spec of `key`, or nullptr.
const ParamSpec* findParam(const std::vector<ParamSpec>& specs, const std::string& key);

std::string paramTypeName(ParamType t);

}  // namespace trainlab
