#include <algorithm>

#include "dataset_catalog.h"
#include "errors.h"
#include "experiment.h"

namespace trainlab {

namespace {
// Filled by each kind's TRAINLAB_REGISTER_EXPERIMENT_KIND while the program starts (a
// function-local static, so it exists before the first registrar runs, whatever the order).
std::vector<ExperimentKind>& kinds() {
    static std::vector<ExperimentKind> all;
    return all;
}

std::string megabytes(std::int64_t bytes) {
    return std::to_string((bytes + 500'000) / 1'000'000) + " MB";
}
}  // namespace

ExperimentKindRegistrar::ExperimentKindRegistrar(ExperimentKind (*makeKind)()) {
    registerExperimentKind(makeKind());
}

void registerExperimentKind(ExperimentKind kind) {
    for (auto& k : kinds())
        if (k.id == kind.id) {
            k = std::move(kind);
            return;
        }
    kinds().push_back(std::move(kind));
}

std::vector<MissingDataset> missingDatasets(const std::string& kindId, const nlohmann::json& config,
                                            const std::string& dataDir) {
    std::vector<MissingDataset> out;
    const ExperimentKind* kind = findExperimentKind(kindId);
    if (!kind || !kind->datasets) return out;
    const auto roots = datasetSearchRoots(dataDir);
    for (const auto& id : kind->datasets(config)) {
        const DatasetSpec* spec = findDatasetSpec(id);
        if (!spec) {
            out.push_back({id, id, "", 0,
                           "dataset '" + id + "' is unknown (mnist, fashion-mnist or cifar10)"});
            continue;
        }
        if (locateDataset(id, roots)) continue;
        MissingDataset m;
        m.id = id;
        m.title = spec->title;
        m.downloadBytes = spec->downloadBytes();
        if (!spec->substitute.empty() && locateDataset(spec->substitute, roots))
            m.substitute = spec->substitute;
        std::string where;
        for (const auto& r : roots) where += (where.empty() ? "" : ", ") + r.path.string();
        m.message = spec->title + " not found in " + where +
                    ". Get it with 'trainlab-cli data download " + id + "' (" +
                    megabytes(m.downloadBytes) +
                    ") or the Datasets window, or import a copy with "
                    "'trainlab-cli data import " +
                    id + " <folder>'";
        if (!m.substitute.empty())
            m.message +=
                ", or run on " + m.substitute + " instead (--set dataset=" + m.substitute + ")";
        m.message += ".";
        out.push_back(std::move(m));
    }
    return out;
}

const ExperimentKind* findExperimentKind(const std::string& id) {
    for (const auto& k : kinds())
        if (k.id == id) return &k;
    return nullptr;
}

std::vector<std::string> experimentKindIds() {
    std::vector<std::string> ids;
    for (const auto& k : kinds()) ids.push_back(k.id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::vector<std::string> validateExperimentConfig(const std::string& kindId,
                                                  const nlohmann::json& config) {
    const ExperimentKind* kind = findExperimentKind(kindId);
    if (!kind) return {"experiment kind '" + kindId + "' is unknown"};
    auto problems = validateParams(kind->schema(config), config);
    if (problems.empty() && kind->check) {
        auto more = kind->check(config);
        problems.insert(problems.end(), more.begin(), more.end());
    }
    return problems;
}

}  // namespace trainlab
