#include "config_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>
#include <climits>
#include <cmath>
#include <limits>

namespace trainlab {

using nlohmann::json;

namespace {

/// Integer spin box whose arrows double and halve the value (batch sizes, widths).
class DoublingSpinBox : public QSpinBox {
  public:
    using QSpinBox::QSpinBox;
    void stepBy(int steps) override {
        long long v = value();
        for (; steps > 0; --steps) v = v <= 0 ? 1 : v * 2;
        for (; steps < 0; ++steps) v = v / 2;
        setValue(static_cast<int>(std::clamp<long long>(v, minimum(), maximum())));
    }
};

/// Shows numbers compactly (0.9, not 0.90000000) while keeping 8 decimals of precision.
class CompactDoubleSpinBox : public QDoubleSpinBox {
  public:
    using QDoubleSpinBox::QDoubleSpinBox;
    QString textFromValue(double value) const override {
        QLocale loc = locale();
        loc.setNumberOptions(QLocale::OmitGroupSeparator);
        return loc.toString(value, 'g', 10);
    }
};

/// Double spin box for quantities spanning decades (learning rates, tolerances): accepts
/// scientific notation ("1e-5") and its arrows step through 1, 2, 5 × 10^k.
class ScientificSpinBox : public QDoubleSpinBox {
  public:
    explicit ScientificSpinBox(QWidget* parent = nullptr) : QDoubleSpinBox(parent) {
        setDecimals(60);  // QDoubleSpinBox rounds to this many decimals
    }

    QString textFromValue(double value) const override {
        QLocale loc = locale();
        loc.setNumberOptions(QLocale::OmitGroupSeparator);
        QString text = loc.toString(value, 'g', 10);
        static const QRegularExpression exponentZeros(QStringLiteral("e([+-])0+(\\d)"));
        text.replace(exponentZeros, QStringLiteral("e\\1\\2"));  // 1e-05 → 1e-5
        return text.replace(QStringLiteral("e+"), QStringLiteral("e"));
    }

    double valueFromText(const QString& text) const override {
        bool ok = false;
        const double v = parse(text, &ok);
        return ok ? v : value();
    }

    QValidator::State validate(QString& text, int&) const override {
        const QString t = text.trimmed();
        if (t.isEmpty()) return QValidator::Intermediate;
        for (QChar c : t)
            if (!c.isDigit() && !QStringLiteral(".,eE+-").contains(c)) return QValidator::Invalid;
        bool ok = false;
        const double v = parse(t, &ok);
        if (!ok) return QValidator::Intermediate;  // "1e-" on the way to "1e-5"
        return v >= minimum() && v <= maximum() ? QValidator::Acceptable : QValidator::Intermediate;
    }

    void stepBy(int steps) override {
        double v = value();
        for (; steps > 0; --steps) v = next(v, true);
        for (; steps < 0; ++steps) v = next(v, false);
        setValue(std::clamp(v, minimum(), maximum()));
        selectAll();
    }

  private:
    double parse(const QString& text, bool* ok) const {
        double v = locale().toDouble(text.trimmed(), ok);
        if (!*ok) v = QLocale::c().toDouble(text.trimmed(), ok);
        return v;
    }

