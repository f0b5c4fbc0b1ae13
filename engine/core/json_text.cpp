#include "json_text.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "errors.h"

namespace trainlab {

using nlohmann::json;

namespace {

/// Refuses nesting deeper than kMaxJsonDepth with the line and byte where it happens. One pass,
/// no recursion; strings (with their escapes) are skipped, so brackets in text do not count.
void checkDepth(const std::string& text, const std::string& source) {
    int depth = 0;
    std::size_t line = 1;
    bool inString = false, escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') ++line;
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth)
                throw ConfigError({source + ": line " + std::to_string(line) + ", byte " +
                                   std::to_string(i + 1) + ": arrays/objects nested more than " +
                                   std::to_string(kMaxJsonDepth) + " levels deep"});
        } else if (c == ']' || c == '}') {
            if (depth > 0) --depth;
        }
    }
}

/// Builds the document like nlohmann's own DOM parser (iteratively), but refuses an object
/// that has the same key twice instead of keeping the last one.
class StrictDomBuilder : public nlohmann::json_sax<json> {
  public:
    json root;
    std::string error;       ///< set when parsing stopped: the message without the source
    bool duplicate = false;  ///< the error is a duplicate key, not a syntax error

    bool null() override { return add(json(nullptr)); }
    bool boolean(bool b) override { return add(json(b)); }
    bool number_integer(number_integer_t v) override { return add(json(v)); }
    bool number_unsigned(number_unsigned_t v) override { return add(json(v)); }
    bool number_float(number_float_t v, const string_t&) override { return add(json(v)); }
    bool string(string_t& s) override { return add(json(std::move(s))); }
    bool binary(binary_t& b) override { return add(json::binary(std::move(b))); }
    bool start_object(std::size_t) override { return open(json::object()); }
    bool start_array(std::size_t) override { return open(json::array()); }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }
    bool key(string_t& k) override {
        const json& object = *stack_.back().value;
        if (object.contains(k)) {
            std::string path;
            for (std::size_t i = 1; i < stack_.size(); ++i) path += stack_[i].name + ".";
            error = "'" + briefText(path + k) + "' appears twice (duplicate keys are refused)";
            duplicate = true;
            return false;
        }
        key_ = std::move(k);
        return true;
    }
    bool parse_error(std::size_t, const std::string&,
                     const nlohmann::detail::exception& e) override {
        error = e.what();
        return false;
    }

  private:
    struct Frame {
        json* value;
        std::string name;  ///< the key or index under which this container sits
    };
    std::vector<Frame> stack_;
    std::string key_;

    json* place(json&& v, std::string* name) {
        if (stack_.empty()) {
            root = std::move(v);
            return &root;
        }
        json& parent = *stack_.back().value;
        if (parent.is_array()) {
            if (name) *name = std::to_string(parent.size());
            parent.push_back(std::move(v));
            return &parent.back();
        }
        if (name) *name = key_;
        json& slot = parent[key_];
        slot = std::move(v);
        return &slot;
    }
    bool add(json&& v) {
        place(std::move(v), nullptr);
        return true;
    }
    bool open(json&& container) {
        std::string name;
        json* at = place(std::move(container), &name);
        stack_.push_back({at, std::move(name)});
        return true;
    }
    bool close() {
        stack_.pop_back();
        return true;
    }
};

/// Appends one UTF-8 character of `s` at `i` to `out` (U+FFFD for an invalid sequence);
/// returns the index after it.
std::size_t copyUtf8Char(const std::string& s, std::size_t i, std::string& out) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    int n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
        out += static_cast<char>(c);
        return i + 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    }
    bool ok = n > 0 && i + n < s.size();  // all n continuation bytes are there
    for (int k = 1; ok && k <= n; ++k) {
        const unsigned char d = b(i + k);
        const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        ok = d >= l && d <= h;
    }
    if (!ok) {
        out += "\xEF\xBF\xBD";
        return i + 1;
    }
    out.append(s, i, n + 1);
    return i + n + 1;
}

void putBrief(const json& v, std::string& out, std::size_t budget, int depth) {
    constexpr int kMaxShownDepth = 8;
    if (out.size() > budget) return;
    if (v.is_object() || v.is_array()) {
        const bool object = v.is_object();
        if (v.empty()) {
            out += object ? "{}" : "[]";
            return;
        }
        if (depth >= kMaxShownDepth) {
            out += object ? "{…}" : "[…]";
            return;
        }
        out += object ? '{' : '[';
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (out.size() > budget) return;
            if (!first) out += ',';
            first = false;
            if (object) {
                putBrief(json(it.key()), out, budget, depth + 1);
                out += ':';
            }
            putBrief(*it, out, budget, depth + 1);
        }
        out += object ? '}' : ']';
        return;
    }
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        const std::size_t room = budget + 8 - std::min(budget, out.size());
        out += json(s.size() > room ? s.substr(0, room) : s)
                   .dump(-1, ' ', false, json::error_handler_t::replace);
        return;
    }
    out += v.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

json parseStrictJson(const std::string& text, const std::string& source) {
    checkDepth(text, source);
    StrictDomBuilder builder;
    bool ok = false;
    try {
        ok = json::sax_parse(text, &builder);
    } catch (const json::exception& e) {
        throw ConfigError({source + ": not valid JSON: " + e.what()});
    }
    if (!ok) {
        if (builder.duplicate) throw ConfigError({source + ": " + builder.error});
        throw ConfigError({source + ": not valid JSON: " + builder.error});
    }
    return std::move(builder.root);
}

std::string briefText(const std::string& text, std::size_t maxBytes) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size() && out.size() < maxBytes) i = copyUtf8Char(text, i, out);
    if (i < text.size()) out += "… (" + std::to_string(text.size()) + " bytes)";
    return out;
}

std::string briefJson(const json& value, std::size_t maxBytes) {
    std::string out;
    putBrief(value, out, maxBytes, 0);
    if (out.size() <= maxBytes) return out;
    std::size_t cut = maxBytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    return out + "…";
}

}  // namespace trainlab
