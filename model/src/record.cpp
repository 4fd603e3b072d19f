// Record: interned keys, the flattened value tree, and Field access.
#include <bit>
#include <charconv>
#include <cstring>

#include <waitscope/model/record.hpp>

#include "name_table.hpp"

namespace waitscope::model {

// [SECTION] Keys -----------------------------------------------------------------------

namespace {

/// The schema's keys (WAITSCOPE_MODEL_KEYS, in order), then the names met at run time.
class KeyTable : public detail::NameTable<Key> {
public:
    KeyTable() {
#define WAITSCOPE_MODEL_KEY_NAME(k) add(#k);
        WAITSCOPE_MODEL_KEYS(WAITSCOPE_MODEL_KEY_NAME)
#undef WAITSCOPE_MODEL_KEY_NAME
    }

private:
    void add(std::string_view name) {
        // C++ keywords cannot be enumerators: "private_" stands for "private".
        intern(name == "private_" ? std::string_view("private") : name);
    }
};

KeyTable& keys() {
    static KeyTable t;
    return t;
}

std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

} // namespace

Key internKey(std::string_view name) {
    return keys().intern(name);
}
std::optional<Key> findKey(std::string_view name) {
    return keys().find(name);
}
std::string_view keyName(Key key) {
    return keys().name(key);
}

// [SECTION] Record ---------------------------------------------------------------------

Record::Record(std::vector<Node> nodes, std::string chars)
    : m_nodes(std::move(nodes)), m_chars(std::move(chars)) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a(m_nodes.data(), m_nodes.size() * sizeof(Node), h);
    m_hash = fnv1a(m_chars.data(), m_chars.size(), h);
}

Field Record::root() const {
    return m_nodes.empty() ? Field() : Field(this, 0);
}
Field Record::operator[](Key key) const {
    return root()[key];
}

bool Record::sameContent(const Record& other) const {
    return m_hash == other.m_hash && m_nodes.size() == other.m_nodes.size() &&
           m_chars == other.m_chars &&
           std::memcmp(m_nodes.data(), other.m_nodes.data(), m_nodes.size() * sizeof(Node)) == 0;
}

std::size_t Record::heapBytes() const {
    std::size_t chars = m_chars.capacity() > 15 ? m_chars.capacity() + 1 : 0;
    return m_nodes.capacity() * sizeof(Node) + chars;
}

// [SECTION] RecordBuilder --------------------------------------------------------------

void RecordBuilder::push(Key key, ValueType type, std::uint64_t payload, Kind refKind) {
    Node n;
    n.key = key;
    n.type = type;
    n.refKind = refKind;
    n.payload = payload;
    m_nodes.push_back(n);
    if (!m_open.empty())
        m_nodes[m_open.back()].payload += std::uint64_t{1} << 32; // one more child
}

void RecordBuilder::beginObject(Key key) {
    push(key, ValueType::Object, 0);
    m_open.push_back(static_cast<std::uint32_t>(m_nodes.size() - 1));
}

void RecordBuilder::beginArray(Key key) {
    push(key, ValueType::Array, 0);
    m_open.push_back(static_cast<std::uint32_t>(m_nodes.size() - 1));
}

void RecordBuilder::end() {
    std::uint32_t i = m_open.back();
    m_open.pop_back();
    auto span = static_cast<std::uint32_t>(m_nodes.size() - i - 1);
    m_nodes[i].payload = (m_nodes[i].payload & 0xffffffff00000000ull) | span;
}

void RecordBuilder::addNull(Key key) {
    push(key, ValueType::Null, 0);
}
void RecordBuilder::addBool(Key key, bool v) {
    push(key, ValueType::Bool, v ? 1 : 0);
}
void RecordBuilder::addInt(Key key, std::int64_t v) {
    push(key, ValueType::Int, static_cast<std::uint64_t>(v));
}
void RecordBuilder::addUInt(Key key, std::uint64_t v) {
    push(key, ValueType::UInt, v);
}
void RecordBuilder::addFloat(Key key, double v) {
    push(key, ValueType::Float, std::bit_cast<std::uint64_t>(v));
}
void RecordBuilder::addHex(Key key, std::uint64_t v) {
    push(key, ValueType::Hex, v);
}
void RecordBuilder::addRef(Key key, ObjectId id) {
    push(key, ValueType::Ref, id.kaddr, id.kind);
}

