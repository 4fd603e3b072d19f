// [SECTION] package paths
// [SECTION] the interpreter thread
// [SECTION] sessions
#include <pybind11/embed.h>
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <cstdlib>

#include <waitscope/base/files.hpp>
#include <waitscope/pyhost/python_host.hpp>

namespace fs = std::filesystem;
namespace py = pybind11;

namespace waitscope::pyhost {

namespace {

// [SECTION] package paths

bool hasPackage(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / "waitscope_introspect" / "__init__.py", ec);
}

/// A Python exception as a PythonError (IntrospectError keeps its message and status).
PythonError toError(py::error_already_set& e) {
    std::string type = e.type() ? py::str(e.type().attr("__name__")).cast<std::string>() : "Error";
    std::string msg = e.value() ? py::str(e.value()).cast<std::string>() : "";
    if (type == "IntrospectError") {
        int status = 2;
        try {
            status = e.value().attr("status").cast<int>();
        } catch (const py::error_already_set&) {
        }
        return PythonError(msg, status);
    }
    if (type == "Cancelled" || type == "KeyboardInterrupt")
        return PythonError("cancelled", 130);
    return PythonError("internal error: " + type + ": " + msg, 70);
}

} // namespace

std::vector<fs::path> defaultPythonPaths() {
    std::vector<fs::path> out;
    if (const char* env = std::getenv("WAITSCOPE_PYTHONPATH")) {
        std::string s(env);
        size_t start = 0;
        while (start <= s.size()) {
            size_t end = s.find(':', start);
            if (end == std::string::npos)
                end = s.size();
            if (end > start)
                out.emplace_back(s.substr(start, end - start));
            start = end + 1;
        }
    }
    fs::path staged = base::executableDir() / ".." / "share" / "waitscope" / "python";
    if (hasPackage(staged))
        out.push_back(fs::weakly_canonical(staged));
#ifdef WAITSCOPE_SOURCE_DIR
    fs::path src = fs::path(WAITSCOPE_SOURCE_DIR) / "introspect";
    if (hasPackage(src))
        out.push_back(src);
#endif
    return out;
}

// [SECTION] the interpreter thread

PythonHost::PythonHost(std::vector<fs::path> paths) {
    std::promise<void> ready;
    auto fut = ready.get_future();
    m_thread = std::thread(&PythonHost::run, this, std::move(paths), std::move(ready));
    try {
        fut.get();
    } catch (...) {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        m_thread.join();
        throw;
    }
}

PythonHost::~PythonHost() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void PythonHost::enqueue(std::function<void()> job) {
    {
        std::lock_guard lock(m_mutex);
        if (m_stop)
            throw base::Error("the Python host is shutting down");
        m_jobs.push_back(std::move(job));
    }
    m_cv.notify_one();
}

void PythonHost::cancel() {
    m_cancel = true;
    if (!m_busy)
        return;
    // Raise KeyboardInterrupt in the interpreter thread at its next bytecode
    // boundary. This takes the GIL for a moment: the interpreter thread gives
    // it up within its switch interval (5 ms) while running Python, and does
    // not hold it while idle; it may wait while a long C call (a drgn read)
    // finishes. Progress callbacks also stop the job (m_cancel).
    PyGILState_STATE g = PyGILState_Ensure();
    if (m_busy)
        PyThreadState_SetAsyncExc(m_threadIdent, PyExc_KeyboardInterrupt);
    PyGILState_Release(g);
}

