#include "axis_menu.h"

#include <QAction>
#include <QMenu>

#include "plot_panel.h"

namespace trainlab {

void addAxisScaleActions(QMenu& menu, PlotPanel* panel) {
    struct Entry {
        PanelAxis axis;
        const char* name;
        QString text;
    };
    const Entry entries[] = {
        {PanelAxis::X, "logX", PlotPanel::tr("Logarithmic x axis")},
        {PanelAxis::Left, "logLeft", PlotPanel::tr("Logarithmic left y axis")},
        {PanelAxis::Right, "logRight", PlotPanel::tr("Logarithmic right y axis")},
    };
    for (const Entry& e : entries) {
        if (!panel->axisScaleSwitchable(e.axis)) continue;
        QAction* action = menu.addAction(e.text);
        action->setObjectName(QLatin1String(e.name));
        action->setCheckable(true);
        action->setChecked(panel->axisLog(e.axis));
        const PanelAxis axis = e.axis;
        QObject::connect(action, &QAction::toggled, panel,
                         [panel, axis](bool log) { panel->setAxisLog(axis, log); });
    }
    if (panel->hiddenSeriesCount() > 0) {
        QAction* all = menu.addAction(PlotPanel::tr("Show all series"));
        all->setObjectName(QStringLiteral("showAll"));
        QObject::connect(all, &QAction::triggered, panel, [panel] { panel->showAllSeries(); });
    }
}

}  // namespace trainlab
