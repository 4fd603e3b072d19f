// NameTable: interned names with dense ids, safe to share between threads.
#pragma once
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace waitscope::model::detail {

/// Names get the ids first, first + 1, ... in the order they are interned; a name keeps its id
/// and its storage for the life of the table (string_views to it stay valid).
template <typename Id>
class NameTable {
public:
    explicit NameTable(std::uint32_t first = 0) : m_first(first) {}

    std::optional<Id> find(std::string_view name) const {
        std::shared_lock lock(m_mutex);
        auto it = m_byName.find(name);
        if (it == m_byName.end())
            return std::nullopt;
        return it->second;
    }
    Id intern(std::string_view name) {
        if (auto id = find(name))
            return *id;
        std::unique_lock lock(m_mutex);
        auto it = m_byName.find(name);
        if (it != m_byName.end())
            return it->second;
        m_names.emplace_back(name);
        auto id = static_cast<Id>(m_first + m_names.size() - 1);
        m_byName.emplace(m_names.back(), id);
        return id;
    }
    /// The name of `id`; empty when no name has it.
    std::string_view name(Id id) const {
        auto v = static_cast<std::uint32_t>(id);
        std::shared_lock lock(m_mutex);
        return v >= m_first && v - m_first < m_names.size() ? std::string_view(m_names[v - m_first])
                                                            : std::string_view();
    }

private:
    std::uint32_t m_first;
    mutable std::shared_mutex m_mutex;
    std::deque<std::string> m_names;
    std::unordered_map<std::string_view, Id> m_byName;
};

} // namespace waitscope::model::detail
