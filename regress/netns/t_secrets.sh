#!/bin/sh
# Secrets and the boundaries around them: the control socket admits the
# daemon's group by supplementary membership too and nobody else, and
# a client's API requests never leave outside its WireGuard interface.
. "$(dirname "$0")/lib.sh"

net_init
host_add server 192.0.2.1
host_add alice 192.0.2.3
# "mitm" sits on the internet side and claims the server's internal
# address, as a hostile network between the peers could.
host_add mitm 192.0.2.9

restart() { daemon_stop "$1"; daemon_start "$1"; }

check "server starts" daemon_start server
check "new network" ctl server new --network-name corp \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:51820 \
    --listen-port 51820
check "add-cidr humans" ctl server add-cidr corp --name humans \
    --cidr 10.66.1.0/24 --parent corp --yes
check "add-peer alice" ctl server add-peer corp --name alice \
    --cidr humans --auto-ip --save-config "$T/alice.toml" --yes

# --- the control socket: group members only ----------------------------
# Unprivileged credentials that exist nowhere else; the daemon's group
# once as a supplementary group only, once not at all.
gid_in=$(id -g _innernet)
uid=$((60000 + $$ % 5000))
as_user() {
	on server setpriv --reuid="$uid" --regid="$uid" "$@" \
	    "$BIN/innernetctl" -s "$T/server/innernetd.sock" status
}
check "a member by supplementary group is admitted" \
    as_user --groups="$gid_in"
check "a member by primary group is admitted" \
    on server setpriv --reuid="$uid" --regid="$gid_in" --clear-groups \
    "$BIN/innernetctl" -s "$T/server/innernetd.sock" status
check_fails "a non-member is refused" as_user --clear-groups
check_fails "a non-member with other groups is refused" \
    as_user --groups=$((gid_in + 1)),$((gid_in + 2))
# Should the socket's mode be widened, the daemon still refuses.
chmod 0666 "$T/server/innernetd.sock"
check_fails "a non-member is refused even on a 0666 socket" \
    as_user --clear-groups
check "the daemon said so" grep -q "control: connection refused" \
    "$T/server/daemon.log"
check "and still admits its group" as_user --groups="$gid_in"
chmod 0660 "$T/server/innernetd.sock"

# --- the client's API requests stay in the tunnel ----------------------
check "alice starts" daemon_start alice
check "alice installs" ctl alice install "$T/alice.toml" --default-name
check "alice fetches through the tunnel" ctl alice fetch corp
srv=10.66.0.1
on mitm ip addr add "$srv/32" dev lo
on mitm sh -c "exec nc -l $srv 51820 > '$T/mitm.got' 2>/dev/null" &
mitm_nc=$!
mitm_listens() { on mitm ss -ltn | grep -q "$srv:51820"; }
check "mitm listens on the server's address" wait_until 5 mitm_listens
# A route that takes the server's internal address out by eth0.
check "alice's route to the server now leaves by eth0" \
    on alice ip route add "$srv/32" via 192.0.2.9 dev eth0
check "mitm is reachable that way" on alice ping -c1 -W2 "$srv"
check_fails "alice's fetch fails" ctl alice fetch corp
check "the daemon says why" grep -q "does not go through corp" \
    "$T/alice/daemon.log"
sleep 1
check "nothing reached the listener outside the tunnel" \
    test ! -s "$T/mitm.got"
check "the listener saw no connection" kill -0 "$mitm_nc"
kill "$mitm_nc" 2>/dev/null
on alice ip route del "$srv/32" via 192.0.2.9 dev eth0
check "with the route back, alice fetches again" ctl alice fetch corp

exit $FAILED
