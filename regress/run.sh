#!/bin/sh
# The whole suite: unit tests, then the scenarios that run the real daemon
# set in network namespaces.  Prints one closing line "N passed, N failed".
# Usage: B=build sh regress/run.sh [unit test programs...]
# REGRESS_ONLY=name runs only the namespace scenario of that name.
# The scenarios: regress/netns/t_*.sh, the fault scenario and a short
# load run (CHECK_LOAD_SECONDS, 10; `make load` runs a minute).
B=${B:-build}
export B
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

total_pass=0
total_fail=0
skipped=0

count() {
	p=$(grep -c '^ok ' "$1")
	f=$(grep -c '^not ok ' "$1")
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
}

if [ -z "$REGRESS_ONLY" ]; then
	for t in "$@"; do
		name=$(basename "$t")
		: > "$log"
		"$t" > "$log" 2>&1
		rc=$?
		sed "s|^|$name: |" "$log"
		if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$log"; then
			echo "not ok - $name exited with status $rc" |
			    tee -a "$log"
		fi
		count "$log"
	done
	if [ -n "$FUZZ_TARGETS" ]; then
		: > "$log"
		sh regress/fuzz/run.sh "${FUZZ_SECONDS:-10}" $FUZZ_TARGETS \
		    > "$log" 2>&1
		sed "s|^|fuzz: |" "$log"
		count "$log"
	fi
	for s in regress/cli/*.sh; do
		[ -f "$s" ] || continue
		name=$(basename "$s" .sh)
		prog=$(echo "$name" | sed 's/_.*//')
		if [ ! -f "$B/$prog" ]; then
			echo "skip - $name: $prog not built yet"
			skipped=$((skipped + 1))
			continue
		fi
		: > "$log"
		sh "$s" > "$log" 2>&1
		sed "s|^|$name: |" "$log"
		count "$log"
	done
	if [ -f regress/man/lint.sh ]; then
		: > "$log"
		sh regress/man/lint.sh > "$log" 2>&1
		sed "s|^|man: |" "$log"
		count "$log"
	fi
fi

missing=""
for prog in innernetd innernet-dbd innernet-wgd innernetctl; do
	[ -f "$B/$prog" ] && [ -x "$B/$prog" ] || missing="$missing $prog"
done
scenarios="regress/netns/t_*.sh regress/fault/fault.sh regress/load/load.sh"
if [ -n "$missing" ]; then
	for s in $scenarios; do
		echo "skip - $(basename "$s" .sh): not built yet:$missing"
		skipped=$((skipped + 1))
	done
elif [ "$(id -u)" -ne 0 ]; then
	echo "not ok - namespace scenarios need root" | tee "$log"
	count "$log"
else
	for s in $scenarios; do
		[ -f "$s" ] || continue
		name=$(basename "$s" .sh)
		if [ -n "$REGRESS_ONLY" ] && [ "$name" != "$REGRESS_ONLY" ] &&
		    [ "$name" != "t_$REGRESS_ONLY" ]; then
			continue
		fi
		: > "$log"
		echo "== $name"
		LOAD_SECONDS=${CHECK_LOAD_SECONDS:-10} timeout 900 sh "$s" \
		    > "$log" 2>&1
		rc=$?
		sed "s|^|$name: |" "$log"
		if [ $rc -ne 0 ] && ! grep -q '^not ok ' "$log"; then
			echo "not ok - $name exited with status $rc" |
			    tee -a "$log"
		fi
		count "$log"
	done
fi

echo "$total_pass passed, $total_fail failed, $skipped skipped"
[ "$total_fail" -eq 0 ]