    static double next(double v, bool up) {
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
};

int clampToInt(double v) {
    if (!(v == v)) return 0;
    return static_cast<int>(std::clamp<double>(v, INT_MIN, INT_MAX));
}

QString numberText(double v) {
    return QString::number(v, 'g', 10);
}

QString rangeText(const ParamSpec& s) {
    return QStringLiteral("%1 … %2").arg(numberText(s.min), numberText(s.max));
}

}  // namespace

struct ConfigEditor::Field {
    ParamSpec spec;
    QWidget* editor = nullptr;
    json lastValid;  ///< IntList: the value kept while the text does not parse
    QString error;   ///< IntList: why the current text does not parse
    QString baseToolTip;
};

ConfigEditor::ConfigEditor(QWidget* parent) : QWidget(parent) {
    scroll_ = new QScrollArea(this);
    scroll_->setWidgetResizable(true);
    scroll_->setFrameShape(QFrame::NoFrame);
    resetButton_ = new QPushButton(tr("Reset to preset"), this);
    resetButton_->setObjectName(QStringLiteral("resetToPreset"));
    resetButton_->setToolTip(tr("Restore every setting to the preset's value"));
    connect(resetButton_, &QPushButton::clicked, this, &ConfigEditor::resetToPreset);

    auto* buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(resetButton_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll_, 1);
    layout->addLayout(buttons);
}

ConfigEditor::~ConfigEditor() = default;

namespace {

/// A field's tool tip: its help, what it accepts, its range and its key, a line each.
QString editorToolTip(const ParamSpec& spec) {
    QString tip = QString::fromStdString(spec.help);
    const auto addLine = [&tip](const QString& line) { tip += (tip.isEmpty() ? "" : "\n") + line; };
    if (spec.type == ParamType::Choice) {
        QStringList choices;
        for (const auto& c : spec.choices) choices << QString::fromStdString(c);
        addLine(ConfigEditor::tr("One of: %1").arg(choices.join(", ")));
    }
    if (spec.type == ParamType::IntList)
        addLine(ConfigEditor::tr("Comma-separated integers, %1 to %2 of them")
                    .arg(spec.minItems)
                    .arg(spec.maxItems));
    const QString unit = QString::fromStdString(spec.unit);
    if (spec.type == ParamType::Int || spec.type == ParamType::Double ||
        spec.type == ParamType::IntList)
        addLine(ConfigEditor::tr("Range: %1%2")
                    .arg(rangeText(spec), unit.isEmpty() ? QString() : " " + unit));
    addLine(ConfigEditor::tr("Key: %1").arg(QString::fromStdString(spec.key)));
    return tip;
}

/// The form of group `name` in `layout`, made (a titled box) the first time it is asked for.
QFormLayout* groupForm(std::vector<std::pair<QString, QFormLayout*>>& groups, const QString& name,
                       QWidget* content, QVBoxLayout* layout) {
    for (auto& [groupName, form] : groups)
        if (groupName == name) return form;
    auto* box = new QGroupBox(name, content);
    auto* form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    layout->addWidget(box);
    groups.emplace_back(name, form);
    return form;
}

}  // namespace

QWidget* ConfigEditor::makeEditor(const ParamSpec& spec) {
    switch (spec.type) {
        case ParamType::Int: {
            auto* box = spec.logScale ? new DoublingSpinBox(content_) : new QSpinBox(content_);
            int lo = clampToInt(spec.min);
            int hi = clampToInt(spec.max);
            if (hi < lo) {
                lo = INT_MIN;
                hi = INT_MAX;
            }
            box->setRange(lo, hi);
            box->setAccelerated(true);
            connect(box, qOverload<int>(&QSpinBox::valueChanged), this, &ConfigEditor::onEdited);
            return box;
        }
        case ParamType::Double: {
            QDoubleSpinBox* box = nullptr;
            if (spec.logScale) {
                box = new ScientificSpinBox(content_);
            } else {
                box = new CompactDoubleSpinBox(content_);
                box->setDecimals(8);
                const double span = spec.max - spec.min;
                if (span > 0) box->setSingleStep(std::pow(10.0, std::floor(std::log10(span / 20))));
            }
            double lo = spec.min;
            double hi = spec.max;
            if (hi < lo) {
                lo = -std::numeric_limits<double>::max();
                hi = std::numeric_limits<double>::max();
            }
            box->setRange(lo, hi);
            box->setKeyboardTracking(true);
            connect(box, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
                    &ConfigEditor::onEdited);
            return box;
        }
        case ParamType::Bool: {
            auto* box = new QCheckBox(content_);
            connect(box, &QCheckBox::toggled, this, &ConfigEditor::onEdited);
            return box;
        }
        case ParamType::Choice: {
            auto* box = new QComboBox(content_);
            for (const auto& c : spec.choices) box->addItem(QString::fromStdString(c));
            connect(box, qOverload<int>(&QComboBox::currentIndexChanged), this,
                    &ConfigEditor::onEdited);
            return box;
        }
        case ParamType::IntList:
        case ParamType::String: {
            auto* edit = new QLineEdit(content_);
            if (spec.type == ParamType::IntList)
                edit->setPlaceholderText(QStringLiteral("1, 50, 60, 1"));
            connect(edit, &QLineEdit::textChanged, this, &ConfigEditor::onEdited);
            return edit;
        }
    }
    return nullptr;
}

void ConfigEditor::setSchema(const std::vector<ParamSpec>& specs, const json& config) {
    specs_ = specs;
    original_ = config;
    fields_.clear();

    content_ = new QWidget;
    auto* contentLayout = new QVBoxLayout(content_);
    std::vector<std::pair<QString, QFormLayout*>> groups;

    fields_.reserve(specs_.size());
    for (const ParamSpec& spec : specs_) {
        QFormLayout* form = groupForm(
            groups, spec.group.empty() ? tr("General") : QString::fromStdString(spec.group),
            content_, contentLayout);
        Field field;
        field.spec = spec;
        field.editor = makeEditor(spec);
        field.baseToolTip = editorToolTip(spec);
        field.editor->setToolTip(field.baseToolTip);
        field.editor->setObjectName(QString::fromStdString(spec.key));

        QString labelText = QString::fromStdString(spec.label.empty() ? spec.key : spec.label);
        if (!spec.unit.empty())
            labelText += QStringLiteral(" (%1)").arg(QString::fromStdString(spec.unit));
        auto* label = new QLabel(labelText, content_);
        label->setToolTip(field.baseToolTip);
        label->setBuddy(field.editor);
        form->addRow(label, field.editor);
        fields_.push_back(std::move(field));
    }
    contentLayout->addStretch(1);

    QWidget* old = scroll_->takeWidget();
    scroll_->setWidget(content_);
    delete old;
    content_->setEnabled(!readOnly_);
    loadValues(original_);
}

void ConfigEditor::loadValues(const json& config) {
    loading_ = true;
    for (Field& f : fields_) {
        const auto ptr = keyToPointer(f.spec.key);
        const json* v = nullptr;
        if (config.is_object() && config.contains(ptr)) v = &config.at(ptr);
        switch (f.spec.type) {
            case ParamType::Int: {
                auto* box = static_cast<QSpinBox*>(f.editor);
                box->setValue(v && v->is_number() ? clampToInt(v->get<double>()) : box->minimum());
                break;
            }
            case ParamType::Double: {
                auto* box = static_cast<QDoubleSpinBox*>(f.editor);
                box->setValue(v && v->is_number() ? v->get<double>() : box->minimum());
                break;
            }
            case ParamType::Bool:
                static_cast<QCheckBox*>(f.editor)->setChecked(v && v->is_boolean() &&
                                                              v->get<bool>());
                break;
            case ParamType::Choice: {
                auto* box = static_cast<QComboBox*>(f.editor);
                const QString text =
                    v && v->is_string() ? QString::fromStdString(v->get<std::string>()) : QString();
                int index = box->findText(text);
                if (index < 0 && !text.isEmpty()) {
                    box->addItem(text);  // not an allowed choice: shown, and reported as such
                    index = box->count() - 1;
                }
                box->setCurrentIndex(std::max(index, 0));
                break;
            }
            case ParamType::IntList: {
                QStringList parts;
                if (v && v->is_array())
                    for (const json& e : *v)
                        parts << QString::fromStdString(
                            e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
                static_cast<QLineEdit*>(f.editor)->setText(parts.join(QStringLiteral(", ")));
                f.lastValid = v ? *v : json::array();
                checkIntList(f);
                break;
            }
            case ParamType::String:
                static_cast<QLineEdit*>(f.editor)->setText(
                    v && v->is_string() ? QString::fromStdString(v->get<std::string>())
                                        : QString());
                break;
        }
    }
    loading_ = false;
}

void ConfigEditor::checkIntList(Field& f) {
    auto* edit = static_cast<QLineEdit*>(f.editor);
    const QString text = edit->text();
    const QString name = QString::fromStdString(f.spec.key);
    QString error;
    json list = json::array();
    const QStringList parts = text.split(QLatin1Char(','));
    if (text.trimmed().isEmpty()) {
        error = tr("'%1': enter a comma-separated list of integers").arg(name);
    } else {
        for (const QString& part : parts) {
            bool ok = false;
            const qlonglong x = part.trimmed().toLongLong(&ok);
            if (!ok) {
                error = tr("'%1': entry '%2' is not an integer").arg(name, part.trimmed());
                break;
            }
            if (x < f.spec.min || x > f.spec.max) {
                error = tr("'%1': entry %2 is outside %3").arg(name).arg(x).arg(rangeText(f.spec));
                break;
            }
            list.push_back(x);
        }
        const int n = static_cast<int>(parts.size());
        if (error.isEmpty() && (n < f.spec.minItems || n > f.spec.maxItems))
            error = tr("'%1': %2 entries given, %3 to %4 allowed")
                        .arg(name)
                        .arg(n)
                        .arg(f.spec.minItems)
                        .arg(f.spec.maxItems);
    }
    f.error = error;
    if (error.isEmpty()) {
        f.lastValid = list;
        edit->setStyleSheet(QString());
        edit->setToolTip(f.baseToolTip);
    } else {
        edit->setStyleSheet(QStringLiteral("QLineEdit { border: 2px solid #D55E00; }"));
        edit->setToolTip(error + "\n\n" + f.baseToolTip);
    }
}

void ConfigEditor::onEdited() {
    if (loading_) return;
    for (Field& f : fields_)
        if (f.spec.type == ParamType::IntList && f.editor == sender()) checkIntList(f);
    emit configChanged();
}

json ConfigEditor::config() const {
    json c = original_.is_object() ? original_ : json::object();
    for (const Field& f : fields_) {
        const auto ptr = keyToPointer(f.spec.key);
        switch (f.spec.type) {
            case ParamType::Int:
                c[ptr] = static_cast<long long>(static_cast<QSpinBox*>(f.editor)->value());
                break;
            case ParamType::Double:
                c[ptr] = static_cast<QDoubleSpinBox*>(f.editor)->value();
                break;
            case ParamType::Bool:
                c[ptr] = static_cast<QCheckBox*>(f.editor)->isChecked();
                break;
            case ParamType::Choice:
                c[ptr] = static_cast<QComboBox*>(f.editor)->currentText().toStdString();
                break;
            case ParamType::IntList:
                c[ptr] = f.lastValid;
                break;
            case ParamType::String:
                c[ptr] = static_cast<QLineEdit*>(f.editor)->text().toStdString();
                break;
        }
    }
    return c;
}

QStringList ConfigEditor::validationErrors() const {
    QStringList errors;
    for (const Field& f : fields_)
        if (!f.error.isEmpty()) errors << f.error;
    for (const std::string& e : validateParams(specs_, config()))
        errors << QString::fromStdString(e);
    return errors;
}

void ConfigEditor::setReadOnly(bool readOnly) {
    readOnly_ = readOnly;
    if (content_) content_->setEnabled(!readOnly);
    resetButton_->setEnabled(!readOnly);
}

void ConfigEditor::resetToPreset() {
    loadValues(original_);
    emit configChanged();
}

}  // namespace trainlab
