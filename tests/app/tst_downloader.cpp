// Tests of Downloader against a small HTTP/1.1 server on 127.0.0.1 started by the test:
// verified success (with a redirect), checksum mismatch, connection dropped mid-way, HTTP 404,
// cancel mid-way, a failure in the second file of a list, and the blocking helper. In every
// failing case the destination folder must be left exactly as it was.
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QMap>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include "bridge/downloader.h"

using namespace trainlab;

namespace {

/// What the server does for one path.
enum class Mode {
    Normal,     ///< Content-Length and the whole body
    Truncated,  ///< announces N bytes, sends N/2, closes the connection
    Slow,       ///< sends the body in small chunks from a timer
    Redirect,   ///< 302 to the path held in `body`
    Stall,      ///< sends the headers, then nothing
};

struct Resource {
    QByteArray body;
    Mode mode = Mode::Normal;
};

/// A minimal HTTP/1.1 server: one request per connection, GET only, "Connection: close".
class TestServer : public QObject {
  public:
    TestServer() {
        connect(&server_, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket* s = server_.nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, this, [this, s] { onReadyRead(s); });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
    bool listen() { return server_.listen(QHostAddress::LocalHost, 0); }
    void add(const QString& path, const QByteArray& body, Mode mode = Mode::Normal) {
        resources_[path] = {body, mode};
    }
    QString url(const QString& path) const {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(server_.serverPort()).arg(path);
    }
    int requests() const { return requests_; }

  private:
    void onReadyRead(QTcpSocket* s) {
        QByteArray& buffer = buffers_[s];
        buffer += s->readAll();
        const int end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        const QList<QByteArray> requestLine = buffer.left(buffer.indexOf("\r\n")).split(' ');
        buffers_.remove(s);
        disconnect(s, &QTcpSocket::readyRead, this, nullptr);
        ++requests_;
        const QString path = requestLine.size() >= 2 ? QString::fromLatin1(requestLine[1]) : "";
        if (requestLine.value(0) != "GET" || !resources_.contains(path)) {
            s->write(
                "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
                "not found");
            s->disconnectFromHost();
            return;
        }
        const Resource& r = resources_[path];
        if (r.mode == Mode::Redirect) {
            s->write("HTTP/1.1 302 Found\r\nLocation: " + r.body +
                     "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            s->disconnectFromHost();
            return;
        }
        s->write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                 QByteArray::number(r.body.size()) + "\r\nConnection: close\r\n\r\n");
        if (r.mode == Mode::Stall) return;
        if (r.mode == Mode::Normal) {
            s->write(r.body);
            s->disconnectFromHost();
        } else if (r.mode == Mode::Truncated) {
            s->write(r.body.left(r.body.size() / 2));
            s->disconnectFromHost();  // after the pending half has been written
        } else {
            auto* timer = new QTimer(s);
            auto offset = std::make_shared<int>(0);
            const QByteArray body = r.body;
            connect(timer, &QTimer::timeout, s, [s, timer, offset, body] {
                if (s->state() != QAbstractSocket::ConnectedState) {
                    timer->stop();
                    return;
                }
                s->write(body.mid(*offset, 512));
                *offset += 512;
                if (*offset >= body.size()) {
                    timer->stop();
                    s->disconnectFromHost();
                }
            });
            timer->start(10);
        }
    }

    QTcpServer server_;
    QMap<QString, Resource> resources_;
    QHash<QTcpSocket*, QByteArray> buffers_;
    int requests_ = 0;
};

QByteArray makeBytes(int n, int seed) {
    QByteArray b(n, Qt::Uninitialized);
    quint32 x = 2463534242u + static_cast<quint32>(seed);
    for (int i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        b[i] = static_cast<char>(x & 0xff);
    }
    return b;
}

std::string sha256Hex(const QByteArray& b) {
    return QCryptographicHash::hash(b, QCryptographicHash::Sha256).toHex().toStdString();
}

DownloadFile fileFor(const TestServer& server, const QString& path, const QByteArray& body,
                     const QString& name) {
    DownloadFile f;
    f.name = name.toStdString();
    f.url = server.url(path).toStdString();
    f.sha256 = sha256Hex(body);
    f.size = body.size();
    return f;
}

/// Every entry of a folder, hidden ones included.
QStringList entries(const QString& dir) {
    return QDir(dir).entryList(
        QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
}

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

}  // namespace

class TestDownloader : public QObject {
    Q_OBJECT

  private slots:
    void init() {
        server_ = std::make_unique<TestServer>();
        QVERIFY(server_->listen());
    }
    void cleanup() { server_.reset(); }

