#pragma once
// The user's own base folders (XDG base directory specification), shared by the default runs
// folder, the datasets folder and the image cache. Never a fixed folder in /tmp: another user
// could create it first, or a symbolic link in its place.

#include <filesystem>
#include <string>

namespace trainlab {

/// The user's data folder: $XDG_DATA_HOME (when absolute; a relative one is invalid by the
/// specification and ignored), else $HOME/.local/share (HOME set, absolute and a directory),
/// else $XDG_RUNTIME_DIR (absolute, a directory owned by this user and not writable by
/// others). With none of these: an empty path, and in `whyNot` (when given) why HOME and
/// XDG_RUNTIME_DIR are unusable, e.g. "HOME is unset and XDG_RUNTIME_DIR is unset".
std::filesystem::path userDataHome(std::string* whyNot = nullptr);

/// The user's cache folder, by the same rules: $XDG_CACHE_HOME (absolute), else $HOME/.cache,
/// else $XDG_RUNTIME_DIR; else an empty path and the reason in `whyNot`.
std::filesystem::path userCacheHome(std::string* whyNot = nullptr);

/// Fixes what userDataHome() and userCacheHome() answer to the environment as it is now, for
/// the rest of the process. trainlab-cli calls it before it gives Qt a runtime folder of its
/// own (XDG_RUNTIME_DIR=/tmp/trainlab-runtime-<uid>, a fixed name), which must never be taken
/// for the user's. Call it before any thread reads these folders.
void pinUserFolders();

}  // namespace trainlab
