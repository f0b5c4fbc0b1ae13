// Tests of the plots' smoothing (issue 14): TensorBoard's debiased moving average against known
// answers, incremental = one shot; a panel drawing the smoothed line over a faint raw one, its
// hover and CSV; the Smoothing control. Run with QT_QPA_PLATFORM=offscreen.
#include <qcustomplot.h>
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "csv.h"
#include "palette.h"
#include "plot_panel.h"
#include "plot_test_data.h"
#include "smoothing.h"
#include "smoothing_control.h"

namespace trainlab::testing {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

/// A noisy falling curve: n points, x = 0..n-1.
void noisyLoss(std::size_t n, std::vector<double>* x, std::vector<double>* y) {
    std::mt19937 rng(7);
    std::normal_distribution<double> noise(0.0, 0.2);
    x->clear();
    y->clear();
    for (std::size_t i = 0; i < n; ++i) {
        x->push_back(static_cast<double>(i));
        y->push_back(2.0 / (1.0 + 0.05 * static_cast<double>(i)) + noise(rng));
    }
}

std::vector<double> graphValues(const QCPGraph* g) {
    std::vector<double> v;
    for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
        v.push_back(it->value);
    return v;
}

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

SeriesSpec lossSeries(const std::string& id, int color) {
    return series(id, "lin", color, false);
}

PanelSpec linearPanel() {
    PanelSpec p;
    p.id = "lin";
    p.title = "Loss";
    return p;
}

}  // namespace

class TestSmoothing : public QObject {
    Q_OBJECT
  private slots:
    void weightsAreClamped();
    void constantSeriesStaysConstant();
    void stepHasTheDebiasedValues();
    void matchesTheClosedForm();
    void zeroWeightIsIdentity();
    void nonFiniteValuesPassThrough();
    void incrementalEqualsOneShot();
    void panelDrawsSmoothedOverFaintRaw();
    void onlyAppendedLinesAreSmoothed();
    void liveAppendsAreSmoothedIncrementally();
    void hoverShowsRawAndSmoothed();
    void csvHasSmoothedColumnAndReadsBack();
    void csvWithoutSmoothingIsUnchanged();
    void pngShowsTheSmoothing();
    void controlEmitsAndSyncs();
    void wheelOverUnfocusedControlChangesNothing();
};

void TestSmoothing::weightsAreClamped() {
    QCOMPARE(clampSmoothingWeight(-0.5), 0.0);
    QCOMPARE(clampSmoothingWeight(0.25), 0.25);
    QCOMPARE(clampSmoothingWeight(1.0), kMaxSmoothingWeight);
    QCOMPARE(clampSmoothingWeight(kNaN), 0.0);
    QCOMPARE(EmaSmoother(7).weight(), 0.999);
}

void TestSmoothing::constantSeriesStaysConstant() {
    for (double w : {0.0, 0.3, 0.6, 0.9, 0.99, 0.999}) {
        const std::vector<double> y(1000, 0.1);
        const std::vector<double> s = smoothEma(y, w);
        QCOMPARE(s.size(), y.size());
        for (double v : s) QVERIFY2(v == 0.1, qPrintable(QString::number(w)));  // exactly
    }
    // a gap in a constant series neither breaks it nor becomes a number
    const std::vector<double> s = smoothEma({3.7, 3.7, kNaN, 3.7}, 0.9);
    QVERIFY(s[0] == 3.7 && s[1] == 3.7 && std::isnan(s[2]) && s[3] == 3.7);
}

void TestSmoothing::stepHasTheDebiasedValues() {
    // by hand, w = 0.5: last = 0, 0, 0.5, 0.75; debias = 0.5, 0.75, 0.875, 0.9375
    const std::vector<double> s = smoothEma({0, 0, 1, 1}, 0.5);
    QCOMPARE(s.size(), std::size_t(4));
    QCOMPARE(s[0], 0.0);
    QCOMPARE(s[1], 0.0);
    QCOMPARE(s[2], 4.0 / 7.0);
    QCOMPARE(s[3], 0.8);
    // without the debiasing the first point would be pulled half way to 0
    const std::vector<double> s2 = smoothEma({2, 4}, 0.5);
    QCOMPARE(s2[0], 2.0);
    QCOMPARE(s2[1], 2.5 / 0.75);  // last = 1, then 2.5; debias 0.5, then 0.75
}

