// Shared by the dataset-reader tests: the message of the DataError a call raises.
#pragma once

#include <QtTest>
#include <functional>
#include <string>

#include "errors.h"

namespace trainlab::test {

/// Runs f; returns the DataError's message, or a description of what happened instead.
inline std::string faultOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const DataError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("UNEXPECTED exception type: ") + e.what();
    }
    return "NO ERROR RAISED";
}

}  // namespace trainlab::test

/// Verifies that `call` raises a DataError whose message contains `fragment`.
#define EXPECT_FAULT(call, fragment)                                                    \
    do {                                                                                \
        const std::string fault_ = trainlab::test::faultOf([&] { call; });              \
        QVERIFY2(fault_.find(fragment) != std::string::npos,                            \
                 ("expected '" + std::string(fragment) + "', got: " + fault_).c_str()); \
    } while (0)