void RecordBuilder::addString(Key key, std::string_view v) {
    if (v.size() >= 3 && v.size() <= 18 && v[0] == '0' && v[1] == 'x') {
        if (auto h = parseCanonicalHex(v)) {
            addHex(key, *h);
            return;
        }
    }
    if (v.size() >= 5 && v.size() <= 64 && v[0] >= 'a' && v[0] <= 'z' &&
        v.find(":0x") != std::string_view::npos) {
        if (auto id = parseObjectId(v)) {
            addRef(key, *id);
            return;
        }
    }
    std::uint64_t offset = m_chars.size();
    m_chars.append(v);
    push(key, ValueType::String, (offset << 32) | v.size());
}

void RecordBuilder::addCopy(Key key, const Field& field) {
    const Record* rec = field.record();
    std::uint32_t first = field.index(), last = first + field.span();
    std::uint32_t openBefore = static_cast<std::uint32_t>(m_open.size());
    // Replay the subtree through the builder so spans and string offsets are rebuilt.
    std::vector<std::uint32_t> ends; // node index where each open container ends
    for (std::uint32_t i = first; i <= last; ++i) {
        while (!ends.empty() && i > ends.back()) {
            end();
            ends.pop_back();
        }
        const Node& n = rec->nodes()[i];
        Key k = i == first ? key : n.key;
        switch (n.type) {
        case ValueType::Object:
        case ValueType::Array:
            n.type == ValueType::Object ? beginObject(k) : beginArray(k);
            ends.push_back(i + static_cast<std::uint32_t>(n.payload & 0xffffffffu));
            if ((n.payload & 0xffffffffu) == 0) {
                end();
                ends.pop_back();
            }
            break;
        case ValueType::String: {
            std::string_view s(rec->chars().data() + (n.payload >> 32), n.payload & 0xffffffffu);
            std::uint64_t offset = m_chars.size();
            m_chars.append(s);
            push(k, ValueType::String, (offset << 32) | s.size());
            break;
        }
        default:
            push(k, n.type, n.payload, n.refKind);
        }
    }
    while (m_open.size() > openBefore)
        end();
}

Record RecordBuilder::finish() {
    while (!m_open.empty())
        end();
    Record r(std::move(m_nodes), std::move(m_chars));
    m_nodes = {};
    m_chars = {};
    return r;
}

// [SECTION] Field ----------------------------------------------------------------------

bool Field::asBool(bool fallback) const {
    if (!exists() || type() != ValueType::Bool)
        return fallback;
    return node().payload != 0;
}

std::optional<std::int64_t> Field::asInt() const {
    if (!exists())
        return std::nullopt;
    switch (type()) {
    case ValueType::Int:
    case ValueType::UInt:
    case ValueType::Hex:
        return static_cast<std::int64_t>(node().payload);
    default:
        return std::nullopt;
    }
}

std::optional<std::uint64_t> Field::asU64() const {
    if (!exists())
        return std::nullopt;
    switch (type()) {
    case ValueType::Int:
    case ValueType::UInt:
    case ValueType::Hex:
        return node().payload;
    default:
        return std::nullopt;
    }
}

std::optional<double> Field::asDouble() const {
    if (!exists())
        return std::nullopt;
    switch (type()) {
    case ValueType::Int:
        return static_cast<double>(static_cast<std::int64_t>(node().payload));
    case ValueType::UInt:
        return static_cast<double>(node().payload);
    case ValueType::Float:
        return std::bit_cast<double>(node().payload);
    default:
        return std::nullopt;
    }
}

std::string_view Field::str() const {
    if (!exists() || type() != ValueType::String)
        return {};
    const Node& n = node();
    return {m_record->chars().data() + (n.payload >> 32), n.payload & 0xffffffffu};
}

