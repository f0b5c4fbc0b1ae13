// A run folder's records (status.json, panels.json, config.json, results.json, metrics CSVs,
// grid CSVs, point labels) as trainlab reads them when it reopens or lists runs: arbitrary
// bytes must give a value or a trainlab::Error, never a crash. The first byte picks the file.
#include <cstdint>
#include <filesystem>

#include "errors.h"
#include "run_directory.h"
#include "fuzz_common.h"
#include "csv.h"
#include "run_listing.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static const fs::path root = [] {
        const fs::path r = fuzz::scratchDir() / "runs";
        fs::create_directories(r / "run" / "metrics");
        return r;
    }();
    const fs::path dir = root / "run";
    const trainlab::RunDirectory run(dir);
    const char* files[] = {"status.json", "panels.json", "config.json", "results.json"};
    const int which = data[0] % 7;
    const std::uint8_t* body = data + 1;
    const std::size_t n = size - 1;
    try {
        if (which < 4) {
            for (const char* f : files) fs::remove(dir / f);
            fuzz::writeInput(dir / files[which], body, n);
            switch (which) {
                case 0:
                    (void)run.readStatus();
                    (void)trainlab::listRuns(root);
                    break;
                case 1:
                    (void)run.readLayout();
                    (void)run.readAllSeries();
                    break;
                case 2:
                    (void)run.readConfig();
                    break;
                default:
                    (void)run.readResults();
            }
        } else if (which == 4) {
            fuzz::writeInput(run.seriesPath("s"), body, n);
            const trainlab::Series s = trainlab::readSeriesCsv(run.seriesPath("s"));
            if (s.x.size() != s.y.size()) __builtin_trap();
        } else if (which == 5) {
            fuzz::writeInput(run.seriesPath("g"), body, n);
            const trainlab::Grid g = trainlab::readGridCsv(run.seriesPath("g"));
            if (!trainlab::gridFault(g).empty()) __builtin_trap();  // accepted means consistent
        } else {
            fuzz::writeInput(run.labelsPath("s"), body, n);
            (void)trainlab::readSeriesLabels(run.labelsPath("s"));
        }
    } catch (const trainlab::Error&) {
    }
    return 0;
}
