#include "instruments.h"

#include <Eigen/Eigenvalues>
#include <cmath>
#include <random>
#include <string>

#include "errors.h"

namespace trainlab {

namespace {

void checkEigenArgs(const char* where, std::int64_t dim, const EigenOptions& o) {
    std::vector<std::string> p;
    if (dim < 1) p.push_back(std::string(where) + ": dimension " + std::to_string(dim) + " < 1");
    if (o.maxProducts < 1)
        p.push_back(std::string(where) + ": maxProducts " + std::to_string(o.maxProducts) + " < 1");
    if (!(o.tol >= 0)) p.push_back(std::string(where) + ": tol must be >= 0");
    if (!p.empty()) throw ConfigError(p);
}

/// The warm start when usable (right size, finite, non-zero), else a seeded Gaussian; unit norm.
Eigen::VectorXd startVector(std::int64_t dim, const Eigen::VectorXd* warm, std::uint64_t seed) {
    if (warm && warm->size() == dim && warm->allFinite() && warm->norm() > 0)
        return warm->normalized();
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> normal;
    Eigen::VectorXd v(dim);
    for (std::int64_t i = 0; i < dim; ++i) v(i) = normal(gen);
    return v.normalized();
}

Eigen::VectorXd apply(const HvpFn& hvp, const Eigen::VectorXd& v, const char* where) {
    Eigen::VectorXd w = hvp(v);
    if (w.size() != v.size())
        throw ConfigError({std::string(where) + ": the operator returned " +
                           std::to_string(w.size()) + " entries, expected " +
                           std::to_string(v.size())});
    return w;
}

}  // namespace

EigenEstimate powerIteration(const HvpFn& hvp, std::int64_t dim, const Eigen::VectorXd* warm,
                             const EigenOptions& o) {
    checkEigenArgs("powerIteration", dim, o);
    EigenEstimate e;
    Eigen::VectorXd v = startVector(dim, warm, o.seed);
    for (int k = 0; k < o.maxProducts; ++k) {
        const Eigen::VectorXd w = apply(hvp, v, "powerIteration");
        ++e.products;
        e.value = v.dot(w);
        e.vector = v;
        const double residual = (w - e.value * v).norm();
        const double wn = w.norm();
        if (residual <= o.tol * std::abs(e.value) || wn == 0) {
            e.converged = true;
            break;
        }
        v = w / wn;
    }
    return e;
}

EigenEstimate lanczosLargest(const HvpFn& hvp, std::int64_t dim, const Eigen::VectorXd* warm,
                             const EigenOptions& o) {
    checkEigenArgs("lanczosLargest", dim, o);
    const int kMax = static_cast<int>(std::min<std::int64_t>(o.maxProducts, dim));
    Eigen::MatrixXd basis(dim, kMax);
    std::vector<double> alpha, beta;
    Eigen::VectorXd q = startVector(dim, warm, o.seed);
    EigenEstimate e;
    for (int j = 0; j < kMax; ++j) {
        basis.col(j) = q;
        Eigen::VectorXd w = apply(hvp, q, "lanczosLargest");
        ++e.products;
        alpha.push_back(q.dot(w));
        for (int pass = 0; pass < 2; ++pass) {  // full reorthogonalisation, twice
            const auto qs = basis.leftCols(j + 1);
            w -= qs * (qs.transpose() * w);
        }
        const double b = w.norm();
        const int size = j + 1;
        Eigen::VectorXd s = Eigen::VectorXd::Ones(1);
        if (size == 1) {
            e.value = alpha[0];
        } else {
            Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> tri;
            tri.computeFromTridiagonal(Eigen::Map<Eigen::VectorXd>(alpha.data(), size),
                                       Eigen::Map<Eigen::VectorXd>(beta.data(), size - 1),
                                       Eigen::ComputeEigenvectors);
            e.value = tri.eigenvalues()(size - 1);
            s = tri.eigenvectors().col(size - 1);
        }
        e.vector = (basis.leftCols(size) * s).normalized();
        const bool invariant = b <= 1e-14 * std::abs(e.value) || b == 0;
        if (invariant || size == dim || std::abs(b * s(size - 1)) <= o.tol * std::abs(e.value)) {
            e.converged = true;
            break;
        }
        beta.push_back(b);
        q = w / b;
    }
    return e;
}

HvpFn preconditionedOperator(HvpFn hvp, Eigen::VectorXd p) {
    if (!p.allFinite() || p.size() == 0 || p.minCoeff() <= 0)
        throw ConfigError({"preconditioned sharpness: the diagonal preconditioner must be "
                           "positive and finite in every entry"});
    Eigen::VectorXd inv = p.cwiseSqrt().cwiseInverse();
    return [hvp = std::move(hvp), inv = std::move(inv)](const Eigen::VectorXd& v) {
        const Eigen::VectorXd hv = hvp(inv.cwiseProduct(v));
        return Eigen::VectorXd(inv.cwiseProduct(hv));
    };
}

Eigen::VectorXd adamPreconditioner(const Eigen::VectorXd& v, std::int64_t t, double beta1,
                                   double beta2, double eps) {
    if (t < 1)
        throw ConfigError({"Adam preconditioner: the optimizer has taken no step yet (step " +
                           std::to_string(t) + ")"});
    const double td = static_cast<double>(t);
    const double c1 = 1 - std::pow(beta1, td), c2 = 1 - std::pow(beta2, td);
    return (((v / c2).cwiseSqrt()).array() + eps).matrix() * c1;
}

double gdStabilityThreshold(double lr, double momentum) {
    return (2 + 2 * momentum) / lr;
}

double adamStabilityThreshold(double lr, double beta1) {
    return (2 + 2 * beta1) / ((1 - beta1) * lr);
}

TraceEstimate hutchinsonTrace(const HvpFn& hvp, std::int64_t dim, int vectors,
                              std::uint64_t seed) {
    std::vector<std::string> p;
    if (dim < 1) p.push_back("hutchinsonTrace: dimension " + std::to_string(dim) + " < 1");
    if (vectors < 1) p.push_back("hutchinsonTrace: vectors " + std::to_string(vectors) + " < 1");
    if (!p.empty()) throw ConfigError(p);
    std::mt19937_64 gen(seed);
    std::vector<double> samples;
    Eigen::VectorXd v(dim);
    for (int i = 0; i < vectors; ++i) {
        for (std::int64_t k = 0; k < dim; ++k) v(k) = (gen() >> 63) ? 1.0 : -1.0;
        samples.push_back(v.dot(apply(hvp, v, "hutchinsonTrace")));
    }
    TraceEstimate t;
    t.products = vectors;
    for (double s : samples) t.value += s;
    t.value /= vectors;
    if (vectors > 1) {
        double ss = 0;
        for (double s : samples) ss += (s - t.value) * (s - t.value);
        t.standardError = std::sqrt(ss / (vectors - 1) / vectors);
    }
    return t;
}

NoiseScale gradientNoiseScale(const std::vector<Eigen::VectorXd>& g, std::int64_t b) {
    if (g.size() < 2 || b < 1)
        throw ConfigError({"gradient noise scale: needs at least two batch gradients (got " +
                           std::to_string(g.size()) + ") of at least one example each"});
    Eigen::VectorXd mean = Eigen::VectorXd::Zero(g[0].size());
    double small = 0;
    for (const auto& gi : g) {
        if (gi.size() != mean.size())
            throw ConfigError({"gradient noise scale: batch gradients of different sizes"});
        mean += gi;
        small += gi.squaredNorm();
    }
    const double k = static_cast<double>(g.size()), bs = static_cast<double>(b), bb = k * bs;
    mean /= k;
    small /= k;
    const double big = mean.squaredNorm();
    NoiseScale n;
    n.batches = static_cast<int>(g.size());
    n.gradSquared = (bb * big - bs * small) / (bb - bs);
    n.traceSigma = (small - big) / (1 / bs - 1 / bb);
    n.bSimple = n.gradSquared > 0 ? n.traceSigma / n.gradSquared : NAN;
    return n;
}

double distance(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        s += (a[i].detach().to(torch::kFloat64) - b[i].detach().to(torch::kFloat64))
                 .pow(2)
                 .sum()
                 .item<double>();
    return std::sqrt(s);
}

double norm(const std::vector<torch::Tensor>& a) {
    double s = 0;
    for (const auto& t : a) s += t.detach().to(torch::kFloat64).pow(2).sum().item<double>();
    return std::sqrt(s);
}

}  // namespace trainlab
