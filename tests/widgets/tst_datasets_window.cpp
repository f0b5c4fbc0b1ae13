// Tests of DatasetsWindow on a tiny generated MNIST-like IDX set under $TRAINLAB_DATA:
// status and location, sample tiles loaded off the GUI thread, the download request/progress/
// cancel cycle, and import (success and a refused folder). HOME and XDG_DATA_HOME point into
// the test's temporary folder so that the user data folder starts empty; Debian's
// /usr/share/datasets may hold Fashion-MNIST, so that row is checked against locateDataset.
// Set TRAINLAB_SCREENSHOT_DIR to also write a PNG of the window.
#include <QDir>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <cstdint>
#include <cstdlib>

#include "cifar_reader.h"
#include "dataset_catalog.h"
#include "datasets_window.h"

using namespace trainlab;

namespace {

void putBigEndian(QByteArray& out, std::uint32_t v) {
    out.append(static_cast<char>(v >> 24));
    out.append(static_cast<char>((v >> 16) & 0xff));
    out.append(static_cast<char>((v >> 8) & 0xff));
    out.append(static_cast<char>(v & 0xff));
}

bool writeFile(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

/// n images of 28×28 (image i: a bar whose position depends on its label i % 10) and labels.
bool writeIdxPair(const QString& dir, const QString& prefix, int n) {
    QByteArray images, labels;
    putBigEndian(images, 0x00000803);
    putBigEndian(images, n);
    putBigEndian(images, 28);
    putBigEndian(images, 28);
    putBigEndian(labels, 0x00000801);
    putBigEndian(labels, n);
    for (int i = 0; i < n; ++i) {
        const int label = i % 10;
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                images.append(
                    static_cast<char>(std::abs(x - 4 - 2 * label) < 2 ? 255 : (y * 3 + i) % 40));
        labels.append(static_cast<char>(label));
    }
    return writeFile(dir + "/" + prefix + "-images-idx3-ubyte", images) &&
           writeFile(dir + "/" + prefix + "-labels-idx1-ubyte", labels);
}

bool writeMnistLike(const QString& dir, int train, int test) {
    return QDir().mkpath(dir) && writeIdxPair(dir, "train", train) &&
           writeIdxPair(dir, "t10k", test);
}

/// A CIFAR-10 binary batch of n records; record i has label i % 10 and the colour
/// (R, G, B) = (25 * label, 200, 30) in every pixel (planes of 1024 bytes, R then G then B).
QByteArray cifarBatch(int n) {
    QByteArray b;
    for (int i = 0; i < n; ++i) {
        const int label = i % 10;
        b.append(static_cast<char>(label));
        b.append(QByteArray(1024, static_cast<char>(25 * label)));
        b.append(QByteArray(1024, static_cast<char>(200)));
        b.append(QByteArray(1024, static_cast<char>(30)));
    }
    return b;
}

}  // namespace

class TestDatasetsWindow : public QObject {
    Q_OBJECT

  private slots:
    void initTestCase() {
        QVERIFY(tmp_.isValid());
        data_ = tmp_.filePath("data");
        QVERIFY(writeMnistLike(data_ + "/mnist", 40, 30));  // 3 test images per class
        qputenv("TRAINLAB_DATA", data_.toUtf8());
        qputenv("HOME", tmp_.filePath("home").toUtf8());
        qputenv("XDG_DATA_HOME", tmp_.filePath("xdg").toUtf8());
    }

    void listsWhatIsPresentAndWhere() {
        DatasetsWindow w;
        QCOMPARE(w.statusText("mnist"), QStringLiteral("present"));
        QVERIFY2(w.whereText("mnist").startsWith(QDir::toNativeSeparators(data_ + "/mnist")),
                 qPrintable(w.whereText("mnist")));
        QVERIFY(w.whereText("mnist").contains("TRAINLAB_DATA"));
        QCOMPARE(w.statusText("cifar10"), QStringLiteral("absent"));
        QCOMPARE(w.whereText("cifar10"), QStringLiteral("not found"));
        const auto fashion = locateDataset("fashion-mnist", datasetSearchRoots());
        QCOMPARE(w.statusText("fashion-mnist"),
                 fashion ? QStringLiteral("present") : QStringLiteral("absent"));
        QCOMPARE(w.selectedId(), QStringLiteral("mnist"));  // opens on a present dataset
    }

