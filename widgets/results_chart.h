// A categorical summary chart (e.g. final loss per model) drawn with Qt Charts.
#pragma once

#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include "plot_export.h"

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
QT_END_NAMESPACE

namespace trainlab {

/// One value per category. On a linear scale the values are drawn as bars; on a log scale
/// (where bars have no meaningful base) as markers on a QLogValueAxis, and non-positive values
/// are left out of the drawing (they stay in the CSV). Each value is labelled.
///
/// Contract: GUI thread only. Exports (plot_export.h, as PlotPanel's) work on a widget that was
/// never shown; each is written through a temporary file and returns false, with `error` set,
/// on failure.
class ResultsChart : public QWidget, public ExportSource {
    Q_OBJECT
  public:
    explicit ResultsChart(QWidget* parent = nullptr);
    ~ResultsChart() override;

    /// Replaces the chart. `categories` and `values` are paired (extra elements are ignored).
    void setResults(const QString& title, const QString& valueLabel, const QStringList& categories,
                    const QVector<double>& values, bool logScale);

    /// PNG of w×h logical pixels (×scale device pixels, 96·scale DPI).
    bool exportPng(const QString& path, int w, int h, double scale = 1.0,
                   QString* error = nullptr) const;
    bool exportSvg(const QString& path, int w, int h, QString* error = nullptr) const;
    /// CSV with header "category,value" (categories quoted where needed, 9 significant digits).
    bool exportCsv(const QString& path, QString* error = nullptr) const;

    QChart* chart() const;

  protected:
    void changeEvent(QEvent* event) override;

  private:
    // ExportSource: the chart's scene, rendered at the export's size; title for SVG.
    QString exportTitle() const override { return title_; }
    QColor exportBackground() const override;
    bool paintForExport(QPaintDevice* device, int w, int h, double scale,
                        bool vector) const override;
    void rebuild();
    /// A bar per category, labelled with its value (linear scale).
    void addBars(QChart* chart) const;
    /// A labelled marker per positive value on a log axis.
    void addLogMarkers(QChart* chart) const;

    QChartView* view_ = nullptr;
    QString title_;
    QString valueLabel_;
    QStringList categories_;
    QVector<double> values_;
    bool logScale_ = false;
};

}  // namespace trainlab
