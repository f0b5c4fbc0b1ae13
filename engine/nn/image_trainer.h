// Training and evaluating image classifiers (the CNNs of 1-2, 3-1, 3-2, 3-3) with the modes
// right: train() for every training epoch, eval() for every evaluation, switched every epoch
// (the original called train() once and eval() inside the loop, freezing BatchNorm and
// dropout from epoch 2).
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cnn.h"
#include "enum_names.h"
#include "run_control.h"
#include "image_tensors.h"
#include "trainer.h"

namespace trainlab {

/// Loss, accuracy and confusion matrix of a classifier on a whole split, in eval mode.
struct Evaluation {
    double loss = NAN;      ///< mean cross-entropy
    double accuracy = NAN;  ///< fraction correct
    std::int64_t count = 0;
    torch::Tensor confusion;  ///< [classes, classes] int64: row = true label, column = predicted
};

/// Evaluates `model` on every image of `data` in eval mode without gradients, in batches of
/// `batchSize` (the result does not depend on it), then restores the model's previous mode.
Evaluation evaluateClassifier(CnnImpl& model, const ImageTensors& data,
                              const std::vector<float>& mean, const std::vector<float>& std,
                              std::int64_t batchSize = 500);

/// What the shared classification loop needs of a model: its module (parameters, train/eval
/// mode), its forward pass (images [B, C, H, W] as BatchIterator gives them → logits
/// [B, classes]) and its class count. A CNN passes itself; 2-1's MLP flattens the images.
struct ClassifierNet {
    torch::nn::Module& module;
    std::function<torch::Tensor(const torch::Tensor&)> forward;
    std::int64_t classes = 10;
};

/// The same for any classifier.
Evaluation evaluateClassifier(const ClassifierNet& net, const ImageTensors& data,
                              const std::vector<float>& mean, const std::vector<float>& std,
                              std::int64_t batchSize = 500);

/// Per-class accuracy (the confusion matrix's diagonal over its row sums; NaN for an empty
/// class).
std::vector<double> perClassAccuracy(const torch::Tensor& confusion);

/// How the per-epoch training loss and accuracy are measured.
enum class TrainMetric {
    Running,  ///< mean over the epoch's batches, in train mode, as the weights move (the usual
              ///< printout; free)
    Clean,    ///< one extra evaluation pass over the training set in eval mode after the epoch
};
inline constexpr EnumName<TrainMetric> kTrainMetricNames[] = {{TrainMetric::Running, "running"},
                                                              {TrainMetric::Clean, "clean"}};
std::string trainMetricName(TrainMetric m);                ///< "running", "clean"
TrainMetric trainMetricFromName(const std::string& name);  ///< throws ConfigError

struct ImageTrainOptions {
    OptimizerKind optimizer = OptimizerKind::Adam;
    double lr = 1e-3;
    double momentum = 0;  ///< SGD only
    std::int64_t batchSize = 100;
    int epochs = 20;
    /// Stop early once this many optimizer steps were taken (0: no limit); the epoch in
    /// progress is then evaluated as the last one.
    std::int64_t maxSteps = 0;
    /// Stop after the first epoch whose measured training loss is <= this (0: never).
    double lossTarget = 0;
    std::int64_t evalBatch = 500;
    TrainMetric trainMetric = TrainMetric::Running;
    std::uint64_t seed = 0;       ///< shuffling of the training batches
    std::string label = "model";  ///< names the model in messages ("Model 1")
    /// Epoch e (1-based) shuffles as BatchIterator epoch e − 1 + firstShuffleEpoch: 0 for the
    /// CNN kinds; 1 for 2-1, whose own loop numbered its shuffles from 1 (kept: same numbers).
    int firstShuffleEpoch = 0;
};

struct EpochMetrics {
    int epoch = 0;                                    ///< 1-based
    std::int64_t steps = 0;                           ///< optimizer steps so far
    double trainLoss = NAN, trainAccuracy = NAN;      ///< as chosen by trainMetric
    double runningLoss = NAN, runningAccuracy = NAN;  ///< always measured (free)
    double testLoss = NAN, testAccuracy = NAN;
    double seconds = 0;  ///< wall time of the epoch, evaluation included
};

struct ImageTrainResult {
    std::vector<EpochMetrics> epochs;
    torch::Tensor confusion;  ///< of the last test evaluation
    std::int64_t steps = 0;
    bool cancelled = false;
    bool reachedLossTarget = false;
    double seconds = 0;
    /// The epoch with the highest test accuracy (1-based; 0 when none ran).
    int bestEpoch() const;
    /// The epoch with the lowest test loss (1-based; 0 when none ran).
    int bestLossEpoch() const;
};

/// Called after each epoch's evaluation (the model is in eval mode during the call).
using EpochCallback = std::function<void(const EpochMetrics&, CnnImpl& model)>;
/// Called after each optimizer step with the global step and the model (in train mode).
using StepCallback = std::function<void(std::int64_t step, CnnImpl& model)>;

/// Trains `model` on data.train with cross-entropy, evaluating on data.test after every
/// epoch. Checks control before every step: pause waits, cancel returns what was done. A
/// non-finite loss throws DivergenceError naming options.label, the step and the value.
ImageTrainResult trainImageClassifier(CnnImpl& model, const ImageDataset& data,
                                      const ImageTrainOptions& options, RunControl& control,
                                      const EpochCallback& onEpoch = {},
                                      const StepCallback& onStep = {});

/// Called after each epoch's evaluation (the model is in eval mode during the call).
using ClassifierEpochCallback = std::function<void(const EpochMetrics&)>;
/// Called after each optimizer step with the global step.
using ClassifierStepCallback = std::function<void(std::int64_t step)>;

/// The loop of trainImageClassifier for any classifier, without its CNN-specific checks of
/// the data against the model (the caller's part): the same pause, cancel, divergence
/// (DivergenceError naming options.label and the step), step limit and loss target.
ImageTrainResult trainClassifier(const ClassifierNet& net, const ImageDataset& data,
                                 const ImageTrainOptions& options, RunControl& control,
                                 const ClassifierEpochCallback& onEpoch = {},
                                 const ClassifierStepCallback& onStep = {});

}  // namespace trainlab
