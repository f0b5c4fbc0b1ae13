// Issue 14, the window half of sweeps: the aggregation over runs (known answers), the compare
// window built offscreen from real tiny runs (one line per run and series, legends naming only
// the settings that differ, runs of different kinds refused), a tiny local sweep opened whole
// (its table, bands equal to the mean of the seeds' metric files, the table's CSV read back,
// the summary panel), and the run history's selection and Compare entry.
#include <qcustomplot.h>

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QMessageBox>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>
#include <cmath>
#include <fstream>
#include <memory>

#include "cli_process.h"
#include "compare_window.h"
#include "csv.h"
#include "run_groups.h"
#include "run_history.h"
#include "summary_panel.h"
#include "sweep_task_model.h"
#include "test_compare.h"

using namespace trainlab;

namespace trainlab::testing {
namespace {

const QString kTiny = TRAINLAB_TEST_DATA "/tiny-fit.json";
const QStringList kTinySets = {"--set", "max_steps=30", "--set", "fit_every=10"};

/// A tiny run of tiny-fit with `sets` recorded under `root`; its folder.
QString tinyRun(const QString& root, const QStringList& sets) {
    const auto r = runCli(QStringList{"run", kTiny, "--out", root, "--quiet", "--no-plots"} +
                          kTinySets + sets);
    return r.code == 0 ? r.out.trimmed() : QString();
}

Series line(std::vector<double> x, std::vector<double> y) { return Series{std::move(x), std::move(y)}; }

/// The CSV's lines split into fields (no quoted commas in these files).
QList<QStringList> csvRows(const QString& path) {
    QFile f(path);
    QList<QStringList> rows;
    if (!f.open(QIODevice::ReadOnly)) return rows;
    for (const QString& l : QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts))
        rows << l.split(',');
    return rows;
}

/// Waits until every entry of `w` has been read (a run folder and results).
bool waitAllRead(CompareWindow& w, int ms = 20000) {
    QElapsedTimer t;
    t.start();
    auto done = [&] {
        for (const CompareEntry& e : w.entries())
            if (e.data.dir.empty() || e.data.results.is_null()) return false;
        return true;
    };
    while (!done() && t.elapsed() < ms) {
        w.reloadNow();
        QSignalSpy spy(&w, &CompareWindow::dataLoaded);
        spy.wait(2000);
    }
    return done();
}

}  // namespace

class TstCompare : public QObject {
    Q_OBJECT
  private slots:
    void meanStdMedianAndQuartilesHaveTheirKnownValues() {
        const auto [mean, sd] = meanStd({1, 2, 3, 4});
        QFUZZY(mean, 2.5, 0, 1e-15);
        QFUZZY(sd, std::sqrt(5.0 / 3.0), 1e-15, 0);  // sample std: 5 / (4 − 1)
        QCOMPARE(meanStd({5}).second, 0.0);
        QFUZZY(quantileSorted({1, 2, 3, 4}, 0.25), 1.75, 0, 1e-15);  // type 7: h = 0.75
        QFUZZY(quantileSorted({1, 2, 3, 4}, 0.5), 2.5, 0, 1e-15);
        QFUZZY(quantileSorted({1, 2, 3, 4}, 0.75), 3.25, 0, 1e-15);
        QCOMPARE(quantileSorted({7}, 0.25), 7.0);
    }

    void aggregatesOnSharedXs() {
        const Series a = line({0, 1, 2}, {1, 2, 3}), b = line({0, 1, 2}, {3, 4, 5}),
                     c = line({0, 1, 2}, {2, 9, 4});
        const std::vector<const Series*> m{&a, &b, &c};
        const Band mean = aggregateSeries(m, BandMode::MeanStd);
        QCOMPARE(mean.x, (std::vector<double>{0, 1, 2}));
        QCOMPARE(mean.centre[1], 5.0);  // (2 + 4 + 9) / 3
        QFUZZY(mean.upper[1] - mean.centre[1], std::sqrt(13.0), 1e-14, 0);  // (9+1+16)/2
        QFUZZY(mean.centre[1] - mean.lower[1], std::sqrt(13.0), 1e-14, 0);
        QCOMPARE(mean.count[1], 3);
        const Band range = aggregateSeries(m, BandMode::MinMax);
        QCOMPARE(range.lower[1], 2.0);
        QCOMPARE(range.upper[1], 9.0);
        QCOMPARE(range.centre[1], 5.0);
        const Band median = aggregateSeries(m, BandMode::MedianIqr);
        QCOMPARE(median.centre[1], 4.0);
        QCOMPARE(median.lower[1], 3.0);  // of {2, 4, 9}: h = 0.5
        QCOMPARE(median.upper[1], 6.5);  // h = 1.5
        QCOMPARE(median.centre[0], 2.0);
    }

