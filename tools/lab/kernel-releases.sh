#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Print the lab kernel releases, one per line: the newest Debian cloud kernel of
# each series (6.1 first: the default lab kernel, then 6.12) whose -dbg package
# is in the apt archive. Versions move (Debian bumps the ABI), so never hard-code.
#
# Override with WAITSCOPE_LAB_KERNELS="6.1.0-56-cloud-amd64 6.12.117+deb12-cloud-amd64".
set -euo pipefail

if [ -n "${WAITSCOPE_LAB_KERNELS:-}" ]; then
	tr ' ' '\n' <<<"$WAITSCOPE_LAB_KERNELS"
	exit 0
fi

search() {
	apt-cache search --names-only "^linux-image-$1\\..*-cloud-amd64-dbg\$" 2>/dev/null |
		awk '{print $1}' | sed -e 's/^linux-image-//' -e 's/-dbg$//' | sort -V | tail -n 1
}

if [ -z "$(search 6.1)" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	$SUDO apt-get update -qq >&2
fi
for series in 6.1 6.12; do
	rel=$(search "$series")
	if [ -z "$rel" ]; then
		echo "kernel-releases: no linux-image-$series.*-cloud-amd64-dbg in apt" >&2
		exit 1
	fi
	echo "$rel"
done
