// Breadth-first numbering of the tidy tree's input (see tree_forest.hpp).
// [SECTION] plain forests
// [SECTION] any input
#include "tree_forest.hpp"

#include <algorithm>

namespace waitscope::layouts::detail {

namespace {

// [SECTION] plain forests

/// inOrder: what a binary node's two slots hold (the walks centre a full one and put a lone
/// child to its side).
void noteBinarySlots(Forest& f, const TreeOptions& o, NodeId id, std::uint32_t slots,
                     std::uint32_t present, std::uint32_t lone) {
    if (slots != 2 || !o.inOrder)
        return;
    if (present == 2)
        f.binaryFull[id] = 1;
    else if (present == 1)
        f.loneSlot[id] = static_cast<std::int8_t>(lone);
}

/// True when `t` is a plain forest: child ranges in bounds and in order, no node in two
/// slots or in a slot and among the roots, no root twice. Cycles are not ruled out here
/// (a cycle is unreachable from parentless roots; numberPlain() finds it by its count).
/// One pass over the slots, in input order.
bool isPlainForest(const Tree& t, std::uint32_t& emptySlots) {
    NodeId n = t.nodeCount();
    if (t.childStart.size() != static_cast<std::size_t>(n) + 1 || t.childStart[0] != 0 ||
        t.childStart[n] > t.children.size())
        return false;
    std::vector<std::uint8_t> parents(n, 0);
    for (NodeId r : t.roots) {
        if (r >= n || parents[r]++)
            return false;
    }
    for (NodeId v = 0; v < n; ++v) {
        if (t.childStart[v] > t.childStart[v + 1])
            return false;
    }
    emptySlots = 0;
    for (std::uint32_t i = 0; i < t.childStart[n]; ++i) {
        NodeId c = t.children[i];
        emptySlots += c == NoNode;
        if (c != NoNode && (c >= n || parents[c]++))
            return false;
    }
    return true;
}

/// Breadth-first numbering of a plain forest (see isPlainForest()): no claims to keep,
/// arrays written by index. False (and `f` unusable) when the roots do not reach every node.
bool numberPlain(const Tree& t, const TreeOptions& o, std::uint32_t emptySlots, Forest& f) {
    NodeId n = f.n;
    std::size_t nils = o.nilLeaves ? emptySlots : 0;
    std::size_t count = 1 + static_cast<std::size_t>(n) + nils;
    f.start.resize(count + 1);
    f.parent.resize(count);
    f.orig.resize(count);
    f.width.resize(count);
    f.nils.clear();
    f.nils.reserve(nils);
    if (o.inOrder) {
        f.loneSlot.assign(count, -1);
        f.binaryFull.assign(count, 0);
    }
    f.levelStart.assign(1, 0);
    f.levelHeight.assign(1, 0.0);
    std::size_t next = 0; // the next id to hand out
    double levelMax = 0.0;
    auto add = [&](NodeId parent, NodeId orig, Size s) {
        f.parent[next] = parent;
        f.orig[next] = orig;
        f.width[next] = s.width;
        levelMax = std::max(levelMax, s.height);
        ++next;
    };
    add(NoNode, NoNode, Size{0.0, 0.0});
    for (NodeId id = 0; id < next; ++id) {
        if (id == f.levelStart.back()) {
            // Expanding the first node of a level: the next level starts here.
            f.levelHeight.back() = levelMax;
            levelMax = 0.0;
            f.levelHeight.push_back(0.0);
            f.levelStart.push_back(static_cast<std::uint32_t>(next));
        }
        f.start[id] = static_cast<std::uint32_t>(next);
        if (id == 0) {
            for (NodeId r : t.roots)
                add(0, r, t.sizes[r]);
            continue;
        }
        // Ids are expanded in order but their input nodes lie anywhere: fetch ahead.
        constexpr NodeId Ahead = 24;
        if (id + 2 * Ahead < next && f.orig[id + 2 * Ahead] != NoNode)
            __builtin_prefetch(&t.childStart[f.orig[id + 2 * Ahead]]);
        if (id + Ahead < next && f.orig[id + Ahead] != NoNode)
            __builtin_prefetch(t.children.data() + t.childStart[f.orig[id + Ahead]]);
        NodeId v = f.orig[id];
        if (v == NoNode)
            continue; // a nil leaf
        std::uint32_t b = t.childStart[v], e = t.childStart[v + 1];
        if (next + (e - b) > count)
            return false; // cannot happen in a plain forest; never write out of bounds
        std::uint32_t present = 0, lone = 0;
        for (std::uint32_t i = b; i < e; ++i) {
            NodeId c = t.children[i];
            if (c != NoNode) {
                add(id, c, t.sizes[c]);
                ++present;
                lone = i - b;
            } else if (o.nilLeaves) {
                f.nils.push_back({static_cast<NodeId>(next), v});
                add(id, NoNode, o.nilSize);
                ++present;
            }
        }
        noteBinarySlots(f, o, id, e - b, present, lone);
    }
    f.levelHeight.back() = levelMax;
    if (next != count)
        return false;
    f.start[count] = static_cast<std::uint32_t>(count);
    if (f.levelStart.back() != count)
        f.levelStart.push_back(static_cast<std::uint32_t>(count));
    f.plain = true;
    return true;
}

} // namespace

// [SECTION] any input

Forest buildForest(const Tree& t, const TreeOptions& o) {
    Forest f;
    f.n = t.nodeCount();
    std::uint32_t emptySlots = 0;
    if (isPlainForest(t, emptySlots) && numberPlain(t, o, emptySlots, f))
        return f;
    f.plain = false;
    NodeId n = f.n;
    bool csrOk = t.childStart.size() == static_cast<std::size_t>(n) + 1 &&
                 (n == 0 || t.childStart[n] <= t.children.size());
    auto slotsOf = [&](NodeId v) -> std::pair<std::uint32_t, std::uint32_t> {
        if (!csrOk || t.childStart[v] > t.childStart[v + 1])
            return {0, 0};
        return {t.childStart[v], t.childStart[v + 1]};
    };
    // Breadth-first numbering from the super-root, claiming each node for the first parent
    // that reaches it, so that malformed input (shared children, cycles, unreachable nodes)
    // still gives every node exactly one place. When the roots do not reach every node, the
    // unreached ones (those no unreached node reaches first, in id order) become roots too
    // and the numbering is redone.
    std::vector<NodeId> roots = t.roots;
    auto number = [&] {
        constexpr NodeId RootMark = NoNode - 1;
        std::vector<NodeId>& claimed = f.treeParent;
        claimed.assign(n, NoNode);
        std::size_t expect =
            2 + static_cast<std::size_t>(n) + (o.nilLeaves ? t.children.size() : 0);
        f.start.clear();
        f.parent.clear();
        f.orig.clear();
        f.width.clear();
        f.nils.clear();
        f.levelStart.assign(1, 0);
        f.start.reserve(expect);
        f.parent.reserve(expect);
        f.orig.reserve(expect);
        f.width.reserve(expect);
        f.levelHeight.assign(1, 0.0);
        std::vector<std::uint32_t>& levels = f.levelStart;
        if (o.inOrder) {
            f.loneSlot.assign(expect, -1);
            f.binaryFull.assign(expect, 0);
        }
        auto add = [&](NodeId parent, NodeId orig, Size s) {
            f.parent.push_back(parent);
            f.orig.push_back(orig);
            f.width.push_back(s.width);
            // The node joins the level below the one being expanded.
            std::size_t d = levels.size() - 1;
            if (f.levelHeight.size() <= d)
                f.levelHeight.resize(d + 1, 0.0);
            f.levelHeight[d] = std::max(f.levelHeight[d], s.height);
        };
        add(NoNode, NoNode, Size{0.0, 0.0});
        for (NodeId id = 0; id < f.parent.size(); ++id) {
            // Expanding the first node of a level: the next level starts here.
            if (id == f.levelStart.back())
                f.levelStart.push_back(static_cast<std::uint32_t>(f.parent.size()));
            f.start.push_back(static_cast<std::uint32_t>(f.parent.size()));
            if (id == 0) {
                for (NodeId r : roots) {
                    if (r < n && claimed[r] == NoNode) {
                        claimed[r] = RootMark;
                        add(0, r, t.sizes[r]);
                    }
                }
                continue;
            }
            NodeId v = f.orig[id];
            if (v == NoNode)
                continue; // a nil leaf
            auto [b, e] = slotsOf(v);
            std::uint32_t present = 0, lone = 0;
            for (std::uint32_t i = b; i < e; ++i) {
                NodeId c = t.children[i];
                if (c < n && claimed[c] == NoNode) {
                    claimed[c] = v;
                    add(id, c, t.sizes[c]);
                    ++present;
                    lone = i - b;
                } else if (c == NoNode && o.nilLeaves) {
                    f.nils.push_back({static_cast<NodeId>(f.parent.size()), v});
                    add(id, NoNode, o.nilSize);
                    ++present;
                }
            }
            noteBinarySlots(f, o, id, e - b, present, lone);
        }
        f.start.push_back(static_cast<std::uint32_t>(f.parent.size()));
        if (f.levelStart.back() != f.parent.size())
            f.levelStart.push_back(static_cast<std::uint32_t>(f.parent.size()));
        for (NodeId& c : claimed)
            if (c == RootMark)
                c = NoNode;
        return f.parent.size() - 1 - f.nils.size() == n;
    };
    if (!number()) {
        std::vector<std::uint8_t> reached(n, 0);
        for (NodeId id = 1; id < f.orig.size(); ++id)
            if (f.orig[id] != NoNode)
                reached[f.orig[id]] = 1;
        std::vector<NodeId> stack;
        for (NodeId v = 0; v < n; ++v) {
            if (reached[v])
                continue;
            roots.push_back(v);
            reached[v] = 1;
            stack.push_back(v);
            while (!stack.empty()) {
                NodeId u = stack.back();
                stack.pop_back();
                auto [b, e] = slotsOf(u);
                for (std::uint32_t i = b; i < e; ++i) {
                    NodeId c = t.children[i];
                    if (c < n && !reached[c]) {
                        reached[c] = 1;
                        stack.push_back(c);
                    }
                }
            }
        }
        number();
    }
    return f;
}

} // namespace waitscope::layouts::detail
