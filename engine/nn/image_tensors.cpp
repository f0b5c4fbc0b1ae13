#include "image_tensors.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "errors.h"
#include "read_util.h"

namespace trainlab {

std::string subsetModeName(SubsetMode mode) { return nameOf(kSubsetModeNames, mode); }

SubsetMode subsetModeFromName(const std::string& name) {
    return parseName(kSubsetModeNames, name, "subset mode");
}

std::uint64_t subsetSeed(std::uint64_t runSeed, SubsetPurpose purpose) {
    // splitmix64 (Steele et al. 2014) of the run's seed moved along a per-purpose stream.
    std::uint64_t z = runSeed + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(purpose);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

namespace {
// Uniform in [0, bound) from mt19937_64 by rejection: unlike std::uniform_int_distribution,
// whose algorithm each standard library chooses, the same on every platform.
std::uint64_t uniformBelow(std::mt19937_64& rng, std::uint64_t bound) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;  // a multiple of bound
    std::uint64_t r;
    do r = rng();
    while (r >= limit);
    return r % bound;
}

/// Labels as a contiguous int64 tensor, for reading through data_ptr.
torch::Tensor int64Labels(const torch::Tensor& labels) {
    return labels.to(torch::kInt64).contiguous();
}
}  // namespace

namespace {

/// Each class's image indices, in the source's order; throws Error for a label outside
/// [0, numClasses).
std::vector<std::vector<std::int64_t>> membersByClass(const std::vector<std::int64_t>& labels,
                                                      std::int64_t numClasses) {
    std::vector<std::vector<std::int64_t>> members(static_cast<size_t>(numClasses));
    for (size_t i = 0; i < labels.size(); ++i) {
        const std::int64_t l = labels[i];
        if (l < 0 || l >= numClasses)
            throw Error("label " + std::to_string(l) + " of image " + std::to_string(i) +
                        " is outside [0, " + std::to_string(numClasses) + ")");
        members[static_cast<size_t>(l)].push_back(static_cast<std::int64_t>(i));
    }
    return members;
}

/// Largest remainder (Hamilton): floor(n·a_k/N), then one more to the largest remainders
/// (ties in `classOrder`). n < N keeps every quota <= a_k.
std::vector<std::int64_t> stratifiedQuota(const std::vector<std::int64_t>& available,
                                          std::int64_t n, std::int64_t N,
                                          const std::vector<size_t>& classOrder) {
    const size_t K = available.size();
    std::vector<std::int64_t> quota(K, 0), remainder(K, 0);
    std::int64_t given = 0;
    for (size_t k = 0; k < K; ++k) {
        quota[k] = n * available[k] / N;  // n < N <= 10^7 images: no overflow
        remainder[k] = n * available[k] % N;
        given += quota[k];
    }
    std::vector<size_t> byRemainder = classOrder;
    std::stable_sort(byRemainder.begin(), byRemainder.end(),
                     [&](size_t a, size_t b) { return remainder[a] > remainder[b]; });
    for (size_t i = 0; given < n && i < K; ++i) {
        const size_t k = byRemainder[i];
        if (quota[k] < available[k]) {
            ++quota[k];
            ++given;
        }
    }
    return quota;
}

/// Equal shares; a class short of its share gives all it has and the rest is shared again
/// among the others (in `classOrder`), until n is placed (n < N, so it always is).
std::vector<std::int64_t> balancedQuota(const std::vector<std::int64_t>& available,
                                        std::int64_t n, const std::vector<size_t>& classOrder) {
    std::vector<std::int64_t> quota(available.size(), 0);
    std::int64_t left = n;
    while (left > 0) {
        std::vector<size_t> open;
        for (size_t k : classOrder)
            if (quota[k] < available[k]) open.push_back(k);
        if (open.empty()) break;  // unreachable for n < N
        const auto share = left / static_cast<std::int64_t>(open.size());
        if (share == 0) {
            for (size_t i = 0; i < static_cast<size_t>(left); ++i) ++quota[open[i]];
            break;
        }
        for (size_t k : open) {
            const std::int64_t add = std::min(share, available[k] - quota[k]);
            quota[k] += add;
            left -= add;
        }
    }
    return quota;
}

}  // namespace

SubsetDraw drawSubset(const std::vector<std::int64_t>& labels, std::int64_t numClasses,
                      std::int64_t n, std::uint64_t seed, SubsetMode mode) {
    if (numClasses < 1)
        throw ConfigError({"a subset needs at least one class (got " +
                           std::to_string(numClasses) + ")"});
    SubsetDraw d;
    d.requested = n;
    d.seed = seed;
    d.mode = mode;
    d.sourceSize = static_cast<std::int64_t>(labels.size());
    auto members = membersByClass(labels, numClasses);
    for (const auto& m : members) d.available.push_back(static_cast<std::int64_t>(m.size()));
    const std::int64_t N = d.sourceSize;
    if (n <= 0 || n >= N) {
        d.whole = true;
        d.indices.resize(static_cast<size_t>(N));
        std::iota(d.indices.begin(), d.indices.end(), std::int64_t{0});
        d.perClass = d.available;
        return d;
    }
    d.whole = false;
    std::mt19937_64 rng(seed);
    // A seeded class order breaks ties, so no class is favoured by its index.
    const auto K = static_cast<size_t>(numClasses);
    std::vector<size_t> classOrder(K);
    std::iota(classOrder.begin(), classOrder.end(), size_t{0});
    for (size_t i = K; i > 1; --i) std::swap(classOrder[i - 1], classOrder[uniformBelow(rng, i)]);
    const std::vector<std::int64_t> quota = mode == SubsetMode::Stratified
                                                ? stratifiedQuota(d.available, n, N, classOrder)
                                                : balancedQuota(d.available, n, classOrder);
    // Within each class: a partial Fisher-Yates shuffle picks quota[k] members uniformly.
    for (size_t k = 0; k < K; ++k) {
        auto& m = members[k];
        const auto size = static_cast<std::uint64_t>(m.size());
        for (std::uint64_t i = 0; i < static_cast<std::uint64_t>(quota[k]); ++i) {
            const std::uint64_t j = i + uniformBelow(rng, size - i);
            std::swap(m[i], m[j]);
            d.indices.push_back(m[i]);
        }
    }
    std::sort(d.indices.begin(), d.indices.end());
    d.perClass = quota;
    return d;
}

SubsetDraw drawSubset(const torch::Tensor& labels, std::int64_t numClasses, std::int64_t n,
                      std::uint64_t seed, SubsetMode mode) {
    const auto l = int64Labels(labels);
    const auto* p = l.data_ptr<std::int64_t>();
    return drawSubset(std::vector<std::int64_t>(p, p + l.numel()), numClasses, n, seed, mode);
}

std::int64_t classCount(const ImageTensors& data) {
    auto classes = static_cast<std::int64_t>(data.classNames.size());
    if (data.size() > 0) classes = std::max(classes, data.labels.max().item<std::int64_t>() + 1);
    return classes;
}

ImageTensors takeSubset(const ImageTensors& data, const SubsetDraw& draw) {
    if (draw.whole) return data;
    const auto idx = torch::tensor(draw.indices, torch::kLong);
    return {data.images.index_select(0, idx), data.labels.index_select(0, idx), data.classNames};
}

std::vector<std::int64_t> classHistogram(const torch::Tensor& labels, std::int64_t numClasses) {
    std::vector<std::int64_t> h(static_cast<size_t>(std::max<std::int64_t>(0, numClasses)), 0);
    if (!labels.defined()) return h;
    const auto l = int64Labels(labels);
    const auto* p = l.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < l.numel(); ++i)
        if (p[i] >= 0 && p[i] < numClasses) ++h[static_cast<size_t>(p[i])];
    return h;
}

