// Issue 18: run folders and environments a user did not expect. trainlab-cli and the window's
// reading of runs under a non-English locale, hostile ids and links in a run folder, special
// files in the place of metrics, and files with CRLF line ends or a bad line.
#include <sys/stat.h>
#include <unistd.h>

#include <QtTest>
#include <clocale>
#include <fstream>

#include "run_directory.h"
#include "experiment_view.h"
#include "test_locale.h"
#include "atomic_file.h"
#include "csv.h"

using namespace trainlab;

namespace {

struct Result {
    int code;
    QString out, err;
};

/// trainlab-cli with `args` and `env` added to the environment; code -1 when it did not end
/// within `timeoutMs`.
Result cli(const QStringList& args, const QStringList& env = {}, int timeoutMs = 120000) {
    QProcess p;
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    for (const QString& kv : env) e.insert(kv.section('=', 0, 0), kv.section('=', 1));
    p.setProcessEnvironment(e);
    p.start(TRAINLAB_CLI_PATH, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(5000);
        return {-1, {}, "timeout"};
    }
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

const QString tiny = TRAINLAB_TEST_DATA "/tiny-fit.json";

QByteArray bytesOf(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

/// Every file of `sub` (metrics or plots) with the extension `ext`, name → bytes.
QMap<QString, QByteArray> filesOf(const QString& run, const QString& sub, const QString& ext) {
    QMap<QString, QByteArray> files;
    const QDir dir(run + "/" + sub);
    for (const QString& name : dir.entryList({"*." + ext}, QDir::Files))
        files.insert(name, bytesOf(dir.filePath(name)));
    return files;
}

/// The environment of a process under locale `name` (LC_ALL and, if needed, LOCPATH).
QStringList localeEnv(const QString& name, QString* problem) {
    const QString path = testing::localePath(name, problem);
    QStringList env{"LC_ALL=" + name, "LANG=" + name};
    if (!path.isEmpty()) env << "LOCPATH=" + path;
    return env;
}

/// A run folder of two series on panel "loss": loss_m1 and loss_m2, `points` rows each.
RunDirectory makeRun(const QString& root, int points = 5) {
    RunDirectory dir = RunDirectory::create(root.toStdString(), "hostile");
    dir.writeConfig({{"preset_id", "hostile"}});
    PlotLayout layout;
    layout.panels.push_back({"loss", "Loss", "step", "loss"});
    for (const char* id : {"loss_m1", "loss_m2"}) {
        SeriesSpec s;
        s.id = id;
        s.panel = "loss";
        s.name = id;
        layout.series.push_back(s);
        CsvSeriesWriter w(dir.seriesPath(id), "step", "loss");
        for (int i = 1; i <= points; ++i) w.append(i, 1.0 / (i + 0.5));
        w.flush();
    }
    dir.writeLayout(layout);
    return dir;
}

/// panels.json with one panel of id `panelId` holding loss_m1 and loss_m2.
void writePanels(const RunDirectory& dir, const std::string& panelId) {
    nlohmann::json j = nlohmann::json::parse(readFile(dir.path() / "panels.json"));
    j["panels"][0]["id"] = panelId;
    for (auto& s : j["series"]) s["panel"] = panelId;
    writeFileAtomic(dir.path() / "panels.json", j.dump(2));
}

QString q(const fs::path& p) {
    return QString::fromStdString(p.string());
}

}  // namespace

class TstHostileRuns : public QObject {
    Q_OBJECT
  private slots:
    void initTestCase() { std::setlocale(LC_ALL, "C"); }

    // A run recorded and rendered under de_DE or tr_TR: the same bytes as under C, and a run
    // recorded under one locale renders under the other.
    void runsAndRendersGiveTheSameFilesInEveryLocale_data() {
        testing::addLocaleRows();
    }
    void runsAndRendersGiveTheSameFilesInEveryLocale() {
        QFETCH(QString, name);
        QString problem;
        const QStringList env = localeEnv(name, &problem);
        if (!problem.isEmpty()) QSKIP(qPrintable(problem));
        QTemporaryDir tmp;
        const QStringList args{"run", tiny,        "--set", "max_steps=50", "--seed",
                               "1",   "--threads", "1",     "--out"};
        const Result c = cli(args + QStringList{tmp.path() + "/c"}, {"LC_ALL=C"});
        QVERIFY2(c.code == 0, qPrintable(c.err));
        const Result l = cli(args + QStringList{tmp.path() + "/l"}, env);
        QVERIFY2(l.code == 0, qPrintable(l.err));
        const QString cRun = c.out.trimmed(), lRun = l.out.trimmed();
        const auto cMetrics = filesOf(cRun, "metrics", "csv");
        const auto cPlots = filesOf(cRun, "plots", "csv");
        QVERIFY(cMetrics.contains("loss_m1.csv") && cPlots.contains("loss.csv"));
        QVERIFY(cMetrics["loss_m1.csv"].count('\n') == 51);
        QCOMPARE(filesOf(lRun, "metrics", "csv"), cMetrics);
        QCOMPARE(filesOf(lRun, "plots", "csv"), cPlots);
        // rendered again, each under the other locale: the plots' data are the same
        Result r = cli({"render", cRun}, env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(filesOf(cRun, "plots", "csv"), cPlots);
        r = cli({"render", lRun}, {"LC_ALL=C"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(filesOf(lRun, "plots", "csv"), cPlots);
    }

    // The window reopens a run through ExperimentView::loadFromRun: the same points under de_DE.
    void aReopenedRunHasTheSamePointsUnderAGermanLocale() {
        QTemporaryDir tmp;
        const RunDirectory dir = makeRun(tmp.path(), 85);
        const auto exported = [&](const QString& file) {
            ExperimentView view(dir.readLayout());
            view.loadFromRun(dir);
            const bool ok = view.panelFor("loss")->exportCsv(file);
            return ok ? bytesOf(file) : QByteArray();
        };
        const QByteArray c = exported(tmp.path() + "/c.csv");
        QCOMPARE(c.count('\n'), 1 + 2 * 85);
        QString problem;
        if (!testing::setProcessLocale("de_DE.UTF-8", &problem)) QSKIP(qPrintable(problem));
        const QByteArray de = exported(tmp.path() + "/de.csv");
        std::setlocale(LC_ALL, "C");
        QCOMPARE(de, c);
    }

    // Panel ids from panels.json named the files of plots/: "../../x/report" and "/tmp/x/abs"
    // were written there.
    void renderWritesNothingOutsideTheRunFolder() {
        QTemporaryDir tmp;
        const QString outside = tmp.path() + "/outside";
        QVERIFY(QDir().mkpath(outside));
        const RunDirectory dir = makeRun(tmp.path() + "/runs");
        // <tmp>/runs/<run>/plots/../../../outside/report is <tmp>/outside/report
        for (const std::string id :
             {std::string("../../../outside/report"), (outside + "/abs").toStdString()}) {
            writePanels(dir, id);
            const Result r = cli({"render", q(dir.path())});
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.contains("not a plain file name") && r.err.contains("panels.json"),
                     qPrintable(r.err));
        }
        QCOMPARE(QDir(outside).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList());
        // the window's Export of such a view does not write them either
        PlotLayout layout;
        layout.panels.push_back({"../outside/report", "Loss", "step", "loss"});
        ExperimentView view(layout);
        QString error;
        QDir().mkpath(tmp.path() + "/export");
        view.exportAll(tmp.path() + "/export", &error);
        QVERIFY2(error.contains("not a plain file name"), qPrintable(error));
        QCOMPARE(QDir(outside).entryList(QDir::NoDotAndDotDot | QDir::AllEntries), QStringList());
    }

    // A link in the place of plots/loss.csv had its target overwritten; a plots/ that is a link
    // sent every plot to its target.
    void renderWritesThroughNoLink() {
        QTemporaryDir tmp;
        const QString outside = tmp.path() + "/outside";
        QVERIFY(QDir().mkpath(outside));
        const QString thesis = outside + "/thesis.txt";
        {
            QFile f(thesis);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("my thesis\n");
        }
        const RunDirectory dir = makeRun(tmp.path() + "/runs");
        const QString plots = q(dir.plotsDir());
        QVERIFY(QFile::link(thesis, plots + "/loss.csv"));
        QVERIFY(QFile::link(thesis, plots + "/loss.png"));
        Result r = cli({"render", q(dir.path())});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(bytesOf(thesis), QByteArray("my thesis\n"));
        QVERIFY(!QFileInfo(plots + "/loss.csv").isSymLink());
        QVERIFY(bytesOf(plots + "/loss.csv").startsWith("series,x,y\nloss_m1,1,"));
        QVERIFY(!QImage(plots + "/loss.png").isNull());

        QVERIFY(QDir(plots).removeRecursively());
        QVERIFY(QFile::link(outside, plots));
        r = cli({"render", q(dir.path())});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("plots") && r.err.contains("symbolic link"), qPrintable(r.err));
        QCOMPARE(QDir(outside).entryList(QDir::NoDotAndDotDot | QDir::AllEntries),
                 QStringList{"thesis.txt"});
        QCOMPARE(bytesOf(thesis), QByteArray("my thesis\n"));
    }

    // A link to /dev/zero filled memory, a named pipe never returned, a huge line was read whole:
    // each is refused at once, named, and the other series are still drawn (exit code 1).
    void renderRefusesSpecialFilesAtOnce_data() {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("said");
        QTest::newRow("link to /dev/zero") << "zero"
                                           << "symbolic link";
        QTest::newRow("named pipe") << "fifo"
                                    << "named pipe";
        QTest::newRow("2 MiB line") << "line"
                                    << "1 MiB";
        QTest::newRow("folder") << "folder"
                                << "is a folder";
    }
    void renderRefusesSpecialFilesAtOnce() {
        QFETCH(QString, kind);
        QFETCH(QString, said);
        QTemporaryDir tmp;
        const RunDirectory dir = makeRun(tmp.path());
        const std::string m1 = dir.seriesPath("loss_m1").string();
        fs::remove(m1);
        if (kind == "zero") fs::create_symlink("/dev/zero", m1);
        if (kind == "fifo") QCOMPARE(::mkfifo(m1.c_str(), 0600), 0);
        if (kind == "line") std::ofstream(m1) << "step,loss\n" << std::string(2 << 20, '1') << "\n";
        if (kind == "folder") fs::create_directory(m1);
        QElapsedTimer timer;
        timer.start();
        const Result r = cli({"render", q(dir.path())}, {}, 30000);
        QVERIFY2(r.code == 1, qPrintable(QString::number(r.code) + " " + r.err));
        QVERIFY(timer.elapsed() < 30000);
        QVERIFY2(r.err.contains("loss_m1.csv") && r.err.contains(said), qPrintable(r.err));
        const QByteArray csv = bytesOf(q(dir.plotsDir() / "loss.csv"));
        QVERIFY2(csv.contains("loss_m2,5,") && !csv.contains("loss_m1,"), csv.constData());
    }

    // CRLF files gave 0 points; a bad line dropped every row after it, both with exit code 0.
    void renderKeepsTheDataOfCrlfFilesAndAroundBadLines() {
        QTemporaryDir tmp;
        const RunDirectory dir = makeRun(tmp.path(), 85);
        const fs::path m1 = dir.seriesPath("loss_m1");
        std::string text = readFile(m1);
        std::string crlf;
        for (char ch : text) crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
        std::ofstream(m1, std::ios::binary | std::ios::trunc) << crlf;
        Result r = cli({"render", q(dir.path())});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(bytesOf(q(dir.plotsDir() / "loss.csv")).count("loss_m1,"), 85);

        const size_t third = text.find('\n', text.find('\n', text.find('\n') + 1) + 1);
        text.insert(third + 1, "4,0,118651191\n");  // line 4: a row written with a decimal comma
        std::ofstream(m1, std::ios::binary | std::ios::trunc) << text;
        r = cli({"render", q(dir.path())});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("loss_m1.csv") && r.err.contains("line 4"), qPrintable(r.err));
        QCOMPARE(bytesOf(q(dir.plotsDir() / "loss.csv")).count("loss_m1,"), 85);
    }
};

QTEST_MAIN(TstHostileRuns)
#include "tst_hostile_runs.moc"
