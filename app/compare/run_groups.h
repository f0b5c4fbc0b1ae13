// Many runs as groups: the settings that tell them apart (legend text), runs grouped by chosen
// settings, a group's series aggregated over its members on a common x (mean ± std, min–max,
// median + IQR), and result scalars summarised against a setting. Plain C++ (no Qt): the
// compare window draws what these compute.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "series_data.h"

namespace trainlab {

/// A run's settings, key → value as text ("lr" → "0.01"), in a stable order.
using Settings = std::vector<std::pair<std::string, std::string>>;

/// The value of `key` in `s`, or nullopt when `s` has no such key.
std::optional<std::string> settingValueOf(const Settings& s, const std::string& key);

/// The keys whose values are not the same in every run (a key missing from some runs counts
/// as differing), in the order first met, with "seed" last.
std::vector<std::string> differingKeys(const std::vector<Settings>& runs);

/// "lr=0.01 · seed=3": the values of `keys` in `s`, in the order of `keys` (keys `s` does not
/// have are left out). Empty when `keys` is.
std::string settingsLegend(const Settings& s, const std::vector<std::string>& keys);

/// Runs that share the values of a set of keys.
struct RunGroup {
    Settings values;                   ///< the group's value of each key, in the keys' order
    std::string label;                 ///< settingsLegend of `values`; "all runs" without keys
    std::vector<std::size_t> members;  ///< indices into the runs, increasing
};

/// Groups the runs by the values of `keys` (a missing key is its own value, ""), groups in the
/// order of their first member. No keys: one group of every run.
std::vector<RunGroup> groupRuns(const std::vector<Settings>& runs,
                                const std::vector<std::string>& keys);

/// How a group's members are drawn.
enum class BandMode {
    MeanStd,     ///< centre: mean; band: mean ± sample standard deviation (n − 1; 0 for n = 1)
    Individual,  ///< every member as its own line; no band
    MinMax,      ///< centre: mean; band: the smallest to the largest member
    MedianIqr,   ///< centre: median; band: first to third quartile (quantile(), type 7)
};
/// "mean ± std", "individual seeds", "min–max", "median + IQR".
std::string bandModeName(BandMode mode);

/// A group's aggregate of one series, on the common x.
struct Band {
    std::vector<double> x;
    std::vector<double> centre;
    std::vector<double> lower;
    std::vector<double> upper;
    std::vector<int> count;  ///< members that have a value at x
};

/// The `p`-quantile (0 ≤ p ≤ 1) of `sorted` (increasing, not empty) by linear interpolation
/// between order statistics (Hyndman & Fan's type 7, numpy's and R's default): with
/// h = (n − 1)·p, q = v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋]). Median: p = 0.5; IQR: 0.25…0.75.
double quantileSorted(const std::vector<double>& sorted, double p);

/// Mean and sample standard deviation (n − 1; 0 when n = 1) of `values` (not empty).
std::pair<double, double> meanStd(const std::vector<double>& values);

/// Aggregates `members` on a common x: the sorted union of their xs. At each x, a member
/// contributes its own y where it has a point there, a linear interpolation between its two
/// neighbouring points where x lies inside its x range, and nothing outside its range (no
/// extrapolation). Points with a non-finite x or y are left out; repeated xs of one member keep
/// the last y. An x where no member contributes is left out. `mode` Individual gives the
/// mean ± std figures as MeanStd does (the caller draws the members).
Band aggregateSeries(const std::vector<const Series*>& members, BandMode mode);

/// One point of a summary line: a setting's value against a result's mean over runs.
struct SummaryPoint {
    double x = 0;       ///< the setting's value, or its category index when not numeric
    std::string xText;  ///< the value as written
    double mean = 0;
    double std = 0;     ///< sample standard deviation over the runs (0 for one run)
    int n = 0;
};

struct SummaryLine {
    std::string label;  ///< settingsLegend of the line's keys ("all runs" without any)
    std::vector<SummaryPoint> points;  ///< by increasing x
};

struct Summary {
    std::vector<SummaryLine> lines;
    bool numericX = true;  ///< false: x is the index of each value in order first met
    std::vector<std::string> categories;  ///< the values in x order, when not numeric
    bool logX = false;     ///< numeric, positive, and spanning at least two decades
};

/// A result scalar against setting `xKey`: one line per combination of `lineKeys` (xKey left
/// out of them), one point per value of `xKey` with the mean and standard deviation of
/// `values` over the runs that share both (runs without a value are left out).
Summary summarise(const std::vector<Settings>& runs, const std::vector<std::optional<double>>& values,
                  const std::string& xKey, const std::vector<std::string>& lineKeys);

/// Whether positive `xs` span at least `decades` powers of ten (max / min ≥ 10^decades).
bool spansDecades(const std::vector<double>& xs, double decades = 2);

}  // namespace trainlab
