// Tests of ConfigEditor: editing, validation messages, reset to the preset, the wheel (only a
// focused field takes it) and changed fields (marked, each with its reset). Run with
// QT_QPA_PLATFORM=offscreen.
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QToolButton>
#include <QWheelEvent>
#include <QtTest>

#include "config_editor.h"

using namespace trainlab;

class TestConfigEditor : public QObject {
    Q_OBJECT
  private slots:
    void configEditorEditsAndValidates();
    void theWheelChangesOnlyAFocusedField();
    void changedFieldsAreMarkedAndResetOneByOne();
};

namespace {

/// A form taller than its view: an activation choice, a width, a rate and twenty more
/// integers, in a small window.
std::vector<ParamSpec> longForm() {
    std::vector<ParamSpec> specs(3);
    specs[0].key = "activation";
    specs[0].label = "Activation";
    specs[0].type = ParamType::Choice;
    specs[0].choices = {"relu", "tanh", "leaky_relu"};
    specs[1].key = "width";
    specs[1].label = "Width";
    specs[1].type = ParamType::Int;
    specs[1].min = 1;
    specs[1].max = 1000;
    specs[2].key = "lr";
    specs[2].label = "Learning rate";
    specs[2].type = ParamType::Double;
    specs[2].min = 1e-8;
    specs[2].max = 10;
    specs[2].logScale = true;
    for (int i = 0; i < 20; ++i) {
        ParamSpec extra;
        extra.key = "extra" + std::to_string(i);
        extra.type = ParamType::Int;
        extra.min = 0;
        extra.max = 100;
        specs.push_back(extra);
    }
    return specs;
}

nlohmann::json longFormConfig() {
    nlohmann::json c = {{"activation", "relu"}, {"width", 10}, {"lr", 0.01}};
    for (int i = 0; i < 20; ++i) c["extra" + std::to_string(i)] = i;
    return c;
}

/// One notch of the wheel (down) over the middle of `w`, sent as the window system would.
void wheelDown(QWidget* w) {
    const QPointF pos(w->width() / 2.0, w->height() / 2.0);
    QWheelEvent event(pos, w->mapToGlobal(pos), QPoint(), QPoint(0, -120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(w, &event);
}

QLabel* labelOf(ConfigEditor& editor, QWidget* field) {
    for (QLabel* label : editor.findChildren<QLabel*>())
        if (label->buddy() == field) return label;
    return nullptr;
}

}  // namespace

void TestConfigEditor::theWheelChangesOnlyAFocusedField() {
    ConfigEditor editor;
    editor.setSchema(longForm(), longFormConfig());
    editor.resize(320, 220);
    editor.show();
    editor.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&editor));
    auto* activation = editor.findChild<QComboBox*>("activation");
    auto* width = editor.findChild<QSpinBox*>("width");
    auto* lr = editor.findChild<QDoubleSpinBox*>("lr");
    QVERIFY(activation && width && lr);
    QScrollBar* bar = editor.findChild<QScrollArea*>()->verticalScrollBar();
    QVERIFY(bar->maximum() > 0);  // the form scrolls
    QSignalSpy changed(&editor, &ConfigEditor::configChanged);

    // Unfocused: nothing changes, the form scrolls instead.
    for (QWidget* field : {static_cast<QWidget*>(activation), static_cast<QWidget*>(width),
                           static_cast<QWidget*>(lr)}) {
        QVERIFY(!field->hasFocus());
        QCOMPARE(field->focusPolicy(), Qt::StrongFocus);  // the wheel does not focus it
        const int scrolled = bar->value();
        wheelDown(field);
        QVERIFY2(bar->value() > scrolled, qPrintable(field->objectName()));
        bar->setValue(0);
    }
    // The spin box's text field (what the pointer is over) passes the wheel on likewise.
    wheelDown(width->findChild<QLineEdit*>());
    QCOMPARE(activation->currentText(), QString("relu"));
    QCOMPARE(width->value(), 10);
    QCOMPARE(lr->value(), 0.01);
    QCOMPARE(changed.count(), 0);
    QCOMPARE(editor.config(), longFormConfig());

