// migrate(): the one place that knows about schema versions (Tracy keeps its version
// branches all over the loader; we keep them here).
#include <array>

#include <waitscope/model/snapshot_io.hpp>

namespace waitscope::model {

namespace {

/// One step: rewrites a document of major `from` into major `from + 1`.
struct MigrationStep {
    int from;
    Result<bool> (*apply)(std::shared_ptr<const Record>& meta, std::vector<ObjectPtr>& objects);
};

/// Steps by ascending `from`. Schema 1 is the first published version, so there are none;
/// a future schema 2 adds {1, migrate1to2} here and bumps CurrentSchemaMajor.
constexpr std::array<MigrationStep, 0> Steps{};

/// The oldest major the steps can bring to the current one.
constexpr int oldestReadable() {
    int oldest = CurrentSchemaMajor;
    for (int m = CurrentSchemaMajor - 1; m >= 0; --m) {
        bool found = false;
        for (const MigrationStep& s : Steps)
            found = found || (s.from == m && s.apply != nullptr);
        if (!found)
            break;
        oldest = m;
    }
    return oldest;
}

} // namespace

Result<SchemaVersion> migrate(SchemaVersion version, std::shared_ptr<const Record>& meta,
                              std::vector<ObjectPtr>& objects) {
    const std::string found = std::string(SchemaPrefix) + std::to_string(version.major) +
                              (version.minor ? "." + std::to_string(version.minor) : "");
    if (version.major > CurrentSchemaMajor)
        return Error{ErrorKind::NewerSchema,
                     "this snapshot uses schema " + found +
                         ", written by a newer waitscope; this build reads up to " +
                         std::string(SchemaPrefix) + std::to_string(CurrentSchemaMajor) +
                         " (update waitscope to open it)"};
    if (version.major < oldestReadable())
        return Error{ErrorKind::UnsupportedSchema,
                     "schema " + found + " is older than any version this build can migrate (" +
                         std::string(SchemaPrefix) + std::to_string(oldestReadable()) + " to " +
                         std::to_string(CurrentSchemaMajor) + ")"};
    for (const MigrationStep& s : Steps) {
        if (s.apply == nullptr || s.from != version.major)
            continue;
        auto r = s.apply(meta, objects);
        if (!r)
            return r.error();
        version = {s.from + 1, 0};
    }
    // Minor versions are additive: unknown members and types are kept as they are.
    return version;
}

} // namespace waitscope::model
