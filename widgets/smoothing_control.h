// The "Smoothing" control of the plots (a slider and a spin box for the weight of TensorBoard's
// debiased moving average, PlotPanel::setSmoothing), for the main window's toolbar.
#pragma once

#include <QWidget>
#include <vector>

class QDoubleSpinBox;
class QLabel;
class QSlider;

namespace trainlab {

class PlotPanel;
class WheelGuard;

/// A labelled horizontal slider over 0–0.999 in steps of 0.001 and a spin box showing the same
/// weight with 3 decimals; either one sets it. The wheel changes them only while they have
/// keyboard focus (WheelGuard), so that scrolling past the toolbar changes nothing.
///
/// Contract: GUI thread only. smoothingChanged is emitted once per change of the value, by
/// the user or by setValue (not when the value stays the same).
class SmoothingControl : public QWidget {
    Q_OBJECT
  public:
    /// The QSettings key the window may keep the weight under.
    static constexpr const char* kSettingsKey = "plots/smoothing";

    explicit SmoothingControl(QWidget* parent = nullptr);

    /// The weight, in [0, 0.999], a multiple of 0.001.
    double value() const;
    /// Sets the weight (clamped to [0, 0.999], rounded to 0.001; NaN gives 0).
    void setValue(double weight);

    QSlider* slider() const { return slider_; }
    QDoubleSpinBox* spinBox() const { return spin_; }

    /// Gives every panel (null ones skipped) the weight: connect smoothingChanged to it.
    static void applyToPanels(const std::vector<PlotPanel*>& panels, double weight);
    /// Gives every PlotPanel under `root` (its descendants) the weight.
    static void applyToPanels(QWidget* root, double weight);

  signals:
    void smoothingChanged(double weight);

  private:
    void setFromUser(int steps);

    QLabel* label_ = nullptr;
    QSlider* slider_ = nullptr;
    QDoubleSpinBox* spin_ = nullptr;
    WheelGuard* wheelGuard_ = nullptr;
    int steps_ = 0;  ///< the weight in thousandths
};

}  // namespace trainlab
