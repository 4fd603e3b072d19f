#!/bin/sh
# waitscope lab guest init: PID 1 of the busybox initramfs (embedded in the
# waitscope binary; see lab/src/initramfs.cpp). /lab/config, written by the
# host for each boot, sets LAB_NONCE, VPOLL_ARGS, SIMRUPT_ARGS, LAB_FWCFG,
# LAB_DISK and LAB_GUEST_DUMP.
#
# The program channel is the second serial port (/dev/ttyS1), a socket on the
# host: init announces "WAITSCOPE_READY <nonce>" there, waits for the host's
# go-ahead line, runs /lab/run.sh (if any) with its stdin and stdout on the
# channel, then prints
# "WAITSCOPE_EXIT <nonce> <status>". The console (ttyS0) gets kernel messages,
# the program's stderr, and an interactive shell.
/bin/busybox --install -s /bin
export PATH=/lab/bin:/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp /run /sys/kernel/tracing
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null

LAB_FWCFG=1
[ -f /lab/config ] && . /lab/config

# In-tree modules, in order: qemu_fw_cfg hands VMCOREINFO to QEMU's
# -device vmcoreinfo, so dumps carry it; pvpanic tells QEMU about a panic.
while read -r ko; do
	[ "$ko" = qemu_fw_cfg.ko ] && [ "$LAB_FWCFG" != 1 ] && continue
	insmod "/lib/modules/$ko" || echo "lab: cannot load $ko" >/dev/console
done </lib/modules/order
insmod /lib/modules/vpoll.ko $VPOLL_ARGS || echo "lab: cannot load vpoll.ko" >/dev/console
insmod /lib/modules/simrupt.ko $SIMRUPT_ARGS || echo "lab: cannot load simrupt.ko" >/dev/console

# lab run --disk: the image (virtio, read-only) at /disk, with this guest's
# /proc, /sys, /dev and a /tmp inside it, so that `chroot /disk` works.
if [ "$LAB_DISK" = 1 ]; then
	while read -r ko; do
		insmod "/lib/modules/disk/$ko" || echo "lab: cannot load $ko" >/dev/console
	done </lib/modules/disk/order
	i=0
	while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if mount -o ro /dev/vda /disk; then
		for d in proc sys dev tmp; do
			[ -d /disk/$d ] || continue
			case $d in
			proc) mount -t proc proc /disk/proc ;;
			sys) mount -t sysfs sysfs /disk/sys ;;
			dev) mount -t devtmpfs devtmpfs /disk/dev ;;
			tmp) mount -t tmpfs tmpfs /disk/tmp ;;
			esac
		done
		# lab run --guest-dump: ws_mark() runs this before every mark.
		[ "$LAB_GUEST_DUMP" = 1 ] && [ -x /disk/ws/guest-dump ] &&
			export WAITSCOPE_GUEST_DUMP=/disk/ws/guest-dump
	else
		echo "lab: cannot mount the disk (/dev/vda)" >/dev/console
	fi
fi

chan=/dev/ttyS1
exec 3<>$chan
stty -F $chan 115200 raw -echo
echo "WAITSCOPE_READY $LAB_NONCE $(cut -d' ' -f1 /proc/uptime)" >&3

if [ -x /lab/run.sh ]; then
	# The host starts what it records during the run (e.g. reading guest RAM
	# live), then sends a line: only then does the program start.
	read -r _ <&3
	cd /tmp
	/lab/run.sh <$chan >$chan 2>/dev/console
	status=$?
	echo "WAITSCOPE_EXIT $LAB_NONCE $status" >&3
fi

while :; do
	setsid cttyhack sh -l
done
