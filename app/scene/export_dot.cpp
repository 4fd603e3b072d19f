#include "export_dot.hpp"

#include <cstdio>

namespace waitscope::app {

namespace {

const char* fillOf(NodeStyle s) {
    switch (s) {
    case NodeStyle::EpitemRed:
        return "#be2828";
    case NodeStyle::EpitemBlack:
        return "#1c1c1c";
    case NodeStyle::Eventpoll:
        return "#1e6e6e";
    case NodeStyle::Task:
        return "#2e548c";
    case NodeStyle::TaskBlocked:
        return "#463c82";
    case NodeStyle::File:
        return "#5a5a3c";
    case NodeStyle::WaitHead:
        return "#6e461e";
    case NodeStyle::WaitEntry:
        return "#825f28";
    case NodeStyle::WorkerBusy:
        return "#963c1e";
    case NodeStyle::RingSlotFull:
        return "#286ea0";
    default:
        return "#46464c";
    }
}

const char* edgeColour(EdgeStyle s) {
    switch (s) {
    case EdgeStyle::Ready:
        return "#50e66e";
    case EdgeStyle::Ovf:
        return "#ffa028";
    case EdgeStyle::Nested:
        return "#ff6ec8";
    case EdgeStyle::Waits:
        return "#be96ff";
    case EdgeStyle::Chain:
        return "#e6a05a";
    default:
        return "#aaaaaa";
    }
}

std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '\n') {
            out += "\\n"; // a DOT line break
            continue;
        }
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

} // namespace

std::string sceneToDot(const Scene& scene) {
    std::string out = "digraph waitscope {\n  label=" + quote(scene.title) +
                      ";\n  node [shape=box, style=\"rounded,filled\", fontcolor=white, "
                      "fontname=\"DejaVu Sans\", fontsize=10];\n  edge [fontsize=9];\n";
    char buf[160];
    for (std::size_t i = 0; i < scene.nodes.size(); ++i) {
        const SceneNode& n = scene.nodes[i];
        std::string label = n.label + (n.detail.empty() ? "" : "\n" + n.detail);
        std::snprintf(buf, sizeof buf,
                      "  n%zu [pos=\"%.1f,%.1f!\", width=%.3f, height=%.3f, fillcolor=\"%s\"%s, "
                      "label=",
                      i, static_cast<double>(n.x), static_cast<double>(-n.y),
                      static_cast<double>(n.w) / 72.0, static_cast<double>(n.h) / 72.0,
                      fillOf(n.style),
                      (n.flags & NodeReady) ? ", color=\"#50e66e\", penwidth=3" : "");
        out += buf + quote(label) + "];\n";
    }
    for (const SceneEdge& e : scene.edges) {
        if (e.from >= scene.nodes.size() || e.to >= scene.nodes.size())
            continue;
        std::snprintf(buf, sizeof buf, "  n%u -> n%u [color=\"%s\"%s", e.from, e.to,
                      edgeColour(e.style), e.arrow ? "" : ", arrowhead=none");
        out += buf;
        if (!e.label.empty())
            out += ", label=" + quote(e.label);
        out += "];\n";
    }
    return out + "}\n";
}

} // namespace waitscope::app
