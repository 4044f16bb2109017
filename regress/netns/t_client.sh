#!/bin/sh
# The client role end to end: a redeem that fails halfway leaves nothing
# behind, installs, admin actions from an admin peer, list, listen port
# and endpoint override, down and up (kept across a restart), a restart
# with the server gone (peers keep talking from the cache), uninstall.
. "$(dirname "$0")/lib.sh"

net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2
host_add alice 192.0.2.3
host_add bob 192.0.2.4

peer_ip() {
	ctl server -j list-peers corp | jq -r ".[] | select(.name == \"$1\") | .ip"
}
peer_field() {
	ctl server -j list-peers corp |
	    jq -r ".[] | select(.name == \"$1\") | .$2"
}
# jqok HOST FILTER innernetctl-args...: the -j answer passes the filter.
jqok() {
	_h=$1 _f=$2; shift 2
	ctl "$_h" -j "$@" | jqe "$_f" >/dev/null
}
restart() { daemon_stop "$1"; daemon_start "$1"; }
listen_port() { on "$1" wg show corp listen-port; }
link_gone() { ! on "$1" ip link show corp >/dev/null 2>&1; }
no_network() {
	! on "$1" ip link show corp >/dev/null 2>&1 &&
	    [ ! -e "$T/$1/state/client/corp.db" ] &&
	    [ -z "$(ls "$T/$1/state/keys" 2>/dev/null)" ] &&
	    [ "$(ctl "$1" -j status | jq '.networks | length')" = 0 ]
}

check "server starts" daemon_start server
check "new network" ctl server new --network-name corp \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:51820 \
    --listen-port 51820
check "add-cidr humans" ctl server add-cidr corp --name humans \
    --cidr 10.66.1.0/24 --parent corp --yes
check "add-peer admin" ctl server add-peer corp --name admin \
    --cidr humans --admin true --auto-ip --save-config "$T/admin.toml" \
    --invite-expires 1h --yes
check "new --auto-external-endpoint" ctl server new --network-name auto \
    --network-cidr 10.77.0.0/16 --auto-external-endpoint --listen-port 51830
check "add-cidr in the second network" ctl server add-cidr auto \
    --name auto-h --cidr 10.77.1.0/24 --parent auto --yes
check "its invitations name the host's address" ctl server add-peer auto \
    --name p1 --cidr auto-h --auto-ip --save-config "$T/auto.toml" --yes
check "external-endpoint is 192.0.2.1:51830" \
    grep -q '^external-endpoint = "192.0.2.1:51830"$' "$T/auto.toml"
check "uninstall the second network" ctl server uninstall auto --yes
check "admin daemon starts" daemon_start admin

# An invitation whose API port is wrong: WireGuard comes up, the redeem
# is refused at the TCP level, and every step is undone.
sed 's/^internal-endpoint = "\(.*\):51820"/internal-endpoint = "\1:51821"/' \
    "$T/admin.toml" > "$T/broken.toml"
chmod 0600 "$T/broken.toml"
check_fails "the broken invitation differs" cmp -s "$T/admin.toml" \
    "$T/broken.toml"
check_fails "a redeem that cannot reach the API fails" \
    ctl admin install "$T/broken.toml" --default-name
check "it left no interface, database, key or network" \
    wait_until 20 no_network admin
check "the invitation is not spent by the failure" \
    test "$(peer_field admin is_redeemed)" = false

check "admin installs (invitation deleted after)" \
    ctl admin install "$T/admin.toml" --name corp --delete-invite
check "the invitation file is gone" test ! -e "$T/admin.toml"
check "the server marks admin redeemed" \
    test "$(peer_field admin is_redeemed)" = true
check "admin reaches the server over WireGuard" \
    wait_until 20 on admin ping -c1 -W1 10.66.0.1
check "admin's key is the one the server has" test \
    "$(ctl admin -j list corp | jq -r .public_key)" = \
    "$(peer_field admin public_key)"

# Admin actions from the admin peer, seen on the server.
check "admin adds a CIDR" ctl admin add-cidr corp --name servers \
    --cidr 10.66.2.0/24 --parent corp --yes
check "the server has it" jqok server \
    '.[] | select(.name == "servers")' list-cidrs corp
check "admin invites alice" ctl admin add-peer corp --name alice \
    --cidr humans --admin false --auto-ip --save-config "$T/alice.toml" \
    --invite-expires 1h --yes
check "admin invites bob" ctl admin add-peer corp --name bob \
    --cidr humans --admin false --ip 10.66.1.20 \
    --save-config "$T/bob.toml" --invite-expires 1h --yes
check "bob has the address asked for" test "$(peer_ip bob)" = 10.66.1.20
check "admin's invitation is 0600" sh -c \
    "[ \"\$(stat -c %a '$T/alice.toml')\" = 600 ]"
