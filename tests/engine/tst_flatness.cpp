// Flatness and sensitivity (engine/flatness.*): interpolation end points and midpoints,
// BatchNorm re-estimation against a hand computation, filter-normalised directions,
// ε-sharpness restoring the model, the softmax Jacobian against finite differences, and the
// training trajectory untouched by sensitivity evaluations.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <QtTest>
#include <cmath>

#include "cnn.h"
#include "errors.h"
#include "flatness.h"
#include "image_tensors.h"
#include "image_trainer.h"

using namespace trainlab;

namespace {

// A small CNN on 1x8x8: conv(4) → BN → ReLU → pool, conv(6) → BN → ReLU → pool, FC 12, FC 3.
CnnSpec tinySpec() {
    CnnSpec s;
    s.name = "tiny";
    s.inChannels = 1;
    s.height = 8;
    s.width = 8;
    for (std::int64_t ch : {4, 6}) {
        ConvBlockSpec b;
        b.channels = ch;
        b.order = blockOrderFromName("conv-bn-relu-pool");
        s.blocks.push_back(b);
    }
    s.hidden = {12};
    s.classes = 3;
    return s;
}

ImageDataset tinyData(std::int64_t n, std::uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    ImageDataset d;
    d.train.images = torch::randint(0, 256, {n, 1, 8, 8}, gen, torch::kUInt8);
    d.train.labels = torch::randint(0, 3, {n}, gen, torch::kLong);
    d.test.images = torch::randint(0, 256, {n / 2, 1, 8, 8}, gen, torch::kUInt8);
    d.test.labels = torch::randint(0, 3, {n / 2}, gen, torch::kLong);
    d.mean = {0.5f};
    d.std = {0.25f};
    return d;
}

bool sameTensors(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (!torch::equal(a[i].contiguous(), b[i].contiguous())) return false;
    return true;
}

}  // namespace

