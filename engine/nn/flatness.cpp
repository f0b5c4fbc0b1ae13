#include "flatness.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "errors.h"
#include "image_trainer.h"

namespace trainlab {

namespace F = torch::nn::functional;

ModelState captureState(CnnImpl& model) {
    torch::NoGradGuard noGrad;
    ModelState s;
    for (const auto& p : model.parameters()) s.params.push_back(p.detach().clone());
    for (const auto& b : model.named_buffers())
        if (b.key().find("num_batches_tracked") == std::string::npos) {
            s.buffers.push_back(b.value().detach().clone());
            s.isVariance.push_back(b.key().find("running_var") != std::string::npos);
        }
    return s;
}

void loadState(CnnImpl& model, const ModelState& s) {
    torch::NoGradGuard noGrad;
    auto params = model.parameters();
    std::vector<torch::Tensor> buffers;
    for (const auto& b : model.named_buffers())
        if (b.key().find("num_batches_tracked") == std::string::npos) buffers.push_back(b.value());
    if (params.size() != s.params.size() || buffers.size() != s.buffers.size())
        throw Error("model state does not match the model: " + std::to_string(s.params.size()) +
                    " parameters and " + std::to_string(s.buffers.size()) + " buffers for " +
                    std::to_string(params.size()) + " and " + std::to_string(buffers.size()));
    for (size_t i = 0; i < params.size(); ++i) {
        if (!params[i].sizes().equals(s.params[i].sizes()))
            throw Error("model state: parameter " + std::to_string(i) + " has the wrong shape");
        params[i].copy_(s.params[i]);
    }
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(s.buffers[i]);
}

ModelState interpolateStates(const ModelState& a, const ModelState& b, double alpha,
                             bool interpolateBuffers) {
    if (a.params.size() != b.params.size() || a.buffers.size() != b.buffers.size())
        throw Error("cannot interpolate between models of different architectures");
    torch::NoGradGuard noGrad;
    ModelState out;
    for (size_t i = 0; i < a.params.size(); ++i)
        out.params.push_back(a.params[i] * (1 - alpha) + b.params[i] * alpha);
    for (size_t i = 0; i < a.buffers.size(); ++i) {
        auto t = interpolateBuffers ? a.buffers[i] * (1 - alpha) + b.buffers[i] * alpha
                                    : a.buffers[i].clone();
        // Beyond the ends a variance can turn negative, and BatchNorm would return NaN.
        if (i < a.isVariance.size() && a.isVariance[i]) t.clamp_min_(0);
        out.buffers.push_back(t);
    }
    out.isVariance = a.isVariance;
    return out;
}

void reestimateBatchNorm(CnnImpl& model, const ImageTensors& train, const std::vector<float>& mean,
                         const std::vector<float>& std, std::int64_t batches,
                         std::int64_t batchSize, std::uint64_t seed) {
    auto bns = model.batchNorms();
    model.eval();
    if (bns.empty() || batches < 1) return;
    std::vector<c10::optional<double>> momenta;
    for (auto& bn : bns) {
        momenta.push_back(bn->options.momentum());
        bn->reset_running_stats();
        bn->options.momentum(c10::nullopt);  // cumulative average over the batches
        bn->train();
    }
    {
        torch::NoGradGuard noGrad;
        BatchIterator it(train, mean, std, batchSize, true, seed, true);
        it.startEpoch(0);
        torch::Tensor x, y;
        std::int64_t done = 0;
        while (done < batches && it.next(x, y)) {
            model.forward(x);
            ++done;
        }
    }
    for (size_t i = 0; i < bns.size(); ++i) {
        bns[i]->options.momentum(momenta[i]);
        bns[i]->eval();
    }
}

std::vector<torch::Tensor> randomDirection(const ModelState& base, std::uint64_t seed,
                                           bool filterNormalised) {
    torch::NoGradGuard noGrad;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    std::vector<torch::Tensor> d;
    double dirSq = 0, baseSq = 0;
    for (const auto& p : base.params) {
        if (p.dim() <= 1) {
            d.push_back(torch::zeros(p.sizes(), p.options()));
            continue;
        }
        auto r = at::normal(0.0, 1.0, p.sizes(), gen, p.options());
        if (filterNormalised) {
            const auto rows = r.reshape({p.size(0), -1});
            const auto pn = p.reshape({p.size(0), -1}).norm(2, {1}, true);
            const auto rn = rows.norm(2, {1}, true).clamp_min(1e-12);
            r = (rows * (pn / rn)).reshape(p.sizes());
        } else {
            dirSq += r.pow(2).sum().item<double>();
            baseSq += p.pow(2).sum().item<double>();
        }
        d.push_back(r);
    }
    if (!filterNormalised && dirSq > 0) {
        const double scale = std::sqrt(baseSq / dirSq);
        for (auto& t : d) t.mul_(scale);
    }
    return d;
}

ModelState displaceState(const ModelState& base, const std::vector<torch::Tensor>& d1, double t1,
                         const std::vector<torch::Tensor>& d2, double t2) {
    torch::NoGradGuard noGrad;
    ModelState out;
    for (size_t i = 0; i < base.params.size(); ++i) {
        auto p = base.params[i] + d1.at(i) * t1;
        if (!d2.empty()) p = p + d2.at(i) * t2;
        out.params.push_back(p);
    }
    out.buffers = base.buffers;  // shared: displaceState never writes them
    out.isVariance = base.isVariance;
    return out;
}

namespace {

// d(mean cross-entropy over `data`)/d(params) in eval mode, into `grads` (through
// autograd::grad, never .grad()).
void lossGrad(CnnImpl& model, const ImageTensors& data, const std::vector<float>& mean,
              const std::vector<float>& std, std::int64_t batchSize,
              std::vector<torch::Tensor>& grads) {
    model.eval();
    auto params = model.parameters();
    grads.clear();
    for (const auto& p : params) grads.push_back(torch::zeros_like(p));
    BatchIterator it(data, mean, std, batchSize, false, 0);
    torch::Tensor x, y;
    const double n = static_cast<double>(std::max<std::int64_t>(1, data.size()));
    while (it.next(x, y)) {
        const auto loss = F::cross_entropy(model.forward(x), y,
                                           F::CrossEntropyFuncOptions().reduction(torch::kSum));
        const auto g = torch::autograd::grad({loss}, params);
        for (size_t i = 0; i < g.size(); ++i) grads[i].add_(g[i], 1.0 / n);
    }
}

}  // namespace

Sharpness epsilonSharpness(CnnImpl& model, const ImageTensors& data, const std::vector<float>& mean,
                           const std::vector<float>& std, double epsilon, int steps,
                           std::int64_t batchSize) {
    const bool wasTraining = model.is_training();
    const ModelState base = captureState(model);
    Sharpness s;
    s.baseLoss = evaluateClassifier(model, data, mean, std, batchSize).loss;
    s.maxLoss = s.baseLoss;
    std::vector<torch::Tensor> bound, z;
    for (const auto& p : base.params) {
        bound.push_back((p.abs() + 1) * epsilon);
        z.push_back(torch::zeros_like(p));
    }
    std::vector<torch::Tensor> g;
    for (int k = 0; k < std::max(1, steps); ++k) {
        lossGrad(model, data, mean, std, batchSize, g);
        {
            torch::NoGradGuard noGrad;
            auto params = model.parameters();
            for (size_t i = 0; i < params.size(); ++i) {
                // A step of 2ε/steps per coordinate can cross the box in the step budget.
                z[i] = torch::max(
                    torch::min(z[i] + g[i].sign() * bound[i] * (2.0 / std::max(1, steps)),
                               bound[i]),
                    -bound[i]);
                params[i].copy_(base.params[i] + z[i]);
            }
        }
        s.maxLoss = std::max(s.maxLoss, evaluateClassifier(model, data, mean, std, batchSize).loss);
    }
    loadState(model, base);
    model.train(wasTraining);
    s.value = 100 * (s.maxLoss - s.baseLoss) / (1 + s.baseLoss);
    return s;
}

torch::Tensor softmaxJacobianNorms(CnnImpl& model, const torch::Tensor& x) {
    const bool wasTraining = model.is_training();
    model.eval();
    const auto input = x.detach().clone().requires_grad_(true);
    const auto probs = torch::softmax(model.forward(input), 1);
    const std::int64_t k = probs.size(1);
    auto sq = torch::zeros({x.size(0)}, torch::kDouble);
    torch::Tensor sum;  // Σ_c ∂p_c/∂x over the first k − 1 classes, per example
    for (std::int64_t c = 0; c + 1 < k; ++c) {
        // Each example's outputs depend on its own input only (eval mode), so the gradient of
        // the batch sum is every example's gradient of its own output c.
        const auto g = torch::autograd::grad({probs.select(1, c).sum()}, {input}, {},
                                             /*retain_graph=*/c + 2 < k)[0]
                           .reshape({x.size(0), -1})
                           .to(torch::kDouble);
        sq += g.pow(2).sum(1);
        sum = sum.defined() ? sum + g : g;
    }
    // The probabilities sum to 1, so the last class's row is minus the sum of the others:
    // k − 1 backward passes instead of k, exactly.
    if (sum.defined()) sq += sum.pow(2).sum(1);
    model.train(wasTraining);
    return sq.sqrt();
}

double lossInputGradientNorm(CnnImpl& model, const torch::Tensor& x, const torch::Tensor& y) {
    const bool wasTraining = model.is_training();
    model.eval();
    const auto input = x.detach().clone().requires_grad_(true);
    const auto loss = F::cross_entropy(model.forward(input), y);
    const auto g = torch::autograd::grad({loss}, {input})[0];
    model.train(wasTraining);
    return g.to(torch::kDouble).norm().item<double>();
}

double meanSensitivity(CnnImpl& model, const ImageTensors& data, const std::vector<float>& mean,
                       const std::vector<float>& std, std::int64_t count, std::int64_t batchSize,
                       std::uint64_t seed) {
    if (data.size() <= 0) return NAN;
    const ImageTensors subset =
        takeSubset(data, drawSubset(data.labels, classCount(data), count, seed));
    const std::int64_t n = subset.size();
    BatchIterator it(subset, mean, std, std::max<std::int64_t>(1, batchSize), false, 0);
    torch::Tensor x, y;
    double sum = 0;
    while (it.next(x, y)) sum += softmaxJacobianNorms(model, x).sum().item<double>();
    return sum / static_cast<double>(n);
}

}  // namespace trainlab
