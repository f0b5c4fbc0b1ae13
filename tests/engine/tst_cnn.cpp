// CNN builder (engine/cnn.*) and image-classifier trainer (engine/image_trainer.*): exact
// parameter counts of 1-2 and 3-2, shapes, layouts, spec validation, MACs, the train/eval
// switch every epoch (BatchNorm statistics, dropout), learning, reproducibility, the train
// metrics, stop rules, cancel/pause, divergence and the confusion matrix.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <QtTest>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "cnn.h"
#include "errors.h"
#include "image_tensors.h"
#include "image_trainer.h"

using namespace trainlab;

namespace {

// ---- independent hand formulas for the parameter counts ----
std::int64_t convParams(std::int64_t cin, std::int64_t cout) { return cout * cin * 9 + cout; }
std::int64_t bnParams(std::int64_t c) { return 2 * c; }
std::int64_t fcParams(std::int64_t in, std::int64_t out) { return in * out + out; }

// Model 1 / Net_i: three conv3x3 + BN blocks (16i, 32i, 64i) each pooled by 2, flatten,
// FC 120i, FC 10.
std::int64_t netByHand(std::int64_t i, std::int64_t c, std::int64_t h, std::int64_t w) {
    const std::int64_t c1 = 16 * i, c2 = 32 * i, c3 = 64 * i;
    const std::int64_t flat = c3 * (h / 2 / 2 / 2) * (w / 2 / 2 / 2);
    return convParams(c, c1) + bnParams(c1) + convParams(c1, c2) + bnParams(c2) +
           convParams(c2, c3) + bnParams(c3) + fcParams(flat, 120 * i) + fcParams(120 * i, 10);
}
// Model 2: 32, 64, 128 channels, pooled by 2 each, flatten, FC 256, FC 10.
std::int64_t model2ByHand(std::int64_t c, std::int64_t h, std::int64_t w) {
    const std::int64_t flat = 128 * (h / 8) * (w / 8);
    return convParams(c, 32) + bnParams(32) + convParams(32, 64) + bnParams(64) +
           convParams(64, 128) + bnParams(128) + fcParams(flat, 256) + fcParams(256, 10);
}
// Model 3: 64, 128, 256, 256 channels with BN, global average pool, FC 512, FC 10.
std::int64_t model3ByHand(std::int64_t c) {
    return convParams(c, 64) + bnParams(64) + convParams(64, 128) + bnParams(128) +
           convParams(128, 256) + bnParams(256) + convParams(256, 256) + bnParams(256) +
           fcParams(256, 512) + fcParams(512, 10);
}

// ---- synthetic data ----
// Class k (< 4) makes quadrant k bright (160..255) on a dark background (0..89): separable.
ImageTensors quadrantImages(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w,
                            std::int64_t classes, std::uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto dark = torch::randint(0, 90, {n, c, h, w}, gen, torch::kUInt8);
    const auto bright = torch::randint(160, 256, {n, c, h, w}, gen, torch::kUInt8);
    ImageTensors t;
    t.labels = torch::arange(n, torch::kLong).remainder(classes);
    const auto q = t.labels.remainder(4);
    const auto top = q.lt(2).view({n, 1, 1, 1});
    const auto left = q.remainder(2).eq(0).view({n, 1, 1, 1});
    const auto rowTop = torch::arange(h).lt(h / 2).view({1, 1, h, 1});
    const auto colLeft = torch::arange(w).lt(w / 2).view({1, 1, 1, w});
    const auto mask = rowTop.eq(top).logical_and(colLeft.eq(left));
    t.images = torch::where(mask, bright, dark).contiguous();
    for (std::int64_t k = 0; k < classes; ++k) t.classNames.push_back("c" + std::to_string(k));
    return t;
}

ImageDataset makeData(std::int64_t nTrain, std::int64_t nTest, std::int64_t c, std::int64_t h,
                      std::int64_t w, std::int64_t classes, std::uint64_t seed = 1) {
    ImageDataset d;
    d.id = "synthetic";
    d.train = quadrantImages(nTrain, c, h, w, classes, seed);
    d.test = quadrantImages(nTest, c, h, w, classes, seed + 1000);
    d.mean.assign(static_cast<size_t>(c), 0.3f);
    d.std.assign(static_cast<size_t>(c), 0.35f);
    return d;
}

// Two small conv blocks (8, 16 channels, conv-pool-relu-bn), FC 32, `classes` outputs.
CnnSpec tinySpec(std::int64_t c, std::int64_t h, std::int64_t w, std::int64_t classes,
                 bool batchNorm = true, double dropoutHidden = 0) {
    CnnSpec s;
    s.name = batchNorm ? "Tiny" : "Tiny no-BN";
    s.inChannels = c;
    s.height = h;
    s.width = w;
    ConvBlockSpec b1, b2;
    b1.channels = 8;
    b2.channels = 16;
    b1.batchNorm = b2.batchNorm = batchNorm;
    s.blocks = {b1, b2};
    s.hidden = {32};
    s.dropoutHidden = dropoutHidden;
    s.classes = classes;
    return s;
}

std::vector<std::string> problemsOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const ConfigError& e) {
        return e.problems();
    }
    return {};
}

bool anyContains(const std::vector<std::string>& problems, const std::string& what) {
    for (const auto& p : problems)
        if (p.find(what) != std::string::npos) return true;
    return false;
}

std::string joined(const std::vector<std::string>& problems) {
    std::string s;
    for (const auto& p : problems) s += "[" + p + "] ";
    return s;
}

torch::Tensor bnStatistics(const CnnImpl& model) {
    std::vector<torch::Tensor> parts;
    for (const auto& bn : model.batchNorms()) {
        parts.push_back(bn->running_mean.clone());
        parts.push_back(bn->running_var.clone());
    }
    return torch::cat(parts);
}

