// The axis entries of a plot panel's context menu: a log/linear toggle for each axis that can
// switch (x unless it shows categories or a heat map; left y unless a heat map; right y when
// shown), and "Show all series" while some are hidden.
#pragma once

class QMenu;

namespace trainlab {

class PlotPanel;

/// Adds the entries to `menu`: checkable actions named "logX", "logLeft" and "logRight"
/// (checked while the axis is logarithmic; toggling one switches the axis and rescales to the
/// data, leaving out non-positive values on a log axis) and "showAll".
void addAxisScaleActions(QMenu& menu, PlotPanel* panel);

}  // namespace trainlab
