// The lab's initramfs: busybox, the guest init, the in-tree modules the lab
// needs (lib/modules/order: qemu_fw_cfg, pvpanic), our modules,
// the lab programs under /lab/bin, and per boot /lab/config and /lab/run.sh.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <waitscope/lab/install.hpp>

namespace waitscope::lab {

struct InitramfsSpec {
    LabKernel kernel;
    std::filesystem::path busybox = "/bin/busybox"; ///< busybox-static
    std::vector<std::filesystem::path> programs;    ///< copied to /lab/bin/
    std::string config;                             ///< /lab/config (sourced by init)
    std::optional<std::filesystem::path> run;       ///< program run at boot
    std::vector<std::string> runArgs;
};

/// The complete newc archive; throws base::Error when a part is missing.
std::string buildInitramfs(const InitramfsSpec& spec);

/// The guest init script (lab/guest/init.sh, embedded at build time).
extern const char* const GuestInitScript;

} // namespace waitscope::lab
