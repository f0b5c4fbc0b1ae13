// Tests of the export shared by PlotPanel and ResultsChart (plot_export.h): PNG at a scale with
// its DPI, SVG with title and size, CSV numbers and quoting, writes through a temporary file,
// and the error messages of each failure. Run with QT_QPA_PLATFORM=offscreen.
#include <QDir>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <limits>

#include "plot_export.h"
#include "plot_panel.h"
#include "plot_test_data.h"
#include "results_chart.h"

using namespace trainlab;
using namespace trainlab::testing;

namespace {

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestPlotExport : public QObject {
    Q_OBJECT
  private slots:
    void resultsChartExports();
    void pngOfBothWidgetsAtAScale();
    void svgOfBothWidgets();
    void failuresSayWhatAndWhere();
    void csvNumbersAndQuoting();
    void writesReplaceFilesWhole();
};

void TestPlotExport::resultsChartExports() {
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

void TestPlotExport::pngOfBothWidgetsAtAScale() {
    QTemporaryDir tmp;
    PlotPanel panel(lossPanel());
    panel.addSeries(series("train_loss", "loss", 0, false));
    panel.appendPoints("train_loss", {1, 2, 3}, {1, 0.5, 0.25});
    ResultsChart chart;
    chart.setResults("Final loss", "Loss", {"a", "b"}, {0.5, 0.25}, false);
    const int dpm = qRound(96.0 * 2 / 0.0254);  // 96 DPI at scale 2
    QString error;
    QVERIFY2(panel.exportPng(tmp.filePath("p.png"), 300, 200, 2.0, &error), qPrintable(error));
    QVERIFY2(chart.exportPng(tmp.filePath("c.png"), 300, 200, 2.0, &error), qPrintable(error));
    for (const QString& name : {QStringLiteral("p.png"), QStringLiteral("c.png")}) {
        const QImage image(tmp.filePath(name));
        QCOMPARE(image.size(), QSize(600, 400));
        QCOMPARE(image.dotsPerMeterX(), dpm);
        QCOMPARE(image.dotsPerMeterY(), dpm);
        // the background of the widget fills the corner
        QVERIFY(image.pixelColor(1, 1).alpha() == 255);
    }
    QCOMPARE(QImage(tmp.filePath("p.png")).pixelColor(1, 1),
             panel.palette().color(QPalette::Base));
}

void TestPlotExport::svgOfBothWidgets() {
    QTemporaryDir tmp;
    PlotPanel panel(lossPanel());
    panel.addSeries(series("train_loss", "loss", 0, false));
    panel.appendPoints("train_loss", {1, 2, 3}, {1, 0.5, 0.25});
    ResultsChart chart;
    chart.setResults("Final loss", "Loss", {"a", "b"}, {0.5, 0.25}, true);
    QString error;
    QVERIFY2(panel.exportSvg(tmp.filePath("p.svg"), 640, 480, &error), qPrintable(error));
    QVERIFY2(chart.exportSvg(tmp.filePath("c.svg"), 640, 480, &error), qPrintable(error));
    const QByteArray p = readAll(tmp.filePath("p.svg"));
    const QByteArray c = readAll(tmp.filePath("c.svg"));
    QVERIFY(p.contains("<title>Training loss</title>"));
    QVERIFY(p.contains("trainlab plot loss"));
    QVERIFY(c.contains("<title>Final loss</title>"));
    for (const QByteArray& svg : {p, c}) QVERIFY(svg.contains("viewBox=\"0 0 640 480\""));
}

void TestPlotExport::failuresSayWhatAndWhere() {
    QTemporaryDir tmp;
    PlotPanel panel(lossPanel());
    ResultsChart chart;
    QString error;
    QVERIFY(!panel.exportPng(tmp.filePath("x.png"), 0, 10, 1.0, &error));
    QCOMPARE(error, QStringLiteral("Invalid PNG size 0×10 at scale 1"));
    QVERIFY(!chart.exportPng(tmp.filePath("x.png"), 10, 10, 0.0, &error));
    QCOMPARE(error, QStringLiteral("Invalid PNG size 10×10 at scale 0"));
    QVERIFY(!chart.exportSvg(tmp.filePath("x.svg"), 10, -1, &error));
    QCOMPARE(error, QStringLiteral("Invalid SVG size 10×-1"));
    const QString missing = tmp.filePath("missing/dir/x");
    QVERIFY(!panel.exportPng(missing + ".png", 100, 80, 1.0, &error));
    QVERIFY2(error.startsWith("Cannot write PNG to " + missing + ".png: "), qPrintable(error));
    QVERIFY(!chart.exportSvg(missing + ".svg", 100, 80, &error));
    QVERIFY2(error.startsWith("Cannot write SVG to " + missing + ".svg: "), qPrintable(error));
    QVERIFY(!chart.exportCsv(missing + ".csv", &error));
    QVERIFY2(error.startsWith("Cannot write CSV to " + missing + ".csv: "), qPrintable(error));
    QVERIFY(!panel.exportCsv(missing + ".csv", &error));
    QVERIFY2(error.startsWith("Cannot write CSV to " + missing + ".csv: "), qPrintable(error));
    QVERIFY(!QFileInfo::exists(tmp.filePath("missing")));
}

void TestPlotExport::csvNumbersAndQuoting() {
    QTemporaryDir tmp;
    const QString path = tmp.filePath("n.csv");
    CsvExport csv(path);
    for (double v : {0.1, 1e-5, 123456789012.0, 1.0 / 3, -0.0,
                     std::numeric_limits<double>::quiet_NaN(),
                     -std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
        csv.number(v);
        csv.endRow();
    }
    csv.field(QStringLiteral("plain"));
    csv.text(',');
    csv.field(QStringLiteral("a, \"b\""));
    csv.text(',');
    csv.quoted("always");
    csv.endRow();
    QString error;
    QVERIFY2(csv.commit(&error), qPrintable(error));
    QCOMPARE(readAll(path), QByteArray("0.1\n1e-05\n1.23456789e+11\n0.333333333\n-0\nnan\nnan\n"
                                       "inf\n-inf\nplain,\"a, \"\"b\"\"\",\"always\"\n"));
}

void TestPlotExport::writesReplaceFilesWhole() {
    QTemporaryDir tmp;
    const QString path = tmp.filePath("r.csv");
    QString error;
    QVERIFY(writeAtomically(path, "old contents that are longer\n", "CSV", &error));
    ResultsChart chart;
    chart.setResults("t", "v", {"a"}, {2}, false);
    QVERIFY2(chart.exportCsv(path, &error), qPrintable(error));
    QCOMPARE(readAll(path), QByteArray("category,value\na,2\n"));
    QCOMPARE(QDir(tmp.path()).entryList(QDir::Files), QStringList{"r.csv"});  // no leftovers
}

QTEST_MAIN(TestPlotExport)
#include "tst_plot_export.moc"
