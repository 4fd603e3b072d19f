// _wsnative: the C++ JSON encoder for snapshot tables (the Python twin is
// waitscope_introspect/formats/json_out.py; both must write the same bytes,
// tests/introspect/test_host.py compares them).
//
// Input: a list of tables (type, addrs, [(key, column)]), each column
// (kind, data, present, ref, offsets, sub) as built by json_out.table_spec().
// Output: the objects' JSON lines joined by ",\n", as bytes.
// Also json_to_cbor: the compact (CBOR) form of a document from its JSON text
// (json_cbor.hpp), and the bulk reads of memory.py (gather.hpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <sys/mman.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace py = pybind11;

namespace {

enum class Kind { U, I, B, X, R, RV, SC, RC, S, J, RAW, RL, O, OL, Addr, Id, Type };

Kind kindOf(const std::string& k) {
    static const std::pair<const char*, Kind> table[] = {
        {"u", Kind::U},     {"i", Kind::I},   {"b", Kind::B},   {"x", Kind::X},   {"r", Kind::R},
        {"rv", Kind::RV},   {"sc", Kind::SC}, {"rc", Kind::RC}, {"s", Kind::S},   {"j", Kind::J},
        {"raw", Kind::RAW}, {"rl", Kind::RL}, {"o", Kind::O},   {"ol", Kind::OL},
    };
    for (const auto& [name, kind] : table)
        if (k == name)
            return kind;
    throw py::value_error("unknown column kind " + k);
}

/// A short text stored with Slack bytes of padding after it, so that it is
/// appended with one fixed-size copy (a variable-length memcpy per key and id
/// was a tenth of the encoding time).
struct Lit {
    static constexpr size_t Slack = 32;
    std::string s; // the text, then Slack NULs
    size_t n = 0;
    Lit() = default;
    explicit Lit(const std::string& text) : s(text + std::string(Slack, '\0')), n(text.size()) {}
};

struct Column {
    std::string key;
    Lit prefix; // ,"key": (the object's first comma becomes its '{')
    Kind kind = Kind::U;
    py::object keep; // keeps the arrays alive
    const uint64_t* u = nullptr;
    const int64_t* i = nullptr;
    const bool* b = nullptr;
    const bool* present = nullptr;
    const int64_t* offsets = nullptr;
    py::list items;               // s / j / raw: str or None per row
    std::vector<std::string> ref; // type names, or pre-encoded category texts
    std::vector<bool> refNull;    // sc/rc categories that are None
    std::vector<Lit> refLit;      // ref as literals (sc/rc/type)
    std::vector<Lit> idHead;      // "type:0x per ref (r/rv/rl/id)
    std::vector<Column> sub;      // o / ol
    bool mayBeAbsent = false;     // has() must be asked (else every row has a value)
};

/// The literal forms of a column's ref texts.
void finish(Column& c) {
    c.refLit.clear();
    c.idHead.clear();
    for (const auto& r : c.ref) {
        c.refLit.emplace_back(r);
        c.idHead.emplace_back("\"" + r + ":0x");
    }
}

Column parse(const std::string& key, const py::tuple& spec, std::vector<py::object>& keep) {
    Column c;
    c.key = key;
    c.prefix = Lit(",\"" + key + "\":");
    c.kind = kindOf(spec[0].cast<std::string>());
    py::object data = spec[1], present = spec[2], ref = spec[3], offsets = spec[4], sub = spec[5];
    auto hold = [&](py::object o, auto tag) {
        using T = decltype(tag);
        auto arr = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(o);
        if (!arr)
            throw py::type_error("column " + key + ": bad array");
        keep.push_back(arr);
        return arr.data();
    };
    switch (c.kind) {
    case Kind::U:
    case Kind::X:
    case Kind::R:
    case Kind::RV:
    case Kind::RL:
        c.u = hold(data, uint64_t{});
        break;
    case Kind::I:
    case Kind::SC:
    case Kind::RC:
        c.i = hold(data, int64_t{});
        break;
    case Kind::B:
        c.b = hold(data, bool{});
        break;
    case Kind::S:
    case Kind::J:
    case Kind::RAW:
        c.items = py::list(data);
        break;
    default:
        break;
    }
    if (!present.is_none())
        c.present = hold(present, bool{});
    if (!offsets.is_none())
        c.offsets = hold(offsets, int64_t{});
    if (!ref.is_none()) {
        for (auto item : py::list(ref)) {
            c.refNull.push_back(item.is_none());
            c.ref.push_back(item.is_none() ? std::string() : item.cast<std::string>());
        }
    }
    finish(c);
    c.mayBeAbsent = c.present || c.kind == Kind::S || c.kind == Kind::J || c.kind == Kind::RAW ||
                    c.kind == Kind::SC || c.kind == Kind::RC;
    if (!sub.is_none()) {
        for (auto item : py::list(sub)) {
            auto t = item.cast<py::tuple>();
            c.sub.push_back(parse(t[0].cast<std::string>(), t[1].cast<py::tuple>(), keep));
        }
        std::sort(c.sub.begin(), c.sub.end(),
                  [](const Column& a, const Column& b) { return a.key < b.key; });
    }
    return c;
}

/// A growable byte buffer with amortised raw writes. Memory comes from mmap,
/// so growth remaps instead of copying. (Transparent huge pages were tried:
/// faster when warm, but a fresh process pays for compaction on first touch,
/// 300-450 ms instead of 260 ms for 150 MB; a snapshot is usually one render.)
class Buf {
public:
    Buf() = default;
    Buf(const Buf&) = delete;
    Buf& operator=(const Buf&) = delete;
    ~Buf() {
        if (m_p)
            ::munmap(m_p, m_cap);
    }
    [[gnu::always_inline]] void reserveMore(size_t k) {
        if (__builtin_expect(m_n + k > m_ready, 0))
            prepare(m_n + k);
    }
    [[gnu::always_inline]] void push_back(char c) {
        reserveMore(1);
        m_p[m_n++] = c;
    }
    [[gnu::always_inline]] void append(const char* s, size_t k) {
        reserveMore(k);
        std::memcpy(m_p + m_n, s, k);
        m_n += k;
    }
    /// Room for `k` bytes at the end, to be committed with commit().
    [[gnu::always_inline]] char* tail(size_t k) {
        reserveMore(k);
        return m_p + m_n;
    }
    [[gnu::always_inline]] void commit(size_t k) { m_n += k; }
    void append(const std::string& s) { append(s.data(), s.size()); }
    [[gnu::always_inline]] void append(const Lit& l) {
        if (__builtin_expect(l.n <= Lit::Slack, 1)) {
            reserveMore(Lit::Slack);
            std::memcpy(m_p + m_n, l.s.data(), Lit::Slack);
            m_n += l.n;
        } else {
            append(l.s.data(), l.n);
        }
    }
    void append(const char* s) { append(s, std::strlen(s)); }
    size_t size() const { return m_n; }
    char* data() const { return m_p; }
    size_t ready() const { return m_ready; }
    /// Sets the size after bytes were written through data() (n <= ready()).
    void resize(size_t n) { m_n = n; }
    /// Hand the bytes to a numpy array that unmaps them (no copy).
    py::array_t<uint8_t> release() {
        struct Mapping {
            char* p;
            size_t cap;
        };
        auto* m = new Mapping{m_p, m_cap};
        size_t n = m_n;
        m_p = nullptr;
        m_n = m_cap = m_ready = 0;
        py::capsule owner(m, [](void* q) {
            auto* mm = static_cast<Mapping*>(q);
            if (mm->p)
                ::munmap(mm->p, mm->cap);
            delete mm;
        });
        return py::array_t<uint8_t>({n}, {size_t{1}}, reinterpret_cast<uint8_t*>(m->p), owner);
    }

private:
    /// Room for `need` bytes, with the pages ahead of the writer populated a
    /// window at a time (one madvise instead of a page fault per 4 KiB page;
    /// ignored where MADV_POPULATE_WRITE is not supported).
    [[gnu::noinline]] void prepare(size_t need) {
        constexpr size_t Window = size_t{4} << 20;
        if (need > m_cap)
            grow(need);
        size_t from = m_ready, to = std::min(m_cap, std::max(need, m_ready + Window));
#ifdef MADV_POPULATE_WRITE
        if (to > from)
            ::madvise(m_p + from, to - from, MADV_POPULATE_WRITE);
#endif
        m_ready = to;
    }
    [[gnu::noinline, gnu::cold]] void grow(size_t need) {
        constexpr size_t Huge = size_t{2} << 20;
        size_t cap = std::max(need, m_cap ? m_cap * 2 : size_t{8} << 20);
        cap = (cap + Huge - 1) & ~(Huge - 1);
        void* p =
            m_p ? ::mremap(m_p, m_cap, cap, MREMAP_MAYMOVE)
                : ::mmap(nullptr, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            throw std::bad_alloc();
        m_p = static_cast<char*>(p);
        m_cap = cap;
    }
    char* m_p = nullptr;
    size_t m_n = 0, m_cap = 0, m_ready = 0; // m_ready <= m_cap: populated
};

} // namespace

#include "gather.hpp"
#include "json_cbor.hpp"

namespace {

/// The write position and the end of the room prepared after it, passed and
/// returned by value (two registers): through the buffer's members, every
/// char store could alias the position, reloaded and stored each time.
struct Cur {
    char* w;
    char* ready;
};

class Writer {
public:
    explicit Writer(Buf& out) : m_out(out) {}

