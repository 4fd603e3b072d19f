// Scene <-> waitscope_layouts translation.
#include "layout_adapter.hpp"

#include <waitscope/layouts/layered.hpp>
#include <waitscope/layouts/ring.hpp>
#include <waitscope/layouts/tree.hpp>

namespace waitscope::app {

namespace {

/// Copy positions, edge polylines and arcs of an engine result.
Placement fromResult(layouts::LayoutResult r) {
    Placement p;
    p.x.reserve(r.positions.size());
    p.y.reserve(r.positions.size());
    for (const layouts::Point& pt : r.positions) {
        p.x.push_back(static_cast<float>(pt.x));
        p.y.push_back(static_cast<float>(pt.y));
    }
    p.edges.resize(r.edgeCount());
    for (std::size_t e = 0; e < r.edgeCount(); ++e)
        for (const layouts::Point& pt : r.edge(e)) {
            p.edges[e].push_back(static_cast<float>(pt.x));
            p.edges[e].push_back(static_cast<float>(pt.y));
        }
    for (const layouts::Arc& a : r.arcs)
        p.arcs.push_back({static_cast<float>(a.centre.x), static_cast<float>(a.centre.y),
                          static_cast<float>(a.radius), static_cast<float>(a.startAngle),
                          static_cast<float>(a.sweep), a.kind == layouts::ArcKind::Filled});
    for (const layouts::ClusterBox& c : r.clusters) {
        p.clusterIds.push_back(c.cluster);
        p.clusters.push_back({static_cast<float>(c.box.minX),
                              static_cast<float>(c.box.minY),
                              static_cast<float>(c.box.maxX),
                              static_cast<float>(c.box.maxY),
                              {},
                              {}});
    }
    p.ms = r.totalMs();
    p.memo = std::make_shared<const layouts::LayoutResult>(std::move(r));
    return p;
}

std::vector<layouts::Size> sizesOf(const std::vector<BoxSize>& in) {
    std::vector<layouts::Size> out;
    out.reserve(in.size());
    for (const BoxSize& b : in)
        out.push_back({b.w, b.h});
    return out;
}

} // namespace

Placement placeBinaryTree(const std::vector<std::uint32_t>& left,
                          const std::vector<std::uint32_t>& right,
                          const std::vector<std::uint32_t>& roots,
                          const std::vector<BoxSize>& sizes, const std::vector<std::uint64_t>& keys,
                          const LayoutMemo& previous) {
    static_assert(NoChild == layouts::NoNode);
    layouts::Tree tree =
        layouts::binaryTree(left, right, roots.empty() ? layouts::NoNode : roots[0]);
    tree.roots = roots;
    tree.sizes = sizesOf(sizes);
    tree.keys = keys;
    layouts::TreeOptions o;
    o.inOrder = true;
    o.levelGap = 40;
    return fromResult(layouts::layoutTree(tree, o, previous.get()));
}

Placement placeLayered(const LayeredInput& in, const LayoutMemo& previous) {
    layouts::Graph g;
    g.sizes = sizesOf(in.sizes);
    for (auto [a, b] : in.edges)
        g.addEdge(a, b);
    g.keys = in.keys;
    g.clusters = in.clusters;
    layouts::LayeredOptions o;
    o.nodeGap = 24;
    o.layerGap = 56;
    return fromResult(layouts::layoutLayered(g, o, previous.get()));
}

Placement placeRingBuffer(std::uint32_t slots, std::uint64_t in, std::uint64_t out, BoxSize slot) {
    layouts::RingBufferOptions o;
    o.slotSize = {slot.w, slot.h};
    return fromResult(layouts::layoutRingBuffer({slots, in, out}, o));
}

} // namespace waitscope::app
