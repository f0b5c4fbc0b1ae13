// Tests of ConfigEditor: editing, validation messages and reset to the preset. Run with
// QT_QPA_PLATFORM=offscreen.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QtTest>

#include "config_editor.h"

using namespace trainlab;

class TestConfigEditor : public QObject {
    Q_OBJECT
  private slots:
    void configEditorEditsAndValidates();
};

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

    editor.resetToPreset();
    QCOMPARE(editor.config(), preset);
    QVERIFY(editor.validationErrors().isEmpty());
    QVERIFY(widths->styleSheet().isEmpty());
}

QTEST_MAIN(TestConfigEditor)
#include "tst_config_editor.moc"
