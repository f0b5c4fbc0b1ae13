#include "instrument_set.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>

#include "errors.h"
#include "hessian.h"
#include "mlp_fast_hvp.h"

namespace trainlab {

bool InstrumentSettings::has(InstrumentKind k) const {
    return every(k) > 0;
}

std::int64_t InstrumentSettings::every(InstrumentKind k) const {
    for (const auto& r : list)
        if (r.kind == k) return r.every;
    return 0;
}

std::vector<std::string> InstrumentSettings::problems() const {
    std::vector<std::string> p;
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (list[i].every < 1)
            p.push_back("'instruments." + std::to_string(i) + ".every': must be >= 1 step");
        for (std::size_t j = 0; j < i; ++j)
            if (list[j].kind == list[i].kind)
                p.push_back("'instruments." + std::to_string(i) + "': " +
                            nameOf(kInstrumentNames, list[i].kind) + " is listed twice");
    }
    if (probeSize < 0) p.push_back("'probe_size': must be >= 0 (0 = every training example)");
    if (traceVectors < 1) p.push_back("'trace_vectors': must be >= 1");
    if (noiseBatches < 2) p.push_back("'noise_batches': must be >= 2");
    return p;
}

std::vector<std::string> instrumentKeys(const InstrumentSettings& s,
                                        const std::vector<ParamGroup>& groups) {
    std::vector<std::string> k;
    if (s.has(InstrumentKind::Sharpness)) k.push_back("sharpness");
    if (s.has(InstrumentKind::HessianTrace)) k.insert(k.end(), {"trace", "trace_lo", "trace_hi"});
    if (s.has(InstrumentKind::Distance)) {
        k.push_back("distance");
        for (const auto& g : groups) k.push_back("distance." + g.name);
    }
    if (s.has(InstrumentKind::UpdateSize)) {
        k.push_back("update");
        for (const auto& g : groups) k.push_back("update." + g.name);
    }
    if (s.has(InstrumentKind::NoiseScale)) k.push_back("noise_scale");
    if (s.has(InstrumentKind::GradNorms))
        for (const auto& g : groups) k.push_back("grad_norm." + g.name);
    return k;
}

torch::Tensor probeIndices(std::int64_t n, std::int64_t size, std::uint64_t seed) {
    if (size <= 0 || size >= n) return torch::arange(n, torch::kLong);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    return std::get<0>(torch::randperm(n, gen, torch::kLong).narrow(0, 0, size).sort());
}

double sharpnessThreshold(bool adam, double lr, double m) {
    return adam ? adamStabilityThreshold(lr, m) : gdStabilityThreshold(lr, m);
}

namespace {

Eigen::VectorXd toEigen(const torch::Tensor& flat) {
    const auto d = flat.detach().to(torch::kFloat64).contiguous();
    Eigen::VectorXd v(d.numel());
    std::memcpy(v.data(), d.data_ptr<double>(), static_cast<size_t>(d.numel()) * sizeof(double));
    return v;
}

torch::Tensor flatOf(const std::vector<torch::Tensor>& grads,
                     const std::vector<torch::Tensor>& params) {
    std::vector<torch::Tensor> parts;
    for (std::size_t i = 0; i < params.size(); ++i)
        parts.push_back(grads[i].defined() ? grads[i].detach().reshape(-1)
                                           : torch::zeros({params[i].numel()}, params[i].options()));
    return torch::cat(parts);
}

/// Adam's P over all parameters, from the optimizer's state (read, not changed); empty when
/// `opt` is not Adam or has not stepped.
Eigen::VectorXd adamDiagonal(const torch::optim::Optimizer* opt,
                             const std::vector<torch::Tensor>& params) {
    const auto* adam = dynamic_cast<const torch::optim::Adam*>(opt);
    if (!adam || adam->param_groups().empty()) return {};
    const auto& o = static_cast<const torch::optim::AdamOptions&>(
        adam->param_groups().front().options());
    std::vector<torch::Tensor> parts;
    std::int64_t step = 0;
    for (const auto& p : params) {
        const auto it = adam->state().find(c10::guts::to_string(p.unsafeGetTensorImpl()));
        if (it == adam->state().end()) return {};
        const auto& st = static_cast<const torch::optim::AdamParamState&>(*it->second);
        parts.push_back(st.exp_avg_sq().reshape(-1));
        step = st.step();
    }
    return adamPreconditioner(toEigen(torch::cat(parts)), step, std::get<0>(o.betas()),
                              std::get<1>(o.betas()), o.eps());
}

/// Restores `buffers` and torch's default CPU generator on destruction (only when buffers
/// are given: the MLPs need neither).
class SideEffectGuard {
  public:
    explicit SideEffectGuard(const std::vector<torch::Tensor>& buffers) : buffers_(buffers) {
        if (buffers_.empty()) return;
        for (const auto& b : buffers_) saved_.push_back(b.detach().clone());
        auto gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        rng_ = gen.get_state();
    }
    ~SideEffectGuard() {
        if (buffers_.empty()) return;
        torch::NoGradGuard noGrad;
        for (std::size_t i = 0; i < buffers_.size(); ++i) buffers_[i].detach().copy_(saved_[i]);
        auto gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_state(rng_);
    }
    SideEffectGuard(const SideEffectGuard&) = delete;
    SideEffectGuard& operator=(const SideEffectGuard&) = delete;

