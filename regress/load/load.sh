#!/bin/sh
# Load: wrk fetches GET /v1/user/state over WireGuard from a hand-made
# peer for LOAD_SECONDS (60) seconds.  Prints the requests, the errors and
# the resident memory of every process of the server's set (and of its
# wireguard-go) before and after.  Fails on any error, and if a process
# of the set grew by 1 MiB or more (wireguard-go is shown, not judged;
# nor is a sanitizer build, whose quarantine keeps what was freed).
# Then 48 slow connections from the loader report the per-source cap and
# the header deadline it meets.
# Usage: B=build sh regress/load/load.sh   (or: make load)
. "$(dirname "$0")/../netns/lib.sh"

NET=corp
PORT=51820
SRV=10.66.0.1
SECS=${LOAD_SECONDS:-60}
CONNS=${LOAD_CONNECTIONS:-32}

if ! command -v wrk >/dev/null 2>&1; then
	echo "not ok - wrk is not installed (make load installs it)"
	exit 1
fi

# innernetctl waits for its answer as long as it takes; bound it here.
ctl() {
	_h=$1; shift
	on "$_h" timeout 60 "$BIN/innernetctl" -s "$T/$_h/innernetd.sock" "$@"
}

net_init
host_add server 192.0.2.1
host_add loader 192.0.2.2

check "server daemon starts" daemon_start server
check "new network" ctl server new --network-name "$NET" \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:$PORT \
    --listen-port $PORT
check "add-cidr humans" ctl server add-cidr "$NET" --name humans \
    --cidr 10.66.1.0/24 --parent "$NET" --yes
check "add-peer loader" ctl server add-peer "$NET" --name loader \
    --cidr humans --admin false --auto-ip --save-config "$T/loader.toml" \
    --invite-expires 1h --yes
check "loader: interface from the invitation" \
    hp_up loader "$T/loader.toml" 10.66.0.0/16
check "loader reaches the server" wait_until 20 on loader ping -c1 -W1 $SRV
check "loader redeems" hp_redeem loader
check "loader reaches the server with its new key" \
    wait_until 20 on loader ping -c1 -W1 $SRV
[ "$FAILED" -eq 0 ] || exit 1

# The server's processes: the parent, its children, and wireguard-go.
procs() {
	_pp=$(daemon_pid server)
	echo "parent $_pp"
	for _c in $(grep -l "^PPid:[[:space:]]*$_pp\$" /proc/[0-9]*/status \
	    2>/dev/null | cut -d/ -f3); do
		case "$(readlink "/proc/$_c/exe")" in
		*/innernet-dbd) echo "dbd $_c" ;;
		*/innernet-wgd) echo "wgd $_c" ;;
		*/innernetd) echo "engine $_c" ;;
		esac
	done
	for _p in $(ip netns pids "${RUN}server"); do
		[ "$(cat "/proc/$_p/comm" 2>/dev/null)" = wireguard-go ] &&
		    echo "wireguard-go $_p"
	done
}

rss() {	# rss FILE: "name pid KiB" for every process
	procs | while read -r _n _p; do
		echo "$_n $_p $(awk '$1 == "VmRSS:" {print $2}' \
		    "/proc/$_p/status" 2>/dev/null)"
	done | sort > "$1"
}

wrk_run() {	# wrk_run SECONDS OUTPUT
	on loader wrk -t2 -c"$CONNS" -d"$1"s --timeout 5s --latency \
	    -H "X-Innernet-Server-Key: $(cat "$T/loader/skey")" \
	    "http://$SRV:$PORT/v1/user/state" > "$2" 2>&1
}

# A short warm-up, so that what a first request allocates once is not
# counted as growth.
wrk_run 3 "$T/warm.out"
rss "$T/rss.before"
echo "# wrk for $SECS s, $CONNS connections, GET /v1/user/state"
wrk_run "$SECS" "$T/wrk.out"
rss "$T/rss.after"
sed 's/^/#   /' "$T/wrk.out"

requests=$(awk '/ requests in / {print $1}' "$T/wrk.out")
errors=$(awk '
    /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
    /Non-2xx or 3xx responses:/ { n += $NF }
    END { print n + 0 }' "$T/wrk.out")
echo "# requests: ${requests:-0}, errors: $errors"

echo "# resident memory (KiB): process, pid, before, after, growth"
join "$T/rss.before" "$T/rss.after" 2>/dev/null | awk '
    { g = $5 - $3
      printf "#   %-13s %7d %8d %8d %+7d%s\n", $1, $2, $3, $5, g,
          (g >= 1024 && $1 != "wireguard-go" ? "  1 MiB or more" : "") }'
# join pairs by name; the pids must match too, or a process restarted
join "$T/rss.before" "$T/rss.after" | awk '$2 != $4 { exit 1 }' ||
    notok "a process of the set was restarted during the load"

# Admission as a loader meets it: more connections than max-per-source
# (32 by default), each trickling a header line a second past
# header-timeout (10 s).
on loader timeout 60 python3 "$TOP/regress/netns/slowloris.py" $SRV $PORT \
    "$(cat "$T/loader/ip")" 48 25 headers > "$T/admission.out"
read -r opened held left secs < "$T/admission.out"
echo "# per-source cap: ${held:-?} of ${opened:-?} slow connections held"
echo "# header-timeout: ${left:-?} left open after ${secs:-?} s of trickle"
echo "# the engine's log: $(grep -c 'over max-per-source' \
    "$T/server/daemon.log") per-source, $(grep -c 'slower than header-timeout' \
    "$T/server/daemon.log") header-timeout lines (rate-limited)"
check "the per-source cap held" test "${held:-99}" -le 32
check "header-timeout closed every slow connection" test "${left:-1}" -eq 0

check "wrk made requests" test "${requests:-0}" -gt 0
check "no errors" test "$errors" -eq 0
# AddressSanitizer holds freed memory in its quarantine (256 MiB), so
# growth says nothing about a sanitizer build; the plain build judges it.
if grep -q __asan_init "$BIN/innernetd" 2>/dev/null; then
	echo "# growth not judged: AddressSanitizer build"
else
	grown=$(join "$T/rss.before" "$T/rss.after" | awk '
	    $1 != "wireguard-go" && $5 - $3 >= 1024 { printf " %s", $1 }')
	check "no process of the set grew by 1 MiB or more" test -z "$grown"
	[ -z "$grown" ] || echo "#   grown:$grown"
fi
check "the set is still running" daemon_running server
exit $FAILED
