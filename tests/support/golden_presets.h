// The built-in presets at the tiny sizes that tests/goldens/<preset>/ were recorded with
// (tests/experiments/tst_goldens.cpp runs `trainlab-cli run <preset> --set …` with these), so
// that a widget test can rebuild each preset's PlotLayout and fill it with the recorded data.
// tst_panel_layout checks that every series file of the goldens belongs to the layout built
// from these settings, so a drift from tst_goldens' table shows as a failure.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace trainlab::testing {

struct GoldenPreset {
    std::string id;
    std::vector<std::string> settings;  ///< "key=value", as given to --set
};

inline std::vector<GoldenPreset> goldenPresets() {
    const std::vector<std::string> fit = {"max_steps=40", "train_grid.count=200",
                                          "val_grid.count=50", "fit_every=10",
                                          "stop.patience=10"};
    const std::vector<std::string> byStep = {"max_steps=40", "train_grid.step=0.05",
                                             "val_grid.count=50", "fit_every=10"};
    const std::vector<std::string> image = {"train_limit=100", "test_limit=50", "epochs=1"};
    const auto plus = [](std::vector<std::string> a, const std::vector<std::string>& b) {
        a.insert(a.end(), b.begin(), b.end());
        return a;
    };
    const std::vector<std::string> interpolation = plus(
        image, {"batch_size=50", "batch_size_2=100", "alpha_points=5", "bn_batches=2",
                "direction_points=3", "direction_images=50", "landscape_points=3",
                "sharpness_steps=2", "sharpness_images=50"});
    return {
        {"1-1-sin-cos", fit},
        {"1-1-sin-cos-patience", fit},
        {"1-1-sinc", fit},
        {"1-1-sinc-patience", fit},
        {"1-2-cnns", plus(image, {"batch_size=50"})},
        {"2-1-weight-pca",
         {"train_limit=100", "epochs=2", "runs=2", "snapshot_every=1", "batch_size=50"}},
        {"2-2-gradient-norm", plus(byStep, {"instruments.0.every=10", "instruments.1.every=20"})},
        {"2-2-gradient-norm-original", byStep},
        {"2-4-edge-of-stability",
         {"points=50", "widths=1,16,16,1", "max_steps=60", "sharpness_every=10"}},
        {"2-3-minimal-ratio",
         {"runs=3", "train_grid.step=0.05", "phase1.max_steps=30", "phase2.max_steps=10"}},
        {"3-1-random-labels", plus(image, {"epochs=2", "batch_size=50"})},
        {"3-2-parameters-quick", plus(image, {"batch_size=50", "nets=1,2"})},
        {"3-2-parameters", plus(image, {"batch_size=50", "nets=1,3"})},
        {"3-3-interpolation", interpolation},
        {"3-3-interpolation-original", interpolation},
        {"3-3-sensitivity",
         plus(image, {"budget=steps", "steps=5", "batch_sizes=10,50", "sensitivity_images=50"})},
    };
}

}  // namespace trainlab::testing
