#include "series_store.h"

#include <algorithm>
#include <cmath>

namespace trainlab {

namespace {

constexpr std::uint32_t kNoPoint = std::numeric_limits<std::uint32_t>::max();

/// Keeps the first smallest and the first largest y of each bucket, visited in x order, and
/// hands each finished bucket's two points (in index order, once if they are the same) on.
class BucketExtremes {
  public:
    BucketExtremes(const std::vector<double>& y, std::vector<std::size_t>& out)
        : y_(y), out_(out) {}

    void add(long bucket, std::size_t minI, std::size_t maxI) {
        if (!started_ || bucket != current_) {
            flush();
            started_ = true;
            current_ = bucket;
            min_ = minI;
            max_ = maxI;
            return;
        }
        if (y_[minI] < y_[min_]) min_ = minI;
        if (y_[maxI] > y_[max_]) max_ = maxI;
    }

    void flush() {
        if (!started_) return;
        const std::size_t a = std::min(min_, max_);
        const std::size_t b = std::max(min_, max_);
        out_.push_back(a);
        if (b != a) out_.push_back(b);
    }

  private:
    const std::vector<double>& y_;
    std::vector<std::size_t>& out_;
    // Buckets left of the range are negative: "no bucket yet" is a flag of its own (a -1
    // sentinel merged the left neighbour into it and dropped it).
    bool started_ = false;
    long current_ = 0;
    std::size_t min_ = 0;
    std::size_t max_ = 0;
};

}  // namespace

void SeriesStore::append(const std::vector<double>& x, const std::vector<double>& y) {
    const std::size_t n = std::min(x.size(), y.size());
    const std::size_t from = x_.size();
    x_.insert(x_.end(), x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n));
    y_.insert(y_.end(), y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n));
    noteAppended(from);
}

void SeriesStore::replace(const std::vector<double>& x, const std::vector<double>& y) {
    const std::size_t n = std::min(x.size(), y.size());
    x_.assign(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n));
    y_.assign(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n));
    blocks_.clear();
    monotonic_ = true;
    lastFiniteX_ = -std::numeric_limits<double>::infinity();
    noteAppended(0);
}

void SeriesStore::noteAppended(std::size_t from) {
    for (std::size_t i = from; i < x_.size(); ++i) {
        if (!std::isfinite(x_[i])) continue;
        if (x_[i] < lastFiniteX_) monotonic_ = false;
        lastFiniteX_ = x_[i];
    }
}

bool SeriesStore::shown(std::size_t i, AxisScales scales) const {
    const double x = x_[i];
    const double y = y_[i];
    return std::isfinite(x) && std::isfinite(y) && (!scales.logX || x > 0) &&
           (!scales.logY || y > 0);
}

std::vector<std::size_t> SeriesStore::shownIndices(AxisScales scales) const {
    std::vector<std::size_t> out;
    out.reserve(x_.size());
    for (std::size_t i = 0; i < x_.size(); ++i)
        if (shown(i, scales)) out.push_back(i);
    return out;
}

void SeriesStore::summarise(AxisScales scales) {
    if (x_.size() >= kNoPoint) return;  // indices would not fit: no summaries
    if (!(blockScales_ == scales)) {
        blocks_.clear();
        blockScales_ = scales;
    }
    const std::size_t complete = x_.size() / kBlockPoints;
    for (std::size_t k = blocks_.size(); k < complete; ++k) {
        Block blk{kNoPoint, kNoPoint, kNoPoint, kNoPoint};
        for (std::size_t i = k * kBlockPoints; i < (k + 1) * kBlockPoints; ++i) {
            if (!shown(i, scales)) continue;
            const auto u = static_cast<std::uint32_t>(i);
            if (blk.first == kNoPoint) {
                blk.first = blk.min = blk.max = u;
            } else {
                if (y_[i] < y_[blk.min]) blk.min = u;
                if (y_[i] > y_[blk.max]) blk.max = u;
            }
            blk.last = u;
        }
        blocks_.push_back(blk);
    }
}

