// The compare window's summary panel: any scalar of results.json (dotted names, as
// `sweep merge` writes them) against any setting, one line per group, with the mean over the
// runs of each point and error bars of their standard deviation (summarise() in
// run_groups.h). The x axis is logarithmic when the setting's values span two decades or more.
#pragma once

#include <QWidget>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "run_groups.h"

class QComboBox;
class QCustomPlot;
class QLabel;

namespace trainlab {

class SummaryPanel : public QWidget {
    Q_OBJECT
  public:
    explicit SummaryPanel(QWidget* parent = nullptr);

    /// The runs' settings and results; `settingKeys` are offered as x (the first that is not
    /// "seed" is chosen at first); `lineKeys` split the runs into lines. Keeps the chosen result
    /// and setting where they still exist. Redraws.
    void setRuns(const std::vector<Settings>& settings, const std::vector<nlohmann::json>& results,
                 const std::vector<std::string>& settingKeys, const std::vector<std::string>& lineKeys);
    /// Chooses the result and the setting (false, nothing changed, when either is not offered).
    bool choose(const std::string& resultKey, const std::string& settingKey);

    const Summary& summary() const { return summary_; }
    QCustomPlot* plot() const { return plot_; }
    QComboBox* resultBox() const { return resultBox_; }
    QComboBox* settingBox() const { return settingBox_; }

  private:
    void redraw();
    void drawLine(const SummaryLine& line, int colorIndex);

    QComboBox* resultBox_ = nullptr;
    QComboBox* settingBox_ = nullptr;
    QLabel* note_ = nullptr;
    QCustomPlot* plot_ = nullptr;
    std::vector<Settings> settings_;
    std::vector<nlohmann::json> results_;
    std::vector<std::string> lineKeys_;
    Summary summary_;
};

}  // namespace trainlab
