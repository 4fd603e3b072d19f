// Writing snapshots: JSON (sorted keys, one object per line) and CBOR (the same document,
// with the self-describe tag). Both walk Records directly, never through a DOM.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>

#include <waitscope/base/files.hpp>
#include <waitscope/model/snapshot_io.hpp>

namespace waitscope::model {

namespace {

/// Members of an object value sorted by name (the schema writes keys sorted).
std::vector<std::pair<std::string_view, Field>> sortedMembers(const Field& object) {
    std::vector<std::pair<std::string_view, Field>> members;
    members.reserve(object.size());
    for (Field c : object.children())
        members.emplace_back(keyName(c.key()), c);
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return members;
}

// [SECTION] JSON -----------------------------------------------------------------------

void jsonString(std::string& out, std::string_view s) {
    out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += ch;
            }
        }
    }
    out += '"';
}

void jsonValue(std::string& out, const Field& v, bool sortKeys) {
    switch (v.type()) {
    case ValueType::Float: {
        double d = *v.asDouble();
        if (!std::isfinite(d)) {
            out += "null";
            break;
        }
        char buf[32];
        auto [e, ec] = std::to_chars(buf, buf + sizeof buf, d);
        (void)ec;
        std::string_view s(buf, static_cast<std::size_t>(e - buf));
        out += s;
        if (s.find_first_of(".eE") == std::string_view::npos)
            out += ".0"; // stay a float when read back
        break;
    }
    case ValueType::String:
        jsonString(out, v.str());
        break;
    case ValueType::Hex:
    case ValueType::Ref:
        out += '"';
        out += v.text();
        out += '"';
        break;
    case ValueType::Array: {
        out += '[';
        bool first = true;
        for (Field c : v.children()) {
            if (!first)
                out += ',';
            first = false;
            jsonValue(out, c, sortKeys);
        }
        out += ']';
        break;
    }
    case ValueType::Object: {
        out += '{';
        bool first = true;
        auto emit = [&](std::string_view name, const Field& c) {
            if (!first)
                out += ',';
            first = false;
            jsonString(out, name);
            out += ':';
            jsonValue(out, c, sortKeys);
        };
        if (sortKeys) {
            for (const auto& [name, c] : sortedMembers(v))
                emit(name, c);
        } else {
            for (Field c : v.children())
                emit(keyName(c.key()), c);
        }
        out += '}';
        break;
    }
    default:
        out += v.text();
    }
}

// [SECTION] CBOR -----------------------------------------------------------------------

void cborHead(std::string& out, unsigned major, std::uint64_t n) {
    auto m = static_cast<char>(major << 5);
    if (n < 24) {
        out += static_cast<char>(m | static_cast<char>(n));
        return;
    }
    int bytes = n <= 0xff ? 1 : n <= 0xffff ? 2 : n <= 0xffffffffull ? 4 : 8;
    out += static_cast<char>(m | static_cast<char>(bytes == 1   ? 24
                                                   : bytes == 2 ? 25
                                                   : bytes == 4 ? 26
                                                                : 27));
    for (int i = bytes - 1; i >= 0; --i)
        out += static_cast<char>((n >> (8 * i)) & 0xff);
}

void cborText(std::string& out, std::string_view s) {
    cborHead(out, 3, s.size());
    out += s;
}

void cborValue(std::string& out, const Field& v) {
    switch (v.type()) {
    case ValueType::Null:
        out += static_cast<char>(0xf6);
        break;
    case ValueType::Bool:
        out += static_cast<char>(v.asBool() ? 0xf5 : 0xf4);
        break;
    case ValueType::Int: {
        std::int64_t i = *v.asInt();
        if (i >= 0)
            cborHead(out, 0, static_cast<std::uint64_t>(i));
        else
            cborHead(out, 1, static_cast<std::uint64_t>(-1 - i));
        break;
    }
    case ValueType::UInt:
        cborHead(out, 0, *v.asU64());
        break;
    case ValueType::Float: {
        out += static_cast<char>(0xfb);
        auto bits = std::bit_cast<std::uint64_t>(*v.asDouble());
        for (int i = 7; i >= 0; --i)
            out += static_cast<char>((bits >> (8 * i)) & 0xff);
        break;
    }
    case ValueType::String:
        cborText(out, v.str());
        break;
    case ValueType::Hex:
    case ValueType::Ref:
        cborText(out, v.text());
        break;
    case ValueType::Array:
        cborHead(out, 4, v.size());
        for (Field c : v.children())
            cborValue(out, c);
        break;
    case ValueType::Object:
        cborHead(out, 5, v.size());
        for (const auto& [name, c] : sortedMembers(v)) {
            cborText(out, name);
            cborValue(out, c);
        }
        break;
    }
}

/// Top-level members (meta plus "objects") in sorted order.
template <class Emit, class EmitObjects>
void forTopLevel(const Snapshot& s, Emit&& emit, EmitObjects&& emitObjects) {
    bool objectsDone = false;
    for (const auto& [name, c] : sortedMembers(s.meta().root())) {
        if (!objectsDone && name > std::string_view("objects")) {
            emitObjects();
            objectsDone = true;
        }
        if (name == "objects")
            continue;
        emit(name, c);
    }
    if (!objectsDone)
        emitObjects();
}

} // namespace

std::string toJsonText(const Field& value) {
    std::string out;
    if (value)
        jsonValue(out, value, false);
    return out;
}

std::string toJson(const Snapshot& s) {
    std::string out;
    out.reserve(s.size() * 256 + 1024);
    out += '{';
    bool first = true;
    forTopLevel(
        s,
        [&](std::string_view name, const Field& c) {
            if (!first)
                out += ',';
            first = false;
            jsonString(out, name);
            out += ':';
            jsonValue(out, c, true);
        },
        [&] {
            if (!first)
                out += ',';
            first = false;
            out += "\"objects\":[";
            bool firstObject = true;
            for (const ObjectPtr& o : s.objects()) {
                out += firstObject ? "\n" : ",\n";
                firstObject = false;
                jsonValue(out, o->fields().root(), true);
            }
            out += s.size() ? "\n]" : "]";
        });
    out += "}\n";
    return out;
}

std::string toCbor(const Snapshot& s) {
    std::string out;
    out.reserve(s.size() * 160 + 1024);
    out += "\xd9\xd9\xf7";
    std::size_t members = s.meta().root().size();
    bool metaHasObjects = static_cast<bool>(s.meta()[Key::objects]);
    cborHead(out, 5, members + (metaHasObjects ? 0 : 1));
    forTopLevel(
        s,
        [&](std::string_view name, const Field& c) {
            cborText(out, name);
            cborValue(out, c);
        },
        [&] {
            cborText(out, "objects");
            cborHead(out, 4, s.size());
            for (const ObjectPtr& o : s.objects())
                cborValue(out, o->fields().root());
        });
    return out;
}

void writeSnapshotFile(const std::filesystem::path& path, const Snapshot& snapshot, Format format) {
    base::writeFileAtomic(path, format == Format::Cbor ? toCbor(snapshot) : toJson(snapshot));
}

} // namespace waitscope::model
