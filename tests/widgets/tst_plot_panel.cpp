// Tests of PlotPanel: the display decimation keeps spikes, exports hold every point, zoom and
// log axes, hover and clicks, trajectories keep their point order and show their direction,
// point labels. Run with QT_QPA_PLATFORM=offscreen.
#include <qcustomplot.h>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <limits>

#include "palette.h"
#include "plot_panel.h"
#include "plot_test_data.h"
#include "csv.h"

using namespace trainlab;
using namespace trainlab::testing;

class TestPlotPanel : public QObject {
    Q_OBJECT
  private slots:
    void paletteIsDistinctAndNeutral();
    void decimationKeepsSpikeAndAllPoints();
    void zoomingInShowsEveryPointOfAFinishedSeries();
    void logAxisSkipsNonPositiveForDisplayOnly();
    void hoverMarksNearestStoredPoint();
    void clickOnAPointReportsItsLabel();
    void trajectoryKeepsOrderAndShowsDirection();
    void pointLabelsInHoverPlotAndCsv();
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

QTEST_MAIN(TestPlotPanel)
#include "tst_plot_panel.moc"
