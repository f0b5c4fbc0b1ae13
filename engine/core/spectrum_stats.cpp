#include "spectrum_stats.h"

#include <algorithm>
#include <cmath>

namespace trainlab {

MinimalRatios minimalRatios(const double* eigenvalues, std::size_t count, double tau) {
    MinimalRatios r;
    if (count == 0) return r;
    for (std::size_t i = 0; i < count; ++i) r.maxAbs = std::max(r.maxAbs, std::abs(eigenvalues[i]));
    const double threshold = tau * r.maxAbs;
    std::size_t positive = 0, aboveTolerance = 0;
    for (std::size_t i = 0; i < count; ++i) {
        positive += eigenvalues[i] > 0;
        aboveTolerance += eigenvalues[i] > threshold;
    }
    const double n = static_cast<double>(count);
    r.positive = static_cast<double>(positive) / n;
    r.aboveTolerance = static_cast<double>(aboveTolerance) / n;
    return r;
}

double median(std::vector<double> values) {
    if (values.empty()) return NAN;
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

SignedSpectrum splitBySign(const std::vector<double>& eigenvalues) {
    SignedSpectrum s;
    for (std::size_t i = 0; i < eigenvalues.size(); ++i) {
        const double index = static_cast<double>(i + 1);
        if (eigenvalues[i] > 0) {
            s.positiveIndex.push_back(index);
            s.positiveAbs.push_back(eigenvalues[i]);
        } else if (eigenvalues[i] < 0) {
            s.negativeIndex.push_back(index);
            s.negativeAbs.push_back(-eigenvalues[i]);
        }
    }
    return s;
}

}  // namespace trainlab
