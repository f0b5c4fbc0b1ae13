#include "dataset_catalog.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <system_error>
#include <thread>

#include "cifar_reader.h"
#include "errors.h"
#include "idx_reader.h"
#include "image_folder.h"
#include "user_dirs.h"

namespace trainlab {

std::int64_t DatasetSpec::downloadBytes() const {
    std::int64_t n = 0;
    for (const auto& d : downloads) n += d.size;
    return n;
}

namespace {

const char* kIdxNames[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

std::vector<DownloadFile> idxDownloads(const std::string& base, const std::vector<std::string>& sha,
                                       const std::vector<std::int64_t>& sizes) {
    std::vector<DownloadFile> out;
    for (int i = 0; i < 4; ++i) {
        const std::string name = std::string(kIdxNames[i]) + ".gz";
        out.push_back({name, base + name, sha[i], sizes[i]});
    }
    return out;
}

/// A 28×28 grey IDX dataset of 60,000 training and 10,000 test images in 10 classes.
DatasetSpec idxSpec(std::string id, std::string title, std::vector<std::string> classNames,
                    float mean, float std, std::vector<DownloadFile> downloads,
                    std::vector<std::string> folderNames, std::string substitute) {
    DatasetSpec spec;
    spec.id = std::move(id);
    spec.title = std::move(title);
    spec.format = DatasetFormat::Idx;
    spec.trainCount = 60000;
    spec.testCount = 10000;
    spec.classNames = std::move(classNames);
    spec.mean = {mean};
    spec.std = {std};
    spec.downloads = std::move(downloads);
    spec.folderNames = std::move(folderNames);
    spec.substitute = std::move(substitute);
    return spec;
}

std::vector<DatasetSpec> makeSpecs() {
    std::vector<DatasetSpec> specs;
    // The PyTorch mirror of the canonical files (yann.lecun.com refuses most downloads).
    specs.push_back(
        idxSpec("mnist", "MNIST handwritten digits",
                {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, 0.1307f, 0.3081f,
                idxDownloads("https://ossci-datasets.s3.amazonaws.com/mnist/",
                             {"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                              "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                              "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                              "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
                             {9912422, 28881, 1648877, 4542}),
                {"mnist", "MNIST"}, "fashion-mnist"));
    specs.push_back(
        idxSpec("fashion-mnist", "Fashion-MNIST clothing images",
                {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"},
                0.2860f, 0.3530f,
                idxDownloads("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                             {"3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                              "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
                              "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                              "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"},
                             {26421880, 29515, 4422102, 5148}),
                {"fashion-mnist", "fashion_mnist", "FashionMNIST"}, "mnist"));

    DatasetSpec cifar;
    cifar.id = "cifar10";
    cifar.title = "CIFAR-10 colour images";
    cifar.format = DatasetFormat::CifarBinary;
    cifar.channels = 3;
    cifar.height = 32;
    cifar.width = 32;
    cifar.trainCount = 50000;
    cifar.testCount = 10000;
    cifar.classNames = cifar10ClassNames();
    cifar.mean = {0.4914f, 0.4822f, 0.4465f};
    cifar.std = {0.2023f, 0.1994f, 0.2010f};
    cifar.downloads = {
        {"cifar-10-binary.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
         "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", 170052171}};
    cifar.folderNames = {"cifar10", "cifar-10", "cifar10-jpeg", "cifar-10-batches-bin", "CIFAR10"};
    cifar.substitute = "fashion-mnist";
    specs.push_back(cifar);
    return specs;
}

bool isFile(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}
bool isDir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

/// The IDX file of `base` name in `dir`, gzip or raw; empty when absent.
fs::path idxFile(const fs::path& dir, const std::string& base) {
    if (isFile(dir / (base + ".gz"))) return dir / (base + ".gz");
    if (isFile(dir / base)) return dir / base;
    // Some distributions use a dot: train-images.idx3-ubyte
    std::string dotted = base;
    const auto dash = dotted.find("-idx");
    if (dash != std::string::npos) {
        dotted[dash] = '.';
        if (isFile(dir / (dotted + ".gz"))) return dir / (dotted + ".gz");
        if (isFile(dir / dotted)) return dir / dotted;
    }
    return {};
}

bool hasCifarBatches(const fs::path& dir) {
    for (int i = 1; i <= 5; ++i)
        if (!isFile(dir / ("data_batch_" + std::to_string(i) + ".bin"))) return false;
    return isFile(dir / "test_batch.bin");
}

bool isImageFolderRoot(const fs::path& dir) {
    if (!isDir(dir / "train") || !isDir(dir / "test")) return false;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / "train", ec))
        if (e.is_directory(ec)) return true;
    return false;
}

std::int64_t sizeOnDisk(const fs::path& p) {
    std::error_code ec;
    if (isFile(p)) return static_cast<std::int64_t>(fs::file_size(p, ec));
    std::int64_t total = 0;
    for (auto it =
             fs::recursive_directory_iterator(p,
                                              fs::directory_options::skip_permission_denied |
                                                  fs::directory_options::follow_directory_symlink,
                                              ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) break;
        if (it->is_regular_file(ec)) total += static_cast<std::int64_t>(it->file_size(ec));
    }
    return total;
}

/// Recognises `dir` as a copy of `spec`; fills `loc` (except root) when it is.
bool recognise(const DatasetSpec& spec, const fs::path& dir, DatasetLocation& loc) {
    loc.id = spec.id;
    if (spec.format == DatasetFormat::Idx) {
        for (const char* base : kIdxNames)
            if (idxFile(dir, base).empty()) return false;
        loc.path = dir;
        loc.format = DatasetFormat::Idx;
        loc.detail = idxFile(dir, kIdxNames[0]).extension() == ".gz" ? "IDX, gzip" : "IDX";
        return true;
    }
    if (isFile(dir / "cifar-10-binary.tar.gz")) {
        loc.path = dir / "cifar-10-binary.tar.gz";
        loc.format = DatasetFormat::CifarBinary;
        loc.detail = "CIFAR-10 binary in cifar-10-binary.tar.gz";
        return true;
    }
    for (const fs::path& d : {dir, dir / "cifar-10-batches-bin"}) {
        if (hasCifarBatches(d)) {
            loc.path = d;
            loc.format = DatasetFormat::CifarBinary;
            loc.detail = "CIFAR-10 binary batches";
            return true;
        }
    }
    if (isImageFolderRoot(dir)) {
        loc.path = dir;
        loc.format = DatasetFormat::ImageFolder;
        loc.detail = "image folder (train/, test/)";
        return true;
    }
    return false;
}

void checkShape(const DatasetSpec& spec, const RawImages& r, const std::string& split) {
    if (r.c != spec.channels || r.h != spec.height || r.w != spec.width)
        throw DataError(r.source, split + " images are " + std::to_string(r.c) + "x" +
                                      std::to_string(r.h) + "x" + std::to_string(r.w) + ", " +
                                      spec.title + " has " + std::to_string(spec.channels) + "x" +
                                      std::to_string(spec.height) + "x" +
                                      std::to_string(spec.width));
    if (r.classNames.size() != spec.classNames.size())
        throw DataError(r.source, split + " has " + std::to_string(r.classNames.size()) +
                                      " classes, " + spec.title + " has " +
                                      std::to_string(spec.classNames.size()));
}

}  // namespace

const std::vector<DatasetSpec>& knownDatasets() {
    static const std::vector<DatasetSpec> specs = makeSpecs();
    return specs;
}

const DatasetSpec* findDatasetSpec(const std::string& id) {
    for (const auto& s : knownDatasets())
        if (s.id == id) return &s;
    return nullptr;
}

fs::path userDataDir(std::string* whyNot) {
    std::string why;
    const fs::path base = userDataHome(&why);
    if (!base.empty()) return base / "trainlab" / "datasets";
    if (whyNot)
        *whyNot = "no user folder for datasets: " + why +
                  "; name one with --data-dir DIR or the environment variable TRAINLAB_DATA";
    return {};
}

std::vector<SearchRoot> datasetSearchRoots(const fs::path& explicitDir) {
    std::vector<SearchRoot> roots;
    if (!explicitDir.empty()) roots.push_back({explicitDir, "--data-dir"});
    if (const char* env = std::getenv("TRAINLAB_DATA"); env && *env)
        roots.push_back({env, "TRAINLAB_DATA"});
    if (fs::path user = userDataDir(); !user.empty())
        roots.push_back({std::move(user), "user data folder"});
    roots.push_back({"/usr/share/datasets", "Debian package"});
    return roots;
}

std::optional<DatasetLocation> locateDataset(const std::string& id,
                                             const std::vector<SearchRoot>& roots) {
    const DatasetSpec* spec = findDatasetSpec(id);
    if (!spec) return std::nullopt;
    for (const auto& root : roots) {
        std::vector<fs::path> candidates;
        const std::string rootName = root.path.filename().string();
        for (const auto& name : spec->folderNames) {
            candidates.push_back(root.path / name);
            if (rootName == name) candidates.push_back(root.path);
        }
        for (const auto& dir : candidates) {
            if (!isDir(dir)) continue;
            DatasetLocation loc;
            if (recognise(*spec, dir, loc)) {
                loc.root = root;
                loc.bytes = sizeOnDisk(loc.path);
                return loc;
            }
        }
    }
    return std::nullopt;
}

RawDataset loadRawDataset(const DatasetLocation& loc, const ReadLimits& limits) {
    const DatasetSpec* spec = findDatasetSpec(loc.id);
    if (!spec) throw DataError(loc.path.string(), "unknown dataset '" + loc.id + "'");
    RawDataset d;
    d.id = loc.id;
    switch (loc.format) {
        case DatasetFormat::Idx: {
            // The test split is read on a second thread while the train split is read here.
            std::exception_ptr testError;
            std::thread testReader([&] {
                try {
                    d.test = readIdxPair(idxFile(loc.path, kIdxNames[2]),
                                         idxFile(loc.path, kIdxNames[3]), spec->classNames, limits);
                } catch (...) {
                    testError = std::current_exception();
                }
            });
            try {
                d.train = readIdxPair(idxFile(loc.path, kIdxNames[0]),
                                      idxFile(loc.path, kIdxNames[1]), spec->classNames, limits);
            } catch (...) {
                testReader.join();
                throw;
            }
            testReader.join();
            if (testError) std::rethrow_exception(testError);
            break;
        }
        case DatasetFormat::CifarBinary:
            if (isFile(loc.path)) {
                CifarSplits s = readCifarArchive(loc.path, limits);
                d.train = std::move(s.train);
                d.test = std::move(s.test);
            } else {
                std::vector<fs::path> batches;
                for (int i = 1; i <= 5; ++i)
                    batches.push_back(loc.path / ("data_batch_" + std::to_string(i) + ".bin"));
                d.train = readCifarBatches(batches, limits);
                d.test = readCifarBatches({loc.path / "test_batch.bin"}, limits);
            }
            break;
        case DatasetFormat::ImageFolder: {
            bool trainCached = false, testCached = false;
            d.train = loadImageFolder(loc.path, "train", &trainCached, 2, limits);
            d.test = loadImageFolder(loc.path, "test", &testCached, 2, limits);
            d.fromCache = trainCached && testCached;
            break;
        }
    }
    checkShape(*spec, d.train, "train");
    checkShape(*spec, d.test, "test");
    return d;
}

namespace {

/// The user's copy to import, recognised: a CIFAR-10 archive, or a folder holding `spec`'s
/// files. Throws DataError saying what was expected.
DatasetLocation importSource(const DatasetSpec& spec, const fs::path& source) {
    DatasetLocation src;
    if (isFile(source)) {
        if (spec.id != "cifar10")
            throw DataError(
                source.string(),
                "a single file can only be CIFAR-10's cifar-10-binary.tar.gz; choose the "
                "folder holding the four IDX files instead");
        src.id = spec.id;
        src.path = source;
        src.format = DatasetFormat::CifarBinary;
    } else if (!isDir(source) || !recognise(spec, source, src)) {
        throw DataError(source.string(),
                        "does not hold " + spec.title +
                            (spec.format == DatasetFormat::Idx
                                 ? " (expected the four IDX files train-images-idx3-ubyte[.gz] …)"
                                 : " (expected cifar-10-binary.tar.gz, the *.bin batches, or "
                                   "train/ and test/ image folders)"));
    }
    return src;
}

/// Copies `from` to `to` through "<to>.part" and a rename; throws IoError naming both.
void copyFileWhole(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    const fs::path tmp = to.string() + ".part";
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
    if (!ec) fs::rename(tmp, to, ec);
    if (ec) {
        const std::string why = ec.message();
        fs::remove(tmp, ec);
        throw IoError("cannot copy '" + from.string() + "' to '" + to.string() + "': " + why);
    }
}

/// Puts the files of `src` into `dest`: IDX files and CIFAR batches or archive copied, image
/// folders' train/ and test/ linked (tens of thousands of small files).
void placeDatasetFiles(const DatasetLocation& src, const fs::path& dest) {
    std::error_code ec;
    switch (src.format) {
        case DatasetFormat::Idx:
            for (const char* base : kIdxNames) {
                const fs::path f = idxFile(src.path, base);
                copyFileWhole(f,
                              dest / (std::string(base) + (f.extension() == ".gz" ? ".gz" : "")));
            }
            break;
        case DatasetFormat::CifarBinary:
            if (isFile(src.path)) {
                copyFileWhole(src.path, dest / "cifar-10-binary.tar.gz");
            } else {
                for (int i = 1; i <= 5; ++i) {
                    const std::string n = "data_batch_" + std::to_string(i) + ".bin";
                    copyFileWhole(src.path / n, dest / n);
                }
                copyFileWhole(src.path / "test_batch.bin", dest / "test_batch.bin");
            }
            break;
        case DatasetFormat::ImageFolder:
            for (const char* split : {"train", "test"}) {
                fs::remove(dest / split, ec);
                fs::create_directory_symlink(fs::absolute(src.path / split), dest / split, ec);
                if (ec)
                    throw IoError("cannot link '" + (dest / split).string() + "': " + ec.message());
            }
            break;
    }
}

}  // namespace

DatasetLocation importDataset(const std::string& id, const fs::path& source,
                              const fs::path& destinationRoot) {
    const DatasetSpec* spec = findDatasetSpec(id);
    if (!spec)
        throw DataError(source.string(),
                        "unknown dataset '" + id + "' (mnist, fashion-mnist or cifar10)");
    if (destinationRoot.empty()) {  // userDataDir() found no folder of the user's
        std::string why;
        userDataDir(&why);
        throw DataError(source.string(), "cannot import: " + why);
    }
    const DatasetLocation src = importSource(*spec, source);
    loadRawDataset(src);  // refuse what does not load, before copying anything

    const fs::path dest = destinationRoot / id;
    std::error_code ec;
    fs::create_directories(dest, ec);
    if (ec) throw IoError("cannot create '" + dest.string() + "': " + ec.message());
    placeDatasetFiles(src, dest);
    auto loc = locateDataset(id, {{destinationRoot, "user data folder"}});
    if (!loc) throw DataError(dest.string(), "imported files were not recognised");
    // Say what was done: an image folder is linked, not copied, and needs its source.
    if (src.format == DatasetFormat::ImageFolder)
        loc->detail = "image folder; train/ and test/ are links to '" +
                      fs::absolute(src.path).lexically_normal().string() +
                      "', not copies: keep that folder";
    else
        loc->detail += ", copied";
    return *loc;
}

std::string sha256File(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot open '" + path.string() + "'");
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
        throw IoError("SHA-256 is unavailable");
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const auto n = in.gcount();
        if (n > 0) EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
    }
    if (in.bad()) throw IoError("cannot read '" + path.string() + "'");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx.get(), md, &len);
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}

}  // namespace trainlab
