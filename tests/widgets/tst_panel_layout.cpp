// Issue 16 §2: every built-in preset's panels, filled with the recorded tiny runs of
// tests/goldens/, stay readable at 1024×700, 1600×1000 and at scale 1.5 (the test runs itself
// again with QT_SCALE_FACTOR=1.5): no title, axis label or tick label outside its widget or on
// top of its neighbour, every category labelled, legends over at most 3% of the plotted
// points, square heat maps for square grids, enough ticks and coloured axes on dual-axis
// panels. Screenshots go to $TRAINLAB_SCREENSHOT_DIR, else screenshots/panel_layout/ in the
// working folder (per panel too with TRAINLAB_SCREENSHOT_PANELS=1). Also: a click on a legend
// entry hides its series, the context menu switches axes to log and back, hover values have
// 4 significant digits.
#include <qcustomplot.h>
#include <QDir>
#include <QMenu>
#include <QProcess>
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <memory>
#include <set>

#include "experiment.h"
#include "experiment_runner.h"
#include "experiment_view.h"
#include "golden_presets.h"
#include "palette.h"
#include "plot_fit.h"
#include "plot_interaction.h"
#include "plot_panel.h"
#include "preset.h"
#include "run_directory.h"

namespace fs = std::filesystem;

namespace trainlab::testing {

namespace {

const fs::path kGoldens = fs::path(TRAINLAB_TEST_DATA).parent_path() / "goldens";

/// A preset's layout at the goldens' settings (and `extra` ones, e.g. another dataset).
PlotLayout layoutOf(const GoldenPreset& g, const std::vector<std::string>& extra = {}) {
    const Preset preset = resolvePreset(g.id);
    nlohmann::json config = preset.config;
    for (const auto& s : g.settings) applyOverride(preset.kind, config, s);
    for (const auto& s : extra) applyOverride(preset.kind, config, s);
    const ExperimentKind* kind = findExperimentKind(preset.kind);
    if (!kind) throw std::runtime_error("no kind " + preset.kind);
    return kind->create(config, ExperimentContext{})->layout();
}

/// A run folder in `root` holding the golden metrics of `g` and `layout`, for loadFromRun.
RunDirectory goldenRun(const fs::path& root, const GoldenPreset& g, const PlotLayout& layout) {
    const fs::path dir = root / g.id;
    fs::create_directories(dir);
    fs::copy(kGoldens / g.id / "metrics", dir / "metrics", fs::copy_options::recursive);
    RunDirectory run(dir);
    run.writeLayout(layout);
    return run;
}

QString screenshotDir() {
    const QString env = qEnvironmentVariable("TRAINLAB_SCREENSHOT_DIR");
    const QString dir = env.isEmpty() ? QDir::current().filePath("screenshots/panel_layout") : env;
    QDir().mkpath(dir);
    return dir;
}

/// The scale the test runs at (QT_SCALE_FACTOR; 1 when unset).
double scaleFactor() {
    bool ok = false;
    const double s = qEnvironmentVariable("QT_SCALE_FACTOR").toDouble(&ok);
    return ok && s > 0 ? s : 1.0;
}

/// A window of `window` device pixels tiled as the main window tiles panels: the presets and
/// settings docks and the bars take about 300 × 120 logical pixels; the panels share the rest
/// in two columns (three for more than four panels on a wide window), each at least
/// 320 × 240 (the window scrolls beyond).
QSize tileSize(int panels, QSize window) {
    const double s = scaleFactor();
    const int w = static_cast<int>(window.width() / s) - 300;
    const int h = static_cast<int>(window.height() / s) - 120;
    const int cols = panels <= 1 ? 1 : (panels > 4 && w >= 1100 ? 3 : 2);
    const int rows = (panels + cols - 1) / cols;
    return QSize(std::max(320, w / cols), std::max(240, h / rows));
}

}  // namespace

/// Checks one laid-out panel of `layout`; `where` names it in messages.
void checkPanel(PlotPanel* panel, const PlotLayout& layout, const QString& where) {
    QCustomPlot* plot = panel->plot();
    const QRectF widget = QRectF(plot->rect()).adjusted(-1, -1, 1, 1);
    const auto rectText = [](const QRectF& r) {
        return QStringLiteral("(%1,%2 %3×%4)").arg(r.x()).arg(r.y()).arg(r.width()).arg(r.height());
    };
    for (const PlotText& t : plotTexts(plot))
        QVERIFY2(widget.contains(t.bounds()),
                 qPrintable(where + ": " + t.what + " '" + t.text + "' at " +
                            rectText(t.bounds()) + " is outside the widget " + rectText(widget)));
    QList<QCPAxis*> axes = plot->axisRect()->axes();
    if (panel->colorScale()) axes << panel->colorScale()->axis();
    for (QCPAxis* axis : axes) {
        if (!axis->visible()) continue;
        const std::vector<PlotText> ticks = tickLabelTexts(axis);
        QString list;
        for (const PlotText& t : ticks) list += " '" + t.text + "' at " + rectText(t.bounds());
        QVERIFY2(!tickLabelsOverlap(axis), qPrintable(where + ": tick labels overlap:" + list));
        const std::size_t labels = ticks.size();
        if (isCategoryAxis(axis))
            QVERIFY2(labels == panel->spec().xTickLabels.size(),
                     qPrintable(where + QStringLiteral(": %1 of %2 categories labelled")
                                            .arg(labels)
                                            .arg(panel->spec().xTickLabels.size())));
        else if (axis->orientation() == Qt::Vertical &&  // room for three labels apart
                 axis->axisRect()->height() >= 6 * QFontMetrics(axis->tickLabelFont()).height())
            QVERIFY2(labels >= 3, qPrintable(where + QStringLiteral(": %1 tick labels on a y axis "
                                                                    "from %2 to %3")
                                                         .arg(labels)
                                                         .arg(axis->range().lower)
                                                         .arg(axis->range().upper)));
    }
    const double covered = panel->legendCoverage();
    QVERIFY2(covered <= 0.03,
             qPrintable(where + QStringLiteral(": the legend covers %1% of the points")
                                    .arg(100 * covered)));
    if (plot->legend->visible())
        QVERIFY2(widget.contains(plot->legend->outerRect()),
                 qPrintable(where + ": legend outside the widget"));
    if (QCPColorScale* scale = panel->colorScale()) {
        QVERIFY2(!scale->outerRect().intersects(plot->axisRect()->rect()),
                 qPrintable(where + ": the colour scale overlaps the map"));
        bool square = true;
        for (const SeriesSpec& s : layout.series)
            if (s.panel == panel->spec().id && s.style == SeriesStyle::Heatmap)
                square = square && panel->colorMapOf(s.id)->data()->keySize() ==
                                       panel->colorMapOf(s.id)->data()->valueSize();
        if (square)
            QVERIFY2(std::abs(plot->axisRect()->width() - plot->axisRect()->height()) <= 1,
                     qPrintable(where + QStringLiteral(": heat map of a square grid is %1×%2")
                                            .arg(plot->axisRect()->width())
                                            .arg(plot->axisRect()->height())));
    }
    // series on both y axes: each axis in its series' colour, where they share one
    std::set<int> left, right;
    for (const SeriesSpec& s : layout.series)
        if (s.panel == panel->spec().id && s.style != SeriesStyle::Heatmap)
            (s.rightAxis ? right : left).insert(s.color);
    if (!left.empty() && !right.empty()) {
        const QColor fg = panel->palette().color(QPalette::Text);
        QCOMPARE(plot->yAxis->labelColor(), left.size() == 1 ? seriesColor(*left.begin()) : fg);
        QCOMPARE(plot->yAxis2->labelColor(),
                 right.size() == 1 ? seriesColor(*right.begin()) : fg);
        QCOMPARE(plot->yAxis2->tickLabelColor(), plot->yAxis2->labelColor());
    }
}

class TestPanelLayout : public QObject {
    Q_OBJECT
  private slots:
    void presetPanelsReadable_data();
    void presetPanelsReadable();
    void atScaleOneAndAHalf();
    void legendClickHidesSeries();
    void contextMenuSwitchesAxesToLog();
    void hoverShowsFourSignificantDigits();
};

void TestPanelLayout::presetPanelsReadable_data() {
    QTest::addColumn<int>("preset");
    QTest::addColumn<QString>("dataset");
    QTest::addColumn<QSize>("window");
    const auto presets = goldenPresets();
    for (int i = 0; i < static_cast<int>(presets.size()); ++i)
        for (const QSize window : {QSize(1024, 700), QSize(1600, 1000)}) {
            const QString size = QStringLiteral("%1x%2").arg(window.width()).arg(window.height());
            const QByteArray name = QString::fromStdString(presets[i].id + " " ).toUtf8() + size.toUtf8();
            QTest::newRow(name.constData()) << i << QString() << window;
            if (presets[i].id == "1-2-cnns")  // the per-class ticks with Fashion-MNIST's names
                QTest::newRow((name + " fashion").constData())
                    << i << QStringLiteral("fashion-mnist") << window;
        }
}

void TestPanelLayout::presetPanelsReadable() {
    QFETCH(int, preset);
    QFETCH(QString, dataset);
    QFETCH(QSize, window);
    const GoldenPreset g = goldenPresets()[static_cast<std::size_t>(preset)];
    std::vector<std::string> extra;
    if (!dataset.isEmpty()) extra.push_back("dataset=" + dataset.toStdString());
    const PlotLayout layout = layoutOf(g, extra);
    QTemporaryDir tmp;
    const RunDirectory run = goldenRun(tmp.path().toStdString(), g, layout);
    QWidget tiles;
    ExperimentView view(layout, &tiles);
    std::vector<std::string> warnings;
    view.loadFromRun(run, &warnings);
    QVERIFY(warnings.empty());
    const int n = static_cast<int>(view.panels().size());
    const QSize tile = tileSize(n, window);
    const int cols = window.width() / scaleFactor() - 300 >= 1100 && n > 4 ? 3 : (n > 1 ? 2 : 1);
    for (int i = 0; i < n; ++i)
        view.panels()[static_cast<std::size_t>(i)]->setGeometry(
            (i % cols) * tile.width(), (i / cols) * tile.height(), tile.width(), tile.height());
    tiles.resize(cols * tile.width(), ((n + cols - 1) / cols) * tile.height());
    tiles.show();
    QVERIFY(QTest::qWaitForWindowExposed(&tiles));
    for (PlotPanel* panel : view.panels()) panel->plot()->replot(QCustomPlot::rpImmediateRefresh);
    const QString tag = QStringLiteral("%1%2-%3x%4%5")
                            .arg(QString::fromStdString(g.id))
                            .arg(dataset.isEmpty() ? QString() : "-" + dataset)
                            .arg(window.width())
                            .arg(window.height())
                            .arg(scaleFactor() != 1.0 ? QStringLiteral("@%1").arg(scaleFactor())
                                                       : QString());
    const QString dir = screenshotDir();
    QVERIFY(tiles.grab().save(QDir(dir).filePath(tag + ".png")));
    if (qEnvironmentVariableIsSet("TRAINLAB_SCREENSHOT_PANELS"))
        for (PlotPanel* panel : view.panels())
            panel->grab().save(QDir(dir).filePath(
                tag + "-" + QString::fromStdString(panel->spec().id) + ".png"));
    // every series file of the goldens belongs to the layout (the settings match tst_goldens)
    for (const auto& e : fs::directory_iterator(kGoldens / g.id / "metrics")) {
        const std::string name = e.path().filename().string();
        if (e.path().extension() != ".csv") continue;
        const std::string id = name.substr(0, name.size() - 4);
        const bool table = id == "per_class_accuracy" || id.rfind("confusion_", 0) == 0 ||
                           id == "runs" || id == "eigenvalues" || id == "solutions" ||
                           id == "bs_loss_gradient" || id.find("_run") != std::string::npos;
        QVERIFY2(table || layout.findSeries(id), qPrintable(QString::fromStdString(
                                                     g.id + ": " + name + " is in no panel")));
    }
    for (PlotPanel* panel : view.panels()) {
        checkPanel(panel, layout, tag + " " + QString::fromStdString(panel->spec().id));
        if (QTest::currentTestFailed()) return;
    }
}

void TestPanelLayout::atScaleOneAndAHalf() {
    if (scaleFactor() != 1.0) QSKIP("this is the run at another scale");
    QProcess child;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_SCALE_FACTOR", "1.5");
    child.setProcessEnvironment(env);
    child.setProcessChannelMode(QProcess::MergedChannels);
    child.start(QCoreApplication::applicationFilePath(), {"presetPanelsReadable"});
    QVERIFY(child.waitForFinished(120000));
    const QString out = QString::fromUtf8(child.readAll());
    QVERIFY2(child.exitStatus() == QProcess::NormalExit && child.exitCode() == 0,
             qPrintable(out.right(4000)));
    QVERIFY2(out.contains("PASS   : ") && !out.contains("FAIL!"), qPrintable(out.right(4000)));
}

namespace {

SeriesSpec lineSeries(const std::string& id, const std::string& panel, int color) {
    SeriesSpec s;
    s.id = id;
    s.panel = panel;
    s.name = id + " name";
    s.xName = "step";
    s.yName = "loss";
    s.color = color;
    return s;
}

void showAndLayOut(PlotPanel& panel) {
    panel.resize(640, 420);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    panel.plot()->replot(QCustomPlot::rpImmediateRefresh);
}

void click(QCustomPlot* plot, const QPointF& at) {
    QMouseEvent press(QEvent::MouseButtonPress, at, plot->mapToGlobal(at), Qt::LeftButton,
                      Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(plot, &press);
    QMouseEvent release(QEvent::MouseButtonRelease, at, plot->mapToGlobal(at), Qt::LeftButton,
                        Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(plot, &release);
}

}  // namespace

void TestPanelLayout::legendClickHidesSeries() {
    PanelSpec spec;
    spec.id = "p";
    spec.xLabel = "step";
    spec.yLabel = "loss";
    PlotPanel panel(spec);
    panel.addSeries(lineSeries("big", "p", 0));
    panel.addSeries(lineSeries("small", "p", 1));
    panel.appendPoints("big", {0, 1, 2, 3}, {10, 100, 50, 80});
    panel.appendPoints("small", {0, 1, 2, 3}, {1, 2, 1.5, 1.2});
    panel.refresh();
    showAndLayOut(panel);
    QCustomPlot* plot = panel.plot();
    QVERIFY(plot->yAxis->range().upper >= 100);
    QCPPlottableLegendItem* entry = nullptr;
    for (int i = 0; i < plot->legend->itemCount(); ++i)
        if (auto* e = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i));
            e && e->plottable()->name() == "big name")
            entry = e;
    QVERIFY(entry);
    QSignalSpy replots(plot, &QCustomPlot::afterReplot);
    click(plot, QRectF(entry->rect()).center());
    QVERIFY(!panel.seriesVisible("big"));
    QVERIFY(panel.seriesVisible("small"));
    QCOMPARE(panel.hiddenSeriesCount(), 1);
    QVERIFY(!entry->plottable()->visible());
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY2(plot->yAxis->range().upper < 10,  // autoscaled to what is shown
             qPrintable(QString::number(plot->yAxis->range().upper)));
    // still hidden after new points, and in the export (an entry still listed)
    panel.appendPoints("big", {4}, {90});
    panel.refresh();
    QVERIFY(!panel.seriesVisible("big"));
    QTemporaryDir tmp;
    QVERIFY(panel.exportPng(tmp.filePath("p.png"), 400, 300));
    QVERIFY(!panel.seriesVisible("big"));
    QCOMPARE(plot->legend->itemCount(), 2);
    // a second click shows it again
    plot->replot(QCustomPlot::rpImmediateRefresh);
    entry = nullptr;
    for (int i = 0; i < plot->legend->itemCount(); ++i)
        if (auto* e = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i));
            e && e->plottable()->name() == "big name")
            entry = e;
    QVERIFY(entry);
    click(plot, QRectF(entry->rect()).center());
    QVERIFY(panel.seriesVisible("big"));
    plot->replot(QCustomPlot::rpImmediateRefresh);
    QVERIFY(plot->yAxis->range().upper >= 100);
}

