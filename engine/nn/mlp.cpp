#include "mlp.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "errors.h"

namespace trainlab {

std::string activationName(Activation a) {
    return nameOf(kActivationNames, a);
}

Activation activationFromName(const std::string& n) {
    return parseName(kActivationNames, n, "activation");
}

std::int64_t mlpParameterCount(const MlpSpec& s) {
    std::int64_t n = 0;
    for (size_t i = 0; i + 1 < s.widths.size(); ++i)
        n += s.widths[i] * s.widths[i + 1] + s.widths[i + 1];
    return n;
}

std::int64_t mlpUnitCount(const std::vector<std::int64_t>& widths) {
    std::int64_t units = 0;
    for (const auto w : widths) units += w;
    return units;
}

double mlpActivationBytes(const std::vector<std::int64_t>& widths, std::int64_t points) {
    return static_cast<double>(points) * mlpUnitCount(widths) * 4 * 3;
}

void validateMlpSpec(const MlpSpec& s, const std::string& where) {
    std::vector<std::string> problems;
    if (s.widths.size() < 2)
        problems.push_back(where + ": needs at least an input and an output width");
    for (size_t i = 0; i < s.widths.size(); ++i)
        if (s.widths[i] < 1 || s.widths[i] > 100000)
            problems.push_back(where + ": width " + std::to_string(i) + " = " +
                               std::to_string(s.widths[i]) + " must be in [1, 100000]");
    if (problems.empty() && mlpParameterCount(s) > 200'000'000)
        problems.push_back(where + ": " + std::to_string(mlpParameterCount(s)) +
                           " parameters is more than the 200,000,000 allowed");
    if (!(s.negativeSlope >= 0 && s.negativeSlope <= 1))
        problems.push_back(where + ": LeakyReLU slope must be in [0, 1]");
    if (!problems.empty()) throw ConfigError(problems);
}

MlpImpl::MlpImpl(const MlpSpec& spec, std::uint64_t seed) : spec_(spec) {
    validateMlpSpec(spec, "model");
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i + 1 < spec.widths.size(); ++i) {
        auto lin = register_module("fc" + std::to_string(i),
                                   torch::nn::Linear(spec.widths[i], spec.widths[i + 1]));
        const double bound = 1.0 / std::sqrt(static_cast<double>(spec.widths[i]));
        lin->weight.uniform_(-bound, bound, gen);
        lin->bias.uniform_(-bound, bound, gen);
        layers_.push_back(lin);
    }
}

torch::Tensor MlpImpl::forward(const torch::Tensor& input) {
    torch::Tensor h = input;
    for (size_t i = 0; i < layers_.size(); ++i) {
        h = layers_[i]->forward(h);
        if (i + 1 == layers_.size()) break;
        switch (spec_.activation) {
            case Activation::LeakyReLU:
                h = torch::leaky_relu(h, spec_.negativeSlope);
                break;
            case Activation::ReLU:
                h = torch::relu(h);
                break;
            case Activation::Tanh:
                h = torch::tanh(h);
                break;
        }
    }
    return h;
}

std::int64_t MlpImpl::parameterCount() const {
    std::int64_t n = 0;
    for (const auto& p : parameters()) n += p.numel();
    return n;
}

double gradientNorm(const std::vector<torch::Tensor>& params) {
    double sum = 0;
    for (const auto& p : params) {
        const auto& g = p.grad();
        if (!g.defined()) continue;
        sum += g.pow(2).sum().item<double>();
    }
    return std::sqrt(sum);
}

}  // namespace trainlab
