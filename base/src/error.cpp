#include <cerrno>
#include <cstring>

#include <waitscope/base/error.hpp>

namespace waitscope::base {

Error systemError(const std::string& what) {
    return Error(what + ": " + std::strerror(errno));
}

} // namespace waitscope::base
