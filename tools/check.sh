#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Style and lint checks, the same for developers and CI:
#
#   tools/check.sh [BUILD_DIR]      (default: build)
#
#   C++         clang-format --dry-run --Werror (.clang-format)
#   Python      black --check (pyproject.toml)
#   kmod/       checkpatch.pl --strict, and sparse (make C=2) against every
#               lab kernel's headers; any sparse warning fails
#   programs/   checkpatch.pl (kernel style, minus kernel-only rules)
#
# checkpatch.pl comes from the kernel sources (tools/lab/fetch-kernels.sh puts
# it in BUILD_DIR/cache/checkpatch). Exits non-zero when anything is off.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$src/build}")
cd "$src" || exit 2
fails=0
step() { printf "%-48s" "check: $1"; }
ok() { echo "ok"; }
bad() {
	echo "FAILED"
	printf '%s\n' "$1" | sed 's/^/    /'
	fails=$((fails + 1))
}

step "clang-format (C++)"
out=$(git ls-files -- '*.cpp' '*.hpp' | xargs -r clang-format --dry-run --Werror 2>&1) && ok || bad "$out"

step "black (Python)"
mapfile -t py < <(git ls-files -- '*.py')
if [ ${#py[@]} -eq 0 ]; then
	ok
else
	out=$(black --check --quiet "${py[@]}" 2>&1) && ok || bad "$out"
fi

checkpatch=$build/cache/checkpatch/checkpatch.pl
if [ ! -e "$checkpatch" ]; then
	step "checkpatch"
	bad "no $checkpatch (run tools/lab/fetch-kernels.sh $build)"
else
	step "checkpatch --strict (kmod)"
	mapfile -t kfiles < <(git ls-files -- 'kmod/*.c' 'kmod/*.h')
	out=$(perl "$checkpatch" --strict --no-tree --terse --show-types -f "${kfiles[@]}" 2>&1)
	grep -qE '(ERROR|WARNING|CHECK):' <<<"$out" && bad "$out" || ok

	# User-space programs: kernel style, without rules that only make sense
	# in the kernel (SPDX comment style, C99 comments, typedefs, __printf()).
	step "checkpatch (programs)"
	mapfile -t pfiles < <(git ls-files -- 'programs/*.c' 'programs/*.h')
	out=$(perl "$checkpatch" --no-tree --terse --show-types \
		--ignore SPDX_LICENSE_TAG,C99_COMMENTS,NEW_TYPEDEFS,PREFER_KERNEL_TYPES,SPLIT_STRING,PREFER_DEFINED_ATTRIBUTE_MACRO \
		-f "${pfiles[@]}" 2>&1)
	grep -qE '(ERROR|WARNING|CHECK):' <<<"$out" && bad "$out" || ok
fi

# sparse: build a copy of kmod/ with C=2 against each lab kernel's headers.
for kdir in /usr/src/linux-headers-*-cloud-amd64; do
	[ -e "$kdir/Makefile" ] || continue
	rel=${kdir#/usr/src/linux-headers-}
	step "sparse ($rel)"
	if ! command -v sparse >/dev/null; then
		bad "sparse is not installed (tools/install-deps.sh)"
		continue
	fi
	tmp=$(mktemp -d)
	cp -r kmod/. "$tmp"
	out=$(make -s -C "$kdir" M="$tmp" C=2 modules 2>&1)
	status=$?
	rm -rf "$tmp"
	out=$(grep -v 'Skipping BTF generation' <<<"$out")
	if [ $status -ne 0 ] || grep -qE 'warning:|error:' <<<"$out"; then
		bad "$out"
	else
		ok
	fi
done

if [ $fails -ne 0 ]; then
	echo "check: $fails check(s) failed"
	exit 1
fi
echo "check: all clean"
