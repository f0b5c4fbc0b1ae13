// Panels, series and data shared by the widget tests: a loss panel with a spike at kSpikeAt, a
// trajectory panel, a loss-landscape panel and grid. Header-only; for tests/widgets/tst_*.cpp.
#pragma once

#include <qcustomplot.h>

#include <cmath>
#include <string>

#include "plot_layout.h"
#include "series_data.h"

namespace trainlab::testing {

inline constexpr std::size_t kPoints = 100000;
inline constexpr std::size_t kSpikeAt = 54321;
inline constexpr double kSpike = 250.0;

inline PanelSpec lossPanel() {
    PanelSpec p;
    p.id = "loss";
    p.title = "Training loss";
    p.xLabel = "Step";
    p.yLabel = "Loss (MSE)";
    p.logY = true;
    return p;
}

inline SeriesSpec series(const std::string& id, const std::string& panel, int color,
                         bool dashed) {
    SeriesSpec s;
    s.id = id;
    s.panel = panel;
    s.name = id + " name";
    s.xName = "step";
    s.yName = "loss";
    s.color = color;
    s.dashed = dashed;
    return s;
}

inline double trainLoss(std::size_t i) {
    if (i == kSpikeAt) return kSpike;
    return 2.0 / (1.0 + 0.001 * static_cast<double>(i)) +
           1e-3 * std::sin(0.37 * static_cast<double>(i));
}

inline SeriesSpec trajectory(const std::string& id, const std::string& panel, int color) {
    SeriesSpec s;
    s.id = id;
    s.panel = panel;
    s.name = id + " name";
    s.xName = "PC 1";
    s.yName = "PC 2";
    s.color = color;
    s.mode = SeriesMode::Replace;
    s.style = SeriesStyle::Trajectory;
    return s;
}

inline PanelSpec pcaPanel() {
    PanelSpec p;
    p.id = "pca";
    p.title = "Weight trajectories (PCA)";
    p.xLabel = "PC 1";
    p.yLabel = "PC 2";
    return p;
}

inline QCPGraph* graphNamed(QCustomPlot* plot, const QString& name) {
    for (int i = 0; i < plot->graphCount(); ++i)
        if (plot->graph(i)->name() == name) return plot->graph(i);
    return nullptr;
}

inline PanelSpec landscapePanel() {
    PanelSpec p;
    p.id = "landscape";
    p.title = "Loss landscape";
    p.xLabel = "α (direction 1)";
    p.yLabel = "β (direction 2)";
    p.y2Label = "loss";
    return p;
}

inline SeriesSpec heatmap(const std::string& id, const std::string& panel) {
    SeriesSpec s;
    s.id = id;
    s.panel = panel;
    s.name = "loss landscape";
    s.xName = "α";
    s.yName = "β";
    s.mode = SeriesMode::Replace;
    s.style = SeriesStyle::Heatmap;
    return s;
}

/// nx × ny cells over [-1, 1] × [-2, 2] of a bowl, z[iy * nx + ix].
inline Grid bowl(std::size_t nx, std::size_t ny) {
    Grid g;
    for (std::size_t i = 0; i < nx; ++i) g.xs.push_back(-1 + 2.0 * i / (nx - 1));
    for (std::size_t i = 0; i < ny; ++i) g.ys.push_back(-2 + 4.0 * i / (ny - 1));
    for (double y : g.ys)
        for (double x : g.xs) g.z.push_back(0.1 + x * x + 0.25 * y * y + 0.3 * std::sin(3 * x * y));
    return g;
}

}  // namespace trainlab::testing
