// DOT reader: a lexer and a recursive-descent parser for the Graphviz DOT language subset
// that exported graphs use; unknown attributes are parsed and ignored.
// [SECTION] lexer
// [SECTION] parser: graph, statements, subgraphs, attributes
// [SECTION] node sizes and fills from attributes
#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <stdexcept>

#include <waitscope/layouts/dot.hpp>

namespace waitscope::layouts {

namespace {

// [SECTION] lexer

enum class Tok { Id, LBrace, RBrace, LBracket, RBracket, Equals, Semi, Comma, Colon, EdgeOp, End };

struct Token {
    Tok kind = Tok::End;
    std::string text; ///< Id: the id (unquoted, escapes resolved); EdgeOp: "->" or "--"
    bool quoted = false;
    int line = 1;
};

/// Thrown inside the parser only; parseDot turns it into DotParse::error.
struct DotError : std::runtime_error {
    DotError(int line, const std::string& what)
        : std::runtime_error("line " + std::to_string(line) + ": " + what) {}
};

class Lexer {
public:
    explicit Lexer(std::string_view s) : m_s(s) {}

    Token next() {
        skipSpaceAndComments();
        Token t;
        t.line = m_line;
        if (m_i >= m_s.size())
            return t;
        char c = m_s[m_i];
        auto single = [&](Tok k) {
            ++m_i;
            t.kind = k;
            return t;
        };
        switch (c) {
        case '{':
            return single(Tok::LBrace);
        case '}':
            return single(Tok::RBrace);
        case '[':
            return single(Tok::LBracket);
        case ']':
            return single(Tok::RBracket);
        case '=':
            return single(Tok::Equals);
        case ';':
            return single(Tok::Semi);
        case ',':
            return single(Tok::Comma);
        case ':':
            return single(Tok::Colon);
        case '"':
            t.kind = Tok::Id;
            t.quoted = true;
            t.text = quoted();
            // "a" + "b" concatenation
            for (;;) {
                std::size_t save = m_i;
                int saveLine = m_line;
                skipSpaceAndComments();
                if (m_i < m_s.size() && m_s[m_i] == '+') {
                    ++m_i;
                    skipSpaceAndComments();
                    if (m_i < m_s.size() && m_s[m_i] == '"') {
                        t.text += quoted();
                        continue;
                    }
                    throw DotError(m_line, "expected a quoted string after '+'");
                }
                m_i = save;
                m_line = saveLine;
                break;
            }
            return t;
        case '<':
            t.kind = Tok::Id;
            t.quoted = true;
            t.text = html();
            return t;
        default:
            break;
        }
        if (c == '-' && m_i + 1 < m_s.size() && (m_s[m_i + 1] == '>' || m_s[m_i + 1] == '-')) {
            t.kind = Tok::EdgeOp;
            t.text = m_s.substr(m_i, 2);
            m_i += 2;
            return t;
        }
        if (c == '-' || c == '.' || isDigit(c)) {
            t.kind = Tok::Id;
            t.text = numeral();
            return t;
        }
        if (isIdStart(c)) {
            std::size_t b = m_i;
            while (m_i < m_s.size() && (isIdStart(m_s[m_i]) || isDigit(m_s[m_i])))
                ++m_i;
            t.kind = Tok::Id;
            t.text = m_s.substr(b, m_i - b);
            return t;
        }
        throw DotError(m_line, std::string("unexpected character '") + c + "'");
    }

private:
    static bool isDigit(char c) { return c >= '0' && c <= '9'; }
    static bool isIdStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
               static_cast<unsigned char>(c) >= 0x80;
    }

    void skipSpaceAndComments() {
        bool lineStart = m_i == 0 || m_s[m_i - 1] == '\n';
        while (m_i < m_s.size()) {
            char c = m_s[m_i];
            if (c == '\n') {
                ++m_line;
                ++m_i;
                lineStart = true;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
                ++m_i;
            } else if (c == '#' && lineStart) {
                while (m_i < m_s.size() && m_s[m_i] != '\n')
                    ++m_i;
            } else if (c == '/' && m_i + 1 < m_s.size() && m_s[m_i + 1] == '/') {
                while (m_i < m_s.size() && m_s[m_i] != '\n')
                    ++m_i;
            } else if (c == '/' && m_i + 1 < m_s.size() && m_s[m_i + 1] == '*') {
                int startLine = m_line;
                std::size_t end = m_s.find("*/", m_i + 2);
                if (end == std::string_view::npos)
                    throw DotError(startLine, "unterminated /* comment");
                m_line += static_cast<int>(std::count(m_s.begin() + m_i, m_s.begin() + end, '\n'));
                m_i = end + 2;
            } else {
                return;
            }
        }
    }

