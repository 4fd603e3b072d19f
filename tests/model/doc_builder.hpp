// Test helper: small snapshot documents written out field by field in the tests, for unit
// tests of the model's logic (the golden fixtures captured from the lab VM live in
// tests/fixtures/snapshots/ and are used by fixture_test.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include <waitscope/model/ids.hpp>
#include <waitscope/model/snapshot_io.hpp>

namespace waitscope::model::test {

using nlohmann::json;

/// An object with id/type/addr set.
inline json obj(const std::string& type, std::uint64_t addr) {
    std::string a = hexString(addr);
    return json{{"id", type + ":" + a}, {"type", type}, {"addr", a}};
}

inline std::string idOf(const std::string& type, std::uint64_t addr) {
    return type + ":" + hexString(addr);
}

/// A document with the given objects (sorted by id like the walkers write them).
inline json doc(std::vector<json> objects, const std::string& schema = "waitscope.snapshot/1") {
    std::sort(objects.begin(), objects.end(), [](const json& a, const json& b) {
        return a["id"].get<std::string>() < b["id"].get<std::string>();
    });
    return json{{"schema", schema},
                {"kernel", {{"release", "test"}, {"build_id", nullptr}}},
                {"capture", {{"source", "vmcore"}}},
                {"objects", objects}};
}

inline SnapshotPtr load(const json& j) {
    auto r = loadSnapshot(j.dump());
    if (!r)
        throw std::runtime_error(r.error().message);
    return r.value();
}

} // namespace waitscope::model::test