void TestSmoothing::matchesTheClosedForm() {
    // smoothed_n = Σ_k w^(n−k) (1−w) y_k / (1 − w^n)
    std::vector<double> x, y;
    noisyLoss(300, &x, &y);
    for (double w : {0.2, 0.9, 0.999}) {
        const std::vector<double> s = smoothEma(y, w);
        for (std::size_t n = 1; n <= y.size(); n += 37) {
            double sum = 0;
            for (std::size_t k = 1; k <= n; ++k)
                sum += std::pow(w, static_cast<double>(n - k)) * (1 - w) * y[k - 1];
            const double expected = sum / (1 - std::pow(w, static_cast<double>(n)));
            QVERIFY2(std::abs(s[n - 1] - expected) < 1e-9 * std::abs(expected),
                     qPrintable(QStringLiteral("w %1 n %2: %3 vs %4")
                                    .arg(w)
                                    .arg(n)
                                    .arg(s[n - 1], 0, 'g', 17)
                                    .arg(expected, 0, 'g', 17)));
        }
    }
}

void TestSmoothing::zeroWeightIsIdentity() {
    std::vector<double> x, y;
    noisyLoss(500, &x, &y);
    y[10] = -3.5;
    y[11] = 0;
    QVERIFY(smoothEma(y, 0) == y);  // bit for bit
    QVERIFY(smoothEma(y, 0.5) != y);
}

void TestSmoothing::nonFiniteValuesPassThrough() {
    const std::vector<double> s = smoothEma({1, kNaN, 3, kInf, 5, -kInf}, 0.5);
    QVERIFY(std::isnan(s[1]));
    QCOMPARE(s[3], kInf);
    QCOMPARE(s[5], -kInf);
    // the average goes on behind the gaps, as if they were not there
    QCOMPARE(s[0], 1.0);
    QCOMPARE(s[2], smoothEma({1, 3}, 0.5)[1]);
    QCOMPARE(s[4], smoothEma({1, 3, 5}, 0.5)[2]);
}

void TestSmoothing::incrementalEqualsOneShot() {
    std::vector<double> x, y;
    noisyLoss(5000, &x, &y);
    y[100] = kNaN;
    const std::vector<double> once = smoothEma(y, 0.95);
    SmoothedSeries inc(0.95);
    std::mt19937 rng(3);
    std::size_t n = 0;
    while (n < x.size()) {  // a live run: chunks of any size, followed after each
        n = std::min(x.size(), n + 1 + rng() % 200);
        inc.follow({x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n)},
                   {y.begin(), y.begin() + static_cast<std::ptrdiff_t>(n)});
        QCOMPARE(inc.size(), n);
    }
    const std::vector<double>& got = inc.store().y();
    QCOMPARE(got.size(), once.size());
    for (std::size_t i = 0; i < once.size(); ++i)
        QVERIFY(got[i] == once[i] || (std::isnan(got[i]) && std::isnan(once[i])));
    QVERIFY(inc.store().x() == x);
    // replaced points start over; so does a new weight
    inc.clear();
    inc.follow({0, 1}, {4, 8});
    QCOMPARE(inc.store().y(), smoothEma({4, 8}, 0.95));
    inc.setWeight(0.5);
    QCOMPARE(inc.size(), std::size_t(0));
    inc.follow({0, 1}, {4, 8});
    QCOMPARE(inc.store().y(), smoothEma({4, 8}, 0.5));
}

