// JSON text -> CBOR for _wsnative (included by wsnative.cpp only: it writes into that file's
// Buf and throws pybind11's value_error).
#pragma once

#include <charconv>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace {

/// JSON text -> CBOR (RFC 8949), as formats/cbor_out.py writes the same document: definite
/// lengths, map keys in the JSON's order (ours are sorted), integers as major 0/1, other
/// numbers (and Python's NaN/Infinity) as doubles. Two passes over the text: the first
/// validates it and counts every container's elements, the second writes. O(size).
class JsonToCbor {
public:
    JsonToCbor(const char* p, size_t n) : m_begin(p), m_end(p + n) {}

    void run(Buf& out) {
        walk<false>(nullptr);
        walk<true>(&out);
    }

private:
    static constexpr unsigned MaxDepth = 512;

    template <bool Emit>
    void walk(Buf* out) {
        m_p = m_begin;
        m_next = 0;
        value<Emit>(out, 0);
        ws();
        if (m_p != m_end)
            fail("text after the document");
    }

    [[noreturn]] void fail(const char* what) const {
        throw py::value_error(std::string("json_to_cbor: ") + what + " at byte " +
                              std::to_string(m_p - m_begin));
    }
    void ws() {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\n' || *m_p == '\r' || *m_p == '\t'))
            ++m_p;
    }
    char peek() {
        ws();
        if (m_p >= m_end)
            fail("unexpected end");
        return *m_p;
    }
    bool literal(const char* word) {
        size_t k = std::strlen(word);
        if (static_cast<size_t>(m_end - m_p) < k || std::memcmp(m_p, word, k) != 0)
            return false;
        m_p += k;
        return true;
    }

    static void head(Buf& out, unsigned major, uint64_t n) {
        uint8_t b[9];
        size_t k = 1;
        if (n < 24) {
            b[0] = static_cast<uint8_t>(major << 5 | n);
        } else {
            unsigned bytes = n < (1u << 8) ? 1 : n < (1u << 16) ? 2 : n < (1ull << 32) ? 4 : 8;
            b[0] = static_cast<uint8_t>(major << 5 | (bytes == 1   ? 24
                                                      : bytes == 2 ? 25
                                                      : bytes == 4 ? 26
                                                                   : 27));
            for (unsigned i = 0; i < bytes; ++i)
                b[k++] = static_cast<uint8_t>(n >> (8 * (bytes - 1 - i)));
        }
        out.append(reinterpret_cast<const char*>(b), k);
    }
    static void dbl(Buf& out, double d) {
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        out.push_back('\xfb');
        for (int i = 7; i >= 0; --i)
            out.push_back(static_cast<char>(bits >> (8 * i)));
    }

    template <bool Emit>
    void value(Buf* out, unsigned depth) {
        if (depth > MaxDepth)
            fail("nesting too deep");
        char c = peek();
        if (c == '{' || c == '[') {
            container<Emit>(out, depth, c == '{');
        } else if (c == '"') {
            string<Emit>(out);
        } else if (literal("true")) {
            if constexpr (Emit)
                out->push_back('\xf5');
        } else if (literal("false")) {
            if constexpr (Emit)
                out->push_back('\xf4');
        } else if (literal("null")) {
            if constexpr (Emit)
                out->push_back('\xf6');
        } else if (literal("NaN")) {
            if constexpr (Emit)
                dbl(*out, std::numeric_limits<double>::quiet_NaN());
        } else if (literal("Infinity")) {
            if constexpr (Emit)
                dbl(*out, std::numeric_limits<double>::infinity());
        } else if (literal("-Infinity")) {
            if constexpr (Emit)
                dbl(*out, -std::numeric_limits<double>::infinity());
        } else {
            number<Emit>(out);
        }
    }

    template <bool Emit>
    void container(Buf* out, unsigned depth, bool map) {
        ++m_p;
        size_t index = m_next++;
        if constexpr (Emit)
            head(*out, map ? 5 : 4, m_counts[index]);
        else
            m_counts.push_back(0);
        const char close = map ? '}' : ']';
        uint64_t n = 0;
        if (peek() == close) {
            ++m_p;
            return;
        }
        for (;;) {
            if (map) {
                if (peek() != '"')
                    fail("expected a key");
                string<Emit>(out);
                if (peek() != ':')
                    fail("expected ':'");
                ++m_p;
            }
            value<Emit>(out, depth + 1);
            ++n;
            char c = peek();
            ++m_p;
            if (c == close)
                break;
            if (c != ',')
                fail("expected ',' or the container's end");
        }
        if constexpr (!Emit)
            m_counts[index] = n;
    }

