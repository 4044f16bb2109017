#!/bin/sh
# The benchmark suite (make bench): figures, never a verdict on timing.
#
# A server daemon set in a namespace grows a network of 100, 1,000,
# 10,000 and 50,000 peers in /27 CIDRs of 20, through its own admin API.
# At each size it measures, over WireGuard from hand-made peers:
#   - daemon-set CPU per GET /v1/user/state and requests/s under
#     wrk -t1 -c4, for a caller that sees everything and one that sees a
#     single CIDR, and for If-None-Match answered 304;
#   - the same bytes served by nginx from a file on the same address, in
#     rounds alternating with ours, so that both see the same machine;
#   - daemon-set memory idle and under that load;
#   - restart to serving (WireGuard kept, and WireGuard from empty), the
#     WireGuard peer operations each needs, and one peer added on top;
#   - a bare wireguard-go given the same peers from empty by one
#     wg setconf: the floor userspace WireGuard sets for that start;
#   - a client host's engine fetching and applying the state, and an
#     unchanged poll.
# The figures are printed and written to regress/bench/RESULTS.md, also
# when a step fails or stalls (then the report says which).
#
# BENCH_SIZES="100 1000"	sizes to run (multiples of 20, growing)
# BENCH_DURATION=10		seconds at rest; each load round is half
# BENCH_ROUNDS=4		rounds per server in each comparison with nginx
# BENCH_POLLS=20		unchanged polls averaged on the client
# BENCH_MAX_GEN_SECONDS=600	skip a size whose growth would take longer
# BENCH_RESULTS=file		where to write the report
# BENCH_SERVER_HOSTS=yes	the server host writes its hosts file too
# BENCH_STALL=30		seconds without progress that end the run
# BENCH_BIN=dir			the four programs from another build
# BENCH_NET=bench		network and interface name, and the prefix of
#				the run's namespaces (1 to 6 letters a-z)

NET=${BENCH_NET:-bench}
case "$NET" in
""|*[!a-z]*|???????*)
	echo "not ok - BENCH_NET=$NET: 1 to 6 letters a-z"
	exit 1
	;;
esac
# letters only, so that with the pid after them (in lib.sh) no run's
# names start with another's; short, so that veth names stay within 15
RUN_PREFIX=$NET
. "$(dirname "$0")/../netns/lib.sh"

BIN=${BENCH_BIN:-$BIN}
PORT=51820
SRV_IP=10.80.0.1
NGINX_PORT=8080
SIZES=${BENCH_SIZES:-100 1000 10000 50000}
DUR=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-4}
RDUR=$((DUR / 2))	# seconds per load round
[ "$RDUR" -ge 1 ] || RDUR=1
POLLS=${BENCH_POLLS:-20}
MAXGEN=${BENCH_MAX_GEN_SECONDS:-600}
# The server host's own hosts file: on, as by default; see method.md.
SRV_HOSTS=${BENCH_SERVER_HOSTS:-yes}
OUT=${BENCH_RESULTS:-$TOP/regress/bench/RESULTS.md}
STALL=${BENCH_STALL:-30}	# seconds without progress: a stall
SERVE_MAX=300		# seconds a start may take to serve
HZ=$(getconf CLK_TCK)
R="$T/results"		# "size key value" lines
NOTES="$T/notes"	# lines for the report
SKEY=""
RUN_SIZES=""		# sizes reached
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
TREE=$(cd "$TOP" && git describe --always --dirty 2>/dev/null)
T_START=$(date +%s)

: > "$R"
: > "$NOTES"

say() {
	echo "# $*"
}

note() {
	echo "$*" >> "$NOTES"
	say "$*"
}

# fail WHAT: stop here; the report keeps what was measured and says why.
fail() {
	note "Stopped: $*."
	echo "not ok - $*"
	FAILED=1
	exit 1
}

# cpu_pressure: the share of the last 5 minutes in which some task
# waited for a CPU (Linux PSI), or "n/a".
cpu_pressure() {
	awk '$1 == "some" { sub(/avg300=/, "", $4); print $4 "%"; f = 1 }
	    END { if (!f) print "n/a" }' /proc/pressure/cpu 2>/dev/null ||
	    echo n/a
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# put SIZE KEY VALUE: one figure.
put() {
	echo "$1 $2 $3" >> "$R"
	say "$1 peers: $2 = $3"
}

get() {
	awk -v s="$1" -v k="$2" \
	    '$1 == s && $2 == k { v = $3 } END { print v }' "$R"
}

# calc EXPRESSION: awk arithmetic, 3 significant digits (integers whole).
calc() {
	awk "BEGIN { v = $1; if (v >= 100 || v == int(v)) \
	    printf(\"%d\\n\", v + 0.5); else printf(\"%.3g\\n\", v) }"
}

# ratio SIZE KEY A B: A / B when both are there.
ratio() {
	_a=$(get "$1" "$3")
	_b=$(get "$1" "$4")
	case "$_a:$_b" in
	:*|*:|*:0)
		return
		;;
	esac
	put "$1" "$2" "$(calc "$_a / $_b")"
}

# --- processes and their cost, from /proc

# set_pids HOST: innernetd and its children on a host (the daemon set).
set_pids() {
	_pp=$(daemon_pid "$1")
	[ -n "$_pp" ] && kill -0 "$_pp" 2>/dev/null || return 0
	echo "$_pp"
	for _p in $(cat /proc/[0-9]*/stat 2>/dev/null | awk -v pp="$_pp" \
	    '{ pid = $1; sub(/^.*\) /, ""); if ($2 == pp) print pid }'); do
		case "$(readlink "/proc/$_p/exe" 2>/dev/null)" in
		*/innernetd|*/innernet-dbd|*/innernet-wgd)
			echo "$_p"
			;;
		esac
	done
}

# role_pid HOST ROLE: the engine, dbd, wgd or parent of a host's set.
role_pid() {
	if [ "$2" = parent ]; then
		daemon_pid "$1"
		return
	fi
	for _p in $(set_pids "$1"); do
		[ "$_p" = "$(daemon_pid "$1")" ] && continue
		_exe=$(readlink "/proc/$_p/exe" 2>/dev/null)
		case "$2:$_exe" in
		dbd:*/innernet-dbd|wgd:*/innernet-wgd)
			echo "$_p"
			return
			;;
		engine:*/innernetd)
			# the parent's only child that is innernetd again
			echo "$_p"
			return
			;;
		esac
	done
}

# ns_pids HOST PROGRAM: processes of a program in a host's namespace.
ns_pids() {
	for _p in $(ip netns pids "${RUN}$1" 2>/dev/null); do
		case "$(readlink "/proc/$_p/exe" 2>/dev/null)" in
		*/"$2")
			echo "$_p"
			;;
		esac
	done
}

# cpu_ticks PID...: utime + stime summed, in clock ticks.
cpu_ticks() {
	for _p in "$@"; do
		cat "/proc/$_p/stat" 2>/dev/null
	done | awk '{ sub(/^.*\) /, ""); t += $12 + $13 } END { print t + 0 }'
}

