#!/bin/sh
# The seccomp filter is written per architecture: the sandbox layer
# builds for each architecture whose cross compiler is installed (make
# deps installs aarch64's), and an architecture without a table does not
# build at all.  Installed as $(B)/regress/test_sandbox_arch.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags="-std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
    -D_GNU_SOURCE -Icompat"
failed=0

for cc in aarch64-linux-gnu-gcc i686-linux-gnu-gcc \
    arm-linux-gnueabihf-gcc arm-linux-gnueabi-gcc; do
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "ok - $cc: pledge and unveil build # skip not installed"
		continue
	fi
	if $cc $flags -c -o "$tmp/p.o" compat/pledge_linux.c \
	    >"$tmp/err" 2>&1 && $cc $flags -c -o "$tmp/u.o" \
	    compat/unveil_linux.c >>"$tmp/err" 2>&1; then
		echo "ok - $cc: pledge and unveil build"
	else
		echo "not ok - $cc: pledge and unveil build"
		sed 's/^/#   /' "$tmp/err" | head -20
		failed=1
	fi
done

# aarch64's compiler without its little-endian macro stands for an
# architecture we have no table for (big-endian aarch64).
cc=aarch64-linux-gnu-gcc
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "ok - an architecture without a table does not build # skip" \
	    "no $cc"
elif $cc $flags -U__AARCH64EL__ -c -o "$tmp/x.o" \
    compat/pledge_linux.c >"$tmp/err" 2>&1; then
	echo "not ok - an architecture without a table does not build"
	failed=1
elif grep -q "no seccomp table" "$tmp/err"; then
	echo "ok - an architecture without a table does not build"
else
	echo "not ok - an architecture without a table: another error"
	sed 's/^/#   /' "$tmp/err" | head -20
	failed=1
fi
exit $failed
