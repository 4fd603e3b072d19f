// Writers: Graphviz plain, SVG and JSON for any LabelledGraph + LayoutResult.
// [SECTION] number formatting and escaping
// [SECTION] plain
// [SECTION] SVG
// [SECTION] JSON
#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numbers>

#include <waitscope/layouts/export.hpp>

namespace waitscope::layouts {

namespace {

// [SECTION] number formatting and escaping

/// Fixed-point with `decimals`, trailing zeros trimmed, locale independent ("-0" -> "0").
std::string num(double v, int decimals) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    std::string s(buf, ec == std::errc() ? end : buf);
    if (s.find('.') != std::string::npos) {
        while (s.back() == '0')
            s.pop_back();
        if (s.back() == '.')
            s.pop_back();
    }
    if (s == "-0")
        s = "0";
    return s;
}

/// Appends v with at most 4 decimals, trailing zeros trimmed ("0", never "-0"): integer
/// formatting of round(v * 10^4), several times faster than floating-point to_chars.
void appendFixed4(std::string& out, double v) {
    if (!(std::fabs(v) < 1e12)) {
        out += num(v, 4);
        return;
    }
    long long k = std::llround(v * 10000.0);
    if (k < 0) {
        out += '-';
        k = -k;
    }
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, k / 10000);
    out.append(buf, end);
    int frac = static_cast<int>(k % 10000);
    if (frac != 0) {
        char f[5] = {'.', static_cast<char>('0' + frac / 1000),
                     static_cast<char>('0' + frac / 100 % 10),
                     static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10)};
        int len = 5;
        while (f[len - 1] == '0')
            --len;
        out.append(f, static_cast<std::size_t>(len));
    }
}

bool plainId(std::string_view s) {
    if (s.empty())
        return false;
    bool alpha = !(s[0] >= '0' && s[0] <= '9');
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || (!alpha && c == '.');
        if (!ok)
            return false;
    }
    return true;
}

/// Appends a name or label as Graphviz plain writes it: bare when simple, else
/// double-quoted with `"` and `\` escaped and newlines as \n.
void appendQuoted(std::string& out, std::string_view s) {
    if (plainId(s)) {
        out += s;
        return;
    }
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    out += '"';
}

std::string xmlEscape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t')
                out += c;
        }
    }
    return out;
}

/// A colour safe to put into an SVG attribute (names and #hex only), else `fallback`.
std::string svgColour(const std::string& c, const char* fallback) {
    if (c.empty() || c.size() > 40)
        return fallback;
    for (char ch : c)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '#'))
            return fallback;
    return c;
}

const std::string& labelOf(const LabelledGraph& g, NodeId v) {
    return v < g.labels.size() && !g.labels[v].empty() ? g.labels[v] : g.names[v];
}

std::string nameOf(const LabelledGraph& g, NodeId v) {
    return v < g.names.size() ? g.names[v] : std::to_string(v);
}

/// Appends the name of node v (its index when the graph has no names).
void appendName(std::string& out, const LabelledGraph& g, NodeId v) {
    if (v < g.names.size())
        appendQuoted(out, g.names[v]);
    else
        out += std::to_string(v);
}

} // namespace

// [SECTION] plain

