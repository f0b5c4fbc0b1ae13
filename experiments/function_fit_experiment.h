// "Simulate a function" (1-1) and "Gradient norm during training" (2-2): MLPs fitted by
// full-batch (or mini-batch) gradient descent to a 1-D function, live prediction curves,
// loss and gradient-norm curves per step.
//
// Includes torch headers (through the engine's types): only the kind's source and its tests
// include it. The kind registers itself; nothing else needs it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config_fields.h"
#include "experiment.h"
#include "function_data.h"
#include "instrument_set.h"
#include "mlp.h"
#include "trainer.h"

namespace trainlab {

/// How the gradients are computed (same numbers either way).
enum class GradientEngine { Fused, Autograd };
inline constexpr EnumName<GradientEngine> kGradientEngineNames[] = {
    {GradientEngine::Fused, "fused"}, {GradientEngine::Autograd, "autograd"}};

/// One model of the comparison.
struct FunctionFitModel {
    std::string name;  ///< legend text
    std::vector<std::int64_t> widths;
};

/// The typed config of kind "function_fit" (keys: functionFitFields(), docs/presets.md).
struct FunctionFitConfig {
    static constexpr int kMaxModels = 12;

    TargetFunction function = TargetFunction::Sinc;
    GridSpec trainGrid, valGrid;
    bool normalise = false;
    Activation activation = Activation::LeakyReLU;
    double negativeSlope = 0.2;
    TrainConfig train;  ///< optimizer, lr, momentum, batch size, max steps, stop rule
    std::uint64_t seed = 0;
    bool parallel = true;
    std::int64_t fitEvery = 50;  ///< steps between predictions and validation losses
    bool showGradientNorm = false;
    GradientEngine engine = GradientEngine::Fused;
    std::vector<FunctionFitModel> models;
    InstrumentSettings instruments;  ///< issue 17: none unless the config lists some

    MlpSpec mlpSpec(std::size_t model) const;
};

/// The field table: the schema and the reader of FunctionFitConfig.
const ConfigFields<FunctionFitConfig>& functionFitFields();

/// Reads `config` once: schema validation, then the model and training checks of the engine.
/// Throws ConfigError listing every problem.
FunctionFitConfig readFunctionFitConfig(const nlohmann::json& config);

/// What one model's training ended with.
struct FunctionFitModelResult {
    std::string name;
    std::vector<std::int64_t> widths;
    std::int64_t parameters = 0;
    std::uint64_t seed = 0;  ///< runSeed(config seed, model index)
    int shards = 1;          ///< batch shards of the fused engine (1 with autograd)
    TrainResult train;
    double validationLoss = 0;
    nlohmann::json instruments;  ///< their measured cost (null without instruments)

    nlohmann::json toJson() const;
};

/// results.json of a function-fit run.
struct FunctionFitResults {
    /// One entry per model; empty for a model that never ran (cancelled first).
    std::vector<std::optional<FunctionFitModelResult>> models;
    TargetFunction function = TargetFunction::Sinc;
    std::int64_t trainingPoints = 0;
    bool normalised = false;
    int concurrentWorkers = 1;
    double seconds = 0;

    /// The model with the lowest final training loss (the first one on ties); nullopt when the
    /// first model has no result.
    std::optional<std::size_t> best() const;
    /// "best: Model 2, MSE 0.0047 after 101 steps (plateau)"; empty without a best model.
    std::string headline() const;
    nlohmann::json toJson() const;
};

/// Kind id "function_fit".
ExperimentKind functionFitKind();

}  // namespace trainlab
