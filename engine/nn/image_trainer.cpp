#include "image_trainer.h"

#include <chrono>
#include <thread>

#include "errors.h"
#include "throttle.h"

namespace trainlab {

namespace {

namespace F = torch::nn::functional;

}  // namespace

std::string trainMetricName(TrainMetric m) { return nameOf(kTrainMetricNames, m); }

TrainMetric trainMetricFromName(const std::string& name) {
    return parseName(kTrainMetricNames, name, "train metric");
}

ClassifierNet classifierNet(CnnImpl& model) {
    return {model, [&model](const torch::Tensor& x) { return model.forward(x); },
            model.spec().classes};
}

Evaluation evaluateClassifier(CnnImpl& model, const ImageTensors& data,
                              const std::vector<float>& mean, const std::vector<float>& std,
                              std::int64_t batchSize) {
    return evaluateClassifier(classifierNet(model), data, mean, std, batchSize);
}

Evaluation evaluateClassifier(const ClassifierNet& net, const ImageTensors& data,
                              const std::vector<float>& mean, const std::vector<float>& std,
                              std::int64_t batchSize) {
    const bool wasTraining = net.module.is_training();
    struct RestoreMode {  // also when the forward pass throws
        torch::nn::Module& m;
        bool training;
        ~RestoreMode() { m.train(training); }
    } restore{net.module, wasTraining};
    torch::NoGradGuard noGrad;
    net.module.eval();
    const std::int64_t k = net.classes;
    Evaluation ev;
    auto counts = torch::zeros({k * k}, torch::kLong);
    double lossSum = 0;
    BatchIterator it(data, mean, std, std::max<std::int64_t>(1, batchSize), false, 0);
    torch::Tensor x, y;
    while (it.next(x, y)) {
        const auto out = net.forward(x);
        lossSum += F::cross_entropy(out, y, F::CrossEntropyFuncOptions().reduction(torch::kSum))
                       .item<double>();
        const auto pred = out.argmax(1);
        counts += torch::bincount(y * k + pred, {}, k * k);
        ev.count += y.size(0);
    }
    ev.confusion = counts.view({k, k});
    if (ev.count > 0) {
        ev.loss = lossSum / static_cast<double>(ev.count);
        ev.accuracy = static_cast<double>(ev.confusion.diagonal().sum().item<std::int64_t>()) /
                      static_cast<double>(ev.count);
    }
    return ev;
}

std::vector<double> perClassAccuracy(const torch::Tensor& confusion) {
    std::vector<double> acc;
    if (!confusion.defined()) return acc;
    const auto c = confusion.to(torch::kDouble);
    const auto rows = c.sum(1);
    for (std::int64_t i = 0; i < c.size(0); ++i) {
        const double n = rows[i].item<double>();
        acc.push_back(n > 0 ? c[i][i].item<double>() / n : NAN);
    }
    return acc;
}

int ImageTrainResult::bestEpoch() const {
    int best = 0;
    double acc = -1;
    for (const auto& e : epochs)
        if (e.testAccuracy > acc) {
            acc = e.testAccuracy;
            best = e.epoch;
        }
    return best;
}

int ImageTrainResult::bestLossEpoch() const {
    int best = 0;
    double loss = INFINITY;
    for (const auto& e : epochs)
        if (e.testLoss < loss) {
            loss = e.testLoss;
            best = e.epoch;
        }
    return best;
}

namespace {

std::string splitName(const ImageDataset& data, const ImageTensors* split) {
    return split == &data.train ? "training" : "test";
}

/// One message per problem of the options or the data against the model; empty when fine.
std::vector<std::string> trainingProblems(const CnnImpl& model, const ImageDataset& data,
                                          const ImageTrainOptions& o) {
    std::vector<std::string> problems;
    if (o.epochs < 1) problems.push_back("epochs = " + std::to_string(o.epochs) + " must be >= 1");
    if (o.batchSize < 1)
        problems.push_back("batch size = " + std::to_string(o.batchSize) + " must be >= 1");
    if (!(o.lr > 0) || !std::isfinite(o.lr)) problems.push_back("learning rate must be > 0");
    if (data.train.size() == 0) problems.push_back("the training set is empty");
    if (data.test.size() == 0) problems.push_back("the test set is empty");
    const CnnSpec& spec = model.spec();
    for (const auto* split : {&data.train, &data.test}) {
        if (split->size() == 0) continue;
        const auto sizes = split->images.sizes();
        if (sizes.size() != 4 || sizes[1] != spec.inChannels || sizes[2] != spec.height ||
            sizes[3] != spec.width) {
            problems.push_back(splitName(data, split) + " images are " +
                               std::to_string(sizes.size() == 4 ? sizes[1] : 0) + "x" +
                               std::to_string(sizes.size() == 4 ? sizes[2] : 0) + "x" +
                               std::to_string(sizes.size() == 4 ? sizes[3] : 0) + " but " +
                               (spec.name.empty() ? "the model" : spec.name) + " expects " +
                               std::to_string(spec.inChannels) + "x" + std::to_string(spec.height) +
                               "x" + std::to_string(spec.width));
            continue;
        }
        const auto lo = split->labels.min().item<std::int64_t>();
        const auto hi = split->labels.max().item<std::int64_t>();
        if (lo < 0 || hi >= spec.classes)
            problems.push_back(splitName(data, split) + " labels run from " + std::to_string(lo) +
                               " to " + std::to_string(hi) + " but the model has " +
                               std::to_string(spec.classes) + " classes");
    }
    return problems;
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(torch::nn::Module& model,
                                                       const ImageTrainOptions& o) {
    if (o.optimizer == OptimizerKind::Adam)
        return std::make_unique<torch::optim::Adam>(model.parameters(),
                                                    torch::optim::AdamOptions(o.lr));
    return std::make_unique<torch::optim::SGD>(
        model.parameters(), torch::optim::SGDOptions(o.lr).momentum(o.momentum));
}

/// The running loss and accuracy of one epoch's batches.
struct EpochPass {
    double lossSum = 0;
    std::int64_t correct = 0, seen = 0;
    bool stepLimit = false;  ///< stopped at options.maxSteps
};

/// One epoch of optimizer steps (train mode); sets result.cancelled on a cancel.
EpochPass trainOneEpoch(const ClassifierNet& net, torch::optim::Optimizer& opt, BatchIterator& it,
                        const ImageTrainOptions& o, RunControl& control, ImageTrainResult& result,
                        const std::function<void(std::int64_t)>& onStep) {
    EpochPass pass;
    torch::Tensor x, y;
    while (it.next(x, y)) {
        while (control.pause && !control.cancel)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (control.cancel) {
            result.cancelled = true;
            break;
        }
        opt.zero_grad();
        const auto out = net.forward(x);
        const auto loss = F::cross_entropy(out, y);
        loss.backward();
        const double v = loss.item<double>();
        if (!std::isfinite(v)) throw DivergenceError(o.label, result.steps + 1, v, NAN);
        opt.step();
        ++result.steps;
        pass.lossSum += v * static_cast<double>(y.size(0));
        pass.correct += out.detach().argmax(1).eq(y).sum().item<std::int64_t>();
        pass.seen += y.size(0);
        if (onStep) onStep(result.steps);
        if (o.maxSteps > 0 && result.steps >= o.maxSteps) {
            pass.stepLimit = true;
            break;
        }
    }
    return pass;
}

/// The epoch's metrics: the running ones, the clean training pass when asked, the test set.
EpochMetrics measureEpoch(const ClassifierNet& net, const ImageDataset& data, const ImageTrainOptions& o,
                          const EpochPass& pass, int epoch, ImageTrainResult& result) {
    EpochMetrics m;
    m.epoch = epoch;
    m.steps = result.steps;
    const auto seen = static_cast<double>(std::max<std::int64_t>(1, pass.seen));
    m.runningLoss = pass.lossSum / seen;
    m.runningAccuracy = static_cast<double>(pass.correct) / seen;
    m.trainLoss = m.runningLoss;
    m.trainAccuracy = m.runningAccuracy;
    if (o.trainMetric == TrainMetric::Clean) {
        const Evaluation tr = evaluateClassifier(net, data.train, data.mean, data.std, o.evalBatch);
        m.trainLoss = tr.loss;
        m.trainAccuracy = tr.accuracy;
    }
    const Evaluation te = evaluateClassifier(net, data.test, data.mean, data.std, o.evalBatch);
    m.testLoss = te.loss;
    m.testAccuracy = te.accuracy;
    result.confusion = te.confusion;
    return m;
}

}  // namespace

ImageTrainResult trainImageClassifier(CnnImpl& model, const ImageDataset& data,
                                      const ImageTrainOptions& o, RunControl& control,
                                      const EpochCallback& onEpoch, const StepCallback& onStep) {
    const auto problems = trainingProblems(model, data, o);
    if (!problems.empty()) throw ConfigError(problems);
    return trainClassifier(
        classifierNet(model), data, o, control,
        onEpoch ? [&](const EpochMetrics& m) { onEpoch(m, model); } : ClassifierEpochCallback{},
        onStep ? [&](std::int64_t step) { onStep(step, model); } : ClassifierStepCallback{});
}

ImageTrainResult trainClassifier(const ClassifierNet& net, const ImageDataset& data,
                                 const ImageTrainOptions& o, RunControl& control,
                                 const ClassifierEpochCallback& onEpoch,
                                 const ClassifierStepCallback& onStep) {
    torch::nn::Module& model = net.module;
    const auto t0 = std::chrono::steady_clock::now();
    const auto opt = makeOptimizer(model, o);
    BatchIterator it(data.train, data.mean, data.std, o.batchSize, true, o.seed);
    ImageTrainResult result;
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
        const auto te = std::chrono::steady_clock::now();
        model.train();  // every epoch: the evaluation below leaves the model in eval mode
        it.startEpoch(epoch - 1 + o.firstShuffleEpoch);
        const EpochPass pass = trainOneEpoch(net, *opt, it, o, control, result, onStep);
        if (result.cancelled) break;
        EpochMetrics m = measureEpoch(net, data, o, pass, epoch, result);
        m.seconds = secondsSince(te);
        result.epochs.push_back(m);
        if (onEpoch) {
            model.eval();
            onEpoch(m);
        }
        if (o.lossTarget > 0 && m.trainLoss <= o.lossTarget) {
            result.reachedLossTarget = true;
            break;
        }
        if (pass.stepLimit) break;
    }
    model.train();
    result.seconds = secondsSince(t0);
    return result;
}

}  // namespace trainlab
