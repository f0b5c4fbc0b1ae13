#include "trainer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <thread>

#include "errors.h"
#include "mlp.h"
#include "text_format.h"

namespace trainlab {

std::string stopKindName(StopKind k) {
    return nameOf(kStopKindNames, k, "none");
}

StopKind stopKindFromName(const std::string& n) {
    return parseName(kStopKindNames, n, "stop rule");
}

std::string optimizerName(OptimizerKind k) {
    return nameOf(kOptimizerNames, k);
}

OptimizerKind optimizerFromName(const std::string& n) {
    return parseName(kOptimizerNames, n, "optimizer");
}

void validateTrainConfig(const TrainConfig& c) {
    std::vector<std::string> p;
    if (!(c.lr > 0 && c.lr <= kLearningRateMax))
        p.push_back("learning rate " + std::to_string(c.lr) + " must be in (0, " +
                    formatSignificant(kLearningRateMax, 6) + "]");
    if (!(c.momentum >= 0 && c.momentum < 1)) p.push_back("momentum must be in [0, 1)");
    if (c.maxSteps < 1 || c.maxSteps > 100'000'000)
        p.push_back("max steps " + std::to_string(c.maxSteps) + " must be in [1, 100,000,000]");
    if (c.batchSize < 0) p.push_back("batch size must be >= 0 (0 = full batch)");
    if (c.stop.kind == StopKind::Plateau && !(c.stop.tolerance > 0))
        p.push_back("plateau tolerance must be > 0");
    if (c.stop.kind == StopKind::Patience &&
        (c.stop.patience < 1 || !(c.stop.minDelta >= 0 && c.stop.minDelta < 1)))
        p.push_back("patience must be >= 1 and its relative min delta in [0, 1)");
    if (c.stop.kind == StopKind::Target && !(c.stop.target >= 0))
        p.push_back("loss target must be >= 0");
    if (!p.empty()) throw ConfigError(p);
}

LossGradFn autogradLossGrad(std::function<torch::Tensor(const torch::Tensor&)> forward,
                            LossKind lossKind) {
    return [forward = std::move(forward), lossKind](const torch::Tensor& xb,
                                                    const torch::Tensor& yb) {
        const auto out = forward(xb);
        const auto loss = lossKind == LossKind::MSE ? torch::mse_loss(out, yb)
                                                    : torch::nn::functional::cross_entropy(out, yb);
        loss.backward();
        return loss.item<double>();
    };
}

TrainResult trainModel(torch::nn::Module& module,
                       const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                       const torch::Tensor& x, const torch::Tensor& y, const TrainConfig& c,
                       TrainObserver* observer, const RunControl* control,
                       const std::string& name) {
    module.train();
    return trainLoop(module.parameters(), autogradLossGrad(forward, c.loss), x, y, c, observer,
                     control, name);
}

namespace {

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const std::vector<torch::Tensor>& params,
                                                       const TrainConfig& c) {
    if (c.optimizer == OptimizerKind::SGD)
        return std::make_unique<torch::optim::SGD>(
            params, torch::optim::SGDOptions(c.lr).momentum(c.momentum));
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(c.lr).betas({c.beta1, c.beta2}).eps(c.eps));
}

/// Waits while paused; true when the run is cancelled.
bool cancelledAfterPause(const RunControl* control) {
    if (!control) return false;
    while (control->pause.load(std::memory_order_relaxed) &&
           !control->cancel.load(std::memory_order_relaxed))
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return control->cancel.load(std::memory_order_relaxed);
}

/// The stop rule's memory across steps.
class StopState {
  public:
    explicit StopState(const StopRule& rule) : rule_(rule) {}
    /// After step `step` with loss `loss`: the stop reason, or "" to go on.
    const char* check(std::int64_t step, double loss, bool targetReached) {
        const char* reason = "";
        switch (rule_.kind) {
            case StopKind::None:
                break;
            case StopKind::Plateau:
                if (std::isfinite(prevLoss_) && std::abs(loss - prevLoss_) < rule_.tolerance)
                    reason = "plateau";
                break;
            case StopKind::Patience:
                if (loss < patienceBest_ * (1.0 - rule_.minDelta)) {
                    patienceBest_ = loss;
                    bestStep_ = step;
                } else if (step - bestStep_ >= rule_.patience) {
                    reason = "patience";
                }
                break;
            case StopKind::Target:
                if (targetReached) reason = "target";
                break;
        }
        prevLoss_ = loss;
        return reason;
    }

  private:
    const StopRule& rule_;
    double prevLoss_ = NAN;
    std::int64_t bestStep_ = 0;
    double patienceBest_ = INFINITY;
};

}  // namespace

TrainResult trainLoop(const std::vector<torch::Tensor>& params, const LossGradFn& lossGrad,
                      const torch::Tensor& x, const torch::Tensor& y, const TrainConfig& c,
                      TrainObserver* observer, const RunControl* control, const std::string& name) {
    validateTrainConfig(c);
    const auto t0 = std::chrono::steady_clock::now();
    const auto opt = makeOptimizer(params, c);
    const std::int64_t n = x.size(0);
    const bool fullBatch = c.batchSize <= 0 || c.batchSize >= n;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(c.seed);
    torch::Tensor order;
    std::int64_t cursor = n;
    TrainResult result;
    result.bestLoss = INFINITY;
    StopState stopState(c.stop);

    for (std::int64_t step = 1; step <= c.maxSteps; ++step) {
        if (cancelledAfterPause(control)) {
            result.cancelled = true;
            result.stopReason = "cancelled";
            break;
        }
        torch::Tensor xb = x, yb = y;
        if (!fullBatch) {
            if (cursor + c.batchSize > n) {
                order = torch::randperm(n, gen, torch::kLong);
                cursor = 0;
            }
            const auto idx = order.narrow(0, cursor, c.batchSize);
            cursor += c.batchSize;
            xb = x.index_select(0, idx);
            yb = y.index_select(0, idx);
        }
        opt->zero_grad();
        const double lossValue = lossGrad(xb, yb);
        const double gnorm = gradientNorm(params);
        if (!std::isfinite(lossValue) || !std::isfinite(gnorm) || lossValue > c.divergenceLimit)
            throw DivergenceError(name, step, lossValue, gnorm);
        // A reached target stops before the update, so the parameters returned are the ones
        // that reached it (an Adam step near a minimum can move away again).
        const bool targetReached = c.stop.kind == StopKind::Target && lossValue <= c.stop.target;
        if (!targetReached) opt->step();

        result.steps = step;
        result.finalLoss = lossValue;
        if (observer) observer->onStep({step, lossValue, gnorm, opt.get()});
        const char* stop = stopState.check(step, lossValue, targetReached);
        result.bestLoss = std::min(result.bestLoss, lossValue);
        if (*stop) {
            result.stopReason = stop;
            break;
        }
    }
    if (result.stopReason.empty()) result.stopReason = "max_steps";
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return result;
}

}  // namespace trainlab
