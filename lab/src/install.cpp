#include <algorithm>
#include <cstdlib>
#include <fstream>

#include <waitscope/base/error.hpp>
#include <waitscope/base/files.hpp>
#include <waitscope/lab/install.hpp>

namespace fs = std::filesystem;
using waitscope::base::Error;

namespace waitscope::lab {

namespace {
constexpr const char* DefaultSeries = "6.1";

bool matchesSpec(const std::string& release, const std::string& spec) {
    if (release == spec)
        return true;
    return release.size() > spec.size() && release.compare(0, spec.size(), spec) == 0 &&
           (release[spec.size()] == '.' || release[spec.size()] == '-');
}
} // namespace

LabInstall LabInstall::find() {
    LabInstall lab;
    if (const char* env = std::getenv("WAITSCOPE_LAB_DIR"); env && *env)
        lab.m_root = env;
    else
        lab.m_root = base::executableDir().parent_path() / "lab";
    if (!fs::is_directory(lab.m_root / "kernels"))
        throw Error("no lab kernels in " + lab.m_root.string() +
                    " (run tools/lab/fetch-kernels.sh BUILD_DIR, or set WAITSCOPE_LAB_DIR)");
    return lab;
}

std::vector<std::string> LabInstall::releases() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(m_root / "kernels"))
        if (fs::exists(e.path() / ".complete"))
            out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

LabKernel LabInstall::kernel(const std::string& spec) const {
    const std::string want = spec.empty() ? DefaultSeries : spec;
    auto all = releases();
    auto it = std::find_if(all.begin(), all.end(),
                           [&](const std::string& r) { return matchesSpec(r, want); });
    if (it == all.end()) {
        std::string names;
        for (const auto& r : all)
            names += (names.empty() ? "" : ", ") + r;
        throw Error("no lab kernel matches '" + want +
                    "' (have: " + (names.empty() ? "none" : names) + ")");
    }
    LabKernel k;
    k.release = *it;
    fs::path dir = m_root / "kernels" / k.release;
    k.vmlinuz = dir / "vmlinuz";
    k.vmlinux = dir / "vmlinux";
    k.kmodDir = m_root / "kmod" / k.release;
    std::ifstream order(dir / "modules" / "order");
    for (std::string name; std::getline(order, name);)
        if (!name.empty())
            k.inTreeModules.push_back(dir / "modules" / name);
    std::ifstream diskOrder(dir / "modules" / "disk" / "order");
    for (std::string name; std::getline(diskOrder, name);)
        if (!name.empty())
            k.diskModules.push_back(dir / "modules" / "disk" / name);
    std::vector<fs::path> need = {k.vmlinuz, k.vpollKo(), k.simruptKo(), dir / "modules" / "order"};
    need.insert(need.end(), k.inTreeModules.begin(), k.inTreeModules.end());
    for (const auto& p : need)
        if (!fs::exists(p))
            throw Error("lab kernel " + k.release + " is incomplete: no " + p.string() +
                        " (build the 'kmod' target and run tools/lab/fetch-kernels.sh)");
    return k;
}

fs::path LabInstall::program(const std::string& nameOrPath) const {
    fs::path p(nameOrPath);
    if (nameOrPath.find('/') == std::string::npos && fs::exists(m_root / "programs" / p))
        return m_root / "programs" / p;
    if (fs::is_regular_file(p))
        return fs::absolute(p);
    throw Error("no program '" + nameOrPath + "' (neither a file nor one of " +
                (m_root / "programs").string() + ")");
}

std::vector<fs::path> LabInstall::programs() const {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(m_root / "programs", ec))
        if (e.is_regular_file())
            out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace waitscope::lab
