#include "mlp_fast.h"

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "errors.h"
#include "mlp_kernels.h"

namespace trainlab {

// The element-wise loops, rowView, findSymbol and the BLAS call (row-major activations).
using namespace mlp_kernels;

int setBlasThreads(int threads) {
    using GetFn = int (*)();
    using SetFn = void (*)(int);
    auto get = reinterpret_cast<GetFn>(findSymbol("openblas_get_num_threads"));
    auto set = reinterpret_cast<SetFn>(findSymbol("openblas_set_num_threads"));
    if (!get || !set) return -1;
    const int previous = get();
    set(std::max(1, threads));
    return previous;
}

int suggestedShards(const MlpSpec& spec, std::int64_t rows, int maxShards) {
    const double work = static_cast<double>(rows) * static_cast<double>(mlpParameterCount(spec));
    const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (work < 1e6) return 1;
    const int byWork = static_cast<int>(std::min(64.0, work / 5e5));  // >= ~5e5 row-params each
    return std::max(1, std::min({maxShards, hw, byWork}));
}

FusedMlpLossGrad::FusedMlpLossGrad(Mlp model, int shards, LossKind loss)
    : model_(std::move(model)), shards_(shards) {
    if (loss != LossKind::MSE)
        throw ConfigError(
            {"the fused MLP gradient supports only the MSE loss (use autograd for "
             "cross-entropy)"});
    if (shards < 1 || shards > 64)
        throw ConfigError({"fused MLP shards = " + std::to_string(shards) + " must be in [1, 64]"});
    const auto& spec = model_->spec();
    widths_ = spec.widths;
    activation_ = spec.activation;
    slope_ = activation_ == Activation::LeakyReLU ? static_cast<float>(spec.negativeSlope) : 0.f;
    bindParameters();
    sgemm_ = reinterpret_cast<SgemmFn>(findSymbol("sgemm_"));

    const size_t layers = widths_.size() - 1;
    shardState_.resize(static_cast<size_t>(shards_));
    for (int s = 0; s < shards_; ++s) {
        auto& st = shardState_[static_cast<size_t>(s)];
        st.gB.resize(layers);
        for (size_t i = 0; i < layers; ++i) {
            st.gB[i].assign(static_cast<size_t>(widths_[i + 1]), 0.0);
            if (s > 0) st.gW.push_back(torch::zeros({widths_[i + 1], widths_[i]}));
        }
        st.gW0.assign(static_cast<size_t>(widths_[1]), 0.0);
    }
    errors_.resize(static_cast<size_t>(shards_));
    for (int s = 1; s < shards_; ++s) workers_.emplace_back([this, s] { workerLoop(s); });
}

FusedMlpLossGrad::~FusedMlpLossGrad() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    startCv_.notify_all();
    for (auto& t : workers_) t.join();
}

void FusedMlpLossGrad::useDirectBlas(bool on) {
    sgemm_ = on ? reinterpret_cast<SgemmFn>(findSymbol("sgemm_")) : nullptr;
}

void FusedMlpLossGrad::bindParameters() {
    weights_.clear();
    biases_.clear();
    boundPtrs_.clear();
    for (const auto& lin : model_->layers()) {
        for (const auto* t : {&lin->weight, &lin->bias}) {
            if (!t->defined() || t->scalar_type() != torch::kFloat32 || !t->device().is_cpu() ||
                !t->is_contiguous())
                throw ConfigError(
                    {"the fused MLP gradient needs contiguous float32 CPU "
                     "parameters with biases"});
        }
        weights_.push_back(lin->weight);
        biases_.push_back(lin->bias);
        boundPtrs_.push_back(lin->weight.data_ptr());
        boundPtrs_.push_back(lin->bias.data_ptr());
    }
}

void FusedMlpLossGrad::ensureCapacity(Shard& s, std::int64_t rows) {
    if (rows <= s.capacity) return;
    const size_t layers = widths_.size() - 1;
    s.act.clear();
    s.dact.clear();
    for (size_t i = 0; i < layers; ++i) {
        s.act.push_back(torch::empty({rows, widths_[i + 1]}));
        if (i + 1 < layers) s.dact.push_back(torch::empty({rows, widths_[i + 1]}));
    }
    s.capacity = rows;
}

void FusedMlpLossGrad::gemm(bool transA, bool transB, std::int64_t m, std::int64_t n,
                            std::int64_t k, const float* a, std::int64_t lda, const float* b,
                            std::int64_t ldb, float* c, std::int64_t ldc) const {
    // Column-major C[m, n] = op(A) op(B).
    blasGemm(sgemm_, transA, transB, m, n, k, 1.f, a, lda, b, ldb, 0.f, c, ldc);
}

