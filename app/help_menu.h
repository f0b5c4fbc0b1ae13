// The Help menu of the main window: how to use trainlab, and About.
#pragma once

class QMenu;
class QWidget;

namespace trainlab {

/// Adds "trainlab help" (F1) and "About trainlab" to `menu`; their boxes open over `window`.
void addHelpMenu(QMenu* menu, QWidget* window);

}  // namespace trainlab
