// Bulk reads for memory.py: the bytes of many kernel objects gathered from a
// physical memory image (an ELF vmcore's PT_LOADs or a lab VM's RAM file, both
// memory-mapped) in one call, and sorted-key lookups. Included by wsnative.cpp.
//
// gather_rows(image, starts, ends, offs, base, size, addrs, off, span)
//   -> (rows uint8[n, span], inside bool[n])
// Row i holds the span bytes at kernel address addrs[i] + off, translated
// through the direct map (phys = addr - base, phys + span <= size) and the
// image's ranges (phys_start, phys_end, image offset), sorted by start and
// disjoint. inside[i] is false (and the row zero) when addrs[i] is 0 or the
// span is not wholly inside one range; the caller reads those another way.
//
// gather_cols(image, starts, ends, offs, base, size, addrs, off, span, members)
//   -> ([uint8[n * width] per member], inside)
// The same walk, written straight into one column per (offset in the span,
// width 1/2/4/8) member: no (n, span) block and no strided copies after it.
//
// walk_rbtrees(...): red-black trees walked in order from the image, bounded
// and cycle-safe (see there).
//
// index_of(sorted_keys, values) -> int64[n]: position of each value in the
// sorted keys (the first of equal ones), or -1; through a hash table of the
// keys, which beats a binary search per value once the keys outgrow the caches.
// AddrIndex(sorted_keys).find(values): the same with the table kept.
#pragma once

#include <utility>
#include <vector>

namespace {

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

/// The physical image and its ranges, checked, for one gather.
struct Image {
    const uint8_t* mem = nullptr;
    const int64_t *s = nullptr, *e = nullptr, *o = nullptr;
    size_t nr = 0;
    uint64_t base = 0, size = 0;

    Image(const py::buffer_info& img, const CArray<int64_t>& starts, const CArray<int64_t>& ends,
          const CArray<int64_t>& offs, uint64_t directBase, uint64_t directSize)
        : base(directBase), size(directSize) {
        if (img.ndim != 1 || img.itemsize != 1)
            throw py::value_error("gather: the image must be a 1-d byte buffer");
        nr = static_cast<size_t>(starts.size());
        if (static_cast<size_t>(ends.size()) != nr || static_cast<size_t>(offs.size()) != nr)
            throw py::value_error("gather: starts, ends and offs differ in length");
        mem = static_cast<const uint8_t*>(img.ptr);
        s = starts.data(), e = ends.data(), o = offs.data();
        const auto memLen = static_cast<int64_t>(img.size);
        for (size_t r = 0; r < nr; ++r)
            if (e[r] < s[r] || o[r] < 0 || o[r] + (e[r] - s[r]) > memLen || (r && s[r] < e[r - 1]))
                throw py::value_error("gather: ranges unsorted, overlapping or outside the image");
    }

    /// Where [addr, addr + span) lies in the image, or nullptr.
    const uint8_t* at(uint64_t addr, size_t span) const {
        size_t last = nr;
        return at(addr, span, last);
    }
    /// The same, trying range `last` first (consecutive objects usually share
    /// one) and leaving the range found there.
    const uint8_t* at(uint64_t addr, size_t span, size_t& last) const {
        uint64_t phys = addr - base;
        if (addr == 0 || size < span || phys > size - span)
            return nullptr;
        auto p = static_cast<int64_t>(phys);
        if (!(last < nr && s[last] <= p && p < e[last])) {
            const int64_t* hit = std::upper_bound(s, s + nr, p);
            last = hit == s ? nr : static_cast<size_t>(hit - s) - 1;
        }
        if (last < nr && s[last] <= p && p + static_cast<int64_t>(span) <= e[last])
            return mem + o[last] + (p - s[last]);
        return nullptr;
    }

