// Image datasets in memory as tensors: uint8 bytes as loaded, float only per batch.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset_catalog.h"
#include "data/raw_images.h"

namespace trainlab {

/// images: [N, C, H, W] uint8; labels: [N] int64.
struct ImageTensors {
    torch::Tensor images;
    torch::Tensor labels;
    std::vector<std::string> classNames;
    std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

/// Copies raw bytes into tensors (one allocation each).
ImageTensors toTensors(const RawImages& raw);
/// Takes over the pixel buffer without copying it (the tensor owns the bytes).
ImageTensors toTensors(RawImages&& raw);

/// A dataset ready for training: train (possibly with corrupted labels), an optional held-out
/// validation split, test, and the per-channel normalisation.
struct ImageDataset {
    std::string id;
    ImageTensors train, validation, test;
    std::vector<float> mean, std;
    std::int64_t corruptedLabels = 0;  ///< how many training labels were replaced
};

struct ImageDatasetOptions {
    double validationFraction = 0;  ///< [0, 0.5]: held out of train, seeded
    double labelCorruption = 0;     ///< p in [0, 1]: fraction of train labels replaced
    std::uint64_t seed = 0;         ///< seeds the split and the corruption (recorded)
    std::int64_t limitTrain = 0;    ///< > 0: keep only the first n training images (tests)
    std::int64_t limitTest = 0;     ///< > 0: keep only the first n test images
};

/// Builds an ImageDataset from raw splits. The validation split is taken before corruption,
/// so validation labels are always true labels. Throws ConfigError for bad options.
ImageDataset makeImageDataset(const RawDataset& raw, const DatasetSpec& spec,
                              const ImageDatasetOptions& options);

/// Replaces round(p·N) labels, chosen by a seeded permutation, by labels drawn uniformly
/// from [0, numClasses) (a replacement may equal the true label, as in Zhang et al. 2017).
/// The same (labels, p, seed) always gives the same result, so two models can share one
/// corrupted set. `replaced` receives the number of positions drawn.
torch::Tensor corruptLabels(const torch::Tensor& labels, double p, std::int64_t numClasses,
                            std::uint64_t seed, std::int64_t* replaced = nullptr);

/// (x/255 − mean[c]) / std[c] for uint8 [N, C, H, W] → float32 [N, C, H, W].
torch::Tensor normaliseImages(const torch::Tensor& bytes, const std::vector<float>& mean,
                              const std::vector<float>& std);

/// Mini-batches by index: a seeded permutation per epoch (or the natural order), the last
/// partial batch kept unless dropLast. Each batch is gathered from the uint8 tensor and
/// normalised in one vectorised pass into reused buffers: no full float copy of the data.
class BatchIterator {
  public:
    BatchIterator(const ImageTensors& data, std::vector<float> mean, std::vector<float> std,
                  std::int64_t batchSize, bool shuffle, std::uint64_t seed, bool dropLast = false);
    /// Starts epoch `epoch` (0-based); its order depends only on (seed, epoch).
    void startEpoch(std::int64_t epoch);
    /// The next batch: x [B, C, H, W] float32 normalised, y [B] int64. False at epoch end.
    bool next(torch::Tensor& x, torch::Tensor& y);
    std::int64_t batchesPerEpoch() const;

  private:
    ImageTensors data_;  // tensors share storage: a cheap copy, no dangling reference
    std::vector<float> mean_, std_;
    std::vector<float> scale_, shift_;  ///< per channel: x·scale + shift normalises byte x
    torch::Tensor xBuf_[2], yBuf_[2];
    unsigned flip_ = 0;
    std::int64_t batchSize_;
    bool shuffle_, dropLast_;
    std::uint64_t seed_;
    torch::Tensor order_;
    std::int64_t cursor_ = 0;
};

}  // namespace trainlab
