#include "summary_panel.h"

#include <qcustomplot.h>

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QVBoxLayout>
#include <algorithm>

#include "compare_data.h"
#include "palette.h"

namespace trainlab {

SummaryPanel::SummaryPanel(QWidget* parent) : QWidget(parent) {
    resultBox_ = new QComboBox(this);
    resultBox_->setObjectName(QStringLiteral("summaryResult"));
    resultBox_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    resultBox_->setMinimumContentsLength(18);
    settingBox_ = new QComboBox(this);
    settingBox_->setObjectName(QStringLiteral("summarySetting"));
    note_ = new QLabel(this);
    plot_ = new QCustomPlot(this);
    plot_->setMinimumHeight(260);
    plot_->legend->setVisible(true);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    auto* row = new QHBoxLayout;
    row->addWidget(new QLabel(tr("Result"), this));
    row->addWidget(resultBox_, 1);
    row->addWidget(new QLabel(tr("against"), this));
    row->addWidget(settingBox_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(row);
    layout->addWidget(plot_, 1);
    layout->addWidget(note_);
    connect(resultBox_, &QComboBox::currentIndexChanged, this, &SummaryPanel::redraw);
    connect(settingBox_, &QComboBox::currentIndexChanged, this, &SummaryPanel::redraw);
}

namespace {

/// Replaces the items of `box`, keeping the current text when it is still there, else `fallback`.
void refill(QComboBox* box, const std::vector<std::string>& items, const std::string& fallback) {
    const QString keep = box->currentText();
    const QSignalBlocker block(box);
    box->clear();
    for (const std::string& i : items) box->addItem(QString::fromStdString(i));
    int at = box->findText(keep);
    if (at < 0) at = box->findText(QString::fromStdString(fallback));
    box->setCurrentIndex(at >= 0 ? at : 0);
}

/// The result to show first: a final loss or error where there is one.
std::string preferredResult(const std::vector<std::string>& keys) {
    for (const char* hint : {"final_loss", "loss", "mse", "accuracy"})
        for (const std::string& k : keys)
            if (k.find(hint) != std::string::npos) return k;
    return keys.empty() ? std::string() : keys.front();
}

}  // namespace

void SummaryPanel::setRuns(const std::vector<Settings>& settings,
                           const std::vector<nlohmann::json>& results,
                           const std::vector<std::string>& settingKeys,
                           const std::vector<std::string>& lineKeys) {
    settings_ = settings;
    results_ = results;
    lineKeys_ = lineKeys;
    std::vector<std::string> resultKeys;
    for (const nlohmann::json& r : results)
        for (const auto& kv : numericResults(r))
            if (std::find(resultKeys.begin(), resultKeys.end(), kv.first) == resultKeys.end())
                resultKeys.push_back(kv.first);
    refill(resultBox_, resultKeys, preferredResult(resultKeys));
    std::string firstSetting = settingKeys.empty() ? std::string() : settingKeys.front();
    for (const std::string& k : settingKeys)
        if (k != "seed") {
            firstSetting = k;
            break;
        }
    refill(settingBox_, settingKeys, firstSetting);
    redraw();
}

bool SummaryPanel::choose(const std::string& resultKey, const std::string& settingKey) {
    const int r = resultBox_->findText(QString::fromStdString(resultKey));
    const int s = settingBox_->findText(QString::fromStdString(settingKey));
    if (r < 0 || s < 0) return false;
    {
        const QSignalBlocker block(resultBox_);
        resultBox_->setCurrentIndex(r);
    }
    settingBox_->setCurrentIndex(s);
    redraw();
    return true;
}

void SummaryPanel::redraw() {
    plot_->clearPlottables();
    const std::string resultKey = resultBox_->currentText().toStdString();
    const std::string xKey = settingBox_->currentText().toStdString();
    std::vector<std::optional<double>> values;
    for (const nlohmann::json& r : results_) {
        std::optional<double> v;
        for (const auto& [key, value] : numericResults(r))
            if (key == resultKey) v = value;
        values.push_back(v);
    }
    summary_ = xKey.empty() ? Summary{} : summarise(settings_, values, xKey, lineKeys_);
    plot_->xAxis->setLabel(QString::fromStdString(xKey));
    plot_->yAxis->setLabel(QString::fromStdString(resultKey));
    plot_->xAxis->setScaleType(summary_.logX ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (summary_.logX)
        plot_->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    else if (!summary_.numericX) {
        auto ticker = QSharedPointer<QCPAxisTickerText>::create();
        for (std::size_t i = 0; i < summary_.categories.size(); ++i)
            ticker->addTick(static_cast<double>(i), QString::fromStdString(summary_.categories[i]));
        plot_->xAxis->setTicker(ticker);
    } else {
        plot_->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    }
    for (std::size_t i = 0; i < summary_.lines.size(); ++i)
        drawLine(summary_.lines[i], static_cast<int>(i));
    plot_->legend->setVisible(summary_.lines.size() > 1 && summary_.lines.size() <= 12);
    plot_->rescaleAxes();
    // room for the error bars and the outer markers
    plot_->yAxis->scaleRange(1.15, plot_->yAxis->range().center());
    if (!summary_.logX) plot_->xAxis->scaleRange(1.1, plot_->xAxis->range().center());
    else plot_->xAxis->setRange(plot_->xAxis->range().lower / 1.5, plot_->xAxis->range().upper * 1.5);
    note_->setText(summary_.lines.empty()
                       ? tr("No run has this result yet.")
                       : tr("Mean over the runs of each point; error bars: standard deviation "
                            "over them (seeds)."));
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void SummaryPanel::drawLine(const SummaryLine& line, int colorIndex) {
    QVector<double> x, y, err;
    for (const SummaryPoint& p : line.points) {
        x.push_back(p.x);
        y.push_back(p.mean);
        err.push_back(p.std);
    }
    const QColor color = seriesColor(colorIndex);
    QCPGraph* g = plot_->addGraph();
    g->setName(QString::fromStdString(line.label));
    g->setPen(QPen(color, 1.6));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, color, 6));
    g->setData(x, y, true);
    auto* bars = new QCPErrorBars(plot_->xAxis, plot_->yAxis);
    bars->removeFromLegend();
    bars->setDataPlottable(g);
    bars->setData(err);
    bars->setPen(QPen(color, 1.2));
}

}  // namespace trainlab
