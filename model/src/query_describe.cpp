// Titles, event names and plain-language explanations of objects.
#include <waitscope/model/query.hpp>

#include "query_util.hpp"

namespace waitscope::model {

using namespace detail;

namespace {

std::string eventpollOwners(const Object& ep) {
    std::string out;
    for (Field ow : ep[Key::owners].children()) {
        out += out.empty() ? "" : ", ";
        out += "pid " + ow[Key::pid].text() + " fd " + ow[Key::fd].text();
    }
    return out;
}

std::string headPlace(const Snapshot& s, const Object& head) {
    Field c = head[Key::container];
    std::string field(c[Key::field].str());
    ObjectId cid = c[Key::id].ref();
    std::string where = cid.valid() ? objectTitle(s, cid) : "an unknown object";
    return (field.empty() ? "a wait queue" : field) + " of " + where;
}

} // namespace

std::string epollEventNames(std::uint64_t events) {
    static constexpr std::pair<std::uint64_t, const char*> Bits[] = {
        {0x1, "EPOLLIN"},
        {0x2, "EPOLLPRI"},
        {0x4, "EPOLLOUT"},
        {0x8, "EPOLLERR"},
        {0x10, "EPOLLHUP"},
        {0x20, "EPOLLNVAL"},
        {0x40, "EPOLLRDNORM"},
        {0x80, "EPOLLRDBAND"},
        {0x100, "EPOLLWRNORM"},
        {0x200, "EPOLLWRBAND"},
        {0x400, "EPOLLMSG"},
        {0x2000, "EPOLLRDHUP"},
        {1ull << 28, "EPOLLEXCLUSIVE"},
        {1ull << 29, "EPOLLWAKEUP"},
        {1ull << 30, "EPOLLONESHOT"},
        {1ull << 31, "EPOLLET"},
    };
    std::string out;
    std::uint64_t rest = events;
    for (const auto& [bit, name] : Bits) {
        if (events & bit) {
            out += out.empty() ? "" : "|";
            out += name;
            rest &= ~bit;
        }
    }
    if (rest) {
        out += out.empty() ? "" : "|";
        out += hexString(rest);
    }
    return out.empty() ? "0" : out;
}

std::string objectTitle(const Snapshot& s, ObjectId id) {
    const Object* o = s.find(id);
    return o ? objectTitle(s, *o) : toString(id);
}

std::string objectTitle(const Snapshot& s, const Object& o) {
    if (!o.label().empty())
        return std::string(o.label());
    switch (o.kind()) {
    case Kind::Task:
        return taskName(o) + " " + std::string(o[Key::state].str());
    case Kind::Files:
        return "files (" + num(o[Key::fds].size()) + " fds)";
    case Kind::File: {
        std::string name(o[Key::name].str());
        return std::string(o[Key::kind].str()) + (name.empty() ? "" : " " + name);
    }
    case Kind::Eventpoll: {
        std::string owners = eventpollOwners(o);
        return "eventpoll" + (owners.empty() ? "" : " (" + owners + ")") + ", " +
               num(o[Key::rbtree][Key::count].asInt().value_or(0)) + " items, " +
               num(o[Key::ready].size()) + " ready";
    }
    case Kind::Epitem:
        return "epitem fd " + o[Key::tfd].text() + (o[Key::on_ready].asBool() ? " (ready)" : "");
    case Kind::WaitQueueHead: {
        Field c = o[Key::container];
        ObjectId cid = c[Key::id].ref();
        return "wait queue " + std::string(c[Key::field].str()) + " of " +
               (cid.valid() ? std::string(kindName(cid.kind)) : std::string("?"));
    }
    case Kind::WaitEntry: {
        std::string owner = "?";
        if (const Object* w = deref(s, o[Key::owner]))
            owner = w->kind() == Kind::Task ? taskName(*w) : std::string(kindName(w->kind()));
        return std::string(o[Key::func].text()) + " -> " + owner;
    }
    case Kind::Pipe:
        return "pipe head " + o[Key::head].text() + " tail " + o[Key::tail].text();
    case Kind::Eventfd:
        return "eventfd count " + o[Key::count].text();
    case Kind::Timerfd:
        return "timerfd ticks " + o[Key::ticks].text();
    case Kind::Vpoll:
        return "vpoll #" + o[Key::instance].text() + " events " +
               epollEventNames(u64(o, Key::events));
    case Kind::Workqueue:
        return "workqueue " + std::string(o[Key::name].str());
    case Kind::PoolWorkqueue:
        return "pwq -> pool " + (deref(s, o[Key::pool])
                                     ? deref(s, o[Key::pool])->operator[](Key::pool_id).text()
                                     : std::string("?"));
    case Kind::WorkerPool:
        return "worker pool " + o[Key::pool_id].text() + " (cpu " + o[Key::cpu].text() + ")";
    case Kind::Worker: {
        const Object* t = deref(s, o[Key::task]);
        std::string f(o[Key::current_func].str());
        return "worker " + (t ? taskName(*t) : std::string("?")) + (f.empty() ? "" : " " + f);
    }
    case Kind::Work:
        return "work " + std::string(o[Key::func].str());
    case Kind::Kfifo:
    case Kind::CircBuf: {
        std::string name(o[Key::name].str());
        Field len = o.kind() == Kind::Kfifo ? o[Key::len] : o[Key::cnt];
        return std::string(kindName(o.kind())) + (name.empty() ? "" : " " + name) + " " +
               len.text() + "/" + o[Key::size].text();
    }
    default:
        return std::string(kindName(o.kind())) + " " + hexString(o.kaddr());
    }
}

std::vector<std::string> explainObject(const Snapshot& s, ObjectId id) {
    std::vector<std::string> out;
    const Object* o = s.find(id);
    if (!o)
        return out;
    if (!o->partial().empty())
        out.push_back("Partly read: " + std::string(o->partial()) + ".");
    switch (o->kind()) {
    case Kind::Task: {
        std::string st(o->operator[](Key::state).str());
        if (st == "S" || st == "D")
            out.push_back(taskName(*o) + " is asleep (" +
                          (st == "S" ? "interruptible" : "uninterruptible") + ").");
        else if (!st.empty())
            out.push_back(taskName(*o) + " is in state " + st + ".");
        for (ObjectId wid : (*o)[Key::waiting_on].refs()) {
            const Object* w = s.find(wid);
            if (!w)
                continue;
            WaitEntryInfo e = decodeWaitEntry(s, *w);
            const Object* head = deref(s, (*w)[Key::head]);
            std::string place = head ? headPlace(s, *head) : "a wait queue";
            const Object* cont = head ? deref(s, (*head)[Key::container][Key::id]) : nullptr;
            std::string field = head ? std::string((*head)[Key::container][Key::field].str()) : "";
            if (cont && cont->kind() == Kind::Eventpoll && field == "wq")
                out.push_back("Blocked in epoll_wait on " + objectTitle(s, *cont) + ": its entry " +
                              e.func + (e.exclusive ? " (exclusive)" : "") +
                              " is on ep->wq; an epitem becoming ready wakes it.");
            else if (e.func == "pollwake")
                out.push_back("Blocked in poll/select: a pollwake entry on " + place + ".");
            else
                out.push_back("Sleeps on " + place + " (entry " + e.func +
                              (e.exclusive ? ", exclusive" : "") + ").");
        }
        break;
    }
    case Kind::Epitem: {
        const Object* ep = deref(s, (*o)[Key::ep]);
        const Object* file = deref(s, (*o)[Key::file]);
        std::uint64_t ev = u64(*o, Key::events);
        out.push_back("Watches fd " + (*o)[Key::tfd].text() +
                      (file ? " (" + objectTitle(s, *file) + ")" : "") + " for " +
                      epollEventNames(ev) + ".");
        if ((ev & 0x0fffffffull) == 0 && (ev & (1ull << 30)))
            out.push_back("EPOLLONESHOT fired: the item is disarmed until EPOLL_CTL_MOD.");
        if ((*o)[Key::on_ready].asBool()) {
            std::int64_t pos = -1, n = 0;
            if (ep) {
                auto ready = (*ep)[Key::ready].refs();
                n = static_cast<std::int64_t>(ready.size());
                for (std::size_t i = 0; i < ready.size(); ++i)
                    if (ready[i] == id)
                        pos = static_cast<std::int64_t>(i);
            }
            out.push_back("Ready: on the eventpoll's ready list (rdllist)" +
                          (pos >= 0 ? " at position " + num(pos + 1) + " of " + num(n) : "") +
                          ", so the next epoll_wait reports it.");
            out.push_back("It got there through ep_poll_callback: the watched file woke the "
                          "wait queue this epitem's entry sits on.");
        } else {
            out.push_back("Not ready: no event it watches has fired since it was last "
                          "reported (or the file has nothing to read).");
        }
        if ((*o)[Key::on_ovflist].asBool())
            out.push_back("On the overflow list: the wakeup came while epoll_wait was copying "
                          "events out; it moves to the ready list afterwards.");
        if (ev & (1ull << 31))
            out.push_back("Edge-triggered (EPOLLET): reported once per new event, not while "
                          "the condition lasts.");
        if (file) {
            if (const Object* priv = deref(s, (*file)[Key::private_])) {
                switch (priv->kind()) {
                case Kind::Eventfd:
                    out.push_back("The eventfd's count is " + (*priv)[Key::count].text() +
                                  (u64(*priv, Key::count) ? " (readable)." : " (not readable)."));
                    break;
                case Kind::Pipe:
                    out.push_back("The pipe " +
                                  std::string(i64(*priv, Key::head) != i64(*priv, Key::tail)
                                                  ? "holds data (head != tail)."
                                                  : "is empty (head == tail)."));
                    break;
                case Kind::Vpoll:
                    out.push_back("The vpoll device signals " +
                                  epollEventNames(u64(*priv, Key::events)) + ".");
                    break;
                case Kind::Timerfd:
                    out.push_back("The timerfd has " + (*priv)[Key::ticks].text() +
                                  " expiration(s) unread.");
                    break;
                case Kind::Eventpoll:
                    out.push_back("It watches another epoll (" + objectTitle(s, *priv) +
                                  "): ready when that one has ready items.");
                    break;
                default:
                    break;
                }
            }
        }
        for (Field pwq : (*o)[Key::pwqs].children())
            if (const Object* head = deref(s, pwq[Key::head]))
                out.push_back("Its ep_poll_callback entry is queued on " + headPlace(s, *head) +
                              ".");
        break;
    }
    case Kind::Eventpoll: {
        std::string owners = eventpollOwners(*o);
        if (!owners.empty())
            out.push_back("Held by " + owners + ".");
        auto ready = (*o)[Key::ready].refs();
        std::string list;
        for (ObjectId r : ready)
            if (const Object* e = s.find(r))
                list += (list.empty() ? "fd " : ", fd ") + (*e)[Key::tfd].text();
        out.push_back(num((*o)[Key::rbtree][Key::count].asInt().value_or(0)) + " items, " +
                      num(static_cast<std::int64_t>(ready.size())) + " ready" +
                      (list.empty() ? "." : ": " + list + " (rdllist order)."));
        for (ObjectId w : (*o)[Key::wq].refs())
            if (const Object* e = s.find(w)) {
                WaitEntryInfo info = decodeWaitEntry(s, *e);
                out.push_back("Waiting in epoll_wait: " + info.ownerTitle + " (" + info.func +
                              (info.exclusive ? ", exclusive" : "") + ").");
            }
        for (ObjectId w : (*o)[Key::poll_wait].refs())
            if (const Object* e = s.find(w)) {
                WaitEntryInfo info = decodeWaitEntry(s, *e);
                out.push_back("Polled by " + info.ownerTitle + " (" + info.func + ").");
            }
        if ((*o)[Key::ovflist_active].asBool())
            out.push_back("The overflow list is active: events are being transferred to "
                          "user space right now.");
        break;
    }
    case Kind::WaitEntry: {
        WaitEntryInfo e = decodeWaitEntry(s, *o);
        const Object* head = deref(s, (*o)[Key::head]);
        out.push_back("On " + (head ? headPlace(s, *head) : std::string("a wait queue")) +
                      "; a wake-up calls " + e.func + " for " + e.ownerTitle +
                      (e.exclusive ? " (exclusive: wakes one of the exclusive waiters)." : "."));
        break;
    }
    case Kind::Worker: {
        std::string f((*o)[Key::current_func].str());
        out.push_back(f.empty() ? "Idle worker." : "Busy running " + f + ".");
        break;
    }
    default:
        break;
    }
    return out;
}

} // namespace waitscope::model