void PythonHost::run(std::vector<fs::path> paths, std::promise<void> ready) {
    std::optional<py::scoped_interpreter> interp;
    try {
        // Debian's interpreter, whatever `python3` comes first on PATH (a
        // pyenv shim would point getpath at another stdlib without drgn) and
        // whatever PYTHON* variables say: the package path is ours to set.
        PyConfig config;
        PyConfig_InitIsolatedConfig(&config);
        config.isolated = 0;
        config.use_environment = 0;
        config.install_signal_handlers = 0; // the host process owns signals
        PyStatus st = PyConfig_SetString(&config, &config.program_name, L"/usr/bin/python3");
        if (PyStatus_Exception(st)) {
            PyConfig_Clear(&config);
            throw base::Error("cannot configure the Python interpreter");
        }
        interp.emplace(&config, 0, nullptr, false); // no cwd on sys.path
        py::module_ sys = py::module_::import("sys");
        py::list path = sys.attr("path");
        for (auto it = paths.rbegin(); it != paths.rend(); ++it)
            path.insert(0, it->string());
        sys.attr("argv") = py::make_tuple("waitscope");
        py::module_ pkg = py::module_::import("waitscope_introspect");
        m_packageDir = fs::path(pkg.attr("__file__").cast<std::string>()).parent_path();
        m_threadIdent = PyThread_get_thread_ident();
        ready.set_value();
    } catch (py::error_already_set& e) {
        std::string msg = e.what();
        ready.set_exception(std::make_exception_ptr(base::Error(
            "cannot start the introspection interpreter (/usr/bin/python3 with python3-drgn and "
            "python3-numpy, see tools/install-deps.sh): " +
            msg.substr(0, msg.find('\n')))));
        return;
    } catch (...) {
        ready.set_exception(std::current_exception());
        return;
    }
    {
        // Idle without the GIL (cancel() needs it briefly); hold it per job.
        py::gil_scoped_release idle;
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock lock(m_mutex);
                m_cv.wait(lock, [&] { return m_stop || !m_jobs.empty(); });
                if (m_jobs.empty())
                    break;
                job = std::move(m_jobs.front());
                m_jobs.pop_front();
            }
            py::gil_scoped_acquire gil;
            m_cancel = false;
            m_busy = true;
            job(); // packaged_task: exceptions go to its future
            m_busy = false;
            // An interrupt that arrived as the job finished must not hit the next one.
            PyThreadState_SetAsyncExc(m_threadIdent, nullptr);
            if (PyErr_Occurred())
                PyErr_Clear();
        }
    }
}

int PythonHost::runCli(const std::vector<std::string>& argv) {
    return submit([argv]() -> int {
               try {
                   py::module_ cli = py::module_::import("waitscope_introspect.cli");
                   int status = cli.attr("main")(argv).cast<int>();
                   py::module_::import("sys").attr("stdout").attr("flush")();
                   return status;
               } catch (py::error_already_set& e) {
                   throw toError(e);
               }
           })
        .get();
}

// [SECTION] sessions

struct IntrospectSession::Impl {
    py::object session;
    py::object capture;
};

IntrospectSession::IntrospectSession(PythonHost& host, std::unique_ptr<Impl> impl)
    : m_host(host), m_impl(std::move(impl)) {}

IntrospectSession::~IntrospectSession() {
    // Python objects die on the interpreter thread, with the GIL.
    auto impl = std::shared_ptr<Impl>(std::move(m_impl));
    try {
        m_host
            .submit([impl] {
                impl->capture = py::object();
                if (impl->session) {
                    try {
                        impl->session.attr("close")();
                    } catch (py::error_already_set&) {
                    }
                }
                impl->session = py::object();
            })
            .get();
    } catch (...) {
        // The host is gone: the interpreter (and these objects) went with it.
    }
}

std::unique_ptr<IntrospectSession> IntrospectSession::open(PythonHost& host,
                                                           const std::vector<std::string>& argv,
                                                           ProgressFn progress) {
    PythonHost* h = &host;
    auto impl = host.submit([argv, progress, h]() -> std::unique_ptr<Impl> {
                        try {
                            py::module_ cli = py::module_::import("waitscope_introspect.cli");
                            py::module_ sess = py::module_::import("waitscope_introspect.session");
                            py::object args = cli.attr("build_parser")().attr("parse_args")(argv);
                            py::module_::import("waitscope_introspect.kernel")
                                .attr("_LAB_DIRS")
                                .attr("extend")(args.attr("lab_dir").is_none()
                                                    ? py::list()
                                                    : py::list(args.attr("lab_dir")));
                            py::object options = cli.attr("options_from_args")(args);
                            py::cpp_function cb([progress, h](std::string stage, double frac) {
                                if (h->cancelled())
                                    return false;
                                return progress ? progress(stage, frac) : true;
                            });
                            auto out = std::make_unique<Impl>();
                            out->session = sess.attr("Session")(options, cb);
                            return out;
                        } catch (py::error_already_set& e) {
                            throw toError(e);
                        }
                    })
                    .get();
    return std::unique_ptr<IntrospectSession>(new IntrospectSession(host, std::move(impl)));
}

