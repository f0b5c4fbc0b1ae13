#include "bridge/downloader.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSaveFile>
#include <QSet>
#include <QStorageInfo>
#include <QUrl>
#include <algorithm>

namespace trainlab {

namespace {

constexpr qint64 kSpeedWindowMs = 3000;  // speed averaged over the last 3 s
constexpr int kHashHexShown = 16;        // digits of a digest shown in messages

QString shortHex(const QString& hex) {
    return hex.size() > kHashHexShown ? hex.left(kHashHexShown) + QChar(0x2026) : hex;
}

bool isPlainFileName(const QString& name) {
    return !name.isEmpty() && name != QLatin1String(".") && name != QLatin1String("..") &&
           !name.contains(QLatin1Char('/')) && !name.contains(QLatin1Char('\\'));
}

QString userAgent() {
    const QString version = QCoreApplication::applicationVersion();
    return QStringLiteral("trainlab/%1 (dataset downloader; Qt %2)")
        .arg(version.isEmpty() ? QStringLiteral("dev") : version, QString::fromLatin1(qVersion()));
}

}  // namespace

struct Downloader::Pending {
    DownloadFile spec;
    QString name;       ///< spec.name as a QString
    QString finalPath;  ///< where it goes once verified
    std::unique_ptr<QSaveFile> file;
    QCryptographicHash hash{QCryptographicHash::Sha256};
    qint64 received = 0;
    qint64 contentLength = -1;  ///< announced by the server; -1 when not announced
    bool countedInTotal = false;
};

Downloader::Downloader(QObject* parent) : QObject(parent) {
    network_ = new QNetworkAccessManager(this);
}

Downloader::~Downloader() {
    if (reply_) {
        disconnect(reply_, nullptr, this, nullptr);
        reply_->abort();
        delete reply_;
        reply_ = nullptr;
    }
    discardAll();
}

QString Downloader::formatBytes(qint64 bytes) {
    const double b = static_cast<double>(bytes);
    if (bytes < 1000) return QStringLiteral("%1 bytes").arg(bytes);
    if (bytes < 1000 * 1000) return QStringLiteral("%1 kB").arg(b / 1e3, 0, 'f', 0);
    if (bytes < 1000LL * 1000 * 1000) return QStringLiteral("%1 MB").arg(b / 1e6, 0, 'f', 1);
    return QStringLiteral("%1 GB").arg(b / 1e9, 0, 'f', 2);
}

bool Downloader::start(const std::vector<DownloadFile>& files, const QString& destinationDir) {
    if (state_ != State::Idle) return false;
    state_ = State::Running;
    destination_ = QDir(destinationDir).absolutePath();
    files_.clear();
    current_ = 0;
    receivedBefore_ = 0;
    total_ = 0;
    lastProgressMs_ = -1;
    samples_.clear();
    clock_.start();

    // Faults found before any transfer are still reported from the event loop.
    auto failLater = [this](const QString& message) {
        QMetaObject::invokeMethod(
            this, [this, message] { fail(message); }, Qt::QueuedConnection);
        return true;
    };

    QSet<QString> seen;
    for (const DownloadFile& f : files) {
        auto p = std::make_unique<Pending>();
        p->spec = f;
        p->name = QString::fromStdString(f.name);
        if (!isPlainFileName(p->name) || seen.contains(p->name))
            return failLater(tr("'%1' is not a usable file name").arg(p->name));
        seen.insert(p->name);
        const QUrl url(QString::fromStdString(f.url), QUrl::StrictMode);
        if (!url.isValid() || url.scheme().isEmpty())
            return failLater(
                tr("%1: invalid address '%2'").arg(p->name, QString::fromStdString(f.url)));
        p->finalPath = QDir(destination_).filePath(p->name);
        if (f.size > 0) {
            total_ += f.size;
            p->countedInTotal = true;
        }
        files_.push_back(std::move(p));
    }
    if (!QDir().mkpath(destination_))
        return failLater(tr("cannot create the folder '%1'").arg(destination_));
    const QStorageInfo storage(destination_);
    if (storage.isValid() && storage.bytesAvailable() >= 0 && total_ > storage.bytesAvailable())
        return failLater(
            tr("not enough free space in '%1': %2 needed, %3 available")
                .arg(destination_, formatBytes(total_), formatBytes(storage.bytesAvailable())));
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (state_ == State::Running && !reply_) startNext();
        },
        Qt::QueuedConnection);
    return true;
}

void Downloader::cancel() {
    if (state_ != State::Running) return;
    state_ = State::Cancelling;
    dropReply();
    discardAll();
    QMetaObject::invokeMethod(this, &Downloader::finishCancelled, Qt::QueuedConnection);
}

