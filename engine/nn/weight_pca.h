// Exact PCA of weight snapshots (science.md 2-1): few snapshots (rows), many weights (columns).
//
// Plain Eigen + std, no torch and no Qt, so it can be tested and reused anywhere. To feed it a
// libtorch module, flatten `module->parameters()` in registration order (for Mlp: layer 0
// weight, layer 0 bias, layer 1 weight, ...), so that the first layer's weight of the
// 784-128-64-10 net is columns [0, 100352) of a 109,386-wide row.
//
// Method. X (n x d) is centred column-wise in double precision. When d >= n the n x n Gram
// matrix G = X~ X~^T is accumulated in double (symmetric rank-k updates over column chunks of
// a few MiB; no d x d matrix is ever formed) and decomposed with SelfAdjointEigenSolver:
// scores = U sqrt(lambda). When d < n the d x d covariance X~^T X~ is decomposed instead and
// scores = X~ V. Explained-variance ratio = lambda_k / trace (trace = sum of all eigenvalues =
// squared Frobenius norm of X~), so the ratios of all components sum to 1.
//
// Size limits and cost (Gram path, n snapshots, d weights, k components):
//   input            4 n d bytes (float; 64 x 109,386 = 28 MB)
//   working memory   n x n doubles twice (Gram matrix + eigenvectors), one column chunk
//                    of n x max(256, 2^19 / n) doubles (4 MiB), d x k doubles for the component
//                    directions (always computed: they fix the sign), d doubles for the mean
//   time             ~ n^2 d flops for G (symmetric update) + n^3 for the eigen-decomposition
//                    + 2 n d k for the directions: 64 x 109,386 takes tens of milliseconds.
//   Practical up to n of a few thousand snapshots (n = 4096: G is 128 MiB and the
//   eigen-solver takes tens of seconds). The covariance path (d < n) needs d x d doubles twice
//   and is meant for small column ranges (d up to a few thousand).
//
// Sign convention. Each component's direction in weight space (the column of `components`) is
// oriented so that its largest-magnitude entry is positive (ties within 1e-6 relative: the
// lowest index wins). The direction does not depend on the order of the rows, so a row
// permutation permutes the scores and flips nothing, even for symmetric trajectories where a
// convention on the scores themselves would be ambiguous. For live refits, where new rows are
// appended, `alignSigns` additionally orients a refit like the previous fit.
//
// Degenerate input. Components beyond the rank of X~ (including every component when n = 1
// or all rows are equal) have score 0, ratio 0 and a zero direction; `scores` always has
// `components` columns, padded with zeros when components > min(n, d). Eigenvalues at or
// below rounding level (<= n_eff * eps * lambda_max) count as zero. Components with equal
// variance are not unique (any rotation of them is a valid answer).
#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace trainlab {

struct PcaResult {
    /// rows = snapshots, cols = components (always the requested number, zero-padded).
    Eigen::MatrixXd scores;
    /// Per component, its share of the total variance (0 when there is no variance).
    Eigen::VectorXd explainedVarianceRatio;
    /// Column means (d); filled only when keepComponents was requested, empty otherwise.
    Eigen::VectorXd mean;
    /// d x k unit directions (principal axes); filled only when keepComponents was requested.
    Eigen::MatrixXd components;
};

enum class PcaMethod {
    Auto,        ///< Gram when dims >= snapshots, covariance otherwise
    Gram,        ///< n x n Gram matrix (few snapshots, many weights)
    Covariance,  ///< d x d covariance matrix (few weights)
};

/// Exact PCA of `snapshots` (rows = snapshots, cols = weights). Throws ConfigError when
/// components < 1 or a weight is NaN/Inf. Zero rows or zero columns give zero scores and
/// ratios.
PcaResult pcaFit(const Eigen::MatrixXf& snapshots, int components, bool keepComponents = false,
                 PcaMethod method = PcaMethod::Auto);

/// Projects `rows` (cols = the fit's dims) onto a fit made with keepComponents = true:
/// (rows - mean) * components. Throws ConfigError when the fit has no components or the
/// widths differ.
Eigen::MatrixXd pcaTransform(const PcaResult& fit, const Eigen::MatrixXf& rows);

/// Flips components of `result` whose scores on the rows it shares with `reference` (the
/// first min(rows) rows, as with an append-only store) point the other way, so a live refit
/// keeps the previous orientation. Components are matched by index.
void alignSigns(PcaResult& result, const PcaResult& reference);

/// Which order a copy of a SnapshotStore lists its snapshots in.
enum class SnapshotOrder {
    Insertion,    ///< as added: an earlier copy's rows are a prefix of a later one's (live
                  ///< refits, aligned with alignSigns)
    RunAndIndex,  ///< sorted by (run, index): the same rows whatever order threads added
                  ///< them (the final fit)
};

/// Metadata of one snapshot: its run, its index in the run (e.g. the epoch), the loss and
/// accuracy at that point.
struct SnapshotMeta {
    int run;
    int index;
    double loss;
    double accuracy;
};

/// An immutable, consistent copy of a SnapshotStore (rows and metadata taken under one lock):
/// row i of a fit belongs to meta[i].
class SnapshotSet {
  public:
    SnapshotSet(std::int64_t dims, std::vector<SnapshotMeta> meta,
                std::vector<std::shared_ptr<const std::vector<float>>> rows);
    std::size_t size() const { return meta_.size(); }
    const std::vector<SnapshotMeta>& meta() const { return meta_; }
    /// PCA of all weights.
    PcaResult fit(int components) const;
    /// PCA of the columns [begin, end) only. Throws ConfigError for an empty or out-of-range
    /// interval.
    PcaResult fitColumns(std::int64_t begin, std::int64_t end, int components) const;

  private:
    std::int64_t dims_;
    std::vector<SnapshotMeta> meta_;
    std::vector<std::shared_ptr<const std::vector<float>>> rows_;
};

/// Thread-safe collection of weight snapshots for live PCA. add() may be called from several
/// training threads; snapshots() takes a consistent copy (pointers to the immutable rows) and
/// fits on it do not block add(). Memory: 4 d bytes per snapshot, plus one copy of the
/// fitted columns during a fit.
class SnapshotStore {
  public:
    using Meta = SnapshotMeta;

    explicit SnapshotStore(std::int64_t dims);  ///< throws ConfigError for dims < 1

    /// Throws ConfigError when weights.size() != dims().
    void add(int run, int index, const std::vector<float>& weights, double loss, double accuracy);
    std::size_t size() const;
    std::int64_t dims() const { return dims_; }

    /// Every snapshot stored so far, rows and metadata from the same moment, in `order`.
    SnapshotSet snapshots(SnapshotOrder order = SnapshotOrder::Insertion) const;

    /// PCA of all weights of every snapshot stored so far (insertion order).
    PcaResult fit(int components) const;
    /// PCA of the columns [begin, end) only (first-layer PCA = columns [0, 100352)). Throws
    /// ConfigError for an empty or out-of-range interval.
    PcaResult fitColumns(std::int64_t begin, std::int64_t end, int components) const;

    /// The metadata, in insertion order. Not safe while another thread calls add(); use
    /// metaCopy() then.
    const std::vector<Meta>& meta() const { return meta_; }
    std::vector<Meta> metaCopy() const;

  private:
    std::int64_t dims_;
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<const std::vector<float>>> rows_;
    std::vector<Meta> meta_;
};

}  // namespace trainlab
