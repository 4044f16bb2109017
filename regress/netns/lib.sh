# Shared by the namespace scenarios (regress/netns/t_*.sh) and the demo.
#
# A "host" is a network namespace plus a private mount namespace (so each
# host has its own /var/run/wireguard), held open by an anchor process.
# Hosts hang off one bridge in an "internet" namespace on 192.0.2.0/24; a
# router namespace may join 198.51.100.0/24 and 203.0.113.0/24.  Each host
# runs the real daemon set with its own configuration, state directory,
# control socket and hosts file under the run's temporary directory.
# Everything is removed on exit, also on failure; every wait is bounded.

set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-build}
BIN="$TOP/$B"
# Our namespace names: a prefix of letters (RUN_PREFIX, "in" unless the
# caller sets it), the shell's pid, then letters, so that no run's names
# start with another's.
RUN="${RUN_PREFIX:-in}$$"
T=$(mktemp -d "${TMPDIR:-/tmp}/innernet-regress.XXXXXX")
chmod 0755 "$T"
HOSTS=""
NHOST=0
FAILED=0
INET="${RUN}inet"

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; FAILED=1; }

# jqe FILTER [FILE]: jq -e that fails on empty input (jq -e alone exits 0
# when it reads nothing, so a command that printed nothing would pass).
jqe() {
	if [ $# -ge 2 ]; then _jin=$(cat "$2"); else _jin=$(cat); fi
	if [ -z "$_jin" ]; then
		echo "# jq: empty input" >&2
		return 1
	fi
	printf '%s\n' "$_jin" | jq -e "$1"
}

# check DESCRIPTION command...: one assertion.
check() {
	_d=$1; shift
	if "$@" >"$T/check.out" 2>&1; then
		ok "$_d"
	else
		notok "$_d"
		sed 's/^/#   /' "$T/check.out" | head -20
	fi
}

# check_fails DESCRIPTION command...: the command must fail.
check_fails() {
	_d=$1; shift
	if "$@" >"$T/check.out" 2>&1; then
		notok "$_d (unexpectedly succeeded)"
		sed 's/^/#   /' "$T/check.out" | head -20
	else
		ok "$_d"
	fi
}

# wait_until SECONDS command...: poll every 0.2 s, at most SECONDS.
wait_until() {
	_n=$(($1 * 5)); shift
	while [ $_n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	return 1
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "not ok - needs root"
		exit 1
	fi
}

# ensure_user [NAME]: the system user NAME exists; without NAME both users
# of the set (_innernet, and _innernetwg for wgd).  Another suite may add
# a user at the same moment: useradd then fails on the lock of
# /etc/passwd or because the user exists by now, so try again a while.
ensure_user() {
	if [ $# -eq 0 ]; then
		ensure_user _innernet && ensure_user _innernetwg
		return
	fi
	_u=$1 _n=0
	until getent passwd "$_u" >/dev/null 2>&1; do
		[ $_n -lt 60 ] || return 1
		useradd -r -M -d /var/empty -s /usr/sbin/nologin "$_u" \
		    2>/dev/null || sleep 0.5
		_n=$((_n + 1))
	done
}

# ns_purge: our namespaces and everything in them are gone.  The names
# come from the directory: `ip netns list` also asks the kernel about
# each namespace and complains when another run deletes one meanwhile.
ns_purge() {
	for _ns in $(ls /var/run/netns 2>/dev/null | grep "^$RUN[^0-9]"); do
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -KILL "$_p" 2>/dev/null
		done
		ip netns del "$_ns" 2>/dev/null
	done
}

net_init() {
	need_root
	ensure_user ||
	    { echo "not ok - cannot add the user _innernet"; exit 1; }
	mkdir -p /var/run/wireguard
	# A run killed before its cleanup leaves its namespaces; pids come
	# round again within minutes on a busy machine, and a later run with
	# the same pid could make none of its own.  Our pid is ours now, so
	# any namespace with our names is such a leftover.
	ns_purge
	ip netns add "$INET" ||
	    { echo "not ok - cannot make namespace $INET"; exit 1; }
	ip -n "$INET" link set lo up
	ip -n "$INET" link add br0 type bridge
	ip -n "$INET" link set br0 up
	trap net_cleanup EXIT
	trap 'exit 1' INT TERM
}

# host_add NAME ADDRESS: a host with eth0 at ADDRESS/24 on the bridge
# (or, from host_behind, on a router link with a default route).
host_add() {
	_name=$1 _addr=$2 _brns=${3:-$INET} _br=${4:-br0} _gw=${5:-}
	NHOST=$((NHOST + 1))
	_ns="${RUN}$_name"
	_dir="$T/$_name"
	mkdir -p "$_dir/state"
	ip netns add "$_ns"
	ip -n "$_ns" link set lo up
	ip link add "${RUN}h$NHOST" type veth peer name "${RUN}b$NHOST"
	ip link set "${RUN}h$NHOST" netns "$_ns"
	ip link set "${RUN}b$NHOST" netns "$_brns"
	ip -n "$_ns" link set "${RUN}h$NHOST" name eth0
	ip -n "$_ns" addr add "$_addr/24" dev eth0
	ip -n "$_ns" link set eth0 up
	ip -n "$_brns" link set "${RUN}b$NHOST" master "$_br"
	ip -n "$_brns" link set "${RUN}b$NHOST" up
	[ -z "$_gw" ] || ip -n "$_ns" route add default via "$_gw"
	echo "$_addr" > "$_dir/addr"
	printf '127.0.0.1\tlocalhost\n# a line that is not ours\n' \
	    > "$_dir/hosts"
	cat > "$_dir/innernet.conf" <<CONF
state-dir: $_dir/state
control-socket: $_dir/innernetd.sock
hosts-file: $_dir/hosts
backend: userspace
CONF
	# The anchor holds the mount namespace with a private tmpfs on
	# /var/run/wireguard, shared by everything we run on this host.
	ip netns exec "$_ns" unshare -m --propagation private sh -c \
	    "mount -t tmpfs tmpfs /var/run/wireguard && \
	    echo \$\$ > '$_dir/anchor.pid' && exec sleep 86400" &
	wait_until 30 test -s "$_dir/anchor.pid" ||
	    { echo "not ok - anchor of $_name did not start"; exit 1; }
	HOSTS="$HOSTS $_name"
	route_via_router "$_name"
}

# router_add: a router namespace on the bridge at 192.0.2.254 with two
# more links, 198.51.100.0/24 and 203.0.113.0/24; the bridge's hosts
# route those through it.  With "nat", hosts on 203.0.113.0/24 are
# masqueraded behind 192.0.2.254, the way a home router hides them.
router_add() {
	_rns="${RUN}router"
	ip netns add "$_rns"
	ip -n "$_rns" link set lo up
	ip netns exec "$_rns" sysctl -qw net.ipv4.ip_forward=1
	ip link add "${RUN}rb" type veth peer name "${RUN}rr"
	ip link set "${RUN}rb" netns "$INET"
	ip link set "${RUN}rr" netns "$_rns"
	ip -n "$INET" link set "${RUN}rb" master br0
	ip -n "$INET" link set "${RUN}rb" up
	ip -n "$_rns" link set "${RUN}rr" name eth0
	ip -n "$_rns" addr add 192.0.2.254/24 dev eth0
	ip -n "$_rns" link set eth0 up
	ROUTER=1
	for _h in $HOSTS; do
		route_via_router "$_h"
	done
	if [ "${1:-}" = nat ]; then
		ip netns exec "$_rns" nft -f - <<NFT ||
table ip regress_nat {
	chain post {
		type nat hook postrouting priority 100;
		ip saddr 203.0.113.0/24 oifname "eth0" masquerade
	}
	chain forward_new {
		type filter hook forward priority 0; policy accept;
		iifname "eth0" oifname "lb" ct state new drop
	}
}
NFT
		{ echo "not ok - the router's NAT rules"; FAILED=1; exit 1; }
	fi
}

route_via_router() {
	[ -n "${ROUTER:-}" ] || return 0
	case "$(cat "$T/$1/addr")" in
	192.0.2.*)
		on "$1" ip route add 198.51.100.0/24 via 192.0.2.254
		on "$1" ip route add 203.0.113.0/24 via 192.0.2.254
		;;
	esac
}

# host_behind NAME ADDRESS: a host on one of the router's links
# (198.51.100.x as "la", 203.0.113.x as "lb"), routed through it.
host_behind() {
	_name=$1 _addr=$2
	case "$_addr" in
	198.51.100.*) _link=la _gw=198.51.100.1 ;;
	203.0.113.*) _link=lb _gw=203.0.113.1 ;;
	*) echo "not ok - $_addr is on no router link"; exit 1 ;;
	esac
	_rns="${RUN}router"
	if ! ip -n "$_rns" link show "$_link" >/dev/null 2>&1; then
		ip -n "$_rns" link add "$_link" type bridge
		ip -n "$_rns" addr add "$_gw/24" dev "$_link"
		ip -n "$_rns" link set "$_link" up
	fi
	host_add "$_name" "$_addr" "$_rns" "$_link" "$_gw"
}

