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
// index_of(sorted_keys, values) -> int64[n]: position of each value in the
// sorted keys (the first of equal ones), or -1; through a hash table of the
// keys, which beats a binary search per value once the keys outgrow the caches.
#pragma once

#include <vector>

namespace {

template <typename T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

py::tuple gatherRows(const py::buffer& image, const CArray<int64_t>& starts,
                     const CArray<int64_t>& ends, const CArray<int64_t>& offs, uint64_t base,
                     uint64_t size, const CArray<uint64_t>& addrs, int64_t off, int64_t span) {
    py::buffer_info img = image.request();
    if (img.ndim != 1 || img.itemsize != 1)
        throw py::value_error("gather_rows: the image must be a 1-d byte buffer");
    size_t nr = static_cast<size_t>(starts.size());
    if (static_cast<size_t>(ends.size()) != nr || static_cast<size_t>(offs.size()) != nr)
        throw py::value_error("gather_rows: starts, ends and offs differ in length");
    if (span <= 0 || span > (1 << 20))
        throw py::value_error("gather_rows: span out of range");
    const auto* mem = static_cast<const uint8_t*>(img.ptr);
    const auto memLen = static_cast<int64_t>(img.size);
    const int64_t* s = starts.data();
    const int64_t* e = ends.data();
    const int64_t* o = offs.data();
    for (size_t r = 0; r < nr; ++r)
        if (e[r] < s[r] || o[r] < 0 || o[r] + (e[r] - s[r]) > memLen || (r && s[r] < e[r - 1]))
            throw py::value_error("gather_rows: ranges unsorted, overlapping or outside the image");
    size_t n = static_cast<size_t>(addrs.size());
    const uint64_t* a = addrs.data();
    py::array_t<uint8_t> rows({n, static_cast<size_t>(span)});
    py::array_t<bool> inside(n);
    uint8_t* out = rows.mutable_data();
    bool* in = inside.mutable_data();
    const auto sp = static_cast<size_t>(span);
    const uint64_t limit = size >= sp ? size - sp : 0;
    {
        py::gil_scoped_release unlocked; // the arrays are owned by this call's references
        size_t last = 0;
        for (size_t i = 0; i < n; ++i, out += sp) {
            uint64_t phys = a[i] + static_cast<uint64_t>(off) - base;
            bool ok = a[i] != 0 && size >= sp && phys <= limit;
            if (ok) {
                auto p = static_cast<int64_t>(phys);
                // Consecutive objects usually share a range: try the last one first.
                if (!(last < nr && s[last] <= p && p < e[last])) {
                    const int64_t* hit = std::upper_bound(s, s + nr, p);
                    last = hit == s ? nr : static_cast<size_t>(hit - s) - 1;
                }
                ok = last < nr && s[last] <= p && p + span <= e[last];
                if (ok)
                    std::memcpy(out, mem + o[last] + (p - s[last]), sp);
            }
            if (!ok)
                std::memset(out, 0, sp);
            in[i] = ok;
        }
    }
    return py::make_tuple(rows, inside);
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
    for (size_t i = 0; i < nk; ++i) {
        if (i && k[i] == k[i - 1])
            continue; // duplicates: the first one, as searchsorted(side="left")
        size_t h = hash(k[i]);
        while (table[h].index >= 0)
            h = (h + 1) & mask;
        table[h] = Slot{k[i], static_cast<int64_t>(i)};
    }
    for (size_t i = 0; i < n; ++i) {
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
