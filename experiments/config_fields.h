// READY: see function_fit_experiment.cpp for a kind that uses it
//
// One field table per experiment kind: each setting is declared ONCE (its ParamSpec: key,
// label, group, type, range, unit, help; and the member of the kind's typed config it fills),
// and both the schema (what the Settings dock, `trainlab-cli show` and validation use) and
// the reader (JSON → typed config) are generated from it. Torch-free, no Qt.
//
//   struct FooConfig { double lr = 0; Activation activation{}; GridSpec grid; };
//   const ConfigFields<FooConfig>& fooFields() {
//       static const ConfigFields<FooConfig> f = [] {
//           ConfigFields<FooConfig> t;
//           t.field(learningRateParam(), &FooConfig::lr);
//           t.choice(choiceParam("activation", "Activation", "Model", "Applied after every "
//                                "hidden layer"), kActivationNames, &FooConfig::activation);
//           t.field(numberParam("grid.from", "x from", "Data", -10, 10, "", "First input"),
//                   [](FooConfig& c) -> double& { return c.grid.from; });  // nested member
//           return t;
//       }();
//       return f;
//   }
//   kind.schema = [](const json& c) { return fooFields().schema(c); };
//   FooConfig config = fooFields().read(json);  // validates, then reads; ConfigError on error
//
// Register the kind in its .cpp, after its kind function (experiment.h):
//   TRAINLAB_REGISTER_EXPERIMENT_KIND(fooKind);
// Shared settings (lr, momentum, seed, parallel, runs, optimizer, batch size, dataset) come
// from the builders below, with one range each.
//
// Member types: Int → any integer type, Double → double/float, Bool → bool, String and
// Choice → std::string, Choice with an EnumName table → the enum, IntList → a vector of an
// integer type. A mismatch is a programming error and throws std::logic_error when the table
// is built (every kind's table is built by its tests).
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "enum_names.h"
#include "errors.h"
#include "param_spec.h"

