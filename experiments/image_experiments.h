// The image-classification experiments: 1-2 "Train on an actual task" (cnn_train), 3-1
// "Fitting random labels" (random_labels) and 3-2 "Parameters vs generalization"
// (param_sweep).
#pragma once

#include "experiment.h"

namespace trainlab {

ExperimentKind cnnTrainKind();
ExperimentKind randomLabelsKind();
ExperimentKind paramSweepKind();

}  // namespace trainlab
