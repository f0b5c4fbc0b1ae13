// Issue 18 E: with HOME unset (or unusable) the datasets folder fell back to
// /tmp/.local/share/trainlab/datasets and the image cache to /tmp/.cache/trainlab: fixed names
// in a shared folder, which another user can create first, or put a link in their place. They
// now follow the runs folder's rules (userDataHome/userCacheHome): XDG variable, usable HOME,
// a private XDG_RUNTIME_DIR, else no folder at all.
#include <png.h>
#include <sys/stat.h>

#include <QTemporaryDir>
#include <QtTest>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "test_png.h"
#include "errors.h"
#include "user_dirs.h"
#include "dataset_catalog.h"
#include "image_folder.h"

using namespace trainlab;
namespace fs = std::filesystem;

namespace {

/// Clears the variables the folders depend on; restores them when the test ends.
struct CleanEnvironment {
    std::vector<std::pair<const char*, std::optional<std::string>>> vars;
    CleanEnvironment() {
        for (const char* v : {"HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
                              "TRAINLAB_DATA"}) {
            const char* x = std::getenv(v);
            vars.push_back({v, x ? std::optional<std::string>(x) : std::nullopt});
            ::unsetenv(v);
        }
    }
    ~CleanEnvironment() {
        for (const auto& [k, v] : vars) v ? ::setenv(k, v->c_str(), 1) : ::unsetenv(k);
    }
};

bool startsWith(const fs::path& p, const std::string& prefix) {
    return p.string().rfind(prefix, 0) == 0;
}

bool writePng(const fs::path& p, int seed) {
    std::vector<std::uint8_t> gray(16);
    for (std::size_t i = 0; i < gray.size(); ++i) gray[i] = std::uint8_t(seed * 31 + i * 9);
    return testing::writePngFile(p, 4, 4, 1, gray);
}

}  // namespace

class TstUserFolders : public QObject {
    Q_OBJECT
  private slots:
    void withoutAUsableHomeThereIsNoDatasetOrCacheFolder_data() {
        QTest::addColumn<QString>("home");
        QTest::newRow("unset") << "<unset>";
        QTest::newRow("empty") << "";
        QTest::newRow("relative") << "relative/home";
        QTest::newRow("a file") << "<file>";
        QTest::newRow("missing") << "<missing>";
    }
    void withoutAUsableHomeThereIsNoDatasetOrCacheFolder() {
        QFETCH(QString, home);
        QTemporaryDir tmp;
        const fs::path t = tmp.path().toStdString();
        CleanEnvironment clean;
        if (home == "<file>") {
            QFile f(tmp.filePath("a-file"));
            QVERIFY(f.open(QIODevice::WriteOnly));
            home = f.fileName();
        } else if (home == "<missing>") {
            home = tmp.filePath("missing");
        }
        if (home != "<unset>") ::setenv("HOME", home.toUtf8().constData(), 1);

        std::string why;
        QCOMPARE(userDataDir(&why).string(), std::string());
        QVERIFY2(why.find("no user folder for datasets: HOME") == 0, why.c_str());
        QVERIFY2(why.find("XDG_RUNTIME_DIR is unset") != std::string::npos, why.c_str());
        QVERIFY2(why.find("--data-dir") != std::string::npos &&
                     why.find("TRAINLAB_DATA") != std::string::npos,
                 why.c_str());
        QCOMPARE(userCacheHome().string(), std::string());
        QCOMPARE(imageCachePath(t / "set", "train").string(), std::string());
        // nothing under /tmp is searched; the other roots are
        const auto roots = datasetSearchRoots((t / "explicit").string());
        QCOMPARE(roots.size(), size_t(2));
        QCOMPARE(roots[0].origin, std::string("--data-dir"));
        QCOMPARE(roots[1].origin, std::string("Debian package"));
        // importing without a destination is refused, naming the ways to give one
        try {
            importDataset("mnist", t / "anything");
            QFAIL("importDataset accepted an empty destination");
        } catch (const DataError& e) {
            QVERIFY2(std::string(e.what()).find("--data-dir") != std::string::npos, e.what());
        }
        // a runtime folder others can write to is refused as well
        ::setenv("XDG_RUNTIME_DIR", "/tmp", 1);
        QCOMPARE(userDataDir(&why).string(), std::string());
        QVERIFY2(why.find("'/tmp' is not a folder private to this user") != std::string::npos,
                 why.c_str());
        QCOMPARE(imageCachePath(t / "set", "train").string(), std::string());
        // a private runtime folder is used for both
        ::setenv("XDG_RUNTIME_DIR", t.c_str(), 1);  // QTemporaryDir: 0700
        QCOMPARE(userDataDir().string(), (t / "trainlab" / "datasets").string());
        QVERIFY(startsWith(imageCachePath(t / "set", "train"), (t / "trainlab").string() + "/"));
        QCOMPARE(datasetSearchRoots()[0].path, t / "trainlab" / "datasets");
        QVERIFY(!fs::exists(tmp.filePath("relative").toStdString()));
    }

    void theXdgVariablesAndHomeAreFollowed() {
        QTemporaryDir tmp;
        const std::string t = tmp.path().toStdString();
        CleanEnvironment clean;
        ::setenv("HOME", t.c_str(), 1);
        QCOMPARE(userDataDir().string(), t + "/.local/share/trainlab/datasets");
        QVERIFY(startsWith(imageCachePath("/x", "train"), t + "/.cache/trainlab/"));
        // relative XDG variables are invalid by the specification: ignored
        ::setenv("XDG_DATA_HOME", "relative", 1);
        ::setenv("XDG_CACHE_HOME", "relative", 1);
        QCOMPARE(userDataDir().string(), t + "/.local/share/trainlab/datasets");
        QVERIFY(startsWith(imageCachePath("/x", "train"), t + "/.cache/trainlab/"));
        ::setenv("XDG_DATA_HOME", "/data", 1);
        ::setenv("XDG_CACHE_HOME", "/cache", 1);
        QCOMPARE(userDataDir().string(), std::string("/data/trainlab/datasets"));
        QVERIFY(startsWith(imageCachePath("/x", "train"), "/cache/trainlab/"));
        QCOMPARE(userDataHome().string(), std::string("/data"));
        QCOMPARE(userCacheHome().string(), std::string("/cache"));
    }

    // Without a cache folder an image folder still loads, decoded each time: before, the cache
    // was written to /tmp/.cache/trainlab and read back from there.
    void anImageFolderLoadsWithoutACacheFolder() {
        QTemporaryDir tmp;
        const fs::path root = fs::path(tmp.path().toStdString()) / "set";
        for (const char* cls : {"a", "b"}) {
            fs::create_directories(root / "train" / cls);
            QVERIFY(writePng(root / "train" / cls / "0.png", cls[0]));
        }
        CleanEnvironment clean;
        bool fromCache = true;
        for (int i = 0; i < 2; ++i) {
            const RawImages r = loadImageFolder(root, "train", &fromCache, 1);
            QCOMPARE(r.n, std::int64_t(2));
            QVERIFY(!fromCache);  // the second load found no cache: none was written
        }
    }
};

QTEST_GUILESS_MAIN(TstUserFolders)
#include "tst_user_folders.moc"