void Downloader::startNext() {
    if (current_ >= files_.size()) {
        // Every file is complete and verified: move them all into place.
        emitProgress(true);
        QStringList paths;
        for (std::size_t i = 0; i < files_.size(); ++i) {
            Pending& p = *files_[i];
            if (!p.file->commit()) {
                const QString message = tr("%1: cannot move into place in '%2': %3")
                                            .arg(p.name, destination_, p.file->errorString());
                for (std::size_t j = 0; j < i; ++j) QFile::remove(files_[j]->finalPath);
                fail(message);
                return;
            }
            p.file.reset();
            paths << p.finalPath;
        }
        files_.clear();
        state_ = State::Idle;
        emit finished(paths);
        return;
    }

    Pending& p = *files_[current_];
    p.file = std::make_unique<QSaveFile>(p.finalPath);
    p.file->setDirectWriteFallback(false);  // never write the final name directly
    if (!p.file->open(QIODevice::WriteOnly)) {
        fail(tr("%1: cannot write in '%2': %3").arg(p.name, destination_, p.file->errorString()));
        return;
    }

    QNetworkRequest request(QUrl(QString::fromStdString(p.spec.url)));
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setMaximumRedirectsAllowed(10);
    request.setHeader(QNetworkRequest::UserAgentHeader, userAgent());
    request.setTransferTimeout(transferTimeoutMs_);
    reply_ = network_->get(request);
    connect(reply_, &QNetworkReply::metaDataChanged, this, [this] {
        if (!reply_ || current_ >= files_.size()) return;
        const int status = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status != 0 && (status < 200 || status >= 300)) return;  // handled when finished
        Pending& f = *files_[current_];
        const QVariant length = reply_->header(QNetworkRequest::ContentLengthHeader);
        if (!length.isValid()) return;
        f.contentLength = length.toLongLong();
        if (f.spec.size > 0 && f.contentLength != f.spec.size) {
            fail(tr("%1: the server announces %2 bytes, the known file has %3 bytes")
                     .arg(f.name)
                     .arg(f.contentLength)
                     .arg(f.spec.size));
            return;
        }
        if (!f.countedInTotal) {
            total_ += f.contentLength;
            f.countedInTotal = true;
        }
    });
    connect(reply_, &QNetworkReply::readyRead, this, &Downloader::onReadyRead);
    connect(reply_, &QNetworkReply::finished, this, &Downloader::onReplyFinished);
    emitProgress(true);
}

void Downloader::onReadyRead() {
    if (!reply_ || current_ >= files_.size() || !reply_->isOpen()) return;
    const QByteArray data = reply_->readAll();
    const int status = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (data.isEmpty() || (status != 0 && (status < 200 || status >= 300)))
        return;  // an error page is not the file
    Pending& p = *files_[current_];
    p.received += data.size();
    if (p.spec.size > 0 && p.received > p.spec.size) {
        fail(tr("%1: the server sent more than the expected %2")
                 .arg(p.name, formatBytes(p.spec.size)));
        return;
    }
    if (p.file->write(data) != data.size()) {
        fail(tr("%1: cannot write in '%2': %3").arg(p.name, destination_, p.file->errorString()));
        return;
    }
    p.hash.addData(data);
    emitProgress(false);
}

void Downloader::onReplyFinished() {
    if (!reply_ || current_ >= files_.size()) return;
    onReadyRead();  // whatever arrived with the end of the transfer
    if (!reply_) return;
    QNetworkReply* reply = reply_;
    Pending& p = *files_[current_];
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QNetworkReply::NetworkError error = reply->error();
    const qint64 expected = p.spec.size > 0 ? p.spec.size : p.contentLength;
    const QString soFar = expected > 0
                              ? tr("%1 of %2").arg(formatBytes(p.received), formatBytes(expected))
                              : formatBytes(p.received);

    if (status != 0 && (status < 200 || status >= 300)) {
        const QString reason =
            reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
        fail(tr("%1: HTTP %2%3 from %4")
                 .arg(p.name)
                 .arg(status)
                 .arg(reason.isEmpty() ? QString() : QStringLiteral(" ") + reason,
                      reply->url().toDisplayString()));
        return;
    }
    if (error == QNetworkReply::OperationCanceledError) {
        // Not our cancel (that disconnects first): the transfer timeout fired.
        fail(tr("%1: no data for %2 s, gave up after %3")
                 .arg(p.name)
                 .arg(transferTimeoutMs_ / 1000.0, 0, 'g', 3)
                 .arg(soFar));
        return;
    }
    if (error == QNetworkReply::RemoteHostClosedError ||
        (error == QNetworkReply::NoError && expected > 0 && p.received < expected)) {
        fail(tr("%1: connection closed after %2").arg(p.name, soFar));
        return;
    }
    if (error != QNetworkReply::NoError) {
        fail(tr("%1: %2 (after %3)").arg(p.name, reply->errorString(), soFar));
        return;
    }
    if (p.spec.size > 0 && p.received != p.spec.size) {
        fail(tr("%1: size mismatch (expected %2 bytes, got %3)")
                 .arg(p.name)
                 .arg(p.spec.size)
                 .arg(p.received));
        return;
    }
    const QString expectedHex = QString::fromStdString(p.spec.sha256).toLower();
    const QString gotHex = QString::fromLatin1(p.hash.result().toHex());
    if (!expectedHex.isEmpty() && gotHex != expectedHex) {
        fail(tr("%1: checksum mismatch (expected %2, got %3)")
                 .arg(p.name, shortHex(expectedHex), shortHex(gotHex)));
        return;
    }

    disconnect(reply, nullptr, this, nullptr);
    reply->deleteLater();
    reply_ = nullptr;
    receivedBefore_ += p.received;
    ++current_;
    startNext();
}

