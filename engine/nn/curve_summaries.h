// Pure summaries of measured curves, used by the image experiments (3-1, 3-3): the barrier and
// the rises of an interpolation's loss curve, how often a value rises along a sorted sweep, the
// epoch at which a training accuracy first passes given levels, and the evenly spaced grids the
// curves are measured on. Plain doubles: no torch, no threads.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace trainlab {

/// n points from `from` to `to` inclusive, evenly spaced ({from} when n == 1).
std::vector<double> evenGrid(double from, double to, int n);
/// t in [−1, 1]: n evenly spaced points ({0} when n == 1).
std::vector<double> symmetricGrid(int n);

/// ys at the x of xs nearest to `x` (the first one on a tie); NaN when ys is empty.
double nearestValue(const std::vector<double>& xs, const std::vector<double>& ys, double x);

/// The loss along θ(α) = (1 − α)·θ₁ + α·θ₂, summarised (3-3 part 1).
struct InterpolationSummary {
    double lossAt0 = NAN, lossAt1 = NAN;  ///< at the α nearest to 0 and to 1
    /// The highest loss strictly between α = 0 and 1, where it was found, and its height above
    /// the higher end; hasBarrier is false when no finite loss lies in (0, 1).
    bool hasBarrier = false;
    double barrierAlpha = 0, barrierLoss = NAN, barrierHeight = NAN;
    /// Loss at the α nearest to −0.25 minus lossAt0, and at 1.25 minus lossAt1: the steeper
    /// side is the sharper solution (may be infinite when the loss overflows).
    double riseBeyond0 = NAN, riseBeyond1 = NAN;
};
/// `alphas` (any order) and the loss at each; both the same length, not empty.
InterpolationSummary summariseInterpolation(const std::vector<double>& alphas,
                                            const std::vector<double>& loss);

/// How many times values[i] > values[i − 1] (NaN never counts as a rise).
int countRises(const std::vector<double>& values);

/// The first epoch at which a training accuracy reaches each level and the fit threshold
/// (3-1's time to fit). 0 while not reached.
class FitMilestones {
  public:
    FitMilestones(std::vector<double> levels, double threshold);
    /// Records an epoch's accuracy; true when it is the first to reach the threshold.
    bool record(int epoch, std::int64_t steps, double accuracy);
    int fitEpoch() const { return fitEpoch_; }
    std::int64_t fitSteps() const { return fitSteps_; }
    const std::vector<double>& levels() const { return levels_; }
    /// First epoch at levels()[i] (0: not reached).
    int levelEpoch(size_t i) const { return levelEpochs_[i]; }

  private:
    std::vector<double> levels_;
    double threshold_;
    std::vector<int> levelEpochs_;
    int fitEpoch_ = 0;
    std::int64_t fitSteps_ = 0;
};

}  // namespace trainlab