# cpu_ns PID...: time on CPU of every thread in nanoseconds, for single
# operations, where 10 ms ticks are too coarse.
cpu_ns() {
	for _p in "$@"; do
		cat /proc/"$_p"/task/*/schedstat 2>/dev/null
	done | awk '{ t += $1 } END { printf("%.0f\n", t) }'
}

# mem_kb FIELD PID...: VmRSS, VmHWM, RssAnon or RssFile summed, in kB.
mem_kb() {
	_fld=$1
	shift
	[ $# -gt 0 ] || { echo 0; return; }
	# one cat for all: sampled every 0.25 s on the machine under load
	cat $(printf '/proc/%s/status ' "$@") 2>/dev/null |
	    awk -v f="$_fld:" '$1 == f { t += $2 } END { print t + 0 }'
}

mb() {
	calc "$1 / 1024"
}

# pss_kb PID...: proportional set size summed, in kB: each shared page
# counted as its share among every process on the machine that maps it.
pss_kb() {
	for _p in "$@"; do
		cat "/proc/$_p/smaps_rollup" 2>/dev/null
	done | awk '$1 == "Pss:" { t += $2 } END { print t + 0 }'
}

# memfd_kb PID...: memory of the anonymous files (memfd) the processes
# hold open, each file once: the engine's state documents, which no
# process maps, so VmRSS does not count them.
memfd_kb() {
	[ $# -gt 0 ] || { echo 0; return; }
	# one find and one stat for all, not a readlink per descriptor:
	# sampled every 0.25 s on the machine under load
	find $(printf '/proc/%s/fd ' "$@") -lname '/memfd:*' \
	    -exec stat -L -c '%i %b %B' {} + 2>/dev/null |
	    awk '!seen[$1]++ { t += $2 * $3 }
	    END { printf("%d\n", t / 1024) }'
}

# uapi_ops PID: innernet-wgd's count of WireGuard peer operations
# (uapi_peer_ops in wg_uapi.c), read from its memory at the address
# the symbol table gives; "n/a" without symbols.
uapi_ops() {
	_pid=$1
	_sym=$(nm "$BIN/innernet-wgd" 2>/dev/null |
	    awk '$3 == "uapi_peer_ops" { print $1 }')
	_base=$(awk -v exe="$(readlink "/proc/$_pid/exe" 2>/dev/null)" \
	    '$6 == exe { split($1, a, "-"); print a[1]; exit }' \
	    "/proc/$_pid/maps" 2>/dev/null)
	if [ -z "$_pid" ] || [ -z "$_sym" ] || [ -z "$_base" ]; then
		echo "n/a"
		return
	fi
	_addr=$((0x$_sym))
	# position-independent: the symbol is relative to the load address
	[ "$_addr" -lt $((0x$_base)) ] && _addr=$((0x$_base + _addr))
	dd if="/proc/$_pid/mem" bs=8 count=1 skip="$_addr" \
	    iflag=skip_bytes 2>/dev/null | od -An -tu8 | tr -d ' '
}

# --- hosts and peers

# run_bg HOST command...: in the background on a host; $! is the command.
run_bg() {
	_h=$1
	shift
	(exec nsenter -t "$(cat "$T/$_h/anchor.pid")" -m -n -- "$@") &
}

bench_start() {
	# As daemon_start, without -v: per-request debug logging would be
	# part of what we measure.
	rm -f "$T/$1/innernetd.sock"
	run_bg "$1" "$BIN/innernetd" -d -f "$T/$1/innernet.conf" \
	    >>"$T/$1/daemon.log" 2>&1
	echo $! > "$T/$1/daemon.pid"
	# polled finely: the start times below begin before this call
	until_fine 20 test -S "$T/$1/innernetd.sock" >/dev/null
}

# bctl HOST args...: innernetctl, bounded in time.
bctl() {
	_h=$1
	shift
	timeout 300 nsenter -t "$(cat "$T/$_h/anchor.pid")" -m -n -- \
	    "$BIN/innernetctl" -s "$T/$_h/innernetd.sock" "$@"
}

inv_get() {
	awk -v s="[$2]" -v k="$3" '
	    /^\[/ { in_s = ($0 == s) }
	    in_s && $1 == k { sub(/^[^=]*= */, ""); gsub(/"/, ""); print }
	' "$1"
}

# wg_up HOST INVITATION: a bare wireguard-go "wg0" from the invitation,
# the server its only peer.
wg_up() {
	(umask 077 && inv_get "$2" interface private-key > "$T/$1/wg.key")
	_addr=$(inv_get "$2" interface address)
	on "$1" wireguard-go wg0 >/dev/null 2>&1 &&
	    on "$1" wg set wg0 private-key "$T/$1/wg.key" \
	    peer "$(inv_get "$2" server public-key)" \
	    endpoint "$(inv_get "$2" server external-endpoint)" \
	    allowed-ips 10.80.0.0/12 persistent-keepalive 25 &&
	    on "$1" ip addr add "$_addr" dev wg0 &&
	    on "$1" ip link set wg0 up
}

# api HOST METHOD PATH [curl arguments]: prints the status; the body is
# in $T/HOST/body, the headers in $T/HOST/headers.
api() {
	_h=$1 _m=$2 _p=$3
	shift 3
	on "$_h" curl -s -m "${API_TIMEOUT:-30}" -D "$T/$_h/headers" \
	    -o "$T/$_h/body" \
	    -w '%{http_code}' -X "$_m" -H "X-Innernet-Server-Key: $SKEY" \
	    "$@" "http://$SRV_IP:$PORT$_p"
}

etag_of() {
	tr -d '\r' < "$T/$1/headers" |
	    awk 'tolower($1) == "etag:" { print $2 }'
}

redeem() {
	(umask 077 && wg genkey > "$T/$1/wg.key.new")
	[ "$(api "$1" POST /v1/user/redeem -H 'Content-Type: application/json' \
	    --data-binary "{\"public_key\":\"$(wg pubkey < \
	    "$T/$1/wg.key.new")\"}")" = 204 ]
}

rekey() {
	mv "$T/$1/wg.key.new" "$T/$1/wg.key"
	on "$1" wg set wg0 private-key "$T/$1/wg.key"
}

state_ok() {
	[ "$(api "$1" GET /v1/user/state)" = 200 ]
}

# until_ms SECONDS command...: poll every 0.05 s (every UNTIL_STEP s);
# prints the milliseconds it took, fails after SECONDS.
UNTIL_STEP=0.05
until_ms() {
	_u0=$(now_ms)
	_ulim=$((_u0 + $1 * 1000))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -lt "$_ulim" ] || return 1
		sleep "$UNTIL_STEP"
	done
	echo $(($(now_ms) - _u0))
}

# until_fine SECONDS command...: until_ms every 0.01 s, for what is timed.
until_fine() {
	UNTIL_STEP=0.01
	until_ms "$@"
	_uf=$?
	UNTIL_STEP=0.05
	return $_uf
}

# diagnose HOST: where a host's daemon set waits, for the log.
diagnose() {
	for _p in $(set_pids "$1"); do
		say "$(tr '\0' ' ' < "/proc/$_p/cmdline") (pid $_p):" \
		    "$(awk '{ sub(/^.*\) /, ""); print "state", $1 }' \
		    "/proc/$_p/stat") in $(cat "/proc/$_p/wchan" 2>/dev/null)"
	done
	say "unix sockets with data queued:"
	ip netns exec "${RUN}$1" ss -xpn 2>/dev/null |
	    awk 'NR > 1 && ($3 > 0 || $4 > 0)' | sed 's/^/#   /'
	say "TCP connections:"
	ip netns exec "${RUN}$1" ss -tn 2>/dev/null | sed 's/^/#   /' |
	    head -10
}

