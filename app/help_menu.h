// The Help menu of the main window: how to use trainlab, System information, and About.
#pragma once

class QDialog;
class QMenu;
class QString;
class QWidget;

namespace trainlab {

/// Adds "trainlab help" (F1), "System information…" and "About trainlab" to `menu`; their
/// boxes open over `window` (the main window: its runs folder and data folder are reported).
void addHelpMenu(QMenu* menu, QWidget* window);

/// Help → System information: `trainlab-cli doctor`'s report (system_info.h) for this runs
/// folder and data folder, read-only, with Copy (to the clipboard) and Close. Modeless and
/// deleted when closed; returned for tests (its text box is named "systemInfoText", the
/// button "copyButton").
QDialog* showSystemInformation(QWidget* parent, const QString& runsRoot, const QString& dataDir);

}  // namespace trainlab
