#!/bin/sh
# What the verbs mean, beyond their syntax: the CIDR tree cannot get
# stuck, invitations always expire, an add-peer whose invitation cannot
# be written adds nothing, nobody disables the peer it stands on, a spent
# or withdrawn invitation says so at once, install waits for our server's
# key swap and not upstream's 5 s, and delete-peer withdraws or retires.
. "$(dirname "$0")/lib.sh"

net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2
host_add alice 192.0.2.3
host_add bob 192.0.2.4

field() {
	ctl server -j list-peers corp |
	    jq -r ".[] | select(.name == \"$1\") | .$2"
}
has_peer() {
	ctl server -j list-peers corp | jqe ".[] | select(.name == \"$1\")" \
	    >/dev/null
}
# fails_saying TEXT command...: the command fails and its output says TEXT.
fails_saying() {
	_t=$1; shift
	if "$@" >"$T/out" 2>&1; then
		cat "$T/out"
		return 1
	fi
	cat "$T/out"
	grep -q -- "$_t" "$T/out"
}
no_peer() { ! has_peer "$1"; }
no_peer_nor_file() { no_peer "$1" && [ ! -e "$2" ]; }
wg_lacks() { ! on "$1" wg show corp peers | grep -q -- "$2"; }
no_network() {
	! on "$1" ip link show corp >/dev/null 2>&1 &&
	    [ "$(ctl "$1" -j status | jq '.networks | length')" = 0 ]
}

check "server starts" daemon_start server
check "new network" ctl server new --network-name corp \
    --network-cidr 10.68.0.0/16 --external-endpoint 192.0.2.1:51820 \
    --listen-port 51820
check "add-cidr humans" ctl server add-cidr corp --name humans \
    --cidr 10.68.1.0/24 --parent corp --yes

# The tree: peers only in leaves, CIDRs only under CIDRs without peers.
check "no peer in the root, which has the infra CIDR below it" \
    fails_saying "child CIDRs" ctl server add-peer corp --name stuck \
    --cidr corp --auto-ip --save-config "$T/stuck.toml" --yes
check "nothing was added, no file left" no_peer_nor_file stuck \
    "$T/stuck.toml"
check "add-peer admin (scripted, no --invite-expires)" ctl server add-peer \
    corp --name admin --cidr humans --admin true --auto-ip \
    --save-config "$T/admin.toml" --yes
check "no CIDR under a CIDR with peers" fails_saying "has peers" \
    ctl server add-cidr corp --name sub --cidr 10.68.1.128/25 \
    --parent humans --yes
check "no CIDR under infra, which holds the server" fails_saying "has peers" \
    ctl server add-cidr corp --name sub --cidr 10.68.0.0/30 \
    --parent innernet-server --yes

# A scripted invitation expires in 14 days, as upstream's.
now=$(date +%s)
exp=$(field admin invite_expires.secs_since_epoch)
check "the invitation expires in 14 days" test "$exp" -ge \
    $((now + 14 * 86400 - 60)) -a "$exp" -le $((now + 14 * 86400 + 60))

# --save-config that cannot be written: nothing is added.
check "an unwritable --save-config fails" fails_saying "no peer added" \
    ctl server add-peer corp --name lost --cidr humans --auto-ip \
    --save-config /nonexistent-dir/lost.toml --yes
check "and no peer was added" no_peer lost
check "the name is still free" ctl server add-peer corp --name lost \
    --cidr humans --auto-ip --save-config "$T/lost.toml" --yes

# Install against our server: no 5 s wait for the key swap.
cp "$T/admin.toml" "$T/admin-copy.toml"
check "admin daemon starts" daemon_start admin
t0=$(date +%s%N)
check "admin installs" ctl admin install "$T/admin.toml" --default-name
t1=$(date +%s%N)
echo "# install took $(( (t1 - t0) / 1000000 )) ms"
check "the redeem kept the expiry, as upstream" \
    test "$(field admin invite_expires.secs_since_epoch)" = "$exp"
check "admin reaches the server" wait_until 20 on admin ping -c1 -W1 10.68.0.1

# A spent invitation: the server no longer knows its key.
check "alice daemon starts" daemon_start alice
check "installing a spent invitation says why" \
    fails_saying "does not know this invitation's key" \
    ctl alice install "$T/admin-copy.toml" --default-name