    void formatsBytes() {
        QCOMPARE(Downloader::formatBytes(17), QStringLiteral("17 bytes"));
        QCOMPARE(Downloader::formatBytes(850'000), QStringLiteral("850 kB"));
        QCOMPARE(Downloader::formatBytes(9'912'422), QStringLiteral("9.9 MB"));
    }

    void downloadsAndVerifiesTwoFiles() {
        const QByteArray a = makeBytes(200'000, 1), b = makeBytes(3'000, 2);
        server_->add("/a.bin", a);
        server_->add("/moved/b.bin", b);
        server_->add("/b.bin", "/moved/b.bin", Mode::Redirect);
        QTemporaryDir dir;
        const QString dest = dir.filePath("mnist");  // created by the downloader

        Downloader d;
        QSignalSpy progressed(&d, &Downloader::progressed);
        QSignalSpy finished(&d, &Downloader::finished);
        QSignalSpy failed(&d, &Downloader::failed);
        QVERIFY(d.start(
            {fileFor(*server_, "/a.bin", a, "a.bin"), fileFor(*server_, "/b.bin", b, "b.bin")},
            dest));
        QVERIFY(d.isRunning());
        QVERIFY(!d.start({}, dest));  // one download at a time
        QVERIFY2(finished.wait(10000), qPrintable(failed.value(0).value(0).toString()));
        QVERIFY(!d.isRunning());
        QCOMPARE(failed.count(), 0);

        const QStringList files = finished.at(0).at(0).toStringList();
        QCOMPARE(files, (QStringList{QDir(dest).filePath("a.bin"), QDir(dest).filePath("b.bin")}));
        QCOMPARE(readAll(files[0]), a);
        QCOMPARE(readAll(files[1]), b);
        QCOMPARE(entries(dest), (QStringList{"a.bin", "b.bin"}));  // no temporary file left

        QVERIFY(progressed.count() > 0);
        const QList<QVariant> last = progressed.last();
        QCOMPARE(last.at(1).toLongLong(), qint64(a.size() + b.size()));
        QCOMPARE(last.at(0).toLongLong(), last.at(1).toLongLong());
        bool sawTotal = false;
        for (const auto& p : progressed) sawTotal |= p.at(1).toLongLong() > 0;
        QVERIFY(sawTotal);
    }

    void replacesAnExistingFile() {
        const QByteArray a = makeBytes(5'000, 3);
        server_->add("/a.bin", a);
        QTemporaryDir dir;
        QFile old(dir.filePath("a.bin"));
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write("old contents");
        old.close();
        QString error;
        QVERIFY2(downloadBlocking({fileFor(*server_, "/a.bin", a, "a.bin")}, dir.path(), &error),
                 qPrintable(error));
        QCOMPARE(readAll(dir.filePath("a.bin")), a);
        QCOMPARE(entries(dir.path()), QStringList{"a.bin"});
    }

    void checksumMismatchLeavesNothing() {
        const QByteArray a = makeBytes(50'000, 4);
        server_->add("/t.gz", a);
        QTemporaryDir dir;
        DownloadFile f = fileFor(*server_, "/t.gz", a, "train-images-idx3-ubyte.gz");
        f.sha256 = sha256Hex("something else");

        Downloader d;
        QSignalSpy failed(&d, &Downloader::failed);
        QSignalSpy finished(&d, &Downloader::finished);
        QVERIFY(d.start({f}, dir.path()));
        QVERIFY(failed.wait(10000));
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.startsWith("train-images-idx3-ubyte.gz: "), qPrintable(message));
        QVERIFY2(message.contains("checksum mismatch"), qPrintable(message));
        QVERIFY2(message.contains(QString::fromStdString(f.sha256).left(16)), qPrintable(message));
        QCOMPARE(finished.count(), 0);
        QCOMPARE(entries(dir.path()), QStringList{});
    }

    void droppedConnectionLeavesNothing() {
        const QByteArray a = makeBytes(300'000, 5);
        server_->add("/cut.bin", a, Mode::Truncated);
        QTemporaryDir dir;
        Downloader d;
        QSignalSpy failed(&d, &Downloader::failed);
        QVERIFY(d.start({fileFor(*server_, "/cut.bin", a, "cut.bin")}, dir.path()));
        QVERIFY(failed.wait(10000));
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.startsWith("cut.bin: "), qPrintable(message));
        QVERIFY2(message.contains("connection closed after 150 kB of 300 kB"), qPrintable(message));
        QCOMPARE(entries(dir.path()), QStringList{});
    }

    void notFoundNamesTheStatus() {
        QTemporaryDir dir;
        DownloadFile f;
        f.name = "missing.bin";
        f.url = server_->url("/missing.bin").toStdString();
        f.sha256 = sha256Hex("x");
        f.size = 1;
        Downloader d;
        QSignalSpy failed(&d, &Downloader::failed);
        QVERIFY(d.start({f}, dir.path()));
        QVERIFY(failed.wait(10000));
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.startsWith("missing.bin: "), qPrintable(message));
        QVERIFY2(message.contains("404"), qPrintable(message));
        QCOMPARE(entries(dir.path()), QStringList{});
    }

    void failureInSecondFileRollsBackTheFirst() {
        const QByteArray a = makeBytes(10'000, 6);
        server_->add("/a.bin", a);
        QTemporaryDir dir;
        QFile keep(dir.filePath("b.bin"));  // an older copy must survive a failed download
        QVERIFY(keep.open(QIODevice::WriteOnly));
        keep.write("older b");
        keep.close();
        DownloadFile b;
        b.name = "b.bin";
        b.url = server_->url("/nowhere").toStdString();
        b.sha256 = sha256Hex("b");
        QString error;
        QVERIFY(
            !downloadBlocking({fileFor(*server_, "/a.bin", a, "a.bin"), b}, dir.path(), &error));
        QVERIFY2(error.contains("b.bin") && error.contains("404"), qPrintable(error));
        QCOMPARE(entries(dir.path()), QStringList{"b.bin"});
        QCOMPARE(readAll(dir.filePath("b.bin")), QByteArray("older b"));
    }

    void cancelMidwayLeavesNothing() {
        const QByteArray a = makeBytes(100'000, 7);  // ~2 s at 512 bytes / 10 ms
        server_->add("/slow.bin", a, Mode::Slow);
        QTemporaryDir dir;
        Downloader d;
        d.setProgressInterval(0);
        QSignalSpy progressed(&d, &Downloader::progressed);
        QSignalSpy cancelled(&d, &Downloader::cancelled);
        QSignalSpy finished(&d, &Downloader::finished);
        QSignalSpy failed(&d, &Downloader::failed);
        QVERIFY(d.start({fileFor(*server_, "/slow.bin", a, "slow.bin")}, dir.path()));
        QTRY_VERIFY_WITH_TIMEOUT(!progressed.isEmpty() && progressed.last().at(0).toLongLong() > 0,
                                 10000);
        QVERIFY(progressed.last().at(0).toLongLong() < a.size());
        QCOMPARE(progressed.last().at(1).toLongLong(), qint64(a.size()));
        d.cancel();
        QCOMPARE(cancelled.count(), 0);  // reported from the event loop, not from cancel()
        QVERIFY(cancelled.wait(5000));
        QVERIFY(!d.isRunning());
        QCOMPARE(entries(dir.path()), QStringList{});
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(finished.count(), 0);
        QCOMPARE(failed.count(), 0);
    }

    void stalledTransferTimesOut() {
        const QByteArray a = makeBytes(1'000, 9);
        server_->add("/stall.bin", a, Mode::Stall);
        QTemporaryDir dir;
        Downloader d;
        d.setTransferTimeout(300);
        QSignalSpy failed(&d, &Downloader::failed);
        QVERIFY(d.start({fileFor(*server_, "/stall.bin", a, "stall.bin")}, dir.path()));
        QVERIFY(failed.wait(10000));
        const QString message = failed.at(0).at(0).toString();
        QVERIFY2(message.startsWith("stall.bin: no data for 0.3 s"), qPrintable(message));
        QCOMPARE(entries(dir.path()), QStringList{});
    }

    void rejectsUnsafeNames() {
        QTemporaryDir dir;
        DownloadFile f;
        f.name = "../escape.bin";
        f.url = server_->url("/x").toStdString();
        Downloader d;
        QSignalSpy failed(&d, &Downloader::failed);
        QVERIFY(d.start({f}, dir.path()));
        QCOMPARE(failed.count(), 0);  // never emitted from inside start()
        QVERIFY(failed.wait(5000));
        QVERIFY2(failed.at(0).at(0).toString().contains("escape.bin"),
                 qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(server_->requests(), 0);
        QCOMPARE(entries(dir.path()), QStringList{});
    }

    void destroyingWhileRunningLeavesNothing() {
        const QByteArray a = makeBytes(100'000, 8);
        server_->add("/slow.bin", a, Mode::Slow);
        QTemporaryDir dir;
        auto d = std::make_unique<Downloader>();
        d->setProgressInterval(0);
        QSignalSpy progressed(d.get(), &Downloader::progressed);
        QVERIFY(d->start({fileFor(*server_, "/slow.bin", a, "slow.bin")}, dir.path()));
        QTRY_VERIFY_WITH_TIMEOUT(!progressed.isEmpty() && progressed.last().at(0).toLongLong() > 0,
                                 10000);
        d.reset();
        QCOMPARE(entries(dir.path()), QStringList{});
    }

  private:
    std::unique_ptr<TestServer> server_;
};

QTEST_MAIN(TestDownloader)
#include "tst_downloader.moc"
