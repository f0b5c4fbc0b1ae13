// "What happens when the gradient is almost zero" (2-3): N fresh trainings of the 599-parameter
// net on 2·cosh(x); phase 1 minimises the loss, phase 2 the squared gradient norm; then the
// exact Hessian, its spectrum and the minimal ratio of each run.
#pragma once

#include "experiment.h"

namespace trainlab {

/// Kind id "minimal_ratio".
ExperimentKind minimalRatioKind();

}  // namespace trainlab
