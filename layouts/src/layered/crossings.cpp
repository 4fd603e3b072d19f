// Crossing count between consecutive layers with the Barth-Jünger-Mutzel accumulator tree
// ("Simple and Efficient Bilayer Cross Counting", JGAA 2004), weighted.
#include <algorithm>

#include "layered.hpp"

namespace waitscope::layouts::layered {

namespace {

/// Weighted inversions of one layer pair: edges (north pos, south pos) are fed in north
/// order, each north item's south ends ascending; an accumulator tree over south positions
/// counts the earlier edges that end strictly to the right.
class BilayerCounter {
public:
    std::uint64_t count(const Proper& g, const Ordering& ord, std::int32_t layer) {
        std::uint32_t ns = ord.layerStart[layer + 2] - ord.layerStart[layer + 1];
        std::uint32_t first = 1;
        while (first < ns)
            first *= 2;
        m_tree.assign(2 * first - 1, 0);
        first -= 1;
        std::uint64_t crossings = 0;
        for (std::uint32_t i = ord.layerStart[layer]; i < ord.layerStart[layer + 1]; ++i) {
            NodeId u = ord.order[i];
            m_ends.clear();
            for (std::uint32_t k = g.downStart[u]; k < g.downStart[u + 1]; ++k)
                m_ends.push_back({ord.pos[g.down[k]], g.downW[k]});
            std::sort(m_ends.begin(), m_ends.end());
            for (auto [p, w] : m_ends) {
                std::uint32_t index = p + first;
                m_tree[index] += w;
                while (index > 0) {
                    if (index % 2)
                        crossings += m_tree[index + 1] * w;
                    index = (index - 1) / 2;
                    m_tree[index] += w;
                }
            }
        }
        return crossings;
    }

private:
    std::vector<std::uint64_t> m_tree;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> m_ends;
};

} // namespace

std::uint64_t countCrossings(const Proper& g, const Ordering& ord) {
    BilayerCounter counter;
    std::uint64_t total = 0;
    for (std::int32_t l = 0; l + 1 < g.layerCount; ++l)
        total += counter.count(g, ord, l);
    return total;
}

} // namespace waitscope::layouts::layered