# --- growing the network

NC=1		# CIDRs c0.. created (c0 at setup, with the caller "one")
NPC=0		# CIDRs whose peers are in
NX=0		# peers added one at a time, on top
GROW_ERR=0	# requests of this growth not answered 201

progress() {
	grep -Ec "adding (peer|CIDR)" "$T/server/daemon.log"
}

# curl_batch FILE: run a curl configuration from the admin caller, in
# the background, watching the server's log for progress; every request
# must be answered 201.
curl_batch() {
	_want=$(grep -c '^url = ' "$1")
	run_bg seer curl -s -K "$1" > "$1.status" 2>"$1.err"
	_cp=$!
	_last=-1
	_still=0
	while kill -0 "$_cp" 2>/dev/null; do
		sleep 0.2
		_n=$(progress)
		if [ "$_n" = "$_last" ]; then
			_still=$((_still + 1))
		else
			_still=0
			_last=$_n
		fi
		if [ "$_still" -ge $((STALL * 5)) ]; then
			kill "$_cp" 2>/dev/null
			diagnose server
			fail "growth stalled: the server took no request for" \
			    "$STALL s after $_n rows"
		fi
	done
	wait "$_cp"
	_ok=$(grep -c '^201$' "$1.status")
	[ "$_ok" -eq "$_want" ] && return
	# a few failures are a finding, not the end of the run
	sort "$1.status" | uniq -c | sed 's/^/#   /'
	_why=$(grep -E ': [45][0-9][0-9] ' "$T/server/daemon.log" | tail -1)
	[ $(((_want - _ok) * 100)) -le "$_want" ] ||
	    fail "growth: $_ok of $_want requests answered 201 ($_why)"
	GROW_ERR=$((GROW_ERR + _want - _ok))
	note "growth: $((_want - _ok)) of $_want requests not answered 201;" \
	    "the server's log: $_why"
}

# grow N: CIDRs and their peers up to N generated peers.
grow() {
	_to=$(($1 / 20))
	for _r in engine dbd wgd; do
		eval "_p_$_r=\$(role_pid server $_r)"
		eval "_g_$_r=\$(cpu_ns \$_p_$_r)"
	done
	_g_wggo=$(cpu_ticks $(ns_pids server wireguard-go))
	_t0=$(now_ms)
	_rows=0
	if [ "$_to" -gt "$NC" ]; then
		awk -v mode=cidrs -v from="$NC" -v to="$_to" \
		    -v url="http://$SRV_IP:$PORT" -v key="$SKEY" \
		    -f "$TOP/regress/bench/gen.awk" > "$T/cidrs.cfg"
		curl_batch "$T/cidrs.cfg"
		_rows=$(grep -c "^url = " "$T/cidrs.cfg")
		NC=$_to
	fi
	[ "$(api seer GET /v1/admin/cidrs)" = 200 ] ||
	    fail "growth: cannot list the CIDRs"
	jq -r '.[] | "\(.name) \(.id)"' "$T/seer/body" > "$T/cidrs.map"
	_n=$(((_to - NPC) * 20))
	od -An -v -tu1 -N $((_n * 32)) /dev/urandom |
	    awk -v mode=peers -v from="$NPC" -v to="$_to" -v per=20 \
	    -v skip=0-1 -v url="http://$SRV_IP:$PORT" -v key="$SKEY" \
	    -f "$TOP/regress/bench/gen.awk" "$T/cidrs.map" - \
	    > "$T/peers.cfg" || fail "growth: the generator failed"
	curl_batch "$T/peers.cfg"
	NPC=$_to
	_ms=$(($(now_ms) - _t0))
	_rows=$((_rows + $(grep -c "^url = " "$T/peers.cfg")))
	put "$1" grow_rows "$_rows"
	put "$1" grow_errors "$GROW_ERR"
	GROW_ERR=0
	put "$1" grow_s "$(calc "$_ms / 1000")"
	put "$1" grow_rows_per_s "$(calc "$_rows * 1000 / ($_ms + 1)")"
	for _r in engine dbd wgd; do
		eval "_v=\"\$(cpu_ns \$_p_$_r) - \$_g_$_r\""
		put "$1" "grow_${_r}_us" "$(calc "($_v) / 1000 / $_rows")"
	done
	put "$1" grow_wggo_us "$(calc "($(cpu_ticks $(ns_pids server \
	    wireguard-go)) - $_g_wggo) * 1000000 / $HZ / $_rows")"
}

# --- the network and its callers

setup() {
	host_add server 192.0.2.1
	host_add seer 192.0.2.2
	host_add one 192.0.2.3
	host_add watch 192.0.2.4
	echo "fetch-interval: 86400" >> "$T/watch/innernet.conf"
	echo "write-hosts: $SRV_HOSTS" >> "$T/server/innernet.conf"

	bench_start server && wait_until 10 bctl server status ||
	    fail "the server's daemon set does not start"
	bctl server new --network-name "$NET" --network-cidr 10.80.0.0/12 \
	    --external-endpoint 192.0.2.1:$PORT --listen-port $PORT \
	    >/dev/null || fail "innernetctl new"
	wait_until 20 on server wg show "$NET" ||
	    fail "the server's WireGuard interface"
	for c in seers:10.80.1.0/24 watch:10.80.2.0/24 c0:10.81.0.0/27; do
		bctl server add-cidr "$NET" --name "${c%%:*}" \
		    --cidr "${c#*:}" --parent "$NET" --yes >/dev/null ||
		    fail "add-cidr ${c%%:*}"
	done
	bctl server add-association "$NET" seers "$NET" >/dev/null ||
	    fail "associating the callers' CIDR with the root"
	for p in seer:seers:true:10.80.1.2 one:c0:false:10.81.0.1 \
	    watch:watch:false:10.80.2.2; do
		IFS=: read -r name cidr admin ip <<P
$p
P
		bctl server add-peer "$NET" --name "$name" --cidr "$cidr" \
		    --admin "$admin" --ip "$ip" --save-config "$T/$name.toml" \
		    --invite-expires 1h --yes >/dev/null ||
		    fail "add-peer $name"
	done
	SKEY=$(inv_get "$T/seer.toml" server public-key)
	for h in seer one; do
		wg_up "$h" "$T/$h.toml" || fail "$h: WireGuard"
	done
	until_ms 20 on seer ping -c1 -W1 $SRV_IP >/dev/null ||
	    fail "the caller does not reach the server"
	redeem seer && redeem one || fail "redeeming the callers"
	sleep 6		# the server takes the new keys after 5 s
	rekey seer && rekey one || fail "the callers' new keys"
	wait_until 20 state_ok seer && wait_until 20 state_ok one ||
	    fail "the callers cannot read the state"

	bench_start watch && wait_until 10 bctl watch status ||
	    fail "the client's daemon set does not start"
	# install answers once the first state is fetched and applied
	_t0=$(now_ms)
	bctl watch install "$T/watch.toml" --default-name >/dev/null ||
	    fail "innernetctl install on the client"
	INSTALL_MS=$(($(now_ms) - _t0))
}

