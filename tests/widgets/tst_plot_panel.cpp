// Tests of the widgets layer: PlotPanel (decimation keeps spikes, exports hold every point,
// trajectories keep their point order and show their direction, point labels), ExperimentView
// routing, export and loading labels from a run, ResultsChart export, ConfigEditor and
// PresetBrowser. Run with QT_QPA_PLATFORM=offscreen.
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
#include <fstream>
#include <limits>

#include "errors.h"

#include "config_editor.h"
#include "run_directory.h"
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

SeriesSpec trajectory(const std::string& id, const std::string& panel, int color) {
    SeriesSpec s;
    s.id = id;
    s.panel = panel;
    s.name = id + " name";
    s.xName = "PC 1";
    s.yName = "PC 2";
    s.color = color;
    s.mode = SeriesMode::Replace;
    s.style = SeriesStyle::Trajectory;
    return s;
}

PanelSpec pcaPanel() {
    PanelSpec p;
    p.id = "pca";
    p.title = "Weight trajectories (PCA)";
    p.xLabel = "PC 1";
    p.yLabel = "PC 2";
    return p;
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
    void zoomingInShowsEveryPointOfAFinishedSeries();
    void logAxisSkipsNonPositiveForDisplayOnly();
    void hoverMarksNearestStoredPoint();
    void clickOnAPointReportsItsLabel();
    void experimentViewRoutesAndExportsAll();
    void trajectoryKeepsOrderAndShowsDirection();
    void pointLabelsInHoverPlotAndCsv();
    void experimentViewLoadsLabelsFromRun();
    void heatmapDrawsGridUnderPointsHoversAndExports();
    void heatmapLogColourUnevenGridsAndRuns();
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

void TestPlotPanel::zoomingInShowsEveryPointOfAFinishedSeries() {
    PlotPanel panel(lossPanel());
    panel.addSeries(series("train_loss", "loss", 0, false));
    std::vector<double> x(kPoints), y(kPoints);
    for (std::size_t i = 0; i < kPoints; ++i) {
        x[i] = static_cast<double>(i);
        y[i] = trainLoss(i);
    }
    panel.appendPoints("train_loss", x, y);
    panel.refresh();
    const std::size_t whole = panel.displayedPointCount("train_loss");
    QVERIFY(whole < kPoints);  // decimated over the whole range
    // The user zooms in (wheel) on 300 steps of a run that receives no more points.
    emit panel.plot()->mouseWheel(nullptr);
    panel.plot()->xAxis->setRange(1000, 1300);
    QTRY_VERIFY_WITH_TIMEOUT(panel.displayedPointCount("train_loss") != whole, 2000);
    QCPGraph* graph = graphNamed(panel.plot(), "train_loss name");
    QVERIFY(graph);
    // Every stored point in view is drawn, exactly (plus one neighbour on each side).
    std::size_t inView = 0;
    for (auto it = graph->data()->constBegin(); it != graph->data()->constEnd(); ++it) {
        QVERIFY(it->key >= 999 && it->key <= 1301);
        QCOMPARE(it->value, y[static_cast<std::size_t>(it->key)]);
        inView += it->key >= 1000 && it->key <= 1300;
    }
    QCOMPARE(inView, std::size_t(301));
    // Reset: the whole range again.
    panel.resetView();
    QCOMPARE(panel.displayedPointCount("train_loss"), whole);
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

void TestPlotPanel::clickOnAPointReportsItsLabel() {
    PanelSpec p;
    p.id = "scatter";
    PlotPanel panel(p);
    panel.resize(600, 400);
    SeriesSpec s = series("pts", "scatter", 0, false);
    s.style = SeriesStyle::Scatter;
    panel.addSeries(s);
    panel.appendPoints("pts", {1, 2, 3}, {5, 1, 4});
    panel.setPointLabels("pts", {"run 7 · a", "run 2 · b", "run 9 · c"});
    panel.refresh();
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QCustomPlot* plot = panel.plot();
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QSignalSpy clicked(&panel, &PlotPanel::pointClicked);
    const QPointF at(plot->xAxis->coordToPixel(2), plot->yAxis->coordToPixel(1));
    QMouseEvent press(QEvent::MouseButtonPress, at, plot->mapToGlobal(at), Qt::LeftButton,
                      Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(plot, &press);
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.at(0).at(0).toString(), QString("pts"));
    QCOMPARE(clicked.at(0).at(1).toInt(), 1);
    QCOMPARE(clicked.at(0).at(2).toString(), QString("run 2 · b"));
    // A click far from every point selects nothing.
    const QPointF empty(plot->xAxis->coordToPixel(1), plot->yAxis->coordToPixel(1));
    QMouseEvent miss(QEvent::MouseButtonPress, empty, plot->mapToGlobal(empty), Qt::LeftButton,
                     Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(plot, &miss);
    QCOMPARE(clicked.count(), 1);
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

void TestPlotPanel::trajectoryKeepsOrderAndShowsDirection() {
    PlotPanel panel(pcaPanel());
    panel.addSeries(trajectory("a", "pca", 0));
    panel.addSeries(trajectory("b", "pca", 1));
    SeriesSpec line = series("line", "pca", 2, false);
    panel.addSeries(line);
    QVERIFY(panel.curveOf("a"));
    QVERIFY(panel.trajectoryArrow("a"));
    QVERIFY(!panel.trajectoryArrow("line"));
    QVERIFY(!panel.curveOf("nope"));

    // x goes back and forth
    const std::vector<double> x{0, 2, 1, 3, -1};
    const std::vector<double> y{0, 1, 2, 1, 3};
    panel.replaceSeries("a", x, y);
    panel.replaceSeries("b", {5}, {-2});
    constexpr std::size_t kLine = 20000;  // the line series is still decimated
    std::vector<double> lx(kLine), ly(kLine);
    for (std::size_t i = 0; i < kLine; ++i) {
        lx[i] = -1 + 6.0 * double(i) / kLine;
        ly[i] = std::sin(double(i));
    }
    panel.appendPoints("line", lx, ly);
    panel.refresh();

    QCPCurve* curve = panel.curveOf("a");
    QCOMPARE(panel.displayedPointCount("a"), x.size());
    QCOMPARE(std::size_t(curve->data()->size()), x.size());
    std::size_t i = 0;
    for (auto it = curve->data()->constBegin(); it != curve->data()->constEnd(); ++it, ++i) {
        QCOMPARE(it->key, x[i]);
        QCOMPARE(it->value, y[i]);
    }
    QCOMPARE(curve->lineStyle(), QCPCurve::lsLine);
    QCOMPARE(curve->scatterStyle().shape(), QCPScatterStyle::ssCircle);
    QCOMPARE(curve->pen().color(), seriesColor(0));
    QCOMPARE(panel.curveOf("b")->pen().color(), seriesColor(1));
    QVERIFY(panel.displayedPointCount("line") < kLine);

    // the arrow runs from the second-to-last to the last point, in the series' colour
    QCPItemLine* arrow = panel.trajectoryArrow("a");
    QVERIFY(arrow->visible());
    QCOMPARE(arrow->start->coords(), QPointF(3, 1));
    QCOMPARE(arrow->end->coords(), QPointF(-1, 3));
    QCOMPARE(arrow->head().style(), QCPLineEnding::esSpikeArrow);
    QCOMPARE(arrow->tail().style(), QCPLineEnding::esNone);
    QCOMPARE(arrow->pen().color(), seriesColor(0));
    QCPItemTracer* start = panel.trajectoryStart("a");
    QVERIFY(start && start->visible());
    QCOMPARE(start->position->coords(), QPointF(0, 0));
    QVERIFY(start->style() != QCPItemTracer::tsCircle || start->size() > 7);
    // one point: a start marker, no arrow
    QVERIFY(!panel.trajectoryArrow("b")->visible());
    QVERIFY(panel.trajectoryStart("b")->visible());

    // every trajectory point lies strictly inside the axes
    const QCPRange xr = panel.plot()->xAxis->range();
    const QCPRange yr = panel.plot()->yAxis->range();
    QVERIFY2(xr.lower < -1 && xr.upper > 5,
             qPrintable(QString("%1 %2").arg(xr.lower).arg(xr.upper)));
    QVERIFY2(yr.lower < -2 && yr.upper > 3,
             qPrintable(QString("%1 %2").arg(yr.lower).arg(yr.upper)));

    // replacing refits everything, in the new order
    panel.replaceSeries("a", {1, 0}, {1, 1});
    panel.refresh();
    QCOMPARE(curve->data()->size(), 2);
    QCOMPARE(arrow->start->coords(), QPointF(1, 1));
    QCOMPARE(arrow->end->coords(), QPointF(0, 1));
    QCOMPARE(start->position->coords(), QPointF(1, 1));
    panel.replaceSeries("a", {}, {});
    panel.refresh();
    QVERIFY(!arrow->visible());
    QVERIFY(!start->visible());
}

void TestPlotPanel::pointLabelsInHoverPlotAndCsv() {
    PlotPanel panel(pcaPanel());
    panel.resize(600, 400);
    panel.addSeries(trajectory("t", "pca", 0));
    panel.addSeries(trajectory("u", "pca", 3));
    const std::vector<double> x{0, 4, 2, 6};
    const std::vector<double> y{0, 2, 4, 1};
    const std::vector<std::string> labels{
        "run 3 · epoch 0 · loss 2.3 · acc 10.0%", "run 3 · epoch 4 · loss 0.9 · acc 71.5%",
        "run 3 · epoch 12 · loss 0.31 · acc 91.2%", "say \"done\", at last"};
    panel.replaceSeries("t", x, y);
    panel.replaceSeries("u", {1, 2}, {1, 1});
    panel.setPointLabels("t", labels);
    panel.setPointLabels("nope", labels);  // ignored
    QCOMPARE(panel.pointLabels("t"), labels);
    QVERIFY(panel.pointLabels("u").empty());
    QVERIFY(panel.pointLabels("nope").empty());
    panel.refresh();

    // the last point's label on the plot, on by default, only where there is one
    QVERIFY(panel.showLabelsOnPlot());
    QCPItemText* text = panel.lastPointLabel("t");
    QVERIFY(text && text->visible());
    QCOMPARE(text->text(), QString::fromStdString(labels.back()));
    QVERIFY(!panel.lastPointLabel("u")->visible());
    panel.setShowLabelsOnPlot(false);
    QVERIFY(!text->visible());
    panel.setShowLabelsOnPlot(true);
    QVERIFY(text->visible());

    // hover shows the label of the point under the cursor
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QCustomPlot* plot = panel.plot();
    plot->replot(QCustomPlot::rpImmediateRefresh);
    const QPointF target(plot->xAxis->coordToPixel(2), plot->yAxis->coordToPixel(4));
    const QPointF pos = target + QPointF(2, 3);
    QMouseEvent move(QEvent::MouseMove, pos, plot->mapToGlobal(pos), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    QVERIFY2(panel.hoverText().contains("run 3 · epoch 12 · loss 0.31 · acc 91.2%"),
             qPrintable(panel.hoverText()));
    QVERIFY(panel.hoverText().contains("t name"));
    const QPointF other(plot->xAxis->coordToPixel(1), plot->yAxis->coordToPixel(1));
    QMouseEvent moveOther(QEvent::MouseMove, other, plot->mapToGlobal(other), Qt::NoButton,
                          Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(plot, &moveOther);
    QVERIFY(panel.hoverText().contains("u name"));
    QVERIFY(!panel.hoverText().contains("run 3"));

    // CSV: a quoted label column
    QTemporaryDir tmp;
    QString error;
    QVERIFY2(panel.exportCsv(tmp.filePath("pca.csv"), &error), qPrintable(error));
    QFile csv(tmp.filePath("pca.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QString content = QString::fromUtf8(csv.readAll());
    QCOMPARE(content, QString::fromUtf8("series,x,y,label\n"
                                        "t,0,0,\"run 3 · epoch 0 · loss 2.3 · acc 10.0%\"\n"
                                        "t,4,2,\"run 3 · epoch 4 · loss 0.9 · acc 71.5%\"\n"
                                        "t,2,4,\"run 3 · epoch 12 · loss 0.31 · acc 91.2%\"\n"
                                        "t,6,1,\"say \"\"done\"\", at last\"\n"
                                        "u,1,1,\"\"\n"
                                        "u,2,1,\"\"\n"));
    // without labels: the three-column format
    panel.setPointLabels("t", {});
    QVERIFY2(panel.exportCsv(tmp.filePath("plain.csv"), &error), qPrintable(error));
    QFile plain(tmp.filePath("plain.csv"));
    QVERIFY(plain.open(QIODevice::ReadOnly));
    QCOMPARE(plain.readAll(), QByteArray("series,x,y\nt,0,0\nt,4,2\nt,2,4\nt,6,1\nu,1,1\nu,2,1\n"));
}

void TestPlotPanel::experimentViewLoadsLabelsFromRun() {
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const RunDirectory dir =
        RunDirectory::create(tmp.filePath("runs").toStdString(), "trajectories");
    PlotLayout layout;
    layout.panels = {pcaPanel()};
    layout.series = {trajectory("run_0", "pca", 0), trajectory("run_1", "pca", 1)};
    dir.writeLayout(layout);
    const Series a{{0, 1, 0.5}, {0, 1, 2}};
    const Series b{{3, 2}, {0, -1}};
    const std::vector<std::string> labels{"epoch 0 · loss 2.1", "epoch 1 · loss 0.8",
                                          "epoch 2 · loss 0.4 · acc 88.0%"};
    writeSeriesCsv(dir.seriesPath("run_0"), "pc1", "pc2", a);
    writeSeriesCsv(dir.seriesPath("run_1"), "pc1", "pc2", b);
    writeSeriesLabels(dir.labelsPath("run_0"), labels);  // run_1 has none

    ExperimentView view(dir.readLayout());
    view.loadFromRun(dir);
    PlotPanel* panel = view.panelFor("pca");
    QVERIFY(panel);
    QCOMPARE(panel->pointCount("run_0"), std::size_t(3));
    QCOMPARE(panel->pointLabels("run_0"), labels);
    QVERIFY(panel->pointLabels("run_1").empty());
    QVERIFY(panel->lastPointLabel("run_0")->visible());
    QCOMPARE(panel->lastPointLabel("run_0")->text(), QString::fromStdString(labels.back()));
    QCOMPARE(panel->trajectoryArrow("run_0")->end->coords(), QPointF(0.5, 2));

    // setLabels routes by series id
    view.setLabels("run_1", {"x", "y"});
    view.setLabels("nope", {"z"});  // ignored
    QCOMPARE(panel->pointLabels("run_1"), (std::vector<std::string>{"x", "y"}));

    // a visual check: TRAINLAB_TRAJECTORY_PNG=<path> keeps a rendering of two trajectories
    const QByteArray keep = qgetenv("TRAINLAB_TRAJECTORY_PNG");
    PlotPanel demo(pcaPanel());
    for (int r = 0; r < 2; ++r) {
        const std::string id = "run_" + std::to_string(r);
        SeriesSpec s = trajectory(id, "pca", r);
        s.name = r == 0 ? "SGD, lr 0.1" : "Adam, lr 1e-3";
        demo.addSeries(s);
        std::vector<double> px, py;
        std::vector<std::string> pl;
        for (int e = 0; e < 8; ++e) {
            const double t = e / 7.0;
            px.push_back((r == 0 ? 1 : -1) * (3 * t - 1.5 * t * t) + 0.3 * std::sin(3.0 * e));
            py.push_back((r == 0 ? 2.0 : -1.0) * t + 0.4 * std::cos(2.0 * e + r));
            pl.push_back("run " + std::to_string(r) + " · epoch " + std::to_string(e * 5) +
                         " · loss " +
                         QString::number(2.3 * std::exp(-2.0 * t - r), 'f', 2).toStdString() +
                         " · acc " + QString::number(10 + 80 * t, 'f', 1).toStdString() + "%");
        }
        demo.replaceSeries(id, px, py);
        demo.setPointLabels(id, pl);
    }
    const QString png = keep.isEmpty() ? tmp.filePath("pca.png") : QString::fromLocal8Bit(keep);
    QString error;
    QVERIFY2(demo.exportPng(png, 1200, 800, 1.0, &error), qPrintable(error));
    QCOMPARE(QImage(png).size(), QSize(1200, 800));
}

namespace {

PanelSpec landscapePanel() {
    PanelSpec p;
    p.id = "landscape";
    p.title = "Loss landscape";
    p.xLabel = "α (direction 1)";
    p.yLabel = "β (direction 2)";
    p.y2Label = "loss";
    return p;
}

SeriesSpec heatmap(const std::string& id, const std::string& panel) {
    SeriesSpec s;
    s.id = id;
    s.panel = panel;
    s.name = "loss landscape";
    s.xName = "α";
    s.yName = "β";
    s.mode = SeriesMode::Replace;
    s.style = SeriesStyle::Heatmap;
    return s;
}

/// nx × ny cells over [-1, 1] × [-2, 2] of a bowl, z[iy * nx + ix].
Grid bowl(std::size_t nx, std::size_t ny) {
    Grid g;
    for (std::size_t i = 0; i < nx; ++i) g.xs.push_back(-1 + 2.0 * i / (nx - 1));
    for (std::size_t i = 0; i < ny; ++i) g.ys.push_back(-2 + 4.0 * i / (ny - 1));
    for (double y : g.ys)
        for (double x : g.xs) g.z.push_back(0.1 + x * x + 0.25 * y * y + 0.3 * std::sin(3 * x * y));
    return g;
}

}  // namespace

void TestPlotPanel::heatmapDrawsGridUnderPointsHoversAndExports() {
    PlotPanel panel(landscapePanel());
    panel.resize(700, 500);
    SeriesSpec solution = series("solution", "landscape", 3, false);
    solution.style = SeriesStyle::Scatter;
    solution.xName = "α";
    solution.yName = "β";
    panel.addSeries(solution);  // added first, still drawn on top
    panel.addSeries(heatmap("landscape_s1", "landscape"));
    QCustomPlot* plot = panel.plot();
    QCPColorMap* map = panel.colorMapOf("landscape_s1");
    QVERIFY(map);
    QVERIFY(!panel.colorMapOf("solution"));
    QVERIFY(panel.colorScale());
    QCOMPARE(panel.colorScale()->axis()->label(), QString("loss"));
    QVERIFY(!plot->yAxis2->visible());       // y2Label names the colour scale here
    QCOMPARE(plot->legend->itemCount(), 1);  // the map is not listed
    QVERIFY(map->layer()->index() < graphNamed(plot, "solution name")->layer()->index());

    Grid g = bowl(5, 3);
    g.z[6] = std::numeric_limits<double>::quiet_NaN();                // a gap at (-0.5, 0)
    QVERIFY(!panel.setGrid("landscape_s1", Grid{{0, 1}, {0}, {1}}));  // inconsistent: refused
    QVERIFY(!panel.setGrid("solution", g));                           // not a heatmap
    QVERIFY(!panel.setGrid("nope", g));
    QVERIFY(panel.setGrid("landscape_s1", g));
    panel.replaceSeries("landscape_s1", {1, 2}, {3, 4});  // ignored for heatmaps
    panel.replaceSeries("solution", {0}, {0});
    panel.refresh();
    QCOMPARE(panel.pointCount("landscape_s1"), std::size_t(15));
    QCOMPARE(panel.displayedPointCount("landscape_s1"), std::size_t(15));
    QCOMPARE(map->data()->keySize(), 5);
    QCOMPARE(map->data()->valueSize(), 3);
    QCOMPARE(map->data()->keyRange(), QCPRange(-1, 1));
    QCOMPARE(map->data()->valueRange(), QCPRange(-2, 2));
    for (int iy = 0; iy < 3; ++iy)
        for (int ix = 0; ix < 5; ++ix) {
            const double want = g.z[static_cast<std::size_t>(iy * 5 + ix)];
            if (std::isnan(want))
                QVERIFY(std::isnan(map->data()->cell(ix, iy)));
            else
                QCOMPARE(map->data()->cell(ix, iy), want);
        }
    double lo = 1e300;
    double hi = -1e300;
    for (double v : g.z) {
        if (!std::isfinite(v)) continue;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    QCOMPARE(panel.colorScale()->dataRange(), QCPRange(lo, hi));
    QCOMPARE(map->dataRange(), QCPRange(lo, hi));
    // the axes show exactly the cells (centres ± half a cell)
    QCOMPARE(plot->xAxis->range(), QCPRange(-1.25, 1.25));
    QCOMPARE(plot->yAxis->range(), QCPRange(-3, 3));

    // hover: a cell shows x, y and z; the marker near the solution wins over the cell
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    plot->replot(QCustomPlot::rpImmediateRefresh);
    const auto hoverAt = [&](double x, double y) {
        const QPointF pos(plot->xAxis->coordToPixel(x), plot->yAxis->coordToPixel(y));
        QMouseEvent move(QEvent::MouseMove, pos, plot->mapToGlobal(pos), Qt::NoButton, Qt::NoButton,
                         Qt::NoModifier);
        QApplication::sendEvent(plot, &move);
        return panel.hoverText();
    };
    QString text = hoverAt(0.58, 1.8);  // the cell at (0.5, 2)
    QVERIFY2(text.contains("loss landscape") && text.contains("α = 0.5") &&
                 text.contains("β = 2") &&
                 text.contains("loss = " + QString::number(g.z[13], 'g', 9)),
             qPrintable(text));
    text = hoverAt(-0.5, 0);  // the NaN cell
    QVERIFY2(text.contains("loss = nan"), qPrintable(text));
    text = hoverAt(0.01, 0.01);
    QVERIFY2(text.contains("solution name"), qPrintable(text));
    QVERIFY(hoverAt(0.5, 5).isEmpty());  // outside the axis rect

    // CSV: a z column, one row per cell, the marker's z empty
    QTemporaryDir tmp;
    QString error;
    QVERIFY2(panel.exportCsv(tmp.filePath("landscape.csv"), &error), qPrintable(error));
    QFile csv(tmp.filePath("landscape.csv"));
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + 1 + 15);
    QCOMPARE(lines[0], QString("series,x,y,z"));
    QCOMPARE(lines[1], QString("solution,0,0,"));
    QCOMPARE(lines[2], "landscape_s1,-1,-2," + QString::number(g.z[0], 'g', 9));
    QCOMPARE(lines[3], "landscape_s1,-0.5,-2," + QString::number(g.z[1], 'g', 9));
    QCOMPARE(lines[8], QString("landscape_s1,-0.5,0,nan"));
    QCOMPARE(lines[16], "landscape_s1,1,2," + QString::number(g.z[14], 'g', 9));

    // PNG and SVG, with the map's colours
    QVERIFY2(panel.exportSvg(tmp.filePath("landscape.svg"), 900, 600, &error), qPrintable(error));
    QVERIFY(QFileInfo(tmp.filePath("landscape.svg")).size() > 0);
    const QString png = tmp.filePath("landscape.png");
    QVERIFY2(panel.exportPng(png, 900, 600, 1.0, &error), qPrintable(error));
    const QImage image(png);
    QCOMPARE(image.size(), QSize(900, 600));
    bool viridisYellow = false;  // the high end, #fde725
    for (int y = 0; y < image.height() && !viridisYellow; ++y)
        for (int x = 0; x < image.width(); ++x) {
            const QColor c = image.pixelColor(x, y);
            if (c.red() > 0xf0 && c.green() > 0xd8 && c.green() < 0xf0 && c.blue() < 0x40)
                viridisYellow = true;
        }
    QVERIFY(viridisYellow);

    // an empty grid clears the map
    QVERIFY(panel.setGrid("landscape_s1", Grid{}));
    panel.refresh();
    QCOMPARE(panel.displayedPointCount("landscape_s1"), std::size_t(0));
    QVERIFY(map->data()->isEmpty());
}

void TestPlotPanel::heatmapLogColourUnevenGridsAndRuns() {
    // log colour scale: non-positive values become gaps, the range spans the positive ones
    PanelSpec p = landscapePanel();
    p.logY2 = true;
    {
        PlotPanel panel(p);
        panel.addSeries(heatmap("h", "landscape"));
        QVERIFY(panel.setGrid("h", Grid{{0, 1, 3}, {0, 1}, {1e-3, 0, 10, -1, 0.1, 1}}));
        panel.refresh();
        QCOMPARE(panel.colorScale()->dataScaleType(), QCPAxis::stLogarithmic);
        QCOMPARE(panel.colorMapOf("h")->dataScaleType(), QCPAxis::stLogarithmic);
        QCOMPARE(panel.colorScale()->dataRange(), QCPRange(1e-3, 10));
        // uneven xs {0, 1, 3}: shown on an even grid of nearest cells
        const QCPColorMapData* d = panel.colorMapOf("h")->data();
        QCOMPARE(d->keySize(), 4);
        QCOMPARE(d->keyRange(), QCPRange(0, 3));
        QCPColorMapData copy(*d);
        QCOMPARE(copy.cell(0, 0), 1e-3);       // x = 0
        QVERIFY(std::isnan(copy.cell(1, 0)));  // x = 1: 0 is a gap on a log scale
        QVERIFY(std::isnan(copy.cell(2, 0)));  // x = 2: a tie, the lower (1) is nearest
        QCOMPARE(copy.cell(3, 0), 10.0);       // x = 3
        QVERIFY(std::isnan(copy.cell(0, 1)));  // -1
        QCOMPARE(panel.plot()->xAxis->range(), QCPRange(-0.5, 3.5));
    }

    // a run folder: loadFromRun rebuilds the heatmap; a damaged grid leaves only it empty
    QTemporaryDir tmp;
    const RunDirectory dir = RunDirectory::create(tmp.filePath("runs").toStdString(), "land");
    PlotLayout layout;
    layout.panels = {landscapePanel(), lossPanel()};
    layout.series = {heatmap("landscape_s1", "landscape"), heatmap("landscape_s2", "landscape"),
                     series("train_loss", "loss", 0, false)};
    dir.writeLayout(layout);
    const Grid g = bowl(7, 5);
    writeGridCsv(dir.seriesPath("landscape_s1"), g);
    writeSeriesCsv(dir.seriesPath("train_loss"), "step", "loss", Series{{1, 2}, {1, 0.5}});
    {
        ExperimentView view(dir.readLayout());
        view.loadFromRun(dir);  // landscape_s2 has no file yet: empty
        PlotPanel* panel = view.panelFor("landscape");
        QCOMPARE(panel->pointCount("landscape_s1"), std::size_t(35));
        QCOMPARE(panel->colorMapOf("landscape_s1")->data()->keySize(), 7);
        QCOMPARE(panel->pointCount("landscape_s2"), std::size_t(0));
        QVERIFY(panel->colorScale());
        QCOMPARE(panel->colorScale()->colorMaps().size(), 2);
        // ExperimentView::setGrid routes by id
        view.setGrid("landscape_s2", bowl(3, 3));
        view.setGrid("nope", bowl(3, 3));  // ignored
        QCOMPARE(panel->pointCount("landscape_s2"), std::size_t(9));
        QString error;
        const QStringList files = view.exportAll(tmp.filePath("plots"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(files.size(), 6);
    }
    {
        std::ofstream(dir.seriesPath("landscape_s1"), std::ios::trunc)
            << "x,y,z\n0,0,1\n1,0,2\n0,1,3\n";
        ExperimentView view(dir.readLayout());
        bool threw = false;
        try {
            view.loadFromRun(dir);
        } catch (const DataError& e) {
            threw = true;
            QVERIFY2(std::string(e.what()).find("landscape_s1.csv") != std::string::npos &&
                         e.fault().find("truncated") != std::string::npos,
                     e.what());
        }
        QVERIFY(threw);
        QCOMPARE(view.panelFor("loss")->pointCount("train_loss"), std::size_t(2));
        QCOMPARE(view.panelFor("landscape")->pointCount("landscape_s1"), std::size_t(0));
    }

    // a visual check: TRAINLAB_HEATMAP_PNG=<path> keeps a rendering of a landscape
    const QByteArray keep = qgetenv("TRAINLAB_HEATMAP_PNG");
    if (!keep.isEmpty()) {
        PlotPanel demo(landscapePanel());
        demo.addSeries(heatmap("landscape_s1", "landscape"));
        SeriesSpec sol = series("solution", "landscape", -1, false);
        sol.style = SeriesStyle::Scatter;
        sol.name = "solution";
        demo.addSeries(sol);
        demo.setGrid("landscape_s1", bowl(41, 41));
        demo.appendPoints("solution", {0}, {0});
        QString error;
        QVERIFY2(demo.exportPng(QString::fromLocal8Bit(keep), 1200, 800, 1.0, &error),
                 qPrintable(error));
    }
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
