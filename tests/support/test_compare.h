// Fuzzy comparison of numbers for the tests: a relative and an absolute tolerance, and a
// failure message with both values and the tolerance.
//
//   QFUZZY(loss, 0.6931, 1e-6, 0);    // within a millionth of the expected value
//   QFUZZY(sum, 0.0, 0, 1e-12);       // near zero: an absolute tolerance
//
// Fails (as QVERIFY2 does, so QEXPECT_FAIL applies) unless
// |actual − expected| ≤ max(abs, rel·|expected|). NaN matches only NaN, an infinity only the
// same infinity.
#pragma once

#include <QTest>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace trainlab::testing {

/// Whether `actual` lies within max(abs, rel·|expected|) of `expected` (see QFUZZY).
inline bool fuzzyEqual(double actual, double expected, double rel, double abs) {
    if (std::isnan(actual) || std::isnan(expected))
        return std::isnan(actual) && std::isnan(expected);
    if (std::isinf(actual) || std::isinf(expected)) return actual == expected;
    return std::abs(actual - expected) <= std::max(abs, rel * std::abs(expected));
}

/// "loss is 0.69320000000000004, expected 0.6931 (difference 0.0001 > tolerance 6.931e-07:
/// relative 1e-06, absolute 0)".
inline std::string fuzzyMessage(const char* what, double actual, double expected, double rel,
                                double abs) {
    char buf[512];
    if (!std::isfinite(actual) || !std::isfinite(expected)) {
        std::snprintf(buf, sizeof buf,
                      "%s is %.17g, expected %.17g (NaN matches only NaN, an infinity only itself)",
                      what, actual, expected);
        return buf;
    }
    std::snprintf(buf, sizeof buf,
                  "%s is %.17g, expected %.17g (difference %.3g > tolerance %.3g: relative %g, "
                  "absolute %g)",
                  what, actual, expected, std::abs(actual - expected),
                  std::max(abs, rel * std::abs(expected)), rel, abs);
    return buf;
}

}  // namespace trainlab::testing

/// QVERIFY2-style fuzzy comparison: see the top of this file.
#define QFUZZY(actual, expected, rel, abs)                                                         \
    do {                                                                                           \
        const double qfuzzyActual_ = static_cast<double>(actual);                                  \
        const double qfuzzyExpected_ = static_cast<double>(expected);                              \
        const bool qfuzzyOk_ =                                                                     \
            ::trainlab::testing::fuzzyEqual(qfuzzyActual_, qfuzzyExpected_, (rel), (abs));         \
        if (!QTest::qVerify(qfuzzyOk_, "QFUZZY(" #actual ", " #expected ")",                       \
                            qfuzzyOk_ ? ""                                                         \
                                      : ::trainlab::testing::fuzzyMessage(                         \
                                            #actual, qfuzzyActual_, qfuzzyExpected_, (rel), (abs)) \
                                            .c_str(),                                              \
                            __FILE__, __LINE__))                                                   \
            return;                                                                                \
    } while (false)