std::string writePlain(const LabelledGraph& g, const LayoutResult& r) {
    const Rect& b = r.bounds;
    std::string out;
    out.reserve(64 * r.positions.size() + 48 * r.edgePoints.size() + 64);
    auto put = [&out](double v) { appendFixed4(out, v); };
    auto X = [&](double x) { put((x - b.minX) / 72.0); };
    auto Y = [&](double y) { put((b.maxY - y) / 72.0); };
    out += "graph 1 ";
    put(b.width() / 72.0);
    out += ' ';
    put(b.height() / 72.0);
    out += '\n';
    NodeId n = static_cast<NodeId>(r.positions.size());
    for (NodeId v = 0; v < n; ++v) {
        out += "node ";
        appendName(out, g, v);
        out += ' ';
        X(r.positions[v].x);
        out += ' ';
        Y(r.positions[v].y);
        out += ' ';
        put(r.sizes[v].width / 72.0);
        out += ' ';
        put(r.sizes[v].height / 72.0);
        out += ' ';
        appendQuoted(out,
                     v < g.names.size() ? std::string_view(labelOf(g, v)) : std::string_view());
        out += " solid box black ";
        appendQuoted(out, v < g.fills.size() && !g.fills[v].empty()
                              ? std::string_view(g.fills[v])
                              : std::string_view("lightgrey"));
        out += '\n';
    }
    for (std::size_t e = 0; e < r.edgeCount() && e < g.graph.edges.size(); ++e) {
        auto pts = r.edge(e);
        out += "edge ";
        appendName(out, g, g.graph.edges[e].from);
        out += ' ';
        appendName(out, g, g.graph.edges[e].to);
        out += ' ';
        out += std::to_string(pts.empty() ? 0 : 3 * (pts.size() - 1) + 1);
        auto point = [&](Point p) {
            out += ' ';
            X(p.x);
            out += ' ';
            Y(p.y);
        };
        if (!pts.empty()) {
            point(pts[0]);
            for (std::size_t i = 0; i + 1 < pts.size(); ++i) {
                point(pts[i]);
                point(pts[i + 1]);
                point(pts[i + 1]);
            }
        }
        out += " solid black\n";
    }
    out += "stop\n";
    return out;
}

// [SECTION] SVG

