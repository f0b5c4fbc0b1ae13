// 3-3 part 2: the same net trained at several batch sizes under one budget (epochs, steps or a
// training-loss target), and the input sensitivity ‖∂softmax/∂x‖_F of each (kind
// "sensitivity").
#pragma once

#include "experiment.h"

namespace trainlab {

ExperimentKind sensitivityKind();

}  // namespace trainlab