void TestSmoothing::panelDrawsSmoothedOverFaintRaw() {
    PlotPanel panel(linearPanel());
    panel.addSeries(lossSeries("loss", 0));
    std::vector<double> x, y;
    noisyLoss(200, &x, &y);
    panel.appendPoints("loss", x, y);
    panel.refresh();
    QCustomPlot* plot = panel.plot();
    QCOMPARE(plot->graphCount(), 1);
    QCOMPARE(panel.smoothing(), 0.0);

    panel.setSmoothing(0.8);
    QCOMPARE(panel.smoothing(), 0.8);
    QCOMPARE(plot->graphCount(), 2);
    QCPGraph* smoothed = graphNamed(plot, "loss name");
    QCPGraph* raw = graphNamed(plot, "loss name (raw)");
    QVERIFY(smoothed && raw);
    QCOMPARE(graphValues(smoothed), smoothEma(y, 0.8));
    QCOMPARE(graphValues(raw), y);
    // faint, thinner, the same colour, behind, and not in the legend
    QCOMPARE(raw->pen().color().rgb(), smoothed->pen().color().rgb());
    QVERIFY(std::abs(raw->pen().color().alphaF() - 0.25) < 0.01);
    QVERIFY(raw->pen().widthF() < smoothed->pen().widthF());
    QVERIFY(raw->layer()->index() < smoothed->layer()->index());
    QCOMPARE(plot->legend->itemCount(), 1);
    QVERIFY(plot->legend->hasItemWithPlottable(smoothed));
    QVERIFY(!plot->legend->hasItemWithPlottable(raw));
    QCOMPARE(panel.displayedPointCount("loss"), y.size());

    panel.setSmoothing(5);  // clamped
    QCOMPARE(panel.smoothing(), kMaxSmoothingWeight);
    QCOMPARE(graphValues(graphNamed(plot, "loss name")), smoothEma(y, kMaxSmoothingWeight));
    panel.setSmoothing(0);  // off: the raw points in the series' own graph again
    QCOMPARE(plot->graphCount(), 1);
    QCOMPARE(graphValues(plot->graph(0)), y);
}

void TestSmoothing::onlyAppendedLinesAreSmoothed() {
    PlotPanel panel(linearPanel());
    SeriesSpec scatter = lossSeries("scatter", 1);
    scatter.style = SeriesStyle::Scatter;
    SeriesSpec target = lossSeries("target", -1);
    target.mode = SeriesMode::Replace;
    panel.addSeries(scatter);
    panel.addSeries(target);
    panel.addSeries(lossSeries("loss", 0));
    std::vector<double> x, y;
    noisyLoss(50, &x, &y);
    for (const char* id : {"scatter", "loss"}) panel.appendPoints(id, x, y);
    panel.replaceSeries("target", x, y);
    panel.setSmoothing(0.9);
    QCustomPlot* plot = panel.plot();
    QCOMPARE(plot->graphCount(), 4);  // three series, one raw graph
    QCOMPARE(graphValues(graphNamed(plot, "scatter name")), y);
    QCOMPARE(graphValues(graphNamed(plot, "target name")), y);
    QCOMPARE(graphValues(graphNamed(plot, "loss name")), smoothEma(y, 0.9));
    QVERIFY(graphNamed(plot, "loss name (raw)"));
}

void TestSmoothing::liveAppendsAreSmoothedIncrementally() {
    PlotPanel panel(lossPanel());  // log y: values are smoothed as they are
    panel.addSeries(series("train_loss", "loss", 0, false));
    panel.setSmoothing(0.99);
    std::vector<double> x(kPoints), y(kPoints);
    for (std::size_t i = 0; i < kPoints; ++i) {
        x[i] = static_cast<double>(i);
        y[i] = trainLoss(i);
    }
    for (std::size_t from = 0; from < kPoints; from += 25000) {
        const auto a = static_cast<std::ptrdiff_t>(from);
        const auto b = static_cast<std::ptrdiff_t>(std::min(kPoints, from + 25000));
        panel.appendPoints("train_loss", {x.begin() + a, x.begin() + b},
                           {y.begin() + a, y.begin() + b});
        panel.refresh();
    }
    // decimated alike: both graphs hold a few thousand points, the raw one keeps the spike
    QCustomPlot* plot = panel.plot();
    QCPGraph* raw = graphNamed(plot, "train_loss name (raw)");
    QCPGraph* smoothed = graphNamed(plot, "train_loss name");
    QVERIFY(raw && smoothed);
    QVERIFY(raw->data()->size() < 10000 && smoothed->data()->size() < 10000);
    const std::vector<double> rawShown = graphValues(raw);
    QVERIFY(std::find(rawShown.begin(), rawShown.end(), kSpike) != rawShown.end());
    // the smoothed graph's values are points of the one-shot smoothing (same x, same value)
    const std::vector<double> once = smoothEma(y, 0.99);
    for (auto it = smoothed->data()->constBegin(); it != smoothed->data()->constEnd(); ++it)
        QCOMPARE(it->value, once[static_cast<std::size_t>(it->key)]);
    // the spike is averaged away, 250 → about 250·0.01 above the trend
    double maxSmoothed = 0;
    for (double v : graphValues(smoothed)) maxSmoothed = std::max(maxSmoothed, v);
    QVERIFY(maxSmoothed < 5);
}

