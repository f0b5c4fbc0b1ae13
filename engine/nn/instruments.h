// Training instruments (issue 17): the numbers researchers watch during training, computed
// from Hessian-vector products and gradients without touching the training state. The maths
// here works on operators and plain vectors; instrument_set.h applies it to a model.
//   - sharpness λ_max(H) by power iteration or Lanczos, warm-started from a previous vector;
//   - preconditioned sharpness λ_max(P⁻¹H) for a diagonal P (Adam's, Cohen et al. 2022);
//   - Hutchinson's trace estimate with Rademacher vectors and its standard error;
//   - the gradient noise scale B_simple of McCandlish et al. 2018 from per-batch gradients.
#pragma once

#include <torch/torch.h>

#include <Eigen/Dense>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace trainlab {

/// y = H·v for a symmetric operator H of a fixed dimension.
using HvpFn = std::function<Eigen::VectorXd(const Eigen::VectorXd&)>;

struct EigenEstimate {
    double value = 0;        ///< the largest eigenvalue found (Rayleigh quotient / Ritz value)
    Eigen::VectorXd vector;  ///< its unit eigenvector estimate (the next warm start)
    int products = 0;        ///< operator applications used
    bool converged = false;  ///< the residual ‖Hv − λv‖ fell to tol·|λ|
};

struct EigenOptions {
    int maxProducts = 100;
    /// Stop when ‖Hv − λv‖ ≤ tol·|λ|: the eigenvalue is then accurate to about tol²·|λ|·|λ|/gap.
    double tol = 1e-3;
    std::uint64_t seed = 0;  ///< the Gaussian start when there is no (usable) warm start
};

/// Power iteration v ← Hv/‖Hv‖ from `warm` (normalised; a seeded Gaussian when absent, of the
/// wrong size or zero). One product per iteration; the Rayleigh quotient and residual of the
/// current vector come from the same product. Finds the eigenvalue of largest |λ|: equal to
/// λ_max when the Hessian's positive side dominates, as it does during training. Throws
/// ConfigError for dim < 1, maxProducts < 1, tol < 0, or an operator of the wrong size.
EigenEstimate powerIteration(const HvpFn& hvp, std::int64_t dim, const Eigen::VectorXd* warm,
                             const EigenOptions& options);

/// The largest eigenvalue by Lanczos with full reorthogonalisation from `warm` (as above),
/// with its Ritz vector. Stops when the largest Ritz value's residual |β_k·s_k| ≤ tol·|θ|, the
/// Krylov space is invariant, or after maxProducts (or dim) products. Unlike power iteration
/// it finds the algebraically largest eigenvalue even when a negative one is larger in size,
/// and converges in about √(λ/gap) rather than λ/gap products.
EigenEstimate lanczosLargest(const HvpFn& hvp, std::int64_t dim, const Eigen::VectorXd* warm,
                             const EigenOptions& options);

/// The operator P^{-1/2} H P^{-1/2} for P = diag(p) (p > 0): similar to P⁻¹H, so it has the
/// same eigenvalues, and symmetric, so power iteration and Lanczos apply. Throws ConfigError
/// when p is not positive and finite everywhere.
HvpFn preconditionedOperator(HvpFn hvp, Eigen::VectorXd p);

/// Adam's diagonal preconditioner in Cohen et al. 2022's form, P = (1 − β1^t)(√v̂ + ε) with
/// v̂ = v/(1 − β2^t), for the second-moment estimate v (exp_avg_sq) after t steps. The
/// (1 − β1^t) factor puts Adam's bias-corrected momentum update θ ← θ − η·P⁻¹·m in the form
/// whose stability threshold is (2 + 2β1)/((1 − β1)·η). Throws ConfigError for t < 1.
Eigen::VectorXd adamPreconditioner(const Eigen::VectorXd& expAvgSq, std::int64_t step,
                                   double beta1, double beta2, double eps);

/// The sharpness above which gradient descent with step size η and heavy-ball momentum μ
/// (torch's SGD: v ← μv + g, θ ← θ − ηv) is unstable on a quadratic: (2 + 2μ)/η, 2/η without
/// momentum (Cohen et al. 2021, "Gradient descent on neural networks typically occurs at the
/// edge of stability", ICLR; appendix on momentum).
double gdStabilityThreshold(double lr, double momentum = 0);

/// The same for Adam's preconditioned sharpness λ_max(P⁻¹H): (2 + 2β1)/((1 − β1)·η), 38/η for
/// β1 = 0.9 (Cohen et al. 2022, "Adaptive gradient methods at the edge of stability",
/// arXiv:2207.14484).
double adamStabilityThreshold(double lr, double beta1);

struct TraceEstimate {
    double value = 0;           ///< mean of vᵀHv over the Rademacher vectors
    double standardError = 0;   ///< sample standard deviation / √vectors (0 for one vector)
    int products = 0;
};

/// Hutchinson's estimate tr(H) ≈ mean_i vᵢᵀHvᵢ with vᵢ ∈ {−1, +1}^dim drawn from a private
/// std::mt19937_64 seeded with `seed` (torch's generators are not used). Exact for a diagonal
/// H (every vᵢᵀHvᵢ = tr H). Throws ConfigError for dim < 1 or vectors < 1.
TraceEstimate hutchinsonTrace(const HvpFn& hvp, std::int64_t dim, int vectors,
                              std::uint64_t seed);

struct NoiseScale {
    double bSimple = 0;      ///< tr(Σ)/|G|² (NaN when the |G|² estimate is not positive)
    double traceSigma = 0;   ///< unbiased estimate of tr(Σ), the per-example gradient covariance
    double gradSquared = 0;  ///< unbiased estimate of |G|², the true gradient's squared norm
    int batches = 0;
};

/// McCandlish et al. 2018's B_simple from k ≥ 2 gradients gᵢ of equal-sized batches (b examples
/// each) drawn from the same set. With |G_b|² = mean ‖gᵢ‖² (small batches, size b) and
/// |G_B|² = ‖mean gᵢ‖² (the union, B = k·b), E|G_b|² = |G|² + tr(Σ)/b, and likewise for B, so
///   |G|²  ≈ (B·|G_B|² − b·|G_b|²)/(B − b),   tr(Σ) ≈ (|G_b|² − |G_B|²)/(1/b − 1/B)
/// (their appendix A.1): both unbiased, their ratio is not. Throws ConfigError for fewer than two
/// gradients, batch < 1 or gradients of different sizes.
NoiseScale gradientNoiseScale(const std::vector<Eigen::VectorXd>& batchGradients,
                              std::int64_t batch);

/// ‖a − b‖ over a list of tensors of equal shapes (computed in double).
double distance(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b);
/// ‖a‖ over a list of tensors (in double).
double norm(const std::vector<torch::Tensor>& a);

}  // namespace trainlab