  private:
    const std::vector<torch::Tensor>& buffers_;
    std::vector<torch::Tensor> saved_;
    at::Tensor rng_;
};

}  // namespace

InstrumentSet::InstrumentSet(InstrumentSettings settings, std::vector<torch::Tensor> params,
                             std::vector<ParamGroup> groups, ProbeLossFn loss,
                             torch::Tensor probeX, torch::Tensor probeY)
    : s_(std::move(settings)),
      params_(std::move(params)),
      groups_(std::move(groups)),
      loss_(std::move(loss)),
      probeX_(std::move(probeX)),
      probeY_(std::move(probeY)) {
    const auto problems = s_.problems();
    if (!problems.empty()) throw ConfigError(problems);
    dim_ = flatParameterCount(params_);
    // B_simple needs batches drawn at random: a fixed seeded order of the probe's rows.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(s_.seed ^ 0x4e4f495345ULL);
    const auto shuffled = torch::randperm(probeX_.size(0), gen, torch::kLong);
    noiseX_ = probeX_.index_select(0, shuffled);
    noiseY_ = probeY_.index_select(0, shuffled);
    init_ = snapshot();
    previous_ = init_;
}

std::vector<torch::Tensor> InstrumentSet::snapshot() const {
    std::vector<torch::Tensor> out;
    for (const auto& p : params_) out.push_back(p.detach().clone());
    return out;
}

bool InstrumentSet::due(InstrumentKind kind, std::int64_t step) const {
    const std::int64_t e = s_.every(kind);
    return e > 0 && step % e == 0;
}

HvpFn InstrumentSet::autogradHvp() {
    return hessianVectorOperator(params_, [this] { return loss_(probeX_, probeY_); });
}