bool labelsClassSorted(const torch::Tensor& labels) {
    if (!labels.defined() || labels.numel() < 2) return false;
    const auto l = int64Labels(labels);
    const auto* p = l.data_ptr<std::int64_t>();
    for (std::int64_t i = 1; i < l.numel(); ++i)
        if (p[i] < p[i - 1]) return false;
    return p[0] != p[l.numel() - 1];  // one class only is not "sorted by class"
}

std::string describeSubset(const SubsetDraw& d, const std::string& what) {
    auto commas = [](std::int64_t v) { return detail::withCommas(static_cast<std::uint64_t>(v)); };
    std::string s = commas(d.size()) + " " + what;
    std::int64_t lo = INT64_MAX, hi = 0;
    for (auto c : d.perClass)
        if (c > 0) {
            lo = std::min(lo, c);
            hi = std::max(hi, c);
        }
    if (hi > 0)
        s += lo == hi ? ", " + commas(lo) + " per class"
                      : ", " + commas(lo) + "–" + commas(hi) + " per class";
    if (d.whole)
        s += " (all)";
    else
        s += " (" + subsetModeName(d.mode) + " sample of " + commas(d.sourceSize) +
             ", seed " + std::to_string(d.seed) + ")";
    return s;
}

ImageTensors toTensors(const RawImages& raw) {
    ImageTensors t;
    t.images = torch::empty({raw.n, raw.c, raw.h, raw.w}, torch::kUInt8);
    if (!raw.pixels.empty())
        std::memcpy(t.images.data_ptr<std::uint8_t>(), raw.pixels.data(), raw.pixels.size());
    t.labels = torch::empty({raw.n}, torch::kInt64);
    auto* l = t.labels.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < raw.n; ++i) l[i] = raw.labels[static_cast<size_t>(i)];
    t.classNames = raw.classNames;
    return t;
}

