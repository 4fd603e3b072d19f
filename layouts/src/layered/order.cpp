// Crossing reduction: layer-by-layer median/barycenter sweeps with transposition, then
// sifting; crossings counted by crossings.cpp. Clusters stay contiguous; frozen items keep
// their order.
// [SECTION] layer sorting (units = items or whole clusters)
// [SECTION] sweeps, transposition, keep-best loop
#include <algorithm>
#include <numeric>

#include "layered.hpp"

namespace waitscope::layouts::layered {

namespace {

// [SECTION] layer sorting (units = items or whole clusters)

constexpr double Unplaced = -1.0;

/// A neighbour's position in its layer and the adjacency's weight.
using PosWeight = std::pair<std::uint32_t, std::uint32_t>;

class Orderer {
public:
    Orderer(const Proper& g, const LayeredOptions& o, const std::vector<std::uint8_t>& frozen)
        : m_g(g), m_o(o), m_frozen(frozen), m_key(g.size(), Unplaced) {
        for (NodeId v = 0; v < g.size(); ++v)
            m_clusters = m_clusters || g.cluster[v] != NoCluster;
        std::uint32_t maxCluster = 0;
        for (NodeId v = 0; v < g.size(); ++v)
            if (g.cluster[v] != NoCluster)
                maxCluster = std::max(maxCluster, g.cluster[v] + 1);
        m_clusterRank.assign(maxCluster, 0);
        m_ord.layerStart.assign(g.layerCount + 1, 0);
        for (NodeId v = 0; v < g.size(); ++v)
            ++m_ord.layerStart[g.layer[v] + 1];
        for (std::int32_t l = 0; l < g.layerCount; ++l)
            m_ord.layerStart[l + 1] += m_ord.layerStart[l];
        m_ord.order.resize(g.size());
        m_ord.pos.resize(g.size());
        m_upPos.resize(g.up.size());
        m_downPos.resize(g.down.size());
    }

    /// Initial order: by `initialKey` when given, else depth-first from the items without
    /// parents so that trees start untangled.
    void initialOrder(const std::vector<double>& initialKey) {
        const auto& inStart = m_g.upStart;
        const auto& outStart = m_g.downStart;
        const auto& outAdj = m_g.down;
        std::vector<std::uint32_t> fill(m_ord.layerStart.begin(), m_ord.layerStart.end() - 1);
        auto put = [&](NodeId v) {
            m_ord.pos[v] = fill[m_g.layer[v]] - m_ord.layerStart[m_g.layer[v]];
            m_ord.order[fill[m_g.layer[v]]++] = v;
        };
        NodeId n = m_g.size();
        if (!initialKey.empty()) {
            std::vector<NodeId> items(n);
            std::iota(items.begin(), items.end(), 0);
            std::stable_sort(items.begin(), items.end(),
                             [&](NodeId a, NodeId b) { return initialKey[a] < initialKey[b]; });
            for (NodeId v : items)
                put(v);
        } else {
            std::vector<std::uint8_t> seen(n, 0);
            std::vector<std::pair<NodeId, std::uint32_t>> stack;
            for (NodeId r = 0; r < n; ++r) {
                if (seen[r] || inStart[r] != inStart[r + 1])
                    continue;
                seen[r] = 1;
                put(r);
                stack.push_back({r, outStart[r]});
                while (!stack.empty()) {
                    auto& [v, next] = stack.back();
                    if (next == outStart[v + 1]) {
                        stack.pop_back();
                        continue;
                    }
                    NodeId w = outAdj[next++];
                    if (!seen[w]) {
                        seen[w] = 1;
                        put(w);
                        stack.push_back({w, outStart[w]});
                    }
                }
            }
            for (NodeId v = 0; v < n; ++v)
                if (!seen[v])
                    put(v);
        }
        if (m_clusters || !m_frozen.empty()) {
            rankClusters();
            for (std::int32_t l = 0; l < m_g.layerCount; ++l) {
                for (std::uint32_t i = m_ord.layerStart[l]; i < m_ord.layerStart[l + 1]; ++i)
                    m_key[m_ord.order[i]] = Unplaced;
                sortLayer(l);
            }
        }
    }

