#include "instrument_fields.h"

#include <algorithm>

#include "plot_layout.h"

namespace trainlab {

std::string instrumentCostHelp() {
    return "sharpness: λ_max of the loss Hessian on the probe by Lanczos, warm-started from the "
           "last eigenvector: about 1–4 Hessian-vector products once warm (each costs about two "
           "training steps on the probe), up to 40 cold; for Adam the preconditioned sharpness. "
           "hessian_trace: Hutchinson, trace_vectors products. distance: ‖θ − θ₀‖, whole and "
           "per layer (free). update_size: ‖Δθ‖/‖θ‖ of the last step (one parameter copy). "
           "noise_scale: B_simple = tr(Σ)/|G|² from noise_batches gradients (one probe pass). "
           "grad_norms: per-layer gradient norms on the probe (one probe pass). Training is "
           "unchanged; results.json reports the measured cost.";
}

std::string instrumentSeriesId(const std::string& key, const std::string& suffix) {
    std::string k = key;
    std::replace(k.begin(), k.end(), '.', '_');
    return "inst_" + k + "_" + suffix;
}

void addInstrumentPanels(PlotLayout& l, const InstrumentSettings& s, bool adam,
                         bool logSharpness) {
    if (s.has(InstrumentKind::Sharpness))
        l.panels.push_back({"inst_sharpness",
                            adam ? "Preconditioned sharpness λ_max(P⁻¹H) (dashed: 38/η-type "
                                   "threshold)"
                                 : "Sharpness λ_max(H) (dashed: 2/η)",
                            "step", adam ? "λ_max(P⁻¹H)" : "λ_max(H)", "", false,
                            logSharpness});
    if (s.has(InstrumentKind::HessianTrace))
        l.panels.push_back({"inst_trace", "Hessian trace (Hutchinson; dashed: ± 1 s.e.)", "step",
                            "tr H"});
    if (s.has(InstrumentKind::Distance)) {
        l.panels.push_back({"inst_distance", "Distance from initialisation", "step",
                            "‖θ − θ₀‖"});
        l.panels.push_back({"inst_distance_layers", "Distance from initialisation per layer",
                            "step", "‖θ − θ₀‖ (layer)"});
    }
    if (s.has(InstrumentKind::UpdateSize)) {
        l.panels.push_back({"inst_update", "Relative update size", "step", "‖Δθ‖/‖θ‖ (log)", "",
                            false, true});
        l.panels.push_back({"inst_update_layers", "Relative update size per layer", "step",
                            "‖Δθ‖/‖θ‖ (layer, log)", "", false, true});
    }
    if (s.has(InstrumentKind::NoiseScale))
        l.panels.push_back({"inst_noise", "Gradient noise scale B_simple = tr Σ / |G|²", "step",
                            "B_simple (examples, log)", "", false, true});
    if (s.has(InstrumentKind::GradNorms))
        l.panels.push_back({"inst_grad_norms", "Gradient norm per layer (probe)", "step",
                            "‖∇_layer L‖ (log)", "", false, true});
}

namespace {

/// The panel and legend of a key; per-layer keys get the layer's colour.
void addOne(PlotLayout& l, const std::string& key, const InstrumentSeriesStyle& st, int layer,
            int layers) {
    const auto dot = key.find('.');
    const std::string base = key.substr(0, dot), group = dot == std::string::npos ? "" : key.substr(dot + 1);
    std::string panel;
    if (base == "sharpness") panel = "inst_sharpness";
    else if (base.rfind("trace", 0) == 0) panel = "inst_trace";
    else if (base == "distance") panel = group.empty() ? "inst_distance" : "inst_distance_layers";
    else if (base == "update") panel = group.empty() ? "inst_update" : "inst_update_layers";
    else if (base == "noise_scale") panel = "inst_noise";
    else panel = "inst_grad_norms";
    const std::string name = st.name + (group.empty() ? "" : " · " + group) +
                             (base == "trace_lo" ? " − s.e." : base == "trace_hi" ? " + s.e." : "");
    // One model: its layers take the palette; several: each model's layers share its colour.
    const int colour = group.empty() || layers == 0 ? st.colour : st.colour * layers + layer;
    SeriesSpec sp = makeSeries(instrumentSeriesId(key, st.suffix), panel, name, "step", base,
                               colour);
    sp.dashed = base == "trace_lo" || base == "trace_hi";
    l.series.push_back(sp);
}

}  // namespace

void addInstrumentSeries(PlotLayout& l, const InstrumentSettings& s,
                         const std::vector<std::string>& groups, const InstrumentSeriesStyle& st) {
    std::vector<ParamGroup> g;
    for (const auto& n : groups) g.push_back({n, {}});
    const auto keys = instrumentKeys(s, g);
    for (const auto& key : keys) {
        const auto dot = key.find('.');
        int layer = 0;
        if (dot != std::string::npos)
            layer = static_cast<int>(std::find(groups.begin(), groups.end(), key.substr(dot + 1)) -
                                     groups.begin());
        addOne(l, key, st, layer, static_cast<int>(groups.size()));
    }
    if (s.has(InstrumentKind::Sharpness) && std::isfinite(st.threshold)) {
        SeriesSpec t = makeSeries("inst_threshold_" + st.suffix, "inst_sharpness",
                                  st.name + (st.adam ? " (2+2β₁)/((1−β₁)η)" : " 2/η"), "step",
                                  "threshold", st.colour);
        t.dashed = true;
        t.mode = SeriesMode::Replace;
        l.series.push_back(t);
    }
}

void reportThreshold(ExperimentSink& sink, const InstrumentSeriesStyle& st, double maxSteps) {
    if (std::isfinite(st.threshold))
        sink.seriesReplaced("inst_threshold_" + st.suffix, {0.0, maxSteps},
                            {st.threshold, st.threshold});
}

void reportReadings(ExperimentSink& sink, const std::string& suffix, std::int64_t step,
                    const std::vector<InstrumentReading>& readings) {
    const std::vector<double> x{static_cast<double>(step)};
    for (const auto& r : readings) sink.pointsAppended(instrumentSeriesId(r.key, suffix), x, {r.value});
}

nlohmann::json instrumentCost(const InstrumentSet& set, double trainSeconds) {
    const double own = std::max(1e-12, trainSeconds - set.seconds());
    return {{"instrument_seconds", set.seconds()},
            {"hessian_vector_products", set.products()},
            {"measurements", set.measurements()},
            {"instrument_time_fraction", set.seconds() / own}};
}

std::vector<std::string> mlpGroupNames(std::size_t layers) {
    std::vector<std::string> g;
    for (std::size_t i = 0; i < layers; ++i) g.push_back("L" + std::to_string(i + 1));
    return g;
}

}  // namespace trainlab
