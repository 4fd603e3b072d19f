#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what waitscope needs, build it, and run every test: the README's
# second command, and what CI runs (.ci/run).
#
#   tools/test-all.sh [--no-lab]
#
#   1. tools/install-deps.sh              Debian packages (idempotent)
#   2. tools/lab/fetch-kernels.sh build   lab kernels + vmlinux, cached in build/cache
#   3. cmake --preset dev, warnings as errors; build
#   4. tools/check.sh                     clang-format, black, checkpatch, sparse
#   5. ctest: host tests, then the lab VM tests (one VM at a time)
#   6. cmake --preset asan; host tests again under ASan + UBSan
#
# --no-lab skips the kernels, the modules and the lab VM tests.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
lab=ON
[ "${1:-}" = "--no-lab" ] && lab=OFF
t0=$(date +%s)
stage() { printf '\n== %s (%ds)\n' "$1" $(($(date +%s) - t0)); }

stage "install"
if [ $lab = ON ]; then tools/install-deps.sh; else tools/install-deps.sh --no-lab; fi
if [ $lab = ON ]; then
	stage "lab kernels"
	tools/lab/fetch-kernels.sh build
fi

stage "build (dev, -Werror)"
cmake --preset dev -DWAITSCOPE_WERROR=ON -DWAITSCOPE_LAB=$lab >/dev/null
cmake --build --preset dev

stage "style"
if [ $lab = ON ]; then tools/check.sh build; else echo "(skipped with --no-lab: checkpatch comes with the lab kernels)"; fi

stage "host tests"
ctest --preset dev -L host -j "$(nproc)"

if [ $lab = ON ]; then
	stage "lab VM tests"
	# Each VM has two vCPUs: one at a time on a small machine.
	ctest --preset dev -L lab -j 1
fi

stage "host tests under ASan + UBSan"
cmake --preset asan -DWAITSCOPE_WERROR=ON >/dev/null
cmake --build --preset asan
ctest --preset asan -j "$(nproc)"

stage "all tests passed"
