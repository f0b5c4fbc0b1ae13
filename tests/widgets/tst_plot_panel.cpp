// Tests of the widgets layer: PlotPanel (decimation keeps spikes, exports hold every point),
// ExperimentView routing and export, ResultsChart export, ConfigEditor and PresetBrowser.
// Run with QT_QPA_PLATFORM=offscreen.
#include <qcustomplot.h>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>
#include <cmath>

#include "config_editor.h"
#include "experiment_view.h"
#include "palette.h"
#include "plot_panel.h"
#include "preset_browser.h"
#include "results_chart.h"

using namespace trainlab;

namespace {

constexpr std::size_t kPoints = 100000;
constexpr std::size_t kSpikeAt = 54321;
constexpr double kSpike = 250.0;

PanelSpec lossPanel() {
    PanelSpec p;
    p.id = "loss";
    p.title = "Training loss";
    p.xLabel = "Step";
    p.yLabel = "Loss (MSE)";
    p.logY = true;
    return p;
}

SeriesSpec series(const std::string& id, const std::string& panel, int color, bool dashed) {
    SeriesSpec s;
    s.id = id;
    s.panel = panel;
    s.name = id + " name";
    s.xName = "step";
    s.yName = "loss";
    s.color = color;
    s.dashed = dashed;
    return s;
}

double trainLoss(std::size_t i) {
    if (i == kSpikeAt) return kSpike;
    return 2.0 / (1.0 + 0.001 * static_cast<double>(i)) +
           1e-3 * std::sin(0.37 * static_cast<double>(i));
}

QCPGraph* graphNamed(QCustomPlot* plot, const QString& name) {
    for (int i = 0; i < plot->graphCount(); ++i)
        if (plot->graph(i)->name() == name) return plot->graph(i);
    return nullptr;
}

}  // namespace

class TestPlotPanel : public QObject {
    Q_OBJECT
  private slots:
    void paletteIsDistinctAndNeutral();
    void decimationKeepsSpikeAndAllPoints();
    void logAxisSkipsNonPositiveForDisplayOnly();
    void hoverMarksNearestStoredPoint();
    void experimentViewRoutesAndExportsAll();
    void resultsChartExports();
    void configEditorEditsAndValidates();
    void presetBrowserEmitsActivated();
};

void TestPlotPanel::paletteIsDistinctAndNeutral() {
    QVERIFY(seriesColor(0) != seriesColor(1));
    QCOMPARE(seriesColor(0), seriesColor(7));  // cycles through 7 colours
    const QColor neutral = seriesColor(-1);
    QCOMPARE(neutral.saturation(), 0);
    QVERIFY(neutral.lightness() > 60 && neutral.lightness() < 200);
}

