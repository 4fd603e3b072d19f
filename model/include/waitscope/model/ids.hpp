// Object identity in a snapshot: ObjectId = {kind, kernel address}, its "<type>:0x<addr>"
// text form, and hashing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace waitscope::model {

/// The type of a snapshot object. The schema's types have fixed values; a type this build
/// does not know (additive schema changes) gets a value >= FirstDynamicKind the first time
/// its name is seen in the process, so ids of unknown types still compare and hash.
enum class Kind : std::uint16_t {
    Unknown = 0,
    Task,
    Files,
    File,
    Eventpoll,
    Epitem,
    WaitQueueHead,
    WaitEntry,
    Pipe,
    Eventfd,
    Socket,
    Timerfd,
    Vpoll,
    Simrupt,
    Workqueue,
    PoolWorkqueue,
    WorkerPool,
    Worker,
    Work,
    Kfifo,
    CircBuf,
    VpollRing,
    FirstDynamicKind = 64,
};

/// Number of kinds with fixed values (Unknown included).
inline constexpr std::uint16_t FixedKindCount = static_cast<std::uint16_t>(Kind::VpollRing) + 1;

/// The schema name of a kind ("wait_entry"); "" for Unknown. Thread-safe. O(1).
[[nodiscard]] std::string_view kindName(Kind kind);

/// The kind of a schema type name, registering unknown names (thread-safe). O(1) average.
[[nodiscard]] Kind kindFromName(std::string_view name);

/// The kind of a type name if it is already known, without registering it.
[[nodiscard]] std::optional<Kind> findKind(std::string_view name);

/// Identity of a kernel object: its type and kernel virtual address.
struct ObjectId {
    Kind kind = Kind::Unknown;
    std::uint64_t kaddr = 0;

    friend bool operator==(const ObjectId&, const ObjectId&) = default;
    /// True for a real id (not the default "no object").
    [[nodiscard]] bool valid() const { return kind != Kind::Unknown; }
};

/// "<type>:0x<addr>" with lower-case hex and no leading zeros (the schema's form).
[[nodiscard]] std::string toString(ObjectId id);

/// Parse "<type>:0x<hex>" (type [a-z_]+ , hex lower-case without leading zeros, as the
/// schema writes it); nullopt for anything else. Registers unknown type names.
[[nodiscard]] std::optional<ObjectId> parseObjectId(std::string_view text);

/// "0x<hex>", lower-case, no leading zeros.
[[nodiscard]] std::string hexString(std::uint64_t value);

/// Parse a canonical "0x<hex>" (lower-case, no leading zeros, at most 16 digits).
[[nodiscard]] std::optional<std::uint64_t> parseCanonicalHex(std::string_view text);

/// Parse a user-typed address: "0x..." or bare hex, any case, leading zeros allowed.
[[nodiscard]] std::optional<std::uint64_t> parseAddress(std::string_view text);

/// Byte order of the ids' text forms (the order objects are stored and written in):
/// negative, zero or positive like strcmp. O(length of the type names).
[[nodiscard]] int compareIdText(ObjectId a, ObjectId b);

/// 64-bit mix of an id (splitmix64 of address and kind); stable across runs.
[[nodiscard]] std::uint64_t hashId(ObjectId id);

} // namespace waitscope::model

template <>
struct std::hash<waitscope::model::ObjectId> {
    std::size_t operator()(const waitscope::model::ObjectId& id) const noexcept {
        return static_cast<std::size_t>(waitscope::model::hashId(id));
    }
};
