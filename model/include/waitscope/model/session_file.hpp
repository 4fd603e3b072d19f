// Session files (`waitscope.session/1`, docs/session-format.md): one file holding a
// session's snapshots, the first in full and each next one as a delta against its
// predecessor, plus the run's events and run.json when there are any. Loading shares every
// unchanged object with the previous snapshot, as loadSession() does.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <waitscope/model/result.hpp>
#include <waitscope/model/session.hpp>

namespace waitscope::model {

/// The first line of a session file.
inline constexpr std::string_view SessionMagic = "waitscope.session/1";

/// A session as stored: the snapshots plus the run's side files, verbatim.
struct SessionFile {
    Session session;
    std::string events; ///< Chrome Trace Event JSON (events.json), or empty
    std::string run;    ///< run.json of a lab run, or empty
};

/// Sizes of what writeSessionFile() wrote.
struct SessionWriteStats {
    std::size_t bytes = 0;
    std::size_t fullObjects = 0;  ///< objects of the first snapshot
    std::size_t deltaObjects = 0; ///< changed or added objects in the deltas
    std::size_t removed = 0;      ///< ids removed in the deltas
};

/// True when `head` (the file's first bytes) starts with SessionMagic.
[[nodiscard]] bool isSessionFile(std::string_view head);

/// Write `file` to `path` atomically. Throws base::Error on I/O errors. O(total objects).
SessionWriteStats writeSessionFile(const std::filesystem::path& path, const SessionFile& file);

/// Read a session file; entries get `path` as their source. O(size).
[[nodiscard]] Result<SessionFile> loadSessionFile(const std::filesystem::path& path,
                                                  const LoadOptions& options = {});

/// A lab run directory (its snapshots in run.json's order, events.json, run.json) as a
/// SessionFile.
[[nodiscard]] Result<SessionFile> sessionFromDirectory(const std::filesystem::path& dir,
                                                       const LoadOptions& options = {});

} // namespace waitscope::model