ImageTensors toTensors(RawImages&& raw) {
    ImageTensors t;
    auto* bytes = new std::vector<std::uint8_t>(std::move(raw.pixels));
    t.images = torch::from_blob(
        bytes->data(), {raw.n, raw.c, raw.h, raw.w}, [bytes](void*) { delete bytes; },
        torch::kUInt8);
    t.labels = torch::empty({raw.n}, torch::kInt64);
    auto* l = t.labels.data_ptr<std::int64_t>();
    for (std::int64_t i = 0; i < raw.n; ++i) l[i] = raw.labels[static_cast<size_t>(i)];
    t.classNames = std::move(raw.classNames);
    raw.n = 0;
    raw.labels.clear();
    return t;
}

torch::Tensor corruptLabels(const torch::Tensor& labels, double p, std::int64_t numClasses,
                            std::uint64_t seed, std::int64_t* replaced) {
    if (!(p >= 0 && p <= 1))
        throw ConfigError({"label corruption p = " + std::to_string(p) + " must be in [0, 1]"});
    if (numClasses < 2) throw ConfigError({"label corruption needs at least 2 classes"});
    const std::int64_t n = labels.size(0);
    const auto k = static_cast<std::int64_t>(std::llround(p * static_cast<double>(n)));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto out = labels.clone();
    const auto idx = torch::randperm(n, gen, torch::kLong).narrow(0, 0, k);
    const auto fresh = torch::randint(0, numClasses, {k}, gen, torch::kLong);
    out.index_put_({idx}, fresh);
    if (replaced) *replaced = k;
    return out;
}

torch::Tensor normaliseImages(const torch::Tensor& bytes, const std::vector<float>& mean,
                              const std::vector<float>& std) {
    const auto c = bytes.size(1);
    auto m = torch::tensor(mean).view({1, c, 1, 1});
    auto s = torch::tensor(std).view({1, c, 1, 1});
    return (bytes.to(torch::kFloat32).div_(255.0f) - m) / s;
}

