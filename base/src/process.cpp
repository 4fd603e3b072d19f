#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <thread>

#include <waitscope/base/error.hpp>
#include <waitscope/base/process.hpp>

namespace waitscope::base {

namespace {

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void childExec(const std::vector<std::string>& argv, const SpawnOptions& o,
                            pid_t parent) {
    if (o.newSession)
        ::setsid();
    if (o.dieWithParent) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(127);
    }
    auto redirect = [](const std::string& path, int target, int flags) {
        if (path.empty())
            return;
        int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
        if (fd < 0 || ::dup2(fd, target) < 0)
            ::_exit(127);
    };
    redirect(o.stdinPath, STDIN_FILENO, O_RDONLY);
    redirect(o.stdoutPath, STDOUT_FILENO, O_WRONLY | O_CREAT | O_APPEND);
    redirect(o.stderrPath, STDERR_FILENO, O_WRONLY | O_CREAT | O_APPEND);
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
}

} // namespace

pid_t spawnProcess(const std::vector<std::string>& argv, const SpawnOptions& options) {
    if (argv.empty())
        throw Error("spawnProcess: empty argv");
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0)
        throw systemError("fork");
    if (pid == 0)
        childExec(argv, options, parent);
    return pid;
}

std::optional<int> waitProcess(pid_t pid, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return std::nullopt;
        if (std::chrono::steady_clock::now() >= deadline)
            return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool processAlive(pid_t pid) {
    if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM))
        return false;
    // A zombie has exited; it only waits for its parent to reap it.
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto paren = line.rfind(')');
    return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z';
}

int exitCodeOf(int waitStatus) {
    if (WIFEXITED(waitStatus))
        return WEXITSTATUS(waitStatus);
    if (WIFSIGNALED(waitStatus))
        return 128 + WTERMSIG(waitStatus);
    return 1;
}

} // namespace waitscope::base