void FusedMlpLossGrad::runShard(int index, const float* x, const float* y, std::int64_t totalRows) {
    Shard& s = shardState_[static_cast<size_t>(index)];
    for (auto& v : s.gB) std::fill(v.begin(), v.end(), 0.0);
    std::fill(s.gW0.begin(), s.gW0.end(), 0.0);
    s.lossSum = 0;
    const std::int64_t rows = s.rows;
    if (rows == 0) return;
    torch::NoGradGuard noGrad;

    const size_t layers = widths_.size() - 1;
    const std::int64_t inW = widths_.front(), outW = widths_.back();
    const float* xs = x + s.row0 * inW;
    const float* ys = y + s.row0 * outW;
    const bool leaky = activation_ != Activation::Tanh;

    // Forward.
    for (size_t i = 0; i < layers; ++i) {
        const std::int64_t in = widths_[i], out = widths_[i + 1];
        const bool hidden = i + 1 < layers;
        const float* h = i == 0 ? xs : s.act[i - 1].data_ptr<float>();
        float* z = s.act[i].data_ptr<float>();
        const float* w = weights_[i].data_ptr<float>();
        const float* b = biases_[i].data_ptr<float>();
        if (i == 0 && in == 1) {
            outerBias(z, h, w, b, rows, out, hidden && leaky, slope_);
        } else {
            gemm(true, false, out, rows, in, w, in, h, in, z, out);  // Z = H W^T
            if (hidden && leaky)
                biasLeaky(z, b, rows, out, slope_);
            else
                biasOnly(z, b, rows, out);
        }
        if (hidden && !leaky) {
            // tanh in place with ATen's vectorised kernel, in chunks below its parallel grain
            // so that it stays on this thread.
            const std::int64_t chunk = std::max<std::int64_t>(1, kTorchGrain / out);
            for (std::int64_t r = 0; r < rows; r += chunk)
                s.act[i].narrow(0, r, std::min(chunk, rows - r)).tanh_();
        }
    }

    // Loss and dLoss/dout (mean over all N * outW elements of the whole batch).
    const float scale = static_cast<float>(2.0 / (static_cast<double>(totalRows) * outW));
    float* dout = s.act[layers - 1].data_ptr<float>();
    s.lossSum = mseGrad(dout, ys, rows * outW, scale);
    columnSums(dout, nullptr, rows, outW, s.gB[layers - 1].data());

    // Backward.
    for (size_t i = layers; i-- > 0;) {
        const std::int64_t in = widths_[i], out = widths_[i + 1];
        const float* dz = (i + 1 == layers ? s.act[i] : s.dact[i]).data_ptr<float>();
        const float* h = i == 0 ? xs : s.act[i - 1].data_ptr<float>();
        if (i == 0 && in == 1) {
            columnSums(dz, h, rows, out, s.gW0.data());
        } else {
            float* gw = index == 0 ? weights_[i].mutable_grad().data_ptr<float>()
                                   : s.gW[i].data_ptr<float>();
            gemm(false, true, in, out, rows, h, in, dz, out, gw, in);  // GW = DZ^T H
        }
        if (i == 0) break;
        float* da = s.dact[i - 1].data_ptr<float>();
        gemm(false, false, in, rows, out, weights_[i].data_ptr<float>(), in, dz, out, da,
             in);  // DH = DZ W
        const float* a = s.act[i - 1].data_ptr<float>();
        if (leaky)
            leakyBackward(da, a, rows * in, slope_);
        else
            tanhBackward(da, a, rows * in);
        columnSums(da, nullptr, rows, in, s.gB[i - 1].data());
    }
}

void FusedMlpLossGrad::workerLoop(int index) {
    std::uint64_t seen = 0;
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            startCv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
            if (stopping_) return;
            seen = generation_;
        }
        try {
            runShard(index, jobX_, jobY_, jobRows_);
        } catch (...) {
            errors_[static_cast<size_t>(index)] = std::current_exception();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (--pending_ == 0) doneCv_.notify_one();
        }
    }
}

std::int64_t FusedMlpLossGrad::checkBatch(const torch::Tensor& xb, const torch::Tensor& yb) const {
    const std::int64_t inW = widths_.front(), outW = widths_.back();
    if (!xb.defined() || !yb.defined() || xb.scalar_type() != torch::kFloat32 ||
        yb.scalar_type() != torch::kFloat32 || !xb.device().is_cpu() || !yb.device().is_cpu())
        throw ConfigError({"the fused MLP gradient needs float32 CPU inputs and targets"});
    const std::int64_t n = xb.dim() >= 1 ? xb.size(0) : 0;
    if (n < 1 || n > std::numeric_limits<int>::max() / std::max<std::int64_t>(1, inW) ||
        xb.numel() != n * inW || yb.numel() != n * outW)
        throw ConfigError({"fused MLP batch: inputs must be [N, " + std::to_string(inW) +
                           "] and targets hold N * " + std::to_string(outW) + " values (N >= 1)"});
    return n;
}

