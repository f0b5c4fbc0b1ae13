// Multi-layer perceptrons built from a declarative spec.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "enum_names.h"

namespace trainlab {

enum class Activation { LeakyReLU, ReLU, Tanh };

inline constexpr EnumName<Activation> kActivationNames[] = {
    {Activation::LeakyReLU, "leaky_relu"}, {Activation::ReLU, "relu"}, {Activation::Tanh, "tanh"}};

std::string activationName(Activation a);
Activation activationFromName(const std::string& name);  ///< throws ConfigError

/// widths = {in, hidden..., out}; a Linear layer between consecutive widths, the activation
/// after every layer but the last (linear output).
struct MlpSpec {
    std::vector<std::int64_t> widths;
    Activation activation = Activation::LeakyReLU;
    double negativeSlope = 0.2;  ///< LeakyReLU only
};

/// Exact number of parameters: sum over layers of in*out + out.
std::int64_t mlpParameterCount(const MlpSpec& spec);

/// Units of all layers, input and output included: the sum of the widths.
std::int64_t mlpUnitCount(const std::vector<std::int64_t>& widths);

/// Bytes of float32 activations that one full-batch pass over `points` inputs keeps, forward
/// and backward: points · units · 4 bytes · 3 (activation, its gradient, the pre-activation).
double mlpActivationBytes(const std::vector<std::int64_t>& widths, std::int64_t points);

/// Throws ConfigError naming each problem (fewer than 2 widths, a width < 1, too many weights).
void validateMlpSpec(const MlpSpec& spec, const std::string& where);

class MlpImpl : public torch::nn::Module {
  public:
    /// Parameters are initialised like PyTorch's nn.Linear (U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    /// for weights and biases) from a private generator seeded with `seed`, so models built in
    /// parallel threads are reproducible.
    MlpImpl(const MlpSpec& spec, std::uint64_t seed);
    /// x: [N, widths.front()] float32 → [N, widths.back()].
    torch::Tensor forward(const torch::Tensor& x);

    const MlpSpec& spec() const { return spec_; }
    const std::vector<torch::nn::Linear>& layers() const { return layers_; }
    std::int64_t parameterCount() const;

  private:
    MlpSpec spec_;
    std::vector<torch::nn::Linear> layers_;
};
TORCH_MODULE(Mlp);

/// Total L2 norm of the gradients of `params`: sqrt(sum over parameters of sum(grad^2)).
/// Parameters without a gradient contribute nothing.
double gradientNorm(const std::vector<torch::Tensor>& params);

}  // namespace trainlab