namespace {
// Vectorised at O3 (GCC's -O2 leaves this loop scalar): bytes → floats, 8 or 16 per instruction.
__attribute__((optimize("O3"))) void scaleBytes(const std::uint8_t* __restrict s,
                                                float* __restrict d, std::int64_t n, float scale,
                                                float shift) {
    for (std::int64_t k = 0; k < n; ++k) d[k] = static_cast<float>(s[k]) * scale + shift;
}

ImageTensors take(const ImageTensors& t, const torch::Tensor& idx) {
    return {t.images.index_select(0, idx), t.labels.index_select(0, idx), t.classNames};
}
}  // namespace

ImageDataset makeImageDataset(const RawDataset& raw, const DatasetSpec& spec,
                              const ImageDatasetOptions& o) {
    std::vector<std::string> problems;
    if (!(o.validationFraction >= 0 && o.validationFraction <= 0.5))
        problems.push_back("validation fraction " + std::to_string(o.validationFraction) +
                           " must be in [0, 0.5]");
    if (!(o.labelCorruption >= 0 && o.labelCorruption <= 1))
        problems.push_back("label corruption " + std::to_string(o.labelCorruption) +
                           " must be in [0, 1]");
    if (!problems.empty()) throw ConfigError(problems);
    ImageDataset d;
    d.id = raw.id;
    d.mean = spec.mean;
    d.std = spec.std;
    const auto classes = static_cast<std::int64_t>(spec.classNames.size());
    d.test = toTensors(raw.test);
    ImageTensors all = toTensors(raw.train);
    d.classOrderedSource = raw.train.classOrdered || raw.test.classOrdered ||
                           labelsClassSorted(all.labels) || labelsClassSorted(d.test.labels);
    // Limits draw (never "the first n": on a class-sorted source that is one or two classes).
    d.testSubset = drawSubset(d.test.labels, classes, o.limitTest,
                              subsetSeed(o.seed, SubsetPurpose::TestLimit), o.subset);
    d.test = takeSubset(d.test, d.testSubset);
    d.trainSubset = drawSubset(all.labels, classes, o.limitTrain,
                               subsetSeed(o.seed, SubsetPurpose::TrainLimit), o.subset);
    all = takeSubset(all, d.trainSubset);
    if (o.validationFraction > 0) {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed ^ 0x5851f42d4c957f2dULL);
        const auto perm = torch::randperm(all.size(), gen, torch::kLong);
        const auto nVal = static_cast<std::int64_t>(
            std::llround(o.validationFraction * static_cast<double>(all.size())));
        // Sorted indices keep the subsets in file order, which keeps them easy to inspect.
        d.validation = take(all, std::get<0>(perm.narrow(0, 0, nVal).sort()));
        d.train = take(all, std::get<0>(perm.narrow(0, nVal, all.size() - nVal).sort()));
    } else {
        d.train = std::move(all);
    }
    if (o.labelCorruption > 0)
        d.train.labels = corruptLabels(d.train.labels, o.labelCorruption,
                                       static_cast<std::int64_t>(spec.classNames.size()), o.seed,
                                       &d.corruptedLabels);
    return d;
}

BatchIterator::BatchIterator(const ImageTensors& data, std::vector<float> mean,
                             std::vector<float> std, std::int64_t batchSize, bool shuffle,
                             std::uint64_t seed, bool dropLast)
    : data_(data),
      mean_(std::move(mean)),
      std_(std::move(std)),
      batchSize_(batchSize),
      shuffle_(shuffle),
      dropLast_(dropLast),
      seed_(seed) {
    if (batchSize < 1)
        throw ConfigError({"batch size " + std::to_string(batchSize) + " must be >= 1"});
    const auto c = data.images.size(1);
    if (static_cast<std::int64_t>(mean_.size()) != c || static_cast<std::int64_t>(std_.size()) != c)
        throw ConfigError({"normalisation has " + std::to_string(mean_.size()) +
                           " channels, the images " + std::to_string(c)});
    // (x/255 − m)/s = x·(1/(255 s)) + (−m/s): one multiply-add per pixel.
    std::vector<float> scale(c), shift(c);
    for (std::int64_t i = 0; i < c; ++i) {
        scale[i] = 1.0f / (255.0f * std_[i]);
        shift[i] = -mean_[i] / std_[i];
    }
    scale_ = scale;
    shift_ = shift;
    if (!data_.images.is_contiguous()) data_.images = data_.images.contiguous();
    if (!data_.labels.is_contiguous()) data_.labels = data_.labels.contiguous();
    startEpoch(0);
}