void TestPlotPanel::decimationKeepsSpikeAndAllPoints() {
    PlotPanel panel(lossPanel());
    panel.addSeries(series("train_loss", "loss", 0, false));
    panel.addSeries(series("test_loss", "loss", 0, true));
    QVERIFY(panel.hasSeries("train_loss"));
    QVERIFY(!panel.hasSeries("nope"));

    std::vector<double> x(kPoints), y(kPoints);
    for (std::size_t i = 0; i < kPoints; ++i) {
        x[i] = static_cast<double>(i);
        y[i] = trainLoss(i);
    }
    // in two chunks, as a live run would deliver them
    const std::size_t half = kPoints / 2;
    panel.appendPoints("train_loss", {x.begin(), x.begin() + half}, {y.begin(), y.begin() + half});
    panel.appendPoints("train_loss", {x.begin() + half, x.end()}, {y.begin() + half, y.end()});
    std::vector<double> tx, ty;
    for (int i = 0; i < 100; ++i) {
        tx.push_back(i * 1000.0);
        ty.push_back(2.5 / (1.0 + i));
    }
    panel.appendPoints("test_loss", tx, ty);
    panel.appendPoints("unknown", tx, ty);  // ignored
    panel.refresh();

    QCOMPARE(panel.pointCount("train_loss"), kPoints);
    QCOMPARE(panel.pointCount("test_loss"), std::size_t(100));
    QCOMPARE(panel.pointCount("unknown"), std::size_t(0));
    QVERIFY2(panel.displayedPointCount("train_loss") < kPoints,
             qPrintable(QString::number(panel.displayedPointCount("train_loss"))));
    QVERIFY(panel.displayedPointCount("train_loss") > 1000);
    QCOMPARE(panel.displayedPointCount("test_loss"), std::size_t(100));

    QCPGraph* graph = graphNamed(panel.plot(), "train_loss name");
    QVERIFY(graph);
    QCOMPARE(std::size_t(graph->data()->size()), panel.displayedPointCount("train_loss"));
    double maxY = 0;
    double maxX = -1;
    double minY = 1e300;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
        if (it->value > maxY) {
            maxY = it->value;
            maxX = it->key;
        }
        minY = std::min(minY, it->value);
    }
    QCOMPARE(maxY, kSpike);
    QCOMPARE(maxX, double(kSpikeAt));
    QCOMPARE(minY, *std::min_element(y.begin(), y.end()));
    // the axes were rescaled to show the spike
    QVERIFY(panel.plot()->yAxis->range().upper >= kSpike);
    QCOMPARE(panel.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);

    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());

    // CSV: every stored point, full precision
    const QString csvPath = tmp.filePath("loss.csv");
    QString error;
    QVERIFY2(panel.exportCsv(csvPath, &error), qPrintable(error));
    QFile csv(csvPath);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = csv.readAll().split('\n');
    QCOMPARE(lines.first(), QByteArray("series,x,y"));
    QCOMPARE(lines.last(), QByteArray());  // ends with a newline
    QCOMPARE(lines.size(), int(1 + kPoints + 100 + 1));
    for (std::size_t i = 0; i < kPoints; ++i) {
        const QList<QByteArray> f = lines[int(1 + i)].split(',');
        QCOMPARE(f.size(), 3);
        QCOMPARE(f[0], QByteArray("train_loss"));
        QCOMPARE(f[1].toDouble(), x[i]);
        const double v = f[2].toDouble();
        if (std::abs(v - y[i]) > 1e-8 * std::abs(y[i]))
            QFAIL(qPrintable(
                QString("row %1: %2 != %3").arg(i).arg(v, 0, 'g', 17).arg(y[i], 0, 'g', 17)));
    }
    for (int i = 0; i < 100; ++i) {
        const QList<QByteArray> f = lines[int(1 + kPoints) + i].split(',');
        QCOMPARE(f[0], QByteArray("test_loss"));
        QCOMPARE(f[1].toDouble(), tx[i]);
        QVERIFY(std::abs(f[2].toDouble() - ty[i]) <= 1e-8 * ty[i]);
    }

    // PNG and SVG on a widget that was never shown
    const QString pngPath = tmp.filePath("loss.png");
    QVERIFY2(panel.exportPng(pngPath, 1200, 800, 1.0, &error), qPrintable(error));
    QImage png(pngPath);
    QVERIFY(!png.isNull());
    QCOMPARE(png.size(), QSize(1200, 800));
    const QString png2Path = tmp.filePath("loss@2x.png");
    QVERIFY2(panel.exportPng(png2Path, 600, 400, 2.0, &error), qPrintable(error));
    QCOMPARE(QImage(png2Path).size(), QSize(1200, 800));
    const QString svgPath = tmp.filePath("loss.svg");
    QVERIFY2(panel.exportSvg(svgPath, 1200, 800, &error), qPrintable(error));
    QFile svg(svgPath);
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QByteArray svgBytes = svg.readAll();
    QVERIFY(svgBytes.size() > 1000);
    QVERIFY(svgBytes.contains("<svg"));
    QVERIFY(!panel.exportCsv(tmp.filePath("missing/dir/loss.csv"), &error));
    QVERIFY(!error.isEmpty());

    // replaceSeries replaces, and is stored and displayed as given
    panel.replaceSeries("train_loss", {1, 2, 3}, {0.5, 0.25, 0.125});
    panel.refresh();
    QCOMPARE(panel.pointCount("train_loss"), std::size_t(3));
    QCOMPARE(panel.displayedPointCount("train_loss"), std::size_t(3));
    QCOMPARE(graph->data()->size(), 3);
    QCOMPARE(graph->data()->at(2)->value, 0.125);
    QCOMPARE(panel.pointCount("test_loss"), std::size_t(100));
}

void TestPlotPanel::logAxisSkipsNonPositiveForDisplayOnly() {
    PlotPanel panel(lossPanel());
    panel.addSeries(series("s", "loss", 1, false));
    panel.appendPoints("s", {0, 1, 2, 3, 4}, {1.0, 0.0, -2.0, 0.5, std::nan("")});
    panel.refresh();
    QCOMPARE(panel.pointCount("s"), std::size_t(5));
    QCOMPARE(panel.displayedPointCount("s"), std::size_t(2));
    QVERIFY(panel.plot()->yAxis->range().lower > 0);

    // appending out-of-order x (a trajectory) keeps the order of the points
    PanelSpec p;
    p.id = "traj";
    PlotPanel traj(p);
    traj.addSeries(series("t", "traj", 2, false));
    traj.appendPoints("t", {0, 1, 0.5, -1}, {0, 1, 2, 0});
    traj.refresh();
    QCOMPARE(traj.displayedPointCount("t"), std::size_t(4));
    QCOMPARE(traj.plot()->graphCount(), 0);  // drawn as a QCPCurve
    QCOMPARE(traj.plot()->plottableCount(), 1);
}

