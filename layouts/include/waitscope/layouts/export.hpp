// Writers for laid-out graphs: Graphviz plain, SVG and JSON (shared by the CLI, snapshot
// rendering and the app's export).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <waitscope/layouts/graph.hpp>
#include <waitscope/layouts/result.hpp>

namespace waitscope::layouts {

/// A graph with the text a drawing needs. `names` and `labels` are one per node (labels may
/// be empty: the name is drawn); `fills` is empty or one colour per node (SVG/X11 name or
/// #rrggbb; empty string: default); `clusterLabels` is indexed by cluster id (may be short).
struct LabelledGraph {
    Graph graph;
    std::string name;                       ///< graph name (titles, plain has none)
    std::vector<std::string> names;         ///< unique node names (DOT ids)
    std::vector<std::string> labels;        ///< node captions; empty: the name
    std::vector<std::string> fills;         ///< node fill colours; empty: default
    std::vector<std::string> clusterLabels; ///< cluster captions by cluster id
};

/// Graphviz `plain` output (dot -Tplain): inches, y up, one `node` line per node, one
/// `edge` line per edge whose polyline p0..pk is written as the cubic Bézier control points
/// p0, then p(i) p(i+1) p(i+1) per segment (3k+1 points), then `stop`. O(size).
[[nodiscard]] std::string writePlain(const LabelledGraph& g, const LayoutResult& r);

/// Options of the SVG writer.
struct SvgOptions {
    double margin = 8.0;    ///< points around the drawing (default 8)
    double fontSize = 12.0; ///< label font size, points (default 12)
};

/// Standalone SVG 1.1: cluster boxes, ring tracks and filled arcs, edges (polylines with
/// arrowheads), node boxes with fills and labels, markers (nil leaves, head, in/out).
/// Coordinates are the layout's points. O(size).
[[nodiscard]] std::string writeSvg(const LabelledGraph& g, const LayoutResult& r,
                                   const SvgOptions& options = {});

/// JSON: {"graph", "bounds", "nodes": [{name, label, x, y, width, height, layer, cluster,
/// fill}], "edges": [{tail, head, points}], "clusters", "markers", "arcs", "stats"} in
/// points with y down; "timings" only when `timings` (they differ between runs). O(size).
[[nodiscard]] std::string writeJson(const LabelledGraph& g, const LayoutResult& r,
                                    bool timings = false);

} // namespace waitscope::layouts