    Cur begin() const { return Cur{m_out.data() + m_out.size(), m_out.data() + m_out.ready()}; }
    void end(Cur c) { m_out.resize(static_cast<size_t>(c.w - m_out.data())); }

    /// Room for k more bytes at c.w.
    [[gnu::always_inline]] Cur room(Cur c, size_t k) {
        if (__builtin_expect(c.w + k > c.ready, 0))
            c = more(c, k);
        return c;
    }
    [[gnu::always_inline]] static Cur put(Cur c, char ch) {
        *c.w++ = ch;
        return c;
    }
    [[gnu::always_inline]] Cur chars(Cur c, const char* s, size_t k) {
        c = room(c, k);
        std::memcpy(c.w, s, k);
        c.w += k;
        return c;
    }
    [[gnu::always_inline]] Cur lit(Cur c, const Lit& l) {
        if (__builtin_expect(l.n > Lit::Slack, 0))
            return chars(c, l.s.data(), l.n);
        c = room(c, Lit::Slack);
        std::memcpy(c.w, l.s.data(), Lit::Slack);
        c.w += l.n;
        return c;
    }
    [[gnu::always_inline]] Cur u64(Cur c, uint64_t v) {
        c = room(c, 24);
        c.w = std::to_chars(c.w, c.w + 24, v).ptr;
        return c;
    }
    [[gnu::always_inline]] Cur i64(Cur c, int64_t v) {
        c = room(c, 24);
        c.w = std::to_chars(c.w, c.w + 24, v).ptr;
        return c;
    }
    /// "0x" and the lower-case digits without leading zeros (as Python's
    /// format(v, "x")), in quotes.
    [[gnu::always_inline]] Cur hex(Cur c, uint64_t v) {
        c = room(c, 20);
        char* out = c.w;
        out[0] = '"';
        out[1] = '0';
        out[2] = 'x';
        const int n = v ? (67 - __builtin_clzll(v)) / 4 : 1;
        char digits[32] = {}; // 16 digits, then room for the fixed-size copy below
        hex16(v, digits);
        std::memcpy(out + 3, digits + 16 - n, 16); // 16 - n bytes past the digits: not kept
        out[3 + n] = '"';
        c.w += 4 + n;
        return c;
    }
    /// The 16 hex digits of v, most significant first (SSE2: every nibble at once).
    static void hex16(uint64_t v, char* out) {
#if defined(__SSE2__)
        const __m128i x = _mm_cvtsi64_si128(static_cast<long long>(__builtin_bswap64(v)));
        const __m128i lowNibbles = _mm_set1_epi8(0x0f);
        const __m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), lowNibbles);
        const __m128i lo = _mm_and_si128(x, lowNibbles);
        const __m128i nib = _mm_unpacklo_epi8(hi, lo); // byte order = digit order
        const __m128i letter = _mm_cmpgt_epi8(nib, _mm_set1_epi8(9));
        const __m128i ascii = _mm_add_epi8(_mm_add_epi8(nib, _mm_set1_epi8('0')),
                                           _mm_and_si128(letter, _mm_set1_epi8('a' - '0' - 10)));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), ascii);
