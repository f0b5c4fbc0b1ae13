// 3-1 "Fitting random labels": one CNN on corrupted training labels, with a companion run on the
// true labels on the same schedule (kind "random_labels").
#pragma once

#include "experiment.h"

namespace trainlab {

ExperimentKind randomLabelsKind();

}  // namespace trainlab
