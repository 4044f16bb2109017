#!/bin/sh
# The watch's figures (make bench, make watch-bench); never a verdict.
#
# 1. Real daemon sets in namespaces: a server, three watching clients
#    (fetching hourly, so what reaches them came by the watch) and a
#    hand-made peer disabled and enabled in turn: milliseconds from
#    `innernetctl disable-peer` to the peer gone from the WireGuard of
#    every client, and from enable-peer to back in all of them.  Then
#    the same clients restarted with `watch: no` and a fetch interval of
#    BENCH_POLL_INTERVAL seconds, polling as upstream's client does, and
#    the same rounds timed again (each change after a random pause of
#    up to the interval), so both modes are measured in one run.
# 2. regress/bench/watch_bench, the engine's own change log and deltas
#    at each size of BENCH_SIZES (100 1000 10000 by default): bytes a
#    watching client gets per one-peer change beside the full state a
#    polling client fetches after any change, CPU per change with 1,000
#    watchers, and the memory of 5,000 idle held requests.
#
# BENCH_SIZES="100 1000"	sizes for 2 (50000 is left out unless named)
# BENCH_WATCH_ROUNDS=5		disable/enable rounds for 1
# BENCH_POLL_INTERVAL=10	the polling clients' fetch interval for 1
# BENCH_RESULTS=file		the report is appended to it, if set

RUN_PREFIX=wb
. "$(dirname "$0")/../netns/lib.sh"

NET=wbench
ROUNDS=${BENCH_WATCH_ROUNDS:-5}
POLL=${BENCH_POLL_INTERVAL:-10}
SIZES=""
for s in ${BENCH_SIZES:-100 1000 10000}; do
	[ "$s" -le 10000 ] && SIZES="$SIZES $s"
done
OUT=${BENCH_RESULTS:-}
REPORT="$T/report"
: > "$REPORT"

