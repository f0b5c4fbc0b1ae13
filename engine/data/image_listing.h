// The listing of an image folder <split>/<class>/<image> (internal to trainlab_data): what
// decodeImageFolder decodes and what fingerprintFolder summarises.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace trainlab::detail {

struct ImageFile {
    std::string name;
    std::int64_t bytes = 0;
};

struct ClassDir {
    std::string name;
    std::vector<ImageFile> files;
};

struct Listing {
    std::vector<ClassDir> classes;
    std::int64_t files = 0, bytes = 0, newestMtime = 0;
};

/// Lists <splitDir>/<class>/<image>: class sub-folders and image files (.png, .jpg, .jpeg),
/// hidden entries (names starting with '.') skipped, both sorted by name. Folder and file
/// times feed the newest mtime, so that renaming, adding or removing a file changes the
/// fingerprint. Throws DataError when the folder does not exist, IoError when it cannot be
/// listed.
Listing listImageFolder(const std::filesystem::path& splitDir);

}  // namespace trainlab::detail