#else
        static const char digits[] = "0123456789abcdef";
        for (int i = 15; i >= 0; --i, v >>= 4)
            out[i] = digits[v & 15];
#endif
    }
    /// "type:0x<hex>" (head is its "type:0x part), or null for 0.
    [[gnu::always_inline]] Cur id(Cur c, const Lit& head, uint64_t v) {
        if (!v)
            return chars(c, "null", 4);
        c = lit(c, head);
        c = room(c, 17);
        const int n = (67 - __builtin_clzll(v)) / 4;
        char digits[32] = {};
        hex16(v, digits);
        std::memcpy(c.w, digits + 16 - n, 16);
        c.w[n] = '"';
        c.w += n + 1;
        return c;
    }
    Cur pystr(Cur c, py::handle s) {
        Py_ssize_t n = 0;
        const char* p = PyUnicode_AsUTF8AndSize(s.ptr(), &n);
        if (!p)
            throw py::error_already_set();
        return chars(c, p, static_cast<size_t>(n));
    }

    /// Whether column c has a value at row (absent keys are skipped).
    static bool has(const Column& c, size_t row) {
        if (c.present && !c.present[row])
            return false;
        switch (c.kind) {
        case Kind::S:
        case Kind::J:
        case Kind::RAW:
            return PyList_GET_ITEM(c.items.ptr(), static_cast<Py_ssize_t>(row)) != Py_None;
        case Kind::SC:
        case Kind::RC:
            return !c.refNull[static_cast<size_t>(c.i[row])];
        default:
            return true;
        }
    }

    Cur value(Cur c, const Column& col, size_t row) {
        switch (col.kind) {
        case Kind::U:
            return u64(c, col.u[row]);
        case Kind::I:
            return i64(c, col.i[row]);
        case Kind::B:
            return col.b[row] ? chars(c, "true", 4) : chars(c, "false", 5);
        case Kind::X:
        case Kind::Addr:
            return hex(c, col.u[row]);
        case Kind::R:
        case Kind::Id:
            return id(c, col.idHead[0], col.u[row]);
        case Kind::RV:
            return id(c, col.idHead[static_cast<size_t>(col.offsets[row])], col.u[row]);
        case Kind::SC:
        case Kind::RC:
            return lit(c, col.refLit[static_cast<size_t>(col.i[row])]);
        case Kind::Type:
            return lit(c, col.refLit[0]);
        case Kind::S:
        case Kind::J:
        case Kind::RAW:
            return pystr(c, PyList_GET_ITEM(col.items.ptr(), static_cast<Py_ssize_t>(row)));
        case Kind::RL:
        case Kind::OL: {
            c = put(room(c, 1), '[');
            for (int64_t e = col.offsets[row]; e < col.offsets[row + 1]; ++e) {
                if (e > col.offsets[row])
                    c = put(room(c, 1), ',');
                c = col.kind == Kind::RL ? id(c, col.idHead[0], col.u[e])
                                         : object(c, col.sub, static_cast<size_t>(e));
            }
            return put(room(c, 1), ']');
        }
        case Kind::O:
            return object(c, col.sub, row);
        }
        return c;
    }

    Cur object(Cur c, const std::vector<Column>& cols, size_t row) {
        // Every member is written as ,"key":value; the first comma is then
        // turned into the opening brace (no per-member "first" test). The
        // buffer may move meanwhile: the start is kept as an offset.
        const auto start = static_cast<size_t>(c.w - m_out.data());
        for (const auto& col : cols) {
            if (col.mayBeAbsent && !has(col, row))
                continue;
            c = lit(c, col.prefix);
            c = value(c, col, row);
        }
        c = room(c, 2);
        char* first = m_out.data() + start;
        if (c.w == first)
            c = put(c, '{');
        else
            *first = '{';
        return put(c, '}');
    }

