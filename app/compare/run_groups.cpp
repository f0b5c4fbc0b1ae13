#include "run_groups.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <numeric>

#include "csv.h"

namespace trainlab {

std::optional<std::string> settingValueOf(const Settings& s, const std::string& key) {
    for (const auto& [k, v] : s)
        if (k == key) return v;
    return std::nullopt;
}

std::vector<std::string> differingKeys(const std::vector<Settings>& runs) {
    std::vector<std::string> keys;
    for (const Settings& s : runs)
        for (const auto& kv : s)
            if (std::find(keys.begin(), keys.end(), kv.first) == keys.end())
                keys.push_back(kv.first);
    std::vector<std::string> out;
    for (const std::string& key : keys) {
        const auto first = settingValueOf(runs.front(), key);
        const bool differs = std::any_of(runs.begin(), runs.end(), [&](const Settings& s) {
            return settingValueOf(s, key) != first;
        });
        if (differs) out.push_back(key);
    }
    // The seed names the repetition, not the variant: last, where the eye expects it.
    std::stable_partition(out.begin(), out.end(), [](const std::string& k) { return k != "seed"; });
    return out;
}

std::string settingsLegend(const Settings& s, const std::vector<std::string>& keys) {
    std::string out;
    for (const std::string& key : keys)
        if (const auto v = settingValueOf(s, key))
            out += (out.empty() ? "" : " \u00b7 ") + key + "=" + *v;
    return out;
}

std::vector<RunGroup> groupRuns(const std::vector<Settings>& runs,
                                const std::vector<std::string>& keys) {
    std::vector<RunGroup> groups;
    std::map<std::vector<std::string>, std::size_t> at;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        std::vector<std::string> values;
        Settings named;
        for (const std::string& key : keys) {
            values.push_back(settingValueOf(runs[i], key).value_or(""));
            named.emplace_back(key, values.back());
        }
        auto [it, fresh] = at.try_emplace(values, groups.size());
        if (fresh) {
            RunGroup g;
            g.values = named;
            g.label = keys.empty() ? "all runs" : settingsLegend(named, keys);
            groups.push_back(std::move(g));
        }
        groups[it->second].members.push_back(i);
    }
    return groups;
}

std::string bandModeName(BandMode mode) {
    switch (mode) {
        case BandMode::MeanStd: return "mean \u00b1 std";
        case BandMode::Individual: return "individual seeds";
        case BandMode::MinMax: return "min\u2013max";
        case BandMode::MedianIqr: return "median + IQR";
    }
    return "?";
}

double quantileSorted(const std::vector<double>& sorted, double p) {
    const double h = (static_cast<double>(sorted.size()) - 1) * std::clamp(p, 0.0, 1.0);
    const auto lo = static_cast<std::size_t>(std::floor(h));
    if (lo + 1 >= sorted.size()) return sorted.back();
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

std::pair<double, double> meanStd(const std::vector<double>& values) {
    const double n = static_cast<double>(values.size());
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
    if (values.size() < 2) return {mean, 0.0};
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    return {mean, std::sqrt(ss / (n - 1))};
}

namespace {

/// A member's finite points by increasing x, one y per x (the last given).
struct Clean {
    std::vector<double> x, y;
};

Clean cleaned(const Series& s) {
    const std::size_t n = std::min(s.x.size(), s.y.size());
    std::vector<std::size_t> order;
    order.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) order.push_back(i);
    const bool sorted = std::is_sorted(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return s.x[a] < s.x[b];
    });
    if (!sorted)
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return s.x[a] < s.x[b]; });
    Clean c;
    c.x.reserve(order.size());
    c.y.reserve(order.size());
    for (std::size_t i : order) {
        if (!c.x.empty() && c.x.back() == s.x[i]) {
            c.y.back() = s.y[i];
            continue;
        }
        c.x.push_back(s.x[i]);
        c.y.push_back(s.y[i]);
    }
    return c;
}

/// Fills the centre and band of one x from the members' values there (reordered in place).
void aggregateAt(std::vector<double>& values, BandMode mode, Band& band) {
    const auto [mean, sd] = meanStd(values);
    switch (mode) {
        case BandMode::MinMax: {
            const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
            band.centre.push_back(mean);
            band.lower.push_back(*lo);
            band.upper.push_back(*hi);
            break;
        }
        case BandMode::MedianIqr:
            std::sort(values.begin(), values.end());
            band.centre.push_back(quantileSorted(values, 0.5));
            band.lower.push_back(quantileSorted(values, 0.25));
            band.upper.push_back(quantileSorted(values, 0.75));
            break;
        default:
            band.centre.push_back(mean);
            band.lower.push_back(mean - sd);
            band.upper.push_back(mean + sd);
    }
    band.count.push_back(static_cast<int>(values.size()));
}

}  // namespace

