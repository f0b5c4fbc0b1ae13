#include "experiment_runner.h"

#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

#include "atomic_file.h"
#include "csv.h"
#include "errors.h"
#include "host.h"
#include "kernel_startup.h"
#include "system_report.h"
#include "mlp_fast.h"
#include "recording_sink.h"

namespace trainlab {

using nlohmann::json;

std::string trainlabVersion() {
    return TRAINLAB_VERSION;
}

namespace {

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
                {"config", r.config},
                // BLAS kernels, threads, oneDNN, CPU: what two runs' speeds depend on.
                {"environment", runEnvironmentJson()}};
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

namespace {

/// Checks the request before anything is made: the config (schema and cross-field rules), the
/// thread count and the datasets (a missing one is reported before anything starts, never
/// half-way). Throws ConfigError or Error.
void checkRequest(const RunRequest& request) {
    const auto problems = validateExperimentConfig(request.preset.kind, request.config);
    if (!problems.empty()) throw ConfigError(problems);
    if (request.threads < 1 || request.threads > 256)
        throw ConfigError(
            {"threads = " + std::to_string(request.threads) + " must be in [1, 256]"});
    std::string missing;
    for (const auto& m :
         missingDatasets(request.preset.kind, request.config, request.dataDir.string()))
        missing += (missing.empty() ? "" : "\n") + m.message;
    if (!missing.empty()) throw Error(missing);
}

/// Creates the run folder with config.json, panels.json and status.json. A folder that cannot
/// be set up is removed again (it is not a run) and IoError names the file and the reason.
std::unique_ptr<RunDirectory> createRunDirectory(const RunRequest& request,
                                                 const PlotLayout& layout,
                                                 const RunStatus& status) {
    auto created =
        std::make_unique<RunDirectory>(RunDirectory::create(request.runsRoot, request.preset.id));
    try {
        created->writeConfig(resolvedConfig(request));
        created->writeLayout(layout);
        // Written padded to a fixed size: its room is reserved for the final state.
        created->writeStatus(status);
    } catch (const std::exception& e) {
        const bool removed = created->removeUnstarted();
        throw IoError("the run could not be set up: " + std::string(e.what()) +
                      (removed ? ""
                               : " ('" + created->path().string() +
                                     "' holds other files and was left in place)"));
    }
    return created;
}

/// Runs the experiment into `sink`; the last Replace series, labels and point runs are written
/// also when it fails. Returns the results with the run log. Throws what the experiment throws,
/// and an Error naming an undeclared series id it used in strict mode (even one it caught).
json runRecorded(Experiment& experiment, RecordingSink& sink, RunControl& control) {
    json results;
    try {
        results = experiment.run(sink, control);
    } catch (...) {
        try {
            sink.writeReplaced();  // keep the last predictions of a failed run
        } catch (...) {
        }
        throw;
    }
    sink.writeReplaced();
    if (const std::string unknown = sink.unknownIdError(); !unknown.empty()) throw Error(unknown);
    results["log"] = sink.logLines();
    return results;
}

/// Marks the results of a cancelled run ("cancelled: " headline) and gives the outcome's state
/// and message.
std::pair<RunState, std::string> endOf(json& results, const RunControl& control) {
    if (!control.cancel.load())  // read once: a signal may set it at any time
        return {RunState::Finished, results.value("headline", std::string("finished"))};
    results["headline"] = "cancelled: " + results.value("headline", std::string("no result"));
    const char* reason = control.cancelReason.load();
    return {RunState::Cancelled, reason ? reason : "cancelled by the user"};
}

}  // namespace

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
        checkRequest(request);
        torch::set_num_threads(request.threads);
        setBlasThreads(request.threads);  // torch's setting does not reach OpenBLAS
        const ExperimentKind* kind = findExperimentKind(request.preset.kind);
        auto experiment = kind->create(
            request.config, ExperimentContext{request.threads, request.dataDir.string()});
        const PlotLayout layout = experiment->layout();
        dir = createRunDirectory(request, layout, status);
        out.runDir = dir->path();
        if (observer) observer->runDirectoryCreated(dir->path().string());

        RecordingSink sink(*dir, layout, observer, writeFailed);
        sink.layoutDeclared(layout);
        sink.logged(kernelLogLine());  // which kernels ran (also in config.json)
        json results = runRecorded(*experiment, sink, control);
        const auto [state, message] = endOf(results, control);
        try {
            dir->writeResults(results);
        } catch (const IoError&) {
            writeFailed = true;
            throw;
        }
        out.results = results;
        return finish(state, message);
    } catch (const std::exception& e) {
        return finish(RunState::Failed, e.what());
    } catch (...) {
        return finish(RunState::Failed, "unknown error");
    }
}

}  // namespace trainlab
