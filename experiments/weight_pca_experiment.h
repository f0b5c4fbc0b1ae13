// "Visualize the optimization process" (2-1): independent trainings of an MLP on MNIST (or
// Fashion-MNIST), weight snapshots during training, one exact PCA fitted jointly on every
// run's snapshots (whole model and first layer), trajectories drawn live.
//
// Includes torch headers (through the engine's types): only the kind's source and its tests
// include it. The kind registers itself; nothing else needs it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config_fields.h"
#include "experiment.h"
#include "image_tensors.h"
#include "mlp.h"
#include "trainer.h"

namespace trainlab {

/// The typed config of kind "weight_pca" (keys: weightPcaFields(), docs/presets.md).
struct WeightPcaConfig {
    std::string dataset = "mnist";
    std::int64_t trainLimit = 0;  ///< 0 = the whole training set
    SubsetMode subset = SubsetMode::Stratified;
    std::vector<std::int64_t> hidden;  ///< between the 784 inputs and the 10 outputs
    OptimizerKind optimizer = OptimizerKind::SGD;
    double lr = 1e-3;
    double momentum = 0;  ///< SGD only
    std::int64_t batchSize = 100;
    int epochs = 24;
    int runs = 8;
    int snapshotEvery = 3;  ///< epochs between weight snapshots
    bool includeInitial = false;
    std::uint64_t seed = 1;
    bool parallel = true;

    /// 784, hidden…, 10 with ReLU.
    MlpSpec mlpSpec() const;
    /// Snapshots each run takes: epochs / snapshotEvery, plus one with includeInitial.
    std::int64_t snapshotsPerRun() const;
};

/// The field table: the schema and the reader of WeightPcaConfig.
const ConfigFields<WeightPcaConfig>& weightPcaFields();

/// Reads `config` once: schema validation, then the model check. Throws ConfigError listing
/// every problem.
WeightPcaConfig readWeightPcaConfig(const nlohmann::json& config);

/// Kind id "weight_pca".
ExperimentKind weightPcaKind();

}  // namespace trainlab
