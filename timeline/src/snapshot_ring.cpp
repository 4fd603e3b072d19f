// vpoll_ring records of a snapshot -> events.
#include <nlohmann/json.hpp>

#include <waitscope/base/error.hpp>
#include <waitscope/timeline/snapshot_ring.hpp>

using nlohmann::json;

namespace waitscope::timeline {

bool looksLikeSnapshot(std::string_view bytes) {
    if (bytes.size() >= 3 && static_cast<uint8_t>(bytes[0]) == 0xd9 &&
        static_cast<uint8_t>(bytes[1]) == 0xd9 && static_cast<uint8_t>(bytes[2]) == 0xf7)
        return true;
    std::string_view head = bytes.substr(0, 4096);
    return head.find("\"waitscope.snapshot/") != std::string_view::npos;
}

namespace {

template <typename T>
T number(const json& j, const char* key, uint64_t max) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return T{};
    if (!it->is_number_integer())
        throw base::Error(std::string("vpoll_ring record: '") + key + "' is not an integer");
    if (it->is_number_unsigned()) {
        uint64_t v = it->get<uint64_t>();
        if (v > max)
            throw base::Error(std::string("vpoll_ring record: '") + key + "' out of range");
        return static_cast<T>(v);
    }
    int64_t v = it->get<int64_t>();
    if (v < 0 && !std::is_signed_v<T>)
        throw base::Error(std::string("vpoll_ring record: '") + key + "' is negative");
    return static_cast<T>(v);
}

EventStore readRing(std::string_view bytes, SnapshotRingInfo* info) {
    if (!looksLikeSnapshot(bytes))
        throw base::Error("not a waitscope snapshot");
    json doc;
    try {
        if (static_cast<uint8_t>(bytes[0]) == 0xd9)
            doc = json::from_cbor(bytes.begin(), bytes.end(), true, true,
                                  json::cbor_tag_handler_t::ignore);
        else
            doc = json::parse(bytes);
    } catch (const json::exception& e) {
        throw base::Error(std::string("snapshot does not parse: ") + e.what());
    }
    if (!doc.is_object() || !doc.contains("objects") || !doc["objects"].is_array())
        throw base::Error("snapshot has no objects list");
    const json* ring = nullptr;
    for (const json& o : doc["objects"])
        if (o.is_object() && o.value("type", "") == "vpoll_ring") {
            ring = &o;
            break;
        }
    if (!ring) {
        std::string why = "the snapshot has no vpoll_ring object";
        if (auto c = doc.find("capabilities"); c != doc.end() && c->is_object())
            if (auto v = c->find("vpoll_ring"); v != c->end() && v->is_object())
                why += " (capability " + v->value("status", std::string("?")) + ": " +
                       v->value("reason", std::string("no reason given")) + ")";
        throw base::Error(why);
    }
    EventStore store;
    SnapshotRingInfo meta;
    meta.head = number<uint64_t>(*ring, "head", UINT64_MAX);
    meta.capacity = number<uint32_t>(*ring, "capacity", UINT32_MAX);
    meta.dropped = number<uint64_t>(*ring, "dropped", UINT64_MAX);
    if (auto k = doc.find("kernel"); k != doc.end() && k->is_object()) {
        meta.captureNs = number<uint64_t>(*k, "uptime_ns", UINT64_MAX);
        meta.kernel = k->value("release", std::string());
    }
    if (auto c = doc.find("capture"); c != doc.end() && c->is_object())
        meta.source = c->value("source", std::string());
    uint64_t records = 0;
    if (auto recs = ring->find("records"); recs != ring->end() && recs->is_array()) {
        for (const json& r : *recs) {
            if (!r.is_object())
                throw base::Error("vpoll_ring record is not an object");
            RingRecord rec;
            rec.seq = number<uint64_t>(r, "seq", UINT64_MAX);
            rec.tsNs = number<uint64_t>(r, "ts_ns", UINT64_MAX);
            rec.instance = number<uint32_t>(r, "instance", UINT32_MAX);
            rec.kind = ringRecordKind(r.value("kind", std::string()));
            rec.cpu = number<uint16_t>(r, "cpu", EventStore::MaxCpu);
            rec.pid = number<int32_t>(r, "pid", INT32_MAX);
            rec.tgid = number<int32_t>(r, "tgid", INT32_MAX);
            rec.arg = number<uint32_t>(r, "arg", UINT32_MAX);
            rec.events = number<uint32_t>(r, "events", UINT32_MAX);
            rec.waiters = number<uint16_t>(r, "waiters", UINT16_MAX);
            rec.exclusive = number<uint16_t>(r, "exclusive", UINT16_MAX);
            rec.flags = number<uint32_t>(r, "flags", UINT32_MAX);
            std::string comm = r.value("comm", std::string());
            rec.comm = comm;
            appendRingRecord(store, rec);
            ++records;
        }
    }
    meta.records = records;
    if (info)
        *info = std::move(meta);
    return store;
}

} // namespace

EventStore loadSnapshotRing(std::string_view bytes, SnapshotRingInfo* info) {
    try {
        return readRing(bytes, info);
    } catch (const json::exception& e) {
        throw base::Error(std::string("snapshot's vpoll_ring: ") + e.what());
    }
}

} // namespace waitscope::timeline
