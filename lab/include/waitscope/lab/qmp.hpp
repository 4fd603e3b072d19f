// A minimal QEMU Machine Protocol client over a unix socket: capabilities
// negotiation, synchronous commands, and the asynchronous events seen on the way.
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <waitscope/base/fd.hpp>

namespace waitscope::lab {

class QmpClient {
public:
    /// Connect (retrying until `timeout` while QEMU creates the socket) and
    /// negotiate capabilities. Throws base::Error.
    static QmpClient connect(const std::filesystem::path& socket,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));

    /// Run `command` and return its "return" value; throws base::Error with
    /// QEMU's description on an error reply or on timeout.
    nlohmann::json execute(const std::string& command,
                           const nlohmann::json& arguments = nlohmann::json::object(),
                           std::chrono::milliseconds timeout = std::chrono::seconds(60));

    /// Read any events already waiting on the socket, without blocking.
    void pollEvents();
    /// Events received so far ({"event": ..., "data": ...}), oldest first; clears them.
    std::vector<nlohmann::json> takeEvents();

    int fd() const { return m_fd.get(); }

private:
    explicit QmpClient(base::Fd fd) : m_fd(std::move(fd)) {}
    /// Next non-event message, or throws on timeout / EOF.
    nlohmann::json readReply(std::chrono::steady_clock::time_point deadline);
    bool readLine(std::string& line, std::chrono::steady_clock::time_point deadline);

    base::Fd m_fd;
    std::string m_buffer;
    std::vector<nlohmann::json> m_events;
};

} // namespace waitscope::lab