    /// Median (or barycenter) of an item's neighbour positions in the fixed layer, or
    /// Unplaced when it has none there. The median of an even count is interpolated
    /// towards the side where the neighbours are packed more densely (Gansner et al.).
    double keyOf(NodeId v, bool useUp, bool barycenter) {
        const auto& start = useUp ? m_g.upStart : m_g.downStart;
        const auto& adj = useUp ? m_g.up : m_g.down;
        const auto& wt = useUp ? m_g.upW : m_g.downW;
        std::uint32_t b = start[v], e = start[v + 1];
        if (b == e)
            return Unplaced;
        m_work += e - b;
        if (barycenter) {
            double sum = 0.0, weight = 0.0;
            for (std::uint32_t k = b; k < e; ++k) {
                sum += static_cast<double>(m_ord.pos[adj[k]]) * wt[k];
                weight += wt[k];
            }
            return sum / weight;
        }
        m_p.clear();
        for (std::uint32_t k = b; k < e; ++k)
            m_p.push_back(m_ord.pos[adj[k]]);
        std::sort(m_p.begin(), m_p.end());
        std::size_t s = m_p.size(), m = s / 2;
        if (s % 2)
            return m_p[m];
        if (s == 2)
            return (m_p[0] + m_p[1]) / 2.0;
        double left = m_p[m - 1] - m_p[0], right = m_p[s - 1] - m_p[m];
        if (left + right == 0.0)
            return (m_p[m - 1] + m_p[m]) / 2.0;
        return (m_p[m - 1] * right + m_p[m] * left) / (left + right);
    }

    /// Reorders layer `l` by m_key: items with a key move, others keep their slots; a
    /// cluster moves as one unit (key = mean of its members' keys) and clusters take the
    /// global cluster order; frozen items keep their relative order within their cluster.
    void sortLayer(std::int32_t l) {
        std::uint32_t b = m_ord.layerStart[l], e = m_ord.layerStart[l + 1];
        if (e - b < 2)
            return;
        auto less = [this](NodeId x, NodeId y) {
            return m_key[x] != m_key[y] ? m_key[x] < m_key[y] : m_ord.pos[x] < m_ord.pos[y];
        };
        if (!m_clusters) {
            sortSlots(m_ord.order.begin() + b, m_ord.order.begin() + e, less);
        } else {
            sortWithClusters(b, e, less);
        }
        if (!m_frozen.empty())
            restoreFrozen(b, e);
        for (std::uint32_t i = b; i < e; ++i)
            m_ord.pos[m_ord.order[i]] = i - b;
    }

    /// Sorts the items of [first, last) that have a key into the slots of the items that
    /// have one; the others stay where they are.
    template <typename It, typename Less>
    void sortSlots(It first, It last, Less less) {
        m_movable.clear();
        for (It it = first; it != last; ++it)
            if (m_key[*it] != Unplaced)
                m_movable.push_back(*it);
        std::sort(m_movable.begin(), m_movable.end(), less);
        std::size_t k = 0;
        for (It it = first; it != last; ++it)
            if (m_key[*it] != Unplaced)
                *it = m_movable[k++];
    }

