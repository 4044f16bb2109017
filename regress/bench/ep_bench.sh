#!/bin/sh
# The endpoint refresh of innernet-wgd, through its own code, against a
# wireguard-go interface of N peers in a network and mount namespace of
# its own (a tmpfs on /var/run/wireguard): CPU per refresh and the
# memory of wgd's table.  Figures only.
#
#	B=build sh regress/bench/ep_bench.sh [SIZES [ROUNDS]]
#
# PERF=1 also records a profile of the steady refreshes at each size
# (perf record -g) into $B/ep_bench-N.perf.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
BIN=${EP_BENCH_BIN:-"$TOP/$B/regress/ep_bench"}
SIZES=${1:-"10000 50000"}
ROUNDS=${2:-20}
IF=epb0

[ "$(id -u)" -eq 0 ] || { echo "ep_bench: needs root" >&2; exit 1; }
[ -x "$BIN" ] || { echo "ep_bench: no $BIN (make B=$B ep-bench)" >&2; exit 1; }

if [ "${EP_BENCH_INNER:-}" != 1 ]; then
	exec env EP_BENCH_INNER=1 unshare -n -m --propagation private \
	    sh "$0" "$SIZES" "$ROUNDS"
fi

mkdir -p /var/run/wireguard
mount -t tmpfs tmpfs /var/run/wireguard || exit 1
ip link set lo up
WGPID=
cleanup() {
	[ -n "$WGPID" ] && kill "$WGPID" 2>/dev/null
	ip link del "$IF" 2>/dev/null
}
trap cleanup EXIT INT TERM

for n in $SIZES; do
	WG_PROCESS_FOREGROUND=1 wireguard-go "$IF" >/dev/null 2>&1 &
	WGPID=$!
	i=0
	until [ -S "/var/run/wireguard/$IF.sock" ] || [ $i -ge 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	ip link set "$IF" up
	echo "== $n peers"
	"$BIN" fill "$IF" "$n" || exit 1
	if [ "${PERF:-}" = 1 ]; then
		perf record -q -g -o "$TOP/$B/ep_bench-$n.perf" -- \
		    "$BIN" walk "$IF" "$ROUNDS" || exit 1
	else
		"$BIN" walk "$IF" "$ROUNDS" || exit 1
	fi
	"$BIN" move "$IF" $((n / 100)) || echo "# moved: not all told"
	echo "wireguard-go rss: $(awk '/VmRSS/ {print $2, $3}' \
	    /proc/$WGPID/status)"
	kill "$WGPID"
	wait "$WGPID" 2>/dev/null
	WGPID=
	ip link del "$IF" 2>/dev/null
done
