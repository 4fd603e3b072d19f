// bench_tree1m: the tidy tree engine on 1M-node trees; baseline in the same run: a naive
// contour-comparing tidy tree (quadratic), and a linear memory pass as the floor.
// [SECTION] inputs
// [SECTION] naive baseline
// [SECTION] main
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include <waitscope/layouts/tree.hpp>

using namespace waitscope::layouts;

namespace {

// [SECTION] inputs

/// SplitMix64 (same draws on every platform).
struct Rng {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::uint32_t below(std::uint32_t n) {
        return static_cast<std::uint32_t>(((next() >> 32) * n) >> 32);
    }
};

/// Random recursive tree: the parent of node i is uniform in [0, i).
std::vector<NodeId> randomParents(NodeId n, std::uint64_t seed) {
    Rng rng{seed};
    std::vector<NodeId> parent(n, NoNode);
    for (NodeId v = 1; v < n; ++v)
        parent[v] = rng.below(v);
    return parent;
}

/// The same tree with ids in pre-order, the order a tree walker emits nodes in (empty
/// slots, e.g. a binary node's missing child, are kept).
Tree inWalkOrder(const Tree& t) {
    NodeId n = t.nodeCount();
    std::vector<NodeId> label(n), order, stack(t.roots.rbegin(), t.roots.rend());
    order.reserve(n);
    while (!stack.empty()) {
        NodeId v = stack.back();
        stack.pop_back();
        label[v] = static_cast<NodeId>(order.size());
        order.push_back(v);
        for (std::uint32_t i = t.childStart[v + 1]; i-- > t.childStart[v];)
            if (t.children[i] != NoNode)
                stack.push_back(t.children[i]);
    }
    Tree w;
    w.sizes = t.sizes;
    w.childStart.push_back(0);
    for (NodeId v : order) {
        for (std::uint32_t i = t.childStart[v]; i < t.childStart[v + 1]; ++i)
            w.children.push_back(t.children[i] == NoNode ? NoNode : label[t.children[i]]);
        w.childStart.push_back(static_cast<std::uint32_t>(w.children.size()));
    }
    for (NodeId r : t.roots)
        w.roots.push_back(label[r]);
    return w;
}

/// Binary search tree of n random keys (left/right arrays, root 0).
void randomBst(NodeId n, std::uint64_t seed, std::vector<NodeId>& left,
               std::vector<NodeId>& right) {
    Rng rng{seed};
    std::vector<std::uint64_t> key(n);
    left.assign(n, NoNode);
    right.assign(n, NoNode);
    for (NodeId v = 0; v < n; ++v) {
        key[v] = rng.next();
        if (v == 0)
            continue;
        NodeId c = 0;
        for (;;) {
            NodeId& slot = key[v] < key[c] ? left[c] : right[c];
            if (slot == NoNode) {
                slot = v;
                break;
            }
            c = slot;
        }
    }
}

double msSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double cpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

/// Median wall ms of `runs` calls; the first call's wall ms and the median CPU ms on request.
template <typename F>
double medianMs(int runs, F&& f, double* first = nullptr, double* cpu = nullptr) {
    std::vector<double> t, c;
    for (int i = 0; i < runs; ++i) {
        double c0 = cpuMs();
        auto t0 = std::chrono::steady_clock::now();
        f();
        t.push_back(msSince(t0));
        c.push_back(cpuMs() - c0);
    }
    if (first)
        *first = t[0];
    std::sort(t.begin(), t.end());
    std::sort(c.begin(), c.end());
    if (cpu)
        *cpu = c[c.size() / 2];
    return t[t.size() / 2];
}

std::string loadAverage() {
    std::FILE* f = std::fopen("/proc/loadavg", "r");
    char buf[128] = "?\n";
    if (f) {
        if (!std::fgets(buf, sizeof buf, f))
            buf[0] = 0;
        std::fclose(f);
    }
    return buf;
}

// [SECTION] naive baseline

/// Reingold-Tilford without threads: each child is pushed right of its left siblings by
/// walking the whole subtrees of all of them (right contour) and of itself (left contour),
/// depth by depth; the parent is centred over its first and last child. Quadratic in the
/// worst case. Returns x per node.
std::vector<double> naiveTidy(const Tree& t, const TreeOptions& o) {
    NodeId n = t.nodeCount();
    std::vector<double> offset(n, 0.0); // x relative to the parent
    std::vector<NodeId> post, stack{t.roots.empty() ? 0 : t.roots[0]};
    post.reserve(n);
    while (!stack.empty()) {
        NodeId v = stack.back();
        stack.pop_back();
        post.push_back(v);
        for (std::uint32_t i = t.childStart[v]; i < t.childStart[v + 1]; ++i)
            stack.push_back(t.children[i]);
    }
    std::reverse(post.begin(), post.end());
    std::vector<double> contour, mine;
    std::vector<std::pair<NodeId, double>> walk;
    std::vector<std::uint32_t> depthOf(n, 0);
    // Extreme (side < 0: left edges, min; else right edges, max) per depth below `root`,
    // with the root at x = base.
    auto extremes = [&](NodeId root, double base, int side, std::vector<double>& out) {
        walk.assign(1, {root, base});
        depthOf[root] = 0;
        while (!walk.empty()) {
            auto [v, x] = walk.back();
            walk.pop_back();
            std::uint32_t d = depthOf[v];
            double edge = x + side * t.sizes[v].width / 2.0;
            if (out.size() <= d)
                out.push_back(edge);
            else
                out[d] = side < 0 ? std::min(out[d], edge) : std::max(out[d], edge);
            for (std::uint32_t i = t.childStart[v]; i < t.childStart[v + 1]; ++i) {
                NodeId c = t.children[i];
                depthOf[c] = d + 1;
                walk.push_back({c, x + offset[c]});
            }
        }
    };
    for (NodeId v : post) {
        std::uint32_t b = t.childStart[v], e = t.childStart[v + 1];
        if (b == e)
            continue;
        double x = 0.0;
        offset[t.children[b]] = 0.0;
        for (std::uint32_t k = b + 1; k < e; ++k) {
            contour.clear();
            for (std::uint32_t j = b; j < k; ++j)
                extremes(t.children[j], offset[t.children[j]], +1, contour);
            mine.clear();
            extremes(t.children[k], 0.0, -1, mine);
            double need = -1e300;
            for (std::size_t d = 0; d < std::min(contour.size(), mine.size()); ++d)
                need =
                    std::max(need, contour[d] - mine[d] + (d == 0 ? o.siblingGap : o.subtreeGap));
            x = need;
            offset[t.children[k]] = x;
        }
        double mid = (offset[t.children[b]] + offset[t.children[e - 1]]) / 2.0;
        for (std::uint32_t k = b; k < e; ++k)
            offset[t.children[k]] -= mid;
    }
    std::vector<double> xs(n, 0.0);
    for (auto it = post.rbegin(); it != post.rend(); ++it)
        for (std::uint32_t i = t.childStart[*it]; i < t.childStart[*it + 1]; ++i)
            xs[t.children[i]] = xs[*it] + offset[t.children[i]];
    return xs;
}

} // namespace

