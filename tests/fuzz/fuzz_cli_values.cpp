// Command-line values (`trainlab-cli run <preset> --set key=value --seed N`) applied to the
// real schemas of every experiment kind. The first byte picks a built-in preset; the rest is
// one assignment per line. Each one is stored or refused with a ConfigError naming its key;
// never a crash or another exception. Whatever was stored must pass the per-field schema (the
// cross-field checks may still refuse the combination, with messages, and must not throw).
#include <cstdint>
#include <sstream>
#include <string>

#include "errors.h"
#include "param_spec.h"
#include "experiment.h"
#include "experiment_runner.h"
#include "preset.h"

using namespace trainlab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto& presets = builtinPresets();
    const Preset& p = presets[data[0] % presets.size()];
    nlohmann::json config = p.config;
    std::istringstream lines(std::string(reinterpret_cast<const char*>(data + 1), size - 1));
    std::string line;
    int applied = 0;
    while (std::getline(lines, line) && applied < 16) {
        ++applied;
        try {
            applyOverride(p.kind, config, line);
        } catch (const ConfigError& e) {
            if (e.problems().empty()) __builtin_trap();
        }
    }
    const ExperimentKind* kind = findExperimentKind(p.kind);
    if (!validateParams(kind->schema(config), config).empty()) __builtin_trap();
    (void)validateExperimentConfig(p.kind, config);
    return 0;
}
