// An experiment kind assembled from its field table: the schema comes from the table, the
// experiment is built from the config the caller's creator receives. Every built-in kind is
// one call to kindFromFields (through typedKind or image_exp::imageKind).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "config_fields.h"
#include "experiment.h"

namespace trainlab {

/// The kind `id` with the schema of `fields`, the cross-field `check`, the datasets a config
/// needs (`datasets`; unset for synthetic data) and the experiment's builder `create`.
template <class C>
ExperimentKind kindFromFields(std::string id, const ConfigFields<C>& (*fields)(),
                              decltype(ExperimentKind::check) check,
                              decltype(ExperimentKind::datasets) datasets,
                              decltype(ExperimentKind::create) create) {
    ExperimentKind k;
    k.id = std::move(id);
    k.schema = [fields](const nlohmann::json& c) { return fields().schema(c); };
    k.check = std::move(check);
    k.datasets = std::move(datasets);
    k.create = std::move(create);
    return k;
}

/// A kind whose experiment X is built as X(read(config), context): the typed config is read
/// once, by `read` (usually fields().read plus derived values).
template <class X, class C>
ExperimentKind typedKind(std::string id, const ConfigFields<C>& (*fields)(),
                         C (*read)(const nlohmann::json&), decltype(ExperimentKind::check) check,
                         decltype(ExperimentKind::datasets) datasets = {}) {
    return kindFromFields(std::move(id), fields, std::move(check), std::move(datasets),
                          [read](const nlohmann::json& c,
                                 const ExperimentContext& ctx) -> std::unique_ptr<Experiment> {
                              return std::make_unique<X>(read(c), ctx);
                          });
}

}  // namespace trainlab
