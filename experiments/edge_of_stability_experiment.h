// "Edge of stability" (kind "edge_of_stability", issue 17): one MLP regression trained by
// full-batch gradient descent (or mini-batch SGD, or Adam) at a few step sizes side by side,
// with the loss and the sharpness λ_max(H) against steps and each step size's 2/η line
// (Cohen et al. 2021; for Adam the preconditioned sharpness and 38/η, Cohen et al. 2022).
//
// Includes torch headers (through the engine's types): only the kind's source and its tests
// include it. The kind registers itself; nothing else needs it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config_fields.h"
#include "experiment.h"
#include "mlp.h"

namespace trainlab {

enum class EosOptimizer { GD, SGD, Adam };
inline constexpr EnumName<EosOptimizer> kEosOptimizerNames[] = {
    {EosOptimizer::GD, "gd"}, {EosOptimizer::SGD, "sgd"}, {EosOptimizer::Adam, "adam"}};

struct EosStepSize {
    double lr = 0.01;
};

/// The typed config of kind "edge_of_stability".
struct EdgeOfStabilityConfig {
    static constexpr int kMaxStepSizes = 4;
    std::int64_t points = 200;  ///< x = linspace(from, to, points), y = sin(2x) + cos(3x)
    double from = -3, to = 3;
    std::vector<std::int64_t> widths{1, 64, 64, 1};
    Activation activation = Activation::Tanh;
    EosOptimizer optimizer = EosOptimizer::GD;
    std::int64_t batchSize = 32;  ///< sgd only
    std::vector<EosStepSize> stepSizes;
    std::int64_t maxSteps = 3000;
    std::int64_t sharpnessEvery = 10;
    std::int64_t probeSize = 0;  ///< 0: every point (the full-batch loss)
    int maxProducts = 40;
    std::uint64_t seed = 0;
    bool parallel = true;
    MlpSpec mlpSpec() const;
};

const ConfigFields<EdgeOfStabilityConfig>& edgeOfStabilityFields();
EdgeOfStabilityConfig readEdgeOfStabilityConfig(const nlohmann::json& config);

/// Per step size: the sharpness plateau, the median of the sharpness over the last third of
/// its measurements, as a fraction of the threshold (2/η, or 38/η for Adam).
struct EosRunResult {
    double lr = 0;
    double threshold = 0;
    double plateau = 0;
    double plateauFraction = 0;
    double maxSharpness = 0;
    std::int64_t firstCrossing = 0;  ///< first measured step with sharpness ≥ 0.9·threshold (0: none)
    double finalLoss = 0;
    std::int64_t steps = 0;
    bool diverged = false;
    std::string message;
    nlohmann::json instruments;  ///< the measured cost
    nlohmann::json toJson() const;
};

/// The plateau of a sharpness series: the median of its last third (at least one value).
double sharpnessPlateau(const std::vector<double>& sharpness);

ExperimentKind edgeOfStabilityKind();

}  // namespace trainlab
