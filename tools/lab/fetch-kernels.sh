#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetch the lab kernels into the build tree (downloads are cached there only):
#
#   tools/lab/fetch-kernels.sh BUILD_DIR
#
# For each release from kernel-releases.sh, `apt-get download` the cloud image
# and its -dbg package and extract only what the lab needs into
# BUILD_DIR/lab/kernels/<release>/: vmlinuz, config, vmlinux (DWARF), System.map
# (made from the vmlinux: the image's own is a stub), and in modules/ the few
# in-tree modules the initramfs loads (qemu_fw_cfg, pvpanic). Also extracts
# checkpatch.pl and its data files from linux-source-6.1 for the kmod lint.
# Idempotent: a release already extracted is skipped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(realpath -m "${1:?usage: fetch-kernels.sh BUILD_DIR}")
debs="$build/cache/debs"
mkdir -p "$debs" "$build/lab/kernels"

# In-tree modules the lab initramfs loads (path relative to kernel/), in load
# order: qemu_fw_cfg hands VMCOREINFO to QEMU's dumps; pvpanic tells QEMU the
# guest panicked (so the harness can pause it and dump it).
lab_modules=(drivers/firmware/qemu_fw_cfg.ko drivers/misc/pvpanic/pvpanic.ko
	drivers/misc/pvpanic/pvpanic-pci.ko)
# Modules for a virtio disk (`lab run --disk`), in load order, into modules/disk/;
# a kernel that has one built in has no file for it (6.12: virtio and virtio_pci).
disk_modules=(drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko
	drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci_legacy_dev.ko
	drivers/virtio/virtio_pci.ko drivers/block/virtio_blk.ko)

download() { # package -> path of the .deb in $debs
	local pkg=$1 f
	f=$(ls "$debs/${pkg//+/%2b}"_*.deb "$debs/${pkg}"_*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$f" ]; then
		(cd "$debs" && apt-get download -q "$pkg" >/dev/null)
		f=$(ls "$debs/${pkg//+/%2b}"_*.deb "$debs/${pkg}"_*.deb 2>/dev/null | head -n 1)
	fi
	echo "$f"
}

while read -r rel; do
	out="$build/lab/kernels/$rel"
	[ -e "$out/.complete" ] && continue
	rm -rf "$out" && mkdir -p "$out"
	echo "fetch-kernels: $rel" >&2
	tmp=$(mktemp -d "$build/cache/extract.XXXXXX")
	img=$(download "linux-image-$rel")
	[ -n "$(dpkg-deb -f "$img" Depends | grep -o "linux-image-$rel-unsigned")" ] &&
		img=$(download "linux-image-$rel-unsigned")
	want=("./boot/vmlinuz-$rel" "./boot/config-$rel" "./boot/System.map-$rel")
	dpkg-deb --fsys-tarfile "$img" | tar -x -C "$tmp" "${want[@]}"
	cp "$tmp/boot/vmlinuz-$rel" "$out/vmlinuz"
	cp "$tmp/boot/config-$rel" "$out/config"
	cp "$tmp/boot/System.map-$rel" "$out/System.map"
	dbg=$(download "linux-image-$rel-dbg")
	dpkg-deb --fsys-tarfile "$dbg" | tar -x -C "$tmp" "./usr/lib/debug/boot/vmlinux-$rel"
	mv "$tmp/usr/lib/debug/boot/vmlinux-$rel" "$out/vmlinux"
	rm -rf "$tmp" "$dbg"
	echo "$rel" >"$out/release"
	touch "$out/.complete"
done < <("$here/kernel-releases.sh")

# The in-tree modules, extracted again whenever the list changes (from the
# image .deb, kept in the cache). modules/order lists them in load order.
while read -r rel; do
	out="$build/lab/kernels/$rel"
	[ -e "$out/.complete" ] || continue
	order=$(for m in "${lab_modules[@]}"; do basename "$m"; done)
	lists=$(printf '%s\n' "${lab_modules[@]}" -- "${disk_modules[@]}")
	[ "$(cat "$out/modules/lists" 2>/dev/null)" = "$lists" ] && continue
	echo "fetch-kernels: $rel: in-tree modules" >&2
	rm -rf "$out/modules" && mkdir -p "$out/modules/disk"
	tmp=$(mktemp -d "$build/cache/extract.XXXXXX")
	img=$(download "linux-image-$rel")
	[ -n "$(dpkg-deb -f "$img" Depends | grep -o "linux-image-$rel-unsigned")" ] &&
		img=$(download "linux-image-$rel-unsigned")
	want=()
	for m in "${lab_modules[@]}" "${disk_modules[@]}"; do
		want+=("./lib/modules/$rel/kernel/$m" "./lib/modules/$rel/kernel/$m.xz")
	done
	dpkg-deb --fsys-tarfile "$img" | tar -x -C "$tmp" --ignore-failed-read "${want[@]}" 2>/dev/null || true
	for m in "${lab_modules[@]}"; do
		name=$(basename "$m")
		if [ -e "$tmp/lib/modules/$rel/kernel/$m.xz" ]; then
			xz -dc "$tmp/lib/modules/$rel/kernel/$m.xz" >"$out/modules/$name"
		else
			cp "$tmp/lib/modules/$rel/kernel/$m" "$out/modules/$name"
		fi
	done
	: >"$out/modules/disk/order"
	for m in "${disk_modules[@]}"; do
		name=$(basename "$m") src="$tmp/lib/modules/$rel/kernel/$m"
		if [ -e "$src.xz" ]; then
			xz -dc "$src.xz" >"$out/modules/disk/$name"
		elif [ -e "$src" ]; then
			cp "$src" "$out/modules/disk/$name"
		else
			continue # built in
		fi
		echo "$name" >>"$out/modules/disk/order"
	done
	rm -rf "$tmp"
	echo "$order" >"$out/modules/order"
	echo "$lists" >"$out/modules/lists"
done < <("$here/kernel-releases.sh")

# Debian's System.map in the image package is a one-line stub ("The real
# System.map is in the -dbg package"): make the real one from the vmlinux.
for dir in "$build"/lab/kernels/*/; do
	[ -e "$dir/.complete" ] || continue
	if [ "$(wc -l <"$dir/System.map")" -le 1 ]; then
		nm -n "$dir/vmlinux" | grep -v ' [aNUw] ' >"$dir/System.map.tmp"
		mv "$dir/System.map.tmp" "$dir/System.map"
	fi
done

# checkpatch.pl is not in the headers packages: take it from the 6.1 sources.
cp_dir="$build/cache/checkpatch"
if [ ! -e "$cp_dir/.complete" ]; then
	echo "fetch-kernels: checkpatch from linux-source-6.1" >&2
	rm -rf "$cp_dir" && mkdir -p "$cp_dir"
	src=$(download linux-source-6.1)
	tmp=$(mktemp -d "$build/cache/extract.XXXXXX")
	dpkg-deb --fsys-tarfile "$src" | tar -x -C "$tmp" --wildcards './usr/src/linux-source-6.1.tar.xz'
	tar -xJf "$tmp/usr/src/linux-source-6.1.tar.xz" -C "$cp_dir" --strip-components=2 \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	rm -rf "$tmp" "$src"
	touch "$cp_dir/.complete"
fi
echo "fetch-kernels: ok ($build/lab/kernels)" >&2