bool sameParameters(CnnImpl& a, CnnImpl& b) {
    const auto pa = a.parameters(), pb = b.parameters();
    if (pa.size() != pb.size()) return false;
    for (size_t i = 0; i < pa.size(); ++i)
        if (!torch::equal(pa[i], pb[i])) return false;
    return true;
}

ImageTrainOptions quickOptions(int epochs, std::int64_t batch = 32) {
    ImageTrainOptions o;
    o.optimizer = OptimizerKind::Adam;
    o.lr = 1e-2;
    o.batchSize = batch;
    o.epochs = epochs;
    o.seed = 5;
    o.label = "Tiny";
    return o;
}

}  // namespace

class TstCnn : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { torch::set_num_threads(1); }

    // ---------------------------------------------------------------- builder
    void parameterCounts_data() {
        QTest::addColumn<QString>("family");
        QTest::addColumn<int>("index");
        QTest::addColumn<qint64>("channels");
        QTest::addColumn<qint64>("size");
        QTest::addColumn<qint64>("expected");
        // science.md's figures, pinned literally.
        QTest::newRow("Model 1 CIFAR") << "model" << 1 << qint64(3) << qint64(32) << qint64(148018);
        QTest::newRow("Model 2 CIFAR") << "model" << 2 << qint64(3) << qint64(32) << qint64(620810);
        QTest::newRow("Model 3 CIFAR") << "model" << 3 << qint64(3) << qint64(32)
                                       << qint64(1099018);
        QTest::newRow("Model 1 MNIST") << "model" << 1 << qint64(1) << qint64(28) << qint64(93970);
        QTest::newRow("Model 2 MNIST") << "model" << 2 << qint64(1) << qint64(28) << qint64(390858);
        QTest::newRow("Model 3 MNIST") << "model" << 3 << qint64(1) << qint64(28)
                                       << qint64(1097866);
        QTest::newRow("Net_1 pinned") << "net" << 1 << qint64(3) << qint64(32) << qint64(148018);
        QTest::newRow("Net_10 pinned") << "net" << 10 << qint64(3) << qint64(32)
                                       << qint64(14612890);
        // Net_1..Net_10 by the hand formula.
        for (int i = 1; i <= 10; ++i)
            QTest::newRow(("Net_" + std::to_string(i) + " CIFAR").c_str())
                << "net" << i << qint64(3) << qint64(32) << qint64(netByHand(i, 3, 32, 32));
    }
    void parameterCounts() {
        QFETCH(QString, family);
        QFETCH(int, index);
        QFETCH(qint64, channels);
        QFETCH(qint64, size);
        QFETCH(qint64, expected);
        const CnnSpec spec = family == "model" ? cnnModel(index, channels, size, size)
                                               : cnnNetFamily(index, channels, size, size);
        // The hand formulas agree with the pinned figures.
        const std::int64_t hand = family == "net"  ? netByHand(index, channels, size, size)
                                  : index == 1     ? netByHand(1, channels, size, size)
                                  : index == 2     ? model2ByHand(channels, size, size)
                                                   : model3ByHand(channels);
        QCOMPARE(qint64(hand), expected);
        QCOMPARE(qint64(cnnParameterCount(spec)), expected);
        Cnn model(spec, 1);
        QCOMPARE(qint64(model->parameterCount()), expected);
        QCOMPARE(qint64(cnnSpecToJson(spec).at("parameters").get<std::int64_t>()), expected);
    }

    void modelsMatchTheirDescriptions() {
        const CnnSpec m1 = cnnModel(1, 3, 32, 32), m3 = cnnModel(3, 3, 32, 32);
        QCOMPARE(m1.blocks.size(), size_t(3));
        QCOMPARE(blockOrderName(m1.blocks[0].order), std::string("conv-pool-relu-bn"));
        QCOMPARE(blockOrderName(m3.blocks[0].order), std::string("conv-bn-relu-pool"));
        QVERIFY(m3.globalAvgPool);
        QCOMPARE(m3.blocks.size(), size_t(4));
        QVERIFY(m3.blocks[2].pool <= 1);  // the third block of Model 3 is not pooled
        const FeatureShape f = cnnFeatureShape(m1);
        QCOMPARE(qint64(f.channels), qint64(64));
        QCOMPARE(qint64(f.height), qint64(4));
        QCOMPARE(qint64(f.width), qint64(4));
        const FeatureShape g = cnnFeatureShape(cnnModel(1, 1, 28, 28));
        QCOMPARE(qint64(g.height), qint64(3));  // 28 → 14 → 7 → 3
        QVERIFY_EXCEPTION_THROWN(cnnModel(4, 3, 32, 32), ConfigError);
        QVERIFY_EXCEPTION_THROWN(cnnNetFamily(0, 3, 32, 32), ConfigError);
        QVERIFY_EXCEPTION_THROWN(cnnNetFamily(11, 3, 32, 32), ConfigError);
        // Net_i scales Model 1: 16i, 32i, 64i channels and FC 120i.
        const CnnSpec n4 = cnnNetFamily(4, 3, 32, 32);
        QCOMPARE(qint64(n4.blocks[0].channels), qint64(64));
        QCOMPARE(qint64(n4.blocks[2].channels), qint64(256));
        QCOMPARE(qint64(n4.hidden.at(0)), qint64(480));
        QCOMPARE(n4.name, std::string("Net_4"));
    }

    void outputShapes_data() {
        QTest::addColumn<int>("which");
        QTest::addColumn<qint64>("channels");
        QTest::addColumn<qint64>("size");
        for (int m = 1; m <= 3; ++m) {
            QTest::newRow(("Model " + std::to_string(m) + " 3x32x32").c_str())
                << m << qint64(3) << qint64(32);
            QTest::newRow(("Model " + std::to_string(m) + " 1x28x28").c_str())
                << m << qint64(1) << qint64(28);
        }
    }
    void outputShapes() {
        QFETCH(int, which);
        QFETCH(qint64, channels);
        QFETCH(qint64, size);
        Cnn model(cnnModel(which, channels, size, size), 3);
        const auto x = torch::randn({2, channels, size, size});
        {
            torch::NoGradGuard noGrad;
            model->eval();
            const auto y = model->forward(x);
            QCOMPARE(y.sizes().vec(), (std::vector<std::int64_t>{2, 10}));
            QVERIFY(torch::isfinite(y).all().item<bool>());
        }
        model->train();
        const auto y = model->forward(x);  // train mode: batch statistics, dropout
        QCOMPARE(y.sizes().vec(), (std::vector<std::int64_t>{2, 10}));
        QVERIFY(y.requires_grad());
    }

    void channelsLastGivesTheSameLogits_data() {
        QTest::addColumn<qint64>("channels");
        QTest::newRow("3 channels") << qint64(3);
        QTest::newRow("1 channel") << qint64(1);
    }
    void channelsLastGivesTheSameLogits() {
        QFETCH(qint64, channels);
        const CnnSpec spec = cnnModel(1, channels, 16, 16);
        Cnn nchw(spec, 7), last(spec, 7);
        last->useChannelsLast(true);
        QVERIFY(last->channelsLast());
        QVERIFY(!nchw->channelsLast());
        for (const auto& p : last->named_parameters())
            if (p.key().find("conv") != std::string::npos && p.value().dim() == 4)
                QVERIFY2(p.value().is_contiguous(torch::MemoryFormat::ChannelsLast),
                         p.key().c_str());
        QVERIFY(sameParameters(*nchw, *last));  // same numbers, other layout

        auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
        const auto x = torch::randn({4, channels, 16, 16}, gen);
        const auto prepared = last->prepareInput(x);
        QVERIFY(prepared.is_contiguous(torch::MemoryFormat::ChannelsLast));
        QVERIFY(torch::equal(prepared, x));
        // Train mode (batch statistics), then eval mode (running statistics).
        const auto a = nchw->forward(x), b = last->forward(x);
        QVERIFY2(torch::allclose(a, b, 1e-4, 1e-4),
                 std::to_string((a - b).abs().max().item<double>()).c_str());
        // One optimizer step through both layouts lands on the same weights.
        torch::optim::SGD optA(nchw->parameters(), torch::optim::SGDOptions(0.1));
        torch::optim::SGD optB(last->parameters(), torch::optim::SGDOptions(0.1));
        const auto y = torch::arange(4, torch::kLong);
        torch::nn::functional::cross_entropy(a, y).backward();
        torch::nn::functional::cross_entropy(b, y).backward();
        optA.step();
        optB.step();
        const auto pa = nchw->parameters(), pb = last->parameters();
        for (size_t i = 0; i < pa.size(); ++i)
            QVERIFY(torch::allclose(pa[i], pb[i], 1e-4, 1e-4));
        torch::NoGradGuard noGrad;
        nchw->eval();
        last->eval();
        QVERIFY(torch::allclose(nchw->forward(x), last->forward(x), 1e-4, 1e-4));
        // And back to NCHW.
        last->useChannelsLast(false);
        QVERIFY(!last->channelsLast());
        QVERIFY(last->prepareInput(x).is_contiguous());
        QVERIFY(torch::allclose(nchw->forward(x), last->forward(x), 1e-4, 1e-4));
    }

    void seedsDecideTheInitialisation() {
        const CnnSpec spec = cnnModel(1, 3, 32, 32);
        Cnn a(spec, 42), b(spec, 42), c(spec, 43);
        QVERIFY(sameParameters(*a, *b));
        const auto pa = a->parameters(), pc = c->parameters();
        int differing = 0;
        for (size_t i = 0; i < pa.size(); ++i)
            if (!torch::equal(pa[i], pc[i])) ++differing;
        // Every conv and FC weight and bias differs; BatchNorm starts at (1, 0) in both.
        QCOMPARE(differing, 3 * 2 + 2 * 2);
        // PyTorch's default bounds: U(±1/sqrt(fan_in)) for the first conv (fan_in 27).
        const torch::Tensor conv1 = a->named_parameters()["conv1.weight"];
        QVERIFY(conv1.abs().max().item<double>() <= 1.0 / std::sqrt(27.0) + 1e-7);
        QVERIFY(conv1.abs().max().item<double>() > 0.8 / std::sqrt(27.0));
        for (const auto& bn : a->batchNorms()) {
            QVERIFY(torch::equal(bn->weight, torch::ones_like(bn->weight)));
            QVERIFY(torch::equal(bn->bias, torch::zeros_like(bn->bias)));
        }
        QCOMPARE(a->batchNorms().size(), size_t(3));
        Cnn noBn(tinySpec(1, 8, 8, 4, false), 1);
        QVERIFY(noBn->batchNorms().empty());
    }

    // ---------------------------------------------------------------- validation
    void validationNamesTheField() {
        {  // zero channels
            CnnSpec s = cnnModel(1, 3, 32, 32);
            s.blocks[1].channels = 0;
            const auto p = problemsOf([&] { validateCnnSpec(s, "zero"); });
            QVERIFY2(anyContains(p, "channels") && anyContains(p, "block 2"), joined(p).c_str());
            QVERIFY_EXCEPTION_THROWN(Cnn(s, 0), ConfigError);
            nlohmann::json j = cnnSpecToJson(cnnModel(1, 3, 32, 32));
            j["blocks"][0]["channels"] = 0;
            const auto pj = problemsOf([&] { cnnSpecFromJson(j); });
            QVERIFY2(anyContains(pj, "channels"), joined(pj).c_str());
        }
        {  // 8 blocks of pool 2 on 28x28: 28, 14, 7, 3, 1, then nothing left to pool
            CnnSpec s = cnnModel(1, 1, 28, 28);
            s.blocks.assign(8, s.blocks[0]);
            const auto p = problemsOf([&] { validateCnnSpec(s, "deep"); });
            QVERIFY2(anyContains(p, "pool") && anyContains(p, "block 5"), joined(p).c_str());
            QVERIFY_EXCEPTION_THROWN(cnnFeatureShape(s), ConfigError);
            s.blocks.resize(4);  // 28 → 14 → 7 → 3 → 1 is still fine
            validateCnnSpec(s, "four");
            QCOMPARE(qint64(cnnFeatureShape(s).height), qint64(1));
        }
        {  // dropout 1.0
            CnnSpec s = cnnModel(3, 3, 32, 32);
            s.dropoutHidden = 1.0;
            const auto p = problemsOf([&] { validateCnnSpec(s, "drop"); });
            QVERIFY2(anyContains(p, "dropout_hidden"), joined(p).c_str());
            s.dropoutHidden = 0.5;
            s.dropoutInput = -0.1;
            const auto q = problemsOf([&] { validateCnnSpec(s, "drop"); });
            QVERIFY2(anyContains(q, "dropout_input"), joined(q).c_str());
            nlohmann::json j = cnnSpecToJson(cnnModel(3, 3, 32, 32));
            j["dropout_hidden"] = 1.0;
            const auto pj = problemsOf([&] { cnnSpecFromJson(j); });
            QVERIFY2(anyContains(pj, "dropout_hidden"), joined(pj).c_str());
        }
        {  // empty blocks
            CnnSpec s = cnnModel(1, 3, 32, 32);
            s.blocks.clear();
            const auto p = problemsOf([&] { validateCnnSpec(s, "empty"); });
            QVERIFY2(anyContains(p, "blocks"), joined(p).c_str());
            nlohmann::json j = cnnSpecToJson(cnnModel(1, 3, 32, 32));
            j["blocks"] = nlohmann::json::array();
            const auto pj = problemsOf([&] { cnnSpecFromJson(j); });
            QVERIFY2(anyContains(pj, "blocks"), joined(pj).c_str());
        }
        {  // unknown block order
            nlohmann::json j = cnnSpecToJson(cnnModel(1, 3, 32, 32));
            j["blocks"][1]["order"] = "conv-relu-relu-bn";
            const auto p = problemsOf([&] { cnnSpecFromJson(j); });
            QVERIFY2(anyContains(p, "order") && anyContains(p, "conv-relu-relu-bn"),
                     joined(p).c_str());
            const auto q = problemsOf([] { blockOrderFromName("conv-pool-relu-dropout"); });
            QVERIFY2(anyContains(q, "dropout"), joined(q).c_str());
            const auto r = problemsOf([] { blockOrderFromName("pool-conv-relu-bn"); });
            QVERIFY2(!r.empty(), "conv must come first");
            const auto s = problemsOf([] { blockOrderFromName("conv-pool-relu"); });
            QVERIFY2(!s.empty(), "all four layers are needed");
        }
        {  // more than one problem at once: each is reported
            CnnSpec s = cnnModel(1, 3, 32, 32);
            s.dropoutInput = 1.5;
            s.classes = 1;
            const auto p = problemsOf([&] { validateCnnSpec(s, "many"); });
            QVERIFY2(anyContains(p, "dropout_input") && anyContains(p, "classes"),
                     joined(p).c_str());
            QVERIFY2(anyContains(p, "many"), joined(p).c_str());
        }
        {  // malformed JSON fields
            nlohmann::json j = cnnSpecToJson(cnnModel(1, 3, 32, 32));
            j["input"] = {3, 32};
            const auto p = problemsOf([&] { cnnSpecFromJson(j); });
            QVERIFY2(anyContains(p, "input"), joined(p).c_str());
            j.erase("input");
            QVERIFY(!problemsOf([&] { cnnSpecFromJson(j); }).empty());
        }
    }

    void jsonRoundTrip() {
        std::vector<CnnSpec> specs = {cnnModel(1, 3, 32, 32), cnnModel(2, 1, 28, 28),
                                      cnnModel(3, 3, 32, 32), cnnNetFamily(7, 3, 32, 32),
                                      tinySpec(1, 8, 8, 4, false, 0.5)};
        for (const CnnSpec& s : specs) {
            const std::string text = cnnSpecToJson(s).dump();
            const CnnSpec r = cnnSpecFromJson(nlohmann::json::parse(text));
            QCOMPARE(r.name, s.name);
            QCOMPARE(qint64(cnnParameterCount(r)), qint64(cnnParameterCount(s)));
            QCOMPARE(r.blocks.size(), s.blocks.size());
            for (size_t i = 0; i < s.blocks.size(); ++i) {
                QCOMPARE(blockOrderName(r.blocks[i].order), blockOrderName(s.blocks[i].order));
                QCOMPARE(r.blocks[i].batchNorm, s.blocks[i].batchNorm);
                QCOMPARE(qint64(r.blocks[i].pool), qint64(s.blocks[i].pool));
                QCOMPARE(qint64(r.blocks[i].channels), qint64(s.blocks[i].channels));
            }
            QCOMPARE(r.globalAvgPool, s.globalAvgPool);
            QCOMPARE(r.hidden, s.hidden);
            QCOMPARE(r.dropoutInput, s.dropoutInput);
            QCOMPARE(r.dropoutHidden, s.dropoutHidden);
            QCOMPARE(qint64(r.inChannels), qint64(s.inChannels));
            QCOMPARE(qint64(r.height), qint64(s.height));
            QCOMPARE(cnnSpecToJson(r).dump(), text);
        }
    }

    void forwardMacs() {
        const double model1 = 32.0 * 32 * 16 * 27 + 16.0 * 16 * 32 * 144 + 8.0 * 8 * 64 * 288 +
                              1024.0 * 120 + 120.0 * 10;
        QCOMPARE(cnnForwardMacs(cnnModel(1, 3, 32, 32)), model1);
        const double mnist = 28.0 * 28 * 16 * 9 + 14.0 * 14 * 32 * 144 + 7.0 * 7 * 64 * 288 +
                             576.0 * 120 + 120.0 * 10;
        QCOMPARE(cnnForwardMacs(cnnModel(1, 1, 28, 28)), mnist);
        // Model 3: 32, 16, 8, 8 map sizes, global pool to 256 features.
        const double model3 = 32.0 * 32 * 64 * 27 + 16.0 * 16 * 128 * 576 + 8.0 * 8 * 256 * 1152 +
                              8.0 * 8 * 256 * 2304 + 256.0 * 512 + 512.0 * 10;
        QCOMPARE(cnnForwardMacs(cnnModel(3, 3, 32, 32)), model3);
    }

    // ---------------------------------------------------------------- evaluation
    void confusionMatrix() {
        // Four classes in the spec, three present in the data (labels 0..2), 7 not a divisor.
        ImageTensors data = quadrantImages(45, 1, 8, 8, 3, 9);
        Cnn model(tinySpec(1, 8, 8, 4), 2);
        model->train();
        const Evaluation ev = evaluateClassifier(*model, data, {0.3f}, {0.35f}, 7);
        QVERIFY(model->is_training());  // the previous mode is restored
        QCOMPARE(qint64(ev.count), qint64(45));
        QCOMPARE(ev.confusion.sizes().vec(), (std::vector<std::int64_t>{4, 4}));
        QCOMPARE(ev.confusion.scalar_type(), torch::kLong);
        const auto rows = ev.confusion.sum(1);
        const auto perClass = torch::bincount(data.labels, {}, 4);
        QVERIFY(torch::equal(rows, perClass));
        QCOMPARE(ev.confusion.sum().item<std::int64_t>(), std::int64_t(45));
        QCOMPARE(ev.accuracy,
                 double(ev.confusion.diagonal().sum().item<std::int64_t>()) / 45.0);
        // Against a direct forward pass of the whole set in eval mode.
        {
            torch::NoGradGuard noGrad;
            model->eval();
            const auto x = normaliseImages(data.images, {0.3f}, {0.35f});
            const auto out = model->forward(x);
            const double loss = torch::nn::functional::cross_entropy(out, data.labels).item<double>();
            QVERIFY(std::abs(ev.loss - loss) < 1e-5);
            const auto pred = out.argmax(1);
            QCOMPARE(ev.accuracy, pred.eq(data.labels).sum().item<double>() / 45.0);
            for (int t = 0; t < 4; ++t)
                for (int p = 0; p < 4; ++p)
                    QCOMPARE(ev.confusion[t][p].item<std::int64_t>(),
                             data.labels.eq(t).logical_and(pred.eq(p)).sum().item<std::int64_t>());
            model->train();
        }
        // The batch size does not change the result; eval mode stays eval mode.
        model->eval();
        const Evaluation whole = evaluateClassifier(*model, data, {0.3f}, {0.35f}, 500);
        QVERIFY(!model->is_training());
        QVERIFY(torch::equal(whole.confusion, ev.confusion));
        QVERIFY(std::abs(whole.loss - ev.loss) < 1e-6);
        const auto acc = perClassAccuracy(ev.confusion);
        QCOMPARE(acc.size(), size_t(4));
        QVERIFY(std::isnan(acc[3]));  // class 3 has no images

        // A hand-made matrix.
        const auto hand =
            torch::tensor({3, 1, 0, 0, 0, 0, 2, 2, 4}, torch::kLong).view({3, 3});
        const auto h = perClassAccuracy(hand);
        QCOMPARE(h.size(), size_t(3));
        QCOMPARE(h[0], 0.75);
        QVERIFY(std::isnan(h[1]));
        QCOMPARE(h[2], 0.5);
        QVERIFY(perClassAccuracy(torch::Tensor()).empty());
    }

    void dropoutIsOffInEvaluation() {
        CnnSpec spec = tinySpec(1, 8, 8, 4, true, 0.5);
        spec.dropoutInput = 0.25;
        Cnn model(spec, 4);
        const ImageDataset data = makeData(64, 64, 1, 8, 8, 4);
        model->train();
        const Evaluation a = evaluateClassifier(*model, data.test, data.mean, data.std);
        const auto stats = bnStatistics(*model);
        const Evaluation b = evaluateClassifier(*model, data.test, data.mean, data.std);
        QVERIFY(a.loss == b.loss);  // bit-identical: no dropout, no batch statistics
        QVERIFY(torch::equal(a.confusion, b.confusion));
        QVERIFY(torch::equal(stats, bnStatistics(*model)));  // evaluation leaves BN alone
        // In train mode two forwards of the same batch differ (only dropout is random).
        const auto x = normaliseImages(data.test.images, data.mean, data.std);
        torch::NoGradGuard noGrad;
        const auto y1 = model->forward(x), y2 = model->forward(x);
        QVERIFY(!torch::allclose(y1, y2));
        // Without dropout the same two forwards agree.
        Cnn plain(tinySpec(1, 8, 8, 4), 4);
        QVERIFY(torch::equal(plain->forward(x), plain->forward(x)));
    }

    // ---------------------------------------------------------------- trainer
    void modesSwitchEveryEpoch() {
        const ImageDataset data = makeData(128, 64, 3, 8, 8, 4);
        Cnn model(tinySpec(3, 8, 8, 4), 3);
        RunControl control;
        std::vector<torch::Tensor> stats{bnStatistics(*model)};
        int stepsSeen = 0, evalSteps = 0, epochsSeen = 0, trainingEpochCalls = 0;
        std::vector<std::int64_t> stepsAtEpoch;
        const auto result = trainImageClassifier(
            *model, data, quickOptions(3), control,
            [&](const EpochMetrics& m, CnnImpl& net) {
                ++epochsSeen;
                if (net.is_training()) ++trainingEpochCalls;
                QCOMPARE(m.epoch, epochsSeen);
                stepsAtEpoch.push_back(m.steps);
                stats.push_back(bnStatistics(net));
            },
            [&](std::int64_t, CnnImpl& net) {
                ++stepsSeen;
                if (!net.is_training()) ++evalSteps;
            });
        QCOMPARE(stats.size(), size_t(4));
        // The running statistics move during every epoch (frozen from epoch 2 in the original).
        for (size_t e = 1; e < stats.size(); ++e) {
            const double moved = (stats[e] - stats[e - 1]).abs().max().item<double>();
            QVERIFY2(moved > 1e-4, ("epoch " + std::to_string(e) + ": BatchNorm statistics moved " +
                                    std::to_string(moved))
                                       .c_str());
        }
        QCOMPARE(epochsSeen, 3);
        QCOMPARE(trainingEpochCalls, 0);
        QCOMPARE(stepsSeen, 3 * 4);
        QCOMPARE(evalSteps, 0);  // train mode at every step, epochs 2 and 3 included
        QCOMPARE(stepsAtEpoch, (std::vector<std::int64_t>{4, 8, 12}));
        QCOMPARE(qint64(result.steps), qint64(12));
        QVERIFY(model->is_training());  // left in train mode
        QCOMPARE(result.epochs.size(), size_t(3));
        for (const auto& e : result.epochs) {
            QVERIFY(std::isfinite(e.trainLoss) && std::isfinite(e.testLoss));
            QVERIFY(e.testAccuracy >= 0 && e.testAccuracy <= 1);
            QVERIFY(e.seconds >= 0);
        }
        QVERIFY(result.confusion.defined());
        QCOMPARE(result.confusion.sum().item<std::int64_t>(), std::int64_t(64));
    }

    void learnsASeparableProblem() {
        const auto t0 = std::chrono::steady_clock::now();
        const ImageDataset data = makeData(256, 128, 1, 8, 8, 4);
        Cnn model(tinySpec(1, 8, 8, 4), 1);
        RunControl control;
        const auto result = trainImageClassifier(*model, data, quickOptions(5), control);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        QCOMPARE(result.epochs.size(), size_t(5));
        const auto& last = result.epochs.back();
        QVERIFY2(last.testAccuracy >= 0.9, std::to_string(last.testAccuracy).c_str());
        QVERIFY(last.trainLoss < result.epochs.front().trainLoss);
        QVERIFY(last.testLoss < 0.5);
        QVERIFY2(seconds < 2.0, std::to_string(seconds).c_str());
        QVERIFY(result.bestEpoch() >= 1 && result.bestEpoch() <= 5);
        QCOMPARE(result.epochs[size_t(result.bestEpoch() - 1)].testAccuracy,
                 std::max_element(result.epochs.begin(), result.epochs.end(),
                                  [](const EpochMetrics& a, const EpochMetrics& b) {
                                      return a.testAccuracy < b.testAccuracy;
                                  })
                     ->testAccuracy);
        for (double a : perClassAccuracy(result.confusion)) QVERIFY(a >= 0.75);
    }

    void bestEpochs() {
        ImageTrainResult r;
        QCOMPARE(r.bestEpoch(), 0);
        QCOMPARE(r.bestLossEpoch(), 0);
        for (int e = 1; e <= 4; ++e) {
            EpochMetrics m;
            m.epoch = e;
            m.testAccuracy = std::vector<double>{0.5, 0.8, 0.8, 0.7}[size_t(e - 1)];
            m.testLoss = std::vector<double>{1.0, 0.6, 0.4, 0.5}[size_t(e - 1)];
            r.epochs.push_back(m);
        }
        QCOMPARE(r.bestEpoch(), 2);  // the first of equal accuracies
        QCOMPARE(r.bestLossEpoch(), 3);
    }

    void reproducible() {
        const ImageDataset data = makeData(128, 64, 1, 8, 8, 4);
        auto run = [&](std::uint64_t modelSeed, std::uint64_t shuffleSeed, Cnn* out) {
            Cnn model(tinySpec(1, 8, 8, 4), modelSeed);
            RunControl control;
            auto o = quickOptions(2);
            o.seed = shuffleSeed;
            auto r = trainImageClassifier(*model, data, o, control);
            *out = model;
            return r;
        };
        Cnn ma(nullptr), mb(nullptr), mc(nullptr), md(nullptr);
        const auto a = run(3, 5, &ma), b = run(3, 5, &mb), c = run(3, 6, &mc), d = run(4, 5, &md);
        QCOMPARE(a.epochs.size(), b.epochs.size());
        for (size_t i = 0; i < a.epochs.size(); ++i) {
            // Exact equality, not QCOMPARE's fuzzy one.
            QVERIFY(a.epochs[i].trainLoss == b.epochs[i].trainLoss);
            QVERIFY(a.epochs[i].trainAccuracy == b.epochs[i].trainAccuracy);
            QVERIFY(a.epochs[i].runningLoss == b.epochs[i].runningLoss);
            QVERIFY(a.epochs[i].runningAccuracy == b.epochs[i].runningAccuracy);
            QVERIFY(a.epochs[i].testLoss == b.epochs[i].testLoss);
            QVERIFY(a.epochs[i].testAccuracy == b.epochs[i].testAccuracy);
            QCOMPARE(qint64(a.epochs[i].steps), qint64(b.epochs[i].steps));
        }
        QVERIFY(torch::equal(a.confusion, b.confusion));
        QVERIFY(sameParameters(*ma, *mb));
        QVERIFY(torch::equal(bnStatistics(*ma), bnStatistics(*mb)));
        // Another shuffle seed or another initialisation: another trajectory.
        QVERIFY(a.epochs[0].runningLoss != c.epochs[0].runningLoss);
        QVERIFY(!sameParameters(*ma, *mc));
        QVERIFY(a.epochs[0].runningLoss != d.epochs[0].runningLoss);
        QVERIFY(!sameParameters(*ma, *md));
    }

    void reproducibleWithDropoutOnceTheGlobalGeneratorIsSeeded() {
        // Dropout draws from libtorch's global generator, not from the model's seed.
        const ImageDataset data = makeData(64, 32, 1, 8, 8, 4);
        auto run = [&]() {
            torch::manual_seed(123);
            Cnn model(tinySpec(1, 8, 8, 4, true, 0.5), 3);
            RunControl control;
            return trainImageClassifier(*model, data, quickOptions(2), control);
        };
        const auto a = run(), b = run();
        for (size_t i = 0; i < a.epochs.size(); ++i) {
            QVERIFY(a.epochs[i].runningLoss == b.epochs[i].runningLoss);
            QVERIFY(a.epochs[i].testLoss == b.epochs[i].testLoss);
        }
    }

    void cleanTrainMetricIsAnEvaluation() {
        const ImageDataset data = makeData(128, 64, 1, 8, 8, 4);
        Cnn model(tinySpec(1, 8, 8, 4), 8);
        RunControl control;
        auto o = quickOptions(2);
        o.trainMetric = TrainMetric::Clean;
        std::vector<Evaluation> evals;
        const auto r = trainImageClassifier(*model, data, o, control,
                                            [&](const EpochMetrics&, CnnImpl& net) {
                                                evals.push_back(evaluateClassifier(
                                                    net, data.train, data.mean, data.std));
                                            });
        QCOMPARE(evals.size(), size_t(2));
        for (size_t i = 0; i < 2; ++i) {
            QVERIFY(std::abs(r.epochs[i].trainLoss - evals[i].loss) <= 1e-9);
            QCOMPARE(r.epochs[i].trainAccuracy, evals[i].accuracy);
            // The running figures are still measured, and differ from the clean ones.
            QVERIFY(std::isfinite(r.epochs[i].runningLoss));
            QVERIFY(r.epochs[i].runningLoss != r.epochs[i].trainLoss);
        }
        QCOMPARE(trainMetricName(TrainMetric::Clean), std::string("clean"));
        QCOMPARE(trainMetricName(TrainMetric::Running), std::string("running"));
        QVERIFY(trainMetricFromName("clean") == TrainMetric::Clean);
        QVERIFY(trainMetricFromName("running") == TrainMetric::Running);
        QVERIFY_EXCEPTION_THROWN(trainMetricFromName("exact"), ConfigError);
    }

    void runningTrainMetricIsTheBatchMean() {
        // SGD with lr 1e-30 leaves the weights as they are (to float rounding), so the
        // running loss is the mean of the train-mode losses of this epoch's batches on the
        // initial weights, which this test recomputes batch by batch.
        const ImageDataset data = makeData(100, 32, 1, 8, 8, 4);  // 3 batches of 32 and one of 4
        Cnn model(tinySpec(1, 8, 8, 4), 8);
        Cnn copy(tinySpec(1, 8, 8, 4), 8);
        RunControl control;
        auto o = quickOptions(1);
        o.optimizer = OptimizerKind::SGD;
        o.lr = 1e-30;
        o.trainMetric = TrainMetric::Running;
        const auto r = trainImageClassifier(*model, data, o, control);
        const auto& m = r.epochs.at(0);
        QVERIFY(m.trainLoss == m.runningLoss);
        QVERIFY(m.trainAccuracy == m.runningAccuracy);

        BatchIterator it(data.train, data.mean, data.std, o.batchSize, true, o.seed);
        it.startEpoch(0);
        copy->train();
        torch::NoGradGuard noGrad;
        torch::Tensor x, y;
        double lossSum = 0;
        std::int64_t correct = 0, seen = 0;
        while (it.next(x, y)) {
            const auto out = copy->forward(x);
            lossSum += torch::nn::functional::cross_entropy(out, y).item<double>() *
                       static_cast<double>(y.size(0));
            correct += out.argmax(1).eq(y).sum().item<std::int64_t>();
            seen += y.size(0);
        }
        QCOMPARE(qint64(seen), qint64(100));
        QVERIFY2(std::abs(m.runningLoss - lossSum / 100.0) < 1e-6,
                 (std::to_string(m.runningLoss) + " vs " + std::to_string(lossSum / 100)).c_str());
        QCOMPARE(m.runningAccuracy, static_cast<double>(correct) / 100.0);
        // The clean evaluation (eval mode, running statistics) is a different number.
        const Evaluation clean = evaluateClassifier(*model, data.train, data.mean, data.std);
        QVERIFY(clean.loss != m.runningLoss);
    }

    void maxStepsStopsExactly() {
        const ImageDataset data = makeData(128, 32, 1, 8, 8, 4);  // 8 steps per epoch of 16
        Cnn model(tinySpec(1, 8, 8, 4), 1);
        RunControl control;
        auto o = quickOptions(5, 16);
        o.maxSteps = 11;
        std::vector<std::int64_t> steps;
        const auto r = trainImageClassifier(*model, data, o, control, {},
                                            [&](std::int64_t s, CnnImpl&) { steps.push_back(s); });
        QCOMPARE(qint64(r.steps), qint64(11));
        QCOMPARE(steps.size(), size_t(11));
        for (size_t i = 0; i < steps.size(); ++i) QCOMPARE(qint64(steps[i]), qint64(i + 1));
        QCOMPARE(r.epochs.size(), size_t(2));  // the partial epoch is evaluated as the last one
        QCOMPARE(qint64(r.epochs.back().steps), qint64(11));
        QVERIFY(std::isfinite(r.epochs.back().testLoss));
        QVERIFY(!r.cancelled);
        QVERIFY(!r.reachedLossTarget);
    }

    void lossTargetStopsEarly() {
        const ImageDataset data = makeData(128, 32, 1, 8, 8, 4);
        Cnn model(tinySpec(1, 8, 8, 4), 1);
        RunControl control;
        auto o = quickOptions(40);
        o.lossTarget = 0.3;
        const auto r = trainImageClassifier(*model, data, o, control);
        QVERIFY(r.reachedLossTarget);
        QVERIFY(r.epochs.size() < 40);
        QVERIFY(r.epochs.back().trainLoss <= 0.3);
        for (size_t i = 0; i + 1 < r.epochs.size(); ++i) QVERIFY(r.epochs[i].trainLoss > 0.3);
        QVERIFY(!r.cancelled);
    }

    void cancelFromTheStepCallback() {
        const ImageDataset data = makeData(128, 32, 1, 8, 8, 4);
        for (std::int64_t at : {3, 10}) {  // in epoch 1, and in epoch 2 (4 steps per epoch)
            Cnn model(tinySpec(1, 8, 8, 4), 1);
            RunControl control;
            std::int64_t calls = 0, last = 0;
            const auto r = trainImageClassifier(*model, data, quickOptions(5), control, {},
                                                [&](std::int64_t s, CnnImpl&) {
                                                    ++calls;
                                                    last = s;
                                                    if (s == at) control.cancel = true;
                                                });
            QVERIFY(r.cancelled);
            QCOMPARE(qint64(r.steps), qint64(at));
            QCOMPARE(qint64(calls), qint64(at));
            QCOMPARE(qint64(last), qint64(at));
            // Only completed epochs are reported.
            QCOMPARE(r.epochs.size(), size_t(at / 4));
            QVERIFY(model->is_training());
        }
        {  // cancelled before the first step
            Cnn model(tinySpec(1, 8, 8, 4), 1);
            RunControl control;
            control.cancel = true;
            int calls = 0;
            const auto r = trainImageClassifier(*model, data, quickOptions(2), control, {},
                                                [&](std::int64_t, CnnImpl&) { ++calls; });
            QVERIFY(r.cancelled);
            QCOMPARE(calls, 0);
            QCOMPARE(qint64(r.steps), qint64(0));
            QVERIFY(r.epochs.empty());
        }
    }

    void pauseWaits() {
        const ImageDataset data = makeData(64, 32, 1, 8, 8, 4);
        Cnn model(tinySpec(1, 8, 8, 4), 1);
        RunControl control;
        std::thread resumer;
        std::vector<std::chrono::steady_clock::time_point> at;
        const auto r = trainImageClassifier(*model, data, quickOptions(1, 16), control, {},
                                            [&](std::int64_t s, CnnImpl&) {
                                                at.push_back(std::chrono::steady_clock::now());
                                                if (s == 2) {
                                                    control.pause = true;
                                                    resumer = std::thread([&control] {
                                                        std::this_thread::sleep_for(
                                                            std::chrono::milliseconds(150));
                                                        control.pause = false;
                                                    });
                                                }
                                            });
        if (resumer.joinable()) resumer.join();
        QCOMPARE(qint64(r.steps), qint64(4));
        QVERIFY(!r.cancelled);
        QCOMPARE(at.size(), size_t(4));
        const double paused = std::chrono::duration<double>(at[2] - at[1]).count();
        QVERIFY2(paused >= 0.14, std::to_string(paused).c_str());
    }

    void divergenceThrows() {
        const ImageDataset data = makeData(64, 32, 1, 8, 8, 4);
        {  // a huge learning rate on a net without BatchNorm
            Cnn model(tinySpec(1, 8, 8, 4, false), 1);
            RunControl control;
            auto o = quickOptions(5, 16);
            o.optimizer = OptimizerKind::SGD;
            o.lr = 1e8;
            o.label = "Huge-LR net";
            std::int64_t lastStep = 0;
            bool thrown = false;
            try {
                trainImageClassifier(*model, data, o, control, {},
                                     [&](std::int64_t s, CnnImpl&) { lastStep = s; });
            } catch (const DivergenceError& e) {
                thrown = true;
                const std::string what = e.what();
                QVERIFY2(what.find("Huge-LR net") != std::string::npos, what.c_str());
                QVERIFY2(what.find("step " + std::to_string(e.step())) != std::string::npos,
                         what.c_str());
                QCOMPARE(qint64(e.step()), qint64(lastStep + 1));  // the step that failed
                QVERIFY(!std::isfinite(e.loss()));
            }
            QVERIFY(thrown);
        }
        {  // a huge mean over a tiny std: every input is -inf, the loss NaN at the first step
            ImageDataset huge = data;
            huge.mean = {1e30f};
            huge.std = {1e-30f};
            Cnn model(tinySpec(1, 8, 8, 4, false), 1);
            RunControl control;
            auto o = quickOptions(1);
            o.label = "Overflowing net";
            try {
                trainImageClassifier(*model, huge, o, control);
                QFAIL("no DivergenceError");
            } catch (const DivergenceError& e) {
                const std::string what = e.what();
                QVERIFY2(what.find("Overflowing net") != std::string::npos, what.c_str());
                QVERIFY2(what.find("step 1") != std::string::npos, what.c_str());
                QCOMPARE(qint64(e.step()), qint64(1));
            }
        }
    }

    void badOptionsAreRefused() {
        const ImageDataset data = makeData(32, 16, 1, 8, 8, 4);
        Cnn model(tinySpec(1, 8, 8, 4), 1);
        RunControl control;
        auto o = quickOptions(0);
        o.batchSize = 0;
        o.lr = -1;
        const auto p = problemsOf([&] { trainImageClassifier(*model, data, o, control); });
        QVERIFY2(anyContains(p, "epochs") && anyContains(p, "batch size") &&
                     anyContains(p, "learning rate"),
                 joined(p).c_str());
        ImageDataset empty = data;
        empty.test = ImageTensors{};
        const auto q =
            problemsOf([&] { trainImageClassifier(*model, empty, quickOptions(1), control); });
        QVERIFY2(anyContains(q, "test"), joined(q).c_str());
    }
};

QTEST_APPLESS_MAIN(TstCnn)
#include "tst_cnn.moc"
