#include "sweep_builtin.h"

#include <algorithm>
#include <utility>

#include "json_text.h"

namespace trainlab {

// Defined in the generated sweeps_embedded.cpp: {file name, JSON text}.
extern const std::vector<std::pair<std::string, std::string>>& embeddedSweepTexts();

const std::vector<SweepSpec>& builtinSweeps() {
    static const std::vector<SweepSpec> sweeps = [] {
        std::vector<SweepSpec> out;
        for (const auto& [name, text] : embeddedSweepTexts())
            out.push_back(sweepSpecFromJson(parseStrictJson(text, name), name));
        std::sort(out.begin(), out.end(),
                  [](const SweepSpec& a, const SweepSpec& b) { return a.info.id < b.info.id; });
        return out;
    }();
    return sweeps;
}

const SweepSpec* findBuiltinSweep(const std::string& id) {
    if (id.empty()) return nullptr;
    for (const auto& s : builtinSweeps())
        if (s.info.id == id) return &s;
    return nullptr;
}

}  // namespace trainlab