CaptureStats IntrospectSession::capture(const std::optional<std::string>& mark,
                                        const std::optional<std::vector<int>>& pids) {
    Impl* impl = m_impl.get();
    return m_host
        .submit([impl, mark, pids]() -> CaptureStats {
            try {
                py::object m = mark ? py::object(py::str(*mark)) : py::object(py::none());
                py::object p = pids ? py::object(py::cast(*pids)) : py::object(py::none());
                impl->capture =
                    impl->session.attr("capture")(py::arg("pids") = p, py::arg("mark") = m);
                py::dict cap = impl->capture.attr("meta")["capture"];
                CaptureStats st;
                st.readMs = cap["read_ms"].cast<double>();
                st.loadMs = cap["load_ms"].cast<double>();
                return st;
            } catch (py::error_already_set& e) {
                throw toError(e);
            }
        })
        .get();
}

namespace {
py::object pidsArg(const std::optional<std::vector<int>>& pids) {
    return pids ? py::object(py::cast(*pids)) : py::object(py::none());
}

CaptureStats statsOf(const py::object& capture) {
    py::dict cap = capture.attr("meta")["capture"];
    CaptureStats st;
    st.readMs = cap["read_ms"].cast<double>();
    st.loadMs = cap["load_ms"].cast<double>();
    return st;
}
} // namespace

double IntrospectSession::rehearse(const std::optional<std::vector<int>>& pids) {
    Impl* impl = m_impl.get();
    return m_host
        .submit([impl, pids]() -> double {
            try {
                return impl->session.attr("rehearse")(pidsArg(pids)).cast<double>();
            } catch (py::error_already_set& e) {
                throw toError(e);
            }
        })
        .get();
}

double IntrospectSession::freeze() {
    Impl* impl = m_impl.get();
    return m_host
        .submit([impl]() -> double {
            try {
                py::dict r = impl->session.attr("freeze")();
                return r["bytes"].cast<double>();
            } catch (py::error_already_set& e) {
                throw toError(e);
            }
        })
        .get();
}

std::optional<CaptureStats>
IntrospectSession::captureFrozen(const std::optional<std::string>& mark,
                                 const std::optional<std::vector<int>>& pids) {
    Impl* impl = m_impl.get();
    return m_host
        .submit([impl, mark, pids]() -> std::optional<CaptureStats> {
            try {
                py::object m = mark ? py::object(py::str(*mark)) : py::object(py::none());
                py::object cap = impl->session.attr("capture")(
                    py::arg("pids") = pidsArg(pids), py::arg("mark") = m, py::arg("frozen") = true);
                if (cap.is_none())
                    return std::nullopt;
                impl->capture = cap;
                return statsOf(cap);
            } catch (py::error_already_set& e) {
                throw toError(e);
            }
        })
        .get();
}

double IntrospectSession::baselineWalk(const std::vector<int>& pids) {
    Impl* impl = m_impl.get();
    return m_host
        .submit([impl, pids]() -> double {
            try {
                return impl->session.attr("baseline_walk")(pids).cast<double>();
            } catch (py::error_already_set& e) {
                throw toError(e);
            }
        })
        .get();
}

std::string IntrospectSession::render(const std::string& format, const std::string& extra) {
    Impl* impl = m_impl.get();
    return m_host
        .submit([impl, format, extra]() -> std::string {
            try {
                if (!impl->capture)
                    throw PythonError("render: nothing captured yet", 70);
                py::object json = py::module_::import("json");
                py::object ex = json.attr("loads")(extra);
                py::object out =
                    impl->session.attr("render")(impl->capture, format, py::arg("extra") = ex);
                // bytes, or a numpy byte array from the C++ encoder (no copy until here)
                py::buffer_info bi = py::buffer(out).request();
                return std::string(static_cast<const char*>(bi.ptr),
                                   static_cast<size_t>(bi.size * bi.itemsize));
            } catch (py::error_already_set& e) {
                throw toError(e);
            }
        })
        .get();
}

std::string IntrospectSession::decodeStop(const std::string& stopJson) {
    Impl* impl = m_impl.get();
    return m_host
        .submit([impl, stopJson]() -> std::string {
            try {
                py::object json = py::module_::import("json");
                py::object decoded =
                    impl->session.attr("decode_stop")(json.attr("loads")(stopJson));
                return json.attr("dumps")(decoded).cast<std::string>();
            } catch (py::error_already_set& e) {
                throw toError(e);
            }
        })
        .get();
}

std::string IntrospectSession::console(const std::string& code) {
    Impl* impl = m_impl.get();
    return m_host
        .submit([impl, code]() -> std::string {
            try {
                return impl->session.attr("console")(code).cast<std::string>();
            } catch (py::error_already_set& e) {
                throw toError(e);
            }
        })
        .get();
}

} // namespace waitscope::pyhost
