// The built-in sweeps: experiments/sweeps/*.json, embedded in the program (as the presets are)
// and installed to share/trainlab/sweeps. Each is a sweep file with an id, a title, a
// description and the expected result, for questions a single run cannot answer (is a result
// robust across seeds? how does a measure grow with a setting?). Plain C++ (no Qt).
#pragma once

#include <string>
#include <vector>

#include "sweep_spec.h"

namespace trainlab {

/// Every built-in sweep, sorted by id. Parsed once; a broken embedded file is a build defect,
/// reported by the tests (ConfigError naming the file).
const std::vector<SweepSpec>& builtinSweeps();

/// The built-in sweep with this id, or nullptr.
const SweepSpec* findBuiltinSweep(const std::string& id);

}  // namespace trainlab
