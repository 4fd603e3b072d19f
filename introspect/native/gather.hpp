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
// index_of(sorted_keys, values) -> int64[n]: position of each value in the
// sorted keys (the first of equal ones), or -1; through a hash table of the
// keys, which beats a binary search per value once the keys outgrow the caches.
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

    /// Where each addrs[i] + off .. + span lies in the image; nullptr where
    /// the address is 0 or the span is not wholly inside one range.
    std::vector<const uint8_t*> sources(const uint64_t* a, size_t n, int64_t off,
                                        size_t span) const {
        std::vector<const uint8_t*> src(n, nullptr);
        if (size < span)
            return src;
        const uint64_t limit = size - span;
        size_t last = nr;
        for (size_t i = 0; i < n; ++i) {
            uint64_t phys = a[i] + static_cast<uint64_t>(off) - base;
            if (a[i] == 0 || phys > limit)
                continue;
            auto p = static_cast<int64_t>(phys);
            // Consecutive objects usually share a range: try the last one first.
            if (!(last < nr && s[last] <= p && p < e[last])) {
                const int64_t* hit = std::upper_bound(s, s + nr, p);
                last = hit == s ? nr : static_cast<size_t>(hit - s) - 1;
            }
            if (last < nr && s[last] <= p && p + static_cast<int64_t>(span) <= e[last])
                src[i] = mem + o[last] + (p - s[last]);
        }
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

void indexOfRaw(const uint64_t* k, size_t nk, const uint64_t* v, size_t n, int64_t* p) {
    if (nk < 64 || n < 64) {
        for (size_t i = 0; i < n; ++i) {
            const uint64_t* hit = std::lower_bound(k, k + nk, v[i]);
            p[i] = hit != k + nk && *hit == v[i] ? hit - k : -1;
        }
        return;
    }
    // A binary search over 100,000 random keys is ~17 dependent cache misses
    // per value; an open-addressing table of (key, first index) is about one.
    struct Slot {
        uint64_t key;
        int64_t index; // -1: empty
    };
    int bits = 1;
    while ((size_t{1} << bits) < 2 * nk)
        ++bits;
    const size_t mask = (size_t{1} << bits) - 1;
    const auto hash = [bits](uint64_t x) {
        return static_cast<size_t>((x * 0x9E3779B97F4A7C15ull) >> (64 - bits));
    };
    std::vector<Slot> table(mask + 1, Slot{0, -1});
    constexpr size_t Ahead = 16;
    for (size_t i = 0; i < nk; ++i) {
        if (i + Ahead < nk)
            __builtin_prefetch(&table[hash(k[i + Ahead])], 1);
        if (i && k[i] == k[i - 1])
            continue; // duplicates: the first one, as searchsorted(side="left")
        size_t h = hash(k[i]);
        while (table[h].index >= 0)
            h = (h + 1) & mask;
        table[h] = Slot{k[i], static_cast<int64_t>(i)};
    }
    for (size_t i = 0; i < n; ++i) {
        if (i + Ahead < n)
            __builtin_prefetch(&table[hash(v[i + Ahead])]);
        size_t h = hash(v[i]);
        int64_t found = -1;
        for (; table[h].index >= 0; h = (h + 1) & mask) {
            if (table[h].key == v[i]) {
                found = table[h].index;
                break;
            }
        }
        p[i] = found;
    }
}

py::array_t<int64_t> indexOf(const CArray<uint64_t>& sortedKeys, const CArray<uint64_t>& values) {
    py::array_t<int64_t> pos(values.size());
    {
        py::gil_scoped_release unlocked;
        indexOfRaw(sortedKeys.data(), static_cast<size_t>(sortedKeys.size()), values.data(),
                   static_cast<size_t>(values.size()), pos.mutable_data());
    }
    return pos;
}

} // namespace
