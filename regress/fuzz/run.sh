#!/bin/sh
# Run each libFuzzer target for SECONDS on a scratch copy of its seeds.
# Prints "ok - <target>: N executions, no crash" or "not ok".
# With FUZZ_RUNS=N each target stops after N executions (SECONDS caps it).
# Usage: FZ=build-fuzz sh regress/fuzz/run.sh SECONDS target...
secs=$1; shift
FZ=${FZ:-build-fuzz}
rc=0
for t in "$@"; do
	work=$(mktemp -d)
	cp -r "regress/fuzz/corpus/$t/." "$work/" 2>/dev/null
	log="$FZ/$t.log"
	"$FZ/$t" -max_total_time="$secs" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix="$FZ/crash-$t-" "$work" > "$log" 2>&1
	st=$?
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" |
	    grep -o '[0-9]*$')
	# else libFuzzer's last status line ("#N<tab>..."), not a "#N" a
	# target's own log output may hold
	[ -n "$execs" ] || execs=$(grep -Eo '^#[0-9]+' "$log" | tail -1 |
	    tr -d '#')
	if [ $st -eq 0 ]; then
		echo "ok - $t: ${execs:-?} executions" \
		    "(at most ${secs}s${FUZZ_RUNS:+ or $FUZZ_RUNS runs}), no crash"
	else
		echo "not ok - $t: crashed after ${execs:-?} executions (see $log)"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 |
		    sed 's/^/#   /'
		rc=1
	fi
	rm -rf "$work"
done
exit $rc
