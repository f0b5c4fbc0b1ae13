// Synthetic 1-D regression data of the deep-vs-shallow and gradient experiments.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "enum_names.h"

namespace trainlab {

enum class TargetFunction {
    SinPlusCos,  ///< f1(x) = sin(x) + cos(x)
    Sinc,        ///< f2(x) = sin(5πx)/(5πx), 1 at x = 0
    TwoCosh,     ///< f(x) = exp(x) + exp(-x)
};

inline constexpr EnumName<TargetFunction> kTargetFunctionNames[] = {
    {TargetFunction::SinPlusCos, "sin_cos"},
    {TargetFunction::Sinc, "sinc"},
    {TargetFunction::TwoCosh, "two_cosh"}};

std::string targetFunctionName(TargetFunction f);           ///< "sin_cos", "sinc", "two_cosh"
TargetFunction targetFunctionFromName(const std::string&);  ///< throws ConfigError
std::string targetFunctionFormula(TargetFunction f);        ///< "sin(x) + cos(x)" ...

/// How the inputs are laid out: `linspace` includes both ends (count points); `arange` is
/// [from, to) with `step` (the point count follows).
struct GridSpec {
    double from = -1;
    double to = 1;
    std::int64_t count = 0;  ///< linspace when > 0
    double step = 0;         ///< arange when count == 0
};

std::int64_t gridPointCount(const GridSpec& g);  ///< throws ConfigError on a bad grid
torch::Tensor makeGrid(const GridSpec& g);       ///< [N, 1] float32
torch::Tensor evaluateTarget(TargetFunction f, const torch::Tensor& x);  ///< same shape as x

/// Training points and a held-out validation grid, both [N, 1] float32.
struct FunctionDataset {
    TargetFunction function;
    torch::Tensor x, y;
    torch::Tensor xVal, yVal;
    /// Standardisation applied (identity when disabled): x' = (x - xMean)/xStd, likewise y.
    double xMean = 0, xStd = 1, yMean = 0, yStd = 1;
};

/// With `normalise`, inputs and targets are standardised with the training set's mean and
/// standard deviation (the 2·cosh targets reach 148, which makes plain SGD unstable).
FunctionDataset makeFunctionDataset(TargetFunction f, const GridSpec& train, const GridSpec& val,
                                    bool normalise);

}  // namespace trainlab
