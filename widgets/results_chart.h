// A categorical summary chart (e.g. final loss per model) drawn with Qt Charts.
#pragma once

#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

QT_BEGIN_NAMESPACE
class QChart;
class QChartView;
QT_END_NAMESPACE

namespace trainlab {

/// One value per category. On a linear scale the values are drawn as bars; on a log scale
/// (where bars have no meaningful base) as markers on a QLogValueAxis, and non-positive values
/// are left out of the drawing (they stay in the CSV). Each value is labelled.
///
/// Contract: GUI thread only. Exports work on a widget that was never shown.
class ResultsChart : public QWidget {
    Q_OBJECT
  public:
    explicit ResultsChart(QWidget* parent = nullptr);
    ~ResultsChart() override;

    /// Replaces the chart. `categories` and `values` are paired (extra elements are ignored).
    void setResults(const QString& title, const QString& valueLabel, const QStringList& categories,
                    const QVector<double>& values, bool logScale);

    bool exportPng(const QString& path, int w, int h) const;
    bool exportSvg(const QString& path, int w, int h) const;
    /// CSV with header "category,value" (categories quoted where needed, 9 significant digits).
    bool exportCsv(const QString& path) const;

    QChart* chart() const;

  protected:
    void changeEvent(QEvent* event) override;

  private:
    void rebuild();
    template <typename Paint>
    void renderAt(int w, int h, Paint&& paint) const;

    QChartView* view_ = nullptr;
    QString title_;
    QString valueLabel_;
    QStringList categories_;
    QVector<double> values_;
    bool logScale_ = false;
};

}  // namespace trainlab
