// Diff of two snapshots by ObjectId: added, removed and changed objects, and for a changed
// object the names of the top-level fields that differ.
#pragma once

#include <string>
#include <vector>

#include <waitscope/model/snapshot.hpp>

namespace waitscope::model {

/// A changed object and the top-level fields (sorted by name) that were added, removed or
/// have another value.
struct ChangedObject {
    ObjectId id;
    std::vector<std::string> fields;
};

/// What differs from snapshot `a` (before) to `b` (after). Lists are in id-text order.
struct SnapshotDiff {
    std::vector<ObjectId> added;
    std::vector<ObjectId> removed;
    std::vector<ChangedObject> changed;

    [[nodiscard]] bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

/// Diff `a` -> `b`. Objects shared between the two (same pointer) are skipped without
/// comparing, so diffing consecutive session snapshots costs O(n) lookups plus the changed
/// objects' sizes.
[[nodiscard]] SnapshotDiff diffSnapshots(const Snapshot& a, const Snapshot& b);

/// {"added": [ids], "removed": [ids], "changed": [{"id": id, "fields": [names]}]}, with a
/// trailing newline; ids as in the snapshots.
[[nodiscard]] std::string diffToJson(const SnapshotDiff& diff);

/// One line per object ("+ id  label", "- id  label", "~ id: field, field") and a summary
/// line; labels come from the snapshot that has the object.
[[nodiscard]] std::string diffToText(const SnapshotDiff& diff, const Snapshot& a,
                                     const Snapshot& b);

} // namespace waitscope::model
