#!/bin/sh
# Smoke scenario: a server, an admin peer installed from an invitation
# made on the server host, two peers invited by the admin from its own
# host, and traffic over WireGuard between all of them.
. "$(dirname "$0")/lib.sh"

net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2
host_add alice 192.0.2.3
host_add bob 192.0.2.4
# bob leaves the backend to innernetd: with no kernel module it must fall
# back to userspace WireGuard by itself
sed -i '/^backend:/d' "$T/bob/innernet.conf"

check "server daemon starts" daemon_start server
check "new network" ctl server new --network-name corp \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:51820 \
    --listen-port 51820
check "add-cidr humans" ctl server add-cidr corp --name humans \
    --cidr 10.66.1.0/24 --parent corp --yes
check "add-peer admin on the server host" ctl server add-peer corp \
    --name admin --cidr humans --admin true --auto-ip \
    --save-config "$T/admin.toml" --invite-expires 1h --yes
check "invitation is 0600" sh -c \
    "[ \"\$(stat -c %a '$T/admin.toml')\" = 600 ]"

check "admin daemon starts" daemon_start admin
check "admin installs" ctl admin install "$T/admin.toml" --default-name
check "admin reaches the server over WireGuard" \
    wait_until 20 on admin ping -c1 -W1 10.66.0.1

check "admin invites alice" ctl admin add-peer corp --name alice \
    --cidr humans --admin false --auto-ip --save-config "$T/alice.toml" \
    --invite-expires 1h --yes
check "admin invites bob" ctl admin add-peer corp --name bob \
    --cidr humans --admin false --auto-ip --save-config "$T/bob.toml" \
    --invite-expires 1h --yes
check "alice daemon starts" daemon_start alice
check "bob daemon starts" daemon_start bob
check "alice installs" ctl alice install "$T/alice.toml" --default-name
check "bob installs" ctl bob install "$T/bob.toml" --default-name
check "alice fetches" ctl alice fetch corp
check "bob fetches" ctl bob fetch corp
check "alice fetches again (sees bob)" ctl alice fetch corp

alice_ip=$(ctl server -j list-peers corp |
    jq -r '.[] | select(.name == "alice") | .ip')
bob_ip=$(ctl server -j list-peers corp |
    jq -r '.[] | select(.name == "bob") | .ip')
check "alice and bob have addresses" test -n "$alice_ip" -a -n "$bob_ip"
check "alice pings bob over WireGuard" \
    wait_until 20 on alice ping -c1 -W1 "$bob_ip"
check "bob pings alice over WireGuard" \
    wait_until 20 on bob ping -c1 -W1 "$alice_ip"
check "hosts file of alice names bob" \
    wait_until 10 grep -q "bob.corp.wg" "$T/alice/hosts"
check "foreign hosts line kept" grep -q "^# a line that is not ours$" \
    "$T/alice/hosts"
exit $FAILED
