#include "series_data.h"

#include <cmath>

namespace trainlab {

namespace {

/// Strictly increasing and finite; "" or what is wrong with the `name` coordinates.
std::string axisFault(const std::vector<double>& v, const char* name) {
    for (size_t i = 0; i < v.size(); ++i) {
        if (!std::isfinite(v[i]))
            return std::string(name) + "[" + std::to_string(i) + "] is not finite";
        if (i > 0 && !(v[i] > v[i - 1]))
            return std::string(name) + " are not strictly increasing at index " + std::to_string(i);
    }
    return {};
}

}  // namespace

std::string gridFault(const Grid& g) {
    if (g.xs.empty() != g.ys.empty())
        return "a grid needs both x and y values (has " + std::to_string(g.xs.size()) + " x and " +
               std::to_string(g.ys.size()) + " y)";
    if (std::string f = axisFault(g.xs, "x values"); !f.empty()) return f;
    if (std::string f = axisFault(g.ys, "y values"); !f.empty()) return f;
    const size_t cells = g.xs.size() * g.ys.size();
    if (g.z.size() != cells)
        return "z has " + std::to_string(g.z.size()) + " values; " + std::to_string(g.xs.size()) +
               " x times " + std::to_string(g.ys.size()) + " y need " + std::to_string(cells);
    return {};
}

}  // namespace trainlab