// [SECTION] main

int main(int argc, char** argv) {
    // Keep freed memory in the process between runs, as the app does between layouts, so
    // the median measures the engine rather than the kernel's page-fault path (the first,
    // cold run is printed as well).
    mallopt(M_MMAP_MAX, 0);               // big blocks from the heap, not fresh mappings
    mallopt(M_TRIM_THRESHOLD, INT32_MAX); // and the heap is not given back
    NodeId n = argc > 1 ? static_cast<NodeId>(std::strtoul(argv[1], nullptr, 10)) : 1'000'000;
    int runs = 5;
    std::printf("tree1m: tidy tree (Buchheim-Juenger-Leipert) on %u nodes, median of %d runs; "
                "load average %s",
                n, runs, loadAverage().c_str());

    // The main input: a random recursive tree (parent of i uniform in [0, i)), its ids in
    // pre-order as a tree walker produces them.
    Tree scattered = treeFromParents(randomParents(n, 1));
    Tree generic = inWalkOrder(scattered);
    double cold = 0.0, cpu = 0.0;
    double ours = medianMs(
        runs, [&] { (void)layoutTree(generic); }, &cold, &cpu);
    std::printf("  random recursive tree, ids in walk (pre-)order: %.1f ms wall, %.1f ms CPU "
                "(first, cold run %.1f ms wall)\n",
                ours, cpu, cold);
    {
        LayoutResult phases = layoutTree(generic);
        std::printf("  phases of one more run:");
        for (const PhaseTiming& t : phases.timings)
            std::printf(" %s %.1f ms", t.name, t.ms);
        std::printf("\n");
    }
    double scatteredMs = medianMs(runs, [&] { (void)layoutTree(scattered); });
    std::printf("  same tree, ids in insertion order (scattered in memory): %.1f ms wall\n",
                scatteredMs);

    std::vector<NodeId> left, right;
    randomBst(n, 2, left, right);
    Tree bst = inWalkOrder(binaryTree(left, right, 0));
    TreeOptions inOrder;
    inOrder.inOrder = true;
    double bstCpu = 0.0;
    double bstMs = medianMs(
        runs, [&] { (void)layoutTree(bst, inOrder); }, nullptr, &bstCpu);
    std::printf("  random binary search tree with the in-order option (rbtree view), walk-order "
                "ids: %.1f ms wall, %.1f ms CPU\n",
                bstMs, bstCpu);
    TreeOptions nils = inOrder;
    nils.nilLeaves = true;
    double nilMs = medianMs(runs, [&] { (void)layoutTree(bst, nils); });
    std::printf("  same with nil leaves (%u more boxes): %.1f ms wall\n", n + 1, nilMs);

    // Floor: one linear pass reading the input and writing n positions.
    std::vector<double> xs(n);
    double floor = medianMs(runs, [&] {
        for (NodeId v = 0; v < n; ++v)
            xs[v] = generic.sizes[v].width * (generic.childStart[v + 1] - generic.childStart[v]);
    });
    std::printf("  floor, one linear pass over the input writing n positions: %.2f ms (ours is "
                "%.0fx the floor)\n",
                floor, ours / floor);

    // Baseline: the naive contour-comparing version on the same input, timed once.
    auto t0 = std::chrono::steady_clock::now();
    std::vector<double> naive = naiveTidy(generic, {});
    double naiveMs = msSince(t0);
    LayoutResult r = layoutTree(generic);
    auto [lo, hi] = std::minmax_element(naive.begin(), naive.end());
    std::printf("  baseline, naive contour-comparing tidy tree (walks whole subtrees, O(n^2) "
                "worst case) on the same input, one run: %.1f ms\n",
                naiveMs);
    std::printf("  drawing width: ours %.0f pt, naive %.0f pt between centres\n", r.bounds.width(),
                *hi - *lo);
    std::printf("  goal <= 200 ms: %s\n", ours <= 200.0 ? "met" : "NOT met");
    std::printf("RESULT name=tree1m value=%.1f unit=ms baseline=%.1f ratio=%.4f\n", ours, naiveMs,
                ours / naiveMs);
    return 0;
}
