// Image folders, the listing: class sub-folders and their image files, and the fingerprint
// that tells whether a cache still matches the folder.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "errors.h"
#include "image_folder.h"
#include "image_listing.h"
#include "read_util.h"

namespace trainlab {

namespace detail {

namespace {

bool isImageName(const char* name) {
    const char* dot = std::strrchr(name, '.');
    if (!dot || dot == name) return false;
    std::string ext(dot + 1);
    if (ext.size() > 4) return false;
    for (char& ch : ext) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    return ext == "png" || ext == "jpg" || ext == "jpeg";
}

std::int64_t mtimeNs(const struct stat& st) {
    return std::int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + std::int64_t(st.st_mtim.tv_nsec);
}

struct DirCloser {
    DIR* d;
    ~DirCloser() {
        if (d) ::closedir(d);
    }
};

}  // namespace

Listing listImageFolder(const std::filesystem::path& splitDir) {
    const std::string root = splitDir.string();
    Listing out;
    DirCloser top{::opendir(splitDir.c_str())};
    if (!top.d) {
        if (errno == ENOENT || errno == ENOTDIR) throw DataError(root, "folder does not exist");
        throw IoError(sysFault("cannot list", root, errno));
    }
    struct stat st {};
    if (::fstat(::dirfd(top.d), &st) == 0) out.newestMtime = mtimeNs(st);
    while (dirent* de = ::readdir(top.d)) {
        if (de->d_name[0] == '.') continue;
        if (::fstatat(::dirfd(top.d), de->d_name, &st, 0) != 0 || !S_ISDIR(st.st_mode)) continue;
        out.newestMtime = std::max(out.newestMtime, mtimeNs(st));
        out.classes.push_back({de->d_name, {}});
    }
    std::sort(out.classes.begin(), out.classes.end(),
              [](const ClassDir& a, const ClassDir& b) { return a.name < b.name; });
    for (ClassDir& c : out.classes) {
        const std::string dir = root + "/" + c.name;
        DirCloser d{::opendir(dir.c_str())};
        if (!d.d) throw IoError(sysFault("cannot list", dir, errno));
        const int fd = ::dirfd(d.d);
        while (dirent* de = ::readdir(d.d)) {
            if (de->d_name[0] == '.' || !isImageName(de->d_name)) continue;
            if (de->d_type != DT_REG && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN) continue;
            if (::fstatat(fd, de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
            c.files.push_back({de->d_name, std::int64_t(st.st_size)});
            out.files += 1;
            out.bytes += std::int64_t(st.st_size);
            out.newestMtime = std::max(out.newestMtime, mtimeNs(st));
        }
        std::sort(c.files.begin(), c.files.end(),
                  [](const ImageFile& a, const ImageFile& b) { return a.name < b.name; });
    }
    return out;
}

}  // namespace detail

FolderFingerprint fingerprintFolder(const std::filesystem::path& splitDir) {
    const detail::Listing l = detail::listImageFolder(splitDir);
    FolderFingerprint fp;
    fp.files = l.files;
    fp.bytes = l.bytes;
    fp.newestMtime = l.newestMtime;
    return fp;
}

}  // namespace trainlab
