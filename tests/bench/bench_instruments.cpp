// bench_instruments (issue 17): what the training instruments cost.
//  1. A warm-started sharpness measurement of the f1 model (1-50-60-30-20-10-1, 5,831
//     parameters) on 5,000 points, in training steps (target ≤ 10).
//  2. The same power iteration as users write it with torch::autograd::grad double
//     back-propagation (create_graph = true, a cold start each time, stop at a relative change
//     of the eigenvalue below 1e-3, as PyHessian does), side by side (target: ours ≤ 0.5 of it).
//  3. The instruments' share of a run's training time at the presets' default cadence.
// Usage: bench_instruments [measurements=20] [preset steps=3000]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "experiment_runner.h"
#include "function_data.h"
#include "instrument_set.h"
#include "mlp.h"
#include "mlp_fast.h"
#include "preset.h"
#include "trainer.h"

using namespace trainlab;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

/// Power iteration "as users write it": a fresh graph, a Gaussian start, Hv by double
/// back-propagation, until |λ_k − λ_{k−1}| ≤ 1e-3·|λ_k| (PyHessian's rule) or 100 products.
std::pair<double, int> userPowerIteration(Mlp& model, const torch::Tensor& x,
                                          const torch::Tensor& y, std::uint64_t seed) {
    const auto params = model->parameters();
    const auto loss = torch::mse_loss(model->forward(x), y);
    const auto grads = torch::autograd::grad({loss}, params, {}, true, true);
    torch::manual_seed(seed);
    std::vector<torch::Tensor> v;
    for (const auto& p : params) v.push_back(torch::randn_like(p));
    double lambda = 0;
    int k = 0;
    for (; k < 100; ++k) {
        torch::Tensor n2 = torch::zeros({});
        for (const auto& t : v) n2 = n2 + t.pow(2).sum();
        for (auto& t : v) t = t / n2.sqrt();
        const auto hv = torch::autograd::grad(grads, params, v, true);
        double next = 0;
        for (std::size_t i = 0; i < v.size(); ++i) next += (hv[i] * v[i]).sum().item<double>();
        v = hv;
        if (k > 0 && std::abs(next - lambda) <= 1e-3 * std::abs(next)) {
            lambda = next;
            ++k;
            break;
        }
        lambda = next;
    }
    return {lambda, k};
}

