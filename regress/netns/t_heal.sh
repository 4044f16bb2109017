#!/bin/sh
# WireGuard converges to the database (server) and to the cache (client)
# after real faults: userspace WireGuard killed, with and without changes
# made while it is gone, and its socket unreachable while a peer is
# disabled and another added.  Every wait is bounded (30 s); what must
# hold is the end state: the interface is back, its peers are exactly
# the enabled peers of the database, a disabled peer's entry is gone, a
# failed add is visible and its retry says it exists, and the API and
# tunnels work again.
. "$(dirname "$0")/lib.sh"

NET=corp
SRV_IP=10.66.0.1
CONVERGE=30

net_init
host_add server 192.0.2.1
host_add alice 192.0.2.2
# the client notices a dead interface at its next fetch
echo "fetch-interval: 3" >> "$T/alice/innernet.conf"

# within SECONDS command...: wait_until bounded by the clock, since a
# command here (a fetch through a broken tunnel) can itself take seconds.
within() {
	_end=$(($(date +%s) + $1)); shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.5
	done
}

db() {
	sqlite3 "$T/server/state/server/$NET.db" "$1"
}
# What the server's WireGuard must hold: every enabled peer but itself.
want_server() {
	db "SELECT public_key FROM peers WHERE is_disabled = 0 AND
	    ip != '$SRV_IP'" | LC_ALL=C sort
}
have() {
	on "$1" wg show "$NET" peers | LC_ALL=C sort
}
server_converged() {
	_w=$(want_server) && _h=$(have server) && [ -n "$_w" ] &&
	    [ "$_w" = "$_h" ]
}
key_of() {
	db "SELECT public_key FROM peers WHERE name = '$1'"
}
on_server_wg() {
	have server | grep -qxF "$(key_of "$1")"
}
# wggo_pid HOST: the host's wireguard-go for the network.
wggo_pid() {
	for _p in $(ip netns pids "${RUN}$1" 2>/dev/null); do
		case "$(readlink "/proc/$_p/exe" 2>/dev/null)" in
		*/wireguard-go)
			tr '\0' ' ' < "/proc/$_p/cmdline" | grep -qw "$NET" &&
			    echo "$_p"
			;;
		esac
	done
}
wggo_kill() {
	_p=$(wggo_pid "$1")
	[ -n "$_p" ] && kill -KILL $_p && wait_until 10 link_gone "$1"
}
link_gone() {
	! on "$1" ip link show "$NET" >/dev/null 2>&1
}
invite() {
	ctl server add-peer "$NET" --name "$1" --cidr humans --admin false \
	    --auto-ip --save-config "$T/$1.toml" --invite-expires 1h --yes
}
alice_fetches() {
	timeout 10 nsenter -t "$(cat "$T/alice/anchor.pid")" -m -n -- \
	    "$BIN/innernetctl" -s "$T/alice/innernetd.sock" fetch "$NET"
}
alice_converged() {
	[ "$(have alice)" = "$(cat "$T/alice.peers")" ]
}

check "server starts" daemon_start server
check "new network" ctl server new --network-name "$NET" \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:51820 \
    --listen-port 51820
check "add-cidr humans" ctl server add-cidr "$NET" --name humans \
    --cidr 10.66.1.0/24 --parent "$NET" --yes
check "invite alice" invite alice
check "invite carol" invite carol
check "alice starts" daemon_start alice
check "alice installs" ctl alice install "$T/alice.toml" --default-name
check "alice reaches the server" wait_until 20 on alice ping -c1 -W1 $SRV_IP
check "the server's WireGuard holds the database's peers" server_converged

# 1. The server's wireguard-go dies and nothing else happens: the
# interface comes back with its peers, the tunnel and the API work.
check "server: wireguard-go killed, the interface is gone" \
    wggo_kill server
check "server: the interface is back with the database's peers" \
    within $CONVERGE server_converged
check "server: alice reaches the server again" \
    within $CONVERGE on alice ping -c1 -W1 $SRV_IP
check "server: the API answers alice again" \
    within $CONVERGE alice_fetches

# 2. Changes while wireguard-go is dead: the add and the disable are
# answered as saved, and WireGuard follows the database.
check "server: wireguard-go killed again" wggo_kill server
check "an add while it is gone is saved" invite dave
check "a disable while it is gone is saved" \
    ctl server disable-peer "$NET" --name carol --yes
check "dave is in the database" test -n "$(key_of dave)"
check "carol is disabled in the database" \
    test "$(db "SELECT is_disabled FROM peers WHERE name = 'carol'")" = 1
check "server: the interface is back with the database's peers" \
    within $CONVERGE server_converged
check "dave is on the server's WireGuard" on_server_wg dave
check_fails "carol is not" on_server_wg carol
ctl server add-peer "$NET" --name dave --cidr humans --admin false \
    --auto-ip --save-config "$T/dave2.toml" --yes > "$T/retry" 2>&1
check "the retry of the add says dave exists" \
    grep -qi "already in use\|exists" "$T/retry"
check "and adds nothing" test "$(db "SELECT count(*) FROM peers WHERE
    name = 'dave'")" = 1

# 3. WireGuard stays up but its socket is unreachable: a disable whose
# removal fails and an add whose set fails converge once it is back.
check "server: alice still reaches the server" \
    within $CONVERGE on alice ping -c1 -W1 $SRV_IP
check "server: the UAPI socket is moved away" on server \
    mv /var/run/wireguard/$NET.sock /var/run/wireguard/$NET.sock.away
check "a disable whose WireGuard step fails is saved" \
    ctl server disable-peer "$NET" --name dave --yes
check "an add whose WireGuard step fails is saved" invite erin
sleep 3
check "server: the socket is back" on server \
    mv /var/run/wireguard/$NET.sock.away /var/run/wireguard/$NET.sock
check "server: WireGuard holds the database's peers" \
    within $CONVERGE server_converged
check_fails "dave's entry is gone" on_server_wg dave
check "erin's entry is there" on_server_wg erin

# 4. The client's wireguard-go dies: its interface comes back from the
# cache, with the same peers, and the tunnel works.
check "alice's peers are known" sh -c \
    "nsenter -t $(cat "$T/alice/anchor.pid") -m -n wg show $NET peers |
    LC_ALL=C sort > '$T/alice.peers' && test -s '$T/alice.peers'"
check "alice: wireguard-go killed, the interface is gone" \
    wggo_kill alice
check "alice: the interface is back with its cached peers" \
    within $CONVERGE alice_converged
check "alice: reaches the server again" \
    within $CONVERGE on alice ping -c1 -W1 $SRV_IP
if [ "$FAILED" -ne 0 ]; then
	for h in alice server; do
		echo "# --- $h"
		on $h wg show 2>&1 | sed 's/^/#   /'
		on $h ip addr show $NET 2>&1 | sed 's/^/#   /'
		on $h ip route 2>&1 | sed 's/^/#   /'
	done
fi
check "alice: fetches again" within $CONVERGE alice_fetches

check "server daemon still running" daemon_running server
check "alice's daemon still running" daemon_running alice
exit $FAILED
