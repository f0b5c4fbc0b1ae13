// 3-3 Flatness vs generalization: interpolation between two solutions (interpolation) and
// sensitivity against batch size (sensitivity).
#pragma once

#include "experiment.h"

namespace trainlab {

ExperimentKind interpolationKind();
ExperimentKind sensitivityKind();

}  // namespace trainlab