    void interpolatesInsideEachRangeOnlyWhereXsDiffer() {
        const Series a = line({0, 2, 4}, {0, 2, 4}), b = line({1, 3}, {10, 30});
        const Band band = aggregateSeries({&a, &b}, BandMode::MeanStd);
        QCOMPARE(band.x, (std::vector<double>{0, 1, 2, 3, 4}));
        QCOMPARE(band.count, (std::vector<int>{1, 2, 2, 2, 1}));  // no extrapolation of b
        QCOMPARE(band.centre, (std::vector<double>{0, 5.5, 11, 16.5, 4}));
        QCOMPARE(band.upper[0], band.centre[0]);  // one member: std 0
        QFUZZY(band.upper[2] - band.centre[2], 18 / std::sqrt(2.0), 1e-14, 0);  // {2, 20}
        // Non-finite points are left out, unsorted members sorted, repeated xs keep the last y.
        const Series c = line({2, 0, 1, 1}, {2, 0, NAN, 7});
        const Band alone = aggregateSeries({&c}, BandMode::MeanStd);
        QCOMPARE(alone.x, (std::vector<double>{0, 1, 2}));
        QCOMPARE(alone.centre, (std::vector<double>{0, 7, 2}));
        QVERIFY(aggregateSeries({}, BandMode::MeanStd).x.empty());
    }

    void legendsNameOnlyDifferingSettingsSeedLast() {
        const std::vector<Settings> runs = {
            {{"seed", "1"}, {"lr", "0.01"}, {"max_steps", "30"}},
            {{"seed", "2"}, {"lr", "0.01"}, {"max_steps", "30"}},
            {{"seed", "1"}, {"lr", "0.02"}, {"max_steps", "30"}},
            {{"seed", "2"}, {"lr", "0.02"}, {"max_steps", "30"}, {"extra", "x"}}};
        const auto keys = differingKeys(runs);
        QCOMPARE(keys, (std::vector<std::string>{"lr", "extra", "seed"}));
        QCOMPARE(settingsLegend(runs[2], keys), std::string("lr=0.02 \u00b7 seed=1"));
        const auto groups = groupRuns(runs, {"lr"});
        QCOMPARE(groups.size(), std::size_t(2));
        QCOMPARE(groups[0].members, (std::vector<std::size_t>{0, 1}));
        QCOMPARE(groups[1].members, (std::vector<std::size_t>{2, 3}));
        QCOMPARE(groups[1].label, std::string("lr=0.02"));
        QCOMPARE(groupRuns(runs, {}).front().members.size(), std::size_t(4));
        QCOMPARE(groupRuns(runs, {}).front().label, std::string("all runs"));
    }

    void summarisesAResultAgainstASetting() {
        const std::vector<Settings> runs = {{{"lr", "0.001"}, {"seed", "1"}},
                                            {{"lr", "0.001"}, {"seed", "2"}},
                                            {{"lr", "0.1"}, {"seed", "1"}},
                                            {{"lr", "0.1"}, {"seed", "2"}}};
        const std::vector<std::optional<double>> values = {1.0, 3.0, 10.0, std::nullopt};
        const Summary s = summarise(runs, values, "lr", {"lr"});
        QCOMPARE(s.lines.size(), std::size_t(1));  // the x setting is no line key
        QCOMPARE(s.lines[0].points.size(), std::size_t(2));
        QCOMPARE(s.lines[0].points[0].mean, 2.0);
        QFUZZY(s.lines[0].points[0].std, std::sqrt(2.0), 1e-15, 0);
        QCOMPARE(s.lines[0].points[1].n, 1);  // the run without a value left out
        QVERIFY(s.logX);                       // 0.001 … 0.1: two decades
        QVERIFY(!spansDecades({0.01, 0.5}));
        const Summary words = summarise({{{"act", "relu"}}, {{"act", "tanh"}}}, {1.0, 2.0}, "act", {});
        QVERIFY(!words.numericX);
        QCOMPARE(words.categories, (std::vector<std::string>{"relu", "tanh"}));
    }

