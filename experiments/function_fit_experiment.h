// "Simulate a function" (1-1) and "Gradient norm during training" (2-2): MLPs fitted by
// full-batch (or mini-batch) gradient descent to a 1-D function, live prediction curves,
// loss and gradient-norm curves per step.
#pragma once

#include "experiment.h"

namespace trainlab {

/// Kind id "function_fit". Config keys: see the schema in function_fit_experiment.cpp and
/// docs/presets.md.
ExperimentKind functionFitKind();

}  // namespace trainlab