    template <typename Less>
    void sortWithClusters(std::uint32_t b, std::uint32_t e, Less less) {
        // Units in order of first appearance; a cluster's members are gathered.
        m_unitOf.clear();
        m_units.clear();
        m_unitItems.clear();
        m_seenCluster.assign(m_clusterRank.size(), 0xffffffffu);
        for (std::uint32_t i = b; i < e; ++i) {
            NodeId v = m_ord.order[i];
            std::uint32_t c = m_g.cluster[v];
            if (c == NoCluster) {
                m_units.push_back({v, c, m_key[v], 1});
            } else if (m_seenCluster[c] == 0xffffffffu) {
                m_seenCluster[c] = static_cast<std::uint32_t>(m_units.size());
                m_units.push_back({v, c, 0.0, 0});
            }
        }
        // Members of each cluster unit, in current order, sorted by key within the unit.
        std::vector<std::uint32_t> memberStart(m_units.size() + 1, 0);
        for (std::uint32_t i = b; i < e; ++i) {
            std::uint32_t c = m_g.cluster[m_ord.order[i]];
            if (c != NoCluster)
                ++memberStart[m_seenCluster[c] + 1];
        }
        for (std::size_t u = 0; u < m_units.size(); ++u)
            memberStart[u + 1] += memberStart[u];
        m_unitItems.resize(memberStart.back());
        std::vector<std::uint32_t> fill(memberStart.begin(), memberStart.end() - 1);
        for (std::uint32_t i = b; i < e; ++i) {
            NodeId v = m_ord.order[i];
            std::uint32_t c = m_g.cluster[v];
            if (c == NoCluster)
                continue;
            std::uint32_t u = m_seenCluster[c];
            m_unitItems[fill[u]++] = v;
            if (m_key[v] != Unplaced) {
                m_units[u].key += m_key[v];
                ++m_units[u].keyed;
            }
        }
        for (std::size_t u = 0; u < m_units.size(); ++u) {
            Unit& unit = m_units[u];
            if (unit.cluster == NoCluster)
                continue;
            unit.key = unit.keyed ? unit.key / unit.keyed : Unplaced;
            sortSlots(m_unitItems.begin() + memberStart[u],
                      m_unitItems.begin() + memberStart[u + 1], less);
        }
        // Units by key (unkeyed units keep their slots); then clusters take the slots of
        // cluster units in the global cluster order.
        m_movableUnits.clear();
        for (std::uint32_t u = 0; u < m_units.size(); ++u)
            if (m_units[u].key != Unplaced)
                m_movableUnits.push_back(u);
        std::vector<std::uint32_t> sorted = m_movableUnits;
        std::stable_sort(sorted.begin(), sorted.end(), [this](std::uint32_t x, std::uint32_t y) {
            return m_units[x].key < m_units[y].key;
        });
        m_unitOrder.resize(m_units.size());
        std::iota(m_unitOrder.begin(), m_unitOrder.end(), 0);
        for (std::size_t k = 0; k < m_movableUnits.size(); ++k)
            m_unitOrder[m_movableUnits[k]] = sorted[k];
        m_clusterSlots.clear();
        for (std::uint32_t k = 0; k < m_unitOrder.size(); ++k)
            if (m_units[m_unitOrder[k]].cluster != NoCluster)
                m_clusterSlots.push_back(m_unitOrder[k]);
        std::vector<std::uint32_t> byRank = m_clusterSlots;
        std::sort(byRank.begin(), byRank.end(), [this](std::uint32_t x, std::uint32_t y) {
            return m_clusterRank[m_units[x].cluster] < m_clusterRank[m_units[y].cluster];
        });
        std::size_t k = 0;
        for (std::uint32_t& u : m_unitOrder)
            if (m_units[u].cluster != NoCluster)
                u = byRank[k++];
        std::uint32_t i = b;
        for (std::uint32_t u : m_unitOrder) {
            if (m_units[u].cluster == NoCluster) {
                m_ord.order[i++] = m_units[u].first;
            } else {
                for (std::uint32_t j = memberStart[u]; j < memberStart[u + 1]; ++j)
                    m_ord.order[i++] = m_unitItems[j];
            }
        }
    }

    /// Frozen items of one cluster class keep their previous relative order: they are put
    /// back, in order of their old positions, into the slots frozen items of that class
    /// now occupy.
    void restoreFrozen(std::uint32_t b, std::uint32_t e) {
        m_movable.clear();
        for (std::uint32_t i = b; i < e; ++i)
            if (m_frozen[m_ord.order[i]])
                m_movable.push_back(m_ord.order[i]);
        std::stable_sort(m_movable.begin(), m_movable.end(), [this](NodeId x, NodeId y) {
            if (m_g.cluster[x] != m_g.cluster[y])
                return m_g.cluster[x] < m_g.cluster[y];
            return m_ord.pos[x] < m_ord.pos[y];
        });
        // Slots per class in order: walk the layer; for each frozen slot take the next
        // item of that class from the sorted list.
        m_cursor.clear();
        for (std::size_t k = 0; k < m_movable.size(); ++k)
            if (k == 0 || m_g.cluster[m_movable[k]] != m_g.cluster[m_movable[k - 1]])
                m_cursor.push_back({m_g.cluster[m_movable[k]], static_cast<std::uint32_t>(k)});
        for (std::uint32_t i = b; i < e; ++i) {
            NodeId v = m_ord.order[i];
            if (!m_frozen[v])
                continue;
            auto it = std::lower_bound(m_cursor.begin(), m_cursor.end(), m_g.cluster[v],
                                       [](const std::pair<std::uint32_t, std::uint32_t>& c,
                                          std::uint32_t cl) { return c.first < cl; });
            m_ord.order[i] = m_movable[it->second++];
        }
    }