    std::string quoted() {
        int startLine = m_line;
        std::string out;
        ++m_i; // opening quote
        while (m_i < m_s.size()) {
            char c = m_s[m_i++];
            if (c == '"')
                return out;
            if (c == '\n')
                ++m_line;
            if (c == '\\' && m_i < m_s.size()) {
                char d = m_s[m_i];
                if (d == '"') {
                    out += '"';
                    ++m_i;
                    continue;
                }
                if (d == '\n') { // line continuation
                    ++m_line;
                    ++m_i;
                    continue;
                }
                if (d == '\r' && m_i + 1 < m_s.size() && m_s[m_i + 1] == '\n') {
                    ++m_line;
                    m_i += 2;
                    continue;
                }
            }
            out += c;
        }
        throw DotError(startLine, "unterminated string");
    }

    std::string html() {
        int startLine = m_line;
        std::size_t b = ++m_i;
        int depth = 1;
        while (m_i < m_s.size()) {
            char c = m_s[m_i++];
            if (c == '\n')
                ++m_line;
            else if (c == '<')
                ++depth;
            else if (c == '>' && --depth == 0)
                return std::string(m_s.substr(b, m_i - 1 - b));
        }
        throw DotError(startLine, "unterminated <html> id");
    }

    std::string numeral() {
        std::size_t b = m_i;
        if (m_s[m_i] == '-')
            ++m_i;
        bool digits = false, dot = false;
        while (m_i < m_s.size() && (isDigit(m_s[m_i]) || (m_s[m_i] == '.' && !dot))) {
            digits = digits || isDigit(m_s[m_i]);
            dot = dot || m_s[m_i] == '.';
            ++m_i;
        }
        if (!digits)
            throw DotError(m_line, "malformed number");
        return std::string(m_s.substr(b, m_i - b));
    }

    std::string_view m_s;
    std::size_t m_i = 0;
    int m_line = 1;
};

bool keyword(const Token& t, std::string_view word) {
    if (t.kind != Tok::Id || t.quoted || t.text.size() != word.size())
        return false;
    for (std::size_t i = 0; i < word.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(t.text[i])) != word[i])
            return false;
    return true;
}

std::string describe(const Token& t) {
    switch (t.kind) {
    case Tok::Id:
        return "'" + t.text.substr(0, 40) + "'";
    case Tok::LBrace:
        return "'{'";
    case Tok::RBrace:
        return "'}'";
    case Tok::LBracket:
        return "'['";
    case Tok::RBracket:
        return "']'";
    case Tok::Equals:
        return "'='";
    case Tok::Semi:
        return "';'";
    case Tok::Comma:
        return "','";
    case Tok::Colon:
        return "':'";
    case Tok::EdgeOp:
        return "'" + t.text + "'";
    case Tok::End:
        return "end of file";
    }
    return "?";
}

// [SECTION] parser: graph, statements, subgraphs, attributes

using Attrs = std::map<std::string, std::string>;

struct Scope {
    Attrs nodeDefaults;
    std::uint32_t cluster = NoCluster;
};

constexpr int MaxDepth = 200;

class Parser {
public:
    explicit Parser(std::string_view text) : m_lex(text) { advance(); }

    LabelledGraph parse() {
        if (keyword(m_tok, "strict"))
            advance();
        if (!keyword(m_tok, "digraph") && !keyword(m_tok, "graph"))
            fail("expected 'digraph' or 'graph'");
        advance();
        if (m_tok.kind == Tok::Id) {
            m_out.name = m_tok.text;
            advance();
        }
        expect(Tok::LBrace, "'{'");
        std::vector<Scope> scopes{Scope{}};
        statements(scopes, nullptr, 0);
        expect(Tok::RBrace, "'}'");
        if (m_tok.kind != Tok::End)
            fail("unexpected " + describe(m_tok) + " after the graph");
        finish();
        return std::move(m_out);
    }

private:
    void advance() { m_tok = m_lex.next(); }
    [[noreturn]] void fail(const std::string& what) const { throw DotError(m_tok.line, what); }
    void expect(Tok k, const char* what) {
        if (m_tok.kind != k)
            fail(std::string("expected ") + what + ", found " + describe(m_tok));
        advance();
    }
    std::string id(const char* what) {
        if (m_tok.kind != Tok::Id)
            fail(std::string("expected ") + what + ", found " + describe(m_tok));
        std::string s = m_tok.text;
        advance();
        return s;
    }