class TstFlatness : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    void interpolationHitsBothEndsAndTheMidpoint() {
        Cnn a(tinySpec(), 1), b(tinySpec(), 2);
        // Give the BatchNorm buffers distinct values so their interpolation shows.
        torch::NoGradGuard g;
        for (auto& bn : a->batchNorms()) bn->running_mean.fill_(1.0);
        for (auto& bn : b->batchNorms()) bn->running_mean.fill_(3.0);
        const ModelState sa = captureState(*a), sb = captureState(*b);
        QVERIFY(sameTensors(interpolateStates(sa, sb, 0).params, sa.params));
        const ModelState one = interpolateStates(sa, sb, 1);
        for (size_t i = 0; i < sb.params.size(); ++i)
            QVERIFY(torch::allclose(one.params[i], sb.params[i], 0, 1e-6));
        const ModelState mid = interpolateStates(sa, sb, 0.5);
        for (size_t i = 0; i < sa.params.size(); ++i)
            QVERIFY(torch::allclose(mid.params[i], (sa.params[i] + sb.params[i]) / 2, 1e-6, 1e-6));
        QCOMPARE(mid.buffers[0][0].item<float>(), 2.0f);  // running mean 1 and 3
        QCOMPARE(interpolateStates(sa, sb, 0.5, false).buffers[0][0].item<float>(), 1.0f);
        const ModelState ext = interpolateStates(sa, sb, 2);  // α outside [0, 1]
        QVERIFY(torch::allclose(ext.params[0], sb.params[0] * 2 - sa.params[0], 1e-5, 1e-5));
        // Extrapolated running variances stay >= 0, so BatchNorm stays finite.
        for (auto& bn : a->batchNorms()) bn->running_var.fill_(4.0);
        const ModelState sa4 = captureState(*a);
        const ModelState far = interpolateStates(sa4, sb, 3);  // 4·(−2) + 1·3 < 0
        bool sawVariance = false;
        for (size_t i = 0; i < far.buffers.size(); ++i)
            if (far.isVariance[i]) {
                sawVariance = true;
                QCOMPARE(far.buffers[i].min().item<float>(), 0.0f);
            }
        QVERIFY(sawVariance);
        Cnn e(tinySpec(), 3);
        loadState(*e, far);
        e->eval();
        QVERIFY(torch::isfinite(e->forward(torch::randn({2, 1, 8, 8}))).all().item<bool>());
        // Loading a state makes the model compute with it.
        Cnn c(tinySpec(), 9);
        loadState(*c, sb);
        c->eval();
        b->eval();
        const auto x = torch::randn({2, 1, 8, 8});
        QVERIFY(torch::allclose(c->forward(x), b->forward(x), 1e-6, 1e-6));
        // A state of another architecture is refused.
        CnnSpec other = tinySpec();
        other.hidden = {5};
        Cnn d(other, 1);
        QVERIFY_THROWS_EXCEPTION(trainlab::Error, loadState(*d, sa));
    }

    void batchNormIsReestimatedAsThePlainAverageOfBatchMeans() {
        const ImageDataset data = tinyData(400, 3);
        Cnn m(tinySpec(), 4);
        reestimateBatchNorm(*m, data.train, data.mean, data.std, 3, 100, 11);
        QVERIFY(!m->is_training());
        // By hand: the same three shuffled batches, the first conv's output channel means.
        BatchIterator it(data.train, data.mean, data.std, 100, true, 11, true);
        it.startEpoch(0);
        torch::Tensor x, y, sum = torch::zeros({4});
        torch::NoGradGuard g;
        for (int k = 0; k < 3 && it.next(x, y); ++k)
            sum += m->named_children()[0].value()->as<torch::nn::Conv2dImpl>()->forward(x).mean(
                {0, 2, 3});
        QVERIFY2(torch::allclose(m->batchNorms()[0]->running_mean, sum / 3, 1e-5, 1e-5),
                 "running mean is not the average of the batch means");
        // Momentum is restored for later training.
        QCOMPARE(m->batchNorms()[0]->options.momentum().value(), 0.1);
    }

    void directionsAreFilterNormalised() {
        Cnn m(tinySpec(), 5);
        const ModelState s = captureState(*m);
        const auto d = randomDirection(s, 7);
        QCOMPARE(d.size(), s.params.size());
        for (size_t i = 0; i < d.size(); ++i) {
            if (s.params[i].dim() <= 1) {
                QCOMPARE(d[i].abs().sum().item<double>(), 0.0);  // biases and BN: zero
                continue;
            }
            const auto dn = d[i].reshape({d[i].size(0), -1}).norm(2, {1});
            const auto pn = s.params[i].reshape({s.params[i].size(0), -1}).norm(2, {1});
            QVERIFY(torch::allclose(dn, pn, 1e-4, 1e-6));
        }
        QVERIFY(sameTensors(d, randomDirection(s, 7)));  // seeded
        QVERIFY(!sameTensors(d, randomDirection(s, 8)));
        QVERIFY(sameTensors(displaceState(s, d, 0).params, s.params));
        const auto moved = displaceState(s, d, 0.5, d, 0.25);
        QVERIFY(torch::allclose(moved.params[0], s.params[0] + d[0] * 0.75, 1e-6, 1e-6));
        // Unnormalised: the whole direction has the model's norm.
        const auto u = randomDirection(s, 7, false);
        double un = 0, sn = 0;
        for (size_t i = 0; i < u.size(); ++i) {
            un += u[i].pow(2).sum().item<double>();
            if (s.params[i].dim() > 1) sn += s.params[i].pow(2).sum().item<double>();
        }
        QVERIFY(std::abs(std::sqrt(un) - std::sqrt(sn)) < 1e-3 * std::sqrt(sn));
    }

    void sharpnessIsNonNegativeGrowsWithEpsilonAndRestoresTheModel() {
        const ImageDataset data = tinyData(200, 6);
        Cnn m(tinySpec(), 6);
        m->train();
        const ModelState before = captureState(*m);
        const Sharpness small = epsilonSharpness(*m, data.train, data.mean, data.std, 1e-4, 5);
        const Sharpness large = epsilonSharpness(*m, data.train, data.mean, data.std, 1e-1, 5);
        QVERIFY(small.value >= 0);
        QVERIFY2(large.value > small.value,
                 (std::to_string(small.value) + " vs " + std::to_string(large.value)).c_str());
        QVERIFY(std::abs(large.value -
                         100 * (large.maxLoss - large.baseLoss) / (1 + large.baseLoss)) < 1e-9);
        QVERIFY(sameTensors(captureState(*m).params, before.params));
        QVERIFY(m->is_training());  // mode restored
        for (const auto& p : m->parameters()) QVERIFY(!p.grad().defined());
    }

    void softmaxJacobianMatchesFiniteDifferences() {
        // In double precision with a small step, so that finite differences do not straddle
        // the kinks of ReLU and max-pooling.
        Cnn m(tinySpec(), 8);
        m->to(torch::kDouble);
        m->eval();
        auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
        const auto x = at::normal(0.0, 1.0, {3, 1, 8, 8}, gen, torch::kDouble);
        const auto norms = softmaxJacobianNorms(*m, x);
        QCOMPARE(norms.size(0), std::int64_t{3});
        torch::NoGradGuard g;
        const double h = 1e-6;
        for (std::int64_t n = 0; n < 3; ++n) {
            double sq = 0;
            const auto xn = x.narrow(0, n, 1);
            for (std::int64_t i = 0; i < 64; ++i) {
                auto plus = xn.clone(), minus = xn.clone();
                plus.view({-1})[i] += h;
                minus.view({-1})[i] -= h;
                const auto d =
                    (torch::softmax(m->forward(plus), 1) - torch::softmax(m->forward(minus), 1)) /
                    (2 * h);
                sq += d.pow(2).sum().item<double>();
            }
            const double fd = std::sqrt(sq), exact = norms[n].item<double>();
            QVERIFY2(std::abs(fd - exact) < 1e-4 * exact + 1e-9,
                     (std::to_string(fd) + " vs " + std::to_string(exact)).c_str());
        }
    }

    void lossInputGradientMatchesFiniteDifferences() {
        Cnn m(tinySpec(), 10);
        m->to(torch::kDouble);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(22);
        const auto x = at::normal(0.0, 1.0, {4, 1, 8, 8}, gen, torch::kDouble);
        const auto y = torch::tensor({0, 1, 2, 1}, torch::kLong);
        const double exact = lossInputGradientNorm(*m, x, y);
        m->eval();
        torch::NoGradGuard g;
        const double h = 1e-6;
        double sq = 0;
        for (std::int64_t i = 0; i < x.numel(); ++i) {
            auto plus = x.clone(), minus = x.clone();
            plus.view({-1})[i] += h;
            minus.view({-1})[i] -= h;
            const double d = (torch::nn::functional::cross_entropy(m->forward(plus), y) -
                              torch::nn::functional::cross_entropy(m->forward(minus), y))
                                 .item<double>() /
                             (2 * h);
            sq += d * d;
        }
        QVERIFY2(std::abs(std::sqrt(sq) - exact) < 1e-4 * exact,
                 (std::to_string(std::sqrt(sq)) + " vs " + std::to_string(exact)).c_str());
    }

    // Issue 19: a count is a stratified draw, not the first `count` images.
    void sensitivityCountIsAStratifiedSample() {
        ImageDataset data = tinyData(120, 21);
        const auto order = std::get<1>(data.test.labels.sort(/*stable=*/true, 0, false));
        data.test.images = data.test.images.index_select(0, order);  // class-sorted
        data.test.labels = data.test.labels.index_select(0, order);
        Cnn m(tinySpec(), 5);
        const SubsetDraw draw = drawSubset(data.test.labels, 3, 12, 77);
        const ImageTensors sample = takeSubset(data.test, draw);
        QCOMPARE(classHistogram(sample.labels, 3), draw.perClass);
        for (size_t k = 0; k < 3; ++k)  // every class, in its share (within one image)
            QVERIFY(std::abs(static_cast<double>(draw.perClass[k]) -
                             12.0 * static_cast<double>(draw.available[k]) / 60.0) < 1.0);
        const double drawn = meanSensitivity(*m, data.test, data.mean, data.std, 12, 5, 77);
        QCOMPARE(drawn, meanSensitivity(*m, sample, data.mean, data.std, 0, 5));
        ImageTensors first = data.test;
        first.images = data.test.images.narrow(0, 0, 12);
        first.labels = data.test.labels.narrow(0, 0, 12);
        QVERIFY(drawn != meanSensitivity(*m, first, data.mean, data.std, 0, 5));
    }

    void sensitivityNeverTouchesTheTrainingTrajectory() {
        const ImageDataset data = tinyData(300, 12);
        bool gradsKept = true, modeKept = true;
        size_t measured = 0;
        double lastSensitivity = 0;
        auto train = [&](bool measure) -> ModelState {
            Cnn m(tinySpec(), 13);
            ImageTrainOptions o;
            o.epochs = 2;
            o.batchSize = 50;
            o.lr = 1e-2;
            o.seed = 3;
            RunControl control;
            std::vector<double> sensitivities;
            trainImageClassifier(*m, data, o, control, {}, [&](std::int64_t, CnnImpl& model) {
                if (!measure) return;
                // Between optimizer steps, with the step's gradients still in .grad().
                std::vector<torch::Tensor> grads;
                for (const auto& p : model.parameters()) grads.push_back(p.grad().clone());
                sensitivities.push_back(
                    meanSensitivity(model, data.test, data.mean, data.std, 20, 10));
                lossInputGradientNorm(model, data.test.images.narrow(0, 0, 5).to(torch::kFloat),
                                      data.test.labels.narrow(0, 0, 5));
                const auto params = model.parameters();
                for (size_t i = 0; i < params.size(); ++i)
                    gradsKept = gradsKept && torch::equal(params[i].grad(), grads[i]);
                modeKept = modeKept && model.is_training();  // evaluation restored the mode
            });
            if (measure) {
                measured = sensitivities.size();
                lastSensitivity = sensitivities.back();
            }
            return captureState(*m);
        };
        const ModelState with = train(true), without = train(false);
        QVERIFY(sameTensors(with.params, without.params));
        QVERIFY(sameTensors(with.buffers, without.buffers));
        QVERIFY(gradsKept);
        QVERIFY(modeKept);
        QCOMPARE(measured, size_t(12));
        QVERIFY(lastSensitivity > 0);
    }
};

QTEST_APPLESS_MAIN(TstFlatness)
#include "tst_flatness.moc"