void FusedMlpLossGrad::prepareGradients() {
    // Re-bind when the module's parameter tensors were replaced.
    size_t k = 0;
    bool same = true;
    for (const auto& lin : model_->layers()) {
        same = same && boundPtrs_[k++] == lin->weight.data_ptr();
        same = same && boundPtrs_[k++] == lin->bias.data_ptr();
    }
    if (!same) bindParameters();
    // Gradients: defined, contiguous, same shape; written in place by reduceShards.
    const size_t layers = widths_.size() - 1;
    for (size_t i = 0; i < layers; ++i) {
        for (auto* p : {&weights_[i], &biases_[i]}) {
            auto& g = p->mutable_grad();
            if (!g.defined() || !g.is_contiguous() || g.sizes() != p->sizes() ||
                g.scalar_type() != torch::kFloat32)
                g = torch::zeros_like(*p, torch::MemoryFormat::Contiguous);
        }
    }
}

void FusedMlpLossGrad::runShards(const float* x, const float* y, std::int64_t n) {
    // Split the rows: shard s gets base (+1 for the first `extra` shards) consecutive rows.
    const std::int64_t base = n / shards_, extra = n % shards_;
    std::int64_t row = 0;
    for (int s = 0; s < shards_; ++s) {
        auto& st = shardState_[static_cast<size_t>(s)];
        st.row0 = row;
        st.rows = base + (s < extra ? 1 : 0);
        row += st.rows;
        ensureCapacity(st, st.rows);
        errors_[static_cast<size_t>(s)] = nullptr;
    }
    if (shards_ > 1) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            jobX_ = x;
            jobY_ = y;
            jobRows_ = n;
            pending_ = shards_ - 1;
            ++generation_;
        }
        startCv_.notify_all();
    }
    try {
        runShard(0, x, y, n);
    } catch (...) {
        errors_[0] = std::current_exception();
    }
    if (shards_ > 1) {
        std::unique_lock<std::mutex> lock(mutex_);
        doneCv_.wait(lock, [&] { return pending_ == 0; });
    }
    for (auto& e : errors_)
        if (e) std::rethrow_exception(e);
}

double FusedMlpLossGrad::reduceShards() {
    // Sum the shards in order; the squared norm comes along.
    double loss = 0, sq = 0;
    for (const auto& st : shardState_) loss += st.lossSum;
    const size_t layers = widths_.size() - 1;
    for (size_t i = 0; i < layers; ++i) {
        const std::int64_t out = widths_[i + 1];
        float* gw = weights_[i].mutable_grad().data_ptr<float>();
        const std::int64_t nw = weights_[i].numel();
        if (i == 0 && widths_[0] == 1) {
            for (std::int64_t j = 0; j < out; ++j) {
                double acc = 0;
                for (const auto& st : shardState_) acc += st.gW0[static_cast<size_t>(j)];
                gw[j] = static_cast<float>(acc);
            }
        } else {
            for (int s = 1; s < shards_; ++s) {
                const auto& st = shardState_[static_cast<size_t>(s)];
                if (st.rows == 0) continue;
                const float* part = st.gW[i].data_ptr<float>();
                for (std::int64_t j = 0; j < nw; ++j) gw[j] += part[j];
            }
        }
        for (std::int64_t j = 0; j < nw; ++j) sq += static_cast<double>(gw[j]) * gw[j];
        float* gb = biases_[i].mutable_grad().data_ptr<float>();
        for (std::int64_t j = 0; j < out; ++j) {
            double acc = 0;
            for (const auto& st : shardState_) acc += st.gB[i][static_cast<size_t>(j)];
            gb[j] = static_cast<float>(acc);
            sq += static_cast<double>(gb[j]) * gb[j];
        }
    }
    lastGradNorm_ = std::sqrt(sq);
    return loss;
}

double FusedMlpLossGrad::operator()(const torch::Tensor& xbIn, const torch::Tensor& ybIn) {
    const std::int64_t n = checkBatch(xbIn, ybIn);
    const torch::Tensor xb = xbIn.contiguous(), yb = ybIn.contiguous();
    prepareGradients();
    runShards(xb.data_ptr<float>(), yb.data_ptr<float>(), n);
    return reduceShards() / (static_cast<double>(n) * widths_.back());
}

LossGradFn makeFusedMlpLossGrad(Mlp model, int shards, LossKind loss) {
    auto impl = std::make_shared<FusedMlpLossGrad>(std::move(model), shards, loss);
    return [impl](const torch::Tensor& xb, const torch::Tensor& yb) { return (*impl)(xb, yb); };
}

}  // namespace trainlab
