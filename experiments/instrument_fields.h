// The training instruments' settings, panels and recording, shared by every kind that trains
// (issue 17; engine/nn/instrument_set.h measures, docs/instruments.md explains). Includes torch
// headers (through instrument_set.h): only the kinds' sources include it.
#pragma once

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config_fields.h"
#include "experiment.h"
#include "instrument_set.h"

namespace trainlab {

/// The estimated cost of each instrument, for the settings' tooltip.
std::string instrumentCostHelp();

/// Adds `instruments` (a list of {name, every}) and, when that list is not empty (or they are
/// present), `probe_size`, `trace_vectors` and `noise_batches` to a kind's table, stored in the
/// InstrumentSettings that `get` returns. Presets written before issue 17, without
/// instruments, stay valid; a config that lists instruments must give all three.
template <class C, class Get>
void addInstrumentFields(ConfigFields<C>& t, Get get, const std::string& group = "Instruments") {
    ConfigFields<InstrumentRequest> item;
    item.choice(choiceParam("name", "instrument", group, instrumentCostHelp()), kInstrumentNames,
                &InstrumentRequest::kind);
    item.field(integerParam("every", "every", group, 1, 10'000'000, "steps",
                            "Measured after every this many optimizer steps"),
               &InstrumentRequest::every);
    const auto listed = [](const nlohmann::json& j) {
        return j.contains("instruments") && j["instruments"].is_array() &&
               !j["instruments"].empty();
    };
    t.repeated("instruments", "Instrument", 6, item,
               [get](C& c) -> std::vector<InstrumentRequest>& { return get(c).list; },
               std::function<InstrumentRequest(int)>([](int) { return InstrumentRequest{}; }));
    t.fieldWhen(integerParam("probe_size", "Probe examples", group, 0, 1'000'000, "examples",
                             "The fixed, seeded batch every instrument is measured on "
                             "(0 = every training example); cost grows with it"),
                [get](C& c) -> std::int64_t& { return get(c).probeSize; }, listed);
    t.fieldWhen(integerParam("trace_vectors", "Trace vectors", group, 1, 1000, "vectors",
                             "Hutchinson's Rademacher vectors per trace measurement (one "
                             "Hessian-vector product each)"),
                [get](C& c) -> int& { return get(c).traceVectors; }, listed);
    t.fieldWhen(integerParam("noise_batches", "Noise batches", group, 2, 1000, "batches",
                             "The probe is split into this many batches for the gradient "
                             "noise scale (one gradient each)"),
                [get](C& c) -> int& { return get(c).noiseBatches; }, listed);
}

/// The series id of an instrument reading's key for one model: "inst_<key>_<suffix>" with
/// dots as '_' ("inst_distance_L1_m1").
std::string instrumentSeriesId(const std::string& key, const std::string& suffix);

/// What one model's instrument series look like.
struct InstrumentSeriesStyle {
    std::string suffix;  ///< "m1": makes the ids unique per model
    std::string name;    ///< the model's legend name
    int colour = 0;
    double threshold = NAN;  ///< the sharpness threshold line (NaN: none)
    bool adam = false;       ///< the sharpness is the preconditioned one
};

/// Adds the panels `settings` needs (once per run); the sharpness on a log axis when
/// `logSharpness` (a threshold far above the values would otherwise flatten them).
void addInstrumentPanels(PlotLayout& l, const InstrumentSettings& settings, bool adam,
                         bool logSharpness = false);
/// Adds one model's series; `groups` name its parameter groups ("L1", …).
void addInstrumentSeries(PlotLayout& l, const InstrumentSettings& settings,
                         const std::vector<std::string>& groups,
                         const InstrumentSeriesStyle& style);
/// Draws the threshold line of a model's sharpness from step 0 to maxSteps.
void reportThreshold(ExperimentSink& sink, const InstrumentSeriesStyle& style,
                     double maxSteps);
/// Sends readings as points at `step`.
void reportReadings(ExperimentSink& sink, const std::string& suffix, std::int64_t step,
                    const std::vector<InstrumentReading>& readings);
/// The measured cost for results.json: seconds, products, measurements and the fraction of
/// the training time (training seconds without the instruments' own).
nlohmann::json instrumentCost(const InstrumentSet& set, double trainSeconds);

/// The parameter groups' names of an MLP with `layers` Linear layers: "L1" … "L<layers>".
std::vector<std::string> mlpGroupNames(std::size_t layers);

}  // namespace trainlab