    void showsSamplesPerClass() {
        DatasetsWindow w;
        w.selectDataset("mnist");
        QCOMPARE(w.selectedId(), QStringLiteral("mnist"));
        QTRY_COMPARE(w.sampleCount(), 30);  // 10 classes × the 3 test images each has
        QVERIFY(!w.isLoadingSamples());

        w.selectDataset("cifar10");  // absent: no tiles, a hint instead
        QCOMPARE(w.sampleCount(), 0);
        w.selectDataset("mnist");  // from the cache
        QCOMPARE(w.sampleCount(), 30);

        if (qEnvironmentVariableIsSet("TRAINLAB_SCREENSHOT_DIR")) {
            w.resize(980, 780);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            const QString dir = qEnvironmentVariable("TRAINLAB_SCREENSHOT_DIR");
            QVERIFY(w.grab().save(dir + "/datasets_window.png"));
            if (w.statusText("fashion-mnist") == "present") {  // real pictures, if installed
                w.selectDataset("fashion-mnist");
                QTRY_VERIFY_WITH_TIMEOUT(w.sampleCount() > 0, 60000);
                w.findChild<QPushButton*>("download:cifar10")->click();
                w.setDownloadProgress("cifar10", 61'000'000, 170'052'171, 4.2e6, 26);
                QCoreApplication::processEvents();  // lay out the download bar
                QVERIFY(w.grab().save(dir + "/datasets_window_fashion.png"));
            }
        }
    }

    void showsColourSamples() {
        const QString root = tmp_.filePath("colour");
        QVERIFY(QDir().mkpath(root + "/cifar10"));
        for (int k = 1; k <= 5; ++k)
            QVERIFY(writeFile(root + QStringLiteral("/cifar10/data_batch_%1.bin").arg(k),
                              cifarBatch(10)));
        QVERIFY(writeFile(root + "/cifar10/test_batch.bin", cifarBatch(20)));
        DatasetsWindow w(root);
        QCOMPARE(w.statusText("cifar10"), QStringLiteral("present"));
        QVERIFY(w.whereText("cifar10").contains("--data-dir"));
        w.selectDataset("cifar10");
        QTRY_COMPARE(w.sampleCount(), 20);  // 2 per class
        const QList<QLabel*> tiles = w.findChildren<QLabel*>("sampleTile");
        QCOMPARE(tiles.size(), 20);
        const QImage first = tiles.front()->pixmap().toImage();
        QCOMPARE(first.size(), QSize(64, 64));                   // 32×32 shown ×2
        QCOMPARE(first.pixelColor(40, 10), QColor(0, 200, 30));  // class 0, CHW → RGB
        const QImage last = tiles.back()->pixmap().toImage();
        QCOMPARE(last.pixelColor(5, 60), QColor(225, 200, 30));  // class 9
        QVERIFY(QDir(root).removeRecursively());
    }

    void downloadRequestProgressAndCancel() {
        DatasetsWindow w;
        QSignalSpy requested(&w, &DatasetsWindow::downloadRequested);
        QSignalSpy cancelRequested(&w, &DatasetsWindow::downloadCancelRequested);
        QVERIFY(!w.findChild<QPushButton*>("download:mnist"));  // present already
        auto* download = w.findChild<QPushButton*>("download:cifar10");
        QVERIFY(download);
        QVERIFY(download->isEnabled());
        download->click();
        QCOMPARE(requested.count(), 1);
        QCOMPARE(requested.at(0).at(0).toString(), QStringLiteral("cifar10"));
        QCOMPARE(w.downloadingId(), QStringLiteral("cifar10"));
        QVERIFY(!download->isEnabled());  // one download at a time
        QVERIFY(w.statusText("cifar10").startsWith("downloading"));

        w.setDownloadProgress("cifar10", 1'200'000, 9'900'000, 3.4e6, 2.5);
        QCOMPARE(w.progressText(), QStringLiteral("1.2 MB of 9.9 MB · 3.4 MB/s · 3 s left"));
        QCOMPARE(w.statusText("cifar10"), QStringLiteral("downloading 12%"));
        w.setDownloadProgress("cifar10", 5'000'000, 170'052'171, 2.0e6, 83);
        QVERIFY2(w.progressText().endsWith("2.0 MB/s · 1:23 left"), qPrintable(w.progressText()));

        w.findChild<QPushButton*>("cancelDownload")->click();
        QCOMPARE(cancelRequested.count(), 1);
        QCOMPARE(cancelRequested.at(0).at(0).toString(), QStringLiteral("cifar10"));
        w.setDownloadFinished("cifar10", false, "cancelled");
        QCOMPARE(w.downloadingId(), QString());
        QCOMPARE(w.statusText("cifar10"), QStringLiteral("absent"));
        QVERIFY(w.progressText().isEmpty());
        QVERIFY2(w.messageText().contains("cancelled"), qPrintable(w.messageText()));
        QVERIFY(download->isEnabled());
    }

