// planSweep: the grid × seeds expanded into tasks, every task validated before anything is made.
#include <algorithm>
#include <map>
#include <set>

#include "errors.h"
#include "experiment.h"
#include "experiment_runner.h"
#include "json_text.h"
#include "sweep_spec.h"

namespace trainlab {

using nlohmann::json;

namespace {

/// The problems found, each said once: a bad grid value fails every task that has it, so a
/// message met again only counts the task ("task 1 (lr=abc seed=1) and 4 other tasks: …").
class Problems {
  public:
    void add(const std::string& message) { add("", message); }
    void add(const std::string& task, const std::string& message) {
        auto [it, fresh] = seen_.try_emplace(message, order_.size());
        if (fresh) order_.push_back({task, message, 0});
        else ++order_[it->second].others;
    }
    bool empty() const { return order_.empty(); }
    [[noreturn]] void raise() const {
        constexpr std::size_t kMax = 40;
        std::vector<std::string> out;
        for (const auto& p : order_) {
            if (out.size() == kMax) break;
            std::string who = p.task;
            if (p.others > 0)
                who += " and " + std::to_string(p.others) + " other task" + (p.others > 1 ? "s" : "");
            out.push_back(who.empty() ? p.message : who + ": " + p.message);
        }
        if (order_.size() > kMax)
            out.push_back("… and " + std::to_string(order_.size() - kMax) + " more problems");
        throw ConfigError(out);
    }

