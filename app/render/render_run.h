// trainlab_render: a recorded run's plots drawn offscreen, for trainlab-cli (`render`, the plots
// at the end of `run`) and the desktop program's headless fallback. It needs Qt Widgets, not a
// display: the panels are QCustomPlot plots, and QCustomPlot is a QWidget, so a QApplication
// (on the offscreen platform, see prepareHeadlessEnvironment()) must exist. It does not need the
// main window (trainlab_app).
#pragma once

#include <QString>
#include <QStringList>

namespace trainlab {

/// Renders every panel of a finished run to <run>/plots as PNG, SVG and CSV. Returns the
/// files written; `error` receives a message on failure. A series file that cannot be read (a
/// damaged grid, a folder, a link, a named pipe, over the limits of run files) leaves its series
/// empty: the panels are still written and `error` names the file and the fault. Lines skipped
/// in a series' file are printed to stderr as warnings (file and line).
QStringList renderRunPlots(const QString& runDir, QString* error);

}  // namespace trainlab
