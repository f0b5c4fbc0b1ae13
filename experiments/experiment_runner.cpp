#include "experiment_runner.h"

#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iomanip>
#include <map>
#include <mutex>
#include <sstream>

#include "errors.h"
#include "mlp_fast.h"

namespace trainlab {

using nlohmann::json;

std::string trainlabVersion() {
    return TRAINLAB_VERSION;
}

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

/// Records every series to the run directory and forwards everything to the observer.
/// `writeFailed` is set when a write to the run folder fails.
class RecordingSink : public ExperimentSink {
  public:
    RecordingSink(const RunDirectory& dir, const PlotLayout& layout, RunObserver* next,
                  std::atomic<bool>& writeFailed)
        : dir_(dir), layout_(layout), next_(next), writeFailed_(writeFailed) {
        recordWrite(writeFailed_, [&] {
            for (const auto& s : layout.series)
                if (s.mode == SeriesMode::Append && s.style != SeriesStyle::Heatmap)
                    writers_.emplace(s.id, CsvSeriesWriter(dir.seriesPath(s.id), s.xName, s.yName));
        });
    }
    void layoutDeclared(const PlotLayout& l) override {
        if (next_) next_->layoutDeclared(l);
    }
    void pointsAppended(const std::string& id, const std::vector<double>& x,
                        const std::vector<double>& y) override {
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
    void seriesReplaced(const std::string& id, const std::vector<double>& x,
                        const std::vector<double>& y) override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            latest_[id] = Series{x, y};
        }
        if (next_) next_->seriesReplaced(id, x, y);
    }
    void progressed(double f, const std::string& m) override {
        if (next_) next_->progressed(f, m);
    }
    void logged(const std::string& line) override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            log_.push_back(line);
        }
        if (next_) next_->logged(line);
    }
    void tableWritten(const std::string& name, const std::vector<std::string>& columns,
                      const std::vector<std::vector<double>>& rows) override {
        std::ostringstream o;
        o << std::setprecision(9);
        for (size_t i = 0; i < columns.size(); ++i) o << (i ? "," : "") << columns[i];
        o << '\n';
        for (const auto& row : rows) {
            for (size_t i = 0; i < row.size(); ++i) o << (i ? "," : "") << row[i];
            o << '\n';
        }
        std::lock_guard<std::mutex> lock(mutex_);
        recordWrite(writeFailed_, [&] { writeFileAtomic(dir_.seriesPath(name), o.str()); });
        if (next_) next_->tableWritten(name, columns, rows);
    }
    void gridReplaced(const std::string& id, const std::vector<double>& xs,
                      const std::vector<double>& ys, const std::vector<double>& z) override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            // Like a table: rewritten whole at each call. An inconsistent grid is a bug of the
            // experiment: DataError naming the file and the fault fails the run.
            if (layout_.findSeries(id))
                recordWrite(writeFailed_, [&] {
                    writeGridCsv(dir_.seriesPath(id), Grid{xs, ys, z});
                });
        }
        if (next_) next_->gridReplaced(id, xs, ys, z);
    }
    void labelsReplaced(const std::string& id, const std::vector<std::string>& labels) override {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            labels_[id] = labels;
        }
        if (next_) next_->labelsReplaced(id, labels);
    }
    /// Writes the final state of every Replace series and every series' labels.
    void writeReplaced() {
        std::lock_guard<std::mutex> lock(mutex_);
        recordWrite(writeFailed_, [&] { writeReplacedLocked(); });
    }
    void writeReplacedLocked() {
        for (const auto& [id, series] : latest_) {
            const SeriesSpec* spec = layout_.findSeries(id);
            // a heatmap's file is its grid, written by gridReplaced
            if (spec && spec->style != SeriesStyle::Heatmap)
                writeSeriesCsv(dir_.seriesPath(id), spec->xName, spec->yName, series);
        }
        for (const auto& [id, labels] : labels_)
            if (layout_.findSeries(id)) writeSeriesLabels(dir_.labelsPath(id), labels);
    }
    std::vector<std::string> logLines() {
        std::lock_guard<std::mutex> lock(mutex_);
        return log_;
    }

  private:
    const RunDirectory& dir_;
    PlotLayout layout_;
    RunObserver* next_;
    std::atomic<bool>& writeFailed_;
    std::mutex mutex_;
    std::map<std::string, CsvSeriesWriter> writers_;
    std::map<std::string, Series> latest_;
    std::map<std::string, std::vector<std::string>> labels_;
    std::vector<std::string> log_;
};

