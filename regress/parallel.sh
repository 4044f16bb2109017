#!/bin/sh
# The suite beside itself: a copy of this tree (every file git knows of or
# does not ignore, so uncommitted changes too) is built, then `make
# check` runs in both trees at the same time, the way two developers'
# suites meet on one machine.  With PARALLEL_HOGS=N, N busy loops keep
# the processors loaded meanwhile.  Prints both closing lines; fails if
# either suite failed.  The copy is removed unless PARALLEL_KEEP is set.
# PARALLEL_TARGET names the make target of both runs (check).
# Usage: sh regress/parallel.sh   (or: make check-parallel)
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
TARGET=${PARALLEL_TARGET:-check}
HOGS=${PARALLEL_HOGS:-0}
# The outer make's job server and flags are not the inner makes' business.
unset MAKEFLAGS MFLAGS MAKELEVEL
MAKE=${MAKE:-make}

other=$(mktemp -d "${TMPDIR:-/tmp}/innernet-parallel.XXXXXX") || exit 1
hogs=""
cleanup() {
	for _p in $hogs; do
		kill "$_p" 2>/dev/null
	done
	if [ -n "${PARALLEL_KEEP:-}" ]; then
		echo "# the copy and its logs are kept in $other"
	else
		rm -rf "$other"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "# copying the tree to $other"
git ls-files --cached --others --exclude-standard |
    while IFS= read -r f; do [ -e "$f" ] && echo "$f"; done |
    tar -T - -cf - | tar -C "$other" -xf - ||
    { echo "not ok - cannot copy the tree"; exit 1; }
# Built first (the regress build make check runs on), fuzzers too, so
# that the two suites start together.
echo "# building both trees"
for d in "$top" "$other"; do
	(cd "$d" && $MAKE -j2 REGRESS=1 all fuzz) > "$other/build.log" 2>&1 ||
	    { echo "not ok - build in $d failed"; tail -20 "$other/build.log"
	    exit 1; }
done

# Busy loops, each bounded in time by timeout(1) as well as killed at
# the end.
i=0
while [ "$i" -lt "$HOGS" ]; do
	timeout 3600 sh -c 'while :; do :; done' &
	hogs="$hogs $!"
	i=$((i + 1))
done

echo "# make $TARGET in both trees at once$([ "$HOGS" -gt 0 ] &&
    echo ", $HOGS busy loops beside")"
start=$(date +%s)
$MAKE "$TARGET" > "$other/this.log" 2>&1 &
a=$!
(cd "$other" && exec $MAKE "$TARGET") > "$other/copy.log" 2>&1 &
b=$!
wait "$a"
ra=$?
wait "$b"
rb=$?
echo "# both done in $(($(date +%s) - start)) s"

rc=0
for r in "this:$ra" "copy:$rb"; do
	name=${r%%:*} st=${r#*:}
	log=$other/$name.log
	grep '^[^:]*: not ok \|^not ok ' "$log" | sed "s/^/# $name: /"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ "$st" -eq 0 ] && [ -n "$line" ]; then
		echo "ok - $name tree: $line"
	else
		echo "not ok - $name tree (status $st):" \
		    "${line:-no closing line}"
		rc=1
	fi
done
[ "$rc" -eq 0 ] || PARALLEL_KEEP=${PARALLEL_KEEP:-1}
exit $rc