    /// [a=b, c=d; e] [f=g]: all lists merged.
    Attrs attrLists() {
        Attrs a;
        while (m_tok.kind == Tok::LBracket) {
            advance();
            while (m_tok.kind != Tok::RBracket) {
                std::string k = id("an attribute name");
                std::string v = "true";
                if (m_tok.kind == Tok::Equals) {
                    advance();
                    v = id("an attribute value");
                }
                a[k] = v;
                if (m_tok.kind == Tok::Comma || m_tok.kind == Tok::Semi)
                    advance();
            }
            advance();
        }
        return a;
    }

    NodeId node(const std::string& name, const Scope& scope) {
        auto [it, created] = m_ids.try_emplace(name, static_cast<NodeId>(m_out.names.size()));
        if (created) {
            m_out.names.push_back(name);
            m_attrs.push_back(scope.nodeDefaults);
            m_cluster.push_back(scope.cluster);
        }
        return it->second;
    }

    /// node_id [':' port [':' compass]]
    NodeId nodeId(const Scope& scope) {
        NodeId v = node(id("a node id"), scope);
        for (int i = 0; i < 2 && m_tok.kind == Tok::Colon; ++i) {
            advance();
            id("a port");
        }
        return v;
    }

    /// Parses statements until '}' (not consumed). `members` collects the nodes mentioned.
    void statements(std::vector<Scope>& scopes, std::vector<NodeId>* members, int depth) {
        while (m_tok.kind != Tok::RBrace) {
            if (m_tok.kind == Tok::End)
                fail("expected '}' before end of file");
            statement(scopes, members, depth);
            if (m_tok.kind == Tok::Semi)
                advance();
        }
    }

    void statement(std::vector<Scope>& scopes, std::vector<NodeId>* members, int depth) {
        Scope& scope = scopes.back();
        if (keyword(m_tok, "node")) {
            advance();
            for (auto& [k, v] : attrLists())
                scope.nodeDefaults[k] = v;
            return;
        }
        if (keyword(m_tok, "edge")) {
            advance();
            attrLists();
            return;
        }
        if (keyword(m_tok, "graph")) {
            advance();
            Attrs a = attrLists();
            if (auto it = a.find("label"); it != a.end())
                graphLabel(scope, it->second);
            return;
        }
        // First operand: a subgraph or a node id (or `id = id`).
        std::vector<NodeId> operand;
        bool isSubgraph = m_tok.kind == Tok::LBrace || keyword(m_tok, "subgraph");
        if (isSubgraph) {
            operand = subgraph(scopes, depth);
        } else {
            std::string first = id("a statement");
            if (m_tok.kind == Tok::Equals) {
                advance();
                std::string value = id("a value");
                if (first == "label")
                    graphLabel(scope, value);
                return;
            }
            NodeId v = node(first, scope);
            for (int i = 0; i < 2 && m_tok.kind == Tok::Colon; ++i) {
                advance();
                id("a port");
            }
            operand.push_back(v);
        }
        if (members)
            members->insert(members->end(), operand.begin(), operand.end());
        if (m_tok.kind != Tok::EdgeOp) {
            if (!isSubgraph) {
                Attrs a = attrLists();
                for (auto& [k, v] : a)
                    m_attrs[operand.front()][k] = v;
            }
            return;
        }
        while (m_tok.kind == Tok::EdgeOp) {
            advance();
            std::vector<NodeId> next;
            if (m_tok.kind == Tok::LBrace || keyword(m_tok, "subgraph"))
                next = subgraph(scopes, depth);
            else
                next.push_back(nodeId(scopes.back()));
            if (members)
                members->insert(members->end(), next.begin(), next.end());
            for (NodeId t : operand)
                for (NodeId h : next)
                    m_out.graph.edges.push_back({t, h});
            operand = std::move(next);
        }
        attrLists();
    }