std::string writeSvg(const LabelledGraph& g, const LayoutResult& r, const SvgOptions& o) {
    const Rect& b = r.bounds;
    double m = o.margin;
    auto N = [](double v) { return num(v, 2); };
    std::string s;
    s += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    s += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" +
         N(b.width() + 2 * m) + "pt\" height=\"" + N(b.height() + 2 * m) + "pt\" viewBox=\"" +
         N(b.minX - m) + " " + N(b.minY - m) + " " + N(b.width() + 2 * m) + " " +
         N(b.height() + 2 * m) + "\">\n";
    if (!g.name.empty())
        s += "<title>" + xmlEscape(g.name) + "</title>\n";
    s += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
         "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" "
         "fill=\"#333\"/></marker></defs>\n";
    s += "<g font-family=\"sans-serif\" font-size=\"" + N(o.fontSize) + "\">\n";
    for (const ClusterBox& c : r.clusters) {
        s += "<rect class=\"cluster\" x=\"" + N(c.box.minX) + "\" y=\"" + N(c.box.minY) +
             "\" width=\"" + N(c.box.width()) + "\" height=\"" + N(c.box.height()) +
             "\" fill=\"#f4f6fb\" stroke=\"#8892a6\" stroke-dasharray=\"4 2\"/>\n";
        if (c.cluster < g.clusterLabels.size() && !g.clusterLabels[c.cluster].empty())
            s += "<text x=\"" + N(c.box.minX + 4) + "\" y=\"" + N(c.box.minY + o.fontSize) +
                 "\" fill=\"#556\">" + xmlEscape(g.clusterLabels[c.cluster]) + "</text>\n";
    }
    for (const Arc& a : r.arcs) {
        if (a.kind == ArcKind::Track || a.sweep >= 2.0 * std::numbers::pi - 1e-9) {
            s += "<circle class=\"" + std::string(a.kind == ArcKind::Track ? "track" : "filled") +
                 "\" cx=\"" + N(a.centre.x) + "\" cy=\"" + N(a.centre.y) + "\" r=\"" + N(a.radius) +
                 "\" fill=\"none\" stroke=\"" + (a.kind == ArcKind::Track ? "#ccc" : "#4a90d9") +
                 "\" stroke-width=\"" + (a.kind == ArcKind::Track ? "2" : "8") +
                 "\" opacity=\"0.6\"/>\n";
            continue;
        }
        if (a.sweep <= 0.0)
            continue;
        auto at = [&](double ang) {
            return N(a.centre.x + a.radius * std::sin(ang)) + "," +
                   N(a.centre.y - a.radius * std::cos(ang));
        };
        s += "<path class=\"filled\" d=\"M" + at(a.startAngle) + " A" + N(a.radius) + "," +
             N(a.radius) + " 0 " + (a.sweep > std::numbers::pi ? "1" : "0") + " 1 " +
             at(a.startAngle + a.sweep) +
             "\" fill=\"none\" stroke=\"#4a90d9\" stroke-width=\"8\" opacity=\"0.6\"/>\n";
    }
    for (std::size_t e = 0; e < r.edgeCount(); ++e) {
        auto pts = r.edge(e);
        if (pts.size() < 2)
            continue;
        std::string d;
        for (std::size_t i = 0; i < pts.size(); ++i)
            d += (i ? " L" : "M") + N(pts[i].x) + "," + N(pts[i].y);
        s += "<path class=\"edge\" d=\"" + d +
             "\" fill=\"none\" stroke=\"#333\" marker-end=\"url(#arrow)\"/>\n";
    }
    for (const Marker& k : r.markers) {
        if (k.kind != MarkerKind::NilLeaf || k.owner >= r.positions.size())
            continue;
        Point p = r.positions[k.owner];
        s += "<line class=\"nil\" x1=\"" + N(p.x) + "\" y1=\"" +
             N(p.y + r.sizes[k.owner].height / 2) + "\" x2=\"" + N(k.at.x) + "\" y2=\"" +
             N(k.at.y - k.size.height / 2) + "\" stroke=\"#999\"/>\n";
    }
    for (std::size_t v = 0; v < r.positions.size(); ++v) {
        Point p = r.positions[v];
        Size z = r.sizes[v];
        std::string fill = v < g.fills.size() ? svgColour(g.fills[v], "white") : "white";
        s += "<g class=\"node\"><title>" + xmlEscape(v < g.names.size() ? g.names[v] : "") +
             "</title><rect x=\"" + N(p.x - z.width / 2) + "\" y=\"" + N(p.y - z.height / 2) +
             "\" width=\"" + N(z.width) + "\" height=\"" + N(z.height) + "\" fill=\"" + fill +
             "\" stroke=\"#222\"/>";
        std::string text = v < g.names.size() ? labelOf(g, static_cast<NodeId>(v)) : "";
        std::vector<std::string> lines{""};
        for (char c : text) {
            if (c == '\n')
                lines.emplace_back();
            else
                lines.back() += c;
        }
        double y0 = p.y - (static_cast<double>(lines.size()) - 1) * o.fontSize * 0.6;
        for (std::size_t i = 0; i < lines.size(); ++i)
            s += "<text x=\"" + N(p.x) + "\" y=\"" + N(y0 + i * o.fontSize * 1.2) +
                 "\" text-anchor=\"middle\" dominant-baseline=\"central\">" + xmlEscape(lines[i]) +
                 "</text>";
        s += "</g>\n";
    }
    for (const Marker& k : r.markers) {
        switch (k.kind) {
        case MarkerKind::NilLeaf:
            s += "<rect class=\"nil\" x=\"" + N(k.at.x - k.size.width / 2) + "\" y=\"" +
                 N(k.at.y - k.size.height / 2) + "\" width=\"" + N(k.size.width) + "\" height=\"" +
                 N(k.size.height) + "\" fill=\"black\"/>\n";
            break;
        case MarkerKind::Head:
        case MarkerKind::In:
        case MarkerKind::Out: {
            const char* word = k.kind == MarkerKind::Head ? "head"
                               : k.kind == MarkerKind::In ? "in"
                                                          : "out";
            const char* colour = k.kind == MarkerKind::Out ? "#c0392b" : "#1e6fbf";
            s += "<text class=\"marker\" x=\"" + N(k.at.x) + "\" y=\"" + N(k.at.y) +
                 "\" text-anchor=\"middle\" dominant-baseline=\"central\" font-weight=\"bold\" "
                 "fill=\"" +
                 colour + "\">" + word + "</text>\n";
            break;
        }
        }
    }
    s += "</g>\n</svg>\n";
    return s;
}

