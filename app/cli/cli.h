// The headless front end (trainlab-cli), also used by the GUI executable when there is no
// display. Needs a QApplication for offscreen plot rendering (render/render_run.h). Its
// sub-commands and options are tables (cli_commands.h).
#pragma once

#include <QStringList>

namespace trainlab {

/// First thing in main(): opens /dev/null on descriptors 0-2 when they are closed (so no file
/// the program opens later becomes its stdout or stderr, and stray messages cannot land in
/// data) and ignores SIGPIPE (output to a closed pipe fails quietly; the run goes on).
void guardStandardStreams();

/// Before QApplication: selects the offscreen platform unless the user chose one, and gives
/// Qt a private runtime folder when XDG_RUNTIME_DIR is unset (no warning on stderr). The default
/// runs folder is chosen before that, so runs never go to that folder.
void prepareHeadlessEnvironment();

/// Runs the command line `arguments` (arguments[0] is the program name). Returns the exit
/// code: 0 finished, 1 run failed, 2 usage or input error; cancelled: 128 + the signal, i.e.
/// 130 SIGINT (Ctrl+C), 143 SIGTERM, 129 SIGHUP (each recorded as cancelled, naming it).
int runCommandLine(const QStringList& arguments);

}  // namespace trainlab