namespace trainlab {

// ---- ParamSpec builders (short names for field tables) -------------------------------------

/// A floating-point setting in [min, max].
ParamSpec numberParam(std::string key, std::string label, std::string group, double min, double max,
                      std::string unit, std::string help, bool logScale = false);
/// An integer setting in [min, max].
ParamSpec integerParam(std::string key, std::string label, std::string group, double min,
                       double max, std::string unit, std::string help);
/// A true/false setting.
ParamSpec boolParam(std::string key, std::string label, std::string group, std::string help);
/// A free-text setting.
ParamSpec textParam(std::string key, std::string label, std::string group, std::string help);
/// A list of integers, each in [min, max], with minItems..maxItems entries.
ParamSpec intListParam(std::string key, std::string label, std::string group, double min,
                       double max, int minItems, int maxItems, std::string help);
/// A choice; leave `choices` empty to take them from the EnumName table given to
/// ConfigFields::choice (in the table's order).
ParamSpec choiceParam(std::string key, std::string label, std::string group, std::string help,
                      std::vector<std::string> choices = {});

// ---- Shared settings: one range each -------------------------------------------------------
// The key, label, group and help may differ per kind (e.g. "phase1.lr"); the range, type and
// scale may not. The trainer's own checks (validateTrainConfig) agree with these ranges or are
// looser, as a defence for callers that bypass the schema.

/// Learning rate in [1e-8, 10], log-scale spin box. Key "lr", group "Training".
ParamSpec learningRateParam(std::string help = "Step size", std::string key = "lr",
                            std::string label = "Learning rate", std::string group = "Training");
/// SGD momentum in [0, 0.999]. Key "momentum", group "Training".
ParamSpec momentumParam(std::string help);
/// Seed in [0, 2147483647]. Key "seed", group "Run".
ParamSpec seedParam(std::string help);
/// Train side by side (true/false). Key "parallel", group "Run"; the label says what runs in
/// parallel ("Train models concurrently", "Runs concurrently", …).
ParamSpec parallelParam(std::string label, std::string help);
/// Independent runs in [1, maxRuns]. Key "runs", group "Run".
ParamSpec runsParam(int maxRuns, std::string help);
/// Optimizer choice ("sgd", "adam") in the order given. Key "optimizer", group "Training".
ParamSpec optimizerParam(std::vector<std::string> order, std::string help);
/// Mini-batch size of image kinds, in [1, 60000] (the largest training set). Key
/// "batch_size", group "Training".
ParamSpec imageBatchSizeParam(std::string help, std::string key = "batch_size",
                              std::string label = "Batch size");
/// Mini-batch size of kinds on generated points, in [0, 10,000,000] points, 0 = full batch.
ParamSpec pointBatchSizeParam(std::string help);
/// The dataset choice (catalog ids in the order given). Key "dataset", group "Data".
ParamSpec datasetParam(std::vector<std::string> ids, std::string help);

// ---- The field table ----------------------------------------------------------------------

namespace config_fields_detail {

template <class T>
struct IsVector : std::false_type {};
template <class T, class A>
struct IsVector<std::vector<T, A>> : std::true_type {};

template <class T>
constexpr bool fitsType(ParamType type) {
    if constexpr (std::is_same_v<T, bool>)
        return type == ParamType::Bool;
    else if constexpr (std::is_integral_v<T>)
        return type == ParamType::Int;
    else if constexpr (std::is_floating_point_v<T>)
        return type == ParamType::Double;
    else if constexpr (std::is_same_v<T, std::string>)
        return type == ParamType::String || type == ParamType::Choice;
    else if constexpr (IsVector<T>::value)
        return type == ParamType::IntList && std::is_integral_v<typename T::value_type> &&
               !std::is_same_v<typename T::value_type, bool>;
    else
        return false;
}

void throwTypeMismatch(const ParamSpec& spec);  // std::logic_error naming the key

}  // namespace config_fields_detail

/// The settings of one config type `C`, in schema order.
template <class C>
class ConfigFields {
  public:
    /// A setting stored in `member`: a pointer to a data member of C, or a callable
    /// C& → T& (for nested members).
    template <class M>
    ConfigFields& field(ParamSpec spec, M member) {
        using T = std::remove_reference_t<std::invoke_result_t<M&, C&>>;
        if (!config_fields_detail::fitsType<T>(spec.type))
            config_fields_detail::throwTypeMismatch(spec);
        const auto ptr = keyToPointer(spec.key);
        entries_.push_back(
            {[spec](const nlohmann::json&, std::vector<ParamSpec>& out) { out.push_back(spec); },
             [ptr, member](const nlohmann::json& j, C& c) {
                 if (j.contains(ptr)) std::invoke(member, c) = j.at(ptr).get<T>();
             }});
        return *this;
    }

    /// A setting that applies only when `applies(config)` (e.g. only when a list it tunes is
    /// not empty): then it is in the schema (shown, validated, required); otherwise it is left
    /// out (unless present) and the member keeps its default. For settings added to a kind
    /// after its presets were written.
    template <class M>
    ConfigFields& fieldWhen(ParamSpec spec, M member,
                            std::function<bool(const nlohmann::json&)> applies) {
        field(spec, std::move(member));
        const auto ptr = keyToPointer(spec.key);
        entries_.back().schema = [spec, ptr, applies](const nlohmann::json& j,
                                                      std::vector<ParamSpec>& out) {
            if (j.is_object() && (j.contains(ptr) || applies(j))) out.push_back(spec);
        };
        return *this;
    }

