#include "hessian.h"

#include <dlfcn.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "errors.h"
#include "spectrum_stats.h"

namespace trainlab {

namespace {

/// Gradients flattened and concatenated in parameter order; undefined ones as zeros.
torch::Tensor flatCat(const std::vector<torch::Tensor>& grads,
                      const std::vector<torch::Tensor>& params) {
    std::vector<torch::Tensor> parts;
    parts.reserve(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
        if (i < grads.size() && grads[i].defined())
            parts.push_back(grads[i].reshape(-1));
        else
            parts.push_back(torch::zeros({params[i].numel()}, params[i].options()));
    }
    if (parts.empty()) return torch::zeros({0}, torch::kFloat64);
    return torch::cat(parts);
}

void copyToEigen(const torch::Tensor& flat, double* dst, std::int64_t n) {
    const auto d = flat.detach().to(torch::kFloat64).contiguous();
    std::memcpy(dst, d.data_ptr<double>(), static_cast<size_t>(n) * sizeof(double));
}

torch::Tensor scalarLoss(const std::function<torch::Tensor()>& loss, const char* where) {
    torch::Tensor l = loss();
    if (!l.defined() || l.numel() != 1)
        throw ConfigError({std::string(where) + ": the loss must be a single-element tensor (got " +
                           (l.defined() ? std::to_string(l.numel()) + " elements" : "undefined") +
                           ")"});
    return l.reshape({});
}

using DsyrkFn = void (*)(const char*, const char*, const int*, const int*, const double*,
                         const double*, const int*, const double*, double*, const int*);

DsyrkFn findDsyrk() {
    static const DsyrkFn fn = reinterpret_cast<DsyrkFn>(dlsym(RTLD_DEFAULT, "dsyrk_"));
    return fn;
}

/// G = AᵀA for row-major A [rows, cols] (double), both triangles of G filled.
void gramMatrix(const torch::Tensor& a, Eigen::MatrixXd& g) {
    const auto rows = a.size(0), cols = a.size(1);
    g.resize(cols, cols);
    DsyrkFn syrk = findDsyrk();
    if (syrk && rows < (std::int64_t{1} << 31) && cols < (std::int64_t{1} << 31)) {
        // Row-major A is column-major Aᵀ [cols, rows]: C = Aᵀ (Aᵀ)ᵀ, lower triangle.
        const int n = static_cast<int>(cols), k = static_cast<int>(rows);
        const double one = 1, zero = 0;
        syrk("L", "N", &n, &k, &one, a.data_ptr<double>(), &n, &zero, g.data(), &n);
        for (Eigen::Index j = 1; j < cols; ++j)
            for (Eigen::Index i = 0; i < j; ++i) g(i, j) = g(j, i);
    } else {
        const auto c = torch::mm(a.t(), a).contiguous();  // symmetric: row-major == col-major
        std::memcpy(g.data(), c.data_ptr<double>(),
                    static_cast<size_t>(cols * cols) * sizeof(double));
    }
}

}  // namespace

std::int64_t flatParameterCount(const std::vector<torch::Tensor>& params) {
    std::int64_t n = 0;
    for (const auto& p : params) n += p.numel();
    return n;
}

Eigen::MatrixXd denseHessian(const std::vector<torch::Tensor>& params,
                             const std::function<torch::Tensor()>& loss) {
    torch::AutoGradMode gradOn(true);
    const std::int64_t n = flatParameterCount(params);
    const torch::Tensor l = scalarLoss(loss, "denseHessian");
    Eigen::MatrixXd h = Eigen::MatrixXd::Zero(n, n);
    if (n == 0 || !l.requires_grad()) return h;
    const auto grads = torch::autograd::grad({l}, params, {}, /*retain_graph=*/true,
                                             /*create_graph=*/true, /*allow_unused=*/true);
    const torch::Tensor g = flatCat(grads, params);
    if (!g.requires_grad()) return h;  // the loss is linear in the parameters
    for (std::int64_t j = 0; j < n; ++j) {
        const auto row = torch::autograd::grad({g[j]}, params, {}, /*retain_graph=*/true,
                                               /*create_graph=*/false, /*allow_unused=*/true);
        copyToEigen(flatCat(row, params), h.col(j).data(), n);  // column j = row j (symmetric)
    }
    Eigen::MatrixXd sym = 0.5 * (h + h.transpose());
    return sym;
}

bool mlpMseHessianIsClosedForm(const MlpSpec& spec) {
    return spec.activation == Activation::LeakyReLU || spec.activation == Activation::ReLU;
}

namespace {

/// The forward pass of the closed-form MLP Hessian, in float64: the layers' weights, where
/// each layer's parameters start in the flat vector, every layer's input with a trailing 1
/// (for the bias), the activation slopes and the residual.
struct MlpForwardState {
    std::vector<std::int64_t> widths;
    std::int64_t layers = 0, n = 0, k = 0, p = 0;
    std::vector<torch::Tensor> w, b, aTilde, d;
    std::vector<std::int64_t> offset;
    torch::Tensor r;  ///< f(x) − y, [N, K]
};

void checkMlpHessianInputs(const MlpSpec& spec, const torch::Tensor& x, const torch::Tensor& y) {
    const auto& widths = spec.widths;
    const std::int64_t k = widths.back();
    if (x.dim() != 2 || x.size(1) != widths.front())
        throw ConfigError({"mlpMseHessian: x must be [N, " + std::to_string(widths.front()) +
                           "], got " + std::to_string(x.dim()) + " dimensions"});
    const std::int64_t n = x.size(0);
    if (y.numel() != n * k)
        throw ConfigError({"mlpMseHessian: y has " + std::to_string(y.numel()) +
                           " elements, expected " + std::to_string(n * k)});
    if (n == 0) throw ConfigError({"mlpMseHessian: no data points"});
}

MlpForwardState mlpForwardState(Mlp& model, const torch::Tensor& x, const torch::Tensor& y) {
    const MlpSpec& spec = model->spec();
    const auto& layers = model->layers();
    MlpForwardState s;
    s.widths = spec.widths;
    s.layers = static_cast<std::int64_t>(layers.size());
    s.k = s.widths.back();
    s.n = x.size(0);
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    const double slope = spec.activation == Activation::LeakyReLU ? spec.negativeSlope : 0.0;
    s.w.resize(s.layers);
    s.b.resize(s.layers);
    s.offset.resize(s.layers);
    for (std::int64_t l = 0; l < s.layers; ++l) {
        s.w[l] = layers[l]->weight.detach().to(torch::kFloat64).contiguous();
        s.b[l] = layers[l]->bias.detach().to(torch::kFloat64).contiguous();
        s.offset[l] = s.p;
        s.p += s.w[l].numel() + s.b[l].numel();
    }
    if (s.p != model->parameterCount())
        throw ConfigError({"mlpMseHessian: the model has parameters outside its Linear layers"});
    s.aTilde.resize(s.layers);
    s.d.resize(s.layers);
    torch::Tensor a = x.detach().to(torch::kFloat64).reshape({s.n, s.widths.front()});
    for (std::int64_t l = 0; l < s.layers; ++l) {
        s.aTilde[l] = torch::cat({a, torch::ones({s.n, 1}, f64)}, 1);
        torch::Tensor z = torch::addmm(s.b[l], a, s.w[l].t());
        if (l + 1 < s.layers) {
            // σ'(z) as autograd takes it: 1 for z > 0, else the slope (also at the kink).
            s.d[l] = (z > 0).to(torch::kFloat64) * (1.0 - slope) + slope;
            a = z * s.d[l];
        } else {
            a = z;
        }
    }
    s.r = a - y.detach().to(torch::kFloat64).reshape({s.n, s.k});
    return s;
}

/// Gauss-Newton part JᵀJ: J [(i, k), P], rows back-propagated from each output unit.
Eigen::MatrixXd gaussNewtonGram(const MlpForwardState& s) {
    const auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
    const std::int64_t rows = s.n * s.k, k = s.k;
    auto perOutput = [&](const torch::Tensor& t) { return k == 1 ? t : t.repeat_interleave(k, 0); };
    torch::Tensor jac = torch::empty({rows, s.p}, f64);
    torch::Tensor delta = torch::eye(k, f64).repeat({s.n, 1});  // d f_(i,k) / d z_L
    for (std::int64_t m = s.layers - 1; m >= 0; --m) {
        const std::int64_t in = s.widths[m], out = s.widths[m + 1];
        const torch::Tensor input = perOutput(s.aTilde[m].narrow(1, 0, in));
        jac.narrow(1, s.offset[m], out * in)
            .view({rows, out, in})
            .copy_(delta.unsqueeze(2) * input.unsqueeze(1));
        jac.narrow(1, s.offset[m] + out * in, out).copy_(delta);
        if (m > 0) delta = delta.mm(s.w[m]) * perOutput(s.d[m - 1]);
    }
    Eigen::MatrixXd gram;
    gramMatrix(jac, gram);
    return gram;
}

/// Block (layer l, weight of layer m = l + 1) of the residual term: d a_l / d z_l is diagonal
/// (the slopes d_l), so the block is nonzero only at t = p: Σ_i d_l[p] ã[q] u_{l+1}[s], one
/// GEMM [(p, q), s], written through strided views (row θ_l(p, q), column W_{l+1}(s, p)).
void adjacentResidualBlock(const MlpForwardState& s, const std::vector<torch::Tensor>& u,
                           std::int64_t l, torch::Tensor& res) {
    const std::int64_t p = s.p, n = s.n, inL = s.widths[l], outL = s.widths[l + 1];
    const std::int64_t m = l + 1, inM = outL, outM = s.widths[m + 1];
    const torch::Tensor left =
        (s.d[l].unsqueeze(2) * s.aTilde[l].unsqueeze(1)).reshape({n, outL * (inL + 1)});
    const torch::Tensor block = left.t().mm(u[m]).view({outL, inL + 1, outM});
    res.as_strided({outL, inL, outM}, {inL * p + 1, p, inM}, s.offset[l] * p + s.offset[m])
        .copy_(block.narrow(1, 0, inL));
    res.as_strided({outL, outM}, {p + 1, inM}, (s.offset[l] + outL * inL) * p + s.offset[m])
        .copy_(block.select(1, inL));
}

/// Blocks (layer l, weight of layer m ≥ l + 2) of the residual term.
void distantResidualBlocks(const MlpForwardState& s, const std::vector<torch::Tensor>& u,
                           std::int64_t l, torch::Tensor& res) {
    const std::int64_t n = s.n, inL = s.widths[l], outL = s.widths[l + 1];
    // d a_{l+1} / d z_l [N, outL, w_{l+2}] = d_l[p] W_{l+1}[t, p] d_{l+1}[t].
    torch::Tensor jm = s.d[l].unsqueeze(2) * s.w[l + 1].t().unsqueeze(0) * s.d[l + 1].unsqueeze(1);
    for (std::int64_t m = l + 2; m < s.layers; ++m) {
        const std::int64_t inM = s.widths[m], outM = s.widths[m + 1];
        const torch::Tensor left = jm.reshape({n, outL * inM});  // [i, (p, t)]
        const torch::Tensor right =
            (s.aTilde[l].unsqueeze(2) * u[m].unsqueeze(1)).reshape({n, (inL + 1) * outM});
        const torch::Tensor block =
            left.t().mm(right).view({outL, inM, inL + 1, outM}).permute({0, 2, 3, 1});
        auto cols = res.narrow(1, s.offset[m], outM * inM);
        cols.narrow(0, s.offset[l], outL * inL)
            .view({outL, inL, outM, inM})
            .copy_(block.narrow(1, 0, inL));
        cols.narrow(0, s.offset[l] + outL * inL, outL)
            .view({outL, outM, inM})
            .copy_(block.select(1, inL));
        if (m + 1 < s.layers)
            jm = jm.reshape({n * outL, inM}).mm(s.w[m].t()).view({n, outL, outM}) *
                 s.d[m].unsqueeze(1);
    }
}

/// Residual part Σ r ∇²f: only blocks (layer l, weight of layer m > l) are nonzero; returned
/// as the upper blocks of a row-major [P, P] tensor.
torch::Tensor residualTerm(const MlpForwardState& s) {
    std::vector<torch::Tensor> u(s.layers);  // back-propagated residual d(r·f)/dz_m
    u[s.layers - 1] = s.r;
    for (std::int64_t m = s.layers - 1; m > 0; --m) u[m - 1] = u[m].mm(s.w[m]) * s.d[m - 1];
    torch::Tensor res = torch::zeros({s.p, s.p}, torch::TensorOptions().dtype(torch::kFloat64));
    for (std::int64_t l = 0; l + 1 < s.layers; ++l) {
        adjacentResidualBlock(s, u, l, res);
        if (l + 2 < s.layers) distantResidualBlocks(s, u, l, res);
    }
    return res;
}

}  // namespace

Eigen::MatrixXd mlpMseHessian(Mlp& model, const torch::Tensor& x, const torch::Tensor& y) {
    checkMlpHessianInputs(model->spec(), x, y);
    if (!mlpMseHessianIsClosedForm(model->spec())) {
        return denseHessian(model->parameters(), [&] {
            const auto out = model->forward(x);
            return torch::mse_loss(out, y.reshape(out.sizes()).to(out.dtype()));
        });
    }
    torch::NoGradGuard noGrad;
    const MlpForwardState s = mlpForwardState(model, x, y);
    const Eigen::MatrixXd gram = gaussNewtonGram(s);
    const torch::Tensor res = residualTerm(s);
    const std::int64_t p = s.p;
    const double scale = 2.0 / static_cast<double>(s.n * s.k);
    const double* rp = res.data_ptr<double>();
    Eigen::MatrixXd h(p, p);
    for (std::int64_t j = 0; j < p; ++j)
        for (std::int64_t i = 0; i < p; ++i)
            h(i, j) = scale * (gram(i, j) + rp[i * p + j] + rp[j * p + i]);
    return h;
}

HessianSpectrum hessianSpectrum(const Eigen::MatrixXd& h, double tau) {
    if (h.rows() == 0 || h.rows() != h.cols())
        throw ConfigError({"hessianSpectrum: the Hessian must be square and non-empty (got " +
                           std::to_string(h.rows()) + " x " + std::to_string(h.cols()) + ")"});
    if (!(tau >= 0) || !std::isfinite(tau))
        throw ConfigError(
            {"hessianSpectrum: tau = " + std::to_string(tau) + " must be finite and >= 0"});
    if (!h.allFinite()) throw ConfigError({"hessianSpectrum: the Hessian has NaN or Inf entries"});
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(h, Eigen::EigenvaluesOnly);
    if (solver.info() != Eigen::Success)
        throw Error("hessianSpectrum: the symmetric eigensolver did not converge");
    HessianSpectrum s;
    s.eigenvalues = solver.eigenvalues();
    s.tau = tau;
    const MinimalRatios ratios =
        minimalRatios(s.eigenvalues.data(), static_cast<std::size_t>(s.eigenvalues.size()), tau);
    s.maxAbs = ratios.maxAbs;
    s.minimalRatio = ratios.positive;
    s.minimalRatioTol = ratios.aboveTolerance;
    return s;
}

std::function<Eigen::VectorXd(const Eigen::VectorXd&)> hessianVectorOperator(
    const std::vector<torch::Tensor>& params, const std::function<torch::Tensor()>& loss) {
    torch::AutoGradMode gradOn(true);
    const std::int64_t n = flatParameterCount(params);
    const torch::Tensor l = scalarLoss(loss, "hessianVectorOperator");
    torch::Tensor g;
    if (l.requires_grad() && n > 0) {
        const auto grads = torch::autograd::grad({l}, params, {}, true, true, true);
        g = flatCat(grads, params);
    }
    return [params, g, n](const Eigen::VectorXd& v) -> Eigen::VectorXd {
        if (v.size() != n)
            throw ConfigError({"Hessian-vector product: v has " + std::to_string(v.size()) +
                               " entries, the parameters " + std::to_string(n)});
        Eigen::VectorXd hv = Eigen::VectorXd::Zero(n);
        if (!g.defined() || !g.requires_grad()) return hv;
        torch::AutoGradMode on(true);
        const torch::Tensor vt =
            torch::from_blob(const_cast<double*>(v.data()), {n}, torch::kFloat64)
                .to(g.dtype(), false, true);
        const torch::Tensor dot = (g * vt).sum();
        const auto parts = torch::autograd::grad({dot}, params, {}, true, false, true);
        copyToEigen(flatCat(parts, params), hv.data(), n);
        return hv;
    };
}

Eigen::VectorXd hessianVectorProduct(const std::vector<torch::Tensor>& params,
                                     const std::function<torch::Tensor()>& loss,
                                     const Eigen::VectorXd& v) {
    return hessianVectorOperator(params, loss)(v);
}

LanczosResult lanczosExtremes(const std::function<Eigen::VectorXd(const Eigen::VectorXd&)>& hvp,
                              int dim, int maxIterations, double tol, std::uint64_t seed) {
    std::vector<std::string> problems;
    if (dim < 1)
        problems.push_back("lanczosExtremes: dim = " + std::to_string(dim) + " must be >= 1");
    if (maxIterations < 1)
        problems.push_back("lanczosExtremes: maxIterations = " + std::to_string(maxIterations) +
                           " must be >= 1");
    if (!(tol >= 0)) problems.push_back("lanczosExtremes: tol must be >= 0");
    if (!problems.empty()) throw ConfigError(problems);

    const int kMax = std::min(maxIterations, dim);
    std::mt19937_64 gen(seed);
    std::normal_distribution<double> normal;
    Eigen::VectorXd q(dim);
    for (int i = 0; i < dim; ++i) q(i) = normal(gen);
    q.normalize();

    Eigen::MatrixXd basis(dim, kMax);
    std::vector<double> alpha, beta;
    LanczosResult result;
    for (int j = 0; j < kMax; ++j) {
        basis.col(j) = q;
        Eigen::VectorXd w = hvp(q);
        if (w.size() != dim)
            throw ConfigError({"lanczosExtremes: the operator returned " +
                               std::to_string(w.size()) + " entries, expected " +
                               std::to_string(dim)});
        alpha.push_back(q.dot(w));
        // Full reorthogonalisation against every Lanczos vector, twice (removes α q_j and
        // β q_{j-1} as the three-term recurrence would, and the rounding drift).
        for (int pass = 0; pass < 2; ++pass) {
            const auto qs = basis.leftCols(j + 1);
            w -= qs * (qs.transpose() * w);
        }
        const double bNorm = w.norm();

        const int size = j + 1;
        double lo, hi, resLo, resHi;
        if (size == 1) {
            lo = hi = alpha[0];
            resLo = resHi = bNorm;
        } else {
            Eigen::VectorXd diag = Eigen::Map<Eigen::VectorXd>(alpha.data(), size);
            Eigen::VectorXd sub = Eigen::Map<Eigen::VectorXd>(beta.data(), size - 1);
            Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> tri;
            tri.computeFromTridiagonal(diag, sub, Eigen::ComputeEigenvectors);
            lo = tri.eigenvalues()(0);
            hi = tri.eigenvalues()(size - 1);
            resLo = std::abs(bNorm * tri.eigenvectors()(size - 1, 0));
            resHi = std::abs(bNorm * tri.eigenvectors()(size - 1, size - 1));
        }
        result.smallest = lo;
        result.largest = hi;
        result.iterations = size;
        const double scale = std::max(std::abs(lo), std::abs(hi));
        const bool invariant = bNorm == 0 || bNorm <= 1e-12 * scale;
        if (invariant || size == dim || (resLo <= tol * scale && resHi <= tol * scale)) {
            result.converged = true;
            break;
        }
        beta.push_back(bNorm);
        q = w / bNorm;
    }
    return result;
}

double gradNormSquaredStep(const std::vector<torch::Tensor>& params,
                           const std::function<torch::Tensor()>& loss) {
    torch::AutoGradMode gradOn(true);
    const torch::Tensor l = scalarLoss(loss, "gradNormSquared");
    torch::Tensor normSq = torch::zeros({}, l.options().requires_grad(false));
    std::vector<torch::Tensor> grads;
    if (l.requires_grad() && !params.empty())
        grads = torch::autograd::grad({l}, params, {}, true, true, true);
    for (const auto& g : grads)
        if (g.defined()) normSq = normSq + g.pow(2).sum();
    std::vector<torch::Tensor> outer(params.size());
    if (normSq.requires_grad())
        outer = torch::autograd::grad({normSq}, params, {}, false, false, true);
    for (size_t i = 0; i < params.size(); ++i) {
        auto p = params[i];
        p.mutable_grad() = outer[i].defined() ? outer[i].detach() : torch::zeros_like(p);
    }
    return normSq.item<double>();
}

LossGradFn gradNormSquaredLossGrad(std::function<torch::Tensor(const torch::Tensor&)> forward,
                                   std::vector<torch::Tensor> params, LossKind lossKind) {
    return [forward = std::move(forward), params = std::move(params), lossKind](
               const torch::Tensor& xb, const torch::Tensor& yb) {
        return gradNormSquaredStep(params, [&] {
            const auto out = forward(xb);
            return lossKind == LossKind::MSE ? torch::mse_loss(out, yb)
                                             : torch::nn::functional::cross_entropy(out, yb);
        });
    };
}

}  // namespace trainlab