void TestSmoothing::hoverShowsRawAndSmoothed() {
    PlotPanel panel(linearPanel());
    panel.resize(600, 400);
    panel.addSeries(lossSeries("s", 0));
    panel.appendPoints("s", {0, 1, 2, 3}, {0, 0, 1, 1});
    panel.setSmoothing(0.5);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QCustomPlot* plot = panel.plot();
    plot->replot(QCustomPlot::rpImmediateRefresh);
    // on the smoothed line at x = 2 (4/7), far from the raw point (1)
    const QPointF pos(plot->xAxis->coordToPixel(2), plot->yAxis->coordToPixel(4.0 / 7.0));
    QMouseEvent move(QEvent::MouseMove, pos, plot->mapToGlobal(pos), Qt::NoButton, Qt::NoButton,
                     Qt::NoModifier);
    QApplication::sendEvent(plot, &move);
    const QString text = panel.hoverText();
    QVERIFY2(text.contains("loss = 1<br>"), qPrintable(text));
    QVERIFY2(text.contains("loss (smoothed) = 0.571"), qPrintable(text));  // 4/7
}

void TestSmoothing::csvHasSmoothedColumnAndReadsBack() {
    QTemporaryDir tmp;
    PlotPanel panel(linearPanel());
    panel.addSeries(lossSeries("loss", 0));
    SeriesSpec scatter = lossSeries("pts", 1);
    scatter.style = SeriesStyle::Scatter;
    panel.addSeries(scatter);
    std::vector<double> x, y;
    noisyLoss(100, &x, &y);
    y[5] = kNaN;
    panel.appendPoints("loss", x, y);  // not refreshed: the export needs no display
    panel.appendPoints("pts", {1, 2}, {3, 4});
    panel.setSmoothing(0.7);
    QString error;
    QVERIFY2(panel.exportCsv(tmp.filePath("s.csv"), &error), qPrintable(error));
    const QList<QByteArray> lines = readAll(tmp.filePath("s.csv")).split('\n');
    QCOMPARE(lines.size(), 1 + 100 + 2 + 1);  // header, rows, the empty tail
    QCOMPARE(lines[0], QByteArray("series,x,y,smoothed"));
    const std::vector<double> expected = smoothEma(y, 0.7);
    for (std::size_t i = 0; i < 100; ++i) {
        const QList<QByteArray> f = lines[static_cast<int>(1 + i)].split(',');
        QCOMPARE(f.size(), 4);
        QCOMPARE(f[0], QByteArray("loss"));
        double v[3];
        for (int k = 0; k < 3; ++k)
            QVERIFY(parseCsvNumber(f[k + 1].cbegin(), f[k + 1].cend(), v[k]));
        QCOMPARE(v[0], x[i]);
        QCOMPARE(f[2].toStdString(), csvNumberText(y[i]));
        QCOMPARE(f[3].toStdString(), csvNumberText(expected[i]));
    }
    QCOMPARE(lines[101], QByteArray("pts,1,3,"));  // not smoothed: empty
    QCOMPARE(lines[102], QByteArray("pts,2,4,"));

    // with labels and a heatmap the columns stay in place
    panel.setPointLabels("pts", {"a", "b"});
    QVERIFY(panel.exportCsv(tmp.filePath("l.csv")));
    const QList<QByteArray> withLabels = readAll(tmp.filePath("l.csv")).split('\n');
    QCOMPARE(withLabels[0], QByteArray("series,x,y,smoothed,label"));
    QCOMPARE(withLabels[1], "loss,0," + QByteArray::fromStdString(csvNumberText(y[0])) + "," +
                                QByteArray::fromStdString(csvNumberText(expected[0])) + ",\"\"");
    QCOMPARE(withLabels[102], QByteArray("pts,2,4,,\"b\""));
    PanelSpec mixed = landscapePanel();
    PlotPanel maps(mixed);
    maps.addSeries(heatmap("map", "landscape"));
    maps.addSeries(series("line", "landscape", 0, false));
    QVERIFY(maps.setGrid("map", bowl(2, 2)));
    maps.appendPoints("line", {0, 1}, {2, 4});
    maps.setSmoothing(0.5);
    QVERIFY(maps.exportCsv(tmp.filePath("m.csv")));
    const QList<QByteArray> m = readAll(tmp.filePath("m.csv")).split('\n');
    QCOMPARE(m[0], QByteArray("series,x,y,smoothed,z"));
    QVERIFY2(m[1].startsWith("map,-1,-2,,"), m[1].constData());
    QCOMPARE(m[5], QByteArray("line,0,2,2,"));
    QCOMPARE(m[6],
             QByteArray("line,1,4,") + QByteArray::fromStdString(csvNumberText(10.0 / 3)) + ",");
}

