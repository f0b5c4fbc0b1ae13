#include "mlp_fast_hvp.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "errors.h"
#include "hessian.h"
#include "mlp_kernels.h"

// Notation (one block of rows, row-major): z_l = a_{l−1}·W_lᵀ + b_l, a_l = σ(z_l) for hidden
// layers, the output z_L; δ_l = dL/dz_l. The R-operator along V = (V_W, V_b):
//   R{z_l} = R{a_{l−1}}·W_lᵀ + a_{l−1}·V_Wᵀ + V_b,  R{a_l} = σ'(z_l)·R{z_l},  R{a_0} = 0
//   R{δ_L} = scale·R{z_L}
//   R{δ_{l−1}} = (R{δ_l}·W_l + δ_l·V_W)·σ'(z_{l−1}) + (δ_l·W_l)·σ''(z_{l−1})·R{z_{l−1}}
//   (H·V)_{W_l} = R{δ_l}ᵀ·a_{l−1} + δ_lᵀ·R{a_{l−1}},  (H·V)_{b_l} = Σ_rows R{δ_l}

namespace trainlab {

using namespace mlp_kernels;

namespace {

/// dst [cols, rows] = srcᵀ for row-major src [rows, cols]: the forward products then run as
/// BLAS "NN" on OpenBLAS's small-matrix kernels; as "TN" (K = the layer's input width, < 32)
/// OpenBLAS 0.3.21 takes its general, packing path (measured on the 2-3 net's layers: the
/// forward products 30% slower).
void transposeInto(float* dst, const float* src, std::int64_t rows, std::int64_t cols) {
    for (std::int64_t r = 0; r < rows; ++r)
        for (std::int64_t c = 0; c < cols; ++c) dst[c * rows + r] = src[r * cols + c];
}

}  // namespace

FusedMlpGradNormSquared::FusedMlpGradNormSquared(Mlp model, std::int64_t blockRows)
    : model_(std::move(model)), blockRows_(blockRows) {
    if (blockRows < 1)
        throw ConfigError(
            {"fused ‖∇L‖²: block rows = " + std::to_string(blockRows) + " must be >= 1"});
    const auto& spec = model_->spec();
    widths_ = spec.widths;
    layers_ = widths_.size() - 1;
    tanh_ = spec.activation == Activation::Tanh;
    slope_ =
        spec.activation == Activation::LeakyReLU ? static_cast<float>(spec.negativeSlope) : 0.f;
    sgemm_ = findSgemm();
    bindParameters();
    for (std::size_t l = 0; l < layers_; ++l) {
        gW_.push_back(torch::zeros({widths_[l + 1], widths_[l]}));
        gB_.push_back(torch::zeros({widths_[l + 1]}));
        wT_.push_back(torch::zeros({widths_[l], widths_[l + 1]}));
        vT_.push_back(torch::zeros({widths_[l], widths_[l + 1]}));
        gBAcc_.emplace_back(static_cast<std::size_t>(widths_[l + 1]), 0.0);
        hBAcc_.emplace_back(static_cast<std::size_t>(widths_[l + 1]), 0.0);
    }
    gW0Acc_.assign(static_cast<std::size_t>(widths_[1]), 0.0);
    hW0Acc_.assign(static_cast<std::size_t>(widths_[1]), 0.0);
}

void FusedMlpGradNormSquared::bindParameters() {
    weights_.clear();
    biases_.clear();
    for (const auto& lin : model_->layers()) {
        for (const auto* t : {&lin->weight, &lin->bias})
            if (!t->defined() || t->scalar_type() != torch::kFloat32 || !t->device().is_cpu() ||
                !t->is_contiguous())
                throw ConfigError(
                    {"the fused ‖∇L‖² needs contiguous float32 CPU parameters with biases"});
        weights_.push_back(lin->weight);
        biases_.push_back(lin->bias);
    }
}

void FusedMlpGradNormSquared::prepareGradients() {
    bindParameters();  // handles only: picks up replaced parameter tensors
    for (std::size_t l = 0; l < layers_; ++l) {
        for (auto* p : {&weights_[l], &biases_[l]}) {
            auto& g = p->mutable_grad();
            if (!g.defined() || !g.is_contiguous() || g.sizes() != p->sizes() ||
                g.scalar_type() != torch::kFloat32)
                g = torch::zeros_like(*p, torch::MemoryFormat::Contiguous);
        }
    }
}

std::int64_t FusedMlpGradNormSquared::checkBatch(const torch::Tensor& xb,
                                                 const torch::Tensor& yb) const {
    const std::int64_t inW = widths_.front(), outW = widths_.back();
    if (!xb.defined() || !yb.defined() || xb.scalar_type() != torch::kFloat32 ||
        yb.scalar_type() != torch::kFloat32 || !xb.device().is_cpu() || !yb.device().is_cpu())
        throw ConfigError({"the fused ‖∇L‖² needs float32 CPU inputs and targets"});
    const std::int64_t n = xb.dim() >= 1 ? xb.size(0) : 0;
    if (n < 1 || n > std::numeric_limits<int>::max() / std::max<std::int64_t>(1, inW) ||
        xb.numel() != n * inW || yb.numel() != n * outW)
        throw ConfigError({"fused ‖∇L‖² batch: inputs must be [N, " + std::to_string(inW) +
                           "] and targets hold N * " + std::to_string(outW) + " values (N >= 1)"});
    return n;
}

void FusedMlpGradNormSquared::ensureCapacity(std::int64_t rows) {
    if (rows <= capacity_) return;
    const std::int64_t block = std::min(blockRows_, rows);
    act_.clear();
    delta_.clear();
    dAct_.clear();
    rAct_.clear();
    rDelta_.clear();
    for (std::size_t l = 0; l < layers_; ++l) {
        const std::int64_t w = widths_[l + 1];
        const bool hidden = l + 1 < layers_;
        act_.push_back(torch::empty({rows, w}));
        delta_.push_back(hidden ? torch::empty({rows, w}) : torch::Tensor());
        dAct_.push_back(hidden && tanh_ ? torch::empty({rows, w}) : torch::Tensor());
        rAct_.push_back(torch::empty({block, w}));
        rDelta_.push_back(torch::empty({block, w}));
    }
    capacity_ = rows;
}

void FusedMlpGradNormSquared::gemm(bool transA, bool transB, std::int64_t m, std::int64_t n,
                                   std::int64_t k, const float* a, std::int64_t lda, const float* b,
                                   std::int64_t ldb, float beta, float* c, std::int64_t ldc,
                                   float alpha) const {
    blasGemm(sgemm_, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const float* FusedMlpGradNormSquared::layerInput(std::size_t l, std::int64_t r0,
                                                 const float* x) const {
    return l == 0 ? x + r0 * widths_[0] : act_[l - 1].data_ptr<float>() + r0 * widths_[l];
}

void FusedMlpGradNormSquared::forwardBlock(std::int64_t r0, std::int64_t rows, const float* x) {
    for (std::size_t l = 0; l < layers_; ++l) {
        const std::int64_t in = widths_[l], out = widths_[l + 1];
        const bool hidden = l + 1 < layers_, leaky = hidden && !tanh_;
        const float* h = layerInput(l, r0, x);
        float* z = act_[l].data_ptr<float>() + r0 * out;
        const float* w = weights_[l].data_ptr<float>();
        const float* b = biases_[l].data_ptr<float>();
        if (l == 0 && in == 1) {
            outerBias(z, h, w, b, rows, out, leaky, slope_);
        } else {
            gemm(false, false, out, rows, in, wT_[l].data_ptr<float>(), out, h, in, 0.f, z,
                 out);  // Z = H Wᵀ
            if (leaky)
                biasLeaky(z, b, rows, out, slope_);
            else
                biasOnly(z, b, rows, out);
        }
        if (hidden && tanh_) {
            // ATen's vectorised tanh (as the model's forward), below its parallel grain.
            const std::int64_t chunk = std::max<std::int64_t>(1, kTorchGrain / out);
            for (std::int64_t r = 0; r < rows; r += chunk)
                act_[l].narrow(0, r0 + r, std::min(chunk, rows - r)).tanh_();
        }
    }
}

void FusedMlpGradNormSquared::activationBackward(std::size_t l, std::int64_t r0,
                                                 std::int64_t rows) {
    const std::int64_t w = widths_[l + 1];
    const float* a = act_[l].data_ptr<float>() + r0 * w;
    float* d = delta_[l].data_ptr<float>() + r0 * w;
    if (tanh_)
        tanhBackwardTo(d, dAct_[l].data_ptr<float>() + r0 * w, a, rows * w);
    else
        leakyBackward(d, a, rows * w, slope_);
}

double FusedMlpGradNormSquared::backwardBlock(std::int64_t r0, std::int64_t rows, const float* x,
                                              const float* y, float scale) {
    const std::size_t last = layers_ - 1;
    const std::int64_t outW = widths_.back();
    const double loss = mseGrad(act_[last].data_ptr<float>() + r0 * outW, y + r0 * outW,
                                rows * outW, scale);  // the output's buffer now holds δ_L
    for (std::size_t l = last + 1; l-- > 0;) {
        const std::int64_t in = widths_[l], out = widths_[l + 1];
        const float* dz = (l == last ? act_[l] : delta_[l]).data_ptr<float>() + r0 * out;
        const float* h = layerInput(l, r0, x);
        if (l == 0 && in == 1)
            columnSums(dz, h, rows, out, gW0Acc_.data());
        else
            gemm(false, true, in, out, rows, h, in, dz, out, 1.f, gW_[l].data_ptr<float>(),
                 in);  // G_W += Δᵀ H
        columnSums(dz, nullptr, rows, out, gBAcc_[l].data());
        if (l == 0) break;
        float* da = (tanh_ ? dAct_[l - 1] : delta_[l - 1]).data_ptr<float>() + r0 * in;
        gemm(false, false, in, rows, out, weights_[l].data_ptr<float>(), in, dz, out, 0.f, da,
             in);  // dL/dH = Δ W
        activationBackward(l - 1, r0, rows);
    }
    return loss;
}

double FusedMlpGradNormSquared::gradientPass(const float* x, const float* y, std::int64_t n) {
    for (std::size_t l = 0; l < layers_; ++l) {
        gW_[l].zero_();
        std::fill(gBAcc_[l].begin(), gBAcc_[l].end(), 0.0);
    }
    std::fill(gW0Acc_.begin(), gW0Acc_.end(), 0.0);
    for (std::size_t l = 0; l < layers_; ++l)
        transposeInto(wT_[l].data_ptr<float>(), weights_[l].data_ptr<float>(), widths_[l + 1],
                      widths_[l]);
    const float scale = static_cast<float>(2.0 / (static_cast<double>(n) * widths_.back()));
    double lossSum = 0;
    for (std::int64_t r0 = 0; r0 < n; r0 += blockRows_) {
        const std::int64_t rows = std::min(blockRows_, n - r0);
        forwardBlock(r0, rows, x);
        lossSum += backwardBlock(r0, rows, x, y, scale);
    }
    double sq = 0;
    for (std::size_t l = 0; l < layers_; ++l) {
        float* gw = gW_[l].data_ptr<float>();
        if (l == 0 && widths_[0] == 1)
            for (std::size_t j = 0; j < gW0Acc_.size(); ++j) gw[j] = static_cast<float>(gW0Acc_[j]);
        float* gb = gB_[l].data_ptr<float>();
        for (std::size_t j = 0; j < gBAcc_[l].size(); ++j) gb[j] = static_cast<float>(gBAcc_[l][j]);
        for (const auto& t : {gW_[l], gB_[l]}) {
            const float* p = t.data_ptr<float>();
            for (std::int64_t j = 0; j < t.numel(); ++j) sq += static_cast<double>(p[j]) * p[j];
        }
    }
    lastLoss_ = lossSum / (static_cast<double>(n) * widths_.back());
    return sq;
}

void FusedMlpGradNormSquared::rForwardBlock(std::int64_t r0, std::int64_t rows, const float* x,
                                            const Params& v) {
    for (std::size_t l = 0; l < layers_; ++l) {
        const std::int64_t in = widths_[l], out = widths_[l + 1];
        float* ra = rAct_[l].data_ptr<float>();
        const float* h = layerInput(l, r0, x);
        if (l == 0 && in == 1) {
            outerBias(ra, h, v.w[0], v.b[0], rows, out, false, 0.f);
        } else {
            float beta = 0.f;
            if (l > 0) {  // R{a_{l−1}} W_lᵀ
                gemm(false, false, out, rows, in, wT_[l].data_ptr<float>(), out,
                     rAct_[l - 1].data_ptr<float>(), in, 0.f, ra, out);
                beta = 1.f;
            }
            gemm(false, false, out, rows, in, vT_[l].data_ptr<float>(), out, h, in, beta, ra,
                 out);  // + a V_Wᵀ
            biasOnly(ra, v.b[l], rows, out);
        }
        if (l + 1 == layers_) break;
        const float* a = act_[l].data_ptr<float>() + r0 * out;
        if (tanh_)
            tanhBackward(ra, a, rows * out);
        else
            leakyBackward(ra, a, rows * out, slope_);
    }
}

void FusedMlpGradNormSquared::activationRBackward(std::size_t l, std::int64_t r0,
                                                  std::int64_t rows) {
    const std::int64_t w = widths_[l + 1];
    const float* a = act_[l].data_ptr<float>() + r0 * w;
    float* rd = rDelta_[l].data_ptr<float>();
    if (tanh_)
        tanhRBackward(rd, a, dAct_[l].data_ptr<float>() + r0 * w, rAct_[l].data_ptr<float>(),
                      rows * w);
    else
        leakyBackward(rd, a, rows * w, slope_);
}

void FusedMlpGradNormSquared::rBackwardBlock(std::int64_t r0, std::int64_t rows, const float* x,
                                             const Params& v, const Out& o, float scale) {
    const std::size_t last = layers_ - 1;
    scaledCopy(rDelta_[last].data_ptr<float>(), rAct_[last].data_ptr<float>(),
               rows * widths_.back(), scale);
    for (std::size_t l = last + 1; l-- > 0;) {
        const std::int64_t in = widths_[l], out = widths_[l + 1];
        const float* rd = rDelta_[l].data_ptr<float>();
        const float* dz = (l == last ? act_[l] : delta_[l]).data_ptr<float>() + r0 * out;
        const float* h = layerInput(l, r0, x);
        if (l == 0 && in == 1) {
            columnSums(rd, h, rows, out, hW0Acc_.data());
        } else {
            gemm(false, true, in, out, rows, h, in, rd, out, 1.f, o.w[l], in,
                 o.alpha);  // R{Δ}ᵀ H
            if (l > 0)
                gemm(false, true, in, out, rows, rAct_[l - 1].data_ptr<float>(), in, dz, out, 1.f,
                     o.w[l], in, o.alpha);  // + Δᵀ R{H}
        }
        columnSums(rd, nullptr, rows, out, hBAcc_[l].data());
        if (l == 0) break;
        float* rdPrev = rDelta_[l - 1].data_ptr<float>();
        gemm(false, false, in, rows, out, weights_[l].data_ptr<float>(), in, rd, out, 0.f, rdPrev,
             in);                                                                 // R{Δ} W
        gemm(false, false, in, rows, out, v.w[l], in, dz, out, 1.f, rdPrev, in);  // + Δ V_W
        activationRBackward(l - 1, r0, rows);
    }
}

void FusedMlpGradNormSquared::hessianPass(const float* x, std::int64_t n, const Params& v,
                                          const Out& o) {
    for (std::size_t l = 0; l < layers_; ++l) {
        std::fill(o.w[l], o.w[l] + widths_[l] * widths_[l + 1], 0.f);
        std::fill(hBAcc_[l].begin(), hBAcc_[l].end(), 0.0);
    }
    std::fill(hW0Acc_.begin(), hW0Acc_.end(), 0.0);
    for (std::size_t l = 0; l < layers_; ++l)
        transposeInto(vT_[l].data_ptr<float>(), v.w[l], widths_[l + 1], widths_[l]);
    const float scale = static_cast<float>(2.0 / (static_cast<double>(n) * widths_.back()));
    for (std::int64_t r0 = 0; r0 < n; r0 += blockRows_) {
        const std::int64_t rows = std::min(blockRows_, n - r0);
        rForwardBlock(r0, rows, x, v);
        rBackwardBlock(r0, rows, x, v, o, scale);
    }
    for (std::size_t l = 0; l < layers_; ++l)
        for (std::size_t j = 0; j < hBAcc_[l].size(); ++j)
            o.b[l][j] = static_cast<float>(o.alpha * hBAcc_[l][j]);
    if (widths_[0] == 1)
        for (std::size_t j = 0; j < hW0Acc_.size(); ++j)
            o.w[0][j] = static_cast<float>(o.alpha * hW0Acc_[j]);
}

void FusedMlpGradNormSquared::bindGradientStep() {
    // Cleared, not rebuilt: the vectors keep their capacity from the first call.
    gDir_.w.clear();
    gDir_.b.clear();
    gOut_.w.clear();
    gOut_.b.clear();
    gOut_.alpha = 2.f;  // ∇(‖g‖²) = 2·H·g (a power of two: exact)
    for (std::size_t l = 0; l < layers_; ++l) {
        gDir_.w.push_back(gW_[l].data_ptr<float>());
        gDir_.b.push_back(gB_[l].data_ptr<float>());
        gOut_.w.push_back(weights_[l].mutable_grad().data_ptr<float>());
        gOut_.b.push_back(biases_[l].mutable_grad().data_ptr<float>());
    }
}

double FusedMlpGradNormSquared::operator()(const torch::Tensor& xbIn, const torch::Tensor& ybIn) {
    const std::int64_t n = checkBatch(xbIn, ybIn);
    const torch::Tensor xb = xbIn.contiguous(), yb = ybIn.contiguous();
    torch::NoGradGuard noGrad;
    prepareGradients();
    ensureCapacity(n);
    const double normSq = gradientPass(xb.data_ptr<float>(), yb.data_ptr<float>(), n);
    bindGradientStep();
    hessianPass(xb.data_ptr<float>(), n, gDir_, gOut_);
    return normSq;
}

torch::Tensor FusedMlpGradNormSquared::hessianVectorProduct(const torch::Tensor& xbIn,
                                                            const torch::Tensor& ybIn,
                                                            const torch::Tensor& vIn) {
    const std::int64_t n = checkBatch(xbIn, ybIn);
    const std::int64_t p = mlpParameterCount(model_->spec());
    if (!vIn.defined() || vIn.numel() != p)
        throw ConfigError({"fused H·v: v must hold " + std::to_string(p) + " values, got " +
                           (vIn.defined() ? std::to_string(vIn.numel()) : "none")});
    const torch::Tensor xb = xbIn.contiguous(), yb = ybIn.contiguous();
    const torch::Tensor v = vIn.detach().to(torch::kFloat32).contiguous().reshape({-1});
    torch::NoGradGuard noGrad;
    bindParameters();
    ensureCapacity(n);
    gradientPass(xb.data_ptr<float>(), yb.data_ptr<float>(), n);
    torch::Tensor result = torch::empty({p});
    Params dir;
    Out o;
    std::int64_t offset = 0;
    for (std::size_t l = 0; l < layers_; ++l) {
        const std::int64_t nw = widths_[l] * widths_[l + 1], nb = widths_[l + 1];
        dir.w.push_back(v.data_ptr<float>() + offset);
        o.w.push_back(result.data_ptr<float>() + offset);
        dir.b.push_back(v.data_ptr<float>() + offset + nw);
        o.b.push_back(result.data_ptr<float>() + offset + nw);
        offset += nw + nb;
    }
    hessianPass(xb.data_ptr<float>(), n, dir, o);
    return result;
}

LossGradFn makeFusedGradNormSquared(Mlp model) {
    auto impl = std::make_shared<FusedMlpGradNormSquared>(std::move(model));
    return [impl](const torch::Tensor& xb, const torch::Tensor& yb) { return (*impl)(xb, yb); };
}

bool phase2AutogradForced() {
    static const bool forced = [] {
        const char* v = std::getenv("TRAINLAB_PHASE2_AUTOGRAD");
        return v && std::strcmp(v, "1") == 0;
    }();
    return forced;
}

LossGradFn mlpGradNormSquaredLossGrad(Mlp model, LossKind loss) {
    if (loss == LossKind::MSE && !phase2AutogradForced())
        return makeFusedGradNormSquared(std::move(model));
    auto params = model->parameters();
    return gradNormSquaredLossGrad(
        [model](const torch::Tensor& x) mutable { return model->forward(x); }, std::move(params),
        loss);
}

}  // namespace trainlab