# --- measurements

# idle SIZE: memory and background CPU of the daemon set at rest.
idle() {
	sleep 3
	_set=$(set_pids server)
	for _r in parent engine dbd wgd; do
		put "$1" "rss_${_r}_mb" "$(mb "$(mem_kb VmRSS \
		    "$(role_pid server $_r)")")"
	done
	put "$1" rss_idle_mb "$(mb "$(mem_kb VmRSS $_set)")"
	put "$1" rss_idle_anon_mb "$(mb "$(mem_kb RssAnon $_set)")"
	put "$1" rss_idle_file_mb "$(mb "$(mem_kb RssFile $_set)")"
	put "$1" pss_idle_mb "$(mb "$(pss_kb $_set)")"
	put "$1" memfd_idle_mb "$(mb "$(memfd_kb $_set)")"
	put "$1" rss_wggo_mb "$(mb "$(mem_kb VmRSS \
	    $(ns_pids server wireguard-go))")"
	for _r in engine dbd wgd; do
		eval "_p_$_r=\$(role_pid server $_r)"
		eval "_i_$_r=\$(cpu_ns \$_p_$_r)"
	done
	_c0=$(cpu_ns $_set)
	sleep "$DUR"
	put "$1" idle_cpu_ms_per_s "$(calc "($(cpu_ns $_set) - $_c0) / \
	    1000000 / $DUR")"
	for _r in engine dbd wgd; do
		eval "_v=\"\$(cpu_ns \$_p_$_r) - \$_i_$_r\""
		put "$1" "idle_${_r}_ms_per_s" \
		    "$(calc "($_v) / 1000000 / $DUR")"
	done
}

# capture SIZE: what each caller is served, for nginx and the 304 runs.
capture() {
	mkdir -p "$T/www"
	for _h in seer one; do
		[ "$(API_TIMEOUT=300 api "$_h" GET /v1/user/state)" = 200 ] ||
		    fail "$_h cannot read the state"
		cp "$T/$_h/body" "$T/www/$_h.json"
		put "$1" "${_h}_state_peers" \
		    "$(jq '.peers | length' "$T/$_h/body")"
		put "$1" "${_h}_state_kb" \
		    "$(calc "$(wc -c < "$T/$_h/body") / 1024")"
	done
	chmod 0755 "$T/www"
	chmod 0644 "$T/www/"*.json
}

# load_round SIZE NAME ROUND HOST URL PIDS [wrk arguments]: one wrk run
# of RDUR seconds; the CPU of the PIDS (a quoted list) and of the
# server's WireGuard, their memory sampled every 0.25 s, and wrk's
# figures go to $T/rounds as one line:
#   size name round requests req/s cpu_ns wggo_ticks bytes errors
#   latency_us peak_rss_kb peak_memfd_kb peak_sum_kb
load_round() {
	_s=$1 _n=$2 _rn=$3 _h=$4 _url=$5 _pids=$6
	shift 6
	_wg=$(ns_pids server wireguard-go)
	_c0=$(cpu_ns $_pids)
	_g0=$(cpu_ticks $_wg)
	run_bg "$_h" wrk -t1 -c4 -d"${RDUR}s" --timeout 5s \
	    -H "X-Innernet-Server-Key: $SKEY" "$@" "$_url" \
	    > "$T/wrk.$_n" 2>&1
	_wp=$!
	_peak=0
	_peakfd=0
	_peaksum=0
	_i=0
	while kill -0 "$_wp" 2>/dev/null && [ "$_i" -lt $((RDUR * 4 + 60)) ]
	do
		_m=$(mem_kb VmRSS $_pids)
		_f=$(memfd_kb $_pids)
		[ "$_m" -gt "$_peak" ] && _peak=$_m
		[ "$_f" -gt "$_peakfd" ] && _peakfd=$_f
		[ $((_m + _f)) -gt "$_peaksum" ] && _peaksum=$((_m + _f))
		sleep 0.25
		_i=$((_i + 1))
	done
	kill "$_wp" 2>/dev/null
	wait "$_wp"
	_c1=$(cpu_ns $_pids)
	_g1=$(cpu_ticks $_wg)
	awk '
	function bytes(s,	u, m) {
		u = s
		sub(/^[0-9.]+/, "", u)
		sub(/[A-Za-z]+$/, "", s)
		m = 1
		if (u == "KB") m = 1024
		if (u == "MB") m = 1048576
		if (u == "GB") m = 1073741824
		return (s * m)
	}
	function usec(s,	u, m) {
		u = s
		sub(/^[0-9.]+/, "", u)
		m = 1
		if (u == "ms") m = 1000
		if (u == "s") m = 1000000
		if (u == "m") m = 60000000
		return (s * m)
	}
	/requests in/ { n = $1; b = bytes($5) }
	/^Requests\/sec:/ { rps = $2 }
	/Non-2xx/ { e += $NF }
	/Socket errors/ { gsub(/,/, ""); e += $4 + $6 + $8 + $10 }
	/Latency/ && !lat { lat = usec($2) }
	END { print n + 0, rps + 0, b + 0, e + 0, lat + 0 }' "$T/wrk.$_n" \
	    > "$T/wrk.fig"
	read -r _req _rps _bytes _err _lat < "$T/wrk.fig"
	if [ "$_req" -eq 0 ] || [ "$_rps" = 0 ]; then
		sed 's/^/#   /' "$T/wrk.$_n"
		note "$_s peers, $_n: wrk made no request in round $_rn"
		return
	fi
	echo "$_s $_n $_rn $_req $_rps $((_c1 - _c0)) $((_g1 - _g0))" \
	    "$_bytes $_err $_lat $_peak $_peakfd $_peaksum" >> "$T/rounds"
	say "$_s peers: $_n round $_rn: $_req requests, $_rps/s"
}

# sum_up SIZE NAME: a server's rounds in one comparison taken together,
# as one run as long as all of them.
sum_up() {
	awk -v s="$1" -v n="$2" '$1 == s && $2 == n {
		k++; req += $4; secs += $4 / $5; cpu += $6; wg += $7
		by += $8; err += $9; lat += $10 * $4
		if ($11 > rss) rss = $11
		if ($12 > fd) fd = $12
		if ($13 > sum) sum = $13
	}
	END {
		if (k) printf("%d %f %.0f %d %.0f %d %f %d %d %d\n",
		    req, secs, cpu, wg, by, err, lat / req, rss, fd, sum)
	}' "$T/rounds" > "$T/sum"
	[ -s "$T/sum" ] || return 0
	read -r _req _secs _cpu _wgt _bytes _err _lat _peak _peakfd _peaksum \
	    < "$T/sum"
	put "$1" "${2}_rps" "$(calc "$_req / $_secs")"
	put "$1" "${2}_cpu_us" "$(calc "$_cpu / 1000 / $_req")"
	case "$2" in
	ours_*)
		# the same without the set's background work at rest
		put "$1" "${2}_cpu_net_us" "$(calc "($_cpu / 1000000 - \
		    $(get "$1" idle_cpu_ms_per_s) * $_secs) * 1000 / $_req")"
		;;
	esac
	put "$1" "${2}_wggo_us" "$(calc "$_wgt * 1000000 / $HZ / $_req")"
	put "$1" "${2}_bytes" "$(calc "$_bytes / $_req")"
	put "$1" "${2}_latency" "$(awk -v l="$_lat" 'BEGIN {
		if (l < 1000) printf("%.3gus\n", l)
		else if (l < 1000000) printf("%.3gms\n", l / 1000)
		else printf("%.3gs\n", l / 1000000) }')"
	put "$1" "${2}_errors" "$_err"
	put "$1" "${2}_peak_rss_mb" "$(mb "$_peak")"
	put "$1" "${2}_peak_memfd_mb" "$(mb "$_peakfd")"
	put "$1" "${2}_peak_total_mb" "$(mb "$_peaksum")"
}

