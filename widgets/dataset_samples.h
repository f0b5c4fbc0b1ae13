// The sample images of the Datasets window: loaded from a located dataset (on a worker thread)
// and laid out as a grid of tiles, one row per class; and the window's number texts.
#pragma once

#include <QImage>
#include <QString>
#include <QStringList>
#include <vector>

#include "dataset_catalog.h"

class QWidget;

namespace trainlab {

/// Sample tiles shown per class.
constexpr int kSamplesPerClass = 8;

/// The sample images of one located dataset.
struct DatasetSamples {
    QString key, id, title, source;
    QStringList classNames;
    std::vector<std::vector<QImage>> tiles;    ///< per class, already scaled
    std::vector<std::vector<qint64>> indices;  ///< per class, index in the split
    QString split;                             ///< "test" (or "train" when test is empty)
    qint64 trainCount = 0, testCount = 0;
    int channels = 0, height = 0, width = 0;
    QString error;  ///< why the dataset could not be loaded; the rest is then empty
};

/// Loads `location` and fills `out` (whose key, id, title and source are already set) with
/// the first kSamplesPerClass images of each class of the test split (train when test is
/// empty). A load failure goes to out.error, never thrown. Any thread (no widgets).
void loadDatasetSamples(const DatasetLocation& location, DatasetSamples& out);

/// The grid of `s`: per class its name, then its tiles (tool tips name class, split and
/// index), or "no <split> images". `count` receives the number of tiles.
QWidget* makeSamplesGrid(const DatasetSamples& s, int* count);

/// "1.2 MB", "512 bytes": decimal units, as downloads are announced.
QString formatBytes(qint64 bytes);
/// "60,000" whatever the locale.
QString withThousands(qint64 n);

}  // namespace trainlab
