// The thread boundary: signals arrive on the GUI thread, Stop within 250 ms, clean shutdown.
#include <QtTest>
#include <atomic>

#include "bridge/engine_worker.h"
#include "preset.h"

using namespace trainlab;

namespace {
RunRequest tinyRequest(const QString& root, int maxSteps) {
    RunRequest r;
    r.preset = loadPresetFile(TRAINLAB_TEST_DATA "/tiny-fit.json");
    r.config = r.preset.config;
    r.config["max_steps"] = maxSteps;
    r.runsRoot = root.toStdString();
    return r;
}
}  // namespace

class TstEngineWorker : public QObject {
    Q_OBJECT
  private slots:
    void signalsArriveOnTheGuiThreadAndDataIsComplete() {
        QTemporaryDir tmp;
        RunController controller;
        EngineWorker* w = controller.worker();
        QVERIFY(w->thread() != QThread::currentThread());
        std::atomic<bool> wrongThread{false};
        size_t points = 0;
        auto drain = [&] {
            if (QThread::currentThread() != qApp->thread()) wrongThread = true;
            for (const auto& [id, s] : w->takePending().appended)
                if (id == "loss_m1") points += s.x.size();
        };
        connect(w, &EngineWorker::dataAvailable, this, drain);
        QSignalSpy started(w, &EngineWorker::runStarted);
        QSignalSpy finished(w, &EngineWorker::runFinished);
        QSignalSpy failed(w, &EngineWorker::runFailed);
        QVERIFY(controller.start(tinyRequest(tmp.path(), 400)));
        QVERIFY(!controller.start(tinyRequest(tmp.path(), 400)));  // busy: refused
        QVERIFY(finished.wait(60000));
        drain();
        QCOMPARE(started.count(), 1);
        QCOMPARE(failed.count(), 0);
        QVERIFY(!wrongThread);
        QCOMPARE(points, size_t(400));
        const auto layout = started.at(0).at(1).value<PlotLayout>();
        QVERIFY(layout.findSeries("loss_m1"));
        QVERIFY(QFileInfo(finished.at(0).at(0).toString() + "/results.json").exists());
    }

    void stopTakesEffectWithinAQuarterSecond() {
        QTemporaryDir tmp;
        RunController controller;
        EngineWorker* w = controller.worker();
        QSignalSpy started(w, &EngineWorker::runStarted);
        QSignalSpy cancelled(w, &EngineWorker::runCancelled);
        QVERIFY(controller.start(tinyRequest(tmp.path(), 10000000)));
        QVERIFY(started.wait(30000));
        QTest::qWait(200);
        QElapsedTimer t;
        t.start();
        controller.requestStop();
        QVERIFY(cancelled.wait(5000));
        const qint64 ms = t.elapsed();
        QVERIFY2(ms < 250, qPrintable(QString("stop took %1 ms").arg(ms)));
        RunDirectory dir(cancelled.at(0).at(0).toString().toStdString());
        QCOMPARE(dir.readStatus().state, RunState::Cancelled);
        QVERIFY(!controller.isBusy());
    }

    void pauseHoldsTheRun() {
        QTemporaryDir tmp;
        RunController controller;
        EngineWorker* w = controller.worker();
        QSignalSpy started(w, &EngineWorker::runStarted);
        QSignalSpy cancelled(w, &EngineWorker::runCancelled);
        QVERIFY(controller.start(tinyRequest(tmp.path(), 10000000)));
        QVERIFY(started.wait(30000));
        controller.setPaused(true);
        QTest::qWait(100);
        w->takePending();
        QTest::qWait(300);
        QVERIFY(w->takePending().appended.empty());
        controller.setPaused(false);
        size_t resumed = 0;  // accumulate: QTRY_* evaluates its expression more than once
        QTRY_VERIFY_WITH_TIMEOUT((resumed += w->takePending().appended.size()) > 0, 5000);
        controller.requestStop();  // a paused or running run stops
        QVERIFY(cancelled.wait(5000));
    }

    void stopBeforeTheRunBeginsIsHonoured() {
        QTemporaryDir tmp;
        RunController controller;
        QSignalSpy cancelled(controller.worker(), &EngineWorker::runCancelled);
        QVERIFY(controller.start(tinyRequest(tmp.path(), 10000000)));
        controller.requestStop();
        QVERIFY(cancelled.wait(30000));
    }

    void failuresArriveAsRunFailed() {
        QTemporaryDir tmp;
        RunController controller;
        QSignalSpy failed(controller.worker(), &EngineWorker::runFailed);
        RunRequest r = tinyRequest(tmp.path(), 100);
        r.config["lr"] = -3;
        QVERIFY(controller.start(r));
        QVERIFY(failed.wait(30000));
        QVERIFY(failed.at(0).at(1).toString().contains("'lr'"));
        QVERIFY(!controller.isBusy());
    }

    void destroyingTheControllerMidRunStopsItCleanly() {
        QTemporaryDir tmp;
        QString runDir;
        {
            RunController controller;
            QSignalSpy started(controller.worker(), &EngineWorker::runStarted);
            QVERIFY(controller.start(tinyRequest(tmp.path(), 10000000)));
            QVERIFY(started.wait(30000));
            runDir = started.at(0).at(0).toString();
        }  // destructor: stop, join
        RunDirectory dir(runDir.toStdString());
        QCOMPARE(dir.readStatus().state, RunState::Cancelled);
    }
};

QTEST_MAIN(TstEngineWorker)
#include "tst_engine_worker.moc"
