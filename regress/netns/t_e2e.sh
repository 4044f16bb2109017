#!/bin/sh
# A whole network over real WireGuard, upstream's docker scenarios among
# it: peers on the server's link, one routed link away and one behind a
# masquerading router; CIDRs, associations granted and taken back,
# disabling, renames reaching hosts files, short-lived and spent
# invitations, simultaneous redemption, server restart and reload.
. "$(dirname "$0")/lib.sh"

NET=evilcorp
net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2
host_add peer4 192.0.2.4
host_add peer5 192.0.2.5
host_add eve 192.0.2.6
router_add nat
host_behind peer2 198.51.100.2
host_behind db1 203.0.113.2

jqok() {
	_h=$1 _f=$2; shift 2
	ctl "$_h" -j "$@" | jqe "$_f" >/dev/null
}
peer_field() {
	ctl server -j list-peers $NET |
	    jq -r ".[] | select(.name == \"$1\") | .$2"
}
ip_of() { peer_field "$1" ip; }
gone() { [ -z "$(peer_field "$1" id)" ]; }
# seen_behind_nat PEER: the server's view of its endpoint is the router's
seen_behind_nat() {
	_ep=$(peer_field "$1" endpoint)
	echo "endpoint $_ep"
	case "$_ep" in
	192.0.2.254:*) return 0 ;;
	esac
	return 1
}
reaches() { on "$1" ping -c1 -W1 "$2" >/dev/null 2>&1; }
# never_reaches HOST IP: three pings over three seconds, none answered
never_reaches() {
	for _i in 1 2 3; do
		reaches "$1" "$2" && return 1
	done
	return 0
}
wg_has() { on "$1" wg show $NET allowed-ips | grep -q "$2/32"; }
no_network() {
	! on "$1" ip link show $NET >/dev/null 2>&1 &&
	    [ ! -e "$T/$1/state/client/$NET.db" ] &&
	    [ -z "$(ls "$T/$1/state/keys" 2>/dev/null)" ]
}
invite() {
	# invite NAME CIDR FILE EXPIRES [innernetctl flags]
	_n=$1 _c=$2 _f=$3 _e=$4; shift 4
	ctl admin add-peer $NET --name "$_n" --cidr "$_c" --admin false \
	    --save-config "$_f" --invite-expires "$_e" --yes "$@"
}

# As upstream's start-server.sh.
check "server starts" daemon_start server
check "new" ctl server new --network-name $NET \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:51820 \
    --listen-port 51820
check "add-cidr humans" ctl server add-cidr $NET --name humans \
    --cidr 10.66.1.0/24 --parent $NET --yes
check "add-peer admin" ctl server add-peer $NET --name admin \
    --cidr humans --admin true --auto-ip --save-config "$T/admin.toml" \
    --invite-expires 30d --yes
for h in admin peer2 peer4 peer5 db1 eve; do
	check "$h starts" daemon_start $h
done
check "admin installs" ctl admin install "$T/admin.toml" --name $NET \
    --delete-invite

# As upstream's run-docker-tests.sh, from the admin peer.
check "admin creates robots" ctl admin add-cidr $NET --name robots \
    --cidr 10.66.2.0/24 --parent $NET --yes
check "admin associates humans and robots" \
    ctl admin add-association $NET humans robots --yes
check "admin invites peer2 (30 s)" invite peer2 robots "$T/peer2.toml" 30s \
    --auto-ip
check "peer2, a routed link away, installs" \
    ctl peer2 install "$T/peer2.toml" --name $NET --no-write-hosts
check "peer2 wrote no hosts lines" test "$(grep -c $NET "$T/peer2/hosts")" = 0
check "peer2 pings the server" wait_until 20 reaches peer2 10.66.0.1
check "peer2 pings admin (associated)" \
    wait_until 20 reaches peer2 "$(ip_of admin)"
check "peer2 reported its routed address as a candidate" wait_until 10 \
    jqok server '.[] | select(.name == "peer2") | .candidates |
    map(startswith("198.51.100.2:")) | any' list-peers $NET

# test_short_lived_invitation
check "a one-second invitation" invite peer3 robots "$T/peer3.toml" 1s \
    --ip 10.66.2.100
check "the server sweeps it out" wait_until 25 gone peer3
check_fails "the expired invitation does not install" \
    ctl eve install "$T/peer3.toml" --default-name
check "and leaves nothing on the host" wait_until 20 no_network eve
check "the same name and address can be invited again" \
    invite peer3 robots "$T/peer3b.toml" 30m --ip 10.66.2.100

# test_simultaneous_redemption
check "invite peer4" invite peer4 robots "$T/peer4.toml" 30s --auto-ip
check "invite peer5" invite peer5 robots "$T/peer5.toml" 30s --auto-ip
cp "$T/peer4.toml" "$T/peer4.spent"
ctl peer4 install "$T/peer4.toml" --name $NET > "$T/i4" 2>&1 &
i4=$!
ctl peer5 install "$T/peer5.toml" --name $NET > "$T/i5" 2>&1 &
i5=$!
check "peer4 and peer5 redeem at the same time" wait $i4
check "both succeeded" wait $i5
check "peer2 pings the server" reaches peer2 10.66.0.1
check "peer2 pings admin" reaches peer2 "$(ip_of admin)"
check "peer4 and peer5 (same CIDR) reach each other" \
    wait_until 20 reaches peer4 "$(ip_of peer5)"

