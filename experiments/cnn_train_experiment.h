// 1-2 "Train on an actual task": the three CNNs of the original trained side by side, with per-
// class accuracy and confusion matrices (kind "cnn_train").
#pragma once

#include "experiment.h"

namespace trainlab {

ExperimentKind cnnTrainKind();

}  // namespace trainlab
