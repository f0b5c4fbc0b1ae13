// Command-line and settings-form values (`--set key=value`) parsed through ParamSpecs of every
// type, and configs checked by validateParams: any text gives a stored value or a ConfigError
// naming the key, never a crash; a value that was accepted must then validate.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "errors.h"
#include "param_spec.h"

using namespace trainlab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::vector<ParamSpec> specs = [] {
        ParamSpec list = makeParam("train.widths", "Widths", "M", ParamType::IntList, 1, 4096, "");
        list.minItems = 1;
        list.maxItems = 8;
        return std::vector<ParamSpec>{
            makeParam("epochs", "Epochs", "T", ParamType::Int, 1, 10000, ""),
            makeParam("train.lr", "Learning rate", "T", ParamType::Double, 1e-8, 10, "", true),
            makeParam("parallel", "Parallel", "R", ParamType::Bool, 0, 0, ""),
            makeChoice("dataset", "Dataset", "D", {"mnist", "fashion-mnist", "cifar10"}, ""),
            list,
            makeParam("name", "Name", "R", ParamType::String, 0, 0, ""),
        };
    }();
    if (size < 1) return 0;
    const ParamSpec& spec = specs[data[0] % specs.size()];
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    nlohmann::json config = {{"epochs", 10},
                             {"train", {{"lr", 0.01}, {"widths", {4, 4}}}},
                             {"parallel", true},
                             {"dataset", "mnist"},
                             {"name", "x"}};
    try {
        setParamFromString(config, spec, text);
        if (!validateParams(specs, config).empty()) __builtin_trap();
    } catch (const ConfigError& e) {
        if (e.problems().empty()) __builtin_trap();
    }
    // The same bytes as a whole JSON config: validation must not throw.
    try {
        const auto j = nlohmann::json::parse(text);
        (void)validateParams(specs, j);
    } catch (const nlohmann::json::exception&) {
    }
    return 0;
}