ObjectId Field::ref() const {
    if (!exists() || type() != ValueType::Ref)
        return {};
    return {node().refKind, node().payload};
}

std::string Field::text() const {
    if (!exists())
        return {};
    const Node& n = node();
    char buf[32];
    switch (n.type) {
    case ValueType::Null:
        return "null";
    case ValueType::Bool:
        return n.payload ? "true" : "false";
    case ValueType::Int: {
        auto [e, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(n.payload));
        (void)ec;
        return std::string(buf, e);
    }
    case ValueType::UInt: {
        auto [e, ec] = std::to_chars(buf, buf + sizeof buf, n.payload);
        (void)ec;
        return std::string(buf, e);
    }
    case ValueType::Float: {
        auto [e, ec] = std::to_chars(buf, buf + sizeof buf, std::bit_cast<double>(n.payload));
        (void)ec;
        return std::string(buf, e);
    }
    case ValueType::String:
        return std::string(str());
    case ValueType::Hex:
        return hexString(n.payload);
    case ValueType::Ref:
        return toString(ref());
    case ValueType::Array:
        return "[" + std::to_string(size()) + "]";
    case ValueType::Object:
        return "{" + std::to_string(size()) + "}";
    }
    return {};
}

std::uint32_t Field::size() const {
    if (!isContainer())
        return 0;
    return static_cast<std::uint32_t>(node().payload >> 32);
}

std::uint32_t Field::span() const {
    if (!isContainer())
        return 0;
    return static_cast<std::uint32_t>(node().payload & 0xffffffffu);
}

Field::Children Field::children() const {
    return {m_record, m_index + 1, size()};
}
Field::Iterator Field::Children::begin() const {
    return {record, first, count};
}
Field::Iterator Field::Children::end() const {
    return {record, 0, 0};
}

Field::Iterator& Field::Iterator::operator++() {
    Field f(m_record, m_index);
    m_index += 1 + f.span();
    --m_left;
    return *this;
}

Field Field::operator[](Key key) const {
    if (!exists() || type() != ValueType::Object)
        return {};
    const auto& nodes = m_record->nodes();
    std::uint32_t i = m_index + 1;
    for (std::uint32_t left = size(); left > 0; --left) {
        const Node& n = nodes[i];
        if (n.key == key)
            return {m_record, i};
        i += 1 + ((n.type == ValueType::Array || n.type == ValueType::Object)
                      ? static_cast<std::uint32_t>(n.payload & 0xffffffffu)
                      : 0);
    }
    return {};
}

Field Field::member(std::string_view name) const {
    auto key = findKey(name);
    return key ? (*this)[*key] : Field();
}

std::vector<ObjectId> Field::refs() const {
    std::vector<ObjectId> out;
    if (!exists() || type() != ValueType::Array)
        return out;
    out.reserve(size());
    for (Field c : children())
        if (c.type() == ValueType::Ref)
            out.push_back(c.ref());
    return out;
}

bool Field::sameValue(const Field& other) const {
    if (exists() != other.exists())
        return false;
    if (!exists())
        return true;
    std::uint32_t n = span();
    if (other.span() != n)
        return false;
    const auto& na = m_record->nodes();
    const auto& nb = other.m_record->nodes();
    for (std::uint32_t k = 0; k <= n; ++k) {
        const Node& a = na[m_index + k];
        const Node& b = nb[other.m_index + k];
        if (a.type != b.type || a.refKind != b.refKind || (k > 0 && a.key != b.key))
            return false;
        if (a.type == ValueType::String) {
            Field fa(m_record, m_index + k), fb(other.m_record, other.m_index + k);
            if (fa.str() != fb.str())
                return false;
        } else if (a.type == ValueType::Array || a.type == ValueType::Object) {
            if (a.payload != b.payload)
                return false;
        } else if (a.payload != b.payload) {
            return false;
        }
    }
    return true;
}

} // namespace waitscope::model
