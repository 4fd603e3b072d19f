// Reading and writing snapshots: JSON and the CBOR compact form, the schema version check
// and migrate() (the one function that knows about older versions).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <waitscope/model/result.hpp>
#include <waitscope/model/snapshot.hpp>

namespace waitscope::model {

/// "waitscope.snapshot/" — the schema string's prefix; the major (and optional ".minor")
/// follow.
inline constexpr std::string_view SchemaPrefix = "waitscope.snapshot/";
/// The newest schema major this build reads and the one it writes.
inline constexpr int CurrentSchemaMajor = 1;

/// Encoding of a snapshot file.
enum class Format { Json, Cbor };

/// Cbor when the bytes start with a CBOR self-describe tag (d9 d9 f7) or a CBOR map head,
/// Json otherwise. O(1).
[[nodiscard]] Format detectFormat(std::string_view bytes);

/// Options of a load.
struct LoadOptions {
    /// Objects equal to the one with the same id in `shareWith` reuse its pointer, so a
    /// session of many snapshots holds each unchanged object once.
    const Snapshot* shareWith = nullptr;
    /// Called now and then with the fraction read, 0..1 (from the loading thread).
    std::function<void(double)> progress;
    /// When set and true, the load stops with ErrorKind::Cancelled.
    const std::atomic<bool>* cancel = nullptr;
};

/// Parse "waitscope.snapshot/<major>[.<minor>]"; nullopt when it is not that form.
[[nodiscard]] std::optional<SchemaVersion> parseSchemaString(std::string_view text);

/// Bring a parsed document of schema `version` to the current major, rewriting `meta` and
/// `objects` in place. Newer majors are rejected with a message naming both versions;
/// older majors go through one step per major (v1 is the first published schema, so there
/// are no steps yet and anything below 1 is rejected); minors are additive and pass.
[[nodiscard]] Result<SchemaVersion> migrate(SchemaVersion version,
                                            std::shared_ptr<const Record>& meta,
                                            std::vector<ObjectPtr>& objects);

/// Read a snapshot from JSON or CBOR bytes (format detected). Every object needs a
/// canonical `id` whose type matches `type`; ids must be unique. O(size).
[[nodiscard]] Result<SnapshotPtr> loadSnapshot(std::string_view bytes,
                                               const LoadOptions& options = {});
/// Read a snapshot file; I/O errors become ErrorKind::Io.
[[nodiscard]] Result<SnapshotPtr> loadSnapshotFile(const std::filesystem::path& path,
                                                   const LoadOptions& options = {});

/// The snapshot as JSON: keys sorted, objects in id order, one object per line, integers
/// exactly as read. Loading the output gives an equal snapshot. O(size).
[[nodiscard]] std::string toJson(const Snapshot& snapshot);
/// The snapshot as CBOR with the self-describe tag (the same document as toJson). O(size).
[[nodiscard]] std::string toCbor(const Snapshot& snapshot);
/// Write `snapshot` to `path` atomically; throws base::Error on I/O errors.
void writeSnapshotFile(const std::filesystem::path& path, const Snapshot& snapshot,
                       Format format = Format::Json);

/// A record as compact JSON text (keys in stored order). O(size).
[[nodiscard]] std::string toJsonText(const Field& value);

} // namespace waitscope::model
