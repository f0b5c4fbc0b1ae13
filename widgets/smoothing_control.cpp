#include "smoothing_control.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <algorithm>
#include <cmath>

#include "config_inputs.h"
#include "plot_panel.h"
#include "smoothing.h"

namespace trainlab {

namespace {

constexpr int kStepsPerUnit = 1000;  // the weight moves in steps of 0.001
const int kMaxSteps = static_cast<int>(std::lround(kMaxSmoothingWeight * kStepsPerUnit));

int toSteps(double weight) {
    return static_cast<int>(std::lround(clampSmoothingWeight(weight) * kStepsPerUnit));
}

}  // namespace

SmoothingControl::SmoothingControl(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("smoothingControl"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    label_ = new QLabel(tr("Smoothing"), this);
    slider_ = new QSlider(Qt::Horizontal, this);
    slider_->setObjectName(QStringLiteral("smoothingSlider"));
    slider_->setRange(0, kMaxSteps);
    slider_->setSingleStep(1);
    slider_->setPageStep(50);
    slider_->setMinimumWidth(120);
    spin_ = new QDoubleSpinBox(this);
    spin_->setObjectName(QStringLiteral("smoothingSpinBox"));
    spin_->setRange(0, static_cast<double>(kMaxSteps) / kStepsPerUnit);
    spin_->setDecimals(3);
    spin_->setSingleStep(1.0 / kStepsPerUnit);
    spin_->setKeyboardTracking(false);  // typing "0.95" is one change, not three
    label_->setBuddy(spin_);
    layout->addWidget(label_);
    layout->addWidget(slider_, 1);
    layout->addWidget(spin_);

    const QString tip =
        tr("Smooths every line of appended points (losses, accuracies) with TensorBoard's "
           "debiased exponential moving average: weight 0 is off, 0.999 the smoothest. The raw "
           "data stays drawn faintly behind each smoothed line, the hover shows both values, "
           "and CSV exports contain the raw (y) and the smoothed (smoothed) columns.");
    for (QWidget* w : {static_cast<QWidget*>(this), static_cast<QWidget*>(label_),
                       static_cast<QWidget*>(slider_), static_cast<QWidget*>(spin_)})
        w->setToolTip(tip);

    wheelGuard_ = new WheelGuard(this);
    guardWheel(slider_, wheelGuard_);
    guardWheel(spin_, wheelGuard_);

    connect(slider_, &QSlider::valueChanged, this, [this](int steps) { setFromUser(steps); });
    connect(spin_, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
            [this](double v) { setFromUser(toSteps(v)); });
}

double SmoothingControl::value() const {
    return static_cast<double>(steps_) / kStepsPerUnit;
}

void SmoothingControl::setValue(double weight) {
    setFromUser(toSteps(weight));
}

void SmoothingControl::setFromUser(int steps) {
    steps = std::clamp(steps, 0, kMaxSteps);
    {  // keep both editors showing the value without feeding back into this
        const QSignalBlocker blockSlider(slider_);
        const QSignalBlocker blockSpin(spin_);
        slider_->setValue(steps);
        spin_->setValue(static_cast<double>(steps) / kStepsPerUnit);
    }
    if (steps == steps_) return;
    steps_ = steps;
    emit smoothingChanged(value());
}

void SmoothingControl::applyToPanels(const std::vector<PlotPanel*>& panels, double weight) {
    for (PlotPanel* panel : panels)
        if (panel) panel->setSmoothing(weight);
}

void SmoothingControl::applyToPanels(QWidget* root, double weight) {
    if (!root) return;
    const QList<PlotPanel*> panels = root->findChildren<PlotPanel*>();
    applyToPanels(std::vector<PlotPanel*>(panels.begin(), panels.end()), weight);
}

}  // namespace trainlab
