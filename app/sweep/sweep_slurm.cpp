#include "sweep_slurm.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "atomic_file.h"
#include "errors.h"
#include "host.h"
#include "json_text.h"
#include "sweep_process.h"

namespace trainlab {

std::string slurmArraySpec(std::vector<int> indices, int limit) {
    std::sort(indices.begin(), indices.end());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    std::string out;
    for (std::size_t i = 0; i < indices.size();) {
        std::size_t j = i;
        while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
        out += (out.empty() ? "" : ",") + std::to_string(indices[i]);
        if (j > i) out += "-" + std::to_string(indices[j]);
        i = j + 1;
    }
    if (limit > 0) out += "%" + std::to_string(limit);
    return out;
}

namespace {

bool parseNonNegative(const std::string& s, long long& v) {
    if (s.empty() || s.size() > 9 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return false;
    v = std::stoll(s);
    return true;
}

/// "a", "a-b" or "a-b:step" appended to `out`; false when not one.
bool appendRange(const std::string& part, std::vector<int>& out) {
    std::string range = part;
    long long step = 1;
    if (const auto colon = range.find(':'); colon != std::string::npos) {
        if (!parseNonNegative(range.substr(colon + 1), step) || step < 1) return false;
        range.resize(colon);
    }
    long long a = 0, b = 0;
    const auto dash = range.find('-');
    if (!parseNonNegative(range.substr(0, dash), a)) return false;
    b = a;
    if (dash != std::string::npos && !parseNonNegative(range.substr(dash + 1), b)) return false;
    if (b < a || b - a > 1000000) return false;
    for (long long i = a; i <= b; i += step) out.push_back(static_cast<int>(i));
    return true;
}

std::string trimmed(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    std::size_t from = 0;
    while (from < s.size() && std::isspace(static_cast<unsigned char>(s[from]))) ++from;
    return s.substr(from);
}

std::vector<std::string> splitOn(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, sep)) out.push_back(part);
    return out;
}

/// 'text' for a POSIX shell.
std::string shellQuoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

}  // namespace

std::vector<int> parseSlurmIndexList(std::string text) {
    text = trimmed(text);
    if (!text.empty() && text.front() == '[') text.erase(0, 1);
    if (!text.empty() && text.back() == ']') text.pop_back();
    if (const auto pct = text.find('%'); pct != std::string::npos) text.resize(pct);
    std::vector<int> out;
    for (const auto& part : splitOn(text, ','))
        if (!appendRange(part, out)) return {};
    std::sort(out.begin(), out.end());
    return out;
}

namespace {

/// sbatch's arguments besides --array: the job name, the log files and every option given.
std::vector<std::string> sbatchOptions(const SweepFolder& folder) {
    const SweepRecord& r = folder.record();
    const SlurmOptions& s = r.spec.slurm;
    std::string name = "trainlab-" + r.preset.id;
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
    std::vector<std::string> args = {"--job-name=" + name,
                                     "--output=" + (folder.logsDir() / "slurm-%A_%a.log").string(),
                                     "--chdir=" + folder.path().string()};
    if (!s.partition.empty()) args.push_back("--partition=" + s.partition);
    if (!s.time.empty()) args.push_back("--time=" + s.time);
    if (s.cpusPerTask > 0) args.push_back("--cpus-per-task=" + std::to_string(s.cpusPerTask));
    if (!s.mem.empty()) args.push_back("--mem=" + s.mem);
    if (!s.gres.empty()) args.push_back("--gres=" + s.gres);
    for (const auto& a : s.sbatchArgs) args.push_back(a);
    return args;
}

}  // namespace

std::string sbatchScript(const SweepFolder& folder) {
    const SweepRecord& r = folder.record();
    std::string text = "#!/bin/sh\n# trainlab sweep of " + r.preset.id + ": " +
                       std::to_string(r.tasks.size()) +
                       " tasks. Each array task runs one; trainlab-cli submits this file as\n"
                       "#   sbatch --parsable --array=<task indices>";
    for (const auto& a : sbatchOptions(folder)) text += " " + shellQuoted(a);
    text += " sweep.sbatch\n# (the options are on sbatch's command line, not in #SBATCH lines).\n";
    for (const auto& line : r.spec.slurm.setup) text += line + "\n";
    text += "exec " + shellQuoted(r.executable) + " sweep task " + shellQuoted(folder.path().string()) +
            " \"$SLURM_ARRAY_TASK_ID\"\n";
    return text;
}

SweepSubmission submitSlurmArray(SweepFolder& folder, const std::vector<int>& indices) {
    if (indices.empty()) throw Error("no task to submit");
    writeFileAtomic(folder.sbatchPath(), sbatchScript(folder));
    SweepSubmission sub;
    sub.indices = indices;
    std::sort(sub.indices.begin(), sub.indices.end());
    sub.array = slurmArraySpec(sub.indices, folder.record().spec.jobs);
    std::vector<std::string> argv = {"sbatch", "--parsable", "--array=" + sub.array};
    for (const auto& a : sbatchOptions(folder)) argv.push_back(a);
    argv.push_back(folder.sbatchPath().string());
    const CommandResult r = runCommand(argv, 120);
    if (!r.started)
        throw Error(r.error + " (the Slurm backend needs Slurm's client commands: Debian's "
                              "slurm-client)");
    if (r.exitCode != 0 || !r.error.empty())
        throw Error("sbatch refused the job array: " +
                    briefText(trimmed(r.err.empty() ? r.error : r.err), 600));
    sub.jobId = trimmed(r.out.substr(0, r.out.find_first_of(";\n")));
    long long id = 0;
    if (!parseNonNegative(sub.jobId, id))
        throw Error("sbatch answered '" + briefText(trimmed(r.out)) + "', not a job id");
    sub.submittedAt = isoTimestampUtc();
    folder.record().submissions.push_back(sub);
    folder.save();
    return sub;
}

