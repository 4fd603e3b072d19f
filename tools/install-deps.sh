#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install everything waitscope needs on Debian 12, from Debian's apt only.
# Idempotent: a second run installs nothing and takes about a second.
#
#   tools/install-deps.sh [--no-lab]
#
# System packages go through apt-get. The lab kernels (image + -dbg vmlinux) are
# not installed system-wide; tools/lab/fetch-kernels.sh downloads their .debs with
# apt-get download into the build tree and extracts only what the lab needs.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
lab=1
[ "${1:-}" = "--no-lab" ] && lab=0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

pkgs=(
	# build
	build-essential cmake ninja-build pkg-config git ccache
	# libraries (all from Debian; third_party/ only holds CMake glue)
	libimgui-dev libglfw3-dev libgl-dev libstb-dev zlib1g-dev
	python3-drgn libpython3.11-dev pybind11-dev libelf-dev
	nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
	# lab VM
	qemu-system-x86 busybox-static cpio xz-utils zstd
	# headless GUI tests; the app's fonts; .deb packaging (dpkg-shlibdeps)
	xvfb xauth libgl1-mesa-dri fonts-dejavu-core dpkg-dev
	# layout comparison
	graphviz
	# formatting and linting
	clang-format black sparse perl python3-pytest
	# introspection (drgn walkers): bulk reads, schema checks, CBOR checks
	python3-numpy python3-jsonschema python3-cbor2
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done

kpkgs=()
if [ "$lab" = 1 ]; then
	# Kernel headers for each lab kernel series (module builds need them).
	while read -r rel; do
		p="linux-headers-$rel"
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || kpkgs+=("$p")
	done < <("$here/lab/kernel-releases.sh")
fi

if [ ${#missing[@]} -gt 0 ] || [ ${#kpkgs[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" "${kpkgs[@]}"
fi
echo "install-deps: ok (${#missing[@]} packages and ${#kpkgs[@]} kernel header packages installed)"
