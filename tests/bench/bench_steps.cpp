#include <chrono>
#include <cstdio>
#include "function_data.h"
#include "mlp.h"
#include "trainer.h"
using namespace trainlab;
int main(int argc, char** argv) {
    torch::set_num_threads(argc > 1 ? atoi(argv[1]) : 1);
    auto d = makeFunctionDataset(TargetFunction::SinPlusCos, {-2, 2, 5000, 0}, {-2, 2, 1000, 0}, false);
    Mlp m(MlpSpec{{1, 50, 60, 30, 20, 10, 1}, Activation::LeakyReLU, 0.2}, 1);
    TrainConfig c; c.maxSteps = 500; c.lr = 1e-2;
    auto r = trainModel(*m, [&](const torch::Tensor& x) { return m->forward(x); }, d.x, d.y, c, nullptr, nullptr);
    printf("%.3f ms/step loss %g\n", r.seconds / r.steps * 1e3, r.finalLoss);
}
