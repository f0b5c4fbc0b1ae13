// Preset files as users write, download and edit them: any bytes give a Preset or a
// ConfigError listing problems, never a crash, a hang or another exception. A preset that was
// accepted must validate again, survive a JSON round trip unchanged, and give every field of
// its kind's schema a value.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "errors.h"
#include "param_spec.h"
#include "experiment.h"
#include "preset.h"

using namespace trainlab;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    Preset p;
    try {
        p = parsePreset(text, "fuzz.json");
    } catch (const ConfigError& e) {
        if (e.problems().empty()) __builtin_trap();  // a refusal always says why
        for (const auto& m : e.problems())
            if (m.rfind("fuzz.json", 0) != 0) __builtin_trap();  // and names the file
        return 0;
    }
    const ExperimentKind* kind = findExperimentKind(p.kind);
    if (!kind) __builtin_trap();
    if (!validateExperimentConfig(p.kind, p.config).empty()) __builtin_trap();
    const auto specs = kind->schema(p.config);
    for (const auto& s : specs)
        if (!p.config.contains(keyToPointer(s.key))) __builtin_trap();
    const auto again = nlohmann::json::parse(p.config.dump());
    if (again != p.config) __builtin_trap();
    return 0;
}
