// A compact, immutable JSON-like value tree (one per snapshot object and one for the
// snapshot's metadata), with interned keys and typed read access.
//
// [SECTION] Keys: interned member names, with fixed values for the schema's keys
// [SECTION] Node: the 16-byte flattened form
// [SECTION] Record: nodes + string bytes, built once by RecordBuilder
// [SECTION] Field: a read-only cursor into a Record
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <waitscope/model/ids.hpp>

namespace waitscope::model {

// [SECTION] Keys -----------------------------------------------------------------------

/// The schema's member names, interned at fixed values so that typed accessors need no
/// lookup. Names not listed here are interned at run time (values >= DynamicKeyBase).
// clang-format off
#define WAITSCOPE_MODEL_KEYS(X)                                                             \
    X(id) X(type) X(addr) X(partial) X(label) X(pid) X(tgid) X(comm) X(state) X(state_raw)  \
    X(cpu) X(on_cpu) X(flags) X(kthread) X(leader) X(files) X(waiting_on) X(stack) X(pc)    \
    X(symbol) X(fds) X(fd) X(file) X(users) X(kind) X(name) X(f_op) X(f_flags) X(f_mode)    \
    X(refs) X(private_) X(epitems) X(owners) X(ready) X(ovflist) X(ovflist_active) X(wq)    \
    X(poll_wait) X(wq_head) X(poll_wait_head) X(rbtree) X(root) X(count) X(inorder)         \
    X(leftmost) X(nested) X(lock) X(mtx) X(locked) X(owner) X(gen) X(loop_check_depth)      \
    X(ep) X(tfd) X(events) X(data) X(color) X(rb) X(parent) X(left) X(right) X(index)       \
    X(on_ready) X(on_ovflist) X(pwqs) X(entry) X(head) X(nested_ep) X(wakeup_source)        \
    X(active) X(entries) X(container) X(field) X(func) X(func_addr) X(flag_names)           \
    X(owner_kind) X(eppoll_entry) X(tail) X(ring_size) X(readers) X(writers) X(rd_wait)     \
    X(wr_wait) X(bytes) X(wqh) X(family) X(sock_type) X(ticks) X(clockid) X(expires_ns)     \
    X(instance) X(rx_wait) X(fifo) X(circ) X(work) X(rate_work) X(work_running) X(hold)     \
    X(stats) X(max_active) X(unbound) X(pool) X(nr_active) X(nr_in_flight) X(inactive)      \
    X(pool_id) X(node) X(nice) X(bh) X(nr_running) X(nr_workers) X(nr_idle) X(workers)      \
    X(worklist) X(busy) X(task) X(desc) X(current_func) X(current_work) X(pending) X(list)  \
    X(delayed) X(expires) X(in_jiffies) X(in) X(out) X(mask) X(size) X(esize) X(len)        \
    X(elements) X(cnt) X(space) X(capacity) X(dropped) X(enabled) X(records) X(seq)         \
    X(ts_ns) X(schema) X(kernel) X(capture) X(capabilities) X(modules) X(limits)            \
    X(warnings) X(objects) X(message) X(release) X(mark) X(source) X(uptime_ns) X(jiffies)  \
    X(status) X(reason) X(pwq) X(produced) X(delivered) X(path) X(format) X(tool)
// clang-format on

/// An interned member name.
enum class Key : std::uint32_t {
#define WAITSCOPE_MODEL_KEY_ENUM(k) k,
    WAITSCOPE_MODEL_KEYS(WAITSCOPE_MODEL_KEY_ENUM)
#undef WAITSCOPE_MODEL_KEY_ENUM
        FixedCount,
    None = 0xffffffffu, ///< array elements and the root have no key
};

/// First value given to names interned at run time.
inline constexpr std::uint32_t DynamicKeyBase = static_cast<std::uint32_t>(Key::FixedCount);

/// Intern a member name (thread-safe; names live for the whole process). O(1) average.
/// `private_` is the name "private" (a C++ keyword would not do as an enumerator).
[[nodiscard]] Key internKey(std::string_view name);
/// The key of a name if already interned, without interning it.
[[nodiscard]] std::optional<Key> findKey(std::string_view name);
/// The name of a key. Thread-safe. O(1).
[[nodiscard]] std::string_view keyName(Key key);

// [SECTION] Node -----------------------------------------------------------------------

/// What a value is. `Hex` is a canonical "0x.." string and `Ref` a canonical id string:
/// both are stored as numbers and written back in exactly the same form.
enum class ValueType : std::uint8_t {
    Null,
    Bool,
    Int,
    UInt,
    Float,
    String,
    Hex,
    Ref,
    Array,
    Object
};

/// One value in preorder. Containers are followed by their children; `span` counts the
/// nodes of the whole subtree after this one (0 for scalars), so a sibling is at
/// i + 1 + span.
struct Node {
    Key key = Key::None;              ///< member name inside an object, None otherwise
    ValueType type = ValueType::Null; ///< what `payload` holds
    std::uint8_t reserved = 0;
    Kind refKind = Kind::Unknown; ///< Ref: the id's kind
    std::uint64_t payload = 0;    ///< Bool/Int/UInt/Float bits/Hex/Ref address; String:
                                  ///< offset<<32|len; containers: children<<32|span
};
static_assert(sizeof(Node) == 16);

// [SECTION] Record ---------------------------------------------------------------------

class Field;

/// An immutable value tree: node 0 is the root (normally an object).
class Record {
public:
    Record() = default;
    Record(std::vector<Node> nodes, std::string chars);

