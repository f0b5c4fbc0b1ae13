#include "run_listing.h"

#include <algorithm>
#include <cstdlib>

#include "errors.h"
#include "user_dirs.h"

namespace trainlab {

using nlohmann::json;

std::vector<RunSummary> listRuns(const fs::path& root) {
    std::vector<RunSummary> runs;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return runs;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
        if (!entry.is_directory(ec)) continue;
        if (!fs::exists(entry.path() / "config.json", ec)) continue;
        RunSummary r;
        r.path = entry.path();
        try {
            RunDirectory dir(entry.path());
            r.status = dir.readStatus();
            const json c = dir.readConfig();
            r.presetId = c.value("preset_id", "");
            r.title = c.value("title", r.presetId);
            if (auto res = dir.readResults()) r.headline = res->value("headline", "");
        } catch (const std::exception& e) {
            r.status.state = RunState::Interrupted;
            r.status.message = std::string("damaged run: ") + e.what();
        }
        runs.push_back(std::move(r));
    }
    std::sort(runs.begin(), runs.end(), [](const RunSummary& a, const RunSummary& b) {
        return a.path.filename() > b.path.filename();
    });
    return runs;
}

fs::path defaultRunsRoot(std::string* whyNot) {
    if (const char* r = std::getenv("TRAINLAB_RUNS"); r && *r) return r;
    std::string why;
    const fs::path base = userDataHome(&why);
    if (!base.empty()) return base / "trainlab" / "runs";
    if (whyNot)
        *whyNot = "no folder for runs: " + why +
                  "; name one with --out DIR (trainlab: --runs DIR) or the environment variable "
                  "TRAINLAB_RUNS";
    return {};
}

fs::path defaultRunsRoot() {
    std::string why;
    fs::path root = defaultRunsRoot(&why);
    if (root.empty()) throw ConfigError({why});
    return root;
}

}  // namespace trainlab