    // Focused: the wheel edits, and the form stays where it is.
    bar->setValue(0);
    activation->setFocus();
    QVERIFY(activation->hasFocus());
    wheelDown(activation);
    QCOMPARE(activation->currentText(), QString("tanh"));
    width->setFocus();
    wheelDown(width);
    QCOMPARE(width->value(), 9);
    lr->setFocus();
    wheelDown(lr);
    QCOMPARE(lr->value(), 0.005);  // 1-2-5 steps
    QCOMPARE(bar->value(), 0);
    QCOMPARE(changed.count(), 3);
}

void TestConfigEditor::changedFieldsAreMarkedAndResetOneByOne() {
    ConfigEditor editor;
    editor.setSchema(longForm(), longFormConfig());
    editor.show();
    auto* activation = editor.findChild<QComboBox*>("activation");
    auto* width = editor.findChild<QSpinBox*>("width");
    auto* resetAll = editor.findChild<QPushButton*>("resetToPreset");
    auto* resetWidth = editor.findChild<QToolButton*>("reset_width");
    auto* resetActivation = editor.findChild<QToolButton*>("reset_activation");
    QVERIFY(activation && width && resetAll && resetWidth && resetActivation);
    QLabel* widthLabel = labelOf(editor, width);
    QLabel* activationLabel = labelOf(editor, activation);
    QVERIFY(widthLabel && activationLabel);

    // Nothing changed: no marks, nothing to reset.
    QVERIFY(editor.changedKeys().isEmpty());
    QVERIFY(!widthLabel->font().bold());
    QVERIFY(!resetWidth->isVisible());
    QVERIFY(!resetAll->isEnabled());

    width->setValue(64);
    activation->setCurrentText("tanh");
    QCOMPARE(editor.changedKeys(), QStringList({"activation", "width"}));
    QVERIFY(editor.isChanged("width"));
    QVERIFY(widthLabel->font().bold());
    QVERIFY(activationLabel->font().bold());
    QVERIFY(resetWidth->isVisible());
    QVERIFY(resetWidth->toolTip().contains("10"));  // names the preset's value
    QVERIFY(resetAll->isEnabled());
    QVERIFY(!labelOf(editor, editor.findChild<QDoubleSpinBox*>("lr"))->font().bold());

    // Back to the preset's value by hand: no longer marked.
    width->setValue(10);
    QVERIFY(!editor.isChanged("width"));
    QVERIFY(!widthLabel->font().bold());
    width->setValue(64);

    // One field's reset restores that field only.
    QSignalSpy changed(&editor, &ConfigEditor::configChanged);
    resetWidth->click();
    QCOMPARE(width->value(), 10);
    QCOMPARE(changed.count(), 1);
    QVERIFY(!editor.isChanged("width"));
    QVERIFY(!widthLabel->font().bold());
    QVERIFY(!resetWidth->isVisible());
    QCOMPARE(activation->currentText(), QString("tanh"));
    QCOMPARE(editor.changedKeys(), QStringList({"activation"}));

    // Reset all.
    resetAll->click();
    QCOMPARE(editor.config(), longFormConfig());
    QVERIFY(editor.changedKeys().isEmpty());
    QVERIFY(!activationLabel->font().bold());
    QVERIFY(!resetAll->isEnabled());
    QVERIFY(!editor.resetField("no.such.key"));
}

