#include "palette.h"

#include <array>

namespace trainlab {

QColor seriesColor(int index) {
    // Okabe & Ito (2008), ordered so that the first colours are the most distinct on both
    // light and dark backgrounds; yellow comes last because it is faint on white.
    static const std::array<QRgb, 7> kColors = {
        qRgb(0x00, 0x72, 0xB2),  // blue
        qRgb(0xD5, 0x5E, 0x00),  // vermillion
        qRgb(0x00, 0x9E, 0x73),  // bluish green
        qRgb(0xE6, 0x9F, 0x00),  // orange
        qRgb(0x56, 0xB4, 0xE9),  // sky blue
        qRgb(0xCC, 0x79, 0xA7),  // reddish purple
        qRgb(0xF0, 0xE4, 0x42),  // yellow
    };
    if (index < 0) return QColor(0x80, 0x80, 0x80);  // mid grey: visible on white and black
    return QColor(kColors[static_cast<std::size_t>(index) % kColors.size()]);
}

}  // namespace trainlab
