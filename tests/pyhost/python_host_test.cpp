// The embedded interpreter host: jobs on its thread, errors as PythonError,
// cancellation from another thread, and a session's persistent console.
#include <gtest/gtest.h>
#include <pybind11/embed.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <waitscope/pyhost/python_host.hpp>

namespace fs = std::filesystem;
namespace py = pybind11;
using waitscope::pyhost::IntrospectSession;
using waitscope::pyhost::PythonError;
using waitscope::pyhost::PythonHost;

namespace {

PythonHost& host() {
    static PythonHost h;
    return h;
}

} // namespace

TEST(PythonHost, FindsThePackage) {
    EXPECT_TRUE(fs::exists(host().packageDir() / "__init__.py")) << host().packageDir();
}

TEST(PythonHost, RunsJobsInOrderOnOneThread) {
    auto a = host().submit([] { return std::this_thread::get_id(); });
    auto b = host().submit([] { return std::this_thread::get_id(); });
    auto id = a.get();
    EXPECT_EQ(id, b.get());
    EXPECT_NE(id, std::this_thread::get_id());
    auto v = host().submit([] { return py::eval("6 * 7").cast<int>(); });
    EXPECT_EQ(v.get(), 42);
}

TEST(PythonHost, CliErrorsAreStatuses) {
    // A missing file is a user error: one line on stderr, status 2.
    EXPECT_EQ(host().runCli({"--vmcore", "/nonexistent/vmcore"}), 2);
    EXPECT_EQ(host().runCli({"--bogus-option"}), 2);
}

TEST(PythonHost, CancelInterruptsARunningJob) {
    auto fut = host().submit([]() -> std::string {
        try {
            py::exec("while True:\n    pass\n");
            return "finished";
        } catch (py::error_already_set& e) {
            return py::str(e.type().attr("__name__")).cast<std::string>();
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    host().cancel();
    ASSERT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_EQ(fut.get(), "KeyboardInterrupt");
    // The next job is not affected.
    EXPECT_EQ(host().submit([] { return py::eval("1 + 1").cast<int>(); }).get(), 2);
}

TEST(PythonHost, SessionConsoleKeepsItsNamespace) {
    // A one-note core with the lab kernel's VMCOREINFO: enough for a Program
    // with debug info (memory reads fault, the console reports that).
    fs::path lab = fs::path(WAITSCOPE_BUILD_DIR) / "lab" / "kernels";
    fs::path kernel;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(lab, ec))
        if (e.path().filename().string().rfind("6.1.", 0) == 0)
            kernel = e.path();
    if (kernel.empty())
        GTEST_SKIP() << "no lab kernel (tools/lab/fetch-kernels.sh)";
    fs::path core = fs::temp_directory_path() / ("ws-pyhost-test-" + std::to_string(::getpid()));
    std::string release = kernel.filename().string();
    host()
        .submit([&] {
            py::dict g;
            g["path"] = core.string();
            g["rel"] = release;
            g["vml"] = (kernel / "vmlinux").string();
            py::exec(R"(
from waitscope_introspect.elf import core_with_note
from waitscope_introspect.corefile import elf_file_build_id
info = (f"OSRELEASE={rel}\nBUILD-ID={elf_file_build_id(vml)}\nPAGESIZE=4096\n"
        "SYMBOL(swapper_pg_dir)=ffffffff82a0a000\nKERNELOFFSET=0\nNUMBER(phys_base)=0\n").encode()
open(path, "wb").write(core_with_note(b"VMCOREINFO", 0, info))
)",
                     g);
        })
        .get();
    int progressCalls = 0;
    auto s = IntrospectSession::open(
        host(),
        {"--vmcore", core.string(), "--lab-dir", (fs::path(WAITSCOPE_BUILD_DIR) / "lab").string()},
        [&](const std::string&, double) {
            ++progressCalls;
            return true;
        });
    EXPECT_GT(progressCalls, 0);
    EXPECT_EQ(s->console("x = 40"), "");
    EXPECT_EQ(s->console("x + 2"), "42\n");
    EXPECT_NE(s->console("prog.flags").find("IS_LINUX_KERNEL"), std::string::npos);
    EXPECT_NE(s->console("1 / 0").find("ZeroDivisionError"), std::string::npos);
    // Cancelling through the progress callback is a PythonError with status 130.
    EXPECT_THROW(
        {
            try {
                IntrospectSession::open(host(), {"--vmcore", core.string()},
                                        [](const std::string&, double) { return false; });
            } catch (const PythonError& e) {
                EXPECT_EQ(e.status(), 130);
                throw;
            }
        },
        PythonError);
    s.reset();
    fs::remove(core);
}
