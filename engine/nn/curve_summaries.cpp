#include "curve_summaries.h"

#include <algorithm>
#include <utility>

namespace trainlab {

std::vector<double> evenGrid(double from, double to, int n) {
    std::vector<double> xs;
    for (int i = 0; i < n; ++i) xs.push_back(n == 1 ? from : from + (to - from) * i / (n - 1));
    return xs;
}

std::vector<double> symmetricGrid(int n) {
    std::vector<double> ts;
    for (int i = 0; i < n; ++i) ts.push_back(n == 1 ? 0 : -1.0 + 2.0 * i / (n - 1));
    return ts;
}

double nearestValue(const std::vector<double>& xs, const std::vector<double>& ys, double x) {
    size_t best = 0;
    for (size_t i = 1; i < xs.size(); ++i)
        if (std::abs(xs[i] - x) < std::abs(xs[best] - x)) best = i;
    return ys.empty() ? NAN : ys[best];
}

InterpolationSummary summariseInterpolation(const std::vector<double>& alphas,
                                            const std::vector<double>& loss) {
    InterpolationSummary s;
    s.lossAt0 = nearestValue(alphas, loss, 0);
    s.lossAt1 = nearestValue(alphas, loss, 1);
    double barrier = -INFINITY, at = 0;
    for (size_t i = 0; i < alphas.size(); ++i)
        if (alphas[i] > 0 && alphas[i] < 1 && loss[i] > barrier) {
            barrier = loss[i];
            at = alphas[i];
        }
    if (std::isfinite(barrier)) {
        s.hasBarrier = true;
        s.barrierAlpha = at;
        s.barrierLoss = barrier;
        s.barrierHeight = barrier - std::max(s.lossAt0, s.lossAt1);
    }
    s.riseBeyond0 = nearestValue(alphas, loss, -0.25) - s.lossAt0;
    s.riseBeyond1 = nearestValue(alphas, loss, 1.25) - s.lossAt1;
    return s;
}

int countRises(const std::vector<double>& values) {
    int rises = 0;
    for (size_t i = 1; i < values.size(); ++i) rises += values[i] > values[i - 1];
    return rises;
}

FitMilestones::FitMilestones(std::vector<double> levels, double threshold)
    : levels_(std::move(levels)), threshold_(threshold), levelEpochs_(levels_.size(), 0) {}

bool FitMilestones::record(int epoch, std::int64_t steps, double accuracy) {
    for (size_t i = 0; i < levels_.size(); ++i)
        if (levelEpochs_[i] == 0 && accuracy >= levels_[i]) levelEpochs_[i] = epoch;
    if (fitEpoch_ != 0 || !(accuracy >= threshold_)) return false;
    fitEpoch_ = epoch;
    fitSteps_ = steps;
    return true;
}

}  // namespace trainlab
