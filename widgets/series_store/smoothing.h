// TensorBoard's smoothing of a plotted series: a debiased exponential moving average, computed
// incrementally so that a live series only smooths the points it gained (plain C++, no Qt).
#pragma once

#include <cstddef>
#include <vector>

#include "series_store.h"

namespace trainlab {

/// The largest smoothing weight offered (as in TensorBoard): at 1 the average would never move.
inline constexpr double kMaxSmoothingWeight = 0.999;

/// `w` limited to [0, kMaxSmoothingWeight]; NaN gives 0 (no smoothing).
double clampSmoothingWeight(double w);

/// The debiased exponential moving average of TensorBoard's scalar charts, point by point:
///   last = last·w + (1−w)·y;  debias = debias·w + (1−w);  smoothed = last / debias
/// starting from last = debias = 0, so debias = 1 − wⁿ after n points and the first points
/// are not pulled towards 0. A non-finite y is returned as it is and leaves the state alone
/// (a gap stays a gap, the average continues behind it). w = 0 returns y unchanged. While
/// every finite y so far equals the first one, that value is returned exactly (TensorBoard
/// does the same for a constant series): a flat line stays flat instead of wobbling by one
/// rounding step. Values are smoothed as they are, also where a log axis shows them: that is
/// what TensorBoard does (an average of values, not of their logarithms).
class EmaSmoother {
  public:
    explicit EmaSmoother(double weight = 0) : w_(clampSmoothingWeight(weight)) {}

    double weight() const { return w_; }
    /// The smoothed value of the next point.
    double next(double y);
    /// Forgets every point: the next one starts a new average.
    void reset();

  private:
    double w_;
    double last_ = 0;
    double debias_ = 0;
    double first_ = 0;      ///< the first finite y
    bool any_ = false;      ///< a finite y was seen
    bool constant_ = true;  ///< every finite y so far equals first_
};

/// The smoothed values of all of `y` at once (same length).
std::vector<double> smoothEma(const std::vector<double>& y, double weight);

/// A series' smoothed points (x and the smoothed y, in a SeriesStore so that they decimate
/// like the raw points) that follows the raw series: follow() smooths only the points added
/// since the last call, so a live series costs O(new points) per update.
///
/// Contract: one thread at a time. After the raw points are replaced (not appended to), call
/// clear() before the next follow().
class SmoothedSeries {
  public:
    explicit SmoothedSeries(double weight = 0) : ema_(weight) {}

    double weight() const { return ema_.weight(); }
    /// A new weight: forgets the smoothed points if it differs from the current one.
    void setWeight(double weight);
    /// Forgets the smoothed points (the raw ones were replaced).
    void clear();
    /// Smooths the raw points (x, y) that are not smoothed yet: those from size() on. Starts
    /// over if the raw series is shorter than the smoothed one (it was replaced).
    void follow(const std::vector<double>& x, const std::vector<double>& y);

    std::size_t size() const { return store_.size(); }
    const SeriesStore& store() const { return store_; }
    SeriesStore& store() { return store_; }  ///< for the decimation's block summaries

  private:
    EmaSmoother ema_;
    SeriesStore store_;
};

}  // namespace trainlab
