// "Visualize the optimization process" (2-1): independent trainings of an MLP on MNIST (or
// Fashion-MNIST), weight snapshots during training, one exact PCA fitted jointly on every
// run's snapshots (whole model and first layer), trajectories drawn live.
#pragma once

#include "experiment.h"

namespace trainlab {

/// Kind id "weight_pca".
ExperimentKind weightPcaKind();

}  // namespace trainlab