// [SECTION] JSON

std::string writeJson(const LabelledGraph& g, const LayoutResult& r, bool timings) {
    using Json = nlohmann::ordered_json;
    auto pt = [](Point p) { return Json::array({p.x, p.y}); };
    auto rect = [](const Rect& b) { return Json::array({b.minX, b.minY, b.maxX, b.maxY}); };
    Json j;
    j["graph"] = g.name;
    j["bounds"] = rect(r.bounds);
    Json nodes = Json::array();
    for (std::size_t v = 0; v < r.positions.size(); ++v) {
        Json o;
        o["name"] = nameOf(g, static_cast<NodeId>(v));
        o["label"] = v < g.names.size() ? labelOf(g, static_cast<NodeId>(v)) : "";
        o["x"] = r.positions[v].x;
        o["y"] = r.positions[v].y;
        o["width"] = r.sizes[v].width;
        o["height"] = r.sizes[v].height;
        o["layer"] = v < r.layers.size() ? r.layers[v] : -1;
        if (v < g.graph.clusters.size() && g.graph.clusters[v] != NoCluster)
            o["cluster"] = g.graph.clusters[v];
        if (v < g.fills.size() && !g.fills[v].empty())
            o["fill"] = g.fills[v];
        nodes.push_back(std::move(o));
    }
    j["nodes"] = std::move(nodes);
    Json edges = Json::array();
    for (std::size_t e = 0; e < r.edgeCount(); ++e) {
        Json o;
        if (e < g.graph.edges.size()) {
            o["tail"] = nameOf(g, g.graph.edges[e].from);
            o["head"] = nameOf(g, g.graph.edges[e].to);
        }
        Json pts = Json::array();
        for (Point p : r.edge(e))
            pts.push_back(pt(p));
        o["points"] = std::move(pts);
        edges.push_back(std::move(o));
    }
    j["edges"] = std::move(edges);
    Json clusters = Json::array();
    for (const ClusterBox& c : r.clusters) {
        Json o;
        o["id"] = c.cluster;
        o["label"] = c.cluster < g.clusterLabels.size() ? g.clusterLabels[c.cluster] : "";
        o["box"] = rect(c.box);
        clusters.push_back(std::move(o));
    }
    j["clusters"] = std::move(clusters);
    Json markers = Json::array();
    for (const Marker& k : r.markers) {
        static constexpr const char* Kinds[] = {"nil", "head", "in", "out"};
        markers.push_back({{"kind", Kinds[static_cast<int>(k.kind)]},
                           {"owner", k.owner},
                           {"at", pt(k.at)},
                           {"size", Json::array({k.size.width, k.size.height})}});
    }
    j["markers"] = std::move(markers);
    Json arcs = Json::array();
    for (const Arc& a : r.arcs)
        arcs.push_back({{"kind", a.kind == ArcKind::Track ? "track" : "filled"},
                        {"centre", pt(a.centre)},
                        {"radius", a.radius},
                        {"start", a.startAngle},
                        {"sweep", a.sweep}});
    j["arcs"] = std::move(arcs);
    Json stats = Json::object();
    for (const LayoutStat& st : r.stats)
        stats[st.name] = st.value;
    j["stats"] = std::move(stats);
    if (timings) {
        Json t = Json::object();
        for (const PhaseTiming& p : r.timings)
            t[p.name] = p.ms;
        j["timings"] = std::move(t);
    }
    return j.dump(1) + "\n";
}

} // namespace waitscope::layouts
