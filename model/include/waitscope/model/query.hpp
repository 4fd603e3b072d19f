// Per-view extraction from a snapshot (pure functions, no drawing): the object tree, the
// overview graph (with folding), an eventpoll's rbtree and lists, wait queue chains,
// workqueue pools, kfifo/circ_buf rings, titles and explanations.
//
// [SECTION] Titles and decoding
// [SECTION] Object tree
// [SECTION] Overview graph
// [SECTION] Eventpoll detail: rbtree, ready list, ovflist
// [SECTION] Wait queue chains
// [SECTION] Workqueue pools
// [SECTION] Rings (kfifo, circ_buf)
// [SECTION] Explanations
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <waitscope/model/snapshot.hpp>

namespace waitscope::model {

/// "No index" in the index vectors below.
inline constexpr std::uint32_t NoIndex = 0xffffffffu;

// [SECTION] Titles and decoding --------------------------------------------------------

/// A short title for an object: its `label` when the walker gave one, else built from its
/// fields ("epitem fd 5", "ep_poll_callback -> epitem ...", "pingpong[83] S"). O(fields).
[[nodiscard]] std::string objectTitle(const Snapshot& snapshot, const Object& object);
/// objectTitle of the object with `id`, or the id text when it is not in the snapshot.
[[nodiscard]] std::string objectTitle(const Snapshot& snapshot, ObjectId id);

/// "EPOLLIN|EPOLLET|..." for an epoll event mask (unknown bits as hex).
[[nodiscard]] std::string epollEventNames(std::uint64_t events);

// [SECTION] Object tree ----------------------------------------------------------------

/// What a row of the object tree stands for.
enum class RowRole : std::uint8_t {
    Group,   ///< a heading ("Processes", "Wait queues", ...); `aux` is the group index
    Object,  ///< an object
    Fd,      ///< a file held by a process; `aux` is the fd number
    Thread,  ///< a task of a thread group, under its leader
    Waiting, ///< a wait entry the task sleeps on, under the task
};

/// Top-level groups of the object tree, in display order.
enum class TreeGroup : std::uint8_t {
    Processes,
    KernelThreads,
    WaitQueues,
    Workqueues,
    Pools,
    Buffers,
    Other
};

/// The groups' display names.
[[nodiscard]] std::string_view treeGroupName(TreeGroup group);

/// The object tree in preorder: a row's subtree is the next `span` rows.
struct ObjectTree {
    struct Row {
        ObjectId id; ///< invalid for groups
        std::uint32_t parent = NoIndex;
        std::uint32_t span = 0;     ///< rows in this row's subtree after it
        std::uint32_t aux = 0;      ///< fd number (Fd), group (Group)
        std::uint32_t children = 0; ///< direct children
        std::uint16_t depth = 0;
        RowRole role = RowRole::Object;
    };
    std::vector<Row> rows;
};

/// Processes (user space; kernel threads in their own group) -> threads, fds -> files -> the object
/// behind them (eventpoll -> epitems in key order, wait queue heads -> entries); wait queues;
/// workqueues -> pool_workqueues -> works; worker pools -> workers -> works; buffers (kfifo,
/// circ_buf, vpoll rings); other objects. Every object of the snapshot appears at least once. O(n).
[[nodiscard]] ObjectTree buildObjectTree(const Snapshot& snapshot);

/// The text of a row (a title for objects, "fd 5: ..." for fds, "Processes (12)" ...).
[[nodiscard]] std::string treeRowText(const Snapshot& snapshot, const ObjectTree& tree,
                                      std::uint32_t row);

// [SECTION] Overview graph -------------------------------------------------------------

/// What an overview node stands for.
enum class GraphNodeRole : std::uint8_t {
    Task,
    Eventpoll,
    Epitem,
    File,        ///< a watched or waited-on file (its private object folded in)
    FoldedItems, ///< `count` epitems (and their files) of one eventpoll, folded
};

/// What an overview edge means.
enum class GraphEdgeRole : std::uint8_t {
    Holds,   ///< task -> file/eventpoll: the process has it open (label: fds)
    Waits,   ///< task -> eventpoll/file: sleeping on its wait queue (label: func)
    Watches, ///< eventpoll -> epitem (or folded items)
    Targets, ///< epitem -> watched file (label: the wait queue ep_poll_callback sits on)
    Nested,  ///< epitem -> eventpoll: an epoll watching an epoll
    Polls,   ///< eventpoll -> eventpoll/task: something polls this epoll (poll_wait)
};

/// One overview node; `object` is the object it shows (the first folded epitem for
/// FoldedItems).
struct GraphNode {
    ObjectId object;
    GraphNodeRole role = GraphNodeRole::File;
    std::uint32_t count = 1;         ///< folded objects
    std::uint32_t ready = 0;         ///< epitems on the ready list (Epitem: 1 when ready)
    std::uint32_t cluster = NoIndex; ///< eventpoll node index its epitems belong to
    bool partial = false;
    bool blocked = false; ///< Task: sleeping (state S/D)
};

struct GraphEdge {
    std::uint32_t from = 0, to = 0;
    GraphEdgeRole role = GraphEdgeRole::Holds;
    std::string label;
};

/// The cross-object graph: tasks, eventpolls, epitems, watched files.
struct OverviewGraph {
    std::vector<GraphNode> nodes;
    std::vector<GraphEdge> edges;
};

/// Overview options.
struct OverviewOptions {
    /// Eventpolls with more epitems than this show them as one FoldedItems node (default 24).
    std::uint32_t foldAbove = 24;
    /// Include kernel threads that sleep on wait queues (default off).
    bool kernelThreads = false;
};

/// Tasks that hold an eventpoll or sleep on a wait queue, every eventpoll, their epitems
/// (folded above options.foldAbove) and the files those watch; nested epolls link
/// epitem -> eventpoll. Deterministic (snapshot order). O(n).
[[nodiscard]] OverviewGraph buildOverview(const Snapshot& snapshot,
                                          const OverviewOptions& options = {});

// [SECTION] Eventpoll detail -----------------------------------------------------------

/// An eventpoll's red-black tree as a binary tree over its epitems in key (in-order) order,
/// with the ready list and ovflist positions for the overlays.
struct RbTree {
    ObjectId ep;
    std::vector<ObjectId> items;     ///< epitems in key order
    std::vector<std::uint32_t> left; ///< child index or NoIndex, per item
    std::vector<std::uint32_t> right;
    std::vector<std::uint32_t> parent;
    std::vector<std::uint8_t> red;      ///< 1 red, 0 black
    std::vector<std::int32_t> readyPos; ///< position on rdllist, -1 when not ready
    std::vector<std::int32_t> ovfPos;   ///< position on ovflist, -1 when not on it
    std::vector<std::uint32_t> roots;   ///< the root, plus items unreachable from it
    std::vector<std::uint32_t> ready;   ///< item indices in rdllist order
    std::vector<std::uint32_t> ovflist; ///< item indices in ovflist order
    std::vector<std::string> problems;  ///< inconsistencies found (partial walks)
    std::uint32_t count = 0;            ///< rbtree.count as the kernel reports it

