// The error type thrown at I/O boundaries (files, sockets, processes) and
// caught where a command or worker reports it as one line.
#pragma once

#include <stdexcept>
#include <string>

namespace waitscope::base {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Error with ": <strerror(errno)>" appended (reads errno at the call).
[[nodiscard]] Error systemError(const std::string& what);

} // namespace waitscope::base
