// Loading snapshots: a SAX handler that builds compact Records straight from JSON or CBOR
// (no DOM, so a 100k-epitem snapshot loads in one pass), then the version check.
//
// [SECTION] Counting input (progress)
// [SECTION] SAX handler
// [SECTION] Entry points
#include <algorithm>
#include <cstring>
#include <iterator>
#include <nlohmann/json.hpp>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/model/snapshot_io.hpp>

namespace waitscope::model {

namespace {

// [SECTION] Counting input -------------------------------------------------------------

/// Progress state shared by the copies of CountingIterator.
struct ReadProgress {
    const char* base = nullptr;
    std::size_t total = 1;
    const std::function<void(double)>* report = nullptr;
};

/// A char iterator that reports progress every MiB (nlohmann copies iterators around, so
/// the state lives in ReadProgress).
struct CountingIterator {
    using iterator_category = std::input_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    const char* p = nullptr;
    ReadProgress* progress = nullptr;

    reference operator*() const { return *p; }
    CountingIterator& operator++() {
        ++p;
        if (((p - progress->base) & 0xfffff) == 0 && progress->report && *progress->report)
            (*progress->report)(static_cast<double>(p - progress->base) /
                                static_cast<double>(progress->total));
        return *this;
    }
    CountingIterator operator++(int) {
        CountingIterator old = *this;
        ++*this;
        return old;
    }
    bool operator==(const CountingIterator& o) const { return p == o.p; }
    bool operator!=(const CountingIterator& o) const { return p != o.p; }
};

// [SECTION] SAX handler ----------------------------------------------------------------

using json = nlohmann::json;

class SnapshotSax {
public:
    explicit SnapshotSax(const LoadOptions& options) : m_options(options) {}

    bool null() {
        return value([](RecordBuilder& b, Key k) { b.addNull(k); });
    }
    bool boolean(bool v) {
        return value([v](RecordBuilder& b, Key k) { b.addBool(k, v); });
    }
    bool number_integer(json::number_integer_t v) {
        return value([v](RecordBuilder& b, Key k) {
            if (v >= 0)
                b.addUInt(k, static_cast<std::uint64_t>(v));
            else
                b.addInt(k, v);
        });
    }
    bool number_unsigned(json::number_unsigned_t v) {
        return value([v](RecordBuilder& b, Key k) { b.addUInt(k, v); });
    }
    bool number_float(json::number_float_t v, const json::string_t&) {
        return value([v](RecordBuilder& b, Key k) { b.addFloat(k, v); });
    }
    bool string(json::string_t& v) {
        return value([&v](RecordBuilder& b, Key k) { b.addString(k, v); });
    }
    bool binary(json::binary_t&) {
        fail(ErrorKind::Structure, "CBOR byte strings are not part of the snapshot schema");
        return false;
    }
    bool key(json::string_t& name) {
        m_key = internKey(name);
        return true;
    }
    bool start_object(std::size_t) { return open(true); }
    bool start_array(std::size_t) { return open(false); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }
    bool parse_error(std::size_t position, const std::string&,
                     const nlohmann::detail::exception& e) {
        fail(ErrorKind::Syntax,
             "not a JSON/CBOR document (byte " + std::to_string(position) + "): " + e.what());
        return false;
    }

    // Results.
    bool sawRoot() const { return m_sawRoot; }
    std::shared_ptr<const Record> takeMeta() {
        return std::make_shared<const Record>(m_meta.finish());
    }
    std::vector<ObjectPtr>& objects() { return m_objects; }
    bool sorted() const { return m_sorted; }
    const std::optional<Error>& error() const { return m_error; }
    std::size_t structureErrors() const { return m_structureErrors; }

private:
    bool cancelled() {
        if (m_options.cancel && m_options.cancel->load(std::memory_order_relaxed)) {
            fail(ErrorKind::Cancelled, "cancelled");
            return true;
        }
        return false;
    }

    void fail(ErrorKind kind, std::string message) {
        if (kind == ErrorKind::Structure) {
            ++m_structureErrors;
            if (m_firstStructure.empty())
                m_firstStructure = std::move(message);
            return;
        }
        if (!m_error)
            m_error = Error{kind, std::move(message)};
    }

    /// The key for a value in the current container (None inside arrays).
    Key currentKey() const { return !m_isObject.empty() && m_isObject.back() ? m_key : Key::None; }

    template <class F>
    bool value(F&& add) {
        std::size_t d = m_isObject.size();
        if (d == 0) {
            fail(ErrorKind::NotASnapshot, "the document is not a JSON object");
            return false;
        }
        if (m_inObjects && d == 2) {
            structureError("an element of \"objects\" is not an object");
            return true;
        }
        if (d == 1 && m_key == Key::objects) {
            structureError("\"objects\" is not a list");
            return true;
        }
        add(m_inObjects ? m_object : m_meta, currentKey());
        return true;
    }

