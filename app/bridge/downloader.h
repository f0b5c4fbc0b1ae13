// Verified downloads of a dataset's canonical files (Qt Network).
//
// Downloader fetches a list of files into one folder. Each file is streamed into a temporary
// file next to its final name while SHA-256 is computed on the fly; only when every file of
// the list is complete, of the announced size and matches its checksum are they moved into
// place (atomic renames). On any fault, a cancel, or the Downloader's destruction, every
// temporary file is removed and nothing that existed before is touched, so no partial file is
// ever left behind.
#pragma once

#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QtGlobal>
#include <deque>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "dataset_catalog.h"  // DownloadFile {name, url, sha256, size}

class QCryptographicHash;
class QNetworkAccessManager;
class QNetworkReply;
class QSaveFile;

namespace trainlab {

/// Downloads DownloadFile lists, one file after the other.
///
/// Contract: lives in and is used from one thread that runs a Qt event loop (the GUI thread,
/// or a CLI thread running a QEventLoop, see downloadBlocking()). start() returns at once;
/// the transfer runs asynchronously and ends with exactly one of finished(), failed() or
/// cancelled(), always emitted from the event loop (never from inside start()).
///
/// A file's `name` must be a plain file name (no folder part). `sha256` is the lower-case hex
/// digest the file must have; `size` (bytes) is checked too when > 0, and a server sending more
/// than `size` bytes is cut off. An empty `sha256` skips the checksum (not recommended).
class Downloader : public QObject {
    Q_OBJECT
  public:
    enum class State { Idle, Running, Cancelling };

    explicit Downloader(QObject* parent = nullptr);
    /// Aborts a running transfer and removes its temporary files (no signal is emitted).
    ~Downloader() override;

    /// Starts downloading `files` into `destinationDir` (created if missing). False, with
    /// nothing started and no signal, while another download is running.
    bool start(const std::vector<DownloadFile>& files, const QString& destinationDir);
    /// Stops the transfer; cancelled() follows from the event loop. No effect when idle.
    void cancel();
    bool isRunning() const { return state_ != State::Idle; }
    State state() const { return state_; }

    /// Time without any received byte, in ms, after which a file fails (default 60 s).
    void setTransferTimeout(int milliseconds) { transferTimeoutMs_ = milliseconds; }
    int transferTimeout() const { return transferTimeoutMs_; }
    /// Smallest interval between two progressed() signals, in ms (default 100 ms). The last
    /// byte of each file is always reported.
    void setProgressInterval(int milliseconds) { progressIntervalMs_ = milliseconds; }

    /// "12.3 MB", "850 kB", "17 bytes" (decimal units, as download sizes are usually given).
    static QString formatBytes(qint64 bytes);

  signals:
    /// `received` and `total` in bytes over the whole list (total is the sum of the files'
    /// sizes, or of the Content-Lengths where a size is not given; 0 when unknown);
    /// `bytesPerSecond` averaged over the last few seconds; `etaSeconds` < 0 when unknown.
    void progressed(qint64 received, qint64 total, double bytesPerSecond, double etaSeconds,
                    const QString& currentFile);
    /// Every file is in place; `files` are their absolute paths, in list order.
    void finished(const QStringList& files);
    /// `message` names the file and the fault, e.g. "train-images-idx3-ubyte.gz: checksum
    /// mismatch (expected 440fcabf73cc546f…, got 9a1c…)" or "…: connection closed after 1.2 MB
    /// of 9.9 MB".
    void failed(const QString& message);
    void cancelled();

  private:
    struct Pending;  // one file being downloaded or waiting to be moved into place

    void startNext();
    void onReadyRead();
    void onReplyFinished();
    void fail(const QString& message);
    /// Aborts and lets go of the transfer in progress, if any (its signals no longer arrive).
    void dropReply();
    void finishCancelled();
    void discardAll();
    void emitProgress(bool force);
    double currentSpeed();

    QNetworkAccessManager* network_ = nullptr;
    QNetworkReply* reply_ = nullptr;
    State state_ = State::Idle;
    QString destination_;
    std::vector<std::unique_ptr<Pending>> files_;
    std::size_t current_ = 0;
    qint64 receivedBefore_ = 0;  ///< bytes of the files completed before the current one
    qint64 total_ = 0;
    int transferTimeoutMs_ = 60000;
    int progressIntervalMs_ = 100;
    QElapsedTimer clock_;
    qint64 lastProgressMs_ = -1;
    std::deque<std::pair<qint64, qint64>> samples_;  ///< (ms, received) for the speed
};

/// Runs a Downloader in a local QEventLoop until it ends. Needs a QCoreApplication; must not
/// be called while another event loop waits on the same thread for the Downloader's signals.
/// `progress` receives (received, total, bytesPerSecond, etaSeconds, currentFile). True when
/// every file is in place; otherwise false with `error` set (when not null).
bool downloadBlocking(const std::vector<DownloadFile>& files, const QString& destinationDir,
                      QString* error,
                      std::function<void(qint64, qint64, double, double, QString)> progress = {});

}  // namespace trainlab
