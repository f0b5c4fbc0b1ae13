// 3-2 "Parameters vs generalization": Net_1 … Net_10 against their parameter counts, each net's
// epochs kept (kind "param_sweep").
#pragma once

#include "experiment.h"

namespace trainlab {

ExperimentKind paramSweepKind();

}  // namespace trainlab
