// Convolutional classifiers built from a declarative spec: the three CNNs of 1-2 and the
// Net_1..Net_10 family of 3-2, for any input shape (3x32x32 CIFAR-10, 1x28x28 MNIST).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace trainlab {

/// The layers of one conv block, in the order they are applied.
enum class BlockLayer { Conv, Pool, Relu, BatchNorm };

/// One conv block: a conv (kernel, padding, stride 1), an optional BatchNorm, a ReLU and an
/// optional max pool, in `order` ("conv-pool-relu-bn" for 1-2's Models 1-2 and 3-2's nets,
/// "conv-bn-relu-pool" for Model 3).
struct ConvBlockSpec {
    std::int64_t channels = 16;
    std::int64_t kernel = 3;
    std::int64_t padding = 1;
    std::int64_t pool = 2;  ///< max-pool window and stride; 0 or 1: no pool
    bool batchNorm = true;
    std::vector<BlockLayer> order{BlockLayer::Conv, BlockLayer::Pool, BlockLayer::Relu,
                                  BlockLayer::BatchNorm};
};

std::string blockOrderName(const std::vector<BlockLayer>& order);  ///< "conv-pool-relu-bn"
/// Parses "conv-pool-relu-bn" (each of conv, pool, relu, bn once; conv first). Throws
/// ConfigError.
std::vector<BlockLayer> blockOrderFromName(const std::string& name);

struct CnnSpec {
    std::string name;  ///< "Model 1", "Net_3"
    std::int64_t inChannels = 3, height = 32, width = 32;
    std::vector<ConvBlockSpec> blocks;
    bool globalAvgPool = false;        ///< after the blocks; otherwise flatten
    double dropoutInput = 0;           ///< dropout on the flattened features, before the first FC
    std::vector<std::int64_t> hidden;  ///< FC widths, each followed by ReLU
    double dropoutHidden = 0;          ///< dropout after each hidden FC's ReLU
    std::int64_t classes = 10;
};

nlohmann::json cnnSpecToJson(const CnnSpec& spec);
/// Throws ConfigError naming each bad field.
CnnSpec cnnSpecFromJson(const nlohmann::json& j);

/// Spatial size after the blocks ({channels, height, width} of the last feature map).
struct FeatureShape {
    std::int64_t channels = 0, height = 0, width = 0;
};
/// Throws ConfigError when a block would shrink the map below 1x1.
FeatureShape cnnFeatureShape(const CnnSpec& spec);

/// Exact number of trainable parameters (BatchNorm's affine weights counted, its running
/// statistics not), computed from the spec without building the model.
std::int64_t cnnParameterCount(const CnnSpec& spec);

/// Throws ConfigError naming each problem (empty blocks, channels < 1, a map pooled below 1x1,
/// dropout outside [0, 1), more than 500 million parameters…).
void validateCnnSpec(const CnnSpec& spec, const std::string& where);

/// 1-2's Model 1..3 (science.md) for the given input shape.
CnnSpec cnnModel(int which, std::int64_t inChannels, std::int64_t height, std::int64_t width);
/// 3-2's Net_i, i = 1..10: channels 16i, 32i, 64i as Model 1, FC 120i.
CnnSpec cnnNetFamily(int i, std::int64_t inChannels, std::int64_t height, std::int64_t width);

class CnnImpl : public torch::nn::Module {
  public:
    /// Parameters are initialised like PyTorch's defaults (kaiming-uniform with a = sqrt(5)
    /// for conv and linear weights, U(±1/sqrt(fan_in)) for biases, BatchNorm weight 1 and
    /// bias 0) from a private generator seeded with `seed`, so models built in parallel
    /// threads are reproducible.
    CnnImpl(const CnnSpec& spec, std::uint64_t seed);
    /// x: [N, C, H, W] float32 → logits [N, classes].
    torch::Tensor forward(const torch::Tensor& x);

    /// Stores conv weights (and expects inputs) in channels-last layout: the same numbers,
    /// about 1.5x faster convolution and pooling with oneDNN on CPU (docs/benchmarks.md).
    void useChannelsLast(bool on = true);
    bool channelsLast() const { return channelsLast_; }
    /// Converts an input batch to the layout the model expects (a no-op when it already is).
    torch::Tensor prepareInput(const torch::Tensor& x) const;

    const CnnSpec& spec() const { return spec_; }
    std::int64_t parameterCount() const;
    /// The BatchNorm layers, in order (tests inspect their running statistics).
    std::vector<torch::nn::BatchNorm2d> batchNorms() const;

  private:
    CnnSpec spec_;
    std::vector<torch::nn::Conv2d> convs_;
    std::vector<torch::nn::BatchNorm2d> bns_;  ///< one per block, undefined when absent
    std::vector<torch::nn::Linear> fcs_;
    /// Draws the dropout masks: the model's own generator, so that models trained
    /// concurrently give the same numbers as one after another.
    at::Generator dropoutGen_;
    bool channelsLast_ = false;
    torch::Tensor dropout(const torch::Tensor& x, double p);
};
TORCH_MODULE(Cnn);

/// Forward multiply-accumulate count of one image (convs and FCs), for FLOP/s figures.
double cnnForwardMacs(const CnnSpec& spec);

}  // namespace trainlab
