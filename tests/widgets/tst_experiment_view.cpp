// Tests of ExperimentView: routing series to their panels, exporting every panel, loading
// points and labels from a run folder. Run with QT_QPA_PLATFORM=offscreen.
#include <qcustomplot.h>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <limits>

#include "experiment_view.h"
#include "plot_panel.h"
#include "plot_test_data.h"
#include "run_directory.h"
#include "csv.h"

using namespace trainlab;
using namespace trainlab::testing;

class TestExperimentView : public QObject {
    Q_OBJECT
  private slots:
    void experimentViewRoutesAndExportsAll();
    void experimentViewLoadsLabelsFromRun();
};

void TestExperimentView::experimentViewRoutesAndExportsAll() {
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

void TestExperimentView::experimentViewLoadsLabelsFromRun() {
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

QTEST_MAIN(TestExperimentView)
#include "tst_experiment_view.moc"