    /// The root value. O(1).
    [[nodiscard]] Field root() const;
    /// Member `key` of the root object (an invalid Field when absent). O(members).
    [[nodiscard]] Field operator[](Key key) const;

    [[nodiscard]] const std::vector<Node>& nodes() const { return m_nodes; }
    [[nodiscard]] const std::string& chars() const { return m_chars; }
    /// Hash of the content (nodes and strings); equal records have equal hashes.
    [[nodiscard]] std::uint64_t contentHash() const { return m_hash; }
    /// Same values, keys and order. O(size).
    [[nodiscard]] bool sameContent(const Record& other) const;
    /// Heap bytes held (for memory accounting).
    [[nodiscard]] std::size_t heapBytes() const;

private:
    std::vector<Node> m_nodes;
    std::string m_chars;
    std::uint64_t m_hash = 0;
};

/// Builds a Record in preorder: begin/end containers, add scalars with the member key
/// (Key::None inside arrays).
class RecordBuilder {
public:
    void beginObject(Key key);
    void beginArray(Key key);
    void end();
    void addNull(Key key);
    void addBool(Key key, bool v);
    void addInt(Key key, std::int64_t v);
    void addUInt(Key key, std::uint64_t v);
    void addFloat(Key key, double v);
    /// Strings in canonical hex or id form become Hex/Ref values (written back identically).
    void addString(Key key, std::string_view v);
    void addHex(Key key, std::uint64_t v);
    void addRef(Key key, ObjectId id);
    /// Append a copy of `field` (and its subtree) under `key`.
    void addCopy(Key key, const Field& field);
    /// Open containers.
    [[nodiscard]] std::size_t depth() const { return m_open.size(); }
    /// The finished record; the builder is empty afterwards.
    [[nodiscard]] Record finish();

private:
    void push(Key key, ValueType type, std::uint64_t payload, Kind refKind = Kind::Unknown);
    std::vector<Node> m_nodes;
    std::string m_chars;
    std::vector<std::uint32_t> m_open; ///< indices of open containers
};

// [SECTION] Field ----------------------------------------------------------------------

/// A read-only cursor to one value of a Record; cheap to copy; valid while the Record is.
/// Accessors on a missing or mistyped value return the fallback / nullopt, never throw.
class Field {
public:
    Field() = default;
    Field(const Record* record, std::uint32_t index) : m_record(record), m_index(index) {}

    /// False for a missing member.
    [[nodiscard]] bool exists() const { return m_record != nullptr; }
    explicit operator bool() const { return exists(); }
    /// The value's type (Null for a missing member).
    [[nodiscard]] ValueType type() const { return exists() ? node().type : ValueType::Null; }
    [[nodiscard]] Key key() const { return exists() ? node().key : Key::None; }
    [[nodiscard]] bool isNull() const { return !exists() || type() == ValueType::Null; }
    [[nodiscard]] bool isContainer() const {
        return exists() && (type() == ValueType::Array || type() == ValueType::Object);
    }

    [[nodiscard]] bool asBool(bool fallback = false) const;
    /// Int/UInt/Hex as signed (UInt above INT64_MAX wraps like the kernel's cast).
    [[nodiscard]] std::optional<std::int64_t> asInt() const;
    /// Int/UInt/Hex as unsigned (negative Int wraps).
    [[nodiscard]] std::optional<std::uint64_t> asU64() const;
    [[nodiscard]] std::optional<double> asDouble() const;
    /// String values only (Hex and Ref are not strings in memory: use text()).
    [[nodiscard]] std::string_view str() const;
    /// Ref values; an invalid id otherwise.
    [[nodiscard]] ObjectId ref() const;
    /// Any scalar as the text it has in JSON, without quotes ("0x10", "epitem:0x..", "3",
    /// "true", "null"); containers as "[n]" / "{n}".
    [[nodiscard]] std::string text() const;

    /// Number of children of a container (0 otherwise). O(1).
    [[nodiscard]] std::uint32_t size() const;
    /// Member `key` of an object (invalid when absent or not an object). O(members).
    [[nodiscard]] Field operator[](Key key) const;
    /// Member by name (no interning). O(members).
    [[nodiscard]] Field member(std::string_view name) const;
    /// Children of a container, in order.
    class Iterator;
    struct Children {
        const Record* record;
        std::uint32_t first, count;
        [[nodiscard]] Iterator begin() const;
        [[nodiscard]] Iterator end() const;
    };
    [[nodiscard]] Children children() const;
    /// Refs of an array of ids, in order (other elements skipped).
    [[nodiscard]] std::vector<ObjectId> refs() const;

    [[nodiscard]] const Record* record() const { return m_record; }
    [[nodiscard]] std::uint32_t index() const { return m_index; }
    /// Nodes in this value's subtree after the value itself.
    [[nodiscard]] std::uint32_t span() const;
    /// Same type, keys and values as `other` (possibly in another record). O(size).
    [[nodiscard]] bool sameValue(const Field& other) const;

private:
    [[nodiscard]] const Node& node() const { return m_record->nodes()[m_index]; }
    const Record* m_record = nullptr;
    std::uint32_t m_index = 0;
};

/// Iterates the children of a container (each a Field).
class Field::Iterator {
public:
    Iterator(const Record* record, std::uint32_t index, std::uint32_t left)
        : m_record(record), m_index(index), m_left(left) {}
    Field operator*() const { return {m_record, m_index}; }
    Iterator& operator++();
    bool operator!=(const Iterator& other) const { return m_left != other.m_left; }

private:
    const Record* m_record;
    std::uint32_t m_index;
    std::uint32_t m_left;
};

} // namespace waitscope::model
