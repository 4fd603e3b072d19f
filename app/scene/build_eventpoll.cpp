// The eventpoll scene: the rbtree as a tidy tree with red/black colours, the ready list and
// the ovflist as ordered rings overlaid on it, the ep->wq and ep->poll_wait chains with each
// entry's function and owner, and (for small trees) each item's watched file with the other
// waiters on its wait queue.
#include <algorithm>
#include <chrono>

#include <waitscope/model/query.hpp>

#include "build.hpp"
#include "layout_adapter.hpp"

namespace waitscope::app {

using namespace model;

namespace {

constexpr float ChainGap = 24.0f;

/// A wait queue drawn as a row: head box, then its entries (func), each with its owner
/// above. Returns the row's right edge.
float chainRow(Scene& scene, const Snapshot& s, ObjectId head, const std::string& title, float x,
               float y) {
    WaitChain chain = buildWaitChain(s, head);
    SceneNode h = makeNode(head, NodeStyle::WaitHead, title,
                           std::to_string(chain.entries.size()) + " waiter(s)");
    h.x = x + h.w / 2;
    h.y = y;
    scene.nodes.push_back(h);
    auto prev = static_cast<std::uint32_t>(scene.nodes.size() - 1);
    float right = x + h.w;
    for (const WaitEntryInfo& e : chain.entries) {
        SceneNode en = makeNode(e.id, NodeStyle::WaitEntry, e.func,
                                e.exclusive ? "exclusive" : "flags " + std::to_string(e.flags));
        en.x = right + ChainGap + en.w / 2;
        en.y = y;
        scene.nodes.push_back(en);
        auto ei = static_cast<std::uint32_t>(scene.nodes.size() - 1);
        scene.addEdge(prev, ei, EdgeStyle::Chain);
        prev = ei;
        right = en.x + en.w / 2;
        ++scene.stats.waitEntries;
        if (e.owner.valid() && e.owner.kind != Kind::Epitem) {
            const Object* o = s.find(e.owner);
            SceneNode on =
                makeNode(e.owner,
                         o && ((*o)[Key::state].str() == "S" || (*o)[Key::state].str() == "D")
                             ? NodeStyle::TaskBlocked
                             : NodeStyle::Task,
                         e.ownerTitle, e.ownerKind);
            on.x = en.x;
            on.y = y - 70;
            scene.nodes.push_back(on);
            scene.addEdge(ei, static_cast<std::uint32_t>(scene.nodes.size() - 1), EdgeStyle::Owner,
                          "", true);
            right = std::max(right, on.x + on.w / 2);
        } else if (e.owner.valid()) {
            // An epitem owner (nested epoll): name it; the epitem lives in another eventpoll.
            SceneNode& n = scene.nodes[ei];
            n.detail = "-> " + e.ownerTitle;
            n.w = std::max(n.w, labelWidth(n.detail) + 16);
            n.x = right - en.w + n.w / 2; // keep the left edge where it was
            right = n.x + n.w / 2;
        }
    }
    return right;
}

/// An ordered list drawn over the tree: from a head marker, through each item's box in
/// list order, and back (the kernel's list is circular). `above` bends it over the boxes.
void overlayList(Scene& scene, const std::vector<std::uint32_t>& order,
                 const std::vector<std::uint32_t>& nodeOfItem, float headX, float headY,
                 EdgeStyle style, bool above, const std::string& title) {
    SceneNode head =
        makeNode({}, NodeStyle::Note, title, std::to_string(order.size()) + " item(s)");
    head.x = headX;
    head.y = headY;
    scene.nodes.push_back(head);
    auto hi = static_cast<std::uint32_t>(scene.nodes.size() - 1);
    if (order.empty())
        return;
    auto anchor = [&](std::uint32_t node) {
        const SceneNode& n = scene.nodes[node];
        return std::pair(n.x, above ? n.y - n.h / 2 : n.y + n.h / 2);
    };
    std::uint32_t prev = hi;
    auto [px, py] = std::pair(head.x + head.w / 2, head.y);
    const float bend = above ? -22.0f : 22.0f;
    for (std::uint32_t item : order) {
        std::uint32_t node = nodeOfItem[item];
        auto [x, y] = anchor(node);
        float midX = (px + x) / 2, midY = std::min(py, y) + (above ? bend : 0);
        if (!above)
            midY = std::max(py, y) + bend;
        scene.addPolyline(prev, node, style, {px, py, midX, midY, x, y}, "", true);
        prev = node;
        px = x, py = y;
    }
    // Back to the head: the list is circular.
    auto [hx, hy] = std::pair(head.x, head.y + (above ? -head.h / 2 : head.h / 2));
    float loopY = above ? std::min(py, hy) - 40 : std::max(py, hy) + 40;
    scene.addPolyline(prev, hi, style, {px, py, px, loopY, hx, loopY, hx, hy}, "", true);
}

} // namespace

Scene buildEventpollScene(const Snapshot& s, const SceneRequest& r) {
    Scene scene;
    auto t0 = std::chrono::steady_clock::now();
    RbTree t = buildRbTree(s, r.focus);
    scene.stats.queryMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const Object* ep = s.find(r.focus);
    if (!ep) {
        scene.notes.push_back("No eventpoll " + toString(r.focus) + " in this snapshot.");
        return scene;
    }
    scene.title = objectTitle(s, *ep);
    scene.notes = t.problems;
    const std::size_t n = t.size();
    const bool detailed = n <= r.detailAbove;

    // [the tree]
    std::vector<BoxSize> sizes(n);
    std::vector<SceneNode> items(n);
    for (std::size_t i = 0; i < n; ++i) {
        const Object* o = s.find(t.items[i]);
        std::string label = o ? "fd " + (*o)[Key::tfd].text() : "?";
        std::string detail;
        if (detailed && o) {
            detail = epollEventNames((*o)[Key::events].asU64().value_or(0));
            if (detail.size() > 22)
                detail = detail.substr(0, 20) + "..";
        }
        items[i] = makeNode(t.items[i], t.red[i] ? NodeStyle::EpitemRed : NodeStyle::EpitemBlack,
                            label, detail);
        items[i].w = std::max(items[i].w, 64.0f);
        if (t.readyPos[i] >= 0) {
            items[i].flags |= NodeReady;
            items[i].badge = t.readyPos[i] + 1;
        }
        if (t.ovfPos[i] >= 0)
            items[i].flags |= NodeOvf;
        if (!o || !o->partial().empty())
            items[i].flags |= NodePartial;
        sizes[i] = {items[i].w, items[i].h};
    }
    for (std::uint32_t root : t.roots)
        items[root].flags |= NodeRoot;
    std::vector<std::uint64_t> keys;
    keys.reserve(n);
    for (ObjectId id : t.items)
        keys.push_back(hashId(id));
    Placement p = placeBinaryTree(t.left, t.right, t.roots, sizes, keys,
                                  r.previous ? r.previous->layout : nullptr);
    scene.layout = p.memo;
    scene.stats.layoutMs = p.ms;
    std::vector<std::uint32_t> nodeOfItem(n);
    float treeMinX = 0, treeMaxX = 0, treeMaxY = 0;
    for (std::size_t i = 0; i < n; ++i) {
        items[i].x = p.x[i];
        items[i].y = p.y[i];
        nodeOfItem[i] = static_cast<std::uint32_t>(scene.nodes.size());
        scene.nodes.push_back(std::move(items[i]));
        const SceneNode& sn = scene.nodes.back();
        treeMinX = i == 0 ? sn.x - sn.w / 2 : std::min(treeMinX, sn.x - sn.w / 2);
        treeMaxX = i == 0 ? sn.x + sn.w / 2 : std::max(treeMaxX, sn.x + sn.w / 2);
        treeMaxY = std::max(treeMaxY, sn.y + sn.h / 2);
    }
    std::size_t e = 0;
    for (std::uint32_t v = 0; v < n; ++v)
        for (std::uint32_t c : {t.left[v], t.right[v]})
            if (c != NoChild) {
                const std::vector<float>& xy = p.edges[e++];
                const SceneNode& a = scene.nodes[nodeOfItem[v]];
                const SceneNode& b = scene.nodes[nodeOfItem[c]];
                std::vector<float> clipped = xy;
                if (clipped.size() >= 4) {
                    clipped[1] = a.y + a.h / 2;
                    clipped[clipped.size() - 1] = b.y - b.h / 2;
                }
                scene.addPolyline(nodeOfItem[v], nodeOfItem[c], EdgeStyle::Tree, clipped, "",
                                  false);
            }
    scene.stats.rbtreeNodes = static_cast<std::uint32_t>(n);
    scene.stats.readyItems = static_cast<std::uint32_t>(t.ready.size());

    // [the eventpoll above the root, and its wait queues above it]
    float rootX = t.roots.empty() ? 0 : scene.nodes[nodeOfItem[t.roots[0]]].x;
    std::string owners;
    for (Field ow : (*ep)[Key::owners].children())
        owners +=
            (owners.empty() ? "pid " : ", ") + ow[Key::pid].text() + " fd " + ow[Key::fd].text();
    SceneNode epNode = makeNode(r.focus, NodeStyle::Eventpoll, "eventpoll " + owners,
                                "ep->rbr: " + std::to_string(t.count) + " items, " +
                                    std::to_string(t.ready.size()) + " ready");
    epNode.x = rootX;
    epNode.y = -110;
    scene.nodes.push_back(epNode);
    auto epIndex = static_cast<std::uint32_t>(scene.nodes.size() - 1);
    if (!t.roots.empty())
        scene.addEdge(epIndex, nodeOfItem[t.roots[0]], EdgeStyle::Watches, "rbr.rb_root");
    scene.frames.push_back({treeMinX - 24, -150, treeMaxX + 24, treeMaxY + 24,
                            "rbtree ep->rbr (in key order, red/black as in the kernel)", r.focus});

    // Ready list and ovflist heads sit left of the tree, on the top rows.
    float headX = treeMinX - 120;
    overlayList(scene, t.ready, nodeOfItem, headX, 0, EdgeStyle::Ready, true, "ep->rdllist");
    if (!t.ovflist.empty() || (*ep)[Key::ovflist_active].asBool())
        overlayList(scene, t.ovflist, nodeOfItem, headX, 90, EdgeStyle::Ovf, false,
                    (*ep)[Key::ovflist_active].asBool() ? "ep->ovflist (active)" : "ep->ovflist");

    float chainY = -290;
    float x = std::min(treeMinX, rootX - 200);
    if (ObjectId wq = (*ep)[Key::wq_head].ref(); wq.valid())
        x = chainRow(scene, s, wq, "ep->wq (epoll_wait sleepers)", x, chainY) + 60;
    if (ObjectId pw = (*ep)[Key::poll_wait_head].ref(); pw.valid())
        chainRow(scene, s, pw, "ep->poll_wait (pollers of this epoll)", x, chainY);

    // [small trees: each item's watched file and the other waiters on its queue]
    // Each item gets a column (its file, then the other entries on the file's queue) under
    // it; columns that would overlap go to the next lane down.
    if (detailed) {
        struct Column {
            std::size_t item;
            std::vector<SceneNode> boxes; ///< file first, then waiters
            std::string via;
            float width = 0, height = 0;
        };
        std::vector<Column> columns;
        for (std::size_t i = 0; i < n; ++i) {
            const Object* item = s.find(t.items[i]);
            const Object* file = item ? s.find((*item)[Key::file].ref()) : nullptr;
            if (!file)
                continue;
            Column c;
            c.item = i;
            ObjectId headId;
            for (Field pwq : (*item)[Key::pwqs].children()) {
                headId = pwq[Key::head].ref();
                if (const Object* h = s.find(headId))
                    c.via = std::string((*h)[Key::container][Key::field].str());
            }
            std::string kind((*file)[Key::kind].str()), detail;
            if (const Object* priv = s.find((*file)[Key::private_].ref()))
                detail = objectTitle(s, *priv);
            c.boxes.push_back(
                makeNode(file->id(), NodeStyle::File, kind.empty() ? "file" : kind, detail));
            if (headId.valid())
                for (const WaitEntryInfo& w : buildWaitChain(s, headId).entries)
                    if (w.owner != t.items[i])
                        c.boxes.push_back(
                            makeNode(w.id, NodeStyle::WaitEntry, w.func, w.ownerTitle));
            for (const SceneNode& b : c.boxes) {
                c.width = std::max(c.width, b.w);
                c.height += b.h + 22;
            }
            columns.push_back(std::move(c));
        }
        // Lanes: a column goes in the first lane where it clears the previous column; each
        // lane is as tall as its tallest column.
        std::vector<float> laneRight, laneHeight;
        std::vector<std::size_t> laneOf(columns.size());
        for (std::size_t k = 0; k < columns.size(); ++k) {
            const Column& c = columns[k];
            float cx = scene.nodes[nodeOfItem[c.item]].x;
            std::size_t lane = 0;
            while (lane < laneRight.size() && laneRight[lane] > cx - c.width / 2 - 16)
                ++lane;
            if (lane == laneRight.size()) {
                laneRight.push_back(0);
                laneHeight.push_back(0);
            }
            laneRight[lane] = cx + c.width / 2;
            laneHeight[lane] = std::max(laneHeight[lane], c.height);
            laneOf[k] = lane;
        }
        std::vector<float> laneTop(laneHeight.size(), treeMaxY + 90);
        for (std::size_t l = 1; l < laneTop.size(); ++l)
            laneTop[l] = laneTop[l - 1] + laneHeight[l - 1] + 24;
        for (std::size_t ci = 0; ci < columns.size(); ++ci) {
            const Column& c = columns[ci];
            float cx = scene.nodes[nodeOfItem[c.item]].x;
            float y = laneTop[laneOf[ci]];
            std::uint32_t prev = nodeOfItem[c.item];
            for (std::size_t k = 0; k < c.boxes.size(); ++k) {
                SceneNode b = c.boxes[k];
                b.x = cx;
                b.y = y + b.h / 2;
                y += b.h + 22;
                scene.nodes.push_back(b);
                auto bi = static_cast<std::uint32_t>(scene.nodes.size() - 1);
                if (k == 0) {
                    scene.addEdge(prev, bi, EdgeStyle::Targets,
                                  c.via.empty() ? "" : "ep_poll_callback on " + c.via);
                } else {
                    scene.addEdge(prev, bi, EdgeStyle::Chain, "", true);
                    ++scene.stats.waitEntries;
                }
                prev = bi;
            }
        }
    }
    return scene;
}

} // namespace waitscope::app
