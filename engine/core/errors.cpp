#include "errors.h"

#include <cmath>
#include <sstream>

namespace trainlab {

namespace {
std::string joinProblems(const std::vector<std::string>& problems) {
    std::string out = "invalid configuration:";
    for (const auto& p : problems) out += "\n  - " + p;
    return out;
}

std::string divergenceMessage(const std::string& model, std::int64_t step, double loss,
                              double gradNorm) {
    std::ostringstream s;
    s << "training diverged";
    if (!model.empty()) s << " (" << model << ")";
    // std::ostream writes a NaN with its sign bit as "-nan": say "nan" whatever the sign.
    auto num = [](double v) -> std::string {
        if (std::isnan(v)) return "nan";
        std::ostringstream o;
        o << v;
        return o.str();
    };
    s << " at step " << step << ": loss = " << num(loss);
    if (!std::isnan(gradNorm)) s << ", gradient norm = " << num(gradNorm);  // nan: not measured
    s << ". Try a smaller learning rate or enable normalisation.";
    return s.str();
}
}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : Error(joinProblems(problems)), problems_(std::move(problems)) {}

DivergenceError::DivergenceError(std::string model, std::int64_t step, double loss, double gradNorm)
    : Error(divergenceMessage(model, step, loss, gradNorm)), step_(step), loss_(loss) {}

}  // namespace trainlab