    /// at() for each addrs[i] + off.
    std::vector<const uint8_t*> sources(const uint64_t* a, size_t n, int64_t off,
                                        size_t span) const {
        std::vector<const uint8_t*> src(n, nullptr);
        size_t last = nr;
        for (size_t i = 0; i < n; ++i)
            if (a[i])
                src[i] = at(a[i] + static_cast<uint64_t>(off), span, last);
        return src;
    }
};

// Rows further on are prefetched while one is copied, so that the cache and
// TLB misses of random objects overlap instead of queueing.
constexpr size_t PrefetchAhead = 16;

void checkSpan(int64_t span) {
    if (span <= 0 || span > (1 << 20))
        throw py::value_error("gather: span out of range");
}

py::tuple gatherRows(const py::buffer& image, const CArray<int64_t>& starts,
                     const CArray<int64_t>& ends, const CArray<int64_t>& offs, uint64_t base,
                     uint64_t size, const CArray<uint64_t>& addrs, int64_t off, int64_t span) {
    checkSpan(span);
    py::buffer_info img = image.request();
    const Image im(img, starts, ends, offs, base, size);
    const auto n = static_cast<size_t>(addrs.size());
    const auto sp = static_cast<size_t>(span);
    py::array_t<uint8_t> rows({n, sp});
    py::array_t<bool> inside(n);
    uint8_t* out = rows.mutable_data();
    bool* in = inside.mutable_data();
    {
        py::gil_scoped_release unlocked; // the arrays are owned by this call's references
        const auto src = im.sources(addrs.data(), n, off, sp);
        for (size_t i = 0; i < n; ++i, out += sp) {
            if (i + PrefetchAhead < n && src[i + PrefetchAhead]) {
                __builtin_prefetch(src[i + PrefetchAhead]);
                __builtin_prefetch(src[i + PrefetchAhead] + sp - 1);
            }
            if (src[i])
                std::memcpy(out, src[i], sp);
            else
                std::memset(out, 0, sp);
            in[i] = src[i] != nullptr;
        }
    }
    return py::make_tuple(rows, inside);
}

/// One copy of a 1, 2, 4 or 8-byte member.
[[gnu::always_inline]] inline void copyMember(uint8_t* dst, const uint8_t* src, size_t k) {
    switch (k) {
    case 8:
        std::memcpy(dst, src, 8);
        break;
    case 4:
        std::memcpy(dst, src, 4);
        break;
    case 2:
        std::memcpy(dst, src, 2);
        break;
    default:
        *dst = *src;
        break;
    }
}

py::tuple gatherCols(const py::buffer& image, const CArray<int64_t>& starts,
                     const CArray<int64_t>& ends, const CArray<int64_t>& offs, uint64_t base,
                     uint64_t size, const CArray<uint64_t>& addrs, int64_t off, int64_t span,
                     const std::vector<std::pair<int64_t, int64_t>>& members) {
    checkSpan(span);
    py::buffer_info img = image.request();
    const Image im(img, starts, ends, offs, base, size);
    const auto n = static_cast<size_t>(addrs.size());
    const auto sp = static_cast<size_t>(span);
    std::vector<size_t> rel, width;
    py::list cols;
    std::vector<uint8_t*> dst;
    for (const auto& [r, k] : members) {
        if (r < 0 || (k != 1 && k != 2 && k != 4 && k != 8) || r + k > span)
            throw py::value_error("gather_cols: a member outside the span or of a bad size");
        rel.push_back(static_cast<size_t>(r));
        width.push_back(static_cast<size_t>(k));
        py::array_t<uint8_t> col(n * static_cast<size_t>(k));
        dst.push_back(col.mutable_data());
        cols.append(col);
    }
    py::array_t<bool> inside(n);
    bool* in = inside.mutable_data();
    const size_t nm = rel.size();
    {
        py::gil_scoped_release unlocked;
        const auto src = im.sources(addrs.data(), n, off, sp);
        for (size_t i = 0; i < n; ++i) {
            if (i + PrefetchAhead < n && src[i + PrefetchAhead]) {
                __builtin_prefetch(src[i + PrefetchAhead]);
                __builtin_prefetch(src[i + PrefetchAhead] + sp - 1);
            }
            in[i] = src[i] != nullptr;
            if (src[i]) {
                for (size_t m = 0; m < nm; ++m)
                    copyMember(dst[m] + i * width[m], src[i] + rel[m], width[m]);
            } else {
                for (size_t m = 0; m < nm; ++m)
                    std::memset(dst[m] + i * width[m], 0, width[m]);
            }
        }
    }
    return py::make_tuple(cols, inside);
}

/// Sorted keys -> position of the first of equal keys, as an open-addressing
/// table of (key, position): a binary search over 100,000 random keys is ~17
/// dependent cache misses per value, a lookup here about one.
class AddrIndex {
public:
    /// Without `table` (or for a few keys) the keys are searched in place:
    /// the caller keeps them alive meanwhile.
    AddrIndex(const uint64_t* k, size_t nk, bool table = true) : m_keys(k), m_nk(nk) {
        if (!table || nk < Small)
            return;
        while ((size_t{1} << m_bits) < 2 * nk)
            ++m_bits;
        m_mask = (size_t{1} << m_bits) - 1;
        m_table.assign(m_mask + 1, Slot{0, -1});
        for (size_t i = 0; i < nk; ++i) {
            if (i + Ahead < nk)
                __builtin_prefetch(&m_table[hash(k[i + Ahead])], 1);
            if (i && k[i] == k[i - 1])
                continue; // duplicates: the first one, as searchsorted(side="left")
            size_t h = hash(k[i]);
            while (m_table[h].index >= 0)
                h = (h + 1) & m_mask;
            m_table[h] = Slot{k[i], static_cast<int64_t>(i)};
        }
        m_keys = nullptr;
    }

