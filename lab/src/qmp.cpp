#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <waitscope/base/error.hpp>
#include <waitscope/base/socket.hpp>
#include <waitscope/lab/qmp.hpp>

using nlohmann::json;
using waitscope::base::Error;
using Clock = std::chrono::steady_clock;

namespace waitscope::lab {

namespace {

int remainingMs(Clock::time_point deadline) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return ms.count() < 0 ? 0 : static_cast<int>(ms.count());
}
} // namespace

QmpClient QmpClient::connect(const std::filesystem::path& socket,
                             std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    base::Fd fd;
    while (!(fd = base::connectUnix(socket))) {
        if (Clock::now() >= deadline)
            throw Error("cannot connect to QMP socket " + socket.string());
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    QmpClient client(std::move(fd));
    std::string line;
    if (!client.readLine(line, deadline) || json::parse(line, nullptr, false).is_discarded())
        throw Error("no QMP greeting on " + socket.string());
    client.execute("qmp_capabilities");
    return client;
}

bool QmpClient::readLine(std::string& line, Clock::time_point deadline) {
    for (;;) {
        if (auto nl = m_buffer.find('\n'); nl != std::string::npos) {
            line = m_buffer.substr(0, nl);
            m_buffer.erase(0, nl + 1);
            return true;
        }
        pollfd p{m_fd.get(), POLLIN, 0};
        int r = ::poll(&p, 1, remainingMs(deadline));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return false;
        char buf[4096];
        ssize_t n = ::read(m_fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw Error("QMP connection closed");
        m_buffer.append(buf, static_cast<size_t>(n));
    }
}

json QmpClient::readReply(Clock::time_point deadline) {
    std::string line;
    while (readLine(line, deadline)) {
        json msg = json::parse(line, nullptr, false);
        if (msg.is_discarded())
            throw Error("malformed QMP message: " + line);
        if (msg.contains("event"))
            m_events.push_back(std::move(msg));
        else
            return msg;
    }
    throw Error("QMP reply timed out");
}

json QmpClient::execute(const std::string& command, const json& arguments,
                        std::chrono::milliseconds timeout) {
    json request = {{"execute", command}};
    if (!arguments.empty())
        request["arguments"] = arguments;
    std::string text = request.dump() + "\n";
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::send(m_fd.get(), text.data() + done, text.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            throw base::systemError("QMP send");
        done += static_cast<size_t>(n);
    }
    json reply = readReply(Clock::now() + timeout);
    if (reply.contains("error")) {
        const auto& e = reply["error"];
        throw Error("QMP " + command + ": " + e.value("desc", e.dump()));
    }
    return reply.value("return", json::object());
}

void QmpClient::pollEvents() {
    std::string line;
    while (readLine(line, Clock::now())) {
        json msg = json::parse(line, nullptr, false);
        if (!msg.is_discarded() && msg.contains("event"))
            m_events.push_back(std::move(msg));
    }
}

std::vector<json> QmpClient::takeEvents() {
    return std::exchange(m_events, {});
}

} // namespace waitscope::lab