# on NAME command...: run a command on a host.
on() {
	_h=$1; shift
	nsenter -t "$(cat "$T/$_h/anchor.pid")" -m -n -- "$@"
}

daemon_start() {
	_h=$1; shift
	# exec, so that $! is innernetd itself and signals reach it;
	# LOG_LEVEL=error: wireguard-go, once in the background, says in
	# the log why it stopped (else its output goes to /dev/null)
	(exec env LOG_LEVEL=error nsenter -t "$(cat "$T/$_h/anchor.pid")" \
	    -m -n -- "$BIN/innernetd" -d -v -f "$T/$_h/innernet.conf" "$@" \
	    >>"$T/$_h/daemon.log" 2>&1) &
	echo $! > "$T/$_h/daemon.pid"
	wait_until 30 test -S "$T/$_h/innernetd.sock" &&
	    wait_until 30 ctl "$_h" status
}

daemon_pid() {
	cat "$T/$1/daemon.pid" 2>/dev/null
}

daemon_running() {
	_p=$(daemon_pid "$1")
	[ -n "$_p" ] && kill -0 "$_p" 2>/dev/null
}

daemon_stop() {
	_p=$(daemon_pid "$1")
	[ -n "$_p" ] || return 0
	kill -TERM "$_p" 2>/dev/null
	wait_until 30 sh -c "! kill -0 $_p 2>/dev/null" ||
	    kill -KILL "$_p" 2>/dev/null
	rm -f "$T/$1/daemon.pid"
}