std::map<int, SchedulerState> parseSacct(const std::string& out, const std::string& arrayJobId) {
    std::map<int, SchedulerState> states;
    for (const auto& line : splitOn(out, '\n')) {
        const auto fields = splitOn(trimmed(line), '|');
        if (fields.size() < 3) continue;
        const std::string& id = fields[0];
        const auto us = id.find('_');
        if (us == std::string::npos || id.substr(0, us) != arrayJobId) continue;
        SchedulerState s;
        s.state = trimmed(fields[1].substr(0, fields[1].find(' ')));  // "CANCELLED by 0"
        s.exitCode = trimmed(fields[2]);
        for (int index : parseSlurmIndexList(id.substr(us + 1))) {
            s.jobId = arrayJobId + "_" + std::to_string(index);
            states[index] = s;
        }
    }
    return states;
}

std::map<int, SchedulerState> parseScontrol(const std::string& out,
                                            const std::string& arrayJobId) {
    std::map<int, SchedulerState> states;
    for (const auto& line : splitOn(out, '\n')) {
        std::map<std::string, std::string> kv;
        for (const auto& word : splitOn(line, ' ')) {
            const auto eq = word.find('=');
            if (eq != std::string::npos && eq > 0) kv.emplace(word.substr(0, eq), word.substr(eq + 1));
        }
        if (kv["ArrayJobId"] != arrayJobId || kv["JobState"].empty()) continue;
        SchedulerState s{"", kv["JobState"], kv["ExitCode"], kv["Reason"]};
        for (int index : parseSlurmIndexList(kv["ArrayTaskId"])) {
            s.jobId = arrayJobId + "_" + std::to_string(index);
            states[index] = s;
        }
    }
    return states;
}

std::map<int, std::string> newestJobOfTasks(const SweepRecord& record) {
    std::map<int, std::string> jobs;
    for (const auto& sub : record.submissions)
        for (int index : sub.indices) jobs[index] = sub.jobId;
    return jobs;
}

namespace {

/// Keeps the states of the tasks whose newest job is `jobId`; when the scheduler knows the job,
/// its tasks it does not list are `gone`.
void keepNewest(SchedulerReport& report, const std::map<int, SchedulerState>& states,
                const std::map<int, std::string>& newest, const std::string& jobId) {
    for (const auto& [index, job] : newest) {
        if (job != jobId) continue;
        if (const auto it = states.find(index); it != states.end()) report.tasks[index] = it->second;
        else if (!states.empty()) report.gone.insert(index);
    }
}

std::string firstLine(const std::string& text) {
    return briefText(trimmed(text.substr(0, text.find('\n'))), 200);
}

}  // namespace

SchedulerReport querySlurm(const SweepRecord& record) {
    SchedulerReport report;
    const auto newest = newestJobOfTasks(record);
    std::set<std::string> ids;
    for (const auto& [index, id] : newest) ids.insert(id);
    if (ids.empty()) return report;
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
    const CommandResult acct =
        runCommand({"sacct", "-n", "-P", "-X", "-j", list, "-o", "JobID,State,ExitCode"}, 30);
    const bool sacctAnswered = acct.started && acct.exitCode == 0 && acct.error.empty();
    if (!sacctAnswered)
        report.notes.push_back("sacct: " + (acct.error.empty() ? firstLine(acct.err) : acct.error));
    for (const auto& id : ids) {
        const auto rows = sacctAnswered ? parseSacct(acct.out, id) : std::map<int, SchedulerState>{};
        if (!rows.empty()) {
            keepNewest(report, rows, newest, id);
            report.source = "sacct";
            continue;
        }
        const CommandResult ctl = runCommand({"scontrol", "-o", "show", "job", id}, 30);
        if (ctl.started && ctl.exitCode == 0 && ctl.error.empty()) {
            keepNewest(report, parseScontrol(ctl.out, id), newest, id);
            if (report.source.empty()) report.source = "scontrol";
        } else {
            report.notes.push_back("scontrol (job " + id + "): " +
                                   (ctl.error.empty() ? firstLine(ctl.err) : ctl.error));
        }
    }
    return report;
}

std::vector<std::string> cancelSlurm(const SweepRecord& record) {
    static const std::set<std::string> live = {"PENDING",   "RUNNING",    "CONFIGURING",
                                               "COMPLETING", "SUSPENDED", "REQUEUED",
                                               "RESIZING",  "SIGNALING",  "STAGE_OUT"};
    const SchedulerReport report = querySlurm(record);
    std::set<std::string> jobs;
    for (const auto& [index, s] : report.tasks)
        if (live.count(s.state)) jobs.insert(s.jobId.substr(0, s.jobId.find('_')));
    if (jobs.empty()) return {};
    std::vector<std::string> argv = {"scancel"};
    argv.insert(argv.end(), jobs.begin(), jobs.end());
    const CommandResult r = runCommand(argv, 60);
    if (!r.started) throw Error(r.error);
    if (r.exitCode != 0) throw Error("scancel failed: " + briefText(trimmed(r.err), 600));
    return {jobs.begin(), jobs.end()};
}

}  // namespace trainlab
