#include "core/errors.h"
#include "experiment.h"
#include "function_fit_experiment.h"

namespace trainlab {

namespace {
const std::vector<ExperimentKind>& kinds() {
    static const std::vector<ExperimentKind> all = {functionFitKind()};
    return all;
}
}  // namespace

const ExperimentKind* findExperimentKind(const std::string& id) {
    for (const auto& k : kinds())
        if (k.id == id) return &k;
    return nullptr;
}

std::vector<std::string> experimentKindIds() {
    std::vector<std::string> ids;
    for (const auto& k : kinds()) ids.push_back(k.id);
    return ids;
}

std::vector<std::string> validateExperimentConfig(const std::string& kindId,
                                                  const nlohmann::json& config) {
    const ExperimentKind* kind = findExperimentKind(kindId);
    if (!kind) return {"experiment kind '" + kindId + "' is unknown"};
    auto problems = validateParams(kind->schema(config), config);
    if (problems.empty() && kind->check) {
        auto more = kind->check(config);
        problems.insert(problems.end(), more.begin(), more.end());
    }
    return problems;
}

}  // namespace trainlab
