// Flatness and sensitivity of trained classifiers (3-3): interpolation between two solutions,
// BatchNorm statistics re-estimated on training batches, filter-normalised random directions
// (Li et al. 2018), Keskar et al.'s ε-sharpness and the input-Jacobian sensitivity of Novak
// et al. 2018. Everything here evaluates; nothing touches a model's training gradients.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "cnn.h"
#include "image_tensors.h"

namespace trainlab {

/// Every parameter and BatchNorm running statistic of a model, in a fixed order (parameters
/// first, then buffers other than num_batches_tracked). Copies (detached).
struct ModelState {
    std::vector<torch::Tensor> params;
    std::vector<torch::Tensor> buffers;
    std::vector<bool> isVariance;  ///< per buffer: a running variance (kept >= 0)
};
ModelState captureState(CnnImpl& model);
/// Writes `state` into `model` (same architecture). Throws Error on a shape mismatch.
void loadState(CnnImpl& model, const ModelState& state);

/// θ(α) = (1 − α)·a + α·b for parameters and, when `interpolateBuffers`, BatchNorm running
/// statistics too (otherwise `a`'s are kept). α may lie outside [0, 1] (extrapolation);
/// extrapolated running variances are clamped at 0, where BatchNorm's ε keeps them valid.
ModelState interpolateStates(const ModelState& a, const ModelState& b, double alpha,
                             bool interpolateBuffers = true);

/// Replaces every BatchNorm's running mean and variance by their plain average over
/// `batches` shuffled training batches of `batchSize` (seeded) of `train` (callers pass a
/// stratified subset of batches × batchSize images, drawSubset), computed in train mode for
/// the BatchNorm layers only (dropout stays off); the model is left in eval mode.
void reestimateBatchNorm(CnnImpl& model, const ImageTensors& train, const std::vector<float>& mean,
                         const std::vector<float>& std, std::int64_t batches,
                         std::int64_t batchSize, std::uint64_t seed);

/// A random direction shaped like the parameters: N(0, 1) entries, each filter (row of a
/// weight with 2+ dimensions: a conv output channel, a linear output unit) rescaled to the
/// norm of the same filter of `base` (Li et al. 2018); 1-D parameters (biases, BatchNorm
/// weights) get zeros, as in their "ignore biasbn" setting. With filterNormalised false, the
/// whole direction is scaled to the norm of `base` instead.
std::vector<torch::Tensor> randomDirection(const ModelState& base, std::uint64_t seed,
                                           bool filterNormalised = true);

/// base + Σ t_i·d_i over parameters (buffers kept from base).
ModelState displaceState(const ModelState& base, const std::vector<torch::Tensor>& d1, double t1,
                         const std::vector<torch::Tensor>& d2 = {}, double t2 = 0);

/// Keskar et al. 2017's sharpness: 100 · (max_{z ∈ C} L(θ + z) − L(θ)) / (1 + L(θ)) over the
/// box C = {|z_i| ≤ ε(|θ_i| + 1)} for the parameters, maximised by `steps` steps of projected
/// sign-gradient ascent on `data` (eval mode, whole set per step). The model is restored.
struct Sharpness {
    double value = 0;     ///< percent
    double baseLoss = 0;  ///< L(θ)
    double maxLoss = 0;   ///< L(θ + z*) found
};
Sharpness epsilonSharpness(CnnImpl& model, const ImageTensors& data, const std::vector<float>& mean,
                           const std::vector<float>& std, double epsilon, int steps,
                           std::int64_t batchSize = 500);

/// Per-example Frobenius norm of the Jacobian of the softmax output with respect to the input,
/// ‖∂softmax(f(x))/∂x‖_F (Novak et al. 2018), for x [N, C, H, W] (normalised input). Exact:
/// one backward pass per class through the batch, in eval mode, with torch::autograd::grad
/// (parameters' .grad() are never written). Returns [N] float64.
torch::Tensor softmaxJacobianNorms(CnnImpl& model, const torch::Tensor& x);

/// The homework's variant: ‖∂L/∂x‖_F of the batch-mean cross-entropy with respect to the
/// whole input batch, in eval mode, without touching .grad().
double lossInputGradientNorm(CnnImpl& model, const torch::Tensor& x, const torch::Tensor& y);

/// Mean softmax-Jacobian norm over `data` (count <= 0 or >= its size), or over a stratified
/// sample of `count` of its images (drawSubset with `seed`; never the first `count`, which on
/// class-sorted data is one class), in batches of `batchSize`.
double meanSensitivity(CnnImpl& model, const ImageTensors& data, const std::vector<float>& mean,
                       const std::vector<float>& std, std::int64_t count,
                       std::int64_t batchSize = 100, std::uint64_t seed = 0);

}  // namespace trainlab
