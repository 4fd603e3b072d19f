// Cycle breaking: reverse the back edges of a depth-first search (as dot does).
#include "layered.hpp"

namespace waitscope::layouts::layered {

std::vector<std::uint8_t> breakCycles(NodeId n, const std::vector<Edge>& edges) {
    std::vector<std::uint8_t> reversed(edges.size(), 0);
    std::vector<std::uint32_t> start(n + 1, 0), inDeg(n, 0);
    for (const Edge& e : edges) {
        if (e.from < n && e.to < n && e.from != e.to) {
            ++start[e.from + 1];
            ++inDeg[e.to];
        }
    }
    for (NodeId v = 0; v < n; ++v)
        start[v + 1] += start[v];
    std::vector<std::uint32_t> out(start[n]); // edge indices by tail
    std::vector<std::uint32_t> fill(start.begin(), start.end() - 1);
    for (std::uint32_t i = 0; i < edges.size(); ++i) {
        const Edge& e = edges[i];
        if (e.from < n && e.to < n && e.from != e.to)
            out[fill[e.from]++] = i;
    }
    enum : std::uint8_t { White, Grey, Black };
    std::vector<std::uint8_t> colour(n, White);
    std::vector<std::uint32_t> next(start.begin(), start.end() - 1); // per node: next out edge
    std::vector<NodeId> stack;
    auto dfs = [&](NodeId root) {
        colour[root] = Grey;
        stack.push_back(root);
        while (!stack.empty()) {
            NodeId v = stack.back();
            if (next[v] == start[v + 1]) {
                colour[v] = Black;
                stack.pop_back();
                continue;
            }
            std::uint32_t ei = out[next[v]++];
            NodeId w = edges[ei].to;
            if (colour[w] == Grey) {
                reversed[ei] = 1;
            } else if (colour[w] == White) {
                colour[w] = Grey;
                stack.push_back(w);
            }
        }
    };
    for (NodeId v = 0; v < n; ++v)
        if (inDeg[v] == 0 && colour[v] == White)
            dfs(v);
    for (NodeId v = 0; v < n; ++v)
        if (colour[v] == White)
            dfs(v);
    return reversed;
}

} // namespace waitscope::layouts::layered