std::vector<InstrumentReading> InstrumentSet::afterStep(std::int64_t step,
                                                        const torch::optim::Optimizer* opt) {
    std::vector<InstrumentReading> out;
    const bool sharp = due(InstrumentKind::Sharpness, step),
               trace = due(InstrumentKind::HessianTrace, step),
               dist = due(InstrumentKind::Distance, step),
               upd = due(InstrumentKind::UpdateSize, step),
               noise = due(InstrumentKind::NoiseScale, step),
               norms = due(InstrumentKind::GradNorms, step);
    const bool snapshotNext = due(InstrumentKind::UpdateSize, step + 1);
    if (!(sharp || trace || dist || upd || noise || norms || snapshotNext)) return out;
    const auto t0 = std::chrono::steady_clock::now();
    const SideEffectGuard guard(buffers_);
    if (sharp || trace) {
        const HvpFn hvp = hvpBuilder_ ? hvpBuilder_() : autogradHvp();
        const HvpFn counted = [&](const Eigen::VectorXd& v) {
            ++products_;
            return hvp(v);
        };
        if (sharp) measureSharpness(counted, opt, out);
        if (trace) measureTrace(counted, step, out);
    }
    if (dist || upd) measureDistances(out, dist, upd);
    if (noise || norms) measureGradients(out, noise, norms);
    if (snapshotNext) previous_ = snapshot();
    if (!out.empty()) ++measurements_;
    seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

void InstrumentSet::measureSharpness(const HvpFn& hvp, const torch::optim::Optimizer* opt,
                                     std::vector<InstrumentReading>& out) {
    EigenOptions o;
    o.maxProducts = s_.maxProducts;
    o.tol = s_.tol;
    o.seed = s_.seed ^ 0x5348415250ULL;
    const Eigen::VectorXd p = adamDiagonal(opt, params_);
    const HvpFn op = p.size() ? preconditionedOperator(hvp, p) : hvp;
    const Eigen::VectorXd* warm = warm_.size() ? &warm_ : nullptr;
    const EigenEstimate e = s_.method == EigenMethod::Lanczos ? lanczosLargest(op, dim_, warm, o)
                                                              : powerIteration(op, dim_, warm, o);
    warm_ = e.vector;
    out.push_back({"sharpness", e.value});
}

void InstrumentSet::measureTrace(const HvpFn& hvp, std::int64_t step,
                                 std::vector<InstrumentReading>& out) {
    // A new set of vectors each time (seeded by the step), so errors do not repeat.
    const TraceEstimate t = hutchinsonTrace(hvp, dim_, s_.traceVectors,
                                            s_.seed * 0x9e3779b97f4a7c15ULL + std::uint64_t(step));
    out.push_back({"trace", t.value});
    out.push_back({"trace_lo", t.value - t.standardError});
    out.push_back({"trace_hi", t.value + t.standardError});
}

void InstrumentSet::measureDistances(std::vector<InstrumentReading>& out, bool dist, bool upd) {
    auto pick = [](const std::vector<torch::Tensor>& all, const ParamGroup& g) {
        std::vector<torch::Tensor> s;
        for (auto i : g.params) s.push_back(all[i]);
        return s;
    };
    const auto now = snapshot();
    if (dist) {
        out.push_back({"distance", distance(now, init_)});
        for (const auto& g : groups_)
            out.push_back({"distance." + g.name, distance(pick(now, g), pick(init_, g))});
    }
    if (upd) {
        const auto ratio = [](double d, double n) { return n > 0 ? d / n : NAN; };
        out.push_back({"update", ratio(distance(now, previous_), norm(now))});
        for (const auto& g : groups_)
            out.push_back({"update." + g.name, ratio(distance(pick(now, g), pick(previous_, g)),
                                                     norm(pick(now, g)))});
    }
}

Eigen::VectorXd InstrumentSet::flatGradient(const torch::Tensor& x, const torch::Tensor& y) {
    torch::AutoGradMode on(true);
    const torch::Tensor l = loss_(x, y);
    const auto g = torch::autograd::grad({l}, params_, {}, false, false, true);
    return toEigen(flatOf(g, params_));
}

void InstrumentSet::measureGradients(std::vector<InstrumentReading>& out, bool noise,
                                     bool norms) {
    if (norms) {
        const Eigen::VectorXd g = flatGradient(probeX_, probeY_);
        std::vector<std::int64_t> offset(params_.size() + 1, 0);
        for (std::size_t i = 0; i < params_.size(); ++i)
            offset[i + 1] = offset[i] + params_[i].numel();
        for (const auto& grp : groups_) {
            double s = 0;
            for (auto i : grp.params) s += g.segment(offset[i], offset[i + 1] - offset[i]).squaredNorm();
            out.push_back({"grad_norm." + grp.name, std::sqrt(s)});
        }
    }
    if (noise) {
        const std::int64_t n = probeX_.size(0), k = s_.noiseBatches, b = n / k;
        if (b < 1) return;  // fewer probe examples than batches: nothing to measure
        std::vector<Eigen::VectorXd> grads;
        for (std::int64_t i = 0; i < k; ++i)
            grads.push_back(flatGradient(noiseX_.narrow(0, i * b, b), noiseY_.narrow(0, i * b, b)));
        const NoiseScale ns = gradientNoiseScale(grads, b);
        if (std::isfinite(ns.bSimple)) out.push_back({"noise_scale", ns.bSimple});
    }
}

std::vector<ParamGroup> mlpParamGroups(const Mlp& model) {
    std::vector<ParamGroup> g;
    std::size_t i = 0;
    for (std::size_t l = 0; l < model->layers().size(); ++l) {
        ParamGroup grp{"L" + std::to_string(l + 1), {}};
        for (std::size_t k = 0; k < model->layers()[l]->parameters().size(); ++k)
            grp.params.push_back(i++);
        g.push_back(std::move(grp));
    }
    return g;
}

std::vector<ParamGroup> moduleParamGroups(const torch::nn::Module& module) {
    std::vector<ParamGroup> g;
    std::size_t i = 0;
    for (const auto& item : module.named_parameters()) {
        std::string name = item.key();
        const auto dot = name.rfind('.');
        name = dot == std::string::npos ? "params" : name.substr(0, dot);
        for (auto& c : name)
            if (c == '.') c = '_';
        if (g.empty() || g.back().name != name) g.push_back({name, {}});
        g.back().params.push_back(i++);
    }
    return g;
}

HvpBuilder fusedMlpHvpBuilder(Mlp model, torch::Tensor x, torch::Tensor y) {
    auto fused = std::make_shared<FusedMlpGradNormSquared>(model);
    return [fused, x, y]() -> HvpFn {
        return [fused, x, y](const Eigen::VectorXd& v) {
            const torch::Tensor vt =
                torch::from_blob(const_cast<double*>(v.data()), {v.size()}, torch::kFloat64)
                    .to(torch::kFloat32);
            return toEigen(fused->hessianVectorProduct(x, y, vt));
        };
    };
}

}  // namespace trainlab
