// Numbers and durations as text, one way for every layer (log lines, headlines, progress).
// Locale-independent: a German or Turkish user gets "0.25", never "0,25".
#pragma once

#include <string>

namespace trainlab {

/// `v` to `digits` significant digits, shortest form ("0.0123", "1.5e+03", "72.9").
std::string formatSignificant(double v, int digits);

/// A duration as a clock: "3:07", "1:02:03"; "--:--" for negative, NaN or absurd values.
/// With `secondsBelowAMinute`, durations under a minute read "45 s".
std::string formatDuration(double seconds, bool secondsBelowAMinute = false);

}  // namespace trainlab