    /// A choice stored as an enum through its name table. Without choices in `spec`, the
    /// table's names (in its order) are the choices.
    template <class E, std::size_t N, class M>
    ConfigFields& choice(ParamSpec spec, const EnumName<E> (&table)[N], M member) {
        static_assert(std::is_same_v<std::remove_reference_t<std::invoke_result_t<M&, C&>>, E>,
                      "the member must have the table's enum type");
        if (spec.type != ParamType::Choice) config_fields_detail::throwTypeMismatch(spec);
        if (spec.choices.empty()) spec.choices = namesOf(table);
        const auto ptr = keyToPointer(spec.key);
        entries_.push_back(
            {[spec](const nlohmann::json&, std::vector<ParamSpec>& out) { out.push_back(spec); },
             [ptr, member, &table, spec](const nlohmann::json& j, C& c) {
                 if (j.contains(ptr))
                     std::invoke(member, c) =
                         parseName(table, j.at(ptr).get<std::string>(), "'" + spec.key + "'");
             }});
        return *this;
    }

    /// Entries "<key>.0.<sub>", "<key>.1.<sub>", … one per element of the config's array
    /// `key` (at most maxItems), labelled "<labelPrefix> 1 <sub label>", read into a vector of
    /// Item. `makeItem(i)` gives each element's defaults before its fields are read.
    template <class Item, class M>
    ConfigFields& repeated(std::string key, std::string labelPrefix, int maxItems,
                           ConfigFields<Item> item, M member,
                           std::function<Item(int)> makeItem = {}) {
        const auto ptr = keyToPointer(key);
        auto schema = [=](const nlohmann::json& j, std::vector<ParamSpec>& out) {
            const int n = count(j, ptr, maxItems);
            for (int i = 0; i < n; ++i)
                for (ParamSpec s : item.schema(j.at(ptr).at(static_cast<std::size_t>(i)))) {
                    s.key = key + "." + std::to_string(i) + "." + s.key;
                    s.label = labelPrefix + " " + std::to_string(i + 1) + " " + s.label;
                    out.push_back(std::move(s));
                }
        };
        auto read = [=](const nlohmann::json& j, C& c) {
            auto& items = std::invoke(member, c);
            items.clear();
            const int n = count(j, ptr, maxItems);
            for (int i = 0; i < n; ++i) {
                Item it = makeItem ? makeItem(i) : Item{};
                item.readInto(j.at(ptr).at(static_cast<std::size_t>(i)), it);
                items.push_back(std::move(it));
            }
        };
        entries_.push_back({schema, read});
        return *this;
    }

    /// The ParamSpecs of `config` (repeated entries depend on it), in table order.
    std::vector<ParamSpec> schema(const nlohmann::json& config) const {
        std::vector<ParamSpec> out;
        for (const auto& e : entries_) e.schema(config, out);
        return out;
    }

    /// Validates `config` against the schema (ConfigError listing every problem), then reads
    /// it into a copy of `init`.
    C read(const nlohmann::json& config, C init = C{}) const {
        const auto problems = validateParams(schema(config), config);
        if (!problems.empty()) throw ConfigError(problems);
        readInto(config, init);
        return init;
    }

    /// Reads the fields present in `config` into `c`, unvalidated (for nested tables).
    void readInto(const nlohmann::json& config, C& c) const {
        for (const auto& e : entries_) e.read(config, c);
    }

  private:
    struct Entry {
        std::function<void(const nlohmann::json&, std::vector<ParamSpec>&)> schema;
        std::function<void(const nlohmann::json&, C&)> read;
    };
    static int count(const nlohmann::json& j, const nlohmann::json::json_pointer& ptr, int max) {
        if (!j.is_object() || !j.contains(ptr) || !j.at(ptr).is_array()) return 0;
        return static_cast<int>(std::min<std::size_t>(j.at(ptr).size(), max));
    }
    std::vector<Entry> entries_;
};

/// A table built by the adders in order, each a callable ConfigFields<C>& → void:
///   static const auto fields = buildFields<FooConfig>(addDataFields, addRunFields);
template <class C, class... Adders>
ConfigFields<C> buildFields(Adders&&... adders) {
    ConfigFields<C> t;
    (std::forward<Adders>(adders)(t), ...);
    return t;
}

}  // namespace trainlab
