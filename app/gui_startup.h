// The desktop program's start, in steps main() calls in order: its command line, the headless
// fallback (no display: the default preset through the command line), the runs-folder check,
// the stop signals and the start options applied to the window.
#pragma once

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QObject>
#include <memory>

class QApplication;
class QSocketNotifier;

namespace trainlab {

class MainWindow;

/// True when there is a display to show the window on (or the user chose a Qt platform).
bool haveDisplay();

/// trainlab's command line (--preset, --run, --runs, --data-dir, --screenshot…).
class GuiCommandLine {
  public:
    GuiCommandLine();
    /// Parses the application's arguments; --help and --version print and exit (Qt's way).
    void process(const QApplication& app);
    /// No display: runs the --preset (default 1-1-sinc-patience) as trainlab-cli would, into
    /// --runs; returns its exit code.
    int runHeadless() const;
    /// Without --runs, a default runs folder must exist: false (after telling why) when not.
    bool runsRootUsable() const;
    /// --runs, --data-dir, --preset, --run and --screenshot, applied to the shown window.
    void applyTo(MainWindow& window) const;

  private:
    QCommandLineParser parser_;
    QCommandLineOption preset_, run_, runs_, dataDir_, shot_, shotAfter_;
};

/// SIGINT, SIGTERM and SIGHUP stop the run and close the window (the Qt way: the handler only
/// writes the signal's number into a socket pair, async-signal-safe; a QSocketNotifier reads
/// it on the GUI thread). The run ends as "cancelled" naming the signal; the application ends
/// with 128 + the signal.
class StopSignals {
  public:
    /// Installs the handlers; on failure says so on stderr and watches nothing.
    explicit StopSignals(MainWindow& window);
    ~StopSignals();
    /// The first signal received, 0 if none.
    int received() const { return signal_; }

  private:
    int signal_ = 0;
    std::unique_ptr<QSocketNotifier> notifier_;
};

}  // namespace trainlab
