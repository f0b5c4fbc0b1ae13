// Reading JSON written by people (presets) and quoting bad values in messages, safely:
// no recursion whose depth depends on the input, duplicate keys refused, every number in
// the C locale, every quoted value bounded. Plain C++ (no Qt).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace trainlab {

/// The deepest nesting of arrays and objects parseStrictJson accepts.
constexpr int kMaxJsonDepth = 64;

/// Parses `text` as one JSON document. Throws ConfigError with one message prefixed with
/// `source` when it is not valid JSON (the parser's line and column), when arrays/objects are
/// nested deeper than kMaxJsonDepth (naming the line and byte where the limit is passed; checked
/// before anything is built, so a 60,000-level value costs one linear scan), or when an object
/// has the same key twice (naming the key and where it is, e.g. "'config.lr' appears twice").
nlohmann::json parseStrictJson(const std::string& text, const std::string& source);

/// A bounded quotation of `text` for a message: at most `maxBytes` bytes (cut at a UTF-8
/// character boundary) followed by "…" and the full length when cut.
std::string briefText(const std::string& text, std::size_t maxBytes = 80);

/// `value` serialised as JSON for a message, at most about `maxBytes` bytes followed by "…"
/// when longer. Invalid UTF-8 is replaced, never thrown; recursion is bounded by a constant,
/// whatever the depth of `value`.
std::string briefJson(const nlohmann::json& value, std::size_t maxBytes = 80);

}  // namespace trainlab
