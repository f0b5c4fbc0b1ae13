// Issue 14: the cost of the plots' smoothing (widgets/series_store/smoothing.h).
//
//  (a) smoothEma over a whole series: ns per point;
//  (b) a live series growing to --points in chunks of --chunk: SmoothedSeries::follow (only the
//      new points) against smoothing the whole series again at every update, and the ratio;
//  (c) the same stream into a PlotPanel (offscreen, refresh() after each chunk) with smoothing
//      off and at 0.9: total and median refresh time, and the ratio on/off;
//  (d) moving the slider: setSmoothing on a panel with three series of --points points.
//
//   QT_QPA_PLATFORM=offscreen ./build/tests/bench_smoothing [--points N] [--chunk C]
#include <QApplication>
#include <QElapsedTimer>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "plot_panel.h"
#include "series_store.h"
#include "smoothing.h"

using namespace trainlab;

namespace {

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

std::vector<double> lossCurve(std::size_t n) {
    std::vector<double> y(n);
    for (std::size_t i = 0; i < n; ++i)
        y[i] = 2.0 / (1.0 + 0.001 * static_cast<double>(i)) + 0.05 * std::sin(0.37 * i);
    return y;
}

SeriesSpec lineSeries(const std::string& id, int color) {
    SeriesSpec s;
    s.id = id;
    s.panel = "loss";
    s.name = id;
    s.color = color;
    return s;
}

/// (c): milliseconds of every refresh() while the series grows chunk by chunk.
std::vector<double> streamIntoPanel(double weight, const std::vector<double>& x,
                                    const std::vector<double>& y, std::size_t chunk) {
    PanelSpec p;
    p.id = "loss";
    p.logY = true;
    PlotPanel panel(p);
    panel.resize(900, 500);
    panel.addSeries(lineSeries("train", 0));
    panel.setSmoothing(weight);
    std::vector<double> ms;
    QElapsedTimer t;
    for (std::size_t from = 0; from < x.size(); from += chunk) {
        const auto a = static_cast<std::ptrdiff_t>(from);
        const auto b = static_cast<std::ptrdiff_t>(std::min(x.size(), from + chunk));
        t.start();
        panel.appendPoints("train", {x.begin() + a, x.begin() + b}, {y.begin() + a, y.begin() + b});
        panel.refresh();
        ms.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
    }
    return ms;
}

double sum(const std::vector<double>& v) {
    double s = 0;
    for (double e : v) s += e;
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    std::size_t n = 100000;
    std::size_t chunk = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--points")) n = std::strtoul(argv[i + 1], nullptr, 10);
        if (!std::strcmp(argv[i], "--chunk")) chunk = std::strtoul(argv[i + 1], nullptr, 10);
    }
    if (n == 0 || chunk == 0) {
        std::fprintf(stderr, "bench_smoothing: --points and --chunk must be positive\n");
        return 2;
    }
    std::vector<double> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i);
    const std::vector<double> y = lossCurve(n);
    QElapsedTimer t;

    // (a)
    t.start();
    double sink = 0;
    for (int r = 0; r < 10; ++r) sink += smoothEma(y, 0.9).back();
    std::printf("(a) smoothEma, %zu points: %.2f ns/point (checksum %.6g)\n", n,
                static_cast<double>(t.nsecsElapsed()) / (10.0 * n), sink);

    // (b): the raw points grow in a SeriesStore, as in PlotPanel; both ways read it in place
    SmoothedSeries live(0.9);
    SeriesStore raw;
    double incNs = 0;
    double fullNs = 0;
    for (std::size_t m = 0; m < n; m += chunk) {
        const auto a = static_cast<std::ptrdiff_t>(m);
        const auto b = static_cast<std::ptrdiff_t>(std::min(n, m + chunk));
        raw.append({x.begin() + a, x.begin() + b}, {y.begin() + a, y.begin() + b});
        t.start();
        live.follow(raw.x(), raw.y());
        incNs += static_cast<double>(t.nsecsElapsed());
        t.start();
        sink += smoothEma(raw.y(), 0.9).back();
        fullNs += static_cast<double>(t.nsecsElapsed());
    }
    std::printf(
        "(b) %zu updates of %zu points: incremental %.2f ms, re-smoothing all %.1f ms, "
        "ratio %.0fx\n",
        (n + chunk - 1) / chunk, chunk, incNs / 1e6, fullNs / 1e6, fullNs / incNs);

    // (c)
    const std::vector<double> off = streamIntoPanel(0, x, y, chunk);
    const std::vector<double> on = streamIntoPanel(0.9, x, y, chunk);
    std::printf("(c) panel refresh per chunk, off: total %.0f ms, median %.3f ms, max %.1f ms\n",
                sum(off), median(off), *std::max_element(off.begin(), off.end()));
    std::printf(
        "    smoothing 0.9:            total %.0f ms, median %.3f ms, max %.1f ms; "
        "ratio on/off %.2f\n",
        sum(on), median(on), *std::max_element(on.begin(), on.end()), sum(on) / sum(off));

    // (d)
    PanelSpec p;
    p.id = "loss";
    PlotPanel panel(p);
    panel.resize(900, 500);
    for (int k = 0; k < 3; ++k) {
        panel.addSeries(lineSeries("s" + std::to_string(k), k));
        panel.appendPoints("s" + std::to_string(k), x, y);
    }
    panel.refresh();
    std::vector<double> moves;
    for (int step = 1; step <= 20; ++step) {
        t.start();
        panel.setSmoothing(0.5 + 0.02 * step);
        moves.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
    }
    std::printf("(d) slider move, 3 series x %zu points: median %.1f ms, max %.1f ms\n", n,
                median(moves), *std::max_element(moves.begin(), moves.end()));
    return 0;
}