void TestPanelLayout::contextMenuSwitchesAxesToLog() {
    PanelSpec spec;
    spec.id = "p";
    spec.logY = true;
    spec.y2Label = "accuracy";
    PlotPanel panel(spec);
    panel.addSeries(lineSeries("loss", "p", 0));
    SeriesSpec acc = lineSeries("acc", "p", 1);
    acc.rightAxis = true;
    panel.addSeries(acc);
    panel.appendPoints("loss", {1, 2, 3}, {0, 0.5, 0.25});  // 0 is left out of a log axis
    panel.appendPoints("acc", {1, 2, 3}, {10, 50, 70});
    panel.refresh();
    showAndLayOut(panel);
    auto* interaction = panel.findChild<PlotInteraction*>();
    QVERIFY(interaction);
    QMenu menu;
    interaction->populateContextMenu(menu);
    auto* logLeft = menu.findChild<QAction*>("logLeft");
    auto* logX = menu.findChild<QAction*>("logX");
    auto* logRight = menu.findChild<QAction*>("logRight");
    QVERIFY(logLeft && logX && logRight);
    QVERIFY(logLeft->isChecked());
    QVERIFY(!logX->isChecked());
    QCOMPARE(panel.displayedPointCount("loss"), std::size_t(2));
    logLeft->trigger();  // to linear: the 0 is shown
    QCOMPARE(panel.plot()->yAxis->scaleType(), QCPAxis::stLinear);
    QVERIFY(!panel.axisLog(PanelAxis::Left));
    QCOMPARE(panel.displayedPointCount("loss"), std::size_t(3));
    QVERIFY(panel.plot()->yAxis->range().lower <= 0);
    logRight->trigger();
    QCOMPARE(panel.plot()->yAxis2->scaleType(), QCPAxis::stLogarithmic);
    QVERIFY(panel.plot()->yAxis2->range().lower > 0);
    QMenu again;
    interaction->populateContextMenu(again);
    QVERIFY(!again.findChild<QAction*>("logLeft")->isChecked());
    QVERIFY(again.findChild<QAction*>("logRight")->isChecked());
    again.findChild<QAction*>("logLeft")->trigger();  // back to log
    QVERIFY(panel.axisLog(PanelAxis::Left));
    QCOMPARE(panel.displayedPointCount("loss"), std::size_t(2));
    // a heat map keeps its axes linear: no switch for them
    PanelSpec mapSpec;
    mapSpec.id = "m";
    PlotPanel map(mapSpec);
    SeriesSpec cells = lineSeries("cells", "m", 0);
    cells.style = SeriesStyle::Heatmap;
    cells.mode = SeriesMode::Replace;
    map.addSeries(cells);
    QVERIFY(!map.axisScaleSwitchable(PanelAxis::X));
    QVERIFY(!map.setAxisLog(PanelAxis::Left, true));
    QMenu mapMenu;
    map.findChild<PlotInteraction*>()->populateContextMenu(mapMenu);
    QVERIFY(!mapMenu.findChild<QAction*>("logX"));
    QVERIFY(!mapMenu.findChild<QAction*>("logLeft"));
}