check "admin renames a CIDR" ctl admin rename-cidr corp --name servers \
    --new-name machines
check "the server has the new CIDR name" jqok server \
    '.[] | select(.name == "machines")' list-cidrs corp
check "admin deletes the empty CIDR" ctl admin delete-cidr corp \
    --name machines --yes
check_fails "a non-existent CIDR is an error" ctl admin delete-cidr corp \
    --name nosuch --yes
check "admin lists associations (JSON)" jqok admin \
    'type == "array"' list-associations corp

check "alice starts" daemon_start alice
check "bob starts" daemon_start bob
check "alice installs" ctl alice install "$T/alice.toml" --default-name
check "bob installs" ctl bob install "$T/bob.toml" --default-name
check "alice fetches" ctl alice fetch corp
check "alice pings bob" wait_until 20 on alice ping -c1 -W1 10.66.1.20
check "list -j shows bob with a handshake" jqok alice \
    '.peers[] | select(.name == "bob") | .last_handshake > 0' list corp
check "list --tree shows the CIDRs" grep -q humans \
    "$(ctl alice list --tree corp > "$T/tree"; echo "$T/tree")"
check "list --short is one line a peer" grep -q '^  bob 10.66.1.20$' \
    "$(ctl alice list --short corp > "$T/short"; echo "$T/short")"
check "list-cidrs from the cache" jqok alice \
    '.[] | select(.name == "humans")' list-cidrs corp
ctl alice list-cidrs --tree corp > "$T/ctree"
check "list-cidrs --tree nests humans under the root" \
    grep -q '^  10.66.1.0/24 humans$' "$T/ctree"
check_fails "a non-admin cannot add a CIDR" ctl alice add-cidr corp \
    --name x --cidr 10.66.9.0/24 --parent corp --yes
ctl alice add-cidr corp --name x --cidr 10.66.9.0/24 --parent corp \
    --yes > "$T/refusal" 2>&1
check "the refusal says 401" grep -q 401 "$T/refusal"

# Listen port and endpoint override.
check_fails "override-endpoint needs a fixed listen port first" \
    ctl bob override-endpoint corp --endpoint 192.0.2.4:51999 --yes
check "set-listen-port" ctl bob set-listen-port corp --listen-port 51999
check "WireGuard listens there" test "$(listen_port bob)" = 51999
check "override-endpoint" ctl bob override-endpoint corp \
    --endpoint 192.0.2.4:51999 --yes
check "the server has bob's endpoint" \
    test "$(peer_field bob endpoint)" = 192.0.2.4:51999
check "the server's database has it" test "$(sqlite3 \
    "$T/server/state/server/corp.db" \
    "SELECT endpoint FROM peers WHERE name = 'bob'")" = 192.0.2.4:51999
check "alice fetches bob's endpoint" ctl alice fetch corp
check "alice still reaches bob" wait_until 20 on alice ping -c1 -W1 10.66.1.20
check "override-endpoint -u" ctl bob override-endpoint corp --unset
check "the server's database forgets the override" test -z "$(sqlite3 \
    "$T/server/state/server/corp.db" \
    "SELECT endpoint FROM peers WHERE name = 'bob'")"
check "set-listen-port -u" ctl bob set-listen-port corp --unset
check "WireGuard picked another port" test "$(listen_port bob)" != 51999

# down and up, kept across a restart of the daemon.
check "alice down" ctl alice down corp
check "the interface is gone" link_gone alice
check_fails "fetch on a down network is an error" ctl alice fetch corp
check "alice's daemon restarts" restart alice
sleep 2
check "still down after the restart" link_gone alice
check "alice up" ctl alice up corp
check "alice reaches bob again" wait_until 20 on alice ping -c1 -W1 10.66.1.20

# The server goes away: a restarted peer comes up from its cache.
check "the server stops" daemon_stop server
check "bob's daemon restarts" restart bob
check "bob reaches alice from the cache alone" \
    wait_until 30 on bob ping -c1 -W1 "$(ctl alice -j list corp | jq -r .self.ip)"
check_fails "a fetch without the server says so" ctl bob fetch corp
check "the server starts again" daemon_start server
check "bob fetches again" wait_until 20 ctl bob fetch corp

# uninstall removes everything of the network on the host.
check_fails "uninstall without a terminal needs --yes" \
    ctl bob uninstall corp
check "uninstall --yes" ctl bob uninstall corp --yes
check "nothing of corp is left on bob" wait_until 20 no_network bob
check "bob's hosts section is gone" sh -c "! grep -q corp '$T/bob/hosts'"
check "foreign hosts lines are kept" grep -q "^# a line that is not ours$" \
    "$T/bob/hosts"
exit $FAILED
