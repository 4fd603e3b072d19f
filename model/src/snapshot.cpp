// Snapshot: sorted objects, the open-addressing id index, kind ranges, metadata access.
#include <algorithm>
#include <unordered_set>

#include <waitscope/model/snapshot.hpp>

namespace waitscope::model {

Snapshot::Snapshot(std::vector<ObjectPtr> objects, std::shared_ptr<const Record> meta,
                   SchemaVersion version, std::vector<std::string> loadNotes)
    : m_objects(std::move(objects)), m_meta(std::move(meta)), m_version(version),
      m_loadNotes(std::move(loadNotes)) {
    if (!m_meta)
        m_meta = std::make_shared<const Record>();
    auto less = [](const ObjectPtr& a, const ObjectPtr& b) {
        return compareIdText(a->id(), b->id()) < 0;
    };
    if (!std::is_sorted(m_objects.begin(), m_objects.end(), less))
        std::sort(m_objects.begin(), m_objects.end(), less);

    std::size_t cap = 16;
    while (cap < m_objects.size() * 2)
        cap <<= 1;
    m_slots.assign(cap, 0);
    const std::size_t mask = cap - 1;
    for (std::size_t i = 0; i < m_objects.size(); ++i) {
        std::size_t s = hashId(m_objects[i]->id()) & mask;
        while (m_slots[s] != 0)
            s = (s + 1) & mask;
        m_slots[s] = static_cast<std::uint32_t>(i + 1);

        Kind k = m_objects[i]->kind();
        if (m_ranges.empty() || m_ranges.back().kind != k)
            m_ranges.push_back({k, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i)});
        m_ranges.back().end = static_cast<std::uint32_t>(i + 1);
    }
}

std::span<const ObjectPtr> Snapshot::objectsOf(Kind kind) const {
    for (const KindRange& r : m_ranges)
        if (r.kind == kind)
            return std::span<const ObjectPtr>(m_objects).subspan(r.begin, r.end - r.begin);
    return {};
}

std::int64_t Snapshot::indexOf(ObjectId id) const {
    if (m_objects.empty())
        return -1;
    const std::size_t mask = m_slots.size() - 1;
    for (std::size_t s = hashId(id) & mask; m_slots[s] != 0; s = (s + 1) & mask) {
        std::uint32_t i = m_slots[s] - 1;
        if (m_objects[i]->id() == id)
            return i;
    }
    return -1;
}

const Object* Snapshot::find(ObjectId id) const {
    std::int64_t i = indexOf(id);
    return i < 0 ? nullptr : m_objects[static_cast<std::size_t>(i)].get();
}

ObjectPtr Snapshot::findShared(ObjectId id) const {
    std::int64_t i = indexOf(id);
    return i < 0 ? nullptr : m_objects[static_cast<std::size_t>(i)];
}

std::string_view Snapshot::kernelRelease() const {
    return (*m_meta)[Key::kernel][Key::release].str();
}
std::string_view Snapshot::captureSource() const {
    return (*m_meta)[Key::capture][Key::source].str();
}
std::string_view Snapshot::captureMark() const {
    return (*m_meta)[Key::capture][Key::mark].str();
}

std::vector<Snapshot::Warning> Snapshot::warnings() const {
    std::vector<Warning> out;
    Field list = (*m_meta)[Key::warnings];
    for (Field w : list.children())
        out.push_back({w[Key::id].ref(), std::string(w[Key::message].str())});
    return out;
}

std::size_t Snapshot::sharedWith(const Snapshot& other) const {
    std::size_t n = 0;
    for (const ObjectPtr& o : m_objects) {
        std::int64_t i = other.indexOf(o->id());
        if (i >= 0 && other.m_objects[static_cast<std::size_t>(i)] == o)
            ++n;
    }
    return n;
}

std::size_t Snapshot::heapBytes(const Snapshot* other) const {
    // Per object: the make_shared block (control block + Object) and the record's heap.
    constexpr std::size_t PerObject = sizeof(Object) + 16;
    std::size_t bytes = m_objects.capacity() * sizeof(ObjectPtr) +
                        m_slots.capacity() * sizeof(std::uint32_t) +
                        m_ranges.capacity() * sizeof(KindRange) + m_meta->heapBytes();
    for (const ObjectPtr& o : m_objects) {
        if (other) {
            std::int64_t i = other->indexOf(o->id());
            if (i >= 0 && other->m_objects[static_cast<std::size_t>(i)] == o)
                continue;
        }
        bytes += PerObject + o->fields().heapBytes();
    }
    return bytes;
}

} // namespace waitscope::model
