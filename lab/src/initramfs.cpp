#include <waitscope/base/files.hpp>
#include <waitscope/lab/cpio.hpp>
#include <waitscope/lab/initramfs.hpp>

namespace fs = std::filesystem;

namespace waitscope::lab {

std::string buildInitramfs(const InitramfsSpec& spec) {
    CpioWriter cpio;
    for (const char* dir : {"bin", "sbin", "dev", "proc", "sys", "tmp", "run", "lib", "lib/modules",
                            "lib/modules/disk", "lab", "lab/bin", "disk"})
        cpio.addDirectory(dir);
    cpio.addFile("bin/busybox", base::readFile(spec.busybox), 0755);
    cpio.addSymlink("bin/sh", "busybox");
    cpio.addFile("init", GuestInitScript, 0755);
    std::string order;
    for (const auto& ko : spec.kernel.inTreeModules) {
        cpio.addFile("lib/modules/" + ko.filename().string(), base::readFile(ko));
        order += ko.filename().string() + "\n";
    }
    cpio.addFile("lib/modules/order", order);
    std::string diskOrder;
    for (const auto& ko : spec.kernel.diskModules) {
        cpio.addFile("lib/modules/disk/" + ko.filename().string(), base::readFile(ko));
        diskOrder += ko.filename().string() + "\n";
    }
    cpio.addFile("lib/modules/disk/order", diskOrder);
    cpio.addFile("lib/modules/vpoll.ko", base::readFile(spec.kernel.vpollKo()));
    cpio.addFile("lib/modules/simrupt.ko", base::readFile(spec.kernel.simruptKo()));
    for (const auto& p : spec.programs)
        cpio.addFile("lab/bin/" + p.filename().string(), base::readFile(p), 0755);
    cpio.addFile("lab/config", spec.config);
    if (spec.run) {
        std::string name = spec.run->filename().string();
        cpio.addFile("lab/bin/" + name, base::readFile(*spec.run), 0755);
        std::string script = "#!/bin/sh\nexec " + base::shellQuote("/lab/bin/" + name);
        for (const auto& a : spec.runArgs)
            script += " " + base::shellQuote(a);
        cpio.addFile("lab/run.sh", script + "\n", 0755);
    }
    return cpio.finish();
}

} // namespace waitscope::lab
