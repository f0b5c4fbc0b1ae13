// Multi-layer perceptrons built from a declarative spec.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace trainlab {

enum class Activation { LeakyReLU, ReLU, Tanh };

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
