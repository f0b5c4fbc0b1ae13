// Paces the redraws of live plots by what drawing costs the GUI thread.
#pragma once

#include <QObject>
#include <QtGlobal>

class QCustomPlot;

namespace trainlab {

/// Live panels are redrawn at most every kMinIntervalMs (25 a second) while that keeps the GUI
/// thread's drawing (a frame: data into the panels, plus the replots it causes) under
/// kDrawCpuShare of one core; costlier frames (a million points in view, a slow machine) come
/// less often, down to one every kMaxIntervalMs. The owner only spaces out its redraws: every
/// point still reaches the panels at each frame, and the training threads keep their cores
/// (issue 7: tests/bench/bench_gui_load.cpp).
///
/// Use: watch() each plot, beginFrame()/endFrame() around each drain, and wait endFrame()'s
/// interval before the next one. CPU times are the calling thread's (its time waiting for a
/// core not counted). Contract: GUI thread only.
class FramePacer : public QObject {
    Q_OBJECT
  public:
    static constexpr int kMinIntervalMs = 40;
    static constexpr int kMaxIntervalMs = 250;
    static constexpr double kDrawCpuShare = 0.08;

    explicit FramePacer(QObject* parent = nullptr);

    /// Counts the CPU time of `plot`'s replots into the frames (until the plot is destroyed).
    void watch(QCustomPlot* plot);
    /// Forgets earlier frames (a new run): the interval is the shortest again.
    void reset();
    /// A frame starts.
    void beginFrame();
    /// The frame started at beginFrame() ends. Its CPU time plus that of the replots since the
    /// last frame (the replots this one queued are counted at the next) is smoothed, 0.7 old
    /// + 0.3 new; returns the interval to wait before the next frame, in ms.
    int endFrame();
    /// The interval to wait before the next frame, in ms.
    int intervalMs() const { return intervalMs_; }
    /// The smoothed CPU time of a frame, in ms (0 before the first).
    double frameCpuMs() const { return frameCpuMs_; }

    /// The calling thread's CPU time in ns.
    static qint64 threadCpuNs();

  private:
    double frameCpuMs_ = 0;
    qint64 frameStartedCpuNs_ = 0;
    qint64 replotCpuNs_ = 0;          ///< replots' CPU time since the last frame
    qint64 replotStartedCpuNs_ = -1;  ///< thread CPU clock when the current replot began
    int intervalMs_ = kMinIntervalMs;
};

}  // namespace trainlab
