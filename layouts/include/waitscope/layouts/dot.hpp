// A small reader for Graphviz DOT files: enough to lay out any exported digraph.
#pragma once

#include <string>
#include <string_view>

#include <waitscope/layouts/export.hpp>

namespace waitscope::layouts {

/// Result of parseDot: the graph, or an error ("line N: what") and an empty graph.
struct DotParse {
    LabelledGraph graph;
    std::string error;
    [[nodiscard]] bool ok() const { return error.empty(); }
};

/// Parses a DOT graph or digraph (`strict` allowed): node, edge and attribute statements,
/// `a -> b -> c` chains, `a -> {b c}` subgraph operands, `[k=v, ...]` lists, quoted (with
/// `+` concatenation), numeral and HTML ids, ports (ignored), `//`, `/* */` and `#` comments.
/// Nodes are numbered in order of first appearance; edges keep file order (`--` edges are
/// taken tail to head as written). Used attributes: label, width and height (inches),
/// fillcolor (or color with style=filled). `subgraph cluster*` gives its nodes a cluster id
/// (the innermost cluster where a node first appears) and a cluster label. Everything else
/// is parsed and ignored. Never throws; O(length).
[[nodiscard]] DotParse parseDot(std::string_view text);

} // namespace waitscope::layouts
