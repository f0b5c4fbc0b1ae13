#include "errors.h"

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
    s << " at step " << step << ": loss = " << loss << ", gradient norm = " << gradNorm
      << ". Try a smaller learning rate or enable normalisation.";
    return s.str();
}
}  // namespace

ConfigError::ConfigError(std::vector<std::string> problems)
    : Error(joinProblems(problems)), problems_(std::move(problems)) {}

DivergenceError::DivergenceError(std::string model, std::int64_t step, double loss, double gradNorm)
    : Error(divergenceMessage(model, step, loss, gradNorm)), step_(step), loss_(loss) {}

}  // namespace trainlab
