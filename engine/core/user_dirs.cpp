#include "user_dirs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

namespace fs = std::filesystem;

namespace trainlab {

namespace {
// Why `value` of environment variable `name` is not a usable folder (empty when it is): set,
// absolute, an existing directory; `privateToUser` also wants it owned by this user and not
// writable by others (the XDG runtime folder is 0700 by its specification).
std::string unusableDir(const char* name, const char* value, bool privateToUser) {
    const std::string n = name;
    if (!value) return n + " is unset";
    if (!*value) return n + " is empty";
    if (value[0] != '/') return n + " '" + value + "' is not an absolute path";
    struct stat st {};
    if (::stat(value, &st) != 0 || !S_ISDIR(st.st_mode))
        return n + " '" + value + "' is not a directory";
    if (privateToUser && (st.st_uid != ::geteuid() || (st.st_mode & 022) != 0))
        return n + " '" + value + "' is not a folder private to this user";
    return {};
}

// $xdgVariable when absolute, else $HOME/homeRelative when HOME is usable, else
// $XDG_RUNTIME_DIR when private to this user, else empty with the reason.
fs::path userBaseDir(const char* xdgVariable, const fs::path& homeRelative, std::string* whyNot) {
    if (const char* x = std::getenv(xdgVariable); x && x[0] == '/') return x;
    const char* home = std::getenv("HOME");
    const std::string homeFault = unusableDir("HOME", home, false);
    if (homeFault.empty()) return fs::path(home) / homeRelative;
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    const std::string runtimeFault = unusableDir("XDG_RUNTIME_DIR", runtime, true);
    if (runtimeFault.empty()) return runtime;
    if (whyNot) *whyNot = homeFault + " and " + runtimeFault;
    return {};
}

struct Pinned {
    fs::path path;
    std::string whyNot;
};
std::optional<Pinned> gPinnedData, gPinnedCache;

fs::path pinnedAnswer(const Pinned& pinned, std::string* whyNot) {
    if (whyNot && pinned.path.empty()) *whyNot = pinned.whyNot;
    return pinned.path;
}
}  // namespace

fs::path userDataHome(std::string* whyNot) {
    if (gPinnedData) return pinnedAnswer(*gPinnedData, whyNot);
    return userBaseDir("XDG_DATA_HOME", fs::path(".local") / "share", whyNot);
}

fs::path userCacheHome(std::string* whyNot) {
    if (gPinnedCache) return pinnedAnswer(*gPinnedCache, whyNot);
    return userBaseDir("XDG_CACHE_HOME", ".cache", whyNot);
}

void pinUserFolders() {
    Pinned data, cache;
    data.path = userDataHome(&data.whyNot);
    cache.path = userCacheHome(&cache.whyNot);
    gPinnedData = std::move(data);
    gPinnedCache = std::move(cache);
}

}  // namespace trainlab
