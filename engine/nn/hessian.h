// Exact Hessians of a scalar loss, their spectra (minimal ratio, experiment 2-3), Lanczos
// estimates of the extreme eigenvalues for nets too large for a dense Hessian, and the
// squared-gradient-norm objective of 2-3's phase 2.
#pragma once

#include <torch/torch.h>

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <vector>

#include "mlp.h"
#include "trainer.h"

namespace trainlab {

/// Total number of elements of `params`.
std::int64_t flatParameterCount(const std::vector<torch::Tensor>& params);

/// Exact Hessian of the scalar `loss()` with respect to all of `params`, flattened in order
/// (each tensor row-major), by double back-propagation: one gradient with create_graph, then
/// one backward pass per row. Computed in the parameters' dtype, returned in double and
/// symmetrised ((H + Hᵀ)/2). Parameters the loss does not depend on give zero rows.
/// Throws ConfigError when the loss is not a single-element tensor.
Eigen::MatrixXd denseHessian(const std::vector<torch::Tensor>& params,
                             const std::function<torch::Tensor()>& loss);

/// Exact Hessian of mse_loss(model(x), y) (mean over all N·K output elements) with respect to
/// model->parameters() (layer by layer: weight [out, in] row-major, then bias), the same
/// matrix as denseHessian up to rounding. For LeakyReLU and ReLU, a closed form in float64:
///   H = 2/(NK) · (JᵀJ + R + Rᵀ),
/// J the per-output Jacobian (NK × P, one SYRK) and R the residual-weighted second-order
/// term Σ r·∇²f, which for piecewise-linear activations has only cross-layer blocks
/// (layer l < layer m): R[θ_l(p,q), W_m(s,t)] = Σ_i ∂a_{m-1}[t]/∂z_l[p] · ã_{l-1}[q] · u_m[s],
/// with ã the input with a trailing 1 (for the bias) and u_m the back-propagated residual,
/// one GEMM per pair of layers. Kinks are treated as autograd does (derivative `slope` at 0).
/// Tanh falls back to denseHessian. x: [N, widths.front()], y: N·K elements; any float dtype.
Eigen::MatrixXd mlpMseHessian(Mlp& model, const torch::Tensor& x, const torch::Tensor& y);

/// True when mlpMseHessian uses its closed form for `spec` (not the autograd fallback).
bool mlpMseHessianIsClosedForm(const MlpSpec& spec);

struct HessianSpectrum {
    Eigen::VectorXd eigenvalues;  ///< ascending
    double minimalRatio = 0;      ///< (#λ > 0) / P
    double minimalRatioTol = 0;   ///< (#λ > τ·max|λ|) / P: |λ| ≤ τ·max|λ| counted as zero
    double tau = 0;
    double maxAbs = 0;  ///< max |λ|
};

/// Eigenvalues (Eigen::SelfAdjointEigenSolver, eigenvalues only; the lower triangle of `H`
/// is read) and the minimal ratios. Throws ConfigError for an empty or non-square H, a
/// negative or non-finite tau, or a non-finite entry.
HessianSpectrum hessianSpectrum(const Eigen::MatrixXd& H, double tau);

/// H·v for the Hessian of `loss()` with respect to `params` (flattened as in denseHessian),
/// by double back-propagation. v has flatParameterCount(params) entries.
Eigen::VectorXd hessianVectorProduct(const std::vector<torch::Tensor>& params,
                                     const std::function<torch::Tensor()>& loss,
                                     const Eigen::VectorXd& v);

/// The same as a reusable operator: the loss and its gradient graph are built once, each call
/// costs one backward pass. The operator keeps the graph alive; use it while `params` are
/// unchanged.
std::function<Eigen::VectorXd(const Eigen::VectorXd&)> hessianVectorOperator(
    const std::vector<torch::Tensor>& params, const std::function<torch::Tensor()>& loss);

struct LanczosResult {
    double largest = 0;
    double smallest = 0;
    int iterations = 0;
    bool converged = false;
};

/// Extreme eigenvalues of the symmetric operator `hvp` (dimension `dim`) by Lanczos with full
/// reorthogonalisation, starting from a seeded Gaussian vector. Stops when both extreme Ritz
/// values have residual bound |β_k·s_k| ≤ tol·max|θ|, when the Krylov space is invariant
/// (exact), or after min(maxIterations, dim) steps (converged = false unless one of the former
/// held). Throws ConfigError for dim < 1, maxIterations < 1, tol < 0.
LanczosResult lanczosExtremes(const std::function<Eigen::VectorXd(const Eigen::VectorXd&)>& hvp,
                              int dim, int maxIterations, double tol, std::uint64_t seed);

/// Phase 2 of 2-3: evaluates L = loss(), g = ∇L (create_graph), returns ‖g‖² and leaves
/// ∇(‖g‖²) = 2·H·g in every parameter's .grad() (replacing what was there; zeros for a
/// parameter that does not affect it).
double gradNormSquaredStep(const std::vector<torch::Tensor>& params,
                           const std::function<torch::Tensor()>& loss);

/// A LossGradFn (trainer.h) whose "loss" is ‖∇L‖² of L = loss(forward(xb), yb) and whose
/// gradient is ∇(‖∇L‖²), so trainLoop minimises the squared gradient norm unchanged (use a
/// StopKind::Target rule for the threshold). The gradient norm trainLoop records is then
/// ‖2·H·∇L‖, not ‖∇L‖: √(returned loss) is ‖∇L‖.
LossGradFn gradNormSquaredLossGrad(std::function<torch::Tensor(const torch::Tensor&)> forward,
                                   std::vector<torch::Tensor> params,
                                   LossKind loss = LossKind::MSE);

}  // namespace trainlab