private:
    [[gnu::noinline]] Cur more(Cur c, size_t k) {
        end(c);
        m_out.reserveMore(k);
        return begin();
    }
    Buf& m_out;
};

py::array_t<uint8_t> encodeObjects(const py::list& tables, const std::string& prefix,
                                   const std::string& suffix) {
    Buf out;
    out.append(prefix);
    std::vector<py::object> keep;
    bool firstLine = true;
    for (auto item : tables) {
        auto t = item.cast<py::tuple>();
        std::string type = t[0].cast<std::string>();
        auto addrs = py::array_t<uint64_t, py::array::c_style | py::array::forcecast>::ensure(t[1]);
        keep.push_back(addrs);
        std::vector<Column> cols;
        for (auto c : py::list(t[2])) {
            auto ct = c.cast<py::tuple>();
            cols.push_back(parse(ct[0].cast<std::string>(), ct[1].cast<py::tuple>(), keep));
        }
        Column a, id, ty;
        a.key = "addr", a.prefix = Lit(",\"addr\":"), a.kind = Kind::Addr, a.u = addrs.data();
        id.key = "id", id.prefix = Lit(",\"id\":"), id.kind = Kind::Id, id.u = addrs.data();
        id.ref = {type};
        ty.key = "type", ty.prefix = Lit(",\"type\":"), ty.kind = Kind::Type;
        ty.ref = {"\"" + type + "\""};
        finish(id);
        finish(ty);
        cols.push_back(std::move(a));
        cols.push_back(std::move(id));
        cols.push_back(std::move(ty));
        std::sort(cols.begin(), cols.end(),
                  [](const Column& x, const Column& y) { return x.key < y.key; });
        // Optional row order (the table is not copied to be sorted).
        const int64_t* perm = nullptr;
        size_t n = static_cast<size_t>(addrs.size());
        if (t.size() > 3 && !t[3].is_none()) {
            auto p = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(t[3]);
            keep.push_back(p);
            perm = p.data();
            n = static_cast<size_t>(p.size());
        }
        Writer w(out);
        Cur c = w.begin();
        for (size_t i = 0; i < n; ++i) {
            if (!firstLine)
                c = w.chars(c, ",\n", 2);
            firstLine = false;
            c = w.object(c, cols, perm ? static_cast<size_t>(perm[i]) : i);
        }
        w.end(c);
    }
    out.append(suffix);
    return out.release();
}

