#include "cnn.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <set>

#include "enum_names.h"
#include "errors.h"

namespace trainlab {

using nlohmann::json;

namespace {

constexpr EnumName<BlockLayer> kLayerNames[] = {{BlockLayer::Conv, "conv"},
                                                 {BlockLayer::Pool, "pool"},
                                                 {BlockLayer::Relu, "relu"},
                                                 {BlockLayer::BatchNorm, "bn"}};

std::string layerName(BlockLayer l) {
    return nameOf(kLayerNames, l);
}

std::vector<BlockLayer> orderConvPoolReluBn() {
    return {BlockLayer::Conv, BlockLayer::Pool, BlockLayer::Relu, BlockLayer::BatchNorm};
}
std::vector<BlockLayer> orderConvBnReluPool() {
    return {BlockLayer::Conv, BlockLayer::BatchNorm, BlockLayer::Relu, BlockLayer::Pool};
}

std::int64_t convOut(std::int64_t size, const ConvBlockSpec& b) {
    return size + 2 * b.padding - b.kernel + 1;
}

// Walks the blocks, reporting each problem; returns the last feature map's shape (zeros when
// the walk could not finish).
FeatureShape walk(const CnnSpec& s, std::vector<std::string>* problems) {
    auto fail = [&](const std::string& m) {
        if (problems) problems->push_back(m);
    };
    FeatureShape f{s.inChannels, s.height, s.width};
    for (size_t i = 0; i < s.blocks.size(); ++i) {
        const auto& b = s.blocks[i];
        const std::string where = "block " + std::to_string(i + 1);
        if (b.channels < 1 || b.channels > 4096) {
            fail(where + ": channels = " + std::to_string(b.channels) + " must be in [1, 4096]");
            return {};
        }
        if (b.kernel < 1 || b.kernel > 15) {
            fail(where + ": kernel = " + std::to_string(b.kernel) + " must be in [1, 15]");
            return {};
        }
        if (b.padding < 0 || b.padding > b.kernel) {
            fail(where + ": padding = " + std::to_string(b.padding) + " must be in [0, kernel]");
            return {};
        }
        if (b.pool < 0 || b.pool > 8) {
            fail(where + ": pool = " + std::to_string(b.pool) + " must be in [0, 8]");
            return {};
        }
        const std::int64_t h = convOut(f.height, b), w = convOut(f.width, b);
        if (h < 1 || w < 1) {
            fail(where + ": a " + std::to_string(b.kernel) + "x" + std::to_string(b.kernel) +
                 " kernel does not fit the " + std::to_string(f.height) + "x" +
                 std::to_string(f.width) + " feature map");
            return {};
        }
        f = {b.channels, h, w};
        if (b.pool > 1) {
            if (f.height < b.pool || f.width < b.pool) {
                fail(where + ": the " + std::to_string(f.height) + "x" + std::to_string(f.width) +
                     " feature map cannot be max-pooled by " + std::to_string(b.pool));
                return {};
            }
            f.height /= b.pool;
            f.width /= b.pool;
        }
    }
    return f;
}

std::int64_t featureCount(const CnnSpec& s, const FeatureShape& f) {
    return s.globalAvgPool ? f.channels : f.channels * f.height * f.width;
}

}  // namespace

std::string blockOrderName(const std::vector<BlockLayer>& order) {
    std::string s;
    for (size_t i = 0; i < order.size(); ++i) s += (i ? "-" : "") + layerName(order[i]);
    return s;
}

std::vector<BlockLayer> blockOrderFromName(const std::string& name) {
    std::vector<BlockLayer> order;
    std::set<std::string> seen;
    size_t start = 0;
    while (start <= name.size()) {
        const size_t dash = name.find('-', start);
        const std::string part =
            name.substr(start, dash == std::string::npos ? std::string::npos : dash - start);
        if (part == "conv")
            order.push_back(BlockLayer::Conv);
        else if (part == "pool")
            order.push_back(BlockLayer::Pool);
        else if (part == "relu")
            order.push_back(BlockLayer::Relu);
        else if (part == "bn")
            order.push_back(BlockLayer::BatchNorm);
        else
            throw ConfigError({"block order '" + name + "': unknown layer '" + part +
                               "' (use conv, pool, relu, bn joined by '-')"});
        if (!seen.insert(part).second)
            throw ConfigError({"block order '" + name + "': '" + part + "' appears twice"});
        if (dash == std::string::npos) break;
        start = dash + 1;
    }
    if (order.size() != 4 || order.front() != BlockLayer::Conv)
        throw ConfigError(
            {"block order '" + name + "': needs conv first, then pool, relu and bn once each"});
    return order;
}

json cnnSpecToJson(const CnnSpec& s) {
    json blocks = json::array();
    for (const auto& b : s.blocks)
        blocks.push_back({{"channels", b.channels},
                          {"kernel", b.kernel},
                          {"padding", b.padding},
                          {"pool", b.pool},
                          {"batch_norm", b.batchNorm},
                          {"order", blockOrderName(b.order)}});
    return {{"name", s.name},
            {"input", {s.inChannels, s.height, s.width}},
            {"blocks", blocks},
            {"global_avg_pool", s.globalAvgPool},
            {"dropout_input", s.dropoutInput},
            {"hidden", s.hidden},
            {"dropout_hidden", s.dropoutHidden},
            {"classes", s.classes},
            {"parameters", cnnParameterCount(s)}};
}

CnnSpec cnnSpecFromJson(const json& j) {
    std::vector<std::string> problems;
    CnnSpec s;
    try {
        s.name = j.value("name", std::string());
        const auto& in = j.at("input");
        if (!in.is_array() || in.size() != 3)
            problems.push_back("'input' must be [channels, height, width]");
        else {
            s.inChannels = in[0].get<std::int64_t>();
            s.height = in[1].get<std::int64_t>();
            s.width = in[2].get<std::int64_t>();
        }
        for (const auto& b : j.at("blocks")) {
            ConvBlockSpec c;
            c.channels = b.at("channels").get<std::int64_t>();
            c.kernel = b.value("kernel", std::int64_t{3});
            c.padding = b.value("padding", std::int64_t{1});
            c.pool = b.value("pool", std::int64_t{2});
            c.batchNorm = b.value("batch_norm", true);
            c.order = blockOrderFromName(b.value("order", std::string("conv-pool-relu-bn")));
            s.blocks.push_back(c);
        }
        s.globalAvgPool = j.value("global_avg_pool", false);
        s.dropoutInput = j.value("dropout_input", 0.0);
        s.hidden = j.value("hidden", std::vector<std::int64_t>{});
        s.dropoutHidden = j.value("dropout_hidden", 0.0);
        s.classes = j.value("classes", std::int64_t{10});
    } catch (const ConfigError& e) {
        for (const auto& p : e.problems()) problems.push_back(p);
    } catch (const json::exception& e) {
        problems.push_back(std::string("CNN spec: ") + e.what());
    }
    if (!problems.empty()) throw ConfigError(problems);
    validateCnnSpec(s, s.name.empty() ? "CNN" : s.name);
    return s;
}

FeatureShape cnnFeatureShape(const CnnSpec& spec) {
    std::vector<std::string> problems;
    const FeatureShape f = walk(spec, &problems);
    if (!problems.empty()) throw ConfigError(problems);
    return f;
}

std::int64_t cnnParameterCount(const CnnSpec& s) {
    std::int64_t n = 0, in = s.inChannels;
    for (const auto& b : s.blocks) {
        n += b.channels * in * b.kernel * b.kernel + b.channels;
        if (b.batchNorm) n += 2 * b.channels;
        in = b.channels;
    }
    std::int64_t features = featureCount(s, walk(s, nullptr));
    for (std::int64_t h : s.hidden) {
        n += features * h + h;
        features = h;
    }
    return n + features * s.classes + s.classes;
}

double cnnForwardMacs(const CnnSpec& s) {
    double macs = 0;
    FeatureShape f{s.inChannels, s.height, s.width};
    for (const auto& b : s.blocks) {
        const std::int64_t h = convOut(f.height, b), w = convOut(f.width, b);
        macs += static_cast<double>(h * w) * static_cast<double>(b.channels) *
                static_cast<double>(f.channels * b.kernel * b.kernel);
        f = {b.channels, b.pool > 1 ? h / b.pool : h, b.pool > 1 ? w / b.pool : w};
    }
    double features = static_cast<double>(featureCount(s, f));
    for (std::int64_t h : s.hidden) {
        macs += features * static_cast<double>(h);
        features = static_cast<double>(h);
    }
    return macs + features * static_cast<double>(s.classes);
}

void validateCnnSpec(const CnnSpec& s, const std::string& where) {
    std::vector<std::string> p;
    auto bad = [&](const std::string& m) { p.push_back(where + ": " + m); };
    if (s.inChannels < 1 || s.inChannels > 64) bad("input channels must be in [1, 64]");
    if (s.height < 1 || s.height > 4096 || s.width < 1 || s.width > 4096)
        bad("input height and width must be in [1, 4096]");
    if (s.blocks.empty() || s.blocks.size() > 16) bad("needs 1 to 16 conv blocks");
    if (!(s.dropoutInput >= 0 && s.dropoutInput < 1))
        bad("dropout_input = " + std::to_string(s.dropoutInput) + " must be in [0, 1)");
    if (!(s.dropoutHidden >= 0 && s.dropoutHidden < 1))
        bad("dropout_hidden = " + std::to_string(s.dropoutHidden) + " must be in [0, 1)");
    if (s.hidden.size() > 8) bad("at most 8 hidden FC layers");
    for (std::int64_t h : s.hidden)
        if (h < 1 || h > 65536) bad("hidden FC width " + std::to_string(h) + " not in [1, 65536]");
    if (s.classes < 2 || s.classes > 100000) bad("classes must be in [2, 100000]");
    if (p.empty()) {
        std::vector<std::string> shape;
        walk(s, &shape);
        for (const auto& m : shape) bad(m);
    }
    if (p.empty()) {
        const std::int64_t n = cnnParameterCount(s);
        if (n > 500000000)
            bad(std::to_string(n) + " parameters is more than the 500 million trainlab allows");
    }
    if (!p.empty()) throw ConfigError(p);
}

CnnSpec cnnModel(int which, std::int64_t c, std::int64_t h, std::int64_t w) {
    CnnSpec s;
    s.inChannels = c;
    s.height = h;
    s.width = w;
    s.name = "Model " + std::to_string(which);
    auto block = [](std::int64_t ch, std::int64_t pool, std::vector<BlockLayer> order) {
        ConvBlockSpec b;
        b.channels = ch;
        b.pool = pool;
        b.order = std::move(order);
        return b;
    };
    switch (which) {
        case 1:
            for (std::int64_t ch : {16, 32, 64})
                s.blocks.push_back(block(ch, 2, orderConvPoolReluBn()));
            s.hidden = {120};
            break;
        case 2:
            for (std::int64_t ch : {32, 64, 128})
                s.blocks.push_back(block(ch, 2, orderConvPoolReluBn()));
            s.hidden = {256};
            break;
        case 3:
            s.blocks = {block(64, 2, orderConvBnReluPool()), block(128, 2, orderConvBnReluPool()),
                        block(256, 0, orderConvBnReluPool()), block(256, 2, orderConvBnReluPool())};
            s.globalAvgPool = true;
            s.dropoutInput = 0.25;
            s.hidden = {512};
            s.dropoutHidden = 0.5;
            break;
        default:
            throw ConfigError({"model " + std::to_string(which) + " does not exist (1, 2 or 3)"});
    }
    return s;
}

CnnSpec cnnNetFamily(int i, std::int64_t c, std::int64_t h, std::int64_t w) {
    if (i < 1 || i > 10)
        throw ConfigError({"Net_" + std::to_string(i) + " does not exist (Net_1 … Net_10)"});
    CnnSpec s = cnnModel(1, c, h, w);
    s.name = "Net_" + std::to_string(i);
    s.blocks[0].channels = 16 * i;
    s.blocks[1].channels = 32 * i;
    s.blocks[2].channels = 64 * i;
    s.hidden = {120 * i};
    return s;
}

CnnImpl::CnnImpl(const CnnSpec& spec, std::uint64_t seed) : spec_(spec) {
    validateCnnSpec(spec, spec.name.empty() ? "CNN" : spec.name);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    torch::NoGradGuard noGrad;
    std::int64_t in = spec.inChannels;
    for (size_t i = 0; i < spec.blocks.size(); ++i) {
        const auto& b = spec.blocks[i];
        auto conv = register_module(
            "conv" + std::to_string(i + 1),
            torch::nn::Conv2d(
                torch::nn::Conv2dOptions(in, b.channels, b.kernel).padding(b.padding)));
        const double bound = 1.0 / std::sqrt(static_cast<double>(in * b.kernel * b.kernel));
        conv->weight.uniform_(-bound, bound, gen);
        conv->bias.uniform_(-bound, bound, gen);
        convs_.push_back(conv);
        if (b.batchNorm)
            bns_.push_back(
                register_module("bn" + std::to_string(i + 1), torch::nn::BatchNorm2d(b.channels)));
        else
            bns_.emplace_back(nullptr);
        in = b.channels;
    }
    std::int64_t features = featureCount(spec, cnnFeatureShape(spec));
    std::vector<std::int64_t> widths = spec.hidden;
    widths.push_back(spec.classes);
    for (size_t i = 0; i < widths.size(); ++i) {
        auto fc =
            register_module("fc" + std::to_string(i + 1), torch::nn::Linear(features, widths[i]));
        const double bound = 1.0 / std::sqrt(static_cast<double>(features));
        fc->weight.uniform_(-bound, bound, gen);
        fc->bias.uniform_(-bound, bound, gen);
        fcs_.push_back(fc);
        features = widths[i];
    }
    dropoutGen_ = at::make_generator<at::CPUGeneratorImpl>(seed ^ 0x9e3779b97f4a7c15ULL);
}

torch::Tensor CnnImpl::dropout(const torch::Tensor& x, double p) {
    if (!is_training() || p <= 0) return x;
    // Inverted dropout, as torch::nn::Dropout, with masks from the model's generator.
    const auto keep =
        torch::empty_like(x, torch::MemoryFormat::Contiguous).bernoulli_(1 - p, dropoutGen_);
    return x * keep / (1 - p);
}

namespace {
torch::Tensor asChannelsLast(const torch::Tensor& x) {
    if (x.dim() != 4 || x.suggest_memory_format() == torch::MemoryFormat::ChannelsLast) return x;
    // empty_like + copy_ rather than contiguous(): for one channel NCHW strides already count
    // as channels-last-contiguous, and oneDNN would then choose the slow NCHW path.
    return torch::empty_like(x, torch::MemoryFormat::ChannelsLast).copy_(x);
}
}  // namespace

void CnnImpl::useChannelsLast(bool on) {
    torch::NoGradGuard noGrad;
    for (auto& conv : convs_)
        conv->weight.set_data(on ? asChannelsLast(conv->weight) : conv->weight.contiguous());
    channelsLast_ = on;
}

torch::Tensor CnnImpl::prepareInput(const torch::Tensor& x) const {
    return channelsLast_ ? asChannelsLast(x) : x.contiguous();
}

torch::Tensor CnnImpl::forward(const torch::Tensor& input) {
    torch::Tensor x = prepareInput(input);
    for (size_t i = 0; i < spec_.blocks.size(); ++i) {
        const auto& b = spec_.blocks[i];
        for (BlockLayer l : b.order) {
            switch (l) {
                case BlockLayer::Conv:
                    x = convs_[i]->forward(x);
                    if (channelsLast_) x = asChannelsLast(x);
                    break;
                case BlockLayer::Pool:
                    if (b.pool > 1) x = torch::max_pool2d(x, {b.pool, b.pool}, {b.pool, b.pool});
                    break;
                case BlockLayer::Relu:
                    x = torch::relu(x);
                    break;
                case BlockLayer::BatchNorm:
                    if (bns_[i]) x = bns_[i]->forward(x);
                    break;
            }
        }
    }
    x = spec_.globalAvgPool ? x.mean({2, 3}) : x.flatten(1);  // NCHW order, as PyTorch
    x = dropout(x, spec_.dropoutInput);
    for (size_t i = 0; i < fcs_.size(); ++i) {
        x = fcs_[i]->forward(x);
        if (i + 1 == fcs_.size()) break;
        x = torch::relu(x);
        x = dropout(x, spec_.dropoutHidden);
    }
    return x;
}

std::int64_t CnnImpl::parameterCount() const {
    std::int64_t n = 0;
    for (const auto& p : parameters()) n += p.numel();
    return n;
}

std::vector<torch::nn::BatchNorm2d> CnnImpl::batchNorms() const {
    std::vector<torch::nn::BatchNorm2d> out;
    for (const auto& b : bns_)
        if (b) out.push_back(b);
    return out;
}

}  // namespace trainlab