json resolvedConfig(const RunRequest& r) {
    return json{{"trainlab_version", trainlabVersion()},
                {"libtorch_version", std::to_string(TORCH_VERSION_MAJOR) + "." +
                                         std::to_string(TORCH_VERSION_MINOR) + "." +
                                         std::to_string(TORCH_VERSION_PATCH)},
                {"preset_id", r.preset.id},
                {"title", r.preset.title},
                {"group", r.preset.group},
                {"kind", r.preset.kind},
                {"preset_source", r.preset.source},
                {"expected", r.preset.expected},
                {"seed", r.config.value("seed", json())},
                {"threads", r.threads},
                {"created_at", isoTimestampUtc()},
                {"config", r.config}};
}

}  // namespace

void applyOverride(const std::string& kindId, json& config, const std::string& assignment) {
    const auto eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError({"'" + assignment + "': expected key=value"});
    const std::string key = assignment.substr(0, eq);
    const ExperimentKind* kind = findExperimentKind(kindId);
    if (!kind) throw ConfigError({"experiment kind '" + kindId + "' is unknown"});
    const auto specs = kind->schema(config);
    const ParamSpec* spec = findParam(specs, key);
    if (!spec) {
        std::string known;
        for (const auto& s : specs) known += (known.empty() ? "" : ", ") + s.key;
        throw ConfigError(
            {"'" + key + "' is not a setting of this preset (settings: " + known + ")"});
    }
    setParamFromString(config, *spec, assignment.substr(eq + 1));
}

RunOutcome runExperiment(const RunRequest& request, RunObserver* observer, RunControl& control) {
    RunOutcome out;
    const auto t0 = std::chrono::steady_clock::now();
    RunStatus status;
    status.startedAt = isoTimestampUtc();
    recordThisProcess(status);  // pid, its start time and the boot id: a reused pid is no run
    std::unique_ptr<RunDirectory> dir;
    std::atomic<bool> writeFailed{false};
    auto finish = [&](RunState state, std::string message) {
        out.state = state;
        out.recordingFailed = writeFailed.load();
        out.message = std::move(message);
        status.state = state;
        status.message = out.message;
        status.endedAt = isoTimestampUtc();
        status.elapsedSeconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (dir) {
            try {
                dir->writeStatus(status);
            } catch (const std::exception& e) {
                out.message +=
                    std::string(" (and the final status could not be saved: ") + e.what() + ")";
            }
        }
        return out;
    };
    try {
        const auto problems = validateExperimentConfig(request.preset.kind, request.config);
        if (!problems.empty()) throw ConfigError(problems);
        if (request.threads < 1 || request.threads > 256)
            throw ConfigError(
                {"threads = " + std::to_string(request.threads) + " must be in [1, 256]"});
        // A missing dataset is reported before anything starts: never half-way.
        std::string missing;
        for (const auto& m :
             missingDatasets(request.preset.kind, request.config, request.dataDir.string()))
            missing += (missing.empty() ? "" : "\n") + m.message;
        if (!missing.empty()) throw Error(missing);
        torch::set_num_threads(request.threads);
        setBlasThreads(request.threads);  // torch's setting does not reach OpenBLAS
        const ExperimentKind* kind = findExperimentKind(request.preset.kind);
        auto experiment = kind->create(
            request.config, ExperimentContext{request.threads, request.dataDir.string()});
        const PlotLayout layout = experiment->layout();

        auto created = std::make_unique<RunDirectory>(
            RunDirectory::create(request.runsRoot, request.preset.id));
        try {
            created->writeConfig(resolvedConfig(request));
            created->writeLayout(layout);
            // Written padded to a fixed size: its room is reserved for the final state.
            created->writeStatus(status);
        } catch (const std::exception& e) {
            // Not a run at all: remove what was made rather than leave an empty folder.
            const bool removed = created->removeUnstarted();
            throw IoError("the run could not be set up: " + std::string(e.what()) +
                          (removed ? ""
                                   : " ('" + created->path().string() +
                                         "' holds other files and was left in place)"));
        }
        dir = std::move(created);
        out.runDir = dir->path();
        if (observer) observer->runDirectoryCreated(dir->path().string());

        RecordingSink sink(*dir, layout, observer, writeFailed);
        sink.layoutDeclared(layout);
        json results;
        try {
            results = experiment->run(sink, control);
        } catch (...) {
            try {
                sink.writeReplaced();  // keep the last predictions of a failed run
            } catch (...) {
            }
            throw;
        }
        sink.writeReplaced();
        results["log"] = sink.logLines();
        const bool cancelled = control.cancel.load();
        if (cancelled)
            results["headline"] =
                "cancelled: " + results.value("headline", std::string("no result"));
        recordWrite(writeFailed, [&] { dir->writeResults(results); });
        out.results = results;
        return finish(cancelled ? RunState::Cancelled : RunState::Finished,
                      cancelled ? (control.cancelReason.load() ? control.cancelReason.load()
                                                               : "cancelled by the user")
                                : results.value("headline", std::string("finished")));
    } catch (const std::exception& e) {
        return finish(RunState::Failed, e.what());
    } catch (...) {
        return finish(RunState::Failed, "unknown error");
    }
}

}  // namespace trainlab