    bool open(bool isObject) {
        std::size_t d = m_isObject.size();
        Key k = currentKey();
        if (d == 0) {
            if (!isObject) {
                fail(ErrorKind::NotASnapshot, "the document is not a JSON object");
                return false;
            }
            m_sawRoot = true;
            m_meta.beginObject(Key::None);
        } else if (d == 1 && k == Key::objects) {
            if (isObject) {
                structureError("\"objects\" is not a list");
                m_skipObjectsMember = true;
                m_meta.beginObject(Key::objects); // keep it in meta so nothing is lost
            } else {
                m_inObjects = true;
            }
        } else if (m_inObjects && d == 2) {
            if (!isObject) {
                structureError("an element of \"objects\" is not an object");
                m_skipDepth = d + 1;
            }
            m_object.beginObject(Key::None);
            if (!isObject)
                m_object.beginArray(Key::None);
        } else if (m_inObjects) {
            isObject ? m_object.beginObject(k) : m_object.beginArray(k);
        } else {
            isObject ? m_meta.beginObject(k) : m_meta.beginArray(k);
        }
        m_isObject.push_back(isObject);
        return true;
    }

    bool close() {
        std::size_t d = m_isObject.size();
        m_isObject.pop_back();
        if (d == 1) {
            m_meta.end();
        } else if (d == 2 && m_inObjects) {
            m_inObjects = false;
        } else if (d == 2 && m_skipObjectsMember) {
            m_skipObjectsMember = false;
            m_meta.end();
        } else if (m_inObjects && d == 3) {
            if (m_skipDepth == d) {
                m_skipDepth = 0;
                (void)m_object.finish();
            } else {
                finishObject();
            }
            if ((m_objects.size() & 0xfff) == 0 && cancelled())
                return false;
        } else if (m_inObjects) {
            m_object.end();
        } else {
            m_meta.end();
        }
        return true;
    }

    void structureError(const std::string& message) { fail(ErrorKind::Structure, message); }

    /// JSON leaves duplicate member names undefined; like most readers (Python's json,
    /// nlohmann's DOM) the last one wins. Rebuilds the record only when there are any.
    Record lastMemberWins(Record rec) {
        std::vector<std::pair<Key, Field>> members;
        bool dup = false;
        for (Field f : rec.root().children()) {
            auto it = std::find_if(members.begin(), members.end(),
                                   [&](const auto& m) { return m.first == f.key(); });
            if (it != members.end()) {
                it->second = f;
                dup = true;
            } else {
                members.emplace_back(f.key(), f);
            }
        }
        if (!dup)
            return rec;
        ++m_duplicates;
        RecordBuilder b;
        b.beginObject(Key::None);
        for (const auto& [k, f] : members)
            b.addCopy(k, f);
        b.end();
        return b.finish();
    }

    void finishObject() {
        Record rec = lastMemberWins(m_object.finish());
        Field idField = rec[Key::id];
        if (idField.type() != ValueType::Ref) {
            structureError(idField ? "object id \"" + idField.text() +
                                         "\" is not of the form <type>:0x<hex>"
                                   : "an object has no \"id\"");
            return;
        }
        ObjectId id = idField.ref();
        if (rec[Key::type].str() != kindName(id.kind)) {
            structureError("object " + toString(id) + " has type \"" + rec[Key::type].text() +
                           "\"");
            return;
        }
        if (rec[Key::addr].type() != ValueType::Hex || *rec[Key::addr].asU64() != id.kaddr) {
            structureError("object " + toString(id) + " has addr \"" + rec[Key::addr].text() +
                           "\"");
            return;
        }
        if (m_haveLast) {
            int c = compareIdText(m_last, id);
            if (c == 0) {
                structureError("duplicate object id " + toString(id));
                return;
            }
            if (c > 0)
                m_sorted = false;
        }
        m_last = id;
        m_haveLast = true;
        if (m_options.shareWith) {
            ObjectPtr prev = m_options.shareWith->findShared(id);
            if (prev && prev->fields().sameContent(rec)) {
                m_objects.push_back(std::move(prev));
                return;
            }
        }
        m_objects.push_back(std::make_shared<const Object>(id, std::move(rec)));
    }

