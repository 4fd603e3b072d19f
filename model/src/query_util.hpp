// Small field helpers shared by the query sources (not part of the public API).
#pragma once

#include <string>

#include <waitscope/model/snapshot.hpp>

namespace waitscope::model::detail {

inline std::int64_t i64(const Object& o, Key k, std::int64_t fallback = 0) {
    return o[k].asInt().value_or(fallback);
}
inline std::uint64_t u64(const Object& o, Key k, std::uint64_t fallback = 0) {
    return o[k].asU64().value_or(fallback);
}
inline std::string num(std::int64_t v) {
    return std::to_string(v);
}

/// The task a "task:" / owner ref points at, when present.
inline const Object* deref(const Snapshot& s, const Field& f) {
    ObjectId id = f.ref();
    return id.valid() ? s.find(id) : nullptr;
}

/// "comm[pid]" of a task object.
inline std::string taskName(const Object& task) {
    return std::string(task[Key::comm].str()) + "[" + num(i64(task, Key::pid, -1)) + "]";
}

} // namespace waitscope::model::detail
