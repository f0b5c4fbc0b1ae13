// 3-3 part 1, flatness vs generalization: the loss along θ(α) = (1 − α)·θ₁ + α·θ₂ between two
// solutions that differ in batch size or learning rate, with their ε-sharpness, 1-D random-
// direction profiles and 2-D landscapes (kind "interpolation").
#pragma once

#include "experiment.h"

namespace trainlab {

ExperimentKind interpolationKind();

}  // namespace trainlab
