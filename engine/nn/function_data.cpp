#include "function_data.h"

#include <cmath>

#include "errors.h"

namespace trainlab {

std::string targetFunctionName(TargetFunction f) {
    return nameOf(kTargetFunctionNames, f);
}

TargetFunction targetFunctionFromName(const std::string& n) {
    return parseName(kTargetFunctionNames, n, "function");
}

namespace {

constexpr EnumName<TargetFunction> kTargetFunctionFormulas[] = {
    {TargetFunction::SinPlusCos, "sin(x) + cos(x)"},
    {TargetFunction::Sinc, "sin(5πx) / (5πx)"},
    {TargetFunction::TwoCosh, "exp(x) + exp(−x)"}};

}  // namespace

std::string targetFunctionFormula(TargetFunction f) {
    return nameOf(kTargetFunctionFormulas, f);
}

std::int64_t gridPointCount(const GridSpec& g) {
    constexpr std::int64_t kMaxPoints = 50'000'000;
    std::vector<std::string> problems;
    if (!std::isfinite(g.from) || !std::isfinite(g.to) || !(g.from < g.to))
        problems.push_back("grid: 'from' must be below 'to' (found " + std::to_string(g.from) +
                           ", " + std::to_string(g.to) + ")");
    std::int64_t n = 0;
    if (g.count > 0) {
        n = g.count;
    } else if (g.step > 0 && problems.empty()) {
        const double steps = std::ceil((g.to - g.from) / g.step - 1e-9);
        n = steps > static_cast<double>(kMaxPoints) ? kMaxPoints + 1
                                                    : static_cast<std::int64_t>(steps);
    } else if (problems.empty()) {
        problems.push_back("grid: needs a point count > 0 or a step > 0");
    }
    if (problems.empty() && (n < 2 || n > kMaxPoints))
        problems.push_back("grid: " + std::to_string(n) + " points is outside [2, 50,000,000]");
    if (!problems.empty()) throw ConfigError(problems);
    return n;
}

torch::Tensor makeGrid(const GridSpec& g) {
    const std::int64_t n = gridPointCount(g);
    torch::Tensor x;
    if (g.count > 0) {
        x = torch::linspace(g.from, g.to, n, torch::kFloat64);
    } else {
        // Computed as from + i*step in double, like numpy.arange, then rounded to float32.
        x = g.from + torch::arange(n, torch::kFloat64) * g.step;
    }
    return x.to(torch::kFloat32).unsqueeze(1);
}

torch::Tensor evaluateTarget(TargetFunction f, const torch::Tensor& x) {
    const auto xd = x.to(torch::kFloat64);
    torch::Tensor y;
    switch (f) {
        case TargetFunction::SinPlusCos:
            y = torch::sin(xd) + torch::cos(xd);
            break;
        case TargetFunction::Sinc: {
            const auto t = xd * (5.0 * M_PI);
            y = torch::where(t.abs() < 1e-12, torch::ones_like(t), torch::sin(t) / t);
            break;
        }
        case TargetFunction::TwoCosh:
            y = torch::exp(xd) + torch::exp(-xd);
            break;
    }
    return y.to(torch::kFloat32);
}

FunctionDataset makeFunctionDataset(TargetFunction f, const GridSpec& train, const GridSpec& val,
                                    bool normalise) {
    FunctionDataset d;
    d.function = f;
    d.x = makeGrid(train);
    d.y = evaluateTarget(f, d.x);
    d.xVal = makeGrid(val);
    d.yVal = evaluateTarget(f, d.xVal);
    if (normalise) {
        d.xMean = d.x.mean().item<double>();
        d.xStd = d.x.std().item<double>();
        d.yMean = d.y.mean().item<double>();
        d.yStd = d.y.std().item<double>();
        if (!(d.xStd > 0)) d.xStd = 1;
        if (!(d.yStd > 0)) d.yStd = 1;
        d.x = (d.x - d.xMean) / d.xStd;
        d.xVal = (d.xVal - d.xMean) / d.xStd;
        d.y = (d.y - d.yMean) / d.yStd;
        d.yVal = (d.yVal - d.yMean) / d.yStd;
    }
    return d;
}

}  // namespace trainlab
