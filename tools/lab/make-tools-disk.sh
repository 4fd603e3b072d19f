#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Make the lab's tools disk for one kernel: an ext4 image that `waitscope lab run
# --disk IMAGE --guest-dump` mounts at /disk in the guest, holding this build's
# waitscope with everything it loads (its libraries, the embedded Python's
# standard library, drgn, numpy, the introspect package), the kernel's vmlinux
# and our modules' debug info, so that `waitscope dump --kcore` runs inside the
# guest on the guest's own /proc/kcore.
#
#   tools/lab/make-tools-disk.sh BUILD_DIR KERNEL OUT.img
#
# KERNEL is a lab release or series (6.1, 6.12). Idempotent: OUT.img is made
# again only when one of its inputs is newer. The guest runs /ws/guest-dump PID
# (busybox sh, outside the chroot) before each mark.
set -euo pipefail
build=$(realpath "${1:?usage: make-tools-disk.sh BUILD_DIR KERNEL OUT.img}")
want=${2:?usage: make-tools-disk.sh BUILD_DIR KERNEL OUT.img}
img=$(realpath -m "${3:?usage: make-tools-disk.sh BUILD_DIR KERNEL OUT.img}")

rel=
for dir in "$build"/lab/kernels/*/; do
	r=$(basename "$dir")
	case $r in "$want" | "$want".*) [ -z "$rel" ] && rel=$r ;; esac
done
[ -n "$rel" ] || { echo "make-tools-disk: no lab kernel '$want' in $build/lab/kernels" >&2; exit 2; }
vmlinux=$build/lab/kernels/$rel/vmlinux
kmod=$build/lab/kmod/$rel
ws=$build/bin/waitscope
pydir=$build/share/waitscope/python
python_stdlib=/usr/lib/python3.11
dist=/usr/lib/python3/dist-packages
inputs=("$ws" "$vmlinux" "$kmod/vpoll/vpoll.ko" "$kmod/simrupt/simrupt.ko" "$0")
for f in "${inputs[@]}"; do
	[ -e "$f" ] || { echo "make-tools-disk: missing $f (build first)" >&2; exit 2; }
done
if [ -s "$img" ]; then
	stale=$(find "${inputs[@]}" "$pydir" -newer "$img" -print -quit)
	[ -z "$stale" ] && exit 0
fi

root=$(mktemp -d "$(dirname "$img")/tools-disk.XXXXXX")
trap 'rm -rf "$root"' EXIT
# A file at its own path in the image (symlinks followed: the image has no
# alternatives links).
put() {
	local f
	for f; do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
	done
}
# Every shared library these ELF files load, and the loader.
put_libs() {
	ldd "$@" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' |
		sort -u | while read -r lib; do put "$lib"; done
}

mkdir -p "$root"/{proc,sys,dev,tmp,etc} "$root/ws/bin" "$root/ws/share/waitscope" "$root/ws/kmod"
cp "$ws" "$root/ws/bin/waitscope"
cp -r "$pydir" "$root/ws/share/waitscope/python"
find "$root/ws/share/waitscope/python" -name __pycache__ -prune -exec rm -rf {} +
ln "$vmlinux" "$root/ws/vmlinux" 2>/dev/null || cp "$vmlinux" "$root/ws/vmlinux"
cp "$kmod/vpoll/vpoll.ko" "$kmod/simrupt/simrupt.ko" "$root/ws/kmod/"
mkdir -p "$root$python_stdlib" "$root$dist"
cp -r "$python_stdlib/." "$root$python_stdlib/"
cp -r "$dist/drgn" "$dist/numpy" "$dist"/_drgn*.so "$root$dist/"
put /etc/ld.so.cache
mapfile -t elves < <(find "$ws" "$pydir" "$python_stdlib/lib-dynload" "$dist"/_drgn*.so "$dist/numpy" \
	-name '*.so*' -o -name waitscope -type f)
put_libs "${elves[@]}"

cat >"$root/ws/guest-dump" <<EOF
#!/bin/sh
# In the lab guest, from ws_mark() (programs/common.c): this kernel through
# /proc/kcore, as process \$1 sees it, as a waitscope snapshot on stdout.
HOME=/tmp exec chroot /disk /ws/bin/waitscope dump --kcore --pid "\$1" --vmlinux /ws/vmlinux \\
	--module /ws/kmod/vpoll.ko --module /ws/kmod/simrupt.ko --format json
EOF
chmod 755 "$root/ws/guest-dump"
echo "$rel" >"$root/ws/release"

# ext4 from the directory (no mount, no root needed), 20% and 64 MiB spare.
kib=$(du -sk --apparent-size "$root" | cut -f1)
size=$((kib + kib / 5 + 65536))
rm -f "$img.tmp"
mke2fs -q -t ext4 -L wstools -m 0 -E root_owner=0:0 -d "$root" "$img.tmp" "${size}k" >/dev/null
mv "$img.tmp" "$img"
echo "make-tools-disk: $img ($rel, $((size / 1024)) MiB)" >&2
