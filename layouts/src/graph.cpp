// Graph and tree construction helpers and the stable key hash.
#include <waitscope/layouts/graph.hpp>

namespace waitscope::layouts {

Tree treeFromParents(const std::vector<NodeId>& parent, Size size) {
    Tree t;
    NodeId n = static_cast<NodeId>(parent.size());
    t.sizes.assign(n, size);
    t.childStart.assign(n + 1, 0);
    for (NodeId v = 0; v < n; ++v) {
        if (parent[v] == NoNode)
            t.roots.push_back(v);
        else
            ++t.childStart[parent[v] + 1];
    }
    for (NodeId v = 0; v < n; ++v)
        t.childStart[v + 1] += t.childStart[v];
    t.children.resize(t.childStart[n]);
    std::vector<std::uint32_t> fill(t.childStart.begin(), t.childStart.end() - 1);
    for (NodeId v = 0; v < n; ++v)
        if (parent[v] != NoNode)
            t.children[fill[parent[v]]++] = v;
    return t;
}

Tree binaryTree(const std::vector<NodeId>& left, const std::vector<NodeId>& right, NodeId root,
                Size size) {
    Tree t;
    NodeId n = static_cast<NodeId>(left.size());
    t.sizes.assign(n, size);
    t.childStart.resize(n + 1);
    t.children.resize(2 * static_cast<std::size_t>(n));
    for (NodeId v = 0; v < n; ++v) {
        t.childStart[v] = 2 * v;
        t.children[2 * v] = left[v];
        t.children[2 * v + 1] = right[v];
    }
    t.childStart[n] = 2 * n;
    if (root != NoNode)
        t.roots.push_back(root);
    return t;
}

std::uint64_t stableKey(std::string_view name) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : name) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

} // namespace waitscope::layouts
