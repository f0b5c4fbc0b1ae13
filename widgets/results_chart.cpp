#include "results_chart.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QBuffer>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QGraphicsLayout>
#include <QGraphicsScene>
#include <QImage>
#include <QLogValueAxis>
#include <QPainter>
#include <QSaveFile>
#include <QScatterSeries>
#include <QSvgGenerator>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <charconv>
#include <cmath>

#include "palette.h"

namespace trainlab {

namespace {

bool isDark(const QPalette& pal) {
    return pal.color(QPalette::Window).lightness() < 128;
}

QByteArray formatNumber(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 9);
    return QByteArray(buf, static_cast<int>(res.ptr - buf));
}

QByteArray csvField(const QString& s) {
    QByteArray utf8 = s.toUtf8();
    if (!utf8.contains(',') && !utf8.contains('"') && !utf8.contains('\n') && !utf8.contains('\r'))
        return utf8;
    utf8.replace("\"", "\"\"");
    return '"' + utf8 + '"';
}

bool writeAtomically(const QString& path, const QByteArray& bytes) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return false;
    if (file.write(bytes) != bytes.size()) return false;
    return file.commit();
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
    const QColor color = seriesColor(0);

    if (!logScale_) {
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
    } else {
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

    QChart* old = view_->chart();
    view_->setChart(chart);
    delete old;
}

template <typename Paint>
void ResultsChart::renderAt(int w, int h, Paint&& paint) const {
    QChart* c = view_->chart();
    const QSizeF oldSize = c->size();
    c->resize(w, h);
    if (c->layout()) c->layout()->activate();
    QGraphicsScene* scene = c->scene();
    paint([&](QPainter* painter) {
        painter->setRenderHint(QPainter::Antialiasing);
        scene->render(painter, QRectF(0, 0, w, h), c->mapRectToScene(c->rect()),
                      Qt::IgnoreAspectRatio);
    });
    c->resize(oldSize);
    if (c->layout()) c->layout()->activate();
}

bool ResultsChart::exportPng(const QString& path, int w, int h) const {
    if (w <= 0 || h <= 0) return false;
    QImage image(w, h, QImage::Format_ARGB32_Premultiplied);
    image.fill(isDark(palette()) ? QColor(0x2e, 0x2f, 0x30) : QColor(Qt::white));
    renderAt(w, h, [&](auto draw) {
        QPainter painter(&image);
        draw(&painter);
    });
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (!image.save(&buffer, "PNG")) return false;
    return writeAtomically(path, bytes);
}

bool ResultsChart::exportSvg(const QString& path, int w, int h) const {
    if (w <= 0 || h <= 0) return false;
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator generator;
    generator.setOutputDevice(&buffer);
    generator.setSize(QSize(w, h));
    generator.setViewBox(QRect(0, 0, w, h));
    generator.setTitle(title_);
    bool ok = true;
    renderAt(w, h, [&](auto draw) {
        QPainter painter;
        if (!painter.begin(&generator)) {
            ok = false;
            return;
        }
        draw(&painter);
        painter.end();
    });
    return ok && !bytes.isEmpty() && writeAtomically(path, bytes);
}

bool ResultsChart::exportCsv(const QString& path) const {
    QByteArray out("category,value\n");
    for (int i = 0; i < categories_.size(); ++i)
        out += csvField(categories_[i]) + ',' + formatNumber(values_[i]) + '\n';
    return writeAtomically(path, out);
}

}  // namespace trainlab
