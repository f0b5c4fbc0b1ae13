// The step loop shared by every experiment that trains on tensors held in memory.
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "enum_names.h"
#include "param_spec.h"
#include "run_control.h"

namespace trainlab {

enum class OptimizerKind { SGD, Adam };
enum class LossKind { MSE, CrossEntropy };

/// When to stop before maxSteps.
enum class StopKind {
    None,      ///< run maxSteps
    Plateau,   ///< the original rule: |loss_t - loss_{t-1}| < tolerance
    Patience,  ///< no relative improvement of the best loss by minDelta within `patience` steps
    Target,    ///< loss <= target (checked before the update: the result is the model that reached
               ///< it)
};

struct StopRule {
    StopKind kind = StopKind::None;
    double tolerance = 1e-5;
    std::int64_t patience = 1000;
    double minDelta = 1e-3;  ///< relative: best must drop below best*(1 - minDelta)
    double target = 0;
};

inline constexpr EnumName<StopKind> kStopKindNames[] = {{StopKind::None, "none"},
                                                        {StopKind::Plateau, "plateau"},
                                                        {StopKind::Patience, "patience"},
                                                        {StopKind::Target, "target"}};
inline constexpr EnumName<OptimizerKind> kOptimizerNames[] = {{OptimizerKind::SGD, "sgd"},
                                                              {OptimizerKind::Adam, "adam"}};

std::string stopKindName(StopKind k);           ///< "none", "plateau", "patience", "target"
StopKind stopKindFromName(const std::string&);  ///< throws ConfigError
std::string optimizerName(OptimizerKind k);     ///< "sgd", "adam"
OptimizerKind optimizerFromName(const std::string&);  ///< throws ConfigError

struct TrainConfig {
    OptimizerKind optimizer = OptimizerKind::SGD;
    double lr = 1e-2;
    double momentum = 0;                            ///< SGD only
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  ///< Adam only
    LossKind loss = LossKind::MSE;
    std::int64_t batchSize = 0;  ///< 0 or >= N: full batch (one step = one pass)
    std::int64_t maxSteps = 15000;
    StopRule stop;
    std::uint64_t seed = 0;         ///< mini-batch shuffling
    double divergenceLimit = 1e15;  ///< a loss above this counts as diverged
};

/// Recorded at every step; `loss` is the loss of the batch before the update.
struct StepRecord {
    std::int64_t step = 0;  ///< 1-based
    double loss = 0;
    double gradNorm = 0;
    /// The loop's optimizer, after this step's update: read-only access for instruments
    /// (Adam's second moments); null when not given.
    const torch::optim::Optimizer* optimizer = nullptr;
};

struct TrainResult {
    std::int64_t steps = 0;
    double finalLoss = 0;
    double bestLoss = 0;
    std::string stopReason;  ///< "max_steps", "plateau", "patience", "target", "cancelled"
    bool cancelled = false;
    double seconds = 0;
};

/// Receives every step. Called on the training thread.
class TrainObserver {
  public:
    virtual ~TrainObserver() = default;
    virtual void onStep(const StepRecord& r) = 0;
};

/// Computes the loss of one batch (inputs xb, targets yb) and leaves d loss / d p in the
/// .grad() of every trained parameter p. Returns the loss value.
using LossGradFn = std::function<double(const torch::Tensor& xb, const torch::Tensor& yb)>;

/// The reference LossGradFn: forward through `forward`, loss, autograd backward.
LossGradFn autogradLossGrad(std::function<torch::Tensor(const torch::Tensor&)> forward,
                            LossKind loss);

/// The step loop: batches x → y, calls `lossGrad`, measures the gradient norm, checks for
/// divergence, steps the optimizer over `params`, applies the stop rule. Throws
/// DivergenceError (naming `name`, the step and the value) on NaN/Inf or a loss above
/// divergenceLimit, ConfigError on a bad config. Runs on the calling thread.
TrainResult trainLoop(const std::vector<torch::Tensor>& params, const LossGradFn& lossGrad,
                      const torch::Tensor& x, const torch::Tensor& y, const TrainConfig& config,
                      TrainObserver* observer, const RunControl* control,
                      const std::string& name = {});

/// Convenience: trainLoop over module.parameters() with autograd.
TrainResult trainModel(torch::nn::Module& module,
                       const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                       const torch::Tensor& x, const torch::Tensor& y, const TrainConfig& config,
                       TrainObserver* observer, const RunControl* control,
                       const std::string& name = {});

/// Throws ConfigError naming every bad field of `c`. The learning rate must be in
/// (0, kLearningRateMax]: the schema's upper bound; the lower bound is looser than the schema's
/// kLearningRateMin because callers that bypass the schema (tests, benchmarks) may go lower.
void validateTrainConfig(const TrainConfig& c);

}  // namespace trainlab
