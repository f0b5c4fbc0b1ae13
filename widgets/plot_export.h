// Export of plots and charts to PNG, SVG and CSV, shared by PlotPanel and ResultsChart: every
// file is written through a temporary file (QSaveFile), numbers in the C locale.
#pragma once

#include <QByteArray>
#include <QColor>
#include <QSaveFile>
#include <QString>
#include <string>

class QPaintDevice;

namespace trainlab {

/// Something that can draw itself into a file: a plot panel, a results chart.
class ExportSource {
  public:
    virtual ~ExportSource() = default;
    /// Draws the whole plot as if it were w×h logical pixels onto `device` (an image of
    /// w·scale × h·scale pixels already filled with exportBackground(), or an SVG generator
    /// with scale 1 and `vector` set). False if it could not paint.
    virtual bool paintForExport(QPaintDevice* device, int w, int h, double scale,
                                bool vector) const = 0;
    /// The colour under the plot.
    virtual QColor exportBackground() const = 0;
    /// The SVG's title and description.
    virtual QString exportTitle() const = 0;
    virtual QString exportDescription() const { return QString(); }
};

/// Renders `source` to a PNG of w×h logical pixels (×scale device pixels, written with
/// 96·scale DPI). False with `error` set on failure (bad size, rendering, encoding, writing).
bool exportPng(const ExportSource& source, const QString& path, int w, int h, double scale,
               QString* error);
/// Renders `source` as SVG (vector, 96 DPI) of w×h. False with `error` set on failure.
bool exportSvg(const ExportSource& source, const QString& path, int w, int h, QString* error);

/// Writes `bytes` to `path` through a temporary file. False with `error` set to "Cannot write
/// <what> to <path>: <reason>".
bool writeAtomically(const QString& path, const QByteArray& bytes, const char* what,
                     QString* error);

/// A CSV file being written: rows are collected in a buffer that goes to a temporary file
/// every MiB; commit() puts the whole file in place. Numbers with 9 significant digits
/// (nan, inf, -inf for the non-finite), independent of the process locale.
class CsvExport {
  public:
    explicit CsvExport(const QString& path);
    CsvExport(const CsvExport&) = delete;
    CsvExport& operator=(const CsvExport&) = delete;

    void text(const char* s) { out_.append(s); }
    void text(const QByteArray& s) { out_.append(s); }
    void text(char c) { out_.append(c); }
    void number(double v);
    /// `s` as one field, quoted ("" inside doubled) always, or only where a comma, quote or
    /// line break needs it.
    void quoted(const std::string& s);
    void field(const QString& s);
    /// Ends a row: writes the buffer out once it holds a MiB.
    void endRow();
    /// Writes what is left and puts the file in place. False with `error` set to "Cannot write
    /// CSV to <path>: <reason>" if opening or any write failed.
    bool commit(QString* error);

  private:
    QSaveFile file_;
    QByteArray out_;
    bool ok_ = true;
};

}  // namespace trainlab