# spread SIZE KIND: ours/nginx in each round of a comparison (both ran
# within seconds of each other), and of those ratios the median and the
# lowest and highest, for requests/s and for CPU per request.
spread() {
	awk -v s="$1" -v o="ours_$2" -v g="nginx_$2" '
	function show(key, v, n,	i, j, x, med) {
		if (n == 0)
			return
		for (i = 2; i <= n; i++)	# insertion sort, n is small
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				x = v[j]; v[j] = v[j - 1]; v[j - 1] = x
			}
		med = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		print key, med, v[1], v[n], n
	}
	$1 == s && $2 == o { oq[$3] = $4; orps[$3] = $5; oc[$3] = $6 }
	$1 == s && $2 == g { gq[$3] = $4; grps[$3] = $5; gc[$3] = $6 }
	END {
		for (r in orps)
			if ((r in grps) && gc[r] > 0) {
				m++
				rr[m] = orps[r] / grps[r]
				cr[m] = (oc[r] / oq[r]) / (gc[r] / gq[r])
			}
		show("rps", rr, m)
		show("cpu", cr, m)
	}' "$T/rounds" > "$T/spread"
	while read -r _key _med _lo _hi _m; do
		put "$1" "${_key}_ratio_$2_med" "$(calc "$_med")"
		put "$1" "${_key}_ratio_$2_spread" \
		    "$(calc "$_lo")–$(calc "$_hi")"
		[ "$_key" = rps ] && [ "$_m" -lt "$ROUNDS" ] &&
		    note "$1 peers, $2: ratios from $_m of $ROUNDS rounds"
	done < "$T/spread"
}

nginx_start() {
	mkdir -p "$T/nginx/tmp"
	cat > "$T/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/nginx/tmp/body;
	proxy_temp_path $T/nginx/tmp/proxy;
	fastcgi_temp_path $T/nginx/tmp/fastcgi;
	uwsgi_temp_path $T/nginx/tmp/uwsgi;
	scgi_temp_path $T/nginx/tmp/scgi;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000000;
	default_type application/json;
	server {
		listen $SRV_IP:$NGINX_PORT;
		root $T/www;
	}
}
CONF
	rm -f "$T/nginx/nginx.pid"
	run_bg server nginx -p "$T/nginx" -e "$T/nginx/error.log" \
	    -c "$T/nginx/nginx.conf" >> "$T/nginx/out.log" 2>&1
	echo $! > "$T/nginx/master.pid"
	wait_until 10 test -s "$T/nginx/nginx.pid" &&
	    wait_until 10 on seer curl -sf -o /dev/null \
	    "http://$SRV_IP:$NGINX_PORT/seer.json"
}

nginx_stop() {
	_p=$(cat "$T/nginx/master.pid" 2>/dev/null)
	[ -n "$_p" ] || return 0
	kill -TERM "$_p" 2>/dev/null
	wait_until 10 sh -c "! kill -0 $_p 2>/dev/null" ||
	    kill -KILL "$_p" 2>/dev/null
	rm -f "$T/nginx/master.pid"
}

# serve_round SIZE KIND WHO ROUND: one round of ours or nginx for the
# all-seeing caller, the one-CIDR caller or the 304s.
serve_round() {
	_host=seer
	[ "$2" = one ] && _host=one
	if [ "$3" = ours ]; then
		_to="http://$SRV_IP:$PORT/v1/user/state"
		_who=$SET
		if [ "$2" = 304 ]; then
			# the ETag changes with the endpoints WireGuard saw:
			# ask just before
			[ "$(API_TIMEOUT=300 api seer GET /v1/user/state)" = \
			    200 ] || fail "the all-seeing caller cannot" \
			    "read the state"
			_etag=$(etag_of seer)
		fi
	else
		_to="http://$SRV_IP:$NGINX_PORT/$_host.json"
		_who=$NGINX_PIDS
		_etag=$NGINX_ETAG
	fi
	if [ "$2" = 304 ]; then
		load_round "$1" "$3_$2" "$4" "$_host" "$_to" "$_who" \
		    -H "If-None-Match: $_etag"
	else
		load_round "$1" "$3_$2" "$4" "$_host" "$_to" "$_who"
	fi
}

# serve SIZE: state under load from both callers and as 304, each
# compared with the same bytes from nginx in ROUNDS rounds per server,
# ours first in odd rounds and nginx first in even ones.
serve() {
	SET=$(set_pids server)
	NGINX_PIDS=""
	if nginx_start; then
		NGINX_PIDS=$(ns_pids server nginx)
		on seer curl -s -D "$T/seer/headers" -o /dev/null \
		    "http://$SRV_IP:$NGINX_PORT/seer.json"
		NGINX_ETAG=$(etag_of seer)
	else
		sed 's/^/#   /' "$T/nginx/error.log" 2>/dev/null | tail -5
		note "$1 peers: nginx did not start; no comparison"
		nginx_stop
	fi
	for _sk in all one 304; do
		_sr=1
		while [ "$_sr" -le "$ROUNDS" ]; do
			if [ -z "$NGINX_PIDS" ]; then
				serve_round "$1" "$_sk" ours "$_sr"
			elif [ $((_sr % 2)) -eq 1 ]; then
				serve_round "$1" "$_sk" ours "$_sr"
				serve_round "$1" "$_sk" nginx "$_sr"
			else
				serve_round "$1" "$_sk" nginx "$_sr"
				serve_round "$1" "$_sk" ours "$_sr"
			fi
			_sr=$((_sr + 1))
		done
		sum_up "$1" "ours_$_sk"
		[ -n "$NGINX_PIDS" ] || continue
		sum_up "$1" "nginx_$_sk"
		ratio "$1" "cpu_ratio_$_sk" "ours_${_sk}_cpu_us" \
		    "nginx_${_sk}_cpu_us"
		ratio "$1" "rps_ratio_$_sk" "ours_${_sk}_rps" \
		    "nginx_${_sk}_rps"
		spread "$1" "$_sk"
	done
	put "$1" rss_hwm_mb "$(mb "$(mem_kb VmHWM $SET)")"
	nginx_stop
	for _k in ours_304 nginx_304; do
		_b=$(get "$1" "${_k}_bytes")
		[ -n "$_b" ] && [ "${_b%.*}" -gt 1000 ] &&
		    note "$1 peers: $_k was answered with bodies ($_b bytes" \
		    "per response), not 304"
	done
}