    void comparesThreeRealRunsOneLinePerRunAndSeries() {
        QTemporaryDir tmp;
        const QString a = tinyRun(tmp.path(), {"--set", "lr=0.01", "--seed", "1"});
        const QString b = tinyRun(tmp.path(), {"--set", "lr=0.02", "--seed", "1"});
        const QString c = tinyRun(tmp.path(), {"--set", "lr=0.01", "--seed", "2"});
        QVERIFY(!a.isEmpty() && !b.isEmpty() && !c.isEmpty());
        QString error;
        std::unique_ptr<CompareWindow> w(CompareWindow::createForRuns({a, b, c}, nullptr, &error));
        QVERIFY2(w, qPrintable(error));
        QVERIFY(waitAllRead(*w));
        QCOMPARE(w->legendKeys(), (std::vector<std::string>{"lr", "seed"}));
        const std::vector<std::string> legends = {"lr=0.01 \u00b7 seed=1", "lr=0.02 \u00b7 seed=1",
                                                  "lr=0.01 \u00b7 seed=2"};
        const PlotLayout& layout = w->plots()->layout();
        int lines = 0;
        for (const SeriesSpec& s : layout.series) {
            PlotPanel* panel = w->plots()->panelFor(s.panel);
            QVERIFY(panel);
            if (s.color < 0) {  // the target: the same in every run, drawn once
                QVERIFY(panel->hasSeries(s.id));
                continue;
            }
            for (std::size_t i = 0; i < 3; ++i) {
                const std::string id = ComparePlots::runSeriesId(s.id, i);
                QVERIFY2(panel->hasSeries(id), id.c_str());
                const Series file = readSeriesCsv(fs::path(w->entries()[i].data.dir) / "metrics" /
                                                  (s.id + ".csv"));
                QCOMPARE(panel->pointCount(id), file.x.size());
                ++lines;
            }
        }
        QCOMPARE(lines, 3 * static_cast<int>(layout.series.size() - 1));
        // The legend texts: the series' name and only the settings that differ.
        QStringList names;
        QCustomPlot* loss = w->plots()->panelFor("loss")->plot();
        for (int i = 0; i < loss->plottableCount(); ++i) names << loss->plottable(i)->name();
        for (const std::string& l : legends)
            QVERIFY2(names.contains(QString::fromStdString("Deep train \u00b7 " + l)),
                     qPrintable(names.join(" | ")));
        QVERIFY(!names.join(' ').contains("max_steps") && !names.join(' ').contains("fit_every"));
    }

