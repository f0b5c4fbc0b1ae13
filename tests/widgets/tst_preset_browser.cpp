// Tests of PresetBrowser: groups, selection, activation and the filter. Run with
// QT_QPA_PLATFORM=offscreen.
#include <QLineEdit>
#include <QSignalSpy>
#include <QTreeWidget>
#include <QtTest>

#include "preset_browser.h"

using namespace trainlab;

class TestPresetBrowser : public QObject {
    Q_OBJECT
  private slots:
    void presetBrowserEmitsActivated();
};

void TestPresetBrowser::presetBrowserEmitsActivated() {
    PresetBrowser browser;
    browser.setPresets({{"deep", "Deep net", "Deep vs shallow", "A deep one.", "Lower loss."},
                        {"sgd", "SGD", "Optimization", "Plain SGD.", "Slow."},
                        {"shallow", "Shallow net", "Deep vs shallow", "A shallow one.", "Higher."},
                        {"labels", "Random labels", "Generalization", "Memorises.", "Train 0."}});
    auto* tree = browser.findChild<QTreeWidget*>("presetTree");
    QVERIFY(tree);
    QCOMPARE(tree->topLevelItemCount(), 3);
    QCOMPARE(tree->topLevelItem(0)->text(0), QString("Deep vs shallow"));
    QCOMPARE(tree->topLevelItem(1)->text(0), QString("Optimization"));
    QCOMPARE(tree->topLevelItem(2)->text(0), QString("Generalization"));
    QCOMPARE(tree->topLevelItem(0)->childCount(), 2);

    QSignalSpy selected(&browser, &PresetBrowser::presetSelected);
    QSignalSpy activated(&browser, &PresetBrowser::presetActivated);
    browser.selectPreset("shallow");
    QCOMPARE(browser.currentPresetId(), QString("shallow"));
    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.at(0).at(0).toString(), QString("shallow"));

    emit tree->itemActivated(tree->topLevelItem(1)->child(0), 0);
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated.at(0).at(0).toString(), QString("sgd"));
    emit tree->itemActivated(tree->topLevelItem(1), 0);  // a group heading: nothing
    QCOMPARE(activated.count(), 1);

    auto* filter = browser.findChild<QLineEdit*>("presetFilter");
    filter->setText("random");
    QVERIFY(tree->topLevelItem(0)->isHidden());
    QVERIFY(!tree->topLevelItem(2)->isHidden());
    browser.selectPreset("deep");  // clears the filter that hides it
    QCOMPARE(browser.currentPresetId(), QString("deep"));
    QVERIFY(filter->text().isEmpty());
}

QTEST_MAIN(TestPresetBrowser)
#include "tst_preset_browser.moc"
