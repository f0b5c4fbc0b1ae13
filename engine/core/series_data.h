// The numbers of a plot: a series of (x, y) points and a 2-D grid of values. Plain data types,
// shared by the run files (csv.h), the experiments and the plot widgets.
#pragma once

#include <string>
#include <vector>

namespace trainlab {

/// One numeric series: parallel x and y arrays.
struct Series {
    std::vector<double> x;
    std::vector<double> y;
};

/// Values on a 2-D grid (a SeriesStyle::Heatmap series): nx strictly increasing cell centres
/// `xs`, ny strictly increasing `ys` and nx·ny values `z`, row-major by y:
/// z[iy * xs.size() + ix] is the value at (xs[ix], ys[iy]). z may hold NaN or ±inf (gaps).
/// An empty grid (no xs, no ys, no z) is valid: nothing to draw.
struct Grid {
    std::vector<double> xs;
    std::vector<double> ys;
    std::vector<double> z;
};

/// What is wrong with `g` ("z has 8 values; 3 x times 3 y need 9"), or "" if it is consistent:
/// xs and ys finite and strictly increasing, both empty or both non-empty, z of nx·ny values.
std::string gridFault(const Grid& g);

}  // namespace trainlab