    void refusesRunsOfDifferentKindsNamingBoth() {
        QTemporaryDir tmp;
        const QString a = tinyRun(tmp.path(), {});
        QVERIFY(!a.isEmpty());
        // A copy of the run that says it is of another kind.
        const QString other = tmp.filePath("other-kind");
        QVERIFY(QDir().mkpath(other));
        for (const char* f : {"config.json", "panels.json", "status.json"})
            QVERIFY(QFile::copy(a + "/" + f, other + "/" + f));
        nlohmann::json config = nlohmann::json::parse(std::ifstream((other + "/config.json").toStdString()));
        config["kind"] = "cnn_train";
        std::ofstream((other + "/config.json").toStdString()) << config.dump();
        QString error;
        QVERIFY(!CompareWindow::createForRuns({a, other}, nullptr, &error));
        QVERIFY2(error.contains("function_fit") && error.contains("cnn_train") &&
                     error.contains("different kinds"),
                 qPrintable(error));
        QVERIFY(!CompareWindow::createForRuns({a}, nullptr, &error));
        QVERIFY(error.contains("two or more"));
        QVERIFY(!CompareWindow::createForRuns({a, tmp.filePath("nope")}, nullptr, &error));
        QVERIFY2(error.contains("nope"), qPrintable(error));
        // The public entry point says it in a message box and opens nothing.
        QString shown;
        QTimer::singleShot(0, [&] {
            if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget())) {
                shown = box->text();
                box->close();
            }
        });
        QVERIFY(!CompareWindow::compareRuns({a, other}, nullptr));
        QVERIFY2(shown.contains("cnn_train"), qPrintable(shown));
    }

    void opensALocalSweepGroupsAndAveragesItsSeeds() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("sweep");
        const auto r = runCli(QStringList{"sweep", kTiny, "--grid", "lr=0.01,0.02", "--seeds", "2",
                                          "--jobs", "2", "--quiet", "--out", dir} + kTinySets);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QString error;
        std::unique_ptr<CompareWindow> w(CompareWindow::createForSweep(dir, nullptr, &error));
        QVERIFY2(w, qPrintable(error));
        QVERIFY(waitAllRead(*w));
        QCOMPARE(w->taskModel()->rowCount(), 4);
        QCOMPARE(w->bandMode(), BandMode::MeanStd);
        QSignalSpy banded(w.get(), &CompareWindow::bandsApplied);
        w->setGroupKeys({"lr"});
        QVERIFY(banded.wait(20000));
        QCOMPARE(w->groups().size(), std::size_t(2));
        const BandLayer* bands = w->plots()->bandsOf("loss");
        QVERIFY(bands);
        for (std::size_t g = 0; g < 2; ++g) {
            const auto& members = w->groups()[g].members;
            QCOMPARE(members.size(), std::size_t(2));
            const Series s0 = readSeriesCsv(w->entries()[members[0]].data.dir / "metrics/loss_m1.csv");
            const Series s1 = readSeriesCsv(w->entries()[members[1]].data.dir / "metrics/loss_m1.csv");
            QCOMPARE(s0.x, s1.x);
            const std::string id = ComparePlots::groupSeriesId("loss_m1", g);
            const QCPGraph* lo = bands->lowerOf(id);
            const QCPGraph* hi = bands->upperOf(id);
            QVERIFY(lo && hi);
            QCOMPARE(static_cast<std::size_t>(hi->data()->size()), s0.x.size());
            QCOMPARE(w->plots()->panelFor("loss")->pointCount(id), s0.x.size());
            for (std::size_t i = 0; i < s0.x.size(); ++i) {
                const double mean = (s0.y[i] + s1.y[i]) / 2;
                const double centre = ((hi->data()->begin() + int(i))->value +
                                       (lo->data()->begin() + int(i))->value) / 2;
                QFUZZY(centre, mean, 1e-12, 1e-15);
                const double half = ((hi->data()->begin() + int(i))->value - centre);
                QFUZZY(half, std::abs(s0.y[i] - s1.y[i]) / std::sqrt(2.0), 1e-9, 1e-15);
            }
        }
        // Individual seeds: every task's line, no bands.
        w->setBandMode(BandMode::Individual);
        QCOMPARE(w->plots()->bandsOf("loss")->count(), 0);
        QVERIFY(w->plots()->panelFor("loss")->hasSeries(ComparePlots::runSeriesId("loss_m1", 3)));
        // The table as CSV, read back; then filtered.
        const QString csv = tmp.filePath("tasks.csv");
        QVERIFY2(w->exportTable(csv, &error), qPrintable(error));
        auto rows = csvRows(csv);
        QCOMPARE(rows.size(), 5);
        QCOMPARE(rows[0].mid(0, 5), (QStringList{"task", "lr", "seed", "state", "elapsed"}));
        for (int i = 1; i < 5; ++i) QCOMPARE(rows[i][3], QString("finished"));
        QCOMPARE(rows[3][1], QString("0.02"));
        w->taskProxy()->setFilterFixedString("0.02");
        QVERIFY(w->exportTable(csv, &error));
        rows = csvRows(csv);
        QCOMPARE(rows.size(), 3);
        // The summary: a result against lr, the mean of each lr's two seeds.
        SummaryPanel* summary = w->summaryPanel();
        QVERIFY(summary->choose("models.0.final_loss", "lr"));
        QCOMPARE(summary->summary().lines.size(), std::size_t(1));
        const auto& points = summary->summary().lines[0].points;
        QCOMPARE(points.size(), std::size_t(2));
        const auto& e = w->entries();
        const double expected = (e[0].data.results["models"][0]["final_loss"].get<double>() +
                                 e[1].data.results["models"][0]["final_loss"].get<double>()) / 2;
        QFUZZY(points[0].mean, expected, 1e-12, 0);
        QCOMPARE(points[0].n, 2);
    }

    void historySelectsSeveralRunsAndListsSweeps() {
        QTemporaryDir tmp;
        QVERIFY(!tinyRun(tmp.path(), {"--seed", "1"}).isEmpty());
        QVERIFY(!tinyRun(tmp.path(), {"--seed", "2"}).isEmpty());
        QVERIFY(QDir().mkpath(tmp.filePath("20261201-000000-sweep-x")));
        std::ofstream(tmp.filePath("20261201-000000-sweep-x/sweep.json").toStdString()) << "{}";
        RunHistory history;
        history.setRoot(tmp.path());
        auto* tree = history.findChild<QTreeWidget*>("runTree");
        QCOMPARE(tree->topLevelItemCount(), 3);
        QSignalSpy compare(&history, &RunHistory::compareRequested);
        QSignalSpy sweep(&history, &RunHistory::sweepActivated);
        tree->topLevelItem(1)->setSelected(true);
        history.requestCompare();
        QCOMPARE(compare.count(), 0);  // one run: nothing to compare
        tree->selectAll();
        QCOMPARE(history.selectedRunPaths().size(), 2);  // the sweep is no run
        history.requestCompare();
        QCOMPARE(compare.count(), 1);
        QCOMPARE(compare.front().front().toStringList().size(), 2);
        emit tree->itemActivated(tree->topLevelItem(0), 0);
        QCOMPARE(sweep.count(), 1);
        QVERIFY(sweep.front().front().toString().endsWith("sweep-x"));
    }
};

}  // namespace trainlab::testing

QTEST_MAIN(trainlab::testing::TstCompare)
#include "tst_compare.moc"
