// Small file-system helpers used by the CLI, the lab and the model.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace waitscope::base {

/// Whole file as bytes; throws Error.
std::string readFile(const std::filesystem::path& path);

/// Write bytes, replacing the file atomically (temp file + rename); throws Error.
void writeFileAtomic(const std::filesystem::path& path, std::string_view data);

/// Directory of the running executable (/proc/self/exe).
std::filesystem::path executableDir();

/// A new private directory `<parent>/<prefix>XXXXXX`; throws Error.
std::filesystem::path makeTempDir(const std::filesystem::path& parent, const std::string& prefix);

/// Quote for /bin/sh: 'it'\''s'.
std::string shellQuote(std::string_view s);

} // namespace waitscope::base