out() { echo "$*" | tee -a "$REPORT"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
key_of() {
	ctl server -j list-peers $NET |
	    jq -r ".[] | select(.name == \"$1\") | .public_key"
}
# in_all KEY: every client's WireGuard has the key
in_all() {
	for _h in c1 c2 c3; do
		on $_h wg show $NET peers | grep -qF -- "$1" || return 1
	done
}
in_none() {
	for _h in c1 c2 c3; do
		on $_h wg show $NET peers | grep -qF -- "$1" && return 1
	done
	return 0
}
# until_ms COMMAND...: milliseconds until it holds, polled every 10 ms,
# 30 s at most ("timeout" then).
until_ms() {
	_t0=$(now_ms)
	_n=3000
	while [ $_n -gt 0 ]; do
		"$@" && { echo $(($(now_ms) - _t0)); return 0; }
		sleep 0.01
		_n=$((_n - 1))
	done
	echo timeout
	return 1
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

net_init
host_add server 192.0.2.1
host_add c1 192.0.2.2
host_add c2 192.0.2.3
host_add c3 192.0.2.4
host_add victim 192.0.2.5
for h in c1 c2 c3; do
	echo "fetch-interval: 3600" >> "$T/$h/innernet.conf"
done

daemon_start server >/dev/null &&
    ctl server new --network-name $NET --network-cidr 10.66.0.0/16 \
    --external-endpoint 192.0.2.1:51820 --listen-port 51820 >/dev/null &&
    ctl server add-cidr $NET --name humans --cidr 10.66.1.0/24 \
    --parent $NET --yes >/dev/null || { notok "server"; exit 1; }
for h in c1 c2 c3 victim; do
	ctl server add-peer $NET --name $h --cidr humans --admin false \
	    --auto-ip --save-config "$T/$h.toml" --invite-expires 1h \
	    --yes >/dev/null || { notok "add-peer $h"; exit 1; }
done
for h in c1 c2 c3; do
	daemon_start $h >/dev/null &&
	    ctl $h install "$T/$h.toml" --name $NET >/dev/null ||
	    { notok "$h installs"; exit 1; }
done
hp_up victim "$T/victim.toml" 10.66.0.0/16 && hp_redeem victim ||
    { notok "the victim peer"; exit 1; }
K=$(key_of victim)
for h in c1 c2 c3; do
	wait_until 30 grep -q "the server can be watched" \
	    "$T/$h/daemon.log" || { notok "$h does not watch"; exit 1; }
done
wait_until 30 in_all "$K" || { notok "the victim never reached them"; exit 1; }

# pause_upto SECONDS: a random pause, so that rounds timed against
# polling clients do not lock onto the phase of their fetches (each
# round would then start just after one and wait nearly all of the
# interval)
pause_upto() {
	[ "$1" -gt 0 ] || return 0
	sleep "$(awk -v s="$(date +%N)" -v j="$1" \
	    'BEGIN { srand(s); printf "%.3f", rand() * j }')"
}
# rounds NAME JITTER: ROUNDS disable/enable rounds, ms into $T/NAME.dis,
# .ena, each change after a random pause of up to JITTER seconds
rounds() {
	: > "$T/$1.dis"
	: > "$T/$1.ena"
	for _r in $(seq 1 "$ROUNDS"); do
		pause_upto "$2"
		ctl server disable-peer $NET --name victim --yes >/dev/null &
		_cp=$!
		until_ms in_none "$K" >> "$T/$1.dis"
		wait $_cp
		sleep 1
		pause_upto "$2"
		ctl server enable-peer $NET --name victim --yes >/dev/null &
		_cp=$!
		until_ms in_all "$K" >> "$T/$1.ena"
		wait $_cp
		sleep 1
	done
}
# row WHAT MODE FILE: one line of the table
row() {
	out "| $1 | $2 | $(median < "$3") ms | $(sort -n "$3" | tail -1) ms |" \
	    "$(tr '\n' ' ' < "$3")|"
}

rounds watch 0

# The same clients, polling: restarted with the watch off, so what
# reaches them comes by their periodic fetch alone.
for h in c1 c2 c3; do
	grep -c "the server can be watched" "$T/$h/daemon.log" > "$T/$h.nw"
	sed "s/^fetch-interval: .*/fetch-interval: $POLL/" \
	    "$T/$h/innernet.conf" > "$T/$h.conf" &&
	    echo "watch: no" >> "$T/$h.conf" &&
	    mv "$T/$h.conf" "$T/$h/innernet.conf"
	daemon_stop $h
	daemon_start $h >/dev/null || { notok "$h restarts"; exit 1; }
done
wait_until 30 in_all "$K" || { notok "the victim is back after restart"; exit 1; }
for h in c1 c2 c3; do
	[ "$(grep -c "the server can be watched" "$T/$h/daemon.log")" -eq \
	    "$(cat "$T/$h.nw")" ] || { notok "$h watches with watch: no"; exit 1; }
done
# let each client's first fetch after its start pass
sleep 2
rounds poll "$POLL"
for h in c1 c2 c3; do
	[ "$(grep -c "the server can be watched" "$T/$h/daemon.log")" -eq \
	    "$(cat "$T/$h.nw")" ] || { notok "$h watched while polling"; exit 1; }
done

out "## The watch (regress/bench/watch.sh), $(date -u '+%Y-%m-%d %H:%M UTC')"
out ""
out "Three clients (real daemon sets) and one peer disabled and enabled"
out "$ROUNDS times; ms until every client's WireGuard has dropped it (has it"
out "again).  First watching (fetching hourly, so what reaches them came by"
out "the watch), then the same clients restarted with \`watch: no\` and"
out "\`fetch-interval: $POLL\`, polling as upstream's client does, in the same run:"
out ""
out "| | mode | median | max | rounds |"
out "|---|---|---|---|---|"
row "disable-peer to gone from all" "watch" "$T/watch.dis"
row "disable-peer to gone from all" "polling, every $POLL s" "$T/poll.dis"
row "enable-peer to back in all" "watch" "$T/watch.ena"
row "enable-peer to back in all" "polling, every $POLL s" "$T/poll.ena"
out ""
out "(The time includes innernetctl's own start and the server's"
out "database write; the clients' poll of wg at 10 ms bounds the"
out "resolution.  Each change while polling came after a random pause of"
out "up to the interval, off the clients' fetch phase.  Polling waits for"
out "the next fetch of every client, each on its own phase: up to the"
out "interval, half of it on average for one client, three quarters for"
out "the last of three.  At the default fetch-interval of 60 s the polling"
out "figures scale by 60/$POLL.)"
out ""

if [ -x "$BIN/regress/watch_bench" ] && [ -n "$SIZES" ]; then
	"$BIN/regress/watch_bench" $SIZES > "$T/wb" 2>&1
	fig() { awk -v s="$1" -v k="$2" '$1 == "size" && $2 == s &&
	    $3 == k { print $4 }' "$T/wb"; }
	out "The engine's change log and deltas (regress/bench/watch_bench),"
	out "peers in CIDRs of 20, 1,000 watchers spread over the CIDRs, 200"
	out "one-peer changes (disable, enable):"
	out ""
	out "| peers | polling today: full state per change (one-CIDR caller, all-seeing) | full state gzip (all-seeing) | watch: bytes per change per client who sees it | clients woken per change | server CPU per change |"
	out "|---|---|---|---|---|---|"
	for s in $SIZES; do
		out "| $s | $(fig $s full_one_cidr_bytes) B, $(fig $s \
		    full_bytes) B | $(fig $s full_gzip_bytes) B |" \
		    "$(fig $s delta_bytes) B | $(fig $s woken_per_change) |" \
		    "$(fig $s cpu_us_per_change) µs |"
	done
	out ""
	out "Idle watchers: $(awk '$2 == "held" { print $3 }' "$T/wb") requests held"
	out "by a libevent HTTP server cost $(awk '$2 == "bytes_per_watcher" {
	    print $3 }' "$T/wb") bytes each (its RSS, plus"
	out "our watcher and connection entry); no CPU at rest (a timer each)."
	out ""
fi
[ -z "$OUT" ] || cat "$REPORT" >> "$OUT"
ok "watch figures"
exit 0
