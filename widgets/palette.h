// Series colours shared by every plot in trainlab.
#pragma once

#include <QColor>

namespace trainlab {

/// Colour of series `index` from the Okabe–Ito colour-blind-safe palette (cycling; black is
/// left out so that every colour stays readable on dark backgrounds too). Any negative index
/// gives the neutral grey used for targets and reference curves. Thread-safe.
QColor seriesColor(int index);

}  // namespace trainlab
