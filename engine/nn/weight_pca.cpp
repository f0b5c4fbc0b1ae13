#include "weight_pca.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "errors.h"

namespace trainlab {

namespace {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Eigen::Index;

/// Elements per double work chunk: 2^19 doubles = 4 MiB.
constexpr Index kChunkElements = Index(1) << 19;
/// Relative threshold for "same magnitude" when picking the entry that fixes a sign.
constexpr double kSignTieTolerance = 1e-6;

Index chunkLength(Index other) {
    return std::max<Index>(256, kChunkElements / std::max<Index>(other, 1));
}

void checkComponents(int components) {
    if (components < 1)
        throw ConfigError({"PCA: the number of components must be at least 1, got " +
                           std::to_string(components)});
}

/// Column means accumulated in double, chunk by chunk (no n x d double copy).
template <class M>
Eigen::VectorXd columnMeans(const M& x) {
    const Index n = x.rows(), d = x.cols();
    Eigen::VectorXd mean(d);
    const Index step = chunkLength(n);
    for (Index c = 0; c < d; c += step) {
        const Index b = std::min(step, d - c);
        mean.segment(c, b) =
            x.middleCols(c, b).template cast<double>().colwise().sum().transpose() / double(n);
    }
    return mean;
}

/// Any NaN/Inf in a column makes its double sum non-finite (finite floats cannot overflow a
/// double sum), so the means tell whether a scan is needed.
template <class M>
void checkFinite(const M& x, const Eigen::VectorXd& mean) {
    if (mean.allFinite()) return;
    for (Index j = 0; j < x.cols(); ++j) {
        if (std::isfinite(mean(j))) continue;
        for (Index i = 0; i < x.rows(); ++i) {
            if (!std::isfinite(x(i, j)))
                throw ConfigError({"PCA: snapshot " + std::to_string(i) + ", weight " +
                                   std::to_string(j) + " is not finite (NaN or Inf)"});
        }
    }
}

/// Centred copy of columns [c, c+b) in double.
template <class M>
Eigen::MatrixXd centredColumns(const M& x, const Eigen::VectorXd& mean, Index c, Index b) {
    return x.middleCols(c, b).template cast<double>().rowwise() - mean.segment(c, b).transpose();
}

/// Orients each direction so that its largest-magnitude entry (lowest index among near-ties)
/// is positive; flips the matching score column with it.
void applySignConvention(Eigen::MatrixXd& directions, Eigen::MatrixXd& scores, Index used) {
    for (Index c = 0; c < used; ++c) {
        const double maxAbs = directions.col(c).cwiseAbs().maxCoeff();
        if (!(maxAbs > 0)) continue;
        const double threshold = (1.0 - kSignTieTolerance) * maxAbs;
        for (Index j = 0; j < directions.rows(); ++j) {
            const double v = directions(j, c);
            if (std::abs(v) >= threshold) {
                if (v < 0) {
                    directions.col(c) *= -1.0;
                    scores.col(c) *= -1.0;
                }
                break;
            }
        }
    }
}

/// Number of leading eigenvalues (of `descending`) that are above rounding level.
Index significantCount(const Eigen::VectorXd& descending, Index wanted, Index matrixSize) {
    if (descending.size() == 0) return 0;
    const double top = std::max(descending(0), 0.0);
    const double tol = 64.0 * double(matrixSize) * std::numeric_limits<double>::epsilon() * top;
    Index used = 0;
    while (used < std::min(wanted, descending.size()) && descending(used) > tol &&
           descending(used) > 0)
        ++used;
    return used;
}

/// What a decomposition gives fitImpl: directions (d x k), the first `used` filled;
/// eigenvalues (descending); their sum; scores written into the result.
struct Decomposition {
    Eigen::MatrixXd directions;
    Eigen::VectorXd lambda;
    double trace = 0;
    Index used = 0;
};

/// Few snapshots, many weights: G = X~ X~^T accumulated over column chunks (lower triangle
/// only); scores = U sqrt(lambda), directions V = X~^T U / sqrt(lambda) (unit length).
template <class M>
Decomposition gramPath(const M& x, const Eigen::VectorXd& mean, Index k, Eigen::MatrixXd& scores) {
    const Index n = x.rows(), d = x.cols();
    Decomposition out;
    out.directions = Eigen::MatrixXd::Zero(d, k);
    Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(n, n);
    const Index step = chunkLength(n);
    for (Index c = 0; c < d; c += step) {
        const Index b = std::min(step, d - c);
        const Eigen::MatrixXd chunk = centredColumns(x, mean, c, b);
        gram.selfadjointView<Eigen::Lower>().rankUpdate(chunk);
    }
    out.trace = gram.diagonal().sum();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(gram, Eigen::ComputeEigenvectors);
    out.lambda = solver.eigenvalues().reverse();
    out.used = significantCount(out.lambda, k, n);
    const Index used = out.used;
    if (used == 0) return out;
    Eigen::MatrixXd u(n, used);
    for (Index c = 0; c < used; ++c) u.col(c) = solver.eigenvectors().col(n - 1 - c);
    const Eigen::ArrayXd root = out.lambda.head(used).array().sqrt();
    scores.leftCols(used) = u * root.matrix().asDiagonal();
    const Eigen::MatrixXd w = u * root.inverse().matrix().asDiagonal();
    for (Index c = 0; c < d; c += step) {
        const Index b = std::min(step, d - c);
        out.directions.block(c, 0, b, used).noalias() =
            centredColumns(x, mean, c, b).transpose() * w;
    }
    return out;
}

/// Few weights: C = X~^T X~ accumulated over row chunks (lower triangle only); scores = X~ V.
template <class M>
Decomposition covariancePath(const M& x, const Eigen::VectorXd& mean, Index k,
                             Eigen::MatrixXd& scores) {
    const Index n = x.rows(), d = x.cols();
    Decomposition out;
    out.directions = Eigen::MatrixXd::Zero(d, k);
    Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(d, d);
    const Index step = chunkLength(d);
    auto centredRows = [&](Index r, Index b) -> Eigen::MatrixXd {
        return x.middleRows(r, b).template cast<double>().rowwise() - mean.transpose();
    };
    for (Index r = 0; r < n; r += step) {
        const Index b = std::min(step, n - r);
        const Eigen::MatrixXd chunk = centredRows(r, b);
        cov.selfadjointView<Eigen::Lower>().rankUpdate(chunk.transpose());
    }
    out.trace = cov.diagonal().sum();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(cov, Eigen::ComputeEigenvectors);
    out.lambda = solver.eigenvalues().reverse();
    out.used = significantCount(out.lambda, k, d);
    for (Index c = 0; c < out.used; ++c)
        out.directions.col(c) = solver.eigenvectors().col(d - 1 - c);
    if (out.used > 0) {
        for (Index r = 0; r < n; r += step) {
            const Index b = std::min(step, n - r);
            scores.block(r, 0, b, out.used).noalias() =
                centredRows(r, b) * out.directions.leftCols(out.used);
        }
    }
    return out;
}

template <class M>
PcaResult fitImpl(const M& x, int components, bool keepComponents, PcaMethod method) {
    checkComponents(components);
    const Index n = x.rows(), d = x.cols(), k = components;

    PcaResult result;
    result.scores = Eigen::MatrixXd::Zero(n, k);
    result.explainedVarianceRatio = Eigen::VectorXd::Zero(k);
    if (n == 0 || d == 0) {
        if (keepComponents) {
            result.mean = Eigen::VectorXd::Zero(d);
            result.components = Eigen::MatrixXd::Zero(d, k);
        }
        return result;
    }

    const Eigen::VectorXd mean = columnMeans(x);
    checkFinite(x, mean);

    if (method == PcaMethod::Auto) method = d >= n ? PcaMethod::Gram : PcaMethod::Covariance;
    Decomposition dec = method == PcaMethod::Gram ? gramPath(x, mean, k, result.scores)
                                                  : covariancePath(x, mean, k, result.scores);
    if (dec.trace > 0)
        for (Index c = 0; c < dec.used; ++c)
            result.explainedVarianceRatio(c) = dec.lambda(c) / dec.trace;
    applySignConvention(dec.directions, result.scores, dec.used);

    if (keepComponents) {
        result.mean = mean;
        result.components = std::move(dec.directions);
    }
    return result;
}

}  // namespace

PcaResult pcaFit(const Eigen::MatrixXf& snapshots, int components, bool keepComponents,
                 PcaMethod method) {
    return fitImpl(snapshots, components, keepComponents, method);
}

Eigen::MatrixXd pcaTransform(const PcaResult& fit, const Eigen::MatrixXf& rows) {
    const Index d = fit.mean.size();
    if (d == 0 || fit.components.rows() != d || fit.components.cols() == 0)
        throw ConfigError({"PCA transform: the fit has no components (fit with keepComponents)"});
    if (rows.cols() != d)
        throw ConfigError({"PCA transform: rows have " + std::to_string(rows.cols()) +
                           " weights, the fit " + std::to_string(d)});
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(rows.rows(), fit.components.cols());
    const Index step = chunkLength(rows.rows());
    for (Index c = 0; c < d; c += step) {
        const Index b = std::min(step, d - c);
        out.noalias() += centredColumns(rows, fit.mean, c, b) * fit.components.middleRows(c, b);
    }
    return out;
}

void alignSigns(PcaResult& result, const PcaResult& reference) {
    const Index rows = std::min(result.scores.rows(), reference.scores.rows());
    const Index cols = std::min(result.scores.cols(), reference.scores.cols());
    for (Index c = 0; c < cols; ++c) {
        const double dot = result.scores.col(c).head(rows).dot(reference.scores.col(c).head(rows));
        if (dot < 0) {
            result.scores.col(c) *= -1.0;
            if (c < result.components.cols()) result.components.col(c) *= -1.0;
        }
    }
}

// ---------------------------------------------------------------------------------------------

SnapshotStore::SnapshotStore(std::int64_t dims) : dims_(dims) {
    if (dims < 1)
        throw ConfigError({"SnapshotStore: dims must be at least 1, got " + std::to_string(dims)});
}

void SnapshotStore::add(int run, int index, const std::vector<float>& weights, double loss,
                        double accuracy) {
    if (static_cast<std::int64_t>(weights.size()) != dims_)
        throw ConfigError({"SnapshotStore: snapshot of run " + std::to_string(run) + ", index " +
                           std::to_string(index) + " has " + std::to_string(weights.size()) +
                           " weights, expected " + std::to_string(dims_)});
    auto row = std::make_shared<const std::vector<float>>(weights);  // copy outside the lock
    std::lock_guard<std::mutex> lock(mutex_);
    rows_.push_back(std::move(row));
    meta_.push_back(Meta{run, index, loss, accuracy});
}

std::size_t SnapshotStore::size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return rows_.size();
}

