#!/bin/sh
# Local users are not API callers.  On the server host, curl as nobody
# and as root, with the right server key, against every route: from the
# default source (the server's own overlay address: its peer is an
# admin) and from another address of the host on the WireGuard link
# (found local by asking the kernel, not by a list).  Loopback and the
# host's other links do not reach a listener bound to the WireGuard
# interface at all.  No answer at all, and nothing changes (peers,
# CIDRs, associations, WireGuard's peers), while a real peer on another
# host is still served.
. "$(dirname "$0")/lib.sh"

NET=corp
PORT=51820
SRV=10.66.0.1

net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2

check "server daemon starts" daemon_start server
check "new network" ctl server new --network-name "$NET" \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:$PORT \
    --listen-port $PORT
check "add-cidr humans" ctl server add-cidr "$NET" --name humans \
    --cidr 10.66.1.0/24 --parent "$NET" --yes
check "add-cidr devs" ctl server add-cidr "$NET" --name devs \
    --cidr 10.66.2.0/24 --parent "$NET" --yes
check "add-association" ctl server add-association "$NET" humans devs \
    --yes
check "add-peer admin" ctl server add-peer "$NET" --name admin \
    --cidr humans --admin true --auto-ip --save-config "$T/admin.toml" \
    --invite-expires 1h --yes
check "admin: interface from the invitation" \
    hp_up admin "$T/admin.toml" 10.66.0.0/16
check "admin reaches the server" wait_until 20 on admin ping -c1 -W1 $SRV
check "admin redeems" hp_redeem admin
check "admin reaches the server with its new key" \
    wait_until 20 on admin ping -c1 -W1 $SRV
SKEY=$(cat "$T/admin/skey")
check "a second local address on the WireGuard link" \
    on server ip addr add 10.66.0.77/32 dev "$NET"

# What an attack could change, as the server sees it.
snapshot() {
	{
		ctl server -j list-peers "$NET" | jq -c '[.[] | {id, name,
		    ip, public_key, cidr_id, is_admin, is_disabled,
		    is_redeemed}]'
		ctl server -j list-cidrs "$NET"
		ctl server -j list-associations "$NET"
		on server wg show "$NET" peers | sort
	} > "$1" 2>&1
}
snapshot "$T/before"
check "the snapshot lists the admin" grep -q admin "$T/before"

# local AS SOURCE METHOD PATH [BODY]: curl on the server host; prints
# the HTTP status (000: no answer at all) and the body after it.
local_call() {
	_as=$1 _src=$2 _m=$3 _p=$4 _b=${5:-}
	set -- curl -s -m 3 -o - -w ' %{http_code}' -X "$_m" \
	    -H "X-Innernet-Server-Key: $SKEY" \
	    -H 'Content-Type: application/json'
	[ -z "$_src" ] || set -- "$@" --interface "$_src"
	[ -z "$_b" ] || set -- "$@" --data-binary "$_b"
	set -- "$@" "http://$SRV:$PORT$_p"
	if [ "$_as" = nobody ]; then
		on server setpriv --reuid=nobody --regid=nogroup \
		    --clear-groups -- "$@"
	else
		on server "$@"
	fi
}

# refused AS SOURCE METHOD PATH [BODY]: no status, no body.
refused() {
	_out=$(local_call "$@")
	echo "answer: $_out"
	[ "$_out" = " 000" ]
}

newkey=$(wg genkey | wg pubkey)
peer=$(jq -cn --arg k "$newkey" '{name: "intruder", ip: "10.66.1.200",
    cidr_id: 3, public_key: $k, is_admin: true, endpoint: null,
    persistent_keepalive_interval: 25, is_disabled: false,
    is_redeemed: true, invite_expires: null, candidates: []}')
rename='{"name":"renamed","is_admin":true,"is_disabled":false,"endpoint":null}'
cidr='{"name":"sneaky","cidr":"10.66.9.0/24","parent":1}'
assoc='{"cidr_id_1":1,"cidr_id_2":3}'
ep='{"option":"Set","content":"198.51.100.9:51820"}'
for as in nobody root; do
	for src in "" 10.66.0.77; do
		what="$as from ${src:-the overlay address}"
		while read -r m p b; do
			check "$what: $m $p refused" refused "$as" "$src" \
			    "$m" "$p" "$b"
		done <<ROUTES
GET /v1/admin/peers
POST /v1/admin/peers $peer
PUT /v1/admin/peers/2 $rename
DELETE /v1/admin/peers/2
GET /v1/admin/cidrs
POST /v1/admin/cidrs $cidr
PUT /v1/admin/cidrs/3 {"name":"renamed"}
DELETE /v1/admin/cidrs/4
GET /v1/admin/associations
POST /v1/admin/associations $assoc
DELETE /v1/admin/associations/1
GET /v1/user/state
GET /v1/user/capabilities
POST /v1/user/redeem {"public_key":"$newkey"}
PUT /v1/user/endpoint $ep
PUT /v1/user/candidates ["198.51.100.9:51820"]
ROUTES
	done
done

snapshot "$T/after"
check "nothing changed (peers, CIDRs, associations, WireGuard)" \
    cmp "$T/before" "$T/after"
check "no intruder in WireGuard" \
    sh -c "! grep -qF '$newkey' '$T/after'"
check "the refusals are logged" \
    grep -q "refused connections from a local address" \
    "$T/server/daemon.log"

# A real peer through the tunnel is still an admin.
admin_lists() {
	[ "$(hp_api admin GET /v1/admin/peers)" = 200 ]
}
check "the admin peer still lists the peers" admin_lists
check "the admin peer's answer has the peers" \
    jqe 'length >= 2' "$T/admin/body"
check "the set is still running" daemon_running server
exit $FAILED