void TestSmoothing::csvWithoutSmoothingIsUnchanged() {
    QTemporaryDir tmp;
    PlotPanel panel(linearPanel());
    panel.addSeries(lossSeries("loss", 0));
    panel.appendPoints("loss", {1, 2, 3}, {0.5, 0.25, 0.125});
    QVERIFY(panel.exportCsv(tmp.filePath("before.csv")));
    const QByteArray before = readAll(tmp.filePath("before.csv"));
    QCOMPARE(before, QByteArray("series,x,y\nloss,1,0.5\nloss,2,0.25\nloss,3,0.125\n"));
    panel.setSmoothing(0.6);
    QVERIFY(panel.exportCsv(tmp.filePath("on.csv")));
    QVERIFY(readAll(tmp.filePath("on.csv")) != before);
    panel.setSmoothing(0);
    QVERIFY(panel.exportCsv(tmp.filePath("after.csv")));
    QCOMPARE(readAll(tmp.filePath("after.csv")), before);
    // a panel with nothing to smooth keeps its format at any weight
    PlotPanel scatterOnly(linearPanel());
    SeriesSpec s = lossSeries("pts", 1);
    s.style = SeriesStyle::Scatter;
    scatterOnly.addSeries(s);
    scatterOnly.appendPoints("pts", {1}, {2});
    scatterOnly.setSmoothing(0.9);
    QVERIFY(scatterOnly.exportCsv(tmp.filePath("pts.csv")));
    QCOMPARE(readAll(tmp.filePath("pts.csv")), QByteArray("series,x,y\npts,1,2\n"));
}

void TestSmoothing::pngShowsTheSmoothing() {
    QTemporaryDir tmp;
    PlotPanel panel(linearPanel());
    panel.addSeries(lossSeries("loss", 0));
    std::vector<double> x, y;
    noisyLoss(300, &x, &y);
    panel.appendPoints("loss", x, y);
    QVERIFY(panel.exportPng(tmp.filePath("raw.png"), 400, 300));
    panel.setSmoothing(0.95);
    QVERIFY(panel.exportPng(tmp.filePath("smooth.png"), 400, 300));
    const QImage raw(tmp.filePath("raw.png"));
    const QImage smooth(tmp.filePath("smooth.png"));
    QCOMPARE(raw.size(), smooth.size());
    // the faint raw line: pixels a quarter of the way from the background to the series'
    // colour (c ≈ bg + t·(colour − bg) with t near 0.25), far more of them than the
    // anti-aliased edges of the unsmoothed line give
    const QColor bg = panel.palette().color(QPalette::Base);
    const QColor col = seriesColor(0);
    const double d[3] = {double(col.red() - bg.red()), double(col.green() - bg.green()),
                         double(col.blue() - bg.blue())};
    const double dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    const auto faintPixels = [&](const QImage& img) {
        int count = 0;
        for (int py = 0; py < img.height(); ++py)
            for (int px = 0; px < img.width(); ++px) {
                const QColor c = img.pixelColor(px, py);
                const double e[3] = {double(c.red() - bg.red()), double(c.green() - bg.green()),
                                     double(c.blue() - bg.blue())};
                const double t = (e[0] * d[0] + e[1] * d[1] + e[2] * d[2]) / dd;
                double off = 0;
                for (int k = 0; k < 3; ++k) off += std::abs(e[k] - t * d[k]);
                if (t > 0.12 && t < 0.4 && off < 30) ++count;
            }
        return count;
    };
    const int faint = faintPixels(smooth);
    const int faintBefore = faintPixels(raw);
    QVERIFY(raw != smooth);
    qInfo("faint pixels: %d smoothed, %d raw only", faint, faintBefore);
    QVERIFY2(faint > 2 * faintBefore,
             qPrintable(QStringLiteral("%1 %2").arg(faint).arg(faintBefore)));
}

