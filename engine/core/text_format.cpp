#include "text_format.h"

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <locale>
#include <sstream>

namespace trainlab {

std::string formatSignificant(double v, int digits) {
    std::ostringstream o;
    o.imbue(std::locale::classic());
    o << std::setprecision(digits) << v;
    return o.str();
}

std::string formatDuration(double seconds, bool secondsBelowAMinute) {
    if (!(seconds >= 0) || seconds > 1e7) return "--:--";
    const long s = static_cast<long>(std::llround(seconds));
    char buf[32];
    if (secondsBelowAMinute && s < 60)
        std::snprintf(buf, sizeof buf, "%ld s", s);
    else if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

}  // namespace trainlab
