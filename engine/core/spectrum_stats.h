// Pure summaries of 2-3's Hessian spectra (no torch, no Eigen): the minimal ratio with and
// without the near-zero band τ, the median over runs, and the spectrum split by sign for a
// log-scale plot of |λ|.
#pragma once

#include <cstddef>
#include <vector>

namespace trainlab {

struct MinimalRatios {
    double positive = 0;        ///< (#λ > 0) / P
    double aboveTolerance = 0;  ///< (#λ > τ·max|λ|) / P: |λ| ≤ τ·max|λ| counts as zero
    double maxAbs = 0;          ///< max |λ|
};

/// The minimal ratios of `count` eigenvalues (any order). All zero for count = 0; tau is
/// taken as given (the caller checks it is finite and >= 0).
MinimalRatios minimalRatios(const double* eigenvalues, std::size_t count, double tau);

/// The median as 2-3 reports it: element n/2 of the sorted values, i.e. the upper of the two
/// middle values for an even count. NaN for no values.
double median(std::vector<double> values);

/// A spectrum (ascending) split by sign, for |λ| on a log axis: 1-based index and |λ| of the
/// positive eigenvalues, and of the negative ones; zeros belong to neither.
struct SignedSpectrum {
    std::vector<double> positiveIndex, positiveAbs;
    std::vector<double> negativeIndex, negativeAbs;
};
SignedSpectrum splitBySign(const std::vector<double>& eigenvalues);

}  // namespace trainlab