    /// Global cluster order from the mean relative position of each cluster's items.
    void rankClusters() {
        if (!m_clusters)
            return;
        std::vector<double> sum(m_clusterRank.size(), 0.0);
        std::vector<std::uint32_t> cnt(m_clusterRank.size(), 0);
        for (NodeId v = 0; v < m_g.size(); ++v) {
            std::uint32_t c = m_g.cluster[v];
            if (c == NoCluster)
                continue;
            std::int32_t l = m_g.layer[v];
            double width = m_ord.layerStart[l + 1] - m_ord.layerStart[l];
            sum[c] += (m_ord.pos[v] + 0.5) / width;
            ++cnt[c];
        }
        std::vector<std::uint32_t> ids(m_clusterRank.size());
        std::iota(ids.begin(), ids.end(), 0);
        std::stable_sort(ids.begin(), ids.end(), [&](std::uint32_t a, std::uint32_t c) {
            double ka = cnt[a] ? sum[a] / cnt[a] : 0.0, kc = cnt[c] ? sum[c] / cnt[c] : 0.0;
            return ka < kc;
        });
        for (std::uint32_t r = 0; r < ids.size(); ++r)
            m_clusterRank[ids[r]] = r;
    }

    // [SECTION] sweeps, transposition, keep-best loop

    void sweep(bool down, bool barycenter) {
        rankClusters();
        if (m_clusters) {
            // Apply the new cluster order everywhere first, so all layers agree.
            for (std::int32_t l = 0; l < m_g.layerCount; ++l) {
                for (std::uint32_t i = m_ord.layerStart[l]; i < m_ord.layerStart[l + 1]; ++i)
                    m_key[m_ord.order[i]] = Unplaced;
                sortLayer(l);
            }
        }
        for (std::int32_t s = 1; s < m_g.layerCount; ++s) {
            std::int32_t l = down ? s : m_g.layerCount - 1 - s;
            for (std::uint32_t i = m_ord.layerStart[l]; i < m_ord.layerStart[l + 1]; ++i) {
                NodeId v = m_ord.order[i];
                m_key[v] = keyOf(v, down, barycenter);
            }
            sortLayer(l);
            m_work += m_ord.layerStart[l + 1] - m_ord.layerStart[l];
        }
    }

    /// Sorted (position, weight) lists of the neighbours of layer l's items, both sides,
    /// into m_upPos / m_downPos at the items' CSR offsets.
    void sortNeighbourPositions(std::int32_t l) {
        auto fillSide = [this](NodeId v, const std::vector<std::uint32_t>& start,
                               const std::vector<NodeId>& adj, const std::vector<std::uint32_t>& wt,
                               std::vector<PosWeight>& out) {
            std::uint32_t b = start[v], e = start[v + 1];
            for (std::uint32_t k = b; k < e; ++k)
                out[k] = {m_ord.pos[adj[k]], wt[k]};
            if (e - b > 1)
                std::sort(out.begin() + b, out.begin() + e);
        };
        for (std::uint32_t i = m_ord.layerStart[l]; i < m_ord.layerStart[l + 1]; ++i) {
            NodeId v = m_ord.order[i];
            fillSide(v, m_g.upStart, m_g.up, m_g.upW, m_upPos);
            fillSide(v, m_g.downStart, m_g.down, m_g.downW, m_downPos);
        }
    }