  private:
    struct Entry {
        std::string task, message;
        int others;
    };
    std::vector<Entry> order_;
    std::map<std::string, std::size_t> seen_;
};

std::string joined(const ConfigError& e) {
    std::string out;
    for (const auto& p : e.problems()) out += (out.empty() ? "" : "; ") + p;
    return out;
}

/// The number of tasks, or -1 beyond kMaxSweepTasks.
long long taskCount(const SweepSpec& spec) {
    long long n = spec.seeds;
    for (const auto& a : spec.grid) {
        n *= static_cast<long long>(a.values.size());
        if (n > kMaxSweepTasks) return -1;
    }
    return n > kMaxSweepTasks ? -1 : n;
}

void checkSpec(const SweepSpec& spec, Problems& p) {
    if (spec.seeds < 1 || spec.seeds > kMaxSweepTasks)
        p.add("--seeds " + std::to_string(spec.seeds) + " must be in [1, " +
              std::to_string(kMaxSweepTasks) + "]");
    if (spec.threads < 1 || spec.threads > 256)
        p.add("--threads " + std::to_string(spec.threads) + " must be in [1, 256]");
    if (spec.jobs < 0) p.add("--jobs " + std::to_string(spec.jobs) + " must be 0 or more");
    std::set<std::string> keys;
    for (const auto& a : spec.grid) {
        if (!keys.insert(a.key).second) p.add("--grid: '" + a.key + "' is given twice");
        if (a.values.empty()) p.add("--grid: '" + a.key + "' has no values");
    }
    if (keys.count("seed") && spec.seeds > 1)
        p.add("'seed' is in the grid and --seeds is " + std::to_string(spec.seeds) +
              ": give the seeds one way (--seeds 1 with a seed grid)");
    if (spec.seeds >= 1 && taskCount(spec) < 0)
        p.add("the sweep has more than " + std::to_string(kMaxSweepTasks) + " tasks");
    if (spec.backend == SweepBackend::Slurm && spec.slurm.cpusPerTask < 0)
        p.add("--cpus-per-task must be 1 or more");
}

/// The preset's config with every --set applied.
json baseConfig(const Preset& preset, const SweepSpec& spec, Problems& p) {
    json config = preset.config;
    for (const auto& s : spec.sets) {
        try {
            applyOverride(preset.kind, config, s);
        } catch (const ConfigError& e) {
            p.add("--set " + briefText(s) + ": " + joined(e));
        }
    }
    return config;
}

/// A folder name from the settings: index first (sorted listings keep the task order), then
/// key=value pairs with anything but [A-Za-z0-9._=+-] as '_', at most 96 bytes.
std::string taskName(int index, int count, const std::string& settings) {
    std::string number = std::to_string(index);
    const std::size_t width = std::to_string(std::max(0, count - 1)).size();
    if (number.size() < width) number.insert(0, width - number.size(), '0');
    std::string name = number + (settings.empty() ? "" : "-");
    for (char c : settings) {
        const bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                           c == '=' || c == '+' || c == '-';
        name += c == ' ' ? '-' : (plain ? c : '_');
    }
    if (name.size() > 96) name.resize(96);
    return name;
}

struct Expansion {
    const Preset& preset;
    const SweepSpec& spec;
    const json& base;
    bool hasSeed = false;
    long long baseSeed = 0;
    int count = 0;
    /// Missing-dataset messages by the datasets a task needs: checked once per set of ids.
    mutable std::map<std::vector<std::string>, std::vector<std::string>> missing;
};

/// The messages of the datasets `config` needs that are absent.
const std::vector<std::string>& missingFor(const Expansion& x, const json& config) {
    const ExperimentKind* kind = findExperimentKind(x.preset.kind);
    std::vector<std::string> ids;
    if (kind && kind->datasets) ids = kind->datasets(config);
    auto [it, fresh] = x.missing.try_emplace(ids);
    if (fresh)
        for (const auto& m : missingDatasets(x.preset.kind, config, x.spec.dataDir))
            it->second.push_back(m.message);
    return it->second;
}

/// Task `index`: its grid values (from the grid's texts), its seed, its config.
SweepTask expandTask(const Expansion& x, int index, Problems& p) {
    SweepTask task;
    task.index = index;
    task.config = x.base;
    std::string label;  // the settings as the user wrote them
    std::vector<std::string> assignments;
    long long rest = index / x.spec.seeds;
    std::vector<std::string> values(x.spec.grid.size());
    for (std::size_t a = x.spec.grid.size(); a-- > 0;) {
        const auto& axis = x.spec.grid[a];
        values[a] = axis.values[static_cast<std::size_t>(rest % axis.values.size())];
        rest /= static_cast<long long>(axis.values.size());
    }
    for (std::size_t a = 0; a < values.size(); ++a)
        assignments.push_back(x.spec.grid[a].key + "=" + values[a]);
    const bool seedInGrid = std::any_of(x.spec.grid.begin(), x.spec.grid.end(),
                                        [](const GridAxis& a) { return a.key == "seed"; });
    if (x.hasSeed && !seedInGrid)
        assignments.push_back("seed=" + std::to_string(x.baseSeed + index % x.spec.seeds));
    for (const auto& s : assignments) label += (label.empty() ? "" : " ") + s;
    const std::string who = "task " + std::to_string(index) + " (" + label + ")";
    for (const auto& s : assignments) {
        try {
            applyOverride(x.preset.kind, task.config, s);
            const std::string key = s.substr(0, s.find('='));
            task.settings.emplace_back(key, task.config.at(keyToPointer(key)));
        } catch (const ConfigError& e) {
            p.add(who, joined(e));
        }
    }
    for (const auto& problem : validateExperimentConfig(x.preset.kind, task.config))
        p.add(who, problem);
    for (const auto& message : missingFor(x, task.config)) p.add(who, message);
    task.name = taskName(index, x.count, label);
    return task;
}

}  // namespace

SweepPlan planSweep(const SweepSpec& spec) {
    Problems problems;
    SweepPlan plan;
    plan.preset = resolvePreset(spec.preset);  // throws naming the id and the known ones
    checkSpec(spec, problems);
    const json base = baseConfig(plan.preset, spec, problems);
    const ExperimentKind* kind = findExperimentKind(plan.preset.kind);
    if (!kind) throw ConfigError({"experiment kind '" + plan.preset.kind + "' is unknown"});
    Expansion x{plan.preset, spec, base, false, 0, 0, {}};
    x.hasSeed = findParam(kind->schema(base), "seed") != nullptr;
    if (!x.hasSeed && spec.seeds > 1)
        problems.add("--seeds " + std::to_string(spec.seeds) + ": kind '" + plan.preset.kind +
                     "' has no 'seed' setting, so its tasks cannot differ by seed (use --seeds 1)");
    for (const auto& axis : spec.grid) {  // an unknown key is said once, not per task
        if (axis.values.empty() || findParam(kind->schema(base), axis.key)) continue;
        json probe = base;
        try {
            applyOverride(plan.preset.kind, probe, axis.key + "=" + axis.values.front());
        } catch (const ConfigError& e) {
            problems.add("--grid " + briefText(axis.key) + ": " + joined(e));
        }
    }
    if (x.hasSeed && base.contains("seed") && base["seed"].is_number_integer())
        x.baseSeed = base["seed"].get<long long>();
    if (!problems.empty()) problems.raise();  // no point in expanding a broken sweep
    x.count = static_cast<int>(taskCount(spec));
    for (int i = 0; i < x.count; ++i) plan.tasks.push_back(expandTask(x, i, problems));
    if (!problems.empty()) problems.raise();
    return plan;
}

}  // namespace trainlab
