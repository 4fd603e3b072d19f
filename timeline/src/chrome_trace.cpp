// Chrome Trace Event JSON and CSV writers, and the Chrome JSON reader.
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include <waitscope/base/error.hpp>
#include <waitscope/timeline/io.hpp>

using nlohmann::json;

namespace waitscope::timeline {

namespace {

constexpr const char* Format = "waitscope.timeline/1";

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%x", v);
    return buf;
}

int32_t tgidOf(const EventStore& store, int32_t tid) {
    const TaskInfo* t = store.task(tid);
    return t && t->tgid ? t->tgid : tid;
}

std::string_view categoryOf(Kind k) {
    switch (k) {
    case Kind::SchedWakeup:
    case Kind::SchedSwitch:
        return "sched";
    case Kind::EpPollCallback:
        return "epoll";
    case Kind::Mark:
        return "waitscope";
    default:
        return "vpoll";
    }
}

} // namespace

std::string toChromeJson(const EventStore& store, const TraceMeta& meta) {
    // Written by hand, not through nlohmann::json: 10M events must not build a
    // 10M-node DOM first.
    std::string out;
    out.reserve(store.size() * 200 + 4096);
    out += "{\"displayTimeUnit\":\"ns\",\"otherData\":";
    out += json{{"format", Format},
                {"source", meta.source},
                {"kernel", meta.kernel},
                {"dropped", store.dropped()},
                {"events", store.size()}}
               .dump();
    out += ",\"traceEvents\":[";
    bool first = true;
    auto sep = [&] {
        if (!first)
            out += ",\n";
        first = false;
    };
    std::set<int32_t> processes;
    for (int32_t tid : store.tids()) {
        const TaskInfo* t = store.task(tid);
        int32_t tgid = tgidOf(store, tid);
        std::string comm = t ? t->comm : "";
        if (processes.insert(tgid).second) {
            const TaskInfo* leader = store.task(tgid);
            sep();
            out += json{{"ph", "M"},
                        {"name", "process_name"},
                        {"pid", tgid},
                        {"args", {{"name", leader ? leader->comm : comm}}}}
                       .dump();
        }
        sep();
        out += json{{"ph", "M"},
                    {"name", "thread_name"},
                    {"pid", tgid},
                    {"tid", tid},
                    {"args", {{"name", comm}}}}
                   .dump();
    }
    char buf[512];
    for (const Event& e : store.all()) {
        sep();
        std::snprintf(buf, sizeof buf,
                      "{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%" PRIu64
                      ".%03" PRIu64 ",\"pid\":%d,\"tid\":%d,\"args\":{\"ts_ns\":%" PRIu64
                      ",\"seq\":%u,\"cpu\":%u,\"instance\":%u,\"events\":\"%s\",\"arg\":\"%s\","
                      "\"flags\":%u}}",
                      std::string(kindName(e.kind)).c_str(),
                      std::string(categoryOf(e.kind)).c_str(), e.tsNs / 1000, e.tsNs % 1000,
                      tgidOf(store, e.pid), e.pid, e.tsNs, e.seq, e.cpu, e.instance,
                      hex(e.events).c_str(), hex(e.arg).c_str(), e.flags);
        out += buf;
    }
    out += "]}\n";
    return out;
}

EventStore fromChromeJson(std::string_view text) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::exception& e) {
        throw base::Error(std::string("not a Chrome trace: ") + e.what());
    }
    const json* events = nullptr;
    if (doc.is_object() && doc.contains("traceEvents") && doc["traceEvents"].is_array())
        events = &doc["traceEvents"];
    else if (doc.is_array())
        events = &doc;
    if (!events)
        throw base::Error("not a Chrome trace: no traceEvents array");
    EventStore store;
    auto num = [](const json& args, const char* key, uint64_t dflt) -> uint64_t {
        if (!args.contains(key))
            return dflt;
        const json& v = args[key];
        if (v.is_number_unsigned() || v.is_number_integer())
            return v.get<uint64_t>();
        if (v.is_string())
            return std::stoull(v.get<std::string>(), nullptr, 0);
        return dflt;
    };
    try {
        for (const json& ev : *events) {
            std::string ph = ev.value("ph", "");
            int32_t tid = ev.value("tid", ev.value("pid", 0));
            if (ph == "M") {
                if (ev.value("name", "") == "thread_name")
                    store.setTask(
                        {tid, ev.value("pid", tid), ev["args"].value("name", std::string())});
                continue;
            }
            if (ph != "i" && ph != "I" && ph != "X" && ph != "B")
                continue;
            Kind kind = kindFromName(ev.value("name", ""));
            if (kind == Kind::Unknown)
                continue;
            const json& args = ev.contains("args") ? ev["args"] : json::object();
            Event e;
            e.kind = kind;
            e.pid = tid;
            e.tsNs = num(args, "ts_ns", static_cast<uint64_t>(ev.value("ts", 0.0) * 1000.0));
            e.seq = static_cast<uint32_t>(num(args, "seq", store.size()));
            e.cpu = static_cast<uint16_t>(num(args, "cpu", 0));
            e.instance = static_cast<uint32_t>(num(args, "instance", 0));
            e.events = static_cast<uint32_t>(num(args, "events", 0));
            e.arg = static_cast<uint32_t>(num(args, "arg", 0));
            e.flags = static_cast<uint8_t>(num(args, "flags", 0));
            store.append(e);
            if (!store.task(tid))
                store.setTask({tid, ev.value("pid", tid), ""});
        }
        if (doc.is_object() && doc.contains("otherData"))
            store.addDropped(doc["otherData"].value("dropped", uint64_t{0}));
    } catch (const std::exception& e) {
        throw base::Error(std::string("bad Chrome trace event: ") + e.what());
    }
    return store;
}

std::string toCsv(const EventStore& store) {
    std::string out = "ts_ns,cpu,tid,tgid,comm,kind,instance,events,arg,flags,seq\n";
    char buf[256];
    for (const Event& e : store.all()) {
        const TaskInfo* t = store.task(e.pid);
        std::string comm = t ? t->comm : "";
        for (char& c : comm)
            if (c == ',' || c == '"' || c == '\n')
                c = '_';
        std::snprintf(buf, sizeof buf, "%" PRIu64 ",%u,%d,%d,%s,%s,%u,0x%x,0x%x,%u,%u\n", e.tsNs,
                      e.cpu, e.pid, tgidOf(store, e.pid), comm.c_str(),
                      std::string(kindName(e.kind)).c_str(), e.instance, e.events, e.arg, e.flags,
                      e.seq);
        out += buf;
    }
    return out;
}

} // namespace waitscope::timeline