    /// Crossings between the edges of v and of w towards one side, for v left of w
    /// (`vw`) and for w left of v (`wv`), by merging the sorted position lists.
    void pairCrossings(NodeId v, NodeId w, const std::vector<std::uint32_t>& start,
                       const std::vector<PosWeight>& pos, std::uint64_t& vw, std::uint64_t& wv) {
        std::uint32_t ab = start[v], ae = start[v + 1], bb = start[w], be = start[w + 1];
        if (ab == ae || bb == be)
            return;
        m_work += (ae - ab) + (be - bb);
        // vw: pairs with pos(a) > pos(b); wv: pairs with pos(a) < pos(b).
        std::uint64_t less = 0, lessEq = 0; // weight of w's ends below / at-or-below a
        std::uint32_t j = bb, k = bb;
        std::uint64_t totalB = 0;
        for (std::uint32_t t = bb; t < be; ++t)
            totalB += pos[t].second;
        for (std::uint32_t i = ab; i < ae; ++i) {
            std::uint32_t pa = pos[i].first;
            while (j < be && pos[j].first < pa)
                less += pos[j++].second;
            if (k < j)
                k = j;
            lessEq = less;
            for (std::uint32_t t = j; t < be && pos[t].first == pa; ++t)
                lessEq += pos[t].second;
            vw += pos[i].second * less;
            wv += pos[i].second * (totalB - lessEq);
        }
    }

    bool canSwap(NodeId v, NodeId w) const {
        if (m_g.cluster[v] != m_g.cluster[w])
            return false;
        return m_frozen.empty() || !(m_frozen[v] && m_frozen[w]);
    }

    /// Swaps neighbours while that lowers the crossings; `equalToo` also swaps on ties (to
    /// leave plateaus). Layers next to a changed one are revisited.
    void transpose(bool equalToo) {
        std::vector<std::uint8_t> dirty(m_g.layerCount, 1);
        for (int pass = 0; pass < 16; ++pass) {
            bool any = false;
            for (std::int32_t l = 0; l < m_g.layerCount; ++l) {
                if (!dirty[l])
                    continue;
                dirty[l] = 0;
                sortNeighbourPositions(l);
                std::uint32_t b = m_ord.layerStart[l], e = m_ord.layerStart[l + 1];
                for (std::uint32_t i = b; i + 1 < e; ++i) {
                    NodeId v = m_ord.order[i], w = m_ord.order[i + 1];
                    if (!canSwap(v, w))
                        continue;
                    std::uint64_t before = 0, after = 0;
                    pairCrossings(v, w, m_g.upStart, m_upPos, before, after);
                    pairCrossings(v, w, m_g.downStart, m_downPos, before, after);
                    if (after < before || (equalToo && after == before && before > 0)) {
                        std::swap(m_ord.order[i], m_ord.order[i + 1]);
                        m_ord.pos[w] = i - b;
                        m_ord.pos[v] = i + 1 - b;
                        if (after < before) {
                            any = true;
                            dirty[l] = 1;
                            if (l > 0)
                                dirty[l - 1] = 1;
                            if (l + 1 < m_g.layerCount)
                                dirty[l + 1] = 1;
                        }
                    }
                }
            }
            if (!any || m_work > m_o.orderWork)
                break;
        }
    }

    /// Sifting (Matuszewski, Schönfeld, Molitor 1999): each item in turn tries every place
    /// in its layer and takes the one with the fewest crossings (nearest its old place on
    /// ties); the change per step past a neighbour is exact, so crossings never rise.
    /// Returns false when the work cap stopped it.
    bool sift() {
        std::vector<NodeId> items;
        for (std::int32_t l = 0; l < m_g.layerCount; ++l) {
            std::uint32_t b = m_ord.layerStart[l], e = m_ord.layerStart[l + 1];
            if (e - b < 2)
                continue;
            sortNeighbourPositions(l);
            items.assign(m_ord.order.begin() + b, m_ord.order.begin() + e);
            for (NodeId v : items) {
                if (m_work > m_siftLimit)
                    return false;
                if (m_g.upStart[v] == m_g.upStart[v + 1] &&
                    m_g.downStart[v] == m_g.downStart[v + 1])
                    continue;
                // Gain of v standing left of each other item, walking v from the far left.
                std::uint32_t from = m_ord.pos[v];
                std::int64_t run = 0, best = 0;
                std::uint32_t bestPos = 0, k = 0;
                for (std::uint32_t i = b; i < e; ++i) {
                    NodeId w = m_ord.order[i];
                    if (w == v)
                        continue;
                    std::uint64_t vw = 0, wv = 0;
                    pairCrossings(v, w, m_g.upStart, m_upPos, vw, wv);
                    pairCrossings(v, w, m_g.downStart, m_downPos, vw, wv);
                    run += static_cast<std::int64_t>(wv) - static_cast<std::int64_t>(vw);
                    ++k; // v would now stand at index k (after w)
                    auto dist = [from](std::uint32_t p) { return p > from ? p - from : from - p; };
                    if (run < best || (run == best && dist(k) < dist(bestPos))) {
                        best = run;
                        bestPos = k;
                    }
                }
                if (bestPos == from)
                    continue;
                // Move v from `from` to `bestPos` (indices within the layer without v).
                auto first = m_ord.order.begin() + b;
                if (bestPos > from)
                    std::rotate(first + from, first + from + 1, first + bestPos + 1);
                else
                    std::rotate(first + bestPos, first + from, first + from + 1);
                std::uint32_t lo = std::min(from, bestPos), hi = std::max(from, bestPos);
                for (std::uint32_t i = lo; i <= hi; ++i)
                    m_ord.pos[m_ord.order[b + i]] = i;
            }
        }
        return true;
    }