void TestConfigEditor::configEditorEditsAndValidates() {
    std::vector<ParamSpec> specs(5);
    specs[0].key = "train.epochs";
    specs[0].label = "Epochs";
    specs[0].group = "Training";
    specs[0].type = ParamType::Int;
    specs[0].min = 1;
    specs[0].max = 1e12;  // clamped to INT_MAX by the editor
    specs[1].key = "train.lr";
    specs[1].label = "Learning rate";
    specs[1].group = "Training";
    specs[1].type = ParamType::Double;
    specs[1].min = 1e-8;
    specs[1].max = 10;
    specs[1].logScale = true;
    specs[2].key = "train.shuffle";
    specs[2].label = "Shuffle";
    specs[2].group = "Data";
    specs[2].type = ParamType::Bool;
    specs[3].key = "train.optimizer";
    specs[3].label = "Optimizer";
    specs[3].group = "Training";
    specs[3].type = ParamType::Choice;
    specs[3].choices = {"sgd", "adam"};
    specs[4].key = "models.0.widths";
    specs[4].label = "Widths";
    specs[4].group = "Model";
    specs[4].type = ParamType::IntList;
    specs[4].min = 1;
    specs[4].max = 4096;
    const nlohmann::json preset = {
        {"preset_id", "p"},
        {"train", {{"epochs", 100}, {"lr", 1e-3}, {"shuffle", true}, {"optimizer", "adam"}}},
        {"models", {{{"widths", {1, 50, 60, 1}}}}}};

    ConfigEditor editor;
    editor.setSchema(specs, preset);
    QCOMPARE(editor.config(), preset);
    QVERIFY2(editor.validationErrors().isEmpty(), qPrintable(editor.validationErrors().join("\n")));
    QSignalSpy changed(&editor, &ConfigEditor::configChanged);

    auto* epochs = editor.findChild<QSpinBox*>("train.epochs");
    QVERIFY(epochs);
    QCOMPARE(epochs->maximum(), INT_MAX);
    epochs->setValue(250);
    QCOMPARE(editor.config()["train"]["epochs"], nlohmann::json(250));
    QVERIFY(editor.config()["train"]["epochs"].is_number_integer());
    QVERIFY(changed.count() >= 1);

    auto* lr = editor.findChild<QDoubleSpinBox*>("train.lr");
    QVERIFY(lr);
    lr->selectAll();
    QTest::keyClicks(lr, "1e-5");
    QCOMPARE(editor.config()["train"]["lr"].get<double>(), 1e-5);
    lr->setValue(3e-7);
    QCOMPARE(editor.config()["train"]["lr"].get<double>(), 3e-7);

    editor.findChild<QCheckBox*>("train.shuffle")->setChecked(false);
    QCOMPARE(editor.config()["train"]["shuffle"], nlohmann::json(false));
    editor.findChild<QComboBox*>("train.optimizer")->setCurrentIndex(0);
    QCOMPARE(editor.config()["train"]["optimizer"], nlohmann::json("sgd"));

    auto* widths = editor.findChild<QLineEdit*>("models.0.widths");
    QVERIFY(widths);
    QCOMPARE(widths->text(), QString("1, 50, 60, 1"));
    widths->setText("1, 20,30 , 1");
    QCOMPARE(editor.config()["models"][0]["widths"], nlohmann::json({1, 20, 30, 1}));
    QVERIFY(editor.validationErrors().isEmpty());
    widths->setText("1, x");
    QVERIFY(!editor.validationErrors().isEmpty());
    QVERIFY(editor.validationErrors().join(" ").contains("models.0.widths"));
    QVERIFY(!widths->styleSheet().isEmpty());
    widths->setText("1, 5000");  // out of range
    QVERIFY(!editor.validationErrors().isEmpty());
    QCOMPARE(editor.config()["preset_id"], nlohmann::json("p"));  // untouched fields kept

    editor.setReadOnly(true);
    QVERIFY(!epochs->isEnabled());
    editor.setReadOnly(false);
    QVERIFY(epochs->isEnabled());

    QVERIFY(editor.isChanged("models.0.widths"));  // text that does not parse is a change
    editor.resetToPreset();
    QCOMPARE(editor.config(), preset);
    QVERIFY(editor.validationErrors().isEmpty());
    QVERIFY(widths->styleSheet().isEmpty());
}

QTEST_MAIN(TestConfigEditor)
#include "tst_config_editor.moc"
