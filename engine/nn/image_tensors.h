// Image datasets in memory as tensors: uint8 bytes as loaded, float only per batch.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "dataset_catalog.h"
#include "enum_names.h"
#include "raw_images.h"

namespace trainlab {

/// images: [N, C, H, W] uint8; labels: [N] int64.
struct ImageTensors {
    torch::Tensor images;
    torch::Tensor labels;
    std::vector<std::string> classNames;
    std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

/// How a subset of a labelled set is drawn (docs/datasets.md, "Subsets").
/// Stratified: each class in proportion to its share of the source (largest-remainder
/// rounding). Balanced: the same number from every class (a class with too few images gives
/// all it has, the others make up the difference).
enum class SubsetMode { Stratified, Balanced };
inline constexpr EnumName<SubsetMode> kSubsetModeNames[] = {{SubsetMode::Stratified, "stratified"},
                                                            {SubsetMode::Balanced, "balanced"}};
std::string subsetModeName(SubsetMode mode);  ///< "stratified", "balanced"
/// Throws ConfigError naming the text and the choices.
SubsetMode subsetModeFromName(const std::string& name);

/// What a subset is for. Each purpose draws from its own stream of the run's seed, so that
/// changing one limit does not move another subset.
enum class SubsetPurpose : std::uint64_t {
    TrainLimit = 1,
    TestLimit = 2,
    DirectionImages = 3,   ///< 3-3 random-direction profiles and 2-D landscapes
    SharpnessImages = 4,   ///< 3-3 ε-sharpness
    SensitivityImages = 5, ///< 3-3 part 2 sensitivity
    BatchNormImages = 6,   ///< 3-3 BatchNorm re-estimation batches
};
/// The seed of the subset drawn for `purpose` in a run seeded `runSeed`:
/// splitmix64(runSeed + purpose · 0x9e3779b97f4a7c15). Fixed: recorded runs stay reproducible.
std::uint64_t subsetSeed(std::uint64_t runSeed, SubsetPurpose purpose);

/// A drawn subset: which indices, and how many of each class.
struct SubsetDraw {
    std::vector<std::int64_t> indices;    ///< ascending: the source's order is kept
    std::vector<std::int64_t> perClass;   ///< drawn per class
    std::vector<std::int64_t> available;  ///< in the source per class
    std::int64_t requested = 0;           ///< n asked for (<= 0: all)
    std::int64_t sourceSize = 0;
    std::uint64_t seed = 0;
    SubsetMode mode = SubsetMode::Stratified;
    bool whole = true;  ///< every image kept, in the source's order (no limit, or n >= size)
    std::int64_t size() const { return static_cast<std::int64_t>(indices.size()); }
};

/// THE way trainlab keeps fewer images than a set has (limits and evaluation subsets alike;
/// never "the first n", which on class-sorted sources such as image folders is one or two
/// classes). n <= 0 or n >= labels.size(): the whole set (indices 0..N−1, nothing drawn).
/// Otherwise n images: per-class counts by `mode` (ties in the rounding, and which classes
/// get the extra image when n does not divide evenly, go in a seeded random class order),
/// then each class's images chosen uniformly without replacement by a partial Fisher–Yates
/// shuffle driven by std::mt19937_64(seed) (bounded draws by rejection, so the result is the
/// same with every standard library). Deterministic for (labels, n, seed, mode). Throws Error
/// for a label outside [0, numClasses).
SubsetDraw drawSubset(const std::vector<std::int64_t>& labels, std::int64_t numClasses,
                      std::int64_t n, std::uint64_t seed, SubsetMode mode = SubsetMode::Stratified);
/// The same on an int64 label tensor.
SubsetDraw drawSubset(const torch::Tensor& labels, std::int64_t numClasses, std::int64_t n,
                      std::uint64_t seed, SubsetMode mode = SubsetMode::Stratified);
/// The number of classes of a set: its class names, or more when a label is beyond them.
std::int64_t classCount(const ImageTensors& data);
/// Images and labels at draw.indices (shares storage when the draw is the whole set).
ImageTensors takeSubset(const ImageTensors& data, const SubsetDraw& draw);
/// Label histogram of a set, [numClasses] counts (what a subset really holds).
std::vector<std::int64_t> classHistogram(const torch::Tensor& labels, std::int64_t numClasses);
/// True when the labels never decrease: the set is stored grouped by class.
bool labelsClassSorted(const torch::Tensor& labels);
/// "10,000 training images, 1,000 per class (stratified sample of 50,000, seed 123)".
std::string describeSubset(const SubsetDraw& draw, const std::string& what);

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
    SubsetDraw trainSubset, testSubset;  ///< the limits' draws (whole when no limit)
    /// The source stores images grouped by class (image folders, or labels found sorted):
    /// any "first n" of it would hold one or two classes.
    bool classOrderedSource = false;
};

struct ImageDatasetOptions {
    double validationFraction = 0;  ///< [0, 0.5]: held out of train, seeded
    double labelCorruption = 0;     ///< p in [0, 1]: fraction of train labels replaced
    std::uint64_t seed = 0;         ///< seeds the split, the corruption and the limits' draws
    std::int64_t limitTrain = 0;    ///< > 0: keep a drawn subset of n training images
    std::int64_t limitTest = 0;     ///< > 0: keep a drawn subset of n test images
    SubsetMode subset = SubsetMode::Stratified;  ///< how the limits draw (drawSubset)
};

/// Builds an ImageDataset from raw splits. A limit keeps drawSubset(labels, limit,
/// subsetSeed(seed, TrainLimit / TestLimit), subset); the validation split is then taken from
/// that subset, and corruption after the split, so validation labels are always true labels.
/// Throws ConfigError for bad options.
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
