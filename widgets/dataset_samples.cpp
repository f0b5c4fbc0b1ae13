#include "dataset_samples.h"

#include <QGridLayout>
#include <QLabel>
#include <QLocale>
#include <QPixmap>
#include <QWidget>
#include <algorithm>
#include <exception>

#include "datasets_window.h"

namespace trainlab {

namespace {

constexpr int kTileTarget = 64;  // displayed tile side the scaling aims at, in pixels

/// One image of `raw` (CHW bytes) as a QImage: grey for one channel, RGB for three (other
/// channel counts show their first channel).
QImage toImage(const RawImages& raw, std::int64_t index) {
    const int w = static_cast<int>(raw.w), h = static_cast<int>(raw.h);
    const std::uint8_t* px = raw.image(index);
    const std::int64_t plane = raw.h * raw.w;
    if (raw.c == 3) {
        QImage img(w, h, QImage::Format_RGB888);
        for (int y = 0; y < h; ++y) {
            uchar* line = img.scanLine(y);
            for (int x = 0; x < w; ++x) {
                const std::int64_t i = std::int64_t(y) * w + x;
                line[3 * x] = px[i];
                line[3 * x + 1] = px[plane + i];
                line[3 * x + 2] = px[2 * plane + i];
            }
        }
        return img;
    }
    QImage img(w, h, QImage::Format_Grayscale8);
    for (int y = 0; y < h; ++y) std::copy_n(px + std::int64_t(y) * w, w, img.scanLine(y));
    return img;
}

/// Small images are enlarged by a whole factor with nearest-neighbour (pixels stay crisp);
/// large ones are reduced smoothly to about kTileTarget.
QImage scaledTile(const QImage& img) {
    const int side = std::max(img.width(), img.height());
    if (side <= 0) return img;
    if (side <= kTileTarget) {
        const int factor = std::clamp(kTileTarget / side, 1, 3);
        return img.scaled(img.width() * factor, img.height() * factor, Qt::IgnoreAspectRatio,
                          Qt::FastTransformation);
    }
    return img.scaled(kTileTarget, kTileTarget, Qt::KeepAspectRatio, Qt::SmoothTransformation);
}

}  // namespace

QString formatBytes(qint64 bytes) {
    const double b = static_cast<double>(bytes);
    if (bytes < 1000) return DatasetsWindow::tr("%1 bytes").arg(bytes);
    if (bytes < 1000 * 1000) return DatasetsWindow::tr("%1 kB").arg(b / 1e3, 0, 'f', 0);
    if (bytes < 1000LL * 1000 * 1000) return DatasetsWindow::tr("%1 MB").arg(b / 1e6, 0, 'f', 1);
    return DatasetsWindow::tr("%1 GB").arg(b / 1e9, 0, 'f', 2);
}

QString withThousands(qint64 n) {
    return QLocale(QLocale::English).toString(n);
}

void loadDatasetSamples(const DatasetLocation& location, DatasetSamples& out) {
    try {
        const RawDataset data = loadRawDataset(location);
        const RawImages& split = data.test.n > 0 ? data.test : data.train;
        out.split = data.test.n > 0 ? QStringLiteral("test") : QStringLiteral("train");
        out.trainCount = data.train.n;
        out.testCount = data.test.n;
        out.channels = static_cast<int>(split.c);
        out.height = static_cast<int>(split.h);
        out.width = static_cast<int>(split.w);
        for (const auto& n : split.classNames) out.classNames << QString::fromStdString(n);
        out.tiles.resize(split.classNames.size());
        out.indices.resize(split.classNames.size());
        std::size_t full = 0;
        for (std::int64_t i = 0; i < split.n && full < out.tiles.size(); ++i) {
            const auto label = static_cast<std::size_t>(split.labels[i]);
            if (label >= out.tiles.size() || out.tiles[label].size() >= kSamplesPerClass) continue;
            out.tiles[label].push_back(scaledTile(toImage(split, i)));
            out.indices[label].push_back(i);
            if (out.tiles[label].size() == kSamplesPerClass) ++full;
        }
    } catch (const std::exception& e) {
        out.error = QString::fromUtf8(e.what());
    } catch (...) {
        out.error = DatasetsWindow::tr("unknown error");
    }
}

QWidget* makeSamplesGrid(const DatasetSamples& s, int* count) {
    auto* grid = new QWidget;
    grid->setObjectName(QStringLiteral("samplesGrid"));
    auto* layout = new QGridLayout(grid);
    layout->setHorizontalSpacing(4);
    layout->setVerticalSpacing(4);
    int tiles = 0;
    for (std::size_t c = 0; c < s.tiles.size(); ++c) {
        const int row = static_cast<int>(c);
        auto* name = new QLabel(s.classNames.value(row), grid);
        name->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        layout->addWidget(name, row, 0);
        if (s.tiles[c].empty()) {
            auto* none = new QLabel(DatasetsWindow::tr("no %1 images").arg(s.split), grid);
            none->setEnabled(false);
            layout->addWidget(none, row, 1, 1, kSamplesPerClass);
        }
        for (std::size_t k = 0; k < s.tiles[c].size(); ++k) {
            auto* tile = new QLabel(grid);
            tile->setObjectName(QStringLiteral("sampleTile"));
            tile->setPixmap(QPixmap::fromImage(s.tiles[c][k]));
            tile->setFixedSize(s.tiles[c][k].size());
            tile->setToolTip(DatasetsWindow::tr("%1 · %2 image #%3")
                                 .arg(s.classNames.value(row), s.split)
                                 .arg(s.indices[c][k]));
            layout->addWidget(tile, row, 1 + static_cast<int>(k));
            ++tiles;
        }
    }
    layout->setColumnStretch(kSamplesPerClass + 1, 1);
    layout->setRowStretch(static_cast<int>(s.tiles.size()), 1);
    if (count) *count = tiles;
    return grid;
}

}  // namespace trainlab
