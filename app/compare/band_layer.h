// The bands of a compare window's panel: for each group, a filled area between its lower and
// upper curve in the group's colour (translucent), drawn on a layer under the panel's lines so
// that the centre line (a series of the PlotPanel) stays on top. Uses the panel's QCustomPlot
// (PlotPanel::plot()) without touching the PlotPanel's own series.
#pragma once

#include <QColor>
#include <QPointer>
#include <string>
#include <vector>

#include "run_groups.h"

#include <qcustomplot.h>

namespace trainlab {

class BandLayer {
  public:
    /// Bands on `plot`, on a layer "compare_bands" under "main" (created once per plot).
    /// `logY`: the value axis is logarithmic, where a band reaching zero or below is drawn down
    /// to a hundredth of its centre instead (a log axis has no zero).
    BandLayer(QCustomPlot* plot, bool logY);
    ~BandLayer();
    BandLayer(const BandLayer&) = delete;
    BandLayer& operator=(const BandLayer&) = delete;

    /// Sets band `key` (created on first use; one per group and series) to the lower and upper
    /// curves of `band`, filled in `color` at alpha 60. Bands of more than kMaxBandPoints points
    /// are drawn as the envelope of buckets of points (the lowest lower and highest upper of
    /// each bucket): the area covers every point's band.
    void setBand(const std::string& key, const Band& band, const QColor& color);
    /// Removes every band from the plot.
    void clear();
    /// Bands on the plot, and the lower and upper graph of one (null when unknown).
    int count() const { return static_cast<int>(bands_.size()); }
    QCPGraph* lowerOf(const std::string& key) const;
    QCPGraph* upperOf(const std::string& key) const;

    static constexpr std::size_t kMaxBandPoints = 1000;

  private:
    struct Pair {
        std::string key;
        QCPGraph* lower = nullptr;
        QCPGraph* upper = nullptr;
    };
    QPointer<QCustomPlot> plot_;  ///< the panel may go first: its graphs go with it
    bool logY_ = false;
    std::vector<Pair> bands_;
};

}  // namespace trainlab