    std::vector<NodeId> subgraph(std::vector<Scope>& scopes, int depth) {
        if (depth >= MaxDepth)
            fail("subgraphs nested too deeply");
        std::string name;
        if (keyword(m_tok, "subgraph")) {
            advance();
            if (m_tok.kind == Tok::Id) {
                name = m_tok.text;
                advance();
            }
        }
        Scope inner = scopes.back();
        if (name.compare(0, 7, "cluster") == 0) {
            inner.cluster = static_cast<std::uint32_t>(m_out.clusterLabels.size());
            m_out.clusterLabels.push_back(name.substr(7));
        }
        scopes.push_back(inner);
        expect(Tok::LBrace, "'{'");
        std::vector<NodeId> members;
        statements(scopes, &members, depth + 1);
        expect(Tok::RBrace, "'}'");
        scopes.pop_back();
        std::sort(members.begin(), members.end());
        members.erase(std::unique(members.begin(), members.end()), members.end());
        return members;
    }

    void graphLabel(const Scope& scope, const std::string& label) {
        if (scope.cluster != NoCluster)
            m_out.clusterLabels[scope.cluster] = label;
    }

    // [SECTION] node sizes and fills from attributes

    static std::optional<double> number(const Attrs& a, const char* key) {
        auto it = a.find(key);
        if (it == a.end())
            return std::nullopt;
        double v = 0.0;
        const char* b = it->second.data();
        auto [p, ec] = std::from_chars(b, b + it->second.size(), v);
        if (ec != std::errc() || !(v > 0.0) || v > 1000.0)
            return std::nullopt;
        return v;
    }

    void finish() {
        NodeId n = static_cast<NodeId>(m_out.names.size());
        m_out.labels.resize(n);
        m_out.fills.resize(n);
        m_out.graph.sizes.resize(n);
        m_out.graph.keys.resize(n);
        bool anyCluster = false;
        for (NodeId v = 0; v < n; ++v) {
            const Attrs& a = m_attrs[v];
            std::string label = m_out.names[v];
            if (auto it = a.find("label"); it != a.end() && it->second != "\\N")
                label = it->second;
            // Line breaks: DOT's \n, \l and \r escapes.
            std::string text;
            for (std::size_t i = 0; i < label.size(); ++i) {
                if (label[i] == '\\' && i + 1 < label.size() &&
                    (label[i + 1] == 'n' || label[i + 1] == 'l' || label[i + 1] == 'r')) {
                    text += '\n';
                    ++i;
                } else {
                    text += label[i];
                }
            }
            while (!text.empty() && text.back() == '\n')
                text.pop_back();
            std::size_t lines = 1, longest = 0, cur = 0;
            for (char c : text) {
                if (c == '\n') {
                    ++lines;
                    cur = 0;
                } else if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) {
                    longest = std::max(longest, ++cur);
                }
            }
            m_out.labels[v] = text;
            Size s;
            s.width = std::max(54.0, 7.0 * static_cast<double>(longest) + 16.0);
            s.height = std::max(36.0, 14.0 * static_cast<double>(lines) + 10.0);
            if (auto w = number(a, "width"))
                s.width = *w * 72.0;
            if (auto h = number(a, "height"))
                s.height = *h * 72.0;
            m_out.graph.sizes[v] = s;
            m_out.graph.keys[v] = stableKey(m_out.names[v]);
            auto style = a.find("style");
            bool filled = style != a.end() && style->second.find("filled") != std::string::npos;
            if (auto f = a.find("fillcolor"); f != a.end())
                m_out.fills[v] = f->second;
            else if (auto c = a.find("color"); filled && c != a.end())
                m_out.fills[v] = c->second;
            anyCluster = anyCluster || m_cluster[v] != NoCluster;
        }
        if (anyCluster)
            m_out.graph.clusters = m_cluster;
    }

    Lexer m_lex;
    Token m_tok;
    LabelledGraph m_out;
    std::map<std::string, NodeId> m_ids;
    std::vector<Attrs> m_attrs;
    std::vector<std::uint32_t> m_cluster;
};

} // namespace

DotParse parseDot(std::string_view text) {
    DotParse r;
    try {
        r.graph = Parser(text).parse();
    } catch (const DotError& e) {
        r.error = e.what();
        r.graph = {};
    } catch (const std::exception& e) { // std::bad_alloc and the like
        r.error = e.what();
        r.graph = {};
    }
    return r;
}

} // namespace waitscope::layouts