# client_fetch SIZE KEY: one innernetctl fetch on the client host; CPU
# of its engine and of its whole set.
client_fetch() {
	_eng=$(role_pid watch engine)
	_set=$(set_pids watch)
	_wggo=$(ns_pids watch wireguard-go)
	_e0=$(cpu_ns "$_eng")
	_s0=$(cpu_ns $_set)
	_g0=$(cpu_ns $_wggo)
	_t0=$(now_ms)
	if ! bctl watch -j fetch "$NET" > "$T/fetch.json" 2>"$T/fetch.err"
	then
		note "$1 peers: innernetctl fetch on the client failed:" \
		    "$(cat "$T/fetch.err")"
		return 1
	fi
	_t1=$(now_ms)
	sleep 1		# the hosts file is written after the answer
	put "$1" "${2}_new" "$(jq -r '.added' "$T/fetch.json")"
	put "$1" "${2}_gone" "$(jq -r '.removed' "$T/fetch.json")"
	put "$1" "${2}_wg_peers" "$(on watch wg show "$NET" peers | wc -l)"
	put "$1" "${2}_ms" "$((_t1 - _t0))"
	put "$1" "${2}_engine_ms" \
	    "$(calc "($(cpu_ns "$_eng") - $_e0) / 1000000")"
	put "$1" "${2}_set_ms" "$(calc "($(cpu_ns $_set) - $_s0) / 1000000")"
	put "$1" "${2}_wggo_ms" \
	    "$(calc "($(cpu_ns $_wggo) - $_g0) / 1000000")"
}

# client SIZE: the client's CIDR is associated with the root, so its
# next fetch brings every peer, then unchanged polls, then the
# association goes and the peers with it.
client() {
	# the server's endpoint refresh (every 10 s) picks up the handshakes
	# that followed the restart and so changes the state once: let it,
	# or the unchanged polls would not be unchanged
	sleep 15
	bctl server add-association "$NET" watch "$NET" >/dev/null ||
	    fail "associating the client's CIDR"
	if client_fetch "$1" client_fetch; then
		put "$1" client_rss_mb \
		    "$(mb "$(mem_kb VmRSS $(set_pids watch))")"
		_eng=$(role_pid watch engine)
		_e0=$(cpu_ns "$_eng")
		_i=0
		while [ "$_i" -lt "$POLLS" ]; do
			bctl watch -j fetch "$NET" > "$T/fetch.json" ||
			    break
			[ "$(jq -r .changed "$T/fetch.json")" = false ] ||
			    note "$1 peers: an unchanged poll was not" \
			    "answered 304"
			_i=$((_i + 1))
		done
		[ "$_i" -eq "$POLLS" ] && put "$1" client_poll_engine_us \
		    "$(calc "($(cpu_ns "$_eng") - $_e0) / 1000 / $POLLS")"
	fi
	bctl server delete-association "$NET" watch "$NET" >/dev/null ||
	    fail "removing the client's association"
	client_fetch "$1" client_drop ||
	    bctl watch fetch "$NET" >/dev/null 2>&1
}

listens() {
	grep -c "API listening" "$T/server/daemon.log"
}

listening_since() {
	[ "$(listens)" -gt "$1" ]
}

# state_quick: the all-seeing caller is served, asked with a short
# timeout (a server that is not up yet drops the packets).
state_quick() {
	[ "$(on seer curl -s -m 2 -o /dev/null -w '%{http_code}' \
	    -H "X-Innernet-Server-Key: $SKEY" \
	    "http://$SRV_IP:$PORT/v1/user/state")" = 200 ]
}

# reset_callers: a fresh WireGuard session to a new server interface;
# the old one would only be given up after WireGuard's timeouts.
reset_callers() {
	for _h in seer one; do
		on "$_h" wg set wg0 peer "$SKEY" remove &&
		    on "$_h" wg set wg0 peer "$SKEY" endpoint 192.0.2.1:$PORT \
		    allowed-ips 10.80.0.0/12 persistent-keepalive 25
	done
}

# start_timed SIZE KIND: start the server's set; the time until its API
# listens and until the all-seeing caller is served, the WireGuard peer
# operations wgd made, and the CPU all of it took.
start_timed() {
	_g0=$(cpu_ns $(ns_pids server wireguard-go))
	_l0=$(listens)
	_t0=$(now_ms)
	bench_start server || fail "the server's set does not start"
	until_fine "$SERVE_MAX" listening_since "$_l0" >/dev/null ||
	    fail "the API does not listen $SERVE_MAX s after a start"
	_t1=$(now_ms)
	[ "$2" = cold ] && reset_callers
	until_fine 60 state_quick >/dev/null ||
	    fail "no state 60 s after the API listens again"
	_t2=$(now_ms)
	_wgd=$(role_pid server wgd)
	put "$1" "${2}_listen_ms" "$((_t1 - _t0))"
	put "$1" "${2}_serve_ms" "$((_t2 - _t0))"
	put "$1" "${2}_uapi_ops" "$(uapi_ops "$_wgd")"
	put "$1" "${2}_cpu_ms" \
	    "$(calc "$(cpu_ns $(set_pids server)) / 1000000")"
	put "$1" "${2}_wgd_cpu_ms" "$(calc "$(cpu_ns "$_wgd") / 1000000")"
	put "$1" "${2}_wggo_cpu_ms" \
	    "$(calc "($(cpu_ns $(ns_pids server wireguard-go)) - $_g0) / \
	    1000000")"
}

wggo_gone() {
	[ -z "$(ns_pids "$1" wireguard-go)" ]
}

# wggo_stop HOST SIZE: stop the host's wireguard-go, which takes a while
# to let go of thousands of peers, and delete its interface.
wggo_stop() {
	_wggo=$(ns_pids "$1" wireguard-go)
	[ -n "$_wggo" ] && kill -TERM $_wggo
	until_ms 120 wggo_gone "$1" >/dev/null || {
		note "$2 peers: wireguard-go on $1 needed SIGKILL to stop"
		kill -KILL $_wggo 2>/dev/null
		sleep 1
	}
	on "$1" ip link del "$NET" 2>/dev/null
	on "$1" rm -f "/var/run/wireguard/$NET.sock"
}

# restart SIZE: the set stopped and started with WireGuard kept, then
# with WireGuard from empty, then one peer added on top.
restart() {
	_wgpeers=$(($(get "$1" seer_state_peers) - 1))
	daemon_stop server
	start_timed "$1" warm

	daemon_stop server
	# wireguard-go outlives the set
	wggo_stop server "$1"
	start_timed "$1" cold
	_n=$(on server wg show "$NET" peers | wc -l)
	[ "$_n" -eq "$_wgpeers" ] ||
	    note "$1 peers: WireGuard has $_n peers after the start" \
	    "from empty, $_wgpeers expected"
	# for the floor: what the set has just given WireGuard
	(umask 077 && on server wg showconf "$NET" > "$T/floor.conf") ||
	    rm -f "$T/floor.conf"
	# the client's daemon finds the new interface on its own, after
	# WireGuard's timeouts; wait for it to reach the server again
	until_ms 60 on watch ping -c1 -W1 "$SRV_IP" >/dev/null ||
	    fail "the client does not reach the server after its restart"

	_wgd=$(role_pid server wgd)
	NX=$((NX + 1))
	_o0=$(uapi_ops "$_wgd")
	_t0=$(now_ms)
	[ "$(api seer POST /v1/admin/peers -H \
	    'Content-Type: application/json' --data-binary "{\"name\":\
\"x$NX\",\"ip\":\"10.80.1.$((NX + 10))\",\"cidr_id\":3,\"public_key\":\
\"$(wg genkey | wg pubkey)\",\"endpoint\":null,\
\"persistent_keepalive_interval\":25,\"is_admin\":false,\
\"is_disabled\":false,\"is_redeemed\":true,\"invite_expires\":null}")" \
	    = 201 ] || note "$1 peers: adding one peer was not answered 201:" \
	    "$(cat "$T/seer/body")"
	put "$1" add_one_ms "$(($(now_ms) - _t0))"
	_o1=$(uapi_ops "$_wgd")
	case "$_o0$_o1" in
	*n/a*)
		put "$1" add_one_uapi_ops n/a
		;;
	*)
		put "$1" add_one_uapi_ops "$((_o1 - _o0))"
		;;
	esac
}

