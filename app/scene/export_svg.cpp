#include "export_svg.hpp"

#include <waitscope/layouts/export.hpp>

namespace waitscope::app {

namespace {

const char* svgFill(NodeStyle s) {
    switch (s) {
    case NodeStyle::EpitemRed:
        return "#e57373";
    case NodeStyle::EpitemBlack:
        return "#9e9e9e";
    case NodeStyle::Eventpoll:
        return "#80cbc4";
    case NodeStyle::Task:
        return "#90caf9";
    case NodeStyle::TaskBlocked:
        return "#b39ddb";
    case NodeStyle::File:
        return "#e6ee9c";
    case NodeStyle::WaitHead:
    case NodeStyle::WaitEntry:
        return "#ffcc80";
    case NodeStyle::WorkerBusy:
        return "#ffab91";
    case NodeStyle::Pool:
    case NodeStyle::Worker:
        return "#a5d6a7";
    case NodeStyle::RingSlotFull:
        return "#81d4fa";
    default:
        return "#eeeeee";
    }
}

} // namespace

std::string sceneToSvg(const Scene& scene) {
    layouts::LabelledGraph g;
    layouts::LayoutResult r;
    g.name = scene.title;
    for (std::size_t i = 0; i < scene.nodes.size(); ++i) {
        const SceneNode& n = scene.nodes[i];
        g.graph.addNode({n.w, n.h});
        g.names.push_back("n" + std::to_string(i));
        g.labels.push_back(n.detail.empty() ? n.label : n.label + "\n" + n.detail);
        g.fills.emplace_back(svgFill(n.style));
        r.positions.push_back({n.x, n.y});
        r.sizes.push_back({n.w, n.h});
        r.layers.push_back(-1);
    }
    r.edgeStart.push_back(0);
    for (const SceneEdge& e : scene.edges) {
        if (e.from >= scene.nodes.size() || e.to >= scene.nodes.size())
            continue;
        g.graph.addEdge(e.from, e.to);
        for (std::uint32_t k = 0; k < e.pointCount; ++k)
            r.edgePoints.push_back(
                {scene.points[2 * (e.pointStart + k)], scene.points[2 * (e.pointStart + k) + 1]});
        r.edgeStart.push_back(static_cast<std::uint32_t>(r.edgePoints.size()));
    }
    for (const SceneArc& a : scene.arcs)
        r.arcs.push_back({a.filled ? layouts::ArcKind::Filled : layouts::ArcKind::Track,
                          {a.cx, a.cy},
                          a.r,
                          a.start,
                          a.sweep});
    r.bounds = layouts::computeBounds(r);
    return layouts::writeSvg(g, r);
}

} // namespace waitscope::app