    void find(const uint64_t* v, size_t n, int64_t* p) const {
        if (m_keys) {
            for (size_t i = 0; i < n; ++i) {
                const uint64_t* hit = std::lower_bound(m_keys, m_keys + m_nk, v[i]);
                p[i] = hit != m_keys + m_nk && *hit == v[i] ? hit - m_keys : -1;
            }
            return;
        }
        if (m_table.empty()) {
            std::fill(p, p + n, -1);
            return;
        }
        for (size_t i = 0; i < n; ++i) {
            if (i + Ahead < n)
                __builtin_prefetch(&m_table[hash(v[i + Ahead])]);
            size_t h = hash(v[i]);
            int64_t found = -1;
            for (; m_table[h].index >= 0; h = (h + 1) & m_mask) {
                if (m_table[h].key == v[i]) {
                    found = m_table[h].index;
                    break;
                }
            }
            p[i] = found;
        }
    }

private:
    static constexpr size_t Small = 64, Ahead = 16;
    struct Slot {
        uint64_t key;
        int64_t index; // -1: empty
    };
    size_t hash(uint64_t x) const {
        return static_cast<size_t>((x * 0x9E3779B97F4A7C15ull) >> (64 - m_bits));
    }
    const uint64_t* m_keys; // set while the keys are searched directly
    size_t m_nk;
    int m_bits = 1;
    size_t m_mask = 0;
    std::vector<Slot> m_table;
};

/// AddrIndex for Python: built once, asked many times (it copies what it needs).
class PyAddrIndex {
public:
    explicit PyAddrIndex(const CArray<uint64_t>& sortedKeys)
        : m_keys(sortedKeys), m_index(m_keys.data(), static_cast<size_t>(m_keys.size())) {}
    py::array_t<int64_t> find(const CArray<uint64_t>& values) const {
        py::array_t<int64_t> pos(values.size());
        {
            py::gil_scoped_release unlocked;
            m_index.find(values.data(), static_cast<size_t>(values.size()), pos.mutable_data());
        }
        return pos;
    }

private:
    CArray<uint64_t> m_keys; // kept: small key sets are searched in place
    AddrIndex m_index;
};

py::array_t<int64_t> indexOf(const CArray<uint64_t>& sortedKeys, const CArray<uint64_t>& values) {
    py::array_t<int64_t> pos(values.size());
    {
        py::gil_scoped_release unlocked;
        const auto n = static_cast<size_t>(values.size());
        // A few values: no table worth building.
        AddrIndex(sortedKeys.data(), static_cast<size_t>(sortedKeys.size()), n >= 64)
            .find(values.data(), n, pos.mutable_data());
    }
    return pos;
}

/// A set of addresses (open addressing; 0 is never stored: it marks an empty slot).
class AddrSet {
public:
    /// Adds x (nonzero); false when it was there already.
    bool insert(uint64_t x) {
        if (2 * (m_n + 1) > m_slots.size())
            rehash(m_slots.empty() ? 1024 : 2 * m_slots.size());
        const size_t mask = m_slots.size() - 1;
        size_t h = static_cast<size_t>((x * 0x9E3779B97F4A7C15ull) >> 24) & mask;
        while (m_slots[h]) {
            if (m_slots[h] == x)
                return false;
            h = (h + 1) & mask;
        }
        m_slots[h] = x;
        ++m_n;
        return true;
    }

private:
    void rehash(size_t n) {
        std::vector<uint64_t> old(n, 0);
        old.swap(m_slots);
        m_n = 0;
        for (uint64_t x : old)
            if (x)
                insert(x);
    }
    std::vector<uint64_t> m_slots;
    size_t m_n = 0;
};

template <typename T>
py::array_t<T> toArray(const std::vector<T>& v) {
    py::array_t<T> a(v.size());
    if (!v.empty())
        std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
    return a;
}

/// walk_rbtrees(image, starts, ends, offs, base, size, roots, cap, max_depth,
///              off_pc, off_left, off_right)
///   -> (node, tree, parent_color, left, right, parent, depth, index,
///       truncated, complete)
/// The trees under `roots` (rb_node addresses, 0 = empty) walked in order,
/// each node's __rb_parent_color/rb_left/rb_right read from the image; rows
/// as in rbtree.py's RbForest (left/right/parent are rows, -1 for none; index
/// is the in-order position in its tree). Bounded and cycle-safe: at most
/// `cap` nodes in all and `max_depth` levels, and a node reached a second
/// time is not followed; a tree cut short by any of these is `truncated`.
/// `complete` is false when a node lies outside the image (the caller then
/// walks with its general reader).
py::tuple walkRbtrees(const py::buffer& image, const CArray<int64_t>& starts,
                      const CArray<int64_t>& ends, const CArray<int64_t>& offs, uint64_t base,
                      uint64_t size, const CArray<uint64_t>& roots, int64_t cap, int64_t maxDepth,
                      int64_t offPc, int64_t offLeft, int64_t offRight) {
    py::buffer_info img = image.request();
    const Image im(img, starts, ends, offs, base, size);
    for (int64_t o : {offPc, offLeft, offRight})
        if (o < 0 || o % 8 || o > 64)
            throw py::value_error("walk_rbtrees: bad member offset");
    const auto span = static_cast<size_t>(std::max({offPc, offLeft, offRight}) + 8);
    const auto nt = static_cast<size_t>(roots.size());
    const uint64_t* r = roots.data();
    const auto limit = static_cast<size_t>(std::max<int64_t>(cap, 0));
    std::vector<uint64_t> node, pc, rchild;
    std::vector<int64_t> tree, left, right, parent, depth, index;
    std::vector<uint8_t> truncated(nt, 0);
    bool complete = true;
    {
        py::gil_scoped_release unlocked;
        AddrSet seen;
        std::vector<size_t> stack; // rows whose left subtree is being walked
        for (size_t t = 0; t < nt && complete; ++t) {
            int64_t pos = 0;
            // Pushes `a` (child of row `par`) and its chain of left children.
            auto descend = [&](uint64_t a, int64_t par, bool isLeft) {
                int64_t d = par >= 0 ? depth[static_cast<size_t>(par)] + 1 : 0;
                for (; a; ++d, isLeft = true) {
                    if (node.size() >= limit || d >= maxDepth || !seen.insert(a)) {
                        truncated[t] = 1;
                        return;
                    }
                    const uint8_t* src = im.at(a, span);
                    if (!src) {
                        complete = false;
                        return;
                    }
                    uint64_t v[3];
                    std::memcpy(&v[0], src + offPc, 8);
                    std::memcpy(&v[1], src + offLeft, 8);
                    std::memcpy(&v[2], src + offRight, 8);
                    if (const uint8_t* next = v[2] ? im.at(v[2], span) : nullptr)
                        __builtin_prefetch(next); // needed once the left side is done
                    const auto row = static_cast<int64_t>(node.size());
                    node.push_back(a);
                    pc.push_back(v[0]);
                    rchild.push_back(v[2]);
                    tree.push_back(static_cast<int64_t>(t));
                    left.push_back(-1);
                    right.push_back(-1);
                    parent.push_back(par);
                    depth.push_back(d);
                    index.push_back(-1);
                    if (par >= 0)
                        (isLeft ? left : right)[static_cast<size_t>(par)] = row;
                    stack.push_back(static_cast<size_t>(row));
                    par = row;
                    a = v[1];
                }
            };
            descend(r[t], -1, true);
            while (!stack.empty() && complete) {
                const size_t row = stack.back();
                stack.pop_back();
                index[row] = pos++;
                descend(rchild[row], static_cast<int64_t>(row), false);
            }
            stack.clear();
        }
    }
    py::array_t<bool> trunc(nt);
    for (size_t t = 0; t < nt; ++t)
        trunc.mutable_data()[t] = truncated[t] != 0;
    return py::make_tuple(toArray(node), toArray(tree), toArray(pc), toArray(left), toArray(right),
                          toArray(parent), toArray(depth), toArray(index), trunc, complete);
}

} // namespace