    void finishedDownloadShowsTheDataset() {
        // The owner downloads into downloadFolder(id); the window then finds it there.
        const QString folder = DatasetsWindow::downloadFolder("mnist");
        QVERIFY2(folder.startsWith(tmp_.filePath("xdg")), qPrintable(folder));
        DatasetsWindow w(tmp_.filePath("explicit"));
        QVERIFY(writeMnistLike(tmp_.filePath("explicit/mnist"), 20, 20));
        w.setDownloadFinished("mnist", true, {});
        QVERIFY2(w.whereText("mnist").contains("--data-dir"), qPrintable(w.whereText("mnist")));
        QCOMPARE(w.selectedId(), QStringLiteral("mnist"));
        QTRY_COMPARE(w.sampleCount(), 20);  // 2 per class
        QVERIFY(QDir(tmp_.filePath("explicit")).removeRecursively());
    }

    void importsAFolderAndReportsRefusals() {
        DatasetsWindow w;
        QSignalSpy imported(&w, &DatasetsWindow::datasetImported);

        QVERIFY(QDir().mkpath(tmp_.filePath("empty")));
        w.importFrom("fashion-mnist", tmp_.filePath("empty"));
        QVERIFY(w.isImporting());
        QTRY_VERIFY(!w.isImporting());
        QCOMPARE(imported.count(), 0);
        QVERIFY2(w.messageText().startsWith("Could not import") &&
                     w.messageText().contains(tmp_.filePath("empty")),
                 qPrintable(w.messageText()));

        QVERIFY(writeMnistLike(tmp_.filePath("src"), 20, 10));
        w.importFrom("fashion-mnist", tmp_.filePath("src"));
        QTRY_VERIFY(!w.isImporting());
        QCOMPARE(imported.count(), 1);
        QVERIFY2(w.messageText().startsWith("Imported"), qPrintable(w.messageText()));
        // Issue 18: what was done, from the catalog: these files were copied.
        QVERIFY2(w.messageText().endsWith("(IDX, copied)"), qPrintable(w.messageText()));
        // The user data folder comes before Debian's /usr/share/datasets.
        QCOMPARE(w.statusText("fashion-mnist"), QStringLiteral("present"));
        QVERIFY2(w.whereText("fashion-mnist").contains("user data folder"),
                 qPrintable(w.whereText("fashion-mnist")));
        QCOMPARE(w.selectedId(), QStringLiteral("fashion-mnist"));
        QTRY_COMPARE(w.sampleCount(), 10);
    }

    void importingAnImageFolderSaysItIsLinkedNotCopied() {
        qputenv("XDG_CACHE_HOME", tmp_.filePath("xdg-cache").toUtf8());
        // <src>/{train,test}/<each CIFAR-10 class>/0.png: the smallest CIFAR-10 image folder.
        const QString src = tmp_.filePath("my-cifar");
        for (const char* split : {"train", "test"})
            for (const auto& cls : cifar10ClassNames()) {
                const QString dir = src + "/" + split + "/" + QString::fromStdString(cls);
                QVERIFY(QDir().mkpath(dir));
                QImage img(32, 32, QImage::Format_RGB888);
                img.fill(QColor(20, 200, 30));
                QVERIFY(img.save(dir + "/0.png"));
            }
        DatasetsWindow w;
        QSignalSpy imported(&w, &DatasetsWindow::datasetImported);
        w.importFrom("cifar10", src);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isImporting(), 30000);
        QCOMPARE(imported.count(), 1);
        // Not a generic "Imported …": the user learns that the folder must be kept.
        const QString msg = w.messageText();
        QVERIFY2(msg.startsWith("Imported") &&
                     msg.contains("train/ and test/ are links to '" + src + "', not copies") &&
                     msg.contains("keep that folder") && !msg.contains("copied"),
                 qPrintable(msg));
        QVERIFY(QFileInfo(imported.at(0).at(1).toString() + "/train").isSymLink());
    }

  private:
    QTemporaryDir tmp_;
    QString data_;
};

QTEST_MAIN(TestDatasetsWindow)
#include "tst_datasets_window.moc"
