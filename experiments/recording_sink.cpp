#include "recording_sink.h"

#include <cstdlib>

#include "atomic_file.h"
#include "csv.h"
#include "errors.h"

namespace trainlab {

namespace {

/// Runs `write`; an IoError (full disk …) also sets `failed`, then propagates.
template <class F>
void recordWrite(std::atomic<bool>& failed, F&& write) {
    try {
        write();
    } catch (const IoError&) {
        failed = true;
        throw;
    }
}

std::string declaredIds(const PlotLayout& layout) {
    std::string ids;
    for (const auto& s : layout.series) ids += (ids.empty() ? "" : ", ") + s.id;
    return ids.empty() ? "none" : ids;
}

}  // namespace

bool strictSeriesIds() {
    const char* env = std::getenv("TRAINLAB_STRICT_SERIES");
    if (env && *env) return std::string(env) != "0";
#ifdef NDEBUG
    return false;
#else
    return true;
#endif
}

RecordingSink::RecordingSink(const RunDirectory& dir, const PlotLayout& layout, RunObserver* next,
                             std::atomic<bool>& writeFailed, bool strictIds)
    : dir_(dir), layout_(layout), next_(next), writeFailed_(writeFailed), strict_(strictIds) {
    recordWrite(writeFailed_, [&] {
        for (const auto& s : layout.series)
            if (s.mode == SeriesMode::Append && s.style != SeriesStyle::Heatmap)
                writers_.emplace(s.id, CsvSeriesWriter(dir.seriesPath(s.id), s.xName, s.yName));
    });
}

bool RecordingSink::declared(const std::string& id, const char* what) {
    if (layout_.findSeries(id)) return true;
    const std::string message =
        "series '" + id + "' (" + what +
        ") is not declared in the experiment's layout (declared: " + declaredIds(layout_) + ")";
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (strict_) {
            if (unknownError_.empty()) unknownError_ = message;
        } else if (!unknownReported_.insert(id).second) {
            return false;  // reported once already
        }
    }
    if (strict_) throw Error(message);
    logged("warning: " + message + "; its data is dropped");
    return false;
}

void RecordingSink::layoutDeclared(const PlotLayout& l) {
    if (next_) next_->layoutDeclared(l);
}

void RecordingSink::pointsAppended(const std::string& id, const std::vector<double>& x,
                                   const std::vector<double>& y) {
    if (!declared(id, "pointsAppended")) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = writers_.find(id);
        if (it != writers_.end()) {
            const size_t n = std::min(x.size(), y.size());
            for (size_t i = 0; i < n; ++i) it->second.append(x[i], y[i]);
            // throws IoError on a full disk: the run fails
            recordWrite(writeFailed_, [&] { it->second.flush(); });
        }
    }
    if (next_) next_->pointsAppended(id, x, y);
}

void RecordingSink::seriesReplaced(const std::string& id, const std::vector<double>& x,
                                   const std::vector<double>& y) {
    if (!declared(id, "seriesReplaced")) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        latest_[id] = Series{x, y};
    }
    if (next_) next_->seriesReplaced(id, x, y);
}

void RecordingSink::progressed(double f, const std::string& m) {
    if (next_) next_->progressed(f, m);
}

void RecordingSink::logged(const std::string& line) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        log_.push_back(line);
    }
    if (next_) next_->logged(line);
}

void RecordingSink::tableWritten(const std::string& name, const std::vector<std::string>& columns,
                                 const std::vector<std::vector<double>>& rows) {
    std::string text;
    for (size_t i = 0; i < columns.size(); ++i) text += (i ? "," : "") + columns[i];
    text += '\n';
    for (const auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i) {
            if (i) text += ',';
            appendCsvNumber(text, row[i]);
        }
        text += '\n';
    }
    std::lock_guard<std::mutex> lock(mutex_);
    recordWrite(writeFailed_, [&] { writeFileAtomic(dir_.seriesPath(name), text); });
    if (next_) next_->tableWritten(name, columns, rows);
}

void RecordingSink::gridReplaced(const std::string& id, const std::vector<double>& xs,
                                 const std::vector<double>& ys, const std::vector<double>& z) {
    if (!declared(id, "gridReplaced")) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        // Like a table: rewritten whole at each call. An inconsistent grid is a bug of the
        // experiment: DataError naming the file and the fault fails the run.
        recordWrite(writeFailed_, [&] { writeGridCsv(dir_.seriesPath(id), Grid{xs, ys, z}); });
    }
    if (next_) next_->gridReplaced(id, xs, ys, z);
}

void RecordingSink::labelsReplaced(const std::string& id, const std::vector<std::string>& labels) {
    if (!declared(id, "labelsReplaced")) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        labels_[id] = labels;
    }
    if (next_) next_->labelsReplaced(id, labels);
}

void RecordingSink::pointRunsReplaced(const std::string& id, const std::vector<int>& runs) {
    if (!declared(id, "pointRunsReplaced")) return;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        pointRuns_[id] = runs;
    }
    if (next_) next_->pointRunsReplaced(id, runs);
}

void RecordingSink::writeReplaced() {
    std::lock_guard<std::mutex> lock(mutex_);
    recordWrite(writeFailed_, [&] { writeReplacedLocked(); });
}

void RecordingSink::writeReplacedLocked() {
    for (const auto& [id, series] : latest_) {
        const SeriesSpec* spec = layout_.findSeries(id);
        // a heatmap's file is its grid, written by gridReplaced
        if (spec && spec->style != SeriesStyle::Heatmap)
            writeSeriesCsv(dir_.seriesPath(id), spec->xName, spec->yName, series);
    }
    for (const auto& [id, labels] : labels_) writeSeriesLabels(dir_.labelsPath(id), labels);
    for (const auto& [id, runs] : pointRuns_) dir_.writePointRuns(id, runs);
}

std::vector<std::string> RecordingSink::logLines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
}

std::string RecordingSink::unknownIdError() {
    std::lock_guard<std::mutex> lock(mutex_);
    return unknownError_;
}

}  // namespace trainlab
