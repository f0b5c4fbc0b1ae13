// "What happens when the gradient is almost zero" (2-3): N fresh trainings of the 599-parameter
// net on 2·cosh(x); phase 1 minimises the loss, phase 2 the squared gradient norm; then the
// exact Hessian, its spectrum and the minimal ratio of each run.
//
// Includes torch headers (through the engine's types): only the kind's source and its tests
// include it. The kind registers itself; nothing else needs it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "config_fields.h"
#include "experiment.h"
#include "function_data.h"
#include "mlp.h"
#include "trainer.h"

namespace trainlab {

/// How the Hessian of each run is analysed.
enum class HessianAnalysis {
    Auto,     ///< dense when the net has at most kMaxDense parameters, else Lanczos
    Dense,    ///< the full spectrum and the minimal ratios
    Lanczos,  ///< only the extreme eigenvalues, from Hessian-vector products
};
inline constexpr EnumName<HessianAnalysis> kHessianAnalysisNames[] = {
    {HessianAnalysis::Auto, "auto"},
    {HessianAnalysis::Dense, "dense"},
    {HessianAnalysis::Lanczos, "lanczos"}};

/// The typed config of kind "minimal_ratio" (keys: minimalRatioFields(), docs/presets.md).
struct MinimalRatioConfig {
    static constexpr std::int64_t kMaxDense = 5000;  ///< parameters of a dense Hessian per run

    TargetFunction function = TargetFunction::TwoCosh;
    GridSpec trainGrid;  ///< arange(from, to, step)
    bool normalise = false;
    std::vector<std::int64_t> widths;
    Activation activation = Activation::LeakyReLU;
    double negativeSlope = 0.2;
    int runs = 100;
    std::uint64_t seed = 1;
    bool parallel = true;
    TrainConfig phase1;  ///< optimizer, lr, max steps
    /// optimizer, lr, max steps (at least 1), the threshold as a StopKind::Target rule
    TrainConfig phase2;
    std::int64_t phase2Steps = 500;  ///< as configured: 0 = no phase 2
    double tau = 1e-3;
    HessianAnalysis analysis = HessianAnalysis::Auto;

    MlpSpec mlpSpec() const;
    bool phase2Enabled() const { return phase2Steps > 0; }
    /// Dense analysis: asked for, or auto and small enough.
    bool dense() const;
};

/// The field table: the schema and the reader of MinimalRatioConfig.
const ConfigFields<MinimalRatioConfig>& minimalRatioFields();

/// Reads `config` once: schema validation, then the model and training checks of the engine.
/// Throws ConfigError listing every problem.
MinimalRatioConfig readMinimalRatioConfig(const nlohmann::json& config);

/// Kind id "minimal_ratio".
ExperimentKind minimalRatioKind();

}  // namespace trainlab