void TestSmoothing::controlEmitsAndSyncs() {
    SmoothingControl control;
    QSignalSpy spy(&control, &SmoothingControl::smoothingChanged);
    QCOMPARE(control.value(), 0.0);
    QVERIFY(!control.toolTip().isEmpty() && control.toolTip().contains("CSV"));
    QCOMPARE(control.spinBox()->decimals(), 3);
    QCOMPARE(control.slider()->maximum(), 999);
    control.slider()->setValue(600);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.takeFirst().at(0).toDouble(), 0.6);
    QCOMPARE(control.spinBox()->value(), 0.6);
    control.spinBox()->setValue(0.25);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.takeFirst().at(0).toDouble(), 0.25);
    QCOMPARE(control.slider()->value(), 250);
    control.setValue(0.25);  // no change, no signal
    QCOMPARE(spy.count(), 0);
    control.setValue(3);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(control.value(), 0.999);
    QCOMPARE(control.slider()->value(), 999);

    // the one-line wiring to panels
    QWidget window;
    auto* a = new PlotPanel(linearPanel(), &window);
    auto* b = new PlotPanel(linearPanel(), &window);
    PlotPanel loose(linearPanel());
    connect(&control, &SmoothingControl::smoothingChanged, &window,
            [&window](double w) { SmoothingControl::applyToPanels(&window, w); });
    control.setValue(0.4);
    QCOMPARE(a->smoothing(), 0.4);
    QCOMPARE(b->smoothing(), 0.4);
    SmoothingControl::applyToPanels({&loose, nullptr}, 0.7);
    QCOMPARE(loose.smoothing(), 0.7);
}

void TestSmoothing::wheelOverUnfocusedControlChangesNothing() {
    QWidget window;
    auto* layout = new QVBoxLayout(&window);
    auto* other = new QLineEdit(&window);  // has the focus, as another toolbar field would
    auto* control = new SmoothingControl(&window);
    layout->addWidget(other);
    layout->addWidget(control);
    window.resize(400, 90);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    other->setFocus();
    control->setValue(0.5);
    QSignalSpy spy(control, &SmoothingControl::smoothingChanged);
    const auto wheel = [](QWidget* w) {
        const QPointF pos(w->width() / 2.0, w->height() / 2.0);
        QWheelEvent e(pos, w->mapToGlobal(pos), QPoint(), QPoint(0, 120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(w, &e);
    };
    QVERIFY(!control->slider()->hasFocus() && !control->spinBox()->hasFocus());
    wheel(control->slider());
    wheel(control->spinBox());
    QCOMPARE(spy.count(), 0);
    QCOMPARE(control->value(), 0.5);
    QCOMPARE(control->slider()->value(), 500);
    // the same event moves a slider without the guard: the guard is what stops it
    QSlider plain(Qt::Horizontal, &window);
    plain.setRange(0, 999);
    plain.setValue(500);
    plain.show();
    wheel(&plain);
    QVERIFY(plain.value() != 500);
}

}  // namespace trainlab::testing

QTEST_MAIN(trainlab::testing::TestSmoothing)
#include "tst_smoothing.moc"