# ctl NAME args...: innernetctl on a host, against its own daemon.
ctl() {
	_h=$1; shift
	on "$_h" "$BIN/innernetctl" -s "$T/$_h/innernetd.sock" "$@"
}

daemon_log() {
	echo "# --- daemon log of $1"
	sed 's/^/#   /' "$T/$1/daemon.log" 2>/dev/null | tail -${2:-40}
}

net_cleanup() {
	_rc=$?
	for _h in $HOSTS; do
		daemon_stop "$_h"
	done
	if [ "$FAILED" -ne 0 ] || [ "$_rc" -ne 0 ] ||
	    [ -n "${REGRESS_LOGS:-}" ]; then
		for _h in $HOSTS; do
			daemon_log "$_h" "${REGRESS_LOGS:-40}"
		done
	fi
	ns_purge
	rm -rf "$T"
	[ "$FAILED" -eq 0 ] && exit "$_rc"
	exit 1
}

# Hand-made peers (regress/fault, t_security, regress/load): a bare wireguard-go
# interface "wg0" on a host, set up from an invitation, with the server as
# its only peer; the host then speaks to the API with curl.

# inv_value FILE SECTION KEY: a value from an invitation.
inv_value() {
	awk -v s="[$2]" -v k="$3" '
	    /^\[/ { in_s = ($0 == s) }
	    in_s && $1 == k { sub(/^[^=]*= */, ""); gsub(/"/, ""); print }
	' "$1"
}

# hp_up HOST INVITATION ROUTE: wg0 with the invitation's key and address;
# ROUTE (the network's CIDR) goes to the server.  Remembers the address
# in $T/HOST/ip, the API's address in $T/HOST/api, the key in $T/HOST/skey.
hp_up() {
	_h=$1 _inv=$2
	inv_value "$_inv" interface private-key > "$T/$_h/wg.key"
	_addr=$(inv_value "$_inv" interface address)
	inv_value "$_inv" server public-key > "$T/$_h/skey"
	inv_value "$_inv" server internal-endpoint > "$T/$_h/api"
	on "$_h" wireguard-go wg0 >/dev/null 2>&1 &&
	    on "$_h" wg set wg0 private-key "$T/$_h/wg.key" \
	    peer "$(cat "$T/$_h/skey")" \
	    endpoint "$(inv_value "$_inv" server external-endpoint)" \
	    allowed-ips "$3" persistent-keepalive 25 &&
	    on "$_h" ip addr add "$_addr" dev wg0 &&
	    on "$_h" ip link set wg0 up &&
	    echo "${_addr%/*}" > "$T/$_h/ip"
}

# hp_api HOST METHOD PATH [curl arguments...]: one request from the host's
# overlay address; prints the status, the body is in $T/HOST/body.
hp_api() {
	_h=$1 _m=$2 _p=$3
	shift 3
	on "$_h" curl -s -m 10 -o "$T/$_h/body" -w '%{http_code}' -X "$_m" \
	    --interface "$(cat "$T/$_h/ip")" \
	    -H "X-Innernet-Server-Key: $(cat "$T/$_h/skey")" "$@" \
	    "http://$(cat "$T/$_h/api")$_p"
}

# hp_redeem HOST...: each host redeems its invitation with a new key and
# switches to it once the server has (upstream waits five seconds).
hp_redeem() {
	for _h in "$@"; do
		wg genkey > "$T/$_h/wg.key.new"
		[ "$(hp_api "$_h" POST /v1/user/redeem \
		    -H 'Content-Type: application/json' --data-binary \
		    "{\"public_key\":\"$(wg pubkey < "$T/$_h/wg.key.new")\"}")" \
		    = 204 ] || return 1
	done
	sleep 6
	for _h in "$@"; do
		mv "$T/$_h/wg.key.new" "$T/$_h/wg.key"
		on "$_h" wg set wg0 private-key "$T/$_h/wg.key" || return 1
	done
}
