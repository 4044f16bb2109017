#!/bin/sh
# The watch's figures (make bench, make watch-bench); never a verdict.
#
# 1. Real daemon sets in namespaces: a server, three watching clients
#    (fetching hourly, so what reaches them came by the watch) and a
#    hand-made peer disabled and enabled in turn: milliseconds from
#    `innernetctl disable-peer` to the peer gone from the WireGuard of
#    every client, and from enable-peer to back in all of them.  Beside
#    it today's polling: a change waits for the next fetch, at most the
#    fetch interval (60 s by default), half of it on average.
# 2. regress/bench/watch_bench, the engine's own change log and deltas
#    at each size of BENCH_SIZES (100 1000 10000 by default): bytes a
#    watching client gets per one-peer change beside the full state a
#    polling client fetches after any change, CPU per change with 1,000
#    watchers, and the memory of 5,000 idle held requests.
#
# BENCH_SIZES="100 1000"	sizes for 2 (50000 is left out unless named)
# BENCH_WATCH_ROUNDS=5		disable/enable rounds for 1
# BENCH_RESULTS=file		the report is appended to it, if set

RUN_PREFIX=wb
. "$(dirname "$0")/../netns/lib.sh"

NET=wbench
ROUNDS=${BENCH_WATCH_ROUNDS:-5}
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

out "## The watch (regress/bench/watch.sh), $(date -u '+%Y-%m-%d %H:%M UTC')"
out ""
out "Three watching clients (real daemon sets, fetching hourly), one peer"
out "disabled and enabled $ROUNDS times; ms until every client's WireGuard"
out "has dropped it (has it again):"
out ""
: > "$T/dis"
: > "$T/ena"
for r in $(seq 1 "$ROUNDS"); do
	ctl server disable-peer $NET --name victim --yes >/dev/null &
	cp=$!
	ms=$(until_ms in_none "$K")
	wait $cp
	echo "$ms" >> "$T/dis"
	sleep 1
	ctl server enable-peer $NET --name victim --yes >/dev/null &
	cp=$!
	ms=$(until_ms in_all "$K")
	wait $cp
	echo "$ms" >> "$T/ena"
	sleep 1
done
out "| | median | max | rounds | polling today (fetch-interval 60 s) |"
out "|---|---|---|---|---|"
out "| disable-peer to gone from all | $(median < "$T/dis") ms |" \
    "$(sort -n "$T/dis" | tail -1) ms | $(tr '\n' ' ' < "$T/dis")|" \
    "up to 60,000 ms, 30,000 on average |"
out "| enable-peer to back in all | $(median < "$T/ena") ms |" \
    "$(sort -n "$T/ena" | tail -1) ms | $(tr '\n' ' ' < "$T/ena")|" \
    "up to 60,000 ms, 30,000 on average |"
out ""
out "(The time includes innernetctl's own start and the server's"
out "database write; the clients' poll at 10 ms bounds the resolution.)"
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
