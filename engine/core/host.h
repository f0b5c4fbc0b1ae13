// This machine and this process as a run records them: the host name, the boot id, a process's
// start time, and the time now. Linux (/proc); plain C++ (no torch, no Qt).
#pragma once

#include <cstdint>
#include <string>

namespace trainlab {

/// This machine's host name, recorded in status.json to tell a dead local run from a remote one.
std::string currentHostName();

/// The start time of process `pid` in clock ticks since boot (field 22 of /proc/<pid>/stat),
/// or 0 when it cannot be read (no such process, no /proc).
std::int64_t processStartTicks(std::int64_t pid);

/// This boot's id (/proc/sys/kernel/random/boot_id without the line end), "" when unavailable.
std::string currentBootId();

/// The time now in ISO 8601 UTC ("2026-12-01T01:13:22Z").
std::string isoTimestampUtc();

}  // namespace trainlab
