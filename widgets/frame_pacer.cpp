#include "frame_pacer.h"

#include <qcustomplot.h>
#include <time.h>

#include <algorithm>

namespace trainlab {

FramePacer::FramePacer(QObject* parent) : QObject(parent) {}

qint64 FramePacer::threadCpuNs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<qint64>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void FramePacer::watch(QCustomPlot* plot) {
    connect(plot, &QCustomPlot::beforeReplot, this,
            [this] { replotStartedCpuNs_ = threadCpuNs(); });
    connect(plot, &QCustomPlot::afterReplot, this, [this] {
        if (replotStartedCpuNs_ >= 0) replotCpuNs_ += threadCpuNs() - replotStartedCpuNs_;
        replotStartedCpuNs_ = -1;
    });
}

void FramePacer::reset() {
    frameCpuMs_ = 0;
    replotCpuNs_ = 0;
    intervalMs_ = kMinIntervalMs;
}

void FramePacer::beginFrame() {
    frameStartedCpuNs_ = threadCpuNs();
}

int FramePacer::endFrame() {
    const double frameMs =
        1e-6 * static_cast<double>(threadCpuNs() - frameStartedCpuNs_ + replotCpuNs_);
    replotCpuNs_ = 0;
    frameCpuMs_ = frameCpuMs_ > 0 ? 0.7 * frameCpuMs_ + 0.3 * frameMs : frameMs;
    intervalMs_ = std::clamp(static_cast<int>(frameCpuMs_ / kDrawCpuShare), kMinIntervalMs,
                             kMaxIntervalMs);
    return intervalMs_;
}

}  // namespace trainlab