py::array_t<uint8_t> jsonToCbor(const py::buffer& json, const py::bytes& prefix) {
    py::buffer_info info = json.request();
    const char* p = static_cast<const char*>(info.ptr);
    size_t n = static_cast<size_t>(info.size * info.itemsize);
    Buf out;
    out.append(std::string(prefix));
    {
        py::gil_scoped_release unlocked; // the buffer is kept alive by the caller's reference
        JsonToCbor(p, n).run(out);
    }
    return out.release();
}

} // namespace

PYBIND11_MODULE(_wsnative, m) {
    m.doc() = "waitscope snapshot encoder (C++ twin of formats/json_out.py)";
    m.def(
        "encode_objects", &encodeObjects, py::arg("tables"), py::arg("prefix") = "",
        py::arg("suffix") = "",
        "prefix + JSON lines of every object of the given table specs joined by ',\\n' + suffix.");
    m.def("json_to_cbor", &jsonToCbor, py::arg("json"), py::arg("prefix") = py::bytes(),
          "prefix + the JSON document (bytes-like) as CBOR, byte for byte what "
          "formats/cbor_out.py writes for the same document.");
    m.def("gather_rows", &gatherRows, py::arg("image"), py::arg("starts"), py::arg("ends"),
          py::arg("offs"), py::arg("base"), py::arg("size"), py::arg("addrs"), py::arg("off"),
          py::arg("span"),
          "(rows, inside): span bytes at each addrs + off through the direct map and the "
          "image's physical ranges (gather.hpp).");
    m.def("gather_cols", &gatherCols, py::arg("image"), py::arg("starts"), py::arg("ends"),
          py::arg("offs"), py::arg("base"), py::arg("size"), py::arg("addrs"), py::arg("off"),
          py::arg("span"), py::arg("members"),
          "(columns, inside): gather_rows written as one byte column per (offset, width) "
          "member (gather.hpp).");
    m.def("walk_rbtrees", &walkRbtrees, py::arg("image"), py::arg("starts"), py::arg("ends"),
          py::arg("offs"), py::arg("base"), py::arg("size"), py::arg("roots"), py::arg("cap"),
          py::arg("max_depth"), py::arg("off_pc"), py::arg("off_left"), py::arg("off_right"),
          "The red-black trees under roots, bounded and cycle-safe (gather.hpp).");
    py::class_<PyAddrIndex>(m, "AddrIndex",
                            "index_of(sorted_keys, ...) with the keys' hash table kept")
        .def(py::init<const CArray<uint64_t>&>(), py::arg("sorted_keys"))
        .def("find", &PyAddrIndex::find, py::arg("values"),
             "Position of each value in the keys (the first of equal ones), or -1.");
    m.def("index_of", &indexOf, py::arg("sorted_keys"), py::arg("values"),
          "Position of each value in sorted_keys, or -1.");
}