std::vector<SnapshotStore::Meta> SnapshotStore::metaCopy() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return meta_;
}

SnapshotSet SnapshotStore::snapshots(SnapshotOrder order) const {
    std::vector<Meta> meta;
    std::vector<std::shared_ptr<const std::vector<float>>> rows;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        meta = meta_;
        rows = rows_;  // rows are immutable once added: copying the pointers is a consistent copy
    }
    if (order == SnapshotOrder::RunAndIndex) {
        std::vector<std::size_t> perm(meta.size());
        for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = i;
        std::stable_sort(perm.begin(), perm.end(), [&](std::size_t a, std::size_t b) {
            return std::make_pair(meta[a].run, meta[a].index) <
                   std::make_pair(meta[b].run, meta[b].index);
        });
        std::vector<Meta> sortedMeta;
        std::vector<std::shared_ptr<const std::vector<float>>> sortedRows;
        for (const std::size_t i : perm) {
            sortedMeta.push_back(meta[i]);
            sortedRows.push_back(rows[i]);
        }
        meta.swap(sortedMeta);
        rows.swap(sortedRows);
    }
    return SnapshotSet(dims_, std::move(meta), std::move(rows));
}

PcaResult SnapshotStore::fit(int components) const {
    return snapshots().fit(components);
}

