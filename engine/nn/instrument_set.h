// The instruments of one training run (issue 17): which are measured, how often, on which
// fixed probe batch, and their readings. Called from a training loop's step callback; it
// reads the parameters and the optimizer state and writes neither: gradients come from
// torch::autograd::grad on graphs of its own (never .grad()), random vectors from its own
// seeded generators (never torch's global one), so the training trajectory is bit-identical
// with and without instruments.
#pragma once

#include <torch/torch.h>

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "enum_names.h"
#include "instruments.h"
#include "mlp.h"

namespace trainlab {

enum class InstrumentKind { Sharpness, HessianTrace, Distance, UpdateSize, NoiseScale, GradNorms };

inline constexpr EnumName<InstrumentKind> kInstrumentNames[] = {
    {InstrumentKind::Sharpness, "sharpness"},      {InstrumentKind::HessianTrace, "hessian_trace"},
    {InstrumentKind::Distance, "distance"},        {InstrumentKind::UpdateSize, "update_size"},
    {InstrumentKind::NoiseScale, "noise_scale"},   {InstrumentKind::GradNorms, "grad_norms"}};

enum class EigenMethod { Lanczos, Power };
inline constexpr EnumName<EigenMethod> kEigenMethodNames[] = {{EigenMethod::Lanczos, "lanczos"},
                                                              {EigenMethod::Power, "power"}};

struct InstrumentRequest {
    InstrumentKind kind = InstrumentKind::Sharpness;
    std::int64_t every = 10;  ///< measured after steps every, 2·every, …
};

struct InstrumentSettings {
    std::vector<InstrumentRequest> list;
    std::int64_t probeSize = 1000;  ///< examples in the probe batch (0 or ≥ N: all)
    int traceVectors = 8;           ///< Hutchinson's Rademacher vectors per measurement
    int noiseBatches = 8;           ///< batches the probe is split into for B_simple
    int maxProducts = 40;           ///< per sharpness measurement
    double tol = 1e-3;              ///< sharpness: relative residual
    EigenMethod method = EigenMethod::Lanczos;
    std::uint64_t seed = 0;  ///< the probe batch, the cold start, the Rademacher vectors

    bool has(InstrumentKind k) const;
    std::int64_t every(InstrumentKind k) const;  ///< 0 when not requested
    /// The settings' problems ("instruments: ..."), empty when valid.
    std::vector<std::string> problems() const;
};

/// Parameters grouped for the per-layer readings ("L1": a layer's weight and bias).
struct ParamGroup {
    std::string name;
    std::vector<std::size_t> params;  ///< indices into the parameter list
};

/// One value: key "sharpness", "trace", "trace_lo", "trace_hi", "distance", "update",
/// "noise_scale", and per group "distance.<group>", "update.<group>", "grad_norm.<group>".
struct InstrumentReading {
    std::string key;
    double value = 0;
};

/// The series keys `settings` produces for `groups`, in a fixed order.
std::vector<std::string> instrumentKeys(const InstrumentSettings& settings,
                                        const std::vector<ParamGroup>& groups);

/// The first `size` of a seeded permutation of 0…n−1, sorted (all of them for size 0 or ≥ n).
torch::Tensor probeIndices(std::int64_t n, std::int64_t size, std::uint64_t seed);

/// The mean loss of a batch, with a graph back to the parameters.
using ProbeLossFn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& y)>;
/// H·v on the probe at the current parameters; built once per measurement.
using HvpBuilder = std::function<HvpFn()>;

class InstrumentSet {
  public:
    /// `params` are the live training parameters (read only), `loss` the training loss of a
    /// batch, (probeX, probeY) the fixed probe batch. θ₀ is captured now.
    InstrumentSet(InstrumentSettings settings, std::vector<torch::Tensor> params,
                  std::vector<ParamGroup> groups, ProbeLossFn loss, torch::Tensor probeX,
                  torch::Tensor probeY);

    /// Replaces the autograd H·v (double back-propagation) by a faster one (the fused MLP's).
    void setHvpBuilder(HvpBuilder builder) { hvpBuilder_ = std::move(builder); }

    /// Tensors a probe forward pass changes as a side effect (BatchNorm's running statistics,
    /// module.buffers()): copied before each measurement and written back after it. Torch's
    /// default CPU generator (dropout) is likewise saved and restored whenever buffers are set.
    void setBuffersToRestore(std::vector<torch::Tensor> buffers) { buffers_ = std::move(buffers); }

    /// The instruments due after optimizer step `step` (1-based), measured at the parameters
    /// after that step; `optimizer` (may be null) gives Adam's preconditioner. Empty when none
    /// is due.
    std::vector<InstrumentReading> afterStep(std::int64_t step,
                                             const torch::optim::Optimizer* optimizer);

    /// Whether `kind` is measured after step `step`.
    bool due(InstrumentKind kind, std::int64_t step) const;

    double seconds() const { return seconds_; }  ///< time spent measuring
    std::int64_t products() const { return products_; }  ///< Hessian-vector products
    std::int64_t measurements() const { return measurements_; }
    const InstrumentSettings& settings() const { return s_; }
    std::int64_t dimension() const { return dim_; }

  private:
    HvpFn autogradHvp();
    void measureSharpness(const HvpFn& hvp, const torch::optim::Optimizer* opt,
                          std::vector<InstrumentReading>& out);
    void measureTrace(const HvpFn& hvp, std::int64_t step, std::vector<InstrumentReading>& out);
    void measureDistances(std::vector<InstrumentReading>& out, bool distance, bool update);
    void measureGradients(std::vector<InstrumentReading>& out, bool noise, bool norms);
    Eigen::VectorXd flatGradient(const torch::Tensor& x, const torch::Tensor& y);
    std::vector<torch::Tensor> snapshot() const;

    InstrumentSettings s_;
    std::vector<torch::Tensor> params_;
    std::vector<ParamGroup> groups_;
    ProbeLossFn loss_;
    torch::Tensor probeX_, probeY_;
    torch::Tensor noiseX_, noiseY_;  ///< the probe's rows in a seeded random order
    HvpBuilder hvpBuilder_;
    std::vector<torch::Tensor> buffers_;
    std::int64_t dim_ = 0;
    std::vector<torch::Tensor> init_, previous_;
    Eigen::VectorXd warm_;  ///< the last sharpness eigenvector
    double seconds_ = 0;
    std::int64_t products_ = 0, measurements_ = 0;
};

/// One group per Linear layer of an Mlp: "L1" (its weight and bias), "L2", …
std::vector<ParamGroup> mlpParamGroups(const Mlp& model);

/// Groups by module: a parameter named "conv1.weight" goes to "conv1" (the name before its last
/// dot; dots inside become '_'), in order of first appearance.
std::vector<ParamGroup> moduleParamGroups(const torch::nn::Module& module);

/// H·v of an Mlp's MSE on (x, y) by the fused R-operator pass (FusedMlpGradNormSquared), about
/// twice as fast as libtorch's double back-propagation; float32 models only.
HvpBuilder fusedMlpHvpBuilder(Mlp model, torch::Tensor x, torch::Tensor y);

/// Cohen et al.'s threshold for the sharpness instrument's value: (2 + 2μ)/η for SGD with
/// momentum μ, (2 + 2β1)/((1 − β1)η) for Adam (whose instrument is the preconditioned sharpness).
double sharpnessThreshold(bool adam, double lr, double momentumOrBeta1);

}  // namespace trainlab