    static void utf8(std::string& s, uint32_t cp) {
        if (cp < 0x80) {
            s += static_cast<char>(cp);
        } else if (cp < 0x800) {
            s += static_cast<char>(0xc0 | cp >> 6);
            s += static_cast<char>(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            s += static_cast<char>(0xe0 | cp >> 12);
            s += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
            s += static_cast<char>(0x80 | (cp & 0x3f));
        } else {
            s += static_cast<char>(0xf0 | cp >> 18);
            s += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
            s += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
            s += static_cast<char>(0x80 | (cp & 0x3f));
        }
    }
    uint32_t hex4() {
        if (m_end - m_p < 4)
            fail("short \\u escape");
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            char c = *m_p++;
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<uint32_t>(c - '0');
            else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                v |= static_cast<uint32_t>((c | 0x20) - 'a' + 10);
            else
                fail("bad \\u escape");
        }
        return v;
    }

    template <bool Emit>
    void string(Buf* out) {
        const char* start = ++m_p;
        while (m_p < m_end && *m_p != '"' && *m_p != '\\')
            ++m_p;
        if (m_p < m_end && *m_p == '"') { // no escapes: copy as is
            if constexpr (Emit) {
                head(*out, 3, static_cast<uint64_t>(m_p - start));
                out->append(start, static_cast<size_t>(m_p - start));
            }
            ++m_p;
            return;
        }
        m_text.assign(start, m_p);
        for (;;) {
            if (m_p >= m_end)
                fail("unterminated string");
            char c = *m_p++;
            if (c == '"')
                break;
            if (c != '\\') {
                m_text += c;
                continue;
            }
            if (m_p >= m_end)
                fail("unterminated escape");
            switch (char e = *m_p++) {
            case '"':
            case '\\':
            case '/':
                m_text += e;
                break;
            case 'b':
                m_text += '\b';
                break;
            case 'f':
                m_text += '\f';
                break;
            case 'n':
                m_text += '\n';
                break;
            case 'r':
                m_text += '\r';
                break;
            case 't':
                m_text += '\t';
                break;
            case 'u': {
                uint32_t cp = hex4();
                if (cp >= 0xd800 && cp < 0xdc00 && m_end - m_p >= 6 && m_p[0] == '\\' &&
                    m_p[1] == 'u') {
                    const char* save = m_p;
                    m_p += 2;
                    uint32_t lo = hex4();
                    if (lo >= 0xdc00 && lo < 0xe000)
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    else
                        m_p = save; // a lone high surrogate, as Python keeps it
                }
                utf8(m_text, cp);
                break;
            }
            default:
                fail("bad escape");
            }
        }
        if constexpr (Emit) {
            head(*out, 3, m_text.size());
            out->append(m_text);
        }
    }

    template <bool Emit>
    void number(Buf* out) {
        const char* start = m_p;
        bool real = false;
        while (m_p < m_end) {
            char c = *m_p;
            if (c == '.' || c == 'e' || c == 'E' || c == '+')
                real = true;
            else if (!(c == '-' || (c >= '0' && c <= '9')))
                break;
            ++m_p;
        }
        if (m_p == start)
            fail("unexpected character");
        if (real) {
            double d;
            auto r = std::from_chars(start, m_p, d);
            if (r.ec != std::errc() || r.ptr != m_p)
                fail("bad number");
            if constexpr (Emit)
                dbl(*out, d);
        } else if (*start == '-') {
            int64_t v;
            auto r = std::from_chars(start, m_p, v);
            if (r.ec != std::errc() || r.ptr != m_p)
                fail("integer out of range");
            if constexpr (Emit)
                head(*out, 1, static_cast<uint64_t>(-1 - v));
        } else {
            uint64_t v;
            auto r = std::from_chars(start, m_p, v);
            if (r.ec != std::errc() || r.ptr != m_p)
                fail("integer out of range");
            if constexpr (Emit)
                head(*out, 0, v);
        }
    }

    const char* m_begin;
    const char* m_end;
    const char* m_p = nullptr;
    std::vector<uint64_t> m_counts; // elements of each container, in opening order
    size_t m_next = 0;
    std::string m_text; // a string with escapes, decoded
};

} // namespace