    const LoadOptions& m_options;
    RecordBuilder m_meta;
    RecordBuilder m_object;
    std::vector<bool> m_isObject;
    Key m_key = Key::None;
    bool m_sawRoot = false;
    bool m_inObjects = false;
    bool m_skipObjectsMember = false;
    std::size_t m_skipDepth = 0;
    std::vector<ObjectPtr> m_objects;
    ObjectId m_last;
    bool m_haveLast = false;
    bool m_sorted = true;
    std::optional<Error> m_error;
    std::string m_firstStructure;
    std::size_t m_structureErrors = 0;
    std::size_t m_duplicates = 0;

public:
    std::size_t duplicateMembers() const { return m_duplicates; }
    const std::string& firstStructureError() const { return m_firstStructure; }
};

} // namespace

// [SECTION] Entry points ---------------------------------------------------------------

Format detectFormat(std::string_view bytes) {
    if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xd9 &&
        static_cast<unsigned char>(bytes[1]) == 0xd9 &&
        static_cast<unsigned char>(bytes[2]) == 0xf7)
        return Format::Cbor;
    if (!bytes.empty()) {
        auto c = static_cast<unsigned char>(bytes[0]);
        if ((c >> 5) == 5) // CBOR major type 5: a map
            return Format::Cbor;
    }
    return Format::Json;
}

std::optional<SchemaVersion> parseSchemaString(std::string_view text) {
    if (text.substr(0, SchemaPrefix.size()) != SchemaPrefix)
        return std::nullopt;
    text.remove_prefix(SchemaPrefix.size());
    auto number = [&text](int& out) {
        std::size_t n = 0;
        out = 0;
        while (n < text.size() && n < 6 && text[n] >= '0' && text[n] <= '9')
            out = out * 10 + (text[n++] - '0');
        text.remove_prefix(n);
        return n > 0;
    };
    SchemaVersion v;
    if (!number(v.major))
        return std::nullopt;
    if (!text.empty()) {
        if (text[0] != '.')
            return std::nullopt;
        text.remove_prefix(1);
        if (!number(v.minor) || !text.empty())
            return std::nullopt;
    }
    return v;
}

Result<SnapshotPtr> loadSnapshot(std::string_view bytes, const LoadOptions& options) {
    SnapshotSax sax(options);
    Format format = detectFormat(bytes);
    if (format == Format::Cbor && bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xd9)
        bytes.remove_prefix(3); // the self-describe tag 55799
    ReadProgress progress{bytes.data(), std::max<std::size_t>(bytes.size(), 1), &options.progress};
    CountingIterator first{bytes.data(), &progress}, last{bytes.data() + bytes.size(), &progress};
    bool ok =
        nlohmann::json::sax_parse(first, last, &sax,
                                  format == Format::Cbor ? nlohmann::json::input_format_t::cbor
                                                         : nlohmann::json::input_format_t::json);
    if (sax.error())
        return *sax.error();
    if (!ok || !sax.sawRoot())
        return Error{ErrorKind::Syntax, "not a JSON/CBOR document"};
    if (options.progress)
        options.progress(1.0);

    std::shared_ptr<const Record> meta = sax.takeMeta();
    Field schema = (*meta)[Key::schema];
    if (!schema)
        return Error{ErrorKind::NotASnapshot, "no \"schema\" member: not a waitscope snapshot"};
    auto version = parseSchemaString(schema.str());
    if (!version)
        return Error{ErrorKind::UnsupportedSchema,
                     "unknown schema \"" + schema.text() + "\" (expected \"" +
                         std::string(SchemaPrefix) + std::to_string(CurrentSchemaMajor) + "\")"};
    std::vector<ObjectPtr>& objects = sax.objects();
    auto migrated = migrate(*version, meta, objects);
    if (!migrated)
        return migrated.error();
    if (sax.structureErrors() > 0) {
        std::string more = sax.structureErrors() > 1
                               ? " (and " + std::to_string(sax.structureErrors() - 1) + " more)"
                               : "";
        return Error{ErrorKind::Structure, sax.firstStructureError() + more};
    }
    std::vector<std::string> notes;
    if (sax.duplicateMembers() > 0)
        notes.push_back(std::to_string(sax.duplicateMembers()) +
                        " object(s) repeat a member name; the last value was used");
    auto snapshot = std::make_shared<const Snapshot>(std::move(objects), meta, migrated.value(),
                                                     std::move(notes));
    if (!sax.sorted()) {
        auto all = snapshot->objects();
        for (std::size_t i = 1; i < all.size(); ++i)
            if (all[i - 1]->id() == all[i]->id())
                return Error{ErrorKind::Structure, "duplicate object id " + toString(all[i]->id())};
    }
    return SnapshotPtr(std::move(snapshot));
}

Result<SnapshotPtr> loadSnapshotFile(const std::filesystem::path& path,
                                     const LoadOptions& options) {
    std::string bytes;
    try {
        bytes = base::readFile(path);
    } catch (const base::Error& e) {
        return Error{ErrorKind::Io, e.what()};
    }
    auto r = loadSnapshot(bytes, options);
    if (!r.ok())
        return Error{r.error().kind, path.string() + ": " + r.error().message};
    return r;
}

} // namespace waitscope::model