check "and leaves nothing behind" wait_until 5 no_network alice

# Nobody disables the peer it stands on.
check "the admin cannot disable itself" fails_saying "own peer" \
    ctl admin disable-peer corp --name admin --yes
check "the admin is still enabled" test "$(field admin is_disabled)" = false
check "the server cannot disable its own peer" fails_saying "own peer" \
    ctl server disable-peer corp --name innernet-server --yes
# hp_api's files for a host whose daemon holds the tunnel
field admin ip > "$T/admin/ip"
ctl server -j status | jq -r '.networks[0].public_key' > "$T/admin/skey"
echo 10.68.0.1:51820 > "$T/admin/api"
ctl server -j list-peers corp |
    jq -c '.[] | select(.name == "admin") | .is_disabled = true' \
    > "$T/selfdisable.json"
check "over the API neither (PUT)" test "$(hp_api admin PUT \
    "/v1/admin/peers/$(field admin id)" -H 'Content-Type: application/json' \
    --data-binary @"$T/selfdisable.json")" = 400
check "the answer says why" grep -q "calling from" "$T/admin/body"
check "over the API neither (DELETE)" test "$(hp_api admin DELETE \
    "/v1/admin/peers/$(field admin id)")" = 400
check "the admin is enabled still" test "$(field admin is_disabled)" = false

# delete-peer: an invitation never redeemed is withdrawn.
check "invite alice" ctl admin add-peer corp --name alice --cidr humans \
    --auto-ip --save-config "$T/alice.toml" --yes
check "invite bob" ctl server add-peer corp --name bob --cidr humans \
    --auto-ip --save-config "$T/bob.toml" --yes
bob_ip=$(field bob ip)
check "withdraw bob's invitation" ctl server delete-peer corp --name bob --yes
check "bob's row is gone" no_peer bob
check "bob daemon starts" daemon_start bob
check "the withdrawn invitation says why" \
    fails_saying "does not know this invitation's key" \
    ctl bob install "$T/bob.toml" --default-name

# delete-peer of a redeemed peer: retired for good.
# on a terminal, install says each step as it goes
tty_install() {
	on alice script -qec "'$BIN/innernetctl' -s '$T/alice/innernetd.sock' \
	    install '$T/alice.toml' --default-name --delete-invite" \
	    /dev/null </dev/null >"$T/tty.out" 2>&1
	cat "$T/tty.out"
	grep -q "interface corp up" "$T/tty.out" &&
	    grep -q "invitation redeemed" "$T/tty.out" &&
	    grep -q "fetching the network's state" "$T/tty.out" &&
	    grep -q "corp installed" "$T/tty.out"
}
check "alice installs on a terminal, a line per step" tty_install
alice_ip=$(field alice ip)
alice_key=$(field alice public_key)
check "delete alice" ctl server delete-peer corp --name alice --yes
check "her row stays, disabled, under another name" test \
    "$(ctl server -j list-peers corp | jq -r ".[] | select(.ip == \"$alice_ip\") | .is_disabled")" = true
dname=$(ctl server -j list-peers corp | jq -r ".[] | select(.ip == \"$alice_ip\") | .name")
check "it is named deleted-N ($dname)" expr "$dname" : 'deleted-[0-9][0-9]*$' 
check "she cannot be enabled again" fails_saying "deleted" \
    ctl server enable-peer corp --name "$dname" --yes
check "her address is never given again" fails_saying "in use" \
    ctl server add-peer corp --name carol --cidr humans --ip "$alice_ip" \
    --save-config "$T/carol.toml" --yes
check "her name is free again" ctl server add-peer corp --name alice \
    --cidr humans --auto-ip --save-config "$T/alice2.toml" --yes
check_fails "the new alice got another address" \
    test "$(field alice ip)" = "$alice_ip"
check "her key is gone from the server's WireGuard" wg_lacks server \
    "$alice_key"
check "the server's own peer cannot be deleted" fails_saying "own peer" \
    ctl server delete-peer corp --name innernet-server --yes
check "the daemons are alive" sh -c \
    "kill -0 $(daemon_pid server) && kill -0 $(daemon_pid admin)"
[ $FAILED = 0 ] || { daemon_log server; daemon_log alice 20; }
exit $FAILED
