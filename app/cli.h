// The headless front end (trainlab-cli), also used by the GUI executable when there is no
// display. Needs a Q(Gui)Application for offscreen plot rendering.
#pragma once

#include <QStringList>

namespace trainlab {

/// Before QApplication: selects the offscreen platform unless the user chose one, and gives
/// Qt a private runtime folder when XDG_RUNTIME_DIR is unset (no warning on stderr).
void prepareHeadlessEnvironment();

/// Runs the command line `arguments` (arguments[0] is the program name). Returns the exit
/// code: 0 finished, 1 run failed, 2 usage or input error, 130 cancelled (SIGINT/SIGTERM).
int runCommandLine(const QStringList& arguments);

/// Renders every panel of a finished run to <run>/plots as PNG, SVG and CSV. Returns the
/// files written; `error` receives a message on failure. A damaged heatmap grid file leaves
/// its map empty: the panels are still written and `error` names the file and the fault.
QStringList renderRunPlots(const QString& runDir, QString* error);

}  // namespace trainlab
