#include "results_chart.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QGraphicsLayout>
#include <QGraphicsScene>
#include <QLogValueAxis>
#include <QPainter>
#include <QScatterSeries>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "palette.h"

namespace trainlab {

namespace {

bool isDark(const QPalette& pal) {
    return pal.color(QPalette::Window).lightness() < 128;
}

}  // namespace

ResultsChart::ResultsChart(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    view_ = new QChartView(this);
    view_->setRenderHint(QPainter::Antialiasing);
    view_->setMinimumSize(240, 160);
    layout->addWidget(view_);
    rebuild();
}

ResultsChart::~ResultsChart() = default;

QChart* ResultsChart::chart() const {
    return view_->chart();
}

void ResultsChart::setResults(const QString& title, const QString& valueLabel,
                              const QStringList& categories, const QVector<double>& values,
                              bool logScale) {
    title_ = title;
    valueLabel_ = valueLabel;
    const int n = std::min<int>(categories.size(), values.size());
    categories_ = categories.mid(0, n);
    values_ = values.mid(0, n);
    logScale_ = logScale;
    rebuild();
}

void ResultsChart::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) rebuild();
    QWidget::changeEvent(event);
}

void ResultsChart::rebuild() {
    auto* chart = new QChart;
    chart->setTheme(isDark(palette()) ? QChart::ChartThemeDark : QChart::ChartThemeLight);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setVisible(false);
    QFont titleFont = font();
    titleFont.setPointSizeF(titleFont.pointSizeF() + 1.5);
    titleFont.setBold(true);
    chart->setTitleFont(titleFont);
    chart->setTitle(title_);
    chart->setBackgroundRoundness(0);
    if (!logScale_)
        addBars(chart);
    else
        addLogMarkers(chart);

    QChart* old = view_->chart();
    view_->setChart(chart);
    delete old;
}

void ResultsChart::addBars(QChart* chart) const {
    const QColor color = seriesColor(0);
    auto* set = new QBarSet(valueLabel_);
    set->setColor(color);
    set->setBorderColor(color.darker(120));
    double lo = 0;
    double hi = 0;
    for (double v : values_) {
        set->append(std::isfinite(v) ? v : 0.0);
        if (std::isfinite(v)) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    }
    auto* series = new QBarSeries;
    series->append(set);
    series->setBarWidth(0.6);
    series->setLabelsVisible(true);
    series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
    series->setLabelsFormat(QStringLiteral("@value"));
    series->setLabelsPrecision(4);
    chart->addSeries(series);
    set->setLabelColor(palette().color(QPalette::Text));  // after the theme is applied

    auto* xAxis = new QBarCategoryAxis;
    xAxis->append(categories_);
    chart->addAxis(xAxis, Qt::AlignBottom);
    series->attachAxis(xAxis);
    auto* yAxis = new QValueAxis;
    yAxis->setTitleText(valueLabel_);
    if (hi <= lo) hi = lo + 1;
    const double margin = (hi - lo) * 0.12;  // room for the value labels
    yAxis->setRange(lo < 0 ? lo - margin : 0.0, hi > 0 ? hi + margin : 0.0);
    yAxis->applyNiceNumbers();
    yAxis->setLabelFormat(QStringLiteral("%g"));
    chart->addAxis(yAxis, Qt::AlignLeft);
    series->attachAxis(yAxis);
}

void ResultsChart::addLogMarkers(QChart* chart) const {
    const QColor color = seriesColor(0);
    auto* series = new QScatterSeries;
    series->setName(valueLabel_);
    series->setMarkerShape(QScatterSeries::MarkerShapeCircle);
    series->setMarkerSize(13);
    series->setColor(color);
    series->setBorderColor(color.darker(130));
    series->setPointLabelsVisible(true);
    series->setPointLabelsFormat(QStringLiteral("@yPoint"));
    series->setPointLabelsClipping(false);
    series->setPointLabelsColor(palette().color(QPalette::Text));
    double lo = 0;
    double hi = 0;
    for (int i = 0; i < values_.size(); ++i) {
        const double v = values_[i];
        if (!(v > 0) || !std::isfinite(v)) continue;  // not drawable on a log axis
        series->append(i, v);
        lo = lo > 0 ? std::min(lo, v) : v;
        hi = std::max(hi, v);
    }
    chart->addSeries(series);

    auto* xAxis = new QCategoryAxis;
    xAxis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionCenter);
    xAxis->setStartValue(-0.5);
    QStringList used;
    for (int i = 0; i < categories_.size(); ++i) {
        QString label = categories_[i];
        while (used.contains(label)) label += QLatin1Char(' ');  // labels must be unique
        used << label;
        xAxis->append(label, i + 0.5);
    }
    xAxis->setRange(-0.5, std::max<double>(categories_.size(), 1) - 0.5);
    xAxis->setGridLineVisible(false);
    chart->addAxis(xAxis, Qt::AlignBottom);
    series->attachAxis(xAxis);

    auto* yAxis = new QLogValueAxis;
    yAxis->setBase(10);
    yAxis->setTitleText(valueLabel_);
    yAxis->setLabelFormat(QStringLiteral("%g"));
    yAxis->setMinorTickCount(8);
    if (lo <= 0) {
        lo = 0.1;
        hi = 10;
    }
    // whole decades, a hair wider so that rounding cannot drop the end labels
    yAxis->setRange(std::pow(10.0, std::floor(std::log10(lo) - 0.15)) * 0.999,
                    std::pow(10.0, std::ceil(std::log10(hi) + 0.15)) * 1.001);
    chart->addAxis(yAxis, Qt::AlignLeft);
    series->attachAxis(yAxis);
}

bool ResultsChart::paintForExport(QPaintDevice* device, int w, int h, double scale,
                                  bool vector) const {
    QPainter painter;
    if (!painter.begin(device)) return false;
    painter.setRenderHint(QPainter::Antialiasing);
    if (!vector && scale != 1.0) painter.scale(scale, scale);
    QChart* c = view_->chart();
    const QSizeF oldSize = c->size();
    c->resize(w, h);
    if (c->layout()) c->layout()->activate();
    c->scene()->render(&painter, QRectF(0, 0, w, h), c->mapRectToScene(c->rect()),
                       Qt::IgnoreAspectRatio);
    painter.end();
    c->resize(oldSize);
    if (c->layout()) c->layout()->activate();
    return true;
}

QColor ResultsChart::exportBackground() const {
    return isDark(palette()) ? QColor(0x2e, 0x2f, 0x30) : QColor(Qt::white);
}

bool ResultsChart::exportPng(const QString& path, int w, int h, double scale,
                             QString* error) const {
    return trainlab::exportPng(*this, path, w, h, scale, error);
}

bool ResultsChart::exportSvg(const QString& path, int w, int h, QString* error) const {
    return trainlab::exportSvg(*this, path, w, h, error);
}

bool ResultsChart::exportCsv(const QString& path, QString* error) const {
    CsvExport csv(path);
    csv.text("category,value");
    csv.endRow();
    for (int i = 0; i < categories_.size(); ++i) {
        csv.field(categories_[i]);
        csv.text(',');
        csv.number(values_[i]);
        csv.endRow();
    }
    return csv.commit(error);
}

}  // namespace trainlab