# floor_host: a namespace of the run for the floor, with a mount
# namespace of its own for /var/run/wireguard as host_add makes, but
# only loopback: the server's key and endpoints must reach no one.
floor_host() {
	[ -s "$T/floor/anchor.pid" ] && return 0
	mkdir -p "$T/floor"
	ip netns add "${RUN}floor" &&
	    ip -n "${RUN}floor" link set lo up || return 1
	ip netns exec "${RUN}floor" unshare -m --propagation private sh -c \
	    "mount -t tmpfs tmpfs /var/run/wireguard && \
	    echo \$\$ > '$T/floor/anchor.pid' && exec sleep 86400" &
	wait_until 5 test -s "$T/floor/anchor.pid"
}


# floor SIZE: what userspace WireGuard itself takes to start from empty.
# A bare wireguard-go interface, up and empty, is given in one wg setconf
# what the server's set gave its own at the start from empty (wg
# showconf: key, port, every peer with its allowed IPs, endpoint and
# keepalive); the command's wall time, wireguard-go's CPU and wg's.
floor() {
	[ -s "$T/floor.conf" ] || {
		note "$1 peers: no floor: the server's wg showconf failed"
		return
	}
	floor_host || fail "the floor's namespace"
	if ! on floor wireguard-go "$NET" >/dev/null 2>&1 ||
	    ! wait_until 10 on floor wg show "$NET" ||
	    ! on floor ip link set "$NET" up; then
		note "$1 peers: no floor: wireguard-go did not start"
		wggo_stop floor "$1"
		return
	fi
	_fg=$(ns_pids floor wireguard-go)
	_f0=$(cpu_ns $_fg)
	# bash's time: wall, user and system time of wg alone, to the ms
	# (getrusage; the POSIX shell's times counts 10 ms ticks)
	if ! on floor env LC_ALL=C bash -c 'TIMEFORMAT="%3R %3U %3S"
	    time wg setconf "$1" "$2" 2>"$3"' bash "$NET" "$T/floor.conf" \
	    "$T/floor.err" 2> "$T/floor.time"; then
		note "$1 peers: no floor: wg setconf failed:" \
		    "$(head -1 "$T/floor.err")"
		wggo_stop floor "$1"
		return
	fi
	_f1=$(cpu_ns $_fg)
	read -r _fr _fu _fs < "$T/floor.time"
	put "$1" floor_peers "$(on floor wg show "$NET" peers | wc -l)"
	put "$1" floor_ms "$(calc "$_fr * 1000")"
	put "$1" floor_wggo_cpu_ms "$(calc "($_f1 - $_f0) / 1000000")"
	put "$1" floor_wg_cpu_ms "$(calc "($_fu + $_fs) * 1000")"
	wggo_stop floor "$1"
}

# --- the report

ROWS='grow_rows|rows added through the admin API (this step)
grow_errors|  of which not answered 201
grow_s|time to add them (s)
grow_rows_per_s|rows added per second
grow_engine_us|  engine CPU per row (µs)
grow_dbd_us|  dbd CPU per row (µs)
grow_wgd_us|  wgd CPU per row (µs)
grow_wggo_us|  wireguard-go CPU per row (µs)
seer_state_peers|peers in the state of the all-seeing caller
seer_state_kb|its state document (KiB)
one_state_peers|peers in the state of the one-CIDR caller
one_state_kb|its state document (KiB)
ours_all_cpu_us|**CPU per GET state, all-seeing caller (µs)**
ours_all_cpu_net_us|  the same less the CPU at rest (µs)
nginx_all_cpu_us|nginx CPU per request, same bytes (µs)
cpu_ratio_all|**CPU ratio ours/nginx, all-seeing**
cpu_ratio_all_med|  median of the per-round ratios
cpu_ratio_all_spread|  lowest–highest per-round ratio
ours_all_rps|requests/s, all-seeing caller
nginx_all_rps|nginx requests/s, same bytes
rps_ratio_all|requests/s ratio ours/nginx, all-seeing
rps_ratio_all_med|  **median of the per-round ratios**
rps_ratio_all_spread|  lowest–highest per-round ratio
ours_all_wggo_us|server wireguard-go CPU per request, ours (µs)
nginx_all_wggo_us|server wireguard-go CPU per request, nginx (µs)
ours_all_latency|mean latency, ours, all-seeing
ours_all_errors|errors (non-2xx/3xx, socket), ours, all-seeing
ours_one_cpu_us|**CPU per GET state, one-CIDR caller (µs)**
ours_one_cpu_net_us|  the same less the CPU at rest (µs)
nginx_one_cpu_us|nginx CPU per request, same bytes (µs)
cpu_ratio_one|**CPU ratio ours/nginx, one-CIDR**
cpu_ratio_one_med|  median of the per-round ratios
cpu_ratio_one_spread|  lowest–highest per-round ratio
ours_one_rps|requests/s, one-CIDR caller
nginx_one_rps|nginx requests/s, same bytes
rps_ratio_one|requests/s ratio ours/nginx, one-CIDR
rps_ratio_one_med|  **median of the per-round ratios**
rps_ratio_one_spread|  lowest–highest per-round ratio
ours_304_cpu_us|**CPU per If-None-Match → 304 (µs)**
ours_304_cpu_net_us|  the same less the CPU at rest (µs)
nginx_304_cpu_us|nginx CPU per 304 (µs)
cpu_ratio_304|CPU ratio ours/nginx, 304
cpu_ratio_304_med|  median of the per-round ratios
cpu_ratio_304_spread|  lowest–highest per-round ratio
ours_304_rps|requests/s, 304
nginx_304_rps|nginx requests/s, 304
rps_ratio_304|requests/s ratio ours/nginx, 304
rps_ratio_304_med|  **median of the per-round ratios**
rps_ratio_304_spread|  lowest–highest per-round ratio
ours_304_bytes|bytes per 304 response, ours
rss_idle_mb|**daemon set RSS idle (MiB)**
rss_parent_mb|  parent
rss_engine_mb|  engine
rss_dbd_mb|  dbd
rss_wgd_mb|  wgd
rss_idle_anon_mb|  of which anonymous (private to each process)
rss_idle_file_mb|  of which file-backed (programs, shared libraries)
pss_idle_mb|daemon set PSS idle, shared pages split among sharers (MiB)
memfd_idle_mb|state documents held in memfd, idle (MiB)
ours_all_peak_rss_mb|**daemon set RSS peak under load (MiB)**
ours_all_peak_memfd_mb|state documents held in memfd, peak under load (MiB)
ours_all_peak_total_mb|**RSS + memfd documents, peak under load (MiB)**
rss_hwm_mb|daemon set VmHWM after the load runs (MiB)
rss_wggo_mb|server wireguard-go RSS (MiB)
idle_cpu_ms_per_s|daemon set CPU at rest (ms per s)
idle_engine_ms_per_s|  engine (ms per s)
idle_dbd_ms_per_s|  dbd (ms per s)
idle_wgd_ms_per_s|  wgd (ms per s)
warm_listen_ms|restart to API listening, WireGuard kept (ms)
warm_serve_ms|**restart to state served, WireGuard kept (ms)**
warm_uapi_ops|  WireGuard peer operations
warm_cpu_ms|  daemon set CPU for it (ms)
warm_wgd_cpu_ms|  of which wgd (ms)
warm_wggo_cpu_ms|  wireguard-go CPU for it (ms)
cold_listen_ms|**start to API listening, WireGuard from empty (ms)**
cold_serve_ms|start to state served, WireGuard from empty (ms)
cold_uapi_ops|  WireGuard peer operations
cold_cpu_ms|  daemon set CPU for it (ms)
cold_wgd_cpu_ms|  of which wgd (ms)
cold_wggo_cpu_ms|  wireguard-go CPU for it (ms)
floor_ms|**floor: bare wireguard-go, same peers, one wg setconf (ms)**
floor_peers|  peers it was given
floor_wggo_cpu_ms|  wireguard-go CPU for it (ms)
floor_wg_cpu_ms|  wg CPU for it (ms)
install_ms|**install, invitation to first state fetched (ms)**
add_one_ms|one peer added on top (ms)
add_one_uapi_ops|  WireGuard peer operations
client_fetch_wg_peers|**client: WireGuard peers after the fetch**
client_fetch_new|  of which the client had never seen
client_fetch_engine_ms|**client engine CPU to fetch and apply them (ms)**
client_fetch_set_ms|client daemon set CPU for it (ms)
client_fetch_wggo_ms|client wireguard-go CPU for it (ms)
client_fetch_ms|client fetch wall time (ms)
client_poll_engine_us|**client engine CPU per unchanged poll, 304 (µs)**
client_rss_mb|client daemon set RSS with the peers (MiB)
client_drop_gone|client: peers gone in the next fetch
client_drop_wg_peers|  WireGuard peers after it
client_drop_engine_ms|client engine CPU to remove them (ms)
client_drop_ms|client fetch wall time for it (ms)'

