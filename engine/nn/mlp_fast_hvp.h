// 2-3's phase 2 without autograd: ‖∇L‖² of an Mlp's MSE and its gradient 2·H·∇L, in the
// fused, allocation-free style of mlp_fast.h.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "mlp.h"
#include "trainer.h"

namespace trainlab {

/// ‖g‖² and ∇(‖g‖²) = 2·H·g for g = ∇L, L = mse(model(x), y) (mean over all N·K outputs),
/// by one forward and one backward pass (g), then one R-forward and one R-backward pass
/// (Pearlmutter's R-operator, forward over reverse) for H·g: about four passes of GEMMs
/// instead of libtorch's double back-propagation graph. LeakyReLU and ReLU (second derivative
/// 0, kinks taken as autograd takes them) and tanh (σ'' = −2a(1 − a²)). Equals
/// gradNormSquaredStep (hessian.h) up to float rounding.
///
/// The rows are processed in blocks of `blockRows` so that a block's temporaries stay in
/// cache; the activations of the whole batch are kept for the second pass. Buffers grow to the
/// largest batch seen and are reused. float32 CPU inputs and parameters; one thread (2-3 trains
/// its runs side by side). Parameters are read through their storage (the optimizer updates
/// them in place); replaced parameter tensors are picked up on the next call. Not re-entrant.
class FusedMlpGradNormSquared {
  public:
    static constexpr std::int64_t kDefaultBlockRows = 1024;

    explicit FusedMlpGradNormSquared(Mlp model, std::int64_t blockRows = kDefaultBlockRows);

    /// ‖∇L‖² of the batch; leaves ∇(‖∇L‖²) = 2·H·∇L in every parameter's .grad() (replacing
    /// what was there). Throws ConfigError for a batch of the wrong shape or dtype.
    double operator()(const torch::Tensor& xb, const torch::Tensor& yb);

    /// H·v at the batch for a flat v (model->parameters() order, each tensor row-major):
    /// a float32 tensor of the parameter count. .grad() is left untouched.
    torch::Tensor hessianVectorProduct(const torch::Tensor& xb, const torch::Tensor& yb,
                                       const torch::Tensor& v);

    /// The MSE of the last call's batch.
    double lastLoss() const { return lastLoss_; }

  private:
    using SgemmFn = void (*)(const char*, const char*, const int*, const int*, const int*,
                             const float*, const float*, const int*, const float*, const int*,
                             const float*, float*, const int*);
    /// Per layer: the direction V (weights, biases) or where H·V goes.
    struct Params {
        std::vector<const float*> w, b;
    };
    struct Out {
        std::vector<float*> w, b;
        float alpha = 1;  ///< H·V is multiplied by alpha
    };

    std::int64_t checkBatch(const torch::Tensor& xb, const torch::Tensor& yb) const;
    void bindParameters();
    void ensureCapacity(std::int64_t rows);
    /// Pass 1 over every block: activations, δ and g (into gW_, gB_). Returns ‖g‖².
    double gradientPass(const float* x, const float* y, std::int64_t n);
    void forwardBlock(std::int64_t r0, std::int64_t rows, const float* x);
    double backwardBlock(std::int64_t r0, std::int64_t rows, const float* x, const float* y,
                         float scale);
    /// Pass 2 over every block: H·V into `out` (which it zeroes first).
    void hessianPass(const float* x, std::int64_t n, const Params& v, const Out& out);
    void rForwardBlock(std::int64_t r0, std::int64_t rows, const float* x, const Params& v);
    void rBackwardBlock(std::int64_t r0, std::int64_t rows, const float* x, const Params& v,
                        const Out& out, float scale);
    /// gDir_ = g (pass 1's result), gOut_ = the parameters' .grad() with alpha 2.
    void bindGradientStep();
    void gemm(bool transA, bool transB, std::int64_t m, std::int64_t n, std::int64_t k,
              const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta,
              float* c, std::int64_t ldc, float alpha = 1.f) const;
    /// dLoss/d a_{l} → δ_l for hidden layer l (rows [r0, r0 + rows)), and the same for R{δ}.
    void activationBackward(std::size_t l, std::int64_t r0, std::int64_t rows);
    void activationRBackward(std::size_t l, std::int64_t r0, std::int64_t rows);
    /// Re-binds the parameters and makes every .grad() a contiguous float32 tensor.
    void prepareGradients();
    const float* layerInput(std::size_t l, std::int64_t r0, const float* x) const;

    Mlp model_;
    std::int64_t blockRows_;
    std::vector<std::int64_t> widths_;
    std::size_t layers_ = 0;
    bool tanh_ = false;
    float slope_ = 0;
    std::vector<torch::Tensor> weights_, biases_;
    SgemmFn sgemm_ = nullptr;
    std::int64_t capacity_ = 0;
    // Whole batch: activations a_l (the output layer's: δ_L), δ_l, and for tanh dL/da_l.
    std::vector<torch::Tensor> act_, delta_, dAct_;
    // One block: R{a_l} (the output's R{z}) and R{δ_l}.
    std::vector<torch::Tensor> rAct_, rDelta_;
    std::vector<torch::Tensor> gW_, gB_;  ///< g = ∇L (float, as the direction of pass 2)
    std::vector<torch::Tensor> wT_, vT_;  ///< W_lᵀ and V_Wᵀ [in, out] for the forward products
    std::vector<std::vector<double>> gBAcc_, hBAcc_;
    std::vector<double> gW0Acc_, hW0Acc_;  ///< first-layer weights when widths[0] == 1
    Params gDir_;
    Out gOut_;
    double lastLoss_ = 0;
};

/// Wraps a shared FusedMlpGradNormSquared in a LossGradFn: the "loss" is ‖∇L‖², the gradient
/// ∇(‖∇L‖²), as gradNormSquaredLossGrad (hessian.h).
LossGradFn makeFusedGradNormSquared(Mlp model);

/// True when TRAINLAB_PHASE2_AUTOGRAD=1: 2-3's phase 2 then runs libtorch's double
/// back-propagation (the path before the fused one; for benchmarks and comparisons).
bool phase2AutogradForced();

/// Phase 2's LossGradFn for `model`: the fused one for MSE, unless phase2AutogradForced();
/// otherwise gradNormSquaredLossGrad over the model's forward.
LossGradFn mlpGradNormSquaredLossGrad(Mlp model, LossKind loss = LossKind::MSE);

}  // namespace trainlab