void BatchIterator::startEpoch(std::int64_t epoch) {
    const auto n = data_.size();
    if (shuffle_) {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(
            seed_ + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(epoch + 1));
        order_ = torch::randperm(n, gen, torch::kLong);
    } else {
        order_ = torch::arange(n, torch::kLong);
    }
    cursor_ = 0;
}

std::int64_t BatchIterator::batchesPerEpoch() const {
    const auto n = data_.size();
    return dropLast_ ? n / batchSize_ : (n + batchSize_ - 1) / batchSize_;
}

bool BatchIterator::next(torch::Tensor& x, torch::Tensor& y) {
    const auto n = data_.size();
    const auto left = n - cursor_;
    if (left <= 0 || (dropLast_ && left < batchSize_)) return false;
    const auto b = std::min(batchSize_, left);
    const auto* idx = order_.data_ptr<std::int64_t>() + cursor_;
    cursor_ += b;
    // Gather and normalise in one pass: no intermediate uint8 or float copies.
    const auto c = data_.images.size(1);
    const auto plane = data_.images.size(2) * data_.images.size(3);
    // Two alternating buffers: the caller usually still holds the previous batch. A buffer is
    // reused only when nobody else references it, so a batch kept by the caller stays intact.
    auto acquire = [&](torch::Tensor* bufs, c10::IntArrayRef sizes, c10::ScalarType type) {
        for (int k = 0; k < 2; ++k) {
            torch::Tensor& t = bufs[(flip_ + k) % 2];
            if (t.defined() && t.use_count() == 1 && t.sizes() == sizes) return t;
        }
        torch::Tensor& slot = bufs[flip_ % 2];
        slot = torch::empty(sizes, type);
        return slot;
    };
    ++flip_;
    x = acquire(xBuf_, {b, c, data_.images.size(2), data_.images.size(3)}, torch::kFloat32);
    y = acquire(yBuf_, {b}, torch::kInt64);
    const auto* src = data_.images.data_ptr<std::uint8_t>();
    const auto* labels = data_.labels.data_ptr<std::int64_t>();
    float* dst = x.data_ptr<float>();
    auto* out = y.data_ptr<std::int64_t>();
    const std::int64_t imageBytes = c * plane;
    constexpr std::int64_t kAhead = 4;  // images are scattered: fetch a few ahead
    for (std::int64_t i = 0; i < std::min(b, kAhead); ++i)
        for (std::int64_t o = 0; o < imageBytes; o += 64)
            __builtin_prefetch(src + idx[i] * imageBytes + o);
    for (std::int64_t i = 0; i < b; ++i) {
        if (i + kAhead < b)
            for (std::int64_t o = 0; o < imageBytes; o += 64)
                __builtin_prefetch(src + idx[i + kAhead] * imageBytes + o);
        const std::uint8_t* s = src + idx[i] * imageBytes;
        for (std::int64_t ch = 0; ch < c; ++ch) {
            scaleBytes(s, dst, plane, scale_[static_cast<size_t>(ch)],
                       shift_[static_cast<size_t>(ch)]);
            s += plane;
            dst += plane;
        }
        out[i] = labels[idx[i]];
    }
    // Start fetching the next batch's first images while the caller trains on this one.
    for (std::int64_t i = b; i < std::min(b + kAhead, n - cursor_ + b); ++i)
        for (std::int64_t o = 0; o < imageBytes; o += 64)
            __builtin_prefetch(src + idx[i] * imageBytes + o);
    return true;
}

}  // namespace trainlab