report() {
	_cols=$RUN_SIZES
	_git=$TREE
	[ -n "${BENCH_BIN:-}" ] &&
	    _git="$_git; programs from another build (BENCH_BIN)"
	{
		echo "# Benchmark results"
		echo
		echo "Written by \`make bench\` (regress/bench/run.sh):" \
		    "one run, figures and ratios, no verdicts."
		echo
		echo "- Machine: $(nproc) CPUs, $(awk -F': ' \
		    '/^model name/ { print $2; exit }' /proc/cpuinfo)," \
		    "$(awk '/^MemTotal/ { printf("%.0f GiB", $2 / 1048576) }' \
		    /proc/meminfo) memory"
		echo "- Kernel: $(uname -sr)"
		echo "- Date: $STARTED; took" \
		    "$((($(date +%s) - T_START) / 60))" \
		    "min; load average at start $LOAD0, at end" \
		    "$(cut -d' ' -f1-3 /proc/loadavg); tasks waiting for a" \
		    "CPU (PSI, 5 min) at start $PSI0, at end $(cpu_pressure)"
		echo "- Tree: $_git"
		echo "- Load: wrk -t1 -c4 from a hand-made wireguard-go" \
		    "peer, $ROUNDS rounds of ${RDUR} s per server and" \
		    "comparison, alternating with nginx; WireGuard userspace" \
		    "($(wireguard-go --version 2>/dev/null | head -1 |
		    awk '{ print $NF }')), nginx $(nginx -v 2>&1 |
		    sed 's/.*nginx\///')"
		echo
		printf "| figure |"
		for _s in $_cols; do
			printf " %s peers |" "$_s"
		done
		printf "\n|---|"
		for _s in $_cols; do
			printf "%s" "---:|"
		done
		echo
		echo "$ROWS" | while IFS='|' read -r _k _label; do
			printf "| %s |" "$_label"
			for _s in $_cols; do
				_v=$(get "$_s" "$_k")
				printf " %s |" "${_v:-–}"
			done
			echo
		done
		echo
		if [ -s "$NOTES" ]; then
			echo "## Notes from this run"
			echo
			sed 's/^/- /' "$NOTES"
			echo
		fi
		cat "$TOP/regress/bench/method.md"
	} > "$OUT.new" && mv "$OUT.new" "$OUT"
	echo
	cat "$OUT"
}

bench_cleanup() {
	_rc=$?
	nginx_stop
	[ -n "$RUN_SIZES" ] && report
	(exit $_rc)
	net_cleanup
}

# --- the run

PSI0=$(cpu_pressure)
net_init
trap bench_cleanup EXIT
for prog in innernetd innernet-dbd innernet-wgd innernetctl; do
	[ -x "$BIN/$prog" ] || fail "$BIN/$prog is not built"
done
case "$ROUNDS" in
""|*[!0-9]*|0)
	fail "BENCH_ROUNDS=$ROUNDS is not a count of rounds"
	;;
esac
for tool in wrk nginx curl jq nm wireguard-go wg bash; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed"
done
setup
say "the network and its callers are ready"
prev=0
for n in $SIZES; do
	if [ "$prev" -gt 0 ] && [ -n "$(get "$prev" grow_rows_per_s)" ]; then
		eta=$(awk "BEGIN { printf(\"%d\\n\", ($n - $prev) * 21 / 20 / \
		    $(get "$prev" grow_rows_per_s)) }")
		if [ "$eta" -gt "$MAXGEN" ]; then
			note "$n peers skipped: growing there would take" \
			    "about" \
			    "$eta s at the last rate (limit $MAXGEN s," \
			    "BENCH_MAX_GEN_SECONDS)"
			continue
		fi
	fi
	say "growing to $n peers"
	RUN_SIZES="$RUN_SIZES $n"
	if [ -n "${INSTALL_MS:-}" ]; then
		# once, on the network before it grew: the client's CIDR
		# sees only the server then
		put "$n" install_ms "$INSTALL_MS"
		note "install was measured once, before the network grew"
		INSTALL_MS=
	fi
	grow "$n"
	idle "$n"
	capture "$n"
	serve "$n"
	restart "$n"
	floor "$n"
	client "$n"
	prev=$n
done
exit 0
