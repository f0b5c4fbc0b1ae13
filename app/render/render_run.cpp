#include "render_run.h"

#include <iostream>
#include <string>
#include <vector>

#include "errors.h"
#include "experiment_view.h"
#include "run_directory.h"

namespace trainlab {

QStringList renderRunPlots(const QString& runDir, QString* error) {
    try {
        RunDirectory dir(runDir.toStdString());
        ExperimentView view(dir.readLayout());
        QString damaged;
        std::vector<std::string> warnings;
        try {
            view.loadFromRun(dir, &warnings);
        } catch (const DataError& e) {  // series that could not be read: render the rest,
            damaged = QString::fromUtf8(e.what());  // then report them (exit code 1)
        }
        for (const std::string& w : warnings) std::cerr << "trainlab-cli: warning: " << w << "\n";
        const QStringList files = view.exportToRun(dir, error);
        if (error && !damaged.isEmpty())
            *error = error->isEmpty() ? damaged : damaged + QLatin1Char('\n') + *error;
        return files;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return {};
    }
}

}  // namespace trainlab
