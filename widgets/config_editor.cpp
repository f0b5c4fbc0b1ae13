#include "config_editor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>
#include <climits>
#include <cmath>
#include <limits>

#include "config_inputs.h"

namespace trainlab {

using nlohmann::json;

namespace {

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
    QLabel* label = nullptr;
    QToolButton* reset = nullptr;  ///< shown while the field is changed
    json shown;  ///< the value the editor shows for the preset's (after its own rounding)
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
    resetButton_->setEnabled(false);
    wheelGuard_ = new WheelGuard(this);
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
    // A narrow dock puts a field under its label rather than scrolling sideways.
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);
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

QWidget* ConfigEditor::makeRow(Field& field) {
    auto* row = new QWidget(content_);
    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(field.editor, 1);
    field.reset = new QToolButton(row);
    field.reset->setObjectName("reset_" + QString::fromStdString(field.spec.key));
    field.reset->setAutoRaise(true);
    field.reset->setIcon(QIcon::fromTheme(QStringLiteral("edit-undo"),
                                          style()->standardIcon(QStyle::SP_DialogResetButton)));
    field.reset->setFocusPolicy(Qt::TabFocus);
    QSizePolicy policy = field.reset->sizePolicy();
    policy.setRetainSizeWhenHidden(true);  // the form does not jump when a mark comes or goes
    field.reset->setSizePolicy(policy);
    field.reset->hide();
    layout->addWidget(field.reset);
    const std::string key = field.spec.key;
    connect(field.reset, &QToolButton::clicked, this,
            [this, key] { resetField(QString::fromStdString(key)); });
    return row;
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
        if (qobject_cast<QAbstractSpinBox*>(field.editor) || qobject_cast<QComboBox*>(field.editor))
            guardWheel(field.editor, wheelGuard_);
        field.baseToolTip = editorToolTip(spec);
        field.editor->setToolTip(field.baseToolTip);
        field.editor->setObjectName(QString::fromStdString(spec.key));

        QString labelText = QString::fromStdString(spec.label.empty() ? spec.key : spec.label);
        // "Training points", not "Training points (points)".
        const QString unit = QString::fromStdString(spec.unit);
        if (!unit.isEmpty() && !labelText.contains(unit, Qt::CaseInsensitive))
            labelText += QStringLiteral(" (%1)").arg(unit);
        field.label = new QLabel(labelText, content_);
        field.label->setToolTip(field.baseToolTip);
        field.label->setBuddy(field.editor);
        form->addRow(field.label, makeRow(field));
        fields_.push_back(std::move(field));
    }
    contentLayout->addStretch(1);

    QWidget* old = scroll_->takeWidget();
    scroll_->setWidget(content_);
    delete old;
    content_->setEnabled(!readOnly_);
    loadValues(original_);
    for (Field& f : fields_) f.shown = fieldValue(f);
    markChanges();
}

void ConfigEditor::loadValues(const json& config) {
    loading_ = true;
    for (Field& f : fields_) loadField(f, config);
    loading_ = false;
}

void ConfigEditor::loadField(Field& f, const json& config) {
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
            static_cast<QCheckBox*>(f.editor)->setChecked(v && v->is_boolean() && v->get<bool>());
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
                v && v->is_string() ? QString::fromStdString(v->get<std::string>()) : QString());
            break;
    }
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
    markChanges();
    emit configChanged();
}

json ConfigEditor::fieldValue(const Field& f) const {
    switch (f.spec.type) {
        case ParamType::Int:
            return static_cast<long long>(static_cast<QSpinBox*>(f.editor)->value());
        case ParamType::Double:
            return static_cast<QDoubleSpinBox*>(f.editor)->value();
        case ParamType::Bool:
            return static_cast<QCheckBox*>(f.editor)->isChecked();
        case ParamType::Choice:
            return static_cast<QComboBox*>(f.editor)->currentText().toStdString();
        case ParamType::IntList:
            return f.lastValid;
        case ParamType::String:
            return static_cast<QLineEdit*>(f.editor)->text().toStdString();
    }
    return nullptr;
}

json ConfigEditor::config() const {
    json c = original_.is_object() ? original_ : json::object();
    for (const Field& f : fields_) c[keyToPointer(f.spec.key)] = fieldValue(f);
    return c;
}

bool ConfigEditor::changed(const Field& f) const {
    return !f.error.isEmpty() || fieldValue(f) != f.shown;
}

void ConfigEditor::markChanges() {
    bool any = false;
    for (Field& f : fields_) {
        const bool isChanged = changed(f);
        any = any || isChanged;
        QFont font = f.label->font();
        font.setBold(isChanged);
        f.label->setFont(font);
        f.reset->setVisible(isChanged);
        if (!isChanged) {
            f.label->setToolTip(f.baseToolTip);
            continue;
        }
        const auto ptr = keyToPointer(f.spec.key);
        const json preset = original_.is_object() && original_.contains(ptr) ? original_.at(ptr)
                                                                              : json();
        const QString value = QString::fromStdString(
            preset.is_string() ? preset.get<std::string>()
                               : preset.dump(-1, ' ', false, json::error_handler_t::replace));
        const QString tip = tr("Changed; the preset's value is %1").arg(value);
        f.reset->setToolTip(tr("Reset to the preset's value (%1)").arg(value));
        f.label->setToolTip(tip + "\n\n" + f.baseToolTip);
    }
    resetButton_->setEnabled(!readOnly_ && any);
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
    markChanges();
}

void ConfigEditor::setValues(const json& config) {
    loadValues(config);
    markChanges();
}

void ConfigEditor::resetToPreset() {
    loadValues(original_);
    markChanges();
    emit configChanged();
}

bool ConfigEditor::resetField(const QString& key) {
    for (Field& f : fields_) {
        if (QString::fromStdString(f.spec.key) != key) continue;
        loading_ = true;
        loadField(f, original_);
        loading_ = false;
        markChanges();
        emit configChanged();
        return true;
    }
    return false;
}

bool ConfigEditor::isChanged(const QString& key) const {
    for (const Field& f : fields_)
        if (QString::fromStdString(f.spec.key) == key) return changed(f);
    return false;
}

QStringList ConfigEditor::changedKeys() const {
    QStringList keys;
    for (const Field& f : fields_)
        if (changed(f)) keys << QString::fromStdString(f.spec.key);
    return keys;
}

}  // namespace trainlab
