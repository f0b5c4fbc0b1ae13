#include "config_fields.h"

namespace trainlab {

ParamSpec numberParam(std::string key, std::string label, std::string group, double min, double max,
                      std::string unit, std::string help, bool logScale) {
    ParamSpec s = makeParam(std::move(key), std::move(label), std::move(group), ParamType::Double,
                            min, max, std::move(help), logScale);
    s.unit = std::move(unit);
    return s;
}

ParamSpec integerParam(std::string key, std::string label, std::string group, double min,
                       double max, std::string unit, std::string help) {
    ParamSpec s = makeParam(std::move(key), std::move(label), std::move(group), ParamType::Int, min,
                            max, std::move(help));
    s.unit = std::move(unit);
    return s;
}

ParamSpec boolParam(std::string key, std::string label, std::string group, std::string help) {
    return makeParam(std::move(key), std::move(label), std::move(group), ParamType::Bool, 0, 0,
                     std::move(help));
}

ParamSpec textParam(std::string key, std::string label, std::string group, std::string help) {
    return makeParam(std::move(key), std::move(label), std::move(group), ParamType::String, 0, 0,
                     std::move(help));
}

ParamSpec intListParam(std::string key, std::string label, std::string group, double min,
                       double max, int minItems, int maxItems, std::string help) {
    ParamSpec s = makeParam(std::move(key), std::move(label), std::move(group), ParamType::IntList,
                            min, max, std::move(help));
    s.minItems = minItems;
    s.maxItems = maxItems;
    return s;
}

ParamSpec choiceParam(std::string key, std::string label, std::string group, std::string help,
                      std::vector<std::string> choices) {
    return makeChoice(std::move(key), std::move(label), std::move(group), std::move(choices),
                      std::move(help));
}

ParamSpec learningRateParam(std::string help, std::string key, std::string label,
                            std::string group) {
    return numberParam(std::move(key), std::move(label), std::move(group), kLearningRateMin,
                       kLearningRateMax, "", std::move(help), true);
}

ParamSpec momentumParam(std::string help) {
    return numberParam("momentum", "Momentum", "Training", 0, 0.999, "", std::move(help));
}

ParamSpec seedParam(std::string help) {
    return integerParam("seed", "Seed", "Run", 0, 2147483647, "", std::move(help));
}

ParamSpec parallelParam(std::string label, std::string help) {
    return boolParam("parallel", std::move(label), "Run", std::move(help));
}

ParamSpec runsParam(int maxRuns, std::string help) {
    return integerParam("runs", "Runs", "Run", 1, maxRuns, "", std::move(help));
}

ParamSpec optimizerParam(std::vector<std::string> order, std::string help) {
    return choiceParam("optimizer", "Optimizer", "Training", std::move(help), std::move(order));
}

ParamSpec imageBatchSizeParam(std::string help, std::string key, std::string label) {
    return integerParam(std::move(key), std::move(label), "Training", 1, 60000, "",
                        std::move(help));
}

ParamSpec pointBatchSizeParam(std::string help) {
    return integerParam("batch_size", "Batch size", "Training", 0, 10'000'000, "points",
                        std::move(help));
}

ParamSpec datasetParam(std::vector<std::string> ids, std::string help) {
    return choiceParam("dataset", "Dataset", "Data", std::move(help), std::move(ids));
}

namespace config_fields_detail {

void throwTypeMismatch(const ParamSpec& spec) {
    throw std::logic_error("config field '" + spec.key + "': the member's type does not fit a " +
                           paramTypeName(spec.type) + " setting");
}

}  // namespace config_fields_detail

}  // namespace trainlab