# test_rename_cidr
check "admin renames robots" ctl admin rename-cidr $NET --name robots \
    --new-name coolbeans --yes
check "admin fetches" ctl admin fetch $NET
check "admin sees coolbeans" jqok admin \
    '.[] | select(.name == "coolbeans")' list-cidrs $NET
check "the server renames it back" ctl server rename-cidr $NET \
    --name coolbeans --new-name robots --yes
check "admin fetches" ctl admin fetch $NET
check "robots again" jqok admin '.[] | select(.name == "robots")' \
    list-cidrs $NET

# A redeemed invitation is spent.
check_fails "peer4's invitation does not install twice" \
    ctl eve install "$T/peer4.spent" --default-name
check "and leaves nothing on the host" wait_until 20 no_network eve

# Unassociated CIDRs do not see each other; an association grants,
# removing it takes back.  db1 sits behind the masquerading router.
check "add-cidr servers" ctl admin add-cidr $NET --name servers \
    --cidr 10.66.3.0/24 --parent $NET --yes
check "invite db1" invite db1 servers "$T/db1.toml" 30m --auto-ip
check "db1, behind NAT, installs" ctl db1 install "$T/db1.toml" --name $NET
db1=$(ip_of db1)
admin_ip=$(ip_of admin)
check "the server sees db1 through the NAT" wait_until 20 \
    seen_behind_nat db1
seen_behind_nat db1
check "admin fetches" ctl admin fetch $NET
check_fails "db1 is not on admin's interface" wg_has admin "$db1"
check "admin cannot reach db1" never_reaches admin "$db1"
check "associate humans and servers" \
    ctl admin add-association $NET humans servers --yes
check "admin fetches" ctl admin fetch $NET
check "db1 fetches" ctl db1 fetch $NET
check "db1 is on admin's interface" wg_has admin "$db1"
check "admin reaches db1 across the NAT" wait_until 40 reaches admin "$db1"
check "delete the association" \
    ctl admin delete-association $NET humans servers --yes
check "admin fetches" ctl admin fetch $NET
check "db1 fetches" ctl db1 fetch $NET
check_fails "db1 left admin's interface" wg_has admin "$db1"
check "admin no longer reaches db1" never_reaches admin "$db1"

# Disabling cuts a peer off at the next fetch; enabling brings it back.
p4=$(ip_of peer4)
check "disable peer4" ctl admin disable-peer $NET --name peer4 --yes
check "peer5 fetches" ctl peer5 fetch $NET
check_fails "peer4 left peer5's interface" wg_has peer5 "$p4"
check "peer5 no longer reaches peer4" never_reaches peer5 "$p4"
check_fails "peer4 itself is refused by the server" ctl peer4 fetch $NET
check "enable peer4" ctl admin enable-peer $NET --name peer4
check "peer4 fetches again" wait_until 20 ctl peer4 fetch $NET
check "peer5 fetches" ctl peer5 fetch $NET
check "peer5 reaches peer4 again" wait_until 20 reaches peer5 "$p4"

# Renames reach hosts files.
check "rename peer5" ctl admin rename-peer $NET --name peer5 \
    --new-name peer-five
check "peer4 fetches" ctl peer4 fetch $NET
check "peer4's hosts file has the new name" wait_until 10 \
    grep -q "peer-five.$NET.wg" "$T/peer4/hosts"
check_fails "and not the old one" grep -q "[[:space:]]peer5.$NET.wg" \
    "$T/peer4/hosts"

# Server restart keeps every peer and CIDR; SIGHUP reloads.
before=$(ctl server -j list-peers $NET | jq -c '[.[] | [.name, .ip,
    .public_key, .is_disabled]] | sort')
cidrs=$(ctl server -j list-cidrs $NET | jq -c 'sort_by(.id)')
check "the server stops" daemon_stop server
check "the server starts again" daemon_start server
check "every peer is still there" test "$(ctl server -j list-peers $NET |
    jq -c '[.[] | [.name, .ip, .public_key, .is_disabled]] | sort')" = \
    "$before"
check "every CIDR is still there" \
    test "$(ctl server -j list-cidrs $NET | jq -c 'sort_by(.id)')" = "$cidrs"
check "peer2 fetches from the restarted server" \
    wait_until 20 ctl peer2 fetch $NET
check "SIGHUP" kill -HUP "$(daemon_pid server)"
sleep 1
check "the server still runs after the reload" daemon_running server
check "and still serves" ctl peer2 fetch $NET
check "peer2 pings the server" wait_until 10 reaches peer2 10.66.0.1
exit $FAILED
