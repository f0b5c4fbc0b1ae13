// Enum ↔ name tables, written once: each enum lists its values and their names in one table,
// and name/parse/choices are derived from it.
//
//   inline constexpr EnumName<Activation> kActivationNames[] = {
//       {Activation::LeakyRelu, "leaky_relu"}, {Activation::Relu, "relu"}, ...};
//   nameOf(kActivationNames, a)            → "relu"
//   parseName(kActivationNames, "relu", "activation")  → Activation::Relu, or ConfigError
//       "activation 'x' is unknown (leaky_relu, relu or tanh)"
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "errors.h"

namespace trainlab {

template <class E>
struct EnumName {
    E value;
    const char* name;
};

template <class E, std::size_t N>
std::string nameOf(const EnumName<E> (&table)[N], E value, const char* unknown = "?") {
    for (const auto& e : table)
        if (e.value == value) return e.name;
    return unknown;
}

template <class E, std::size_t N>
std::vector<std::string> namesOf(const EnumName<E> (&table)[N]) {
    std::vector<std::string> names;
    for (const auto& e : table) names.emplace_back(e.name);
    return names;
}

/// "a, b or c".
template <class E, std::size_t N>
std::string nameList(const EnumName<E> (&table)[N]) {
    std::string list;
    for (std::size_t i = 0; i < N; ++i)
        list += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(table[i].name);
    return list;
}

/// The value named `name`; throws ConfigError "<what> '<name>' is unknown (a, b or c)".
template <class E, std::size_t N>
E parseName(const EnumName<E> (&table)[N], const std::string& name, const std::string& what) {
    for (const auto& e : table)
        if (name == e.name) return e.value;
    throw ConfigError({what + " '" + name + "' is unknown (" + nameList(table) + ")"});
}

}  // namespace trainlab