    [[nodiscard]] std::size_t size() const { return items.size(); }
};

/// The rbtree of eventpoll `ep` (empty when `ep` is not an eventpoll). O(items).
[[nodiscard]] RbTree buildRbTree(const Snapshot& snapshot, ObjectId ep);

// [SECTION] Wait queue chains ----------------------------------------------------------

/// One entry of a wait queue, decoded.
struct WaitEntryInfo {
    ObjectId id;
    std::string func; ///< symbol, or "0x.." when it has none
    std::uint64_t flags = 0;
    bool exclusive = false; ///< WQ_FLAG_EXCLUSIVE
    ObjectId owner;         ///< task, epitem or polling task (invalid: unknown)
    std::string ownerKind;  ///< "task", "epitem", "poll", "unknown"
    std::string ownerTitle;
};

/// A wait_queue_head and its entries in queue (wake-up) order.
struct WaitChain {
    ObjectId head;
    ObjectId container; ///< the object the head is embedded in
    std::string field;  ///< its member name ("wq", "rd_wait", ...)
    std::vector<WaitEntryInfo> entries;
};

/// The chain of wait_queue_head `head`. O(entries).
[[nodiscard]] WaitChain buildWaitChain(const Snapshot& snapshot, ObjectId head);
/// Decode one wait entry. O(fields).
[[nodiscard]] WaitEntryInfo decodeWaitEntry(const Snapshot& snapshot, const Object& entry);

// [SECTION] Workqueue pools ------------------------------------------------------------

struct WorkerInfo {
    ObjectId id;
    ObjectId task;
    bool busy = false;
    std::string currentFunc;
    ObjectId currentWork;
};

struct PoolInfo {
    ObjectId id;
    std::int64_t poolId = -1;
    std::int64_t cpu = -1;
    std::int64_t nice = 0;
    std::vector<WorkerInfo> workers;
    std::vector<ObjectId> worklist; ///< pending works, in order
};

struct PwqInfo {
    ObjectId id;
    ObjectId pool;
    std::int64_t nrActive = 0;
    std::int64_t maxActive = 0;
    std::vector<ObjectId> inactive; ///< works waiting for max_active, in order
};

struct WorkqueueInfo {
    ObjectId id;
    std::string name;
    std::vector<PwqInfo> pwqs;
};

/// Worker pools with their workers and worklists, and workqueues with their
/// pool_workqueues; pools without workers, works or pwqs of a listed workqueue are left out
/// unless `all`. O(n).
struct PoolView {
    std::vector<PoolInfo> pools;
    std::vector<WorkqueueInfo> workqueues;
};
[[nodiscard]] PoolView buildPoolView(const Snapshot& snapshot, bool all = false);

// [SECTION] Rings ----------------------------------------------------------------------

/// A kfifo or circ_buf with its indices and live elements (oldest first).
struct RingInfo {
    ObjectId id;
    std::string name;
    std::uint32_t size = 0;  ///< slots
    std::uint64_t in = 0;    ///< kfifo in / circ_buf head
    std::uint64_t out = 0;   ///< kfifo out / circ_buf tail
    std::uint32_t len = 0;   ///< live elements
    bool freeRunning = true; ///< kfifo (indices masked on use) vs circ_buf (already masked)
    std::vector<std::string> elements;
};

/// The ring of a kfifo or circ_buf object (size 0 when `id` is neither). O(elements).
[[nodiscard]] RingInfo buildRing(const Snapshot& snapshot, ObjectId id);

// [SECTION] Explanations ---------------------------------------------------------------

/// Plain-language facts about an object for the inspector: for a task what it sleeps on and
/// why; for an epitem whether and why it is ready; for an eventpoll who waits on it. One
/// sentence per line, from the snapshot's fields only.
[[nodiscard]] std::vector<std::string> explainObject(const Snapshot& snapshot, ObjectId id);

} // namespace waitscope::model