void TestPlotPanel::hoverMarksNearestStoredPoint() {
    PanelSpec p;
    p.id = "lin";
    PlotPanel panel(p);
    panel.resize(600, 400);
    panel.addSeries(series("s", "lin", 0, false));
    std::vector<double> x, y;
    for (int i = 0; i <= 10; ++i) {
        x.push_back(i);
        y.push_back(i * i);
    }
    panel.appendPoints("s", x, y);
    panel.refresh();
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QCustomPlot* plot = panel.plot();
    plot->replot(QCustomPlot::rpImmediateRefresh);  // lays out the axis rect
    QCOMPARE(plot->itemCount(), 1);
    auto* tracer = qobject_cast<QCPItemTracer*>(plot->item(0));
    QVERIFY(tracer);
    QVERIFY(!tracer->visible());
    const QPointF target(plot->xAxis->coordToPixel(4), plot->yAxis->coordToPixel(16));
    const QPointF pos = target + QPointF(3, -2);
    QMouseEvent move(QEvent::MouseMove, pos, plot->mapToGlobal(pos), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    QVERIFY(tracer->visible());
    QCOMPARE(tracer->position->coords(), QPointF(4, 16));
    const QPointF far(plot->xAxis->coordToPixel(9), plot->yAxis->coordToPixel(5));
    QMouseEvent away(QEvent::MouseMove, far, plot->mapToGlobal(far), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(plot, &away);
    QVERIFY(!tracer->visible());
}

void TestPlotPanel::experimentViewRoutesAndExportsAll() {
    PlotLayout layout;
    PanelSpec fit;
    fit.id = "fit";
    fit.title = "Fit";
    fit.xLabel = "x";
    fit.yLabel = "y";
    layout.panels = {lossPanel(), fit};
    layout.series = {series("train_loss", "loss", 0, false), series("pred", "fit", 1, false),
                     series("orphan", "no_such_panel", 2, false)};
    layout.series[1].mode = SeriesMode::Replace;
    ExperimentView view(layout);
    QCOMPARE(view.panels().size(), std::size_t(2));
    QVERIFY(view.panelFor("fit"));
    QVERIFY(!view.panelFor("nope"));
    view.append("train_loss", {0, 1}, {1.0, 0.5});
    view.append("train_loss", {2}, {0.25});
    view.replace("pred", {0, 1}, {3, 4});
    view.replace("pred", {0, 1, 2}, {3, 4, 5});
    view.append("orphan", {0}, {0});  // ignored
    view.refresh();
    QCOMPARE(view.panelFor("loss")->pointCount("train_loss"), std::size_t(3));
    QCOMPARE(view.panelFor("fit")->pointCount("pred"), std::size_t(3));

    QTemporaryDir tmp;
    QString error;
    const QStringList files = view.exportAll(tmp.filePath("plots"), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(files.size(), 6);
    for (const QString& f : files) QVERIFY2(QFileInfo(f).size() > 0, qPrintable(f));
    QVERIFY(files.contains(tmp.filePath("plots/fit.csv")));
}

void TestPlotPanel::resultsChartExports() {
    for (bool log : {false, true}) {
        ResultsChart chart;
        chart.setResults("Final test loss", "Loss", {"tiny, 1 layer", "deep"}, {0.02, 0.0004}, log);
        QTemporaryDir tmp;
        QVERIFY(chart.exportPng(tmp.filePath("r.png"), 800, 500));
        QCOMPARE(QImage(tmp.filePath("r.png")).size(), QSize(800, 500));
        QVERIFY(chart.exportSvg(tmp.filePath("r.svg"), 800, 500));
        QVERIFY(QFileInfo(tmp.filePath("r.svg")).size() > 500);
        QVERIFY(chart.exportCsv(tmp.filePath("r.csv")));
        QFile f(tmp.filePath("r.csv"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("category,value\n\"tiny, 1 layer\",0.02\ndeep,0.0004\n"));
    }
}

void TestPlotPanel::configEditorEditsAndValidates() {
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

void TestPlotPanel::presetBrowserEmitsActivated() {
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

QTEST_MAIN(TestPlotPanel)
#include "tst_plot_panel.moc"
