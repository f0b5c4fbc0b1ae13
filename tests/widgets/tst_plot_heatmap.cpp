// Tests of PlotPanel's heatmap layer: grids drawn under the points with a viridis colour
// scale, hover on cells, CSV with z, log colour scales, uneven grids and grids from runs.
// Run with QT_QPA_PLATFORM=offscreen.
#include <qcustomplot.h>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <limits>
#include <fstream>

#include "errors.h"
#include "experiment_view.h"
#include "plot_panel.h"
#include "plot_test_data.h"
#include "run_directory.h"
#include "text_format.h"
#include "csv.h"

using namespace trainlab;
using namespace trainlab::testing;

class TestPlotHeatmap : public QObject {
    Q_OBJECT
  private slots:
    void heatmapDrawsGridUnderPointsHoversAndExports();
    void heatmapLogColourUnevenGridsAndRuns();
};

void TestPlotHeatmap::heatmapDrawsGridUnderPointsHoversAndExports() {
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
                 text.contains("loss = " + QString::fromStdString(formatSignificant(g.z[13], 4))),
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

void TestPlotHeatmap::heatmapLogColourUnevenGridsAndRuns() {
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

QTEST_MAIN(TestPlotHeatmap)
#include "tst_plot_heatmap.moc"