PcaResult SnapshotStore::fitColumns(std::int64_t begin, std::int64_t end, int components) const {
    return snapshots().fitColumns(begin, end, components);
}

SnapshotSet::SnapshotSet(std::int64_t dims, std::vector<SnapshotMeta> meta,
                         std::vector<std::shared_ptr<const std::vector<float>>> rows)
    : dims_(dims), meta_(std::move(meta)), rows_(std::move(rows)) {}

PcaResult SnapshotSet::fit(int components) const {
    return fitColumns(0, dims_, components);
}

PcaResult SnapshotSet::fitColumns(std::int64_t begin, std::int64_t end, int components) const {
    checkComponents(components);
    if (begin < 0 || end > dims_ || begin >= end)
        throw ConfigError({"SnapshotStore: column range [" + std::to_string(begin) + ", " +
                           std::to_string(end) + ") is empty or outside [0, " +
                           std::to_string(dims_) + ")"});
    const Index n = static_cast<Index>(rows_.size());
    const Index width = static_cast<Index>(end - begin);
    RowMatrixXf x(n, width);
    for (Index i = 0; i < n; ++i)
        std::memcpy(x.row(i).data(), rows_[i]->data() + begin, sizeof(float) * width);
    return fitImpl(x, components, false, PcaMethod::Auto);
}

}  // namespace trainlab
