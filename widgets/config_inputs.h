// The number editors of the Settings form (ConfigEditor) and the guard that keeps the mouse
// wheel from changing a field the user only scrolled over.
#pragma once

#include <QDoubleSpinBox>
#include <QObject>
#include <QSpinBox>

namespace trainlab {

/// Integer spin box whose arrows double and halve the value (batch sizes, widths).
class DoublingSpinBox : public QSpinBox {
  public:
    using QSpinBox::QSpinBox;
    void stepBy(int steps) override;
};

/// Shows numbers compactly (0.9, not 0.90000000) while keeping 8 decimals of precision.
class CompactDoubleSpinBox : public QDoubleSpinBox {
  public:
    using QDoubleSpinBox::QDoubleSpinBox;
    QString textFromValue(double value) const override;
};

/// Double spin box for quantities spanning decades (learning rates, tolerances): accepts
/// scientific notation ("1e-5") and its arrows step through 1, 2, 5 × 10^k.
class ScientificSpinBox : public QDoubleSpinBox {
  public:
    explicit ScientificSpinBox(QWidget* parent = nullptr);
    QString textFromValue(double value) const override;
    double valueFromText(const QString& text) const override;
    QValidator::State validate(QString& text, int& pos) const override;
    void stepBy(int steps) override;

  private:
    double parse(const QString& text, bool* ok) const;
};

/// Installed on a spin box or combo box (guardWheel): the wheel changes its value only while
/// it has keyboard focus. Otherwise the wheel goes to the scroll area around the field,
/// which scrolls (as in Qt Creator and KDE's System Settings): scrolling through the
/// settings never changes one.
class WheelGuard : public QObject {
  public:
    using QObject::QObject;

  protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
};

/// Gives `editor` Qt::StrongFocus (the wheel no longer focuses it) and `guard`'s filter.
void guardWheel(QWidget* editor, WheelGuard* guard);

}  // namespace trainlab
