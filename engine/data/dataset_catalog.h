// The datasets trainlab knows, where it looks for them, and loading them as raw bytes.
// Plain C++ (no torch, no Qt): the CLI, the GUI's Datasets window and the engine share it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "raw_images.h"

namespace trainlab {

namespace fs = std::filesystem;

enum class DatasetFormat { Idx, CifarBinary, ImageFolder };

/// One file of a canonical download.
struct DownloadFile {
    std::string name;    ///< "train-images-idx3-ubyte.gz"
    std::string url;     ///< canonical address
    std::string sha256;  ///< lower-case hex of the canonical file
    std::int64_t size = 0;
};

struct DatasetSpec {
    std::string id;     ///< "mnist", "fashion-mnist", "cifar10"
    std::string title;  ///< "MNIST handwritten digits"
    DatasetFormat format = DatasetFormat::Idx;
    std::int64_t channels = 1, height = 28, width = 28;
    std::int64_t trainCount = 0, testCount = 0;
    std::vector<std::string> classNames;
    std::vector<float> mean, std;  ///< per-channel normalisation (science.md)
    std::vector<DownloadFile> downloads;
    std::vector<std::string> folderNames;  ///< folder names that hold it under a search root
    std::string substitute;                ///< dataset to offer when this one is absent
    std::int64_t downloadBytes() const;
};

/// mnist, fashion-mnist, cifar10.
const std::vector<DatasetSpec>& knownDatasets();
const DatasetSpec* findDatasetSpec(const std::string& id);

/// A search root and why it is searched.
struct SearchRoot {
    fs::path path;
    std::string origin;  ///< "--data-dir", "TRAINLAB_DATA", "user data folder", "Debian package"
};

/// In order: `explicitDir` (if not empty), $TRAINLAB_DATA, userDataDir() (if there is one),
/// /usr/share/datasets (Debian's dataset-* packages).
std::vector<SearchRoot> datasetSearchRoots(const fs::path& explicitDir = {});

/// <userDataHome()>/trainlab/datasets: $XDG_DATA_HOME/trainlab/datasets,
/// ~/.local/share/trainlab/datasets or $XDG_RUNTIME_DIR/trainlab/datasets. Never a fixed folder
/// in /tmp: with none of these, an empty path (not searched, nothing downloaded or imported
/// into it) and in `whyNot` the reason, naming --data-dir and TRAINLAB_DATA.
fs::path userDataDir(std::string* whyNot = nullptr);

/// Where a dataset was found and in what form.
struct DatasetLocation {
    std::string id;
    fs::path path;  ///< the dataset's folder (or archive for CIFAR's tar.gz)
    SearchRoot root;
    DatasetFormat format = DatasetFormat::Idx;
    std::int64_t bytes = 0;  ///< size on disk
    std::string
        detail;  ///< "IDX, gzip", "CIFAR-10 binary in cifar-10-binary.tar.gz", "image folder"
};

/// The first usable copy of `id` in `roots` order, or nullopt.
std::optional<DatasetLocation> locateDataset(const std::string& id,
                                             const std::vector<SearchRoot>& roots);

/// Train and test splits as bytes, validated.
struct RawDataset {
    std::string id;
    RawImages train, test;
    bool fromCache = false;  ///< image folders: decoded pixels came from the cache file
};

/// Loads a located dataset (IDX pair per split; CIFAR batches or archive; image folder with
/// its cache). Throws DataError naming the file and the fault.
RawDataset loadRawDataset(const DatasetLocation& location, const ReadLimits& limits = {});

/// Copies a user's IDX files, CIFAR-10 batches or archive into <userDataDir>/<id>, verifying
/// they load first; image folders (tens of thousands of files) are linked instead: train/ and
/// test/ become symlinks to the source's, whose decoded cache goes to the user's cache folder
/// (nothing is ever written into `source`). `source` may be a folder or a single archive.
/// Returns the new location, whose `detail` says "copied" or which folder it links to.
/// Throws DataError / IoError; DataError when `destinationRoot` is empty (no user data folder).
DatasetLocation importDataset(const std::string& id, const fs::path& source,
                              const fs::path& destinationRoot = userDataDir());

/// Lower-case hex SHA-256 of a file (OpenSSL). Throws IoError.
std::string sha256File(const fs::path& path);

}  // namespace trainlab
