// The immutable snapshot: objects keyed by ObjectId, the metadata (kernel, capture,
// capabilities, warnings, ...), and the index. Objects are shared_ptr<const Object>, so
// consecutive snapshots of one process share every object that did not change.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <waitscope/model/ids.hpp>
#include <waitscope/model/record.hpp>

namespace waitscope::model {

/// One kernel object of a snapshot: its id and every field the walker wrote (the whole JSON
/// object, `id`, `type` and `addr` included).
class Object {
public:
    Object(ObjectId id, Record fields) : m_id(id), m_fields(std::move(fields)) {}

    [[nodiscard]] ObjectId id() const { return m_id; }
    [[nodiscard]] Kind kind() const { return m_id.kind; }
    [[nodiscard]] std::uint64_t kaddr() const { return m_id.kaddr; }
    /// All fields (the JSON object).
    [[nodiscard]] const Record& fields() const { return m_fields; }
    /// Field `key` (invalid Field when absent). O(fields).
    [[nodiscard]] Field operator[](Key key) const { return m_fields[key]; }
    /// `partial` reason, or "" when the object was read completely.
    [[nodiscard]] std::string_view partial() const { return m_fields[Key::partial].str(); }
    /// `label` when the walker gave one, else "".
    [[nodiscard]] std::string_view label() const { return m_fields[Key::label].str(); }

private:
    ObjectId m_id;
    Record m_fields;
};

using ObjectPtr = std::shared_ptr<const Object>;

/// A contiguous run of objects of one kind in a snapshot's object list.
struct KindRange {
    Kind kind = Kind::Unknown;
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
};

/// Schema version a snapshot was read as.
struct SchemaVersion {
    int major = 0;
    int minor = 0;
};

/// An immutable snapshot. Objects are in id-text order (the file order); find() is O(1)
/// through an open-addressing index of 4 bytes per slot.
class Snapshot {
public:
    /// Build from objects (sorted here when needed) and metadata; duplicates must have been
    /// rejected by the caller. O(n log n) when unsorted, else O(n).
    Snapshot(std::vector<ObjectPtr> objects, std::shared_ptr<const Record> meta,
             SchemaVersion version, std::vector<std::string> loadNotes = {});

    /// Every object, in id-text order.
    [[nodiscard]] std::span<const ObjectPtr> objects() const { return m_objects; }
    [[nodiscard]] std::size_t size() const { return m_objects.size(); }
    /// The objects of one kind (contiguous because ids sort by type name first). O(kinds).
    [[nodiscard]] std::span<const ObjectPtr> objectsOf(Kind kind) const;
    /// The runs of kinds present, in order.
    [[nodiscard]] const std::vector<KindRange>& kindRanges() const { return m_ranges; }
    /// The object with this id, or nullptr. O(1) average.
    [[nodiscard]] const Object* find(ObjectId id) const;
    /// Shared pointer to the object with this id (empty when absent). O(1) average.
    [[nodiscard]] ObjectPtr findShared(ObjectId id) const;
    /// Position of `id` in objects(), or -1. O(1) average.
    [[nodiscard]] std::int64_t indexOf(ObjectId id) const;

    /// Top-level members other than `objects`: schema, kernel, capture, capabilities,
    /// modules, limits, warnings, and anything newer writers add.
    [[nodiscard]] const Record& meta() const { return *m_meta; }
    [[nodiscard]] std::shared_ptr<const Record> metaShared() const { return m_meta; }
    [[nodiscard]] SchemaVersion version() const { return m_version; }

    /// kernel.release, capture.source, capture.mark (empty when absent).
    [[nodiscard]] std::string_view kernelRelease() const;
    [[nodiscard]] std::string_view captureSource() const;
    [[nodiscard]] std::string_view captureMark() const;
    /// The `warnings` list: (id or invalid, message).
    struct Warning {
        ObjectId id;
        std::string message;
    };
    [[nodiscard]] std::vector<Warning> warnings() const;
    /// What the reader noticed (e.g. repeated member names), for the log.
    [[nodiscard]] const std::vector<std::string>& loadNotes() const { return m_loadNotes; }

    /// Number of objects this snapshot shares (same pointer) with `other`. O(n).
    [[nodiscard]] std::size_t sharedWith(const Snapshot& other) const;
    /// Heap bytes of the objects not shared with `other` (nullptr: all), plus the index.
    [[nodiscard]] std::size_t heapBytes(const Snapshot* other = nullptr) const;

private:
    std::vector<ObjectPtr> m_objects;
    std::vector<std::uint32_t> m_slots; ///< open addressing: object index + 1, 0 = empty
    std::vector<KindRange> m_ranges;
    std::shared_ptr<const Record> m_meta;
    SchemaVersion m_version;
    std::vector<std::string> m_loadNotes;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

} // namespace waitscope::model
