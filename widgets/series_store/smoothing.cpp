#include "smoothing.h"

#include <algorithm>
#include <cmath>

namespace trainlab {

double clampSmoothingWeight(double w) {
    if (std::isnan(w)) return 0;
    return std::clamp(w, 0.0, kMaxSmoothingWeight);
}

double EmaSmoother::next(double y) {
    if (!std::isfinite(y)) return y;  // a gap: passed through, the average waits behind it
    last_ = last_ * w_ + (1 - w_) * y;
    debias_ = debias_ * w_ + (1 - w_);
    if (!any_) {
        any_ = true;
        first_ = y;
    } else if (constant_ && y != first_) {
        constant_ = false;
    }
    return constant_ ? y : last_ / debias_;
}

void EmaSmoother::reset() {
    last_ = 0;
    debias_ = 0;
    first_ = 0;
    any_ = false;
    constant_ = true;
}

std::vector<double> smoothEma(const std::vector<double>& y, double weight) {
    EmaSmoother ema(weight);
    std::vector<double> out;
    out.reserve(y.size());
    for (double v : y) out.push_back(ema.next(v));
    return out;
}

void SmoothedSeries::setWeight(double weight) {
    const double w = clampSmoothingWeight(weight);
    if (w == ema_.weight()) return;
    ema_ = EmaSmoother(w);
    store_.replace({}, {});
}

void SmoothedSeries::clear() {
    ema_.reset();
    store_.replace({}, {});
}

void SmoothedSeries::follow(const std::vector<double>& x, const std::vector<double>& y) {
    const std::size_t n = std::min(x.size(), y.size());
    if (n < store_.size()) clear();
    const std::size_t from = store_.size();
    if (n == from) return;
    std::vector<double> sx(x.begin() + static_cast<std::ptrdiff_t>(from),
                           x.begin() + static_cast<std::ptrdiff_t>(n));
    std::vector<double> sy;
    sy.reserve(n - from);
    for (std::size_t i = from; i < n; ++i) sy.push_back(ema_.next(y[i]));
    store_.append(sx, sy);
}

}  // namespace trainlab
