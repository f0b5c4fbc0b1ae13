#include "config_inputs.h"

#include <QAbstractScrollArea>
#include <QCoreApplication>
#include <QEvent>
#include <QLocale>
#include <QRegularExpression>
#include <algorithm>
#include <cmath>

namespace trainlab {

namespace {

QString compactText(const QLocale& locale, double value) {
    QLocale loc = locale;
    loc.setNumberOptions(QLocale::OmitGroupSeparator);
    return loc.toString(value, 'g', 10);
}

/// The next value of the 1-2-5 series above (or below) `v`.
double nextOneTwoFive(double v, bool up) {
    if (!(v > 0)) return up ? 1e-6 : v;
    static const double kSteps[] = {1, 2, 5};
    const int k = static_cast<int>(std::floor(std::log10(v)));
    if (up) {
        for (int e = k; e <= k + 1; ++e)
            for (double m : kSteps)
                if (m * std::pow(10.0, e) > v * (1 + 1e-9)) return m * std::pow(10.0, e);
    } else {
        for (int e = k; e >= k - 1; --e)
            for (int i = 2; i >= 0; --i)
                if (kSteps[i] * std::pow(10.0, e) < v * (1 - 1e-9))
                    return kSteps[i] * std::pow(10.0, e);
    }
    return v;
}

}  // namespace

void DoublingSpinBox::stepBy(int steps) {
    long long v = value();
    for (; steps > 0; --steps) v = v <= 0 ? 1 : v * 2;
    for (; steps < 0; ++steps) v = v / 2;
    setValue(static_cast<int>(std::clamp<long long>(v, minimum(), maximum())));
}

QString CompactDoubleSpinBox::textFromValue(double value) const {
    return compactText(locale(), value);
}

ScientificSpinBox::ScientificSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
    setDecimals(60);  // QDoubleSpinBox rounds to this many decimals
}

QString ScientificSpinBox::textFromValue(double value) const {
    QString text = compactText(locale(), value);
    static const QRegularExpression exponentZeros(QStringLiteral("e([+-])0+(\\d)"));
    text.replace(exponentZeros, QStringLiteral("e\\1\\2"));  // 1e-05 → 1e-5
    return text.replace(QStringLiteral("e+"), QStringLiteral("e"));
}

double ScientificSpinBox::valueFromText(const QString& text) const {
    bool ok = false;
    const double v = parse(text, &ok);
    return ok ? v : value();
}

QValidator::State ScientificSpinBox::validate(QString& text, int&) const {
    const QString t = text.trimmed();
    if (t.isEmpty()) return QValidator::Intermediate;
    for (QChar c : t)
        if (!c.isDigit() && !QStringLiteral(".,eE+-").contains(c)) return QValidator::Invalid;
    bool ok = false;
    const double v = parse(t, &ok);
    if (!ok) return QValidator::Intermediate;  // "1e-" on the way to "1e-5"
    return v >= minimum() && v <= maximum() ? QValidator::Acceptable : QValidator::Intermediate;
}

void ScientificSpinBox::stepBy(int steps) {
    double v = value();
    for (; steps > 0; --steps) v = nextOneTwoFive(v, true);
    for (; steps < 0; ++steps) v = nextOneTwoFive(v, false);
    setValue(std::clamp(v, minimum(), maximum()));
    selectAll();
}

double ScientificSpinBox::parse(const QString& text, bool* ok) const {
    double v = locale().toDouble(text.trimmed(), ok);
    if (!*ok) v = QLocale::c().toDouble(text.trimmed(), ok);
    return v;
}

bool WheelGuard::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() != QEvent::Wheel) return false;
    auto* widget = qobject_cast<QWidget*>(watched);
    if (!widget || widget->hasFocus()) return false;
    // Not the field's: the scroll area around it scrolls (its viewport hands the wheel to the
    // scroll bar). Without one, ignored: Qt offers it to the parents.
    for (QWidget* p = widget->parentWidget(); p; p = p->parentWidget()) {
        if (auto* area = qobject_cast<QAbstractScrollArea*>(p)) {
            QCoreApplication::sendEvent(area->viewport(), event);
            return true;
        }
    }
    event->ignore();
    return true;
}

void guardWheel(QWidget* editor, WheelGuard* guard) {
    editor->setFocusPolicy(Qt::StrongFocus);
    editor->installEventFilter(guard);
}

}  // namespace trainlab
