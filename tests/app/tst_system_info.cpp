// Issue 15: Help → System information shows doctor's report for the window's runs folder and
// data folder, and Copy puts exactly that text on the clipboard.
#include <QtTest>
#include <QClipboard>
#include <QDialog>
#include <QPlainTextEdit>
#include <QPushButton>

#include "help_menu.h"

class TstSystemInfo : public QObject {
    Q_OBJECT

  private slots:
    void showsTheReportAndCopiesIt() {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString runs = tmp.filePath("runs");
        QDialog* dialog = trainlab::showSystemInformation(nullptr, runs, tmp.path());
        QVERIFY(dialog);
        QPointer<QDialog> guard(dialog);
        auto* text = dialog->findChild<QPlainTextEdit*>("systemInfoText");
        auto* copy = dialog->findChild<QPushButton*>("copyButton");
        QVERIFY(text && copy);
        QVERIFY(text->isReadOnly());
        const QString report = text->toPlainText();
        for (const char* section : {"trainlab system report", "CPU", "BLAS", "GEMM", "Peak",
                                    "oneDNN", "CUDA", "Datasets", "Runs folder"})
            QVERIFY2(report.contains(section), section);
        QVERIFY2(report.contains(runs + ": writable"), qPrintable(report));
        QVERIFY(report.contains("Qt " + QString(qVersion())));
        QGuiApplication::clipboard()->clear();
        copy->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), report);
        dialog->close();  // deleted on close
        QTRY_VERIFY(guard.isNull());
    }
};

QTEST_MAIN(TstSystemInfo)
#include "tst_system_info.moc"