bool SeriesStore::shownBounds(AxisScales scales, double* lo, double* hi) {
    summarise(scales);
    const std::size_t n = x_.size();
    const bool useBlocks = n < kNoPoint;
    const std::size_t summarised = useBlocks ? blocks_.size() : 0;
    const std::size_t tail = summarised * kBlockPoints;  // first point after the blocks
    *lo = 0;
    *hi = 0;
    bool any = false;
    for (std::size_t k = 0; k < summarised && !any; ++k)
        if (blocks_[k].first != kNoPoint) {
            *lo = x_[blocks_[k].first];
            any = true;
        }
    for (std::size_t i = tail; i < n && !any; ++i)
        if (shown(i, scales)) {
            *lo = x_[i];
            any = true;
        }
    bool anyHi = false;
    for (std::size_t i = n; i > tail && !anyHi; --i)
        if (shown(i - 1, scales)) {
            *hi = x_[i - 1];
            anyHi = true;
        }
    for (std::size_t k = summarised; k > 0 && !anyHi; --k)
        if (blocks_[k - 1].last != kNoPoint) {
            *hi = x_[blocks_[k - 1].last];
            anyHi = true;
        }
    return any;
}

// Block summaries make this independent of the number of points in the common case: x
// increases, so the shown points of a block whose first and last shown points fall into the
// same bucket all do, and the block's first smallest and first largest point are what
// visiting its points one by one would pick. Blocks that straddle a bucket boundary (at most
// one per boundary) and the partial blocks at the ends are visited point by point.
std::vector<std::size_t> SeriesStore::decimate(AxisScales scales, int buckets,
                                               const XRange* range) {
    const std::size_t n = x_.size();
    std::size_t i0 = 0;
    std::size_t i1 = n;
    double lo = 0;
    double hi = 0;
    if (range) {
        summarise(scales);
        lo = range->lo;
        hi = range->hi;
        i0 = static_cast<std::size_t>(std::lower_bound(x_.begin(), x_.end(), lo) - x_.begin());
        i1 = static_cast<std::size_t>(std::upper_bound(x_.begin(), x_.end(), hi) - x_.begin());
        if (i0 > 0) --i0;
        if (i1 < n) ++i1;
    } else {
        shownBounds(scales, &lo, &hi);
    }
    const bool useBlocks = n < kNoPoint;
    const auto t = [&](double v) { return scales.logX ? std::log10(v) : v; };
    const double tLo = t(lo);
    const double span = t(hi) - tLo;
    const auto bucketOf = [&](std::size_t i) -> long {
        if (!(span > 0 && std::isfinite(span))) return 0;
        const double f = (t(x_[i]) - tLo) / span;
        return static_cast<long>(std::floor(std::clamp(f, -1.0, 2.0) * buckets));
    };

    std::vector<std::size_t> out;
    out.reserve(2 * static_cast<std::size_t>(std::max(buckets, 0)) + 4);
    BucketExtremes extremes(y_, out);
    std::size_t i = i0;
    while (i < i1) {
        if (useBlocks && i % kBlockPoints == 0 && i + kBlockPoints <= i1) {
            const Block& blk = blocks_[i / kBlockPoints];
            const std::size_t end = i + kBlockPoints;
            const long bucket = blk.first == kNoPoint ? -1 : bucketOf(blk.first);
            if (blk.first == kNoPoint || bucket == bucketOf(blk.last)) {
                if (blk.first != kNoPoint) extremes.add(bucket, blk.min, blk.max);
                i = end;
                continue;
            }
            for (; i < end; ++i)
                if (shown(i, scales)) extremes.add(bucketOf(i), i, i);
            continue;
        }
        if (shown(i, scales)) extremes.add(bucketOf(i), i, i);
        ++i;
    }
    extremes.flush();
    return out;
}

}  // namespace trainlab