void Downloader::dropReply() {
    if (!reply_) return;
    disconnect(reply_, nullptr, this, nullptr);
    reply_->abort();
    reply_->deleteLater();
    reply_ = nullptr;
}

void Downloader::fail(const QString& message) {
    if (state_ != State::Running) return;
    dropReply();
    discardAll();
    state_ = State::Idle;
    emit failed(message);
}

void Downloader::finishCancelled() {
    if (state_ != State::Cancelling) return;
    discardAll();
    state_ = State::Idle;
    emit cancelled();
}

void Downloader::discardAll() {
    for (auto& p : files_) {
        if (p->file) {
            p->file->cancelWriting();
            p->file.reset();  // removes the temporary file
        }
    }
    files_.clear();
    current_ = 0;
}

double Downloader::currentSpeed() {
    const qint64 now = clock_.elapsed();
    qint64 received = receivedBefore_;
    if (current_ < files_.size()) received += files_[current_]->received;
    samples_.emplace_back(now, received);
    while (samples_.size() > 2 && now - samples_[1].first > kSpeedWindowMs) samples_.pop_front();
    const qint64 span = now - samples_.front().first;
    if (span < 200) return 0.0;  // too short to say
    return static_cast<double>(received - samples_.front().second) * 1000.0 /
           static_cast<double>(span);
}

void Downloader::emitProgress(bool force) {
    const qint64 now = clock_.elapsed();
    const double speed = currentSpeed();
    if (!force && lastProgressMs_ >= 0 && now - lastProgressMs_ < progressIntervalMs_) {
        // Report the last byte of a file even when it arrives within the interval.
        if (current_ >= files_.size()) return;
        const Pending& p = *files_[current_];
        const qint64 expected = p.spec.size > 0 ? p.spec.size : p.contentLength;
        if (expected <= 0 || p.received < expected) return;
    }
    lastProgressMs_ = now;
    qint64 received = receivedBefore_;
    QString name;
    if (current_ < files_.size()) {
        received += files_[current_]->received;
        name = files_[current_]->name;
    } else if (!files_.empty()) {
        name = files_.back()->name;
    }
    const double eta = speed > 0 && total_ > 0
                           ? static_cast<double>(std::max<qint64>(0, total_ - received)) / speed
                           : -1.0;
    emit progressed(received, total_, speed, eta, name);
}

bool downloadBlocking(const std::vector<DownloadFile>& files, const QString& destinationDir,
                      QString* error,
                      std::function<void(qint64, qint64, double, double, QString)> progress) {
    Downloader downloader;
    QEventLoop loop;
    bool ok = false;
    QString message;
    QObject::connect(&downloader, &Downloader::progressed, &loop,
                     [&](qint64 r, qint64 t, double bps, double eta, const QString& file) {
                         if (progress) progress(r, t, bps, eta, file);
                     });
    QObject::connect(&downloader, &Downloader::finished, &loop, [&](const QStringList&) {
        ok = true;
        loop.quit();
    });
    QObject::connect(&downloader, &Downloader::failed, &loop, [&](const QString& m) {
        message = m;
        loop.quit();
    });
    QObject::connect(&downloader, &Downloader::cancelled, &loop, [&] {
        message = QObject::tr("download cancelled");
        loop.quit();
    });
    if (!downloader.start(files, destinationDir)) {
        if (error) *error = QObject::tr("a download is already running");
        return false;
    }
    loop.exec();  // every end signal is queued, so none can come before exec()
    if (!ok && error) *error = message;
    return ok;
}

}  // namespace trainlab