Band aggregateSeries(const std::vector<const Series*>& members, BandMode mode) {
    std::vector<Clean> clean;
    std::vector<double> xs, merged;
    for (const Series* s : members) {
        if (!s) continue;
        clean.push_back(cleaned(*s));
        const std::vector<double>& x = clean.back().x;
        if (x == xs) continue;  // the usual case: members logged at the same steps
        // Both sorted and unique: their union in linear time.
        merged.clear();
        std::set_union(xs.begin(), xs.end(), x.begin(), x.end(), std::back_inserter(merged));
        xs.swap(merged);
    }
    Band band;
    std::vector<std::size_t> cursor(clean.size(), 0);  // members' xs are walked once, in step
    std::vector<double> values;
    for (double x : xs) {
        values.clear();
        for (std::size_t m = 0; m < clean.size(); ++m) {
            const Clean& c = clean[m];
            if (c.x.empty() || x < c.x.front() || x > c.x.back()) continue;
            std::size_t& j = cursor[m];
            while (j + 1 < c.x.size() && c.x[j + 1] <= x) ++j;
            if (c.x[j] == x) {
                values.push_back(c.y[j]);
            } else {
                const double t = (x - c.x[j]) / (c.x[j + 1] - c.x[j]);
                values.push_back(c.y[j] + t * (c.y[j + 1] - c.y[j]));
            }
        }
        if (values.empty()) continue;
        band.x.push_back(x);
        aggregateAt(values, mode, band);
    }
    return band;
}

bool spansDecades(const std::vector<double>& xs, double decades) {
    if (xs.empty()) return false;
    const auto [lo, hi] = std::minmax_element(xs.begin(), xs.end());
    return *lo > 0 && std::isfinite(*hi) && *hi / *lo >= std::pow(10.0, decades) * (1 - 1e-12);
}

namespace {

/// Each run's x for the summary: its number, or the index of its text among the values met.
std::vector<double> summaryXs(const std::vector<Settings>& runs, const std::string& xKey,
                              Summary& summary, std::vector<std::string>& texts) {
    texts.clear();
    for (const Settings& s : runs) texts.push_back(settingValueOf(s, xKey).value_or(""));
    std::vector<double> xs(runs.size(), 0.0);
    for (std::size_t i = 0; i < runs.size() && summary.numericX; ++i)
        summary.numericX = parseCsvNumber(texts[i].data(), texts[i].data() + texts[i].size(), xs[i]);
    if (summary.numericX) return xs;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        auto it = std::find(summary.categories.begin(), summary.categories.end(), texts[i]);
        if (it == summary.categories.end())
            it = summary.categories.insert(summary.categories.end(), texts[i]);
        xs[i] = static_cast<double>(it - summary.categories.begin());
    }
    return xs;
}

}  // namespace

Summary summarise(const std::vector<Settings>& runs, const std::vector<std::optional<double>>& values,
                  const std::string& xKey, const std::vector<std::string>& lineKeys) {
    Summary summary;
    std::vector<std::string> keys;
    for (const std::string& k : lineKeys)
        if (k != xKey) keys.push_back(k);
    std::vector<std::string> texts;
    const std::vector<double> xs = summaryXs(runs, xKey, summary, texts);
    for (const RunGroup& g : groupRuns(runs, keys)) {
        std::map<double, std::pair<std::string, std::vector<double>>> byX;
        for (std::size_t i : g.members) {
            if (i >= values.size() || !values[i] || !std::isfinite(*values[i])) continue;
            auto& slot = byX[xs[i]];
            slot.first = texts[i];
            slot.second.push_back(*values[i]);
        }
        SummaryLine line;
        line.label = g.label;
        for (const auto& [x, slot] : byX) {
            const auto [mean, sd] = meanStd(slot.second);
            line.points.push_back({x, slot.first, mean, sd, static_cast<int>(slot.second.size())});
        }
        if (!line.points.empty()) summary.lines.push_back(std::move(line));
    }
    summary.logX = summary.numericX && spansDecades(xs);
    return summary;
}

}  // namespace trainlab
