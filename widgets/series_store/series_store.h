// The points of one plotted series and their min/max decimation for display (plain C++, no Qt).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace trainlab {

/// Which points a display can show: finite x and y, and positive values on a log axis.
struct AxisScales {
    bool logX = false;
    bool logY = false;
    bool operator==(const AxisScales& o) const { return logX == o.logX && logY == o.logY; }
};

/// A closed range of x values.
struct XRange {
    double lo = 0;
    double hi = 0;
};

/// Every point given to one series (x and y in parallel), whether x ever goes back, and the
/// block summaries that make the min/max decimation of a long series cheap to redo.
///
/// Contract: one thread at a time (the GUI thread in PlotPanel). Nothing is ever dropped:
/// decimation only chooses which stored points a display draws.
class SeriesStore {
  public:
    /// Appends min(x.size(), y.size()) points.
    void append(const std::vector<double>& x, const std::vector<double>& y);
    /// Replaces every point with the first min(x.size(), y.size()) of x and y.
    void replace(const std::vector<double>& x, const std::vector<double>& y);

    std::size_t size() const { return x_.size(); }
    bool empty() const { return x_.empty(); }
    const std::vector<double>& x() const { return x_; }
    const std::vector<double>& y() const { return y_; }
    /// No finite x is smaller than a finite x before it (NaNs aside). Searches by x and the
    /// decimation need it.
    bool monotonic() const { return monotonic_; }

    /// Whether point i can be shown on axes of these scales.
    bool shown(std::size_t i, AxisScales scales) const;
    /// The indices of the points that can be shown, in order.
    std::vector<std::size_t> shownIndices(AxisScales scales) const;

    /// The x of the first and of the last shown point in *lo and *hi; false, and both 0, when
    /// no point can be shown. Uses (and extends) the block summaries.
    bool shownBounds(AxisScales scales, double* lo, double* hi);

    /// Min/max decimation of a monotonic series for a display `buckets` wide: the x range
    /// [lo, hi] (the shown bounds when `range` is null, else *range widened by one point on
    /// each side so that lines run on to the edges) is cut into `buckets` equal parts (in
    /// log10(x) on a log x axis), and each part that holds shown points keeps the first
    /// point with its smallest y and the first with its largest y, in x order. Points outside
    /// the range fall into the buckets beyond its ends (clamped to one range's width).
    /// Returns indices into x()/y(). Spikes survive: every bucket's extremes are kept.
    std::vector<std::size_t> decimate(AxisScales scales, int buckets,
                                      const XRange* range = nullptr);

    /// Complete blocks of the decimation's summaries (for tests; grows at decimate()).
    std::size_t summarisedBlocks() const { return blocks_.size(); }
    static constexpr std::size_t kBlockPoints = 16;  ///< points per block summary

  private:
    /// Summary of kBlockPoints consecutive points: its first and last shown point, the first
    /// shown point with the smallest and with the largest y (kNoPoint: none shown).
    struct Block {
        std::uint32_t first;
        std::uint32_t last;
        std::uint32_t min;
        std::uint32_t max;
    };
    void noteAppended(std::size_t from);
    void summarise(AxisScales scales);

    std::vector<double> x_;
    std::vector<double> y_;
    bool monotonic_ = true;
    double lastFiniteX_ = -std::numeric_limits<double>::infinity();
    /// Summaries of the complete blocks, for the scales they were made for. A complete block
    /// never changes; they are dropped when the points are replaced or the scales change.
    std::vector<Block> blocks_;
    AxisScales blockScales_;
};

}  // namespace trainlab
