// A fused, allocation-free forward/backward for Mlp with MSE loss (no autograd), optionally
// sharding the batch rows across a small persistent pool of worker threads.
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "mlp.h"
#include "trainer.h"

namespace trainlab {

/// A LossGradFn (see trainer.h) for an Mlp with MSE loss that computes the loss and writes
/// exact gradients into every parameter's .grad() without autograd. `shards` worker threads
/// split the batch rows (1 = on the calling thread; shard 0 always runs on the calling
/// thread, shards 1.. on persistent worker threads owned by this object). Per-shard
/// gradients are summed in shard order, so for a given `shards` the result is
/// bit-for-bit reproducible. Result equals autograd's up to float rounding.
/// Supports LeakyReLU, ReLU, Tanh. Throws ConfigError for a non-MSE loss.
///
/// Requirements: xb [N, widths.front()] and yb with N * widths.back() elements, float32,
/// CPU. The parameters are read through their storage, so the optimizer must update them in
/// place (every torch optimizer does); a module whose parameter tensors are replaced (e.g.
/// moved to another device or dtype) is detected and re-bound on the next call.
/// Each shard runs single-threaded BLAS when torch's intra-op threads are 1 and OpenBLAS is
/// limited to one thread (see setBlasThreads); with more BLAS threads the shards oversubscribe.
/// Not re-entrant: one call at a time per object.
class FusedMlpLossGrad {
  public:
    FusedMlpLossGrad(Mlp model, int shards, LossKind loss = LossKind::MSE);
    ~FusedMlpLossGrad();
    FusedMlpLossGrad(const FusedMlpLossGrad&) = delete;
    FusedMlpLossGrad& operator=(const FusedMlpLossGrad&) = delete;

    /// Loss (mean squared error over all elements) of the batch; gradients left in .grad().
    double operator()(const torch::Tensor& xb, const torch::Tensor& yb);

    /// sqrt(sum of squared gradients) of the last call, computed while the shards' gradients
    /// were summed (equals gradientNorm(model->parameters()) up to float rounding).
    double fusedGradNorm() const { return lastGradNorm_; }
    int shards() const { return shards_; }

    /// True when OpenBLAS's sgemm_ was found in the process and is called directly (skipping
    /// the ATen dispatcher); otherwise at::mm_out is used. `useDirectBlas(false)` forces
    /// at::mm_out (for benchmarks).
    bool directBlas() const { return sgemm_ != nullptr; }
    void useDirectBlas(bool on);

  private:
    using SgemmFn = void (*)(const char*, const char*, const int*, const int*, const int*,
                             const float*, const float*, const int*, const float*, const int*,
                             const float*, float*, const int*);
    struct Shard {
        std::int64_t row0 = 0, rows = 0, capacity = 0;
        std::vector<torch::Tensor>
            act;  ///< [cap, w_{i+1}] per layer: post-activation (last: output, then dLoss/dout)
        std::vector<torch::Tensor> dact;      ///< [cap, w_{i+1}] per hidden layer: dLoss/dz
        std::vector<torch::Tensor> gW;        ///< weight gradients (shards > 0 only)
        std::vector<std::vector<double>> gB;  ///< bias gradient accumulators per layer
        std::vector<double> gW0;              ///< first-layer weight gradient when widths[0] == 1
        double lossSum = 0;
    };

    void bindParameters();
    void ensureCapacity(Shard& s, std::int64_t rows);
    /// The batch size N of a valid batch; throws ConfigError otherwise.
    std::int64_t checkBatch(const torch::Tensor& xb, const torch::Tensor& yb) const;
    /// Re-binds replaced parameter tensors and makes every .grad() a contiguous float32 tensor.
    void prepareGradients();
    /// Splits the N rows over the shards and runs them (shard 0 on this thread).
    void runShards(const float* x, const float* y, std::int64_t n);
    /// Sums the shards' gradients into .grad() (in shard order) and returns the summed loss.
    double reduceShards();
    void runShard(int index, const float* x, const float* y, std::int64_t totalRows);
    void gemm(bool transA, bool transB, std::int64_t m, std::int64_t n, std::int64_t k,
              const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float* c,
              std::int64_t ldc) const;
    void workerLoop(int index);

    Mlp model_;
    int shards_;
    std::vector<std::int64_t> widths_;
    Activation activation_;
    float slope_;
    std::vector<torch::Tensor> weights_, biases_;  ///< the module's parameters
    std::vector<const void*> boundPtrs_;
    std::vector<Shard> shardState_;
    SgemmFn sgemm_ = nullptr;
    double lastGradNorm_ = 0;

    // Worker pool (shards_ - 1 threads).
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable startCv_, doneCv_;
    std::uint64_t generation_ = 0;
    int pending_ = 0;
    bool stopping_ = false;
    const float* jobX_ = nullptr;
    const float* jobY_ = nullptr;
    std::int64_t jobRows_ = 0;
    std::vector<std::exception_ptr> errors_;
};

/// Wraps a shared_ptr<FusedMlpLossGrad> in a LossGradFn.
LossGradFn makeFusedMlpLossGrad(Mlp model, int shards, LossKind loss = LossKind::MSE);

/// The shard count worth using for `rows` batch rows of `spec` on this machine: 2 (or more, up
/// to the hardware threads and `maxShards`) when a step has enough work to pay for waking
/// worker threads (rows x parameters >= 1e6, measured break-even on a 2-core machine: the
/// 1-1 f1 models and the 2-2 net gain 1.4-2x, the 301-point f2 models lose ~40%), else 1.
int suggestedShards(const MlpSpec& spec, std::int64_t rows, int maxShards = 2);

/// Sets OpenBLAS's (process-wide) thread count when OpenBLAS is the BLAS in use; returns the
/// previous count, or -1 when OpenBLAS was not found. torch::set_num_threads does not reach
/// OpenBLAS in libtorch 1.13, and its default (one thread per core) slows these small
/// matrices and oversubscribes concurrent trainings.
int setBlasThreads(int threads);

}  // namespace trainlab
