// A session: the ordered snapshots of one target (lab marks, steps, or files opened one
// after another), sharing unchanged objects between neighbours.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <waitscope/model/result.hpp>
#include <waitscope/model/snapshot_io.hpp>

namespace waitscope::model {

/// One snapshot of a session with its name (mark) and where it came from.
struct SessionEntry {
    SnapshotPtr snapshot;
    std::string name;
    std::filesystem::path source;
};

/// An ordered list of snapshots. Copying is cheap (the snapshots are shared); the app keeps
/// a shared_ptr<const Session> and publishes a new one when a snapshot is added.
class Session {
public:
    [[nodiscard]] const std::vector<SessionEntry>& entries() const { return m_entries; }
    [[nodiscard]] std::size_t size() const { return m_entries.size(); }
    [[nodiscard]] bool empty() const { return m_entries.empty(); }
    [[nodiscard]] const SessionEntry& operator[](std::size_t i) const { return m_entries[i]; }
    /// The last snapshot, to share objects with when loading the next one (nullptr if none).
    [[nodiscard]] const Snapshot* last() const {
        return m_entries.empty() ? nullptr : m_entries.back().snapshot.get();
    }
    void append(SessionEntry entry) { m_entries.push_back(std::move(entry)); }
    /// Heap bytes of all snapshots, counting each shared object once. O(total objects).
    [[nodiscard]] std::size_t heapBytes() const;

private:
    std::vector<SessionEntry> m_entries;
};

/// The snapshot files of a session directory, in order: the marks of `run.json` (written by
/// `waitscope lab run`) whose `<mark>.json` / `<mark>.cbor` exist, else every *.json /
/// *.cbor file but run.json and events.json, by name.
[[nodiscard]] std::vector<std::filesystem::path> sessionFiles(const std::filesystem::path& dir);

/// Load files in order into a session, each sharing with the previous one. Stops at the
/// first error. `progress` gets (file index, fraction of that file).
[[nodiscard]] Result<Session> loadSession(const std::vector<std::filesystem::path>& files,
                                          const LoadOptions& options = {});

} // namespace waitscope::model
