#include "param_spec.h"

#include <charconv>
#include <cmath>
#include <locale>
#include <sstream>

#include "csv.h"
#include "enum_names.h"
#include "errors.h"
#include "json_text.h"
#include "text_format.h"

namespace trainlab {

using nlohmann::json;

ParamSpec makeParam(std::string key, std::string label, std::string group, ParamType type,
                    double min, double max, std::string help, bool logScale) {
    ParamSpec s;
    s.key = std::move(key);
    s.label = std::move(label);
    s.group = std::move(group);
    s.type = type;
    s.min = min;
    s.max = max;
    s.help = std::move(help);
    s.logScale = logScale;
    return s;
}

ParamSpec makeChoice(std::string key, std::string label, std::string group,
                     std::vector<std::string> choices, std::string help) {
    ParamSpec s = makeParam(std::move(key), std::move(label), std::move(group), ParamType::Choice,
                            0, 0, std::move(help));
    s.choices = std::move(choices);
    return s;
}

json::json_pointer keyToPointer(const std::string& key) {
    std::string ptr;
    std::string part;
    std::istringstream in(key);
    while (std::getline(in, part, '.')) {
        // Escape per RFC 6901 so that odd keys cannot address other fields.
        std::string esc;
        for (char c : part) {
            if (c == '~')
                esc += "~0";
            else if (c == '/')
                esc += "~1";
            else
                esc += c;
        }
        ptr += "/" + esc;
    }
    return json::json_pointer(ptr);
}

namespace {

constexpr EnumName<ParamType> kParamTypeNames[] = {
    {ParamType::Int, "integer"},   {ParamType::Double, "number"},
    {ParamType::Bool, "true/false"}, {ParamType::Choice, "choice"},
    {ParamType::IntList, "list of integers"}, {ParamType::String, "text"}};

}  // namespace

std::string paramTypeName(ParamType t) {
    return nameOf(kParamTypeNames, t);
}

namespace {

std::string rangeText(const ParamSpec& s) {
    std::ostringstream o;
    o.imbue(std::locale::classic());
    o << "[" << s.min << ", " << s.max << "]";
    return o.str();
}

std::string checkValue(const ParamSpec& s, const json& v) {
    auto bad = [&](const std::string& why) {
        return "'" + s.key + "': " + why + " (found " + briefJson(v) + ")";
    };
    switch (s.type) {
        case ParamType::Int: {
            if (!v.is_number_integer()) return bad("must be an integer");
            const auto x = v.get<long long>();
            if (x < s.min || x > s.max) return bad("must be in " + rangeText(s));
            return {};
        }
        case ParamType::Double: {
            if (!v.is_number()) return bad("must be a number");
            const double x = v.get<double>();
            if (!std::isfinite(x)) return bad("must be finite");
            if (x < s.min || x > s.max) return bad("must be in " + rangeText(s));
            return {};
        }
        case ParamType::Bool:
            if (!v.is_boolean()) return bad("must be true or false");
            return {};
        case ParamType::Choice: {
            if (!v.is_string()) return bad("must be a string");
            for (const auto& c : s.choices)
                if (c == v.get<std::string>()) return {};
            std::string allowed;
            for (const auto& c : s.choices) allowed += (allowed.empty() ? "" : ", ") + c;
            return bad("must be one of " + allowed);
        }
        case ParamType::IntList: {
            if (!v.is_array()) return bad("must be a list of integers");
            if (static_cast<int>(v.size()) < s.minItems || static_cast<int>(v.size()) > s.maxItems)
                return bad("must have between " + std::to_string(s.minItems) + " and " +
                           std::to_string(s.maxItems) + " entries");
            for (const auto& e : v) {
                if (!e.is_number_integer()) return bad("every entry must be an integer");
                const auto x = e.get<long long>();
                if (x < s.min || x > s.max) return bad("every entry must be in " + rangeText(s));
            }
            return {};
        }
        case ParamType::String:
            if (!v.is_string()) return bad("must be text");
            return {};
    }
    return {};
}

}  // namespace

std::vector<std::string> validateParams(const std::vector<ParamSpec>& specs, const json& config) {
    std::vector<std::string> problems;
    if (!config.is_object()) {
        problems.push_back("config must be a JSON object (found " +
                           std::string(config.type_name()) + ")");
        return problems;
    }
    for (const auto& s : specs) {
        const auto ptr = keyToPointer(s.key);
        if (!config.contains(ptr)) {
            problems.push_back("'" + s.key + "': missing (" + paramTypeName(s.type) + " expected)");
            continue;
        }
        auto msg = checkValue(s, config.at(ptr));
        if (!msg.empty()) problems.push_back(std::move(msg));
    }
    return problems;
}

const ParamSpec* findParam(const std::vector<ParamSpec>& specs, const std::string& key) {
    for (const auto& s : specs)
        if (s.key == key) return &s;
    return nullptr;
}

namespace {

// Numbers typed by people are read in the C locale, whatever the process locale (Qt sets the
// user's; strtod in de_DE stops at the '.' of "0.001"). Accepted as before: leading blanks and
// one '+' sign; nothing may follow the number.
const char* numberStart(const std::string& text) {
    const char* p = text.c_str();
    while (*p == ' ' || *p == '\t') ++p;
    if (*p == '+' && p[1] != '-' && p[1] != '+') ++p;
    return p;
}

bool parseInteger(const std::string& text, long long& out) {
    const char* first = numberStart(text);
    const char* last = text.c_str() + text.size();
    const auto r = std::from_chars(first, last, out, 10);
    return first != last && r.ec == std::errc() && r.ptr == last;
}

bool parseFiniteDouble(const std::string& text, double& out) {
    // The run files' number reader (C locale, blanks and one '+' allowed), finite values only.
    return parseCsvNumber(text.data(), text.data() + text.size(), out) && std::isfinite(out);
}

}  // namespace

void setParamFromString(json& config, const ParamSpec& spec, const std::string& text) {
    auto fail = [&](const std::string& why) {
        throw ConfigError({"'" + spec.key + "' = '" + briefText(text) + "': " + why});
    };
    json v;
    switch (spec.type) {
        case ParamType::Int: {
            long long x = 0;
            if (!parseInteger(text, x)) fail("not an integer");
            v = x;
            break;
        }
        case ParamType::Double: {
            double x = 0;
            if (!parseFiniteDouble(text, x)) fail("not a finite number");
            v = x;
            break;
        }
        case ParamType::Bool:
            if (text == "true" || text == "1" || text == "yes" || text == "on")
                v = true;
            else if (text == "false" || text == "0" || text == "no" || text == "off")
                v = false;
            else
                fail("not true/false");
            break;
        case ParamType::Choice:
        case ParamType::String:
            v = text;
            break;
        case ParamType::IntList: {
            v = json::array();
            std::istringstream in(text);
            std::string item;
            while (std::getline(in, item, ',')) {
                long long x = 0;
                if (!parseInteger(item, x)) fail("entry '" + briefText(item) + "' is not an integer");
                v.push_back(x);
            }
            break;
        }
    }
    const auto msg = checkValue(spec, v);
    if (!msg.empty()) throw ConfigError({msg});
    config[keyToPointer(spec.key)] = v;
}

std::string paramValueText(const ParamSpec& spec, const json& value) {
    auto number = [](double v) {
        std::string text = formatSignificant(v, 17);
        // The shortest form that reads back the same double (0.1, not 0.10000000000000001).
        for (int digits = 1; digits < 17; ++digits) {
            const std::string shorter = formatSignificant(v, digits);
            double back = 0;
            if (parseFiniteDouble(shorter, back) && back == v) return shorter;
        }
        return text;
    };
    switch (spec.type) {
        case ParamType::Int:
            return value.is_number_integer() ? std::to_string(value.get<long long>()) : "";
        case ParamType::Double:
            return value.is_number() ? number(value.get<double>()) : "";
        case ParamType::Bool:
            return value.is_boolean() ? (value.get<bool>() ? "true" : "false") : "";
        case ParamType::Choice:
        case ParamType::String:
            return value.is_string() ? value.get<std::string>() : "";
        case ParamType::IntList: {
            if (!value.is_array()) return "";
            std::string out;
            for (const auto& x : value) {
                if (!x.is_number_integer()) return "";
                out += (out.empty() ? "" : ",") + std::to_string(x.get<long long>());
            }
            return out;
        }
    }
    return "";
}

}  // namespace trainlab