void sharpnessAgainstSteps(int measurements) {
    const auto f1 =
        makeFunctionDataset(TargetFunction::SinPlusCos, {-2, 2, 5000, 0}, {-2, 2, 100, 0}, false);
    MlpSpec spec;
    spec.widths = {1, 50, 60, 30, 20, 10, 1};
    Mlp model(spec, 1);
    const LossGradFn step = makeFusedMlpLossGrad(model, 1);
    torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(1e-2));
    auto trainStep = [&] {
        opt.zero_grad();
        step(f1.x, f1.y);
        opt.step();
    };
    for (int i = 0; i < 300; ++i) trainStep();  // away from the initialisation
    std::vector<double> stepMs;
    for (int i = 0; i < 50; ++i) {
        const auto t0 = Clock::now();
        trainStep();
        stepMs.push_back(msSince(t0));
    }
    const double stepTime = median(stepMs);

    InstrumentSettings s;
    s.list = {{InstrumentKind::Sharpness, 1}};
    s.probeSize = 0;
    InstrumentSet set(s, model->parameters(), mlpParamGroups(model),
                      [model](const torch::Tensor& x, const torch::Tensor& y) mutable {
                          return torch::mse_loss(model->forward(x), y);
                      },
                      f1.x, f1.y);
    set.setHvpBuilder(fusedMlpHvpBuilder(model, f1.x, f1.y));
    auto t0 = Clock::now();
    std::int64_t step0 = 1;
    const double coldValue = set.afterStep(step0, &opt).at(0).value;
    const double coldMs = msSince(t0);
    const auto coldProducts = set.products();
    std::vector<double> warmMs, userMs;
    std::vector<int> userProducts;
    double warmValue = 0, userValue = 0;
    for (int i = 0; i < measurements; ++i) {
        trainStep();
        t0 = Clock::now();
        warmValue = set.afterStep(++step0, &opt).at(0).value;
        warmMs.push_back(msSince(t0));
        t0 = Clock::now();
        const auto [lam, k] = userPowerIteration(model, f1.x, f1.y, 100 + i);
        userMs.push_back(msSince(t0));
        userProducts.push_back(k);
        userValue = lam;
    }
    const double warmProducts =
        double(set.products() - coldProducts) / std::max(1, measurements);
    std::printf("f1 model (5,831 parameters), 5,000 points, one thread\n");
    std::printf("  training step (fused, SGD)               %8.3f ms\n", stepTime);
    std::printf("  sharpness, cold start (Lanczos, fused)   %8.3f ms  %3lld products  λ = %.5g\n",
                coldMs, static_cast<long long>(coldProducts), coldValue);
    std::printf("  sharpness, warm-started (median of %d)   %8.3f ms  %5.1f products  λ = %.5g\n",
                measurements, median(warmMs), warmProducts, warmValue);
    std::printf("  = %.2f training steps per warm measurement (target <= 10)\n",
                median(warmMs) / stepTime);
    std::vector<double> userPerProduct;
    for (std::size_t i = 0; i < userMs.size(); ++i) userPerProduct.push_back(userMs[i] / userProducts[i]);
    std::printf("  power iteration as users write it (autograd.grad, create_graph) %8.3f ms  "
                "%d products (median)  λ = %.5g\n",
                median(userMs), static_cast<int>(median({userProducts.begin(), userProducts.end()})),
                userValue);
    std::printf("  ratio ours/theirs per measurement: %.3f (target <= 0.5)\n",
                median(warmMs) / median(userMs));
    std::printf("  per Hessian-vector product: ours %.3f ms, autograd %.3f ms (ratio %.2f)\n\n",
                median(warmMs) / std::max(1.0, warmProducts), median(userPerProduct),
                median(warmMs) / std::max(1.0, warmProducts) / median(userPerProduct));
}

void presetFractions(std::int64_t steps) {
    std::printf("Instruments' share of training time at the presets' default cadence (%lld "
                "steps, one thread):\n",
                static_cast<long long>(steps));
    const auto root = std::filesystem::temp_directory_path() / "bench_instruments_runs";
    for (const char* id : {"2-2-gradient-norm", "2-4-edge-of-stability"}) {
        RunRequest r;
        r.preset = resolvePreset(id);
        r.config = r.preset.config;
        r.config["max_steps"] = steps;
        r.config["parallel"] = false;
        r.runsRoot = root;
        RunControl control;
        const RunOutcome out = runExperiment(r, nullptr, control);
        if (out.state != RunState::Finished) {
            std::printf("  %-24s failed: %s\n", id, out.message.c_str());
            continue;
        }
        const auto& list = out.results.contains("models") ? out.results["models"]
                                                          : out.results["step_sizes"];
        for (const auto& m : list) {
            const auto& inst = m["instruments"];
            std::printf("  %-24s %-22s instruments %7.3f s, %5lld products, %4lld measurements: "
                        "%5.1f%% of training\n",
                        id, m.contains("name") ? m["name"].get<std::string>().c_str()
                                               : ("lr " + std::to_string(m["lr"].get<double>())).c_str(),
                        inst["instrument_seconds"].get<double>(),
                        static_cast<long long>(inst["hessian_vector_products"].get<std::int64_t>()),
                        static_cast<long long>(inst["measurements"].get<std::int64_t>()),
                        100 * inst["instrument_time_fraction"].get<double>());
        }
    }
    std::filesystem::remove_all(root);
}

}  // namespace

int main(int argc, char** argv) {
    torch::set_num_threads(1);
    const int measurements = argc > 1 ? std::atoi(argv[1]) : 20;
    const std::int64_t steps = argc > 2 ? std::atoll(argv[2]) : 3000;
    std::printf("bench_instruments: the cost of the training instruments (issue 17)\n\n");
    sharpnessAgainstSteps(std::max(1, measurements));
    presetFractions(std::max<std::int64_t>(1, steps));
    return 0;
}