void TestPanelLayout::hoverShowsFourSignificantDigits() {
    PanelSpec spec;
    spec.id = "p";
    PlotPanel panel(spec);
    panel.addSeries(lineSeries("s", "p", 0));
    panel.appendPoints("s", {1.23456789, 2.5, 3.75}, {0.000123456789, 98765.4321, 3});
    panel.refresh();
    showAndLayOut(panel);
    QCustomPlot* plot = panel.plot();
    const QPointF at(plot->xAxis->coordToPixel(1.23456789),
                     plot->yAxis->coordToPixel(0.000123456789));
    QMouseEvent move(QEvent::MouseMove, at, plot->mapToGlobal(at), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    QVERIFY2(panel.hoverText().contains("step = 1.235"), qPrintable(panel.hoverText()));
    QVERIFY2(panel.hoverText().contains("loss = 0.0001235"), qPrintable(panel.hoverText()));
    QVERIFY(!panel.hoverText().contains("1.234567"));
    const QPointF high(plot->xAxis->coordToPixel(2.5), plot->yAxis->coordToPixel(98765.4321));
    QMouseEvent moveHigh(QEvent::MouseMove, high, plot->mapToGlobal(high), Qt::NoButton,
                         Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(plot, &moveHigh);
    QVERIFY2(panel.hoverText().contains("loss = 9.877e+04"), qPrintable(panel.hoverText()));
}

}  // namespace trainlab::testing

QTEST_MAIN(trainlab::testing::TestPanelLayout)
#include "tst_panel_layout.moc"
