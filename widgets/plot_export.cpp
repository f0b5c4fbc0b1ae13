#include "plot_export.h"

#include <QBuffer>
#include <QImage>
#include <QSvgGenerator>
#include <charconv>
#include <cmath>

namespace trainlab {

namespace {

constexpr int kCsvChunkBytes = 1 << 20;

bool fail(QString* error, const QString& message) {
    if (error) *error = message;
    return false;
}

}  // namespace

bool writeAtomically(const QString& path, const QByteArray& bytes, const char* what,
                     QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return fail(error, QStringLiteral("Cannot write %1 to %2: %3")
                               .arg(QLatin1String(what), path, file.errorString()));
    return true;
}

bool exportPng(const ExportSource& source, const QString& path, int w, int h, double scale,
               QString* error) {
    if (w <= 0 || h <= 0 || !(scale > 0))
        return fail(error,
                    QStringLiteral("Invalid PNG size %1×%2 at scale %3").arg(w).arg(h).arg(scale));
    const QColor background = source.exportBackground();
    QImage image(qRound(scale * w), qRound(scale * h),
                 background.alpha() == 255 ? QImage::Format_RGB32
                                           : QImage::Format_ARGB32_Premultiplied);
    image.fill(background);
    if (image.isNull() || !source.paintForExport(&image, w, h, scale, false))
        return fail(error, QStringLiteral("Cannot render the plot for %1").arg(path));
    const int dotsPerMeter = qRound(96.0 * scale / 0.0254);
    image.setDotsPerMeterX(dotsPerMeter);
    image.setDotsPerMeterY(dotsPerMeter);
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (!image.save(&buffer, "PNG"))
        return fail(error, QStringLiteral("Cannot encode the PNG for %1").arg(path));
    return writeAtomically(path, bytes, "PNG", error);
}

bool exportSvg(const ExportSource& source, const QString& path, int w, int h, QString* error) {
    if (w <= 0 || h <= 0)
        return fail(error, QStringLiteral("Invalid SVG size %1×%2").arg(w).arg(h));
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QSvgGenerator generator;
    generator.setOutputDevice(&buffer);
    generator.setSize(QSize(w, h));
    generator.setViewBox(QRect(0, 0, w, h));
    generator.setResolution(96);
    generator.setTitle(source.exportTitle());
    generator.setDescription(source.exportDescription());
    if (!source.paintForExport(&generator, w, h, 1.0, true))
        return fail(error, QStringLiteral("Cannot start the SVG painter for %1").arg(path));
    if (bytes.isEmpty())
        return fail(error, QStringLiteral("The SVG renderer produced nothing for %1").arg(path));
    return writeAtomically(path, bytes, "SVG", error);
}

CsvExport::CsvExport(const QString& path) : file_(path) {
    ok_ = file_.open(QIODevice::WriteOnly);
    out_.reserve(kCsvChunkBytes);
}

void CsvExport::number(double v) {
    if (std::isnan(v)) {
        out_.append("nan");
    } else if (std::isinf(v)) {
        out_.append(v > 0 ? "inf" : "-inf");
    } else {
        char buf[64];
        const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 9);
        out_.append(buf, static_cast<int>(res.ptr - buf));
    }
}

void CsvExport::quoted(const std::string& s) {
    out_.append('"');
    for (char ch : s) {
        if (ch == '"') out_.append('"');
        out_.append(ch);
    }
    out_.append('"');
}

void CsvExport::field(const QString& s) {
    const QByteArray utf8 = s.toUtf8();
    if (utf8.contains(',') || utf8.contains('"') || utf8.contains('\n') || utf8.contains('\r'))
        quoted(utf8.toStdString());
    else
        out_.append(utf8);
}

void CsvExport::endRow() {
    out_.append('\n');
    if (out_.size() > kCsvChunkBytes) {
        if (ok_) ok_ = file_.write(out_) == out_.size();
        out_.clear();
    }
}

bool CsvExport::commit(QString* error) {
    if (ok_ && !out_.isEmpty()) ok_ = file_.write(out_) == out_.size();
    out_.clear();
    if (!ok_ || !file_.commit())
        return fail(error, QStringLiteral("Cannot write CSV to %1: %2")
                               .arg(file_.fileName(), file_.errorString()));
    return true;
}

}  // namespace trainlab