    /// Sweeps from the start order (top-down depth-first, or the given keys) until no
    /// progress or the work cap; the order with the fewest crossings wins.
    Ordering run(const std::vector<double>& initialKey, OrderStats& stats) {
        initialOrder(initialKey);
        std::uint64_t cur = countCrossings(m_g, m_ord);
        std::uint64_t best = cur;
        Ordering bestOrd = m_ord;
        std::uint32_t sweeps = 0, quiet = 0;
        for (std::uint32_t it = 0; it < m_o.orderSweeps && cur > 0; ++it) {
            if (m_work > m_o.orderWork)
                break;
            sweep(it % 2 == 0, it % 3 == 2);
            if (m_o.transpose)
                transpose(it % 2 == 1);
            ++sweeps;
            cur = countCrossings(m_g, m_ord);
            m_work += m_g.down.size();
            if (cur < best) {
                quiet = cur < best - best / 200 ? 0 : quiet + 1; // < 0.5%: no progress
                best = cur;
                bestOrd = m_ord;
            } else if (++quiet >= m_o.orderQuit) {
                break;
            }
        }
        // Sifting from the best order, while it pays (not with clusters or frozen items,
        // whose order constraints it does not know).
        if (!m_clusters && m_frozen.empty() && m_o.siftWork > 0 && best > 0 &&
            m_g.size() <= m_o.siftMaxItems) {
            m_ord = bestOrd;
            m_siftLimit = m_work + m_o.siftWork;
            for (int pass = 0; pass < 4; ++pass) {
                bool finished = sift();
                std::uint64_t c = countCrossings(m_g, m_ord);
                m_work += m_g.down.size();
                ++stats.siftPasses;
                bool progress = c + c / 500 < best; // more than 0.2%
                if (c < best) {
                    best = c;
                    bestOrd = m_ord;
                }
                if (!finished || !progress)
                    break;
            }
        }
        stats.crossings = best;
        stats.sweeps = sweeps;
        stats.work = m_work;
        return bestOrd;
    }

private:
    struct Unit {
        NodeId first;          // the item (non-cluster units)
        std::uint32_t cluster; // NoCluster for a single item
        double key;
        std::uint32_t keyed;
    };

    const Proper& m_g;
    const LayeredOptions& m_o;
    const std::vector<std::uint8_t>& m_frozen;
    Ordering m_ord;
    std::vector<double> m_key;
    std::vector<double> m_p;
    std::vector<NodeId> m_movable;
    bool m_clusters = false;
    std::vector<std::uint32_t> m_clusterRank;
    std::vector<Unit> m_units;
    std::vector<std::uint32_t> m_unitOf, m_seenCluster, m_movableUnits, m_unitOrder, m_clusterSlots;
    std::vector<NodeId> m_unitItems;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> m_cursor;
    std::vector<PosWeight> m_upPos, m_downPos; // sorted neighbour positions (transpose)
    std::uint64_t m_work = 0, m_siftLimit = 0;
};

} // namespace

Ordering orderLayers(const Proper& g, const LayeredOptions& o,
                     const std::vector<double>& initialKey, const std::vector<std::uint8_t>& frozen,
                     OrderStats& stats) {
    Orderer orderer(g, o, frozen);
    return orderer.run(initialKey, stats);
}

} // namespace waitscope::layouts::layered
