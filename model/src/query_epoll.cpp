// Eventpoll detail (rbtree with ready/ovflist positions) and wait queue chains.
#include <unordered_map>

#include <waitscope/model/query.hpp>

#include "query_util.hpp"

namespace waitscope::model {

using namespace detail;

RbTree buildRbTree(const Snapshot& s, ObjectId epId) {
    RbTree t;
    t.ep = epId;
    const Object* ep = s.find(epId);
    if (!ep || ep->kind() != Kind::Eventpoll)
        return t;
    Field rbtree = (*ep)[Key::rbtree];
    t.count = static_cast<std::uint32_t>(rbtree[Key::count].asU64().value_or(0));
    t.items = rbtree[Key::inorder].refs();
    const std::size_t n = t.items.size();
    std::unordered_map<ObjectId, std::uint32_t> index;
    index.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i)
        index.emplace(t.items[i], i);
    auto indexOf = [&](const Field& f) -> std::uint32_t {
        ObjectId id = f.ref();
        if (!id.valid())
            return NoIndex;
        auto it = index.find(id);
        if (it == index.end()) {
            if (t.problems.size() < 8)
                t.problems.push_back("link to " + toString(id) + " outside the in-order list");
            return NoIndex;
        }
        return it->second;
    };
    t.left.assign(n, NoIndex);
    t.right.assign(n, NoIndex);
    t.parent.assign(n, NoIndex);
    t.red.assign(n, 0);
    t.readyPos.assign(n, -1);
    t.ovfPos.assign(n, -1);
    for (std::uint32_t i = 0; i < n; ++i) {
        const Object* item = s.find(t.items[i]);
        if (!item) {
            if (t.problems.size() < 8)
                t.problems.push_back(toString(t.items[i]) + " is not in the snapshot");
            continue;
        }
        Field rb = (*item)[Key::rb];
        t.left[i] = indexOf(rb[Key::left]);
        t.right[i] = indexOf(rb[Key::right]);
        t.parent[i] = indexOf(rb[Key::parent]);
        t.red[i] = (*item)[Key::color].str() == "red" ? 1 : 0;
    }
    // Roots: the kernel's root, then anything it does not reach (a partial walk).
    std::vector<std::uint8_t> seen(n, 0);
    auto reach = [&](std::uint32_t r) {
        std::vector<std::uint32_t> stack{r};
        while (!stack.empty()) {
            std::uint32_t v = stack.back();
            stack.pop_back();
            if (seen[v]) {
                if (t.problems.size() < 8)
                    t.problems.push_back("cycle or shared child at " + toString(t.items[v]));
                continue;
            }
            seen[v] = 1;
            for (std::uint32_t c : {t.left[v], t.right[v]})
                if (c != NoIndex) {
                    if (seen[c]) { // do not draw the same node twice
                        (c == t.left[v] ? t.left[v] : t.right[v]) = NoIndex;
                        if (t.problems.size() < 8)
                            t.problems.push_back("node reached twice: " + toString(t.items[c]));
                        continue;
                    }
                    stack.push_back(c);
                }
        }
    };
    std::uint32_t root = indexOf(rbtree[Key::root]);
    if (root != NoIndex) {
        t.roots.push_back(root);
        reach(root);
    }
    for (std::uint32_t i = 0; i < n; ++i)
        if (!seen[i] && (t.parent[i] == NoIndex || !seen[t.parent[i]])) {
            // Topmost unreached node: climb to the highest unreached ancestor.
            std::uint32_t top = i;
            for (std::size_t guard = 0; guard < n && t.parent[top] != NoIndex &&
                                        !seen[t.parent[top]] && t.parent[top] != top;
                 ++guard)
                top = t.parent[top];
            if (!seen[top]) {
                t.roots.push_back(top);
                reach(top);
            }
        }
    for (std::uint32_t i = 0; i < n; ++i)
        if (!seen[i]) {
            t.roots.push_back(i);
            reach(i);
        }
    if (t.roots.size() > 1 && t.problems.size() < 8)
        t.problems.push_back(num(static_cast<std::int64_t>(t.roots.size() - 1)) +
                             " subtree(s) not reachable from the root");
    if (t.count != n && !ep->partial().empty())
        t.problems.push_back("rbtree.count is " + num(t.count) + " but " +
                             num(static_cast<std::int64_t>(n)) + " items were read");

    auto positions = [&](Key key, std::vector<std::int32_t>& pos,
                         std::vector<std::uint32_t>& order) {
        std::int32_t k = 0;
        for (ObjectId r : (*ep)[key].refs()) {
            auto it = index.find(r);
            if (it != index.end()) {
                pos[it->second] = k;
                order.push_back(it->second);
            }
            ++k;
        }
    };
    positions(Key::ready, t.readyPos, t.ready);
    positions(Key::ovflist, t.ovfPos, t.ovflist);
    return t;
}

WaitEntryInfo decodeWaitEntry(const Snapshot& s, const Object& e) {
    WaitEntryInfo info;
    info.id = e.id();
    info.func = e[Key::func].text();
    info.flags = u64(e, Key::flags);
    info.exclusive = (info.flags & 0x1) != 0; // WQ_FLAG_EXCLUSIVE
    for (Field f : e[Key::flag_names].children())
        if (f.str() == "EXCLUSIVE")
            info.exclusive = true;
    info.owner = e[Key::owner].ref();
    info.ownerKind = std::string(e[Key::owner_kind].str());
    if (info.ownerKind.empty())
        info.ownerKind = info.owner.valid() ? std::string(kindName(info.owner.kind)) : "unknown";
    if (const Object* o = info.owner.valid() ? s.find(info.owner) : nullptr) {
        if (o->kind() == Kind::Epitem) {
            const Object* ep = deref(s, (*o)[Key::ep]);
            info.ownerTitle = "epitem fd " + (*o)[Key::tfd].text() +
                              (ep ? " of " + objectTitle(s, *ep) : std::string());
        } else {
            info.ownerTitle = objectTitle(s, *o);
        }
    } else {
        info.ownerTitle = info.owner.valid() ? toString(info.owner) : "unknown owner";
    }
    return info;
}

WaitChain buildWaitChain(const Snapshot& s, ObjectId headId) {
    WaitChain c;
    c.head = headId;
    const Object* head = s.find(headId);
    if (!head)
        return c;
    c.container = (*head)[Key::container][Key::id].ref();
    c.field = std::string((*head)[Key::container][Key::field].str());
    for (ObjectId id : (*head)[Key::entries].refs()) {
        if (const Object* e = s.find(id)) {
            c.entries.push_back(decodeWaitEntry(s, *e));
        } else {
            WaitEntryInfo missing;
            missing.id = id;
            missing.func = "?";
            missing.ownerKind = "unknown";
            missing.ownerTitle = "not read";
            c.entries.push_back(std::move(missing));
        }
    }
    return c;
}

} // namespace waitscope::model
