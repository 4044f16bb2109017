#!/bin/sh
# Inputs upstream accepts but that harm other peers are refused with 400
# and a JSON error, and change nothing: endpoints and candidates that
# are loopback, multicast, broadcast, unspecified (but for the override
# form, an unspecified address with a port), link-local or port 0, at
# PUT /v1/user/endpoint, PUT /v1/user/candidates and the admin's peer add
# and update; public keys of small order (all zeros and the other six)
# at redeem and peer add.
. "$(dirname "$0")/lib.sh"

NET=corp

net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2
host_add user1 192.0.2.3
host_add fresh 192.0.2.4

json_api() {
	hp_api "$1" "$2" "$3" -H 'Content-Type: application/json' \
	    --data-binary "$4"
}

# refused WHAT HOST METHOD PATH BODY: 400 with a JSON error that gives
# the reason (WHY, a pattern), not some other refusal.
refused() {
	_w=$1; shift
	_s=$(json_api "$@")
	if [ "$_s" = 400 ] && jq -e --arg why "$WHY" \
	    '.error | type == "string" and test($why)' \
	    "$T/$1/body" >/dev/null 2>&1; then
		ok "$_w: 400, $(jq -r .error "$T/$1/body")"
	else
		notok "$_w (status $_s, want 400 with a JSON error)"
		{ cat "$T/$1/body"; echo; } 2>/dev/null | sed 's/^/#   /' |
		    head -3
	fi
}

# accepted WHAT STATUS HOST METHOD PATH BODY
accepted() {
	_w=$1 _want=$2; shift 2
	_s=$(json_api "$@")
	if [ "$_s" = "$_want" ]; then
		ok "$_w"
	else
		notok "$_w (status $_s, want $_want)"
		{ cat "$T/$1/body"; echo; } 2>/dev/null | sed 's/^/#   /' |
		    head -3
	fi
}

# The server's peers as the database holds them.
snapshot() {
	sqlite3 "$T/server/state/server/$NET.db" \
	    'SELECT * FROM peers ORDER BY id'
}
unchanged() {
	snapshot > "$T/after.txt" && cmp -s "$T/before.txt" "$T/after.txt"
}
wg_peers() {
	on server wg show "$NET" peers | sort
}
wg_unchanged() {
	wg_peers > "$T/wg.after" && cmp -s "$T/wg.before" "$T/wg.after"
}
peer_col() {	# NAME COLUMN
	sqlite3 "$T/server/state/server/$NET.db" \
	    "SELECT $2 FROM peers WHERE name = '$1'"
}

check "server starts" daemon_start server
check "new network" ctl server new --network-name "$NET" \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:51820 \
    --listen-port 51820
check "add-cidr humans" ctl server add-cidr "$NET" --name humans \
    --cidr 10.66.1.0/24 --parent "$NET" --yes
for p in admin:true user1:false fresh:false; do
	check "add-peer ${p%:*}" ctl server add-peer "$NET" --name "${p%:*}" \
	    --cidr humans --admin "${p#*:}" --auto-ip \
	    --save-config "$T/${p%:*}.toml" --invite-expires 1h --yes
done
for h in admin user1 fresh; do
	check "$h: interface from its invitation" \
	    hp_up "$h" "$T/$h.toml" 10.66.0.0/16
done
check "admin reaches the server" wait_until 20 on admin ping -c1 -W1 \
    10.66.0.1
check "admin and user1 redeem" hp_redeem admin user1
check "user1 reaches the server with its new key" \
    wait_until 20 on user1 ping -c1 -W1 10.66.0.1
accepted "user1 sets a good endpoint" 204 user1 PUT /v1/user/endpoint \
    '{"option":"Set","content":"198.51.100.7:51820"}'
accepted "user1 sets good candidates" 204 user1 PUT /v1/user/candidates \
    '["192.0.2.3:51820","[2001:db8::3]:51820"]'

snapshot > "$T/before.txt"
WHY='^invalid (endpoint|candidate) '
wg_peers > "$T/wg.before"

BAD="127.0.0.1:51820 127.1.2.3:51820 [::1]:51820 [::ffff:127.0.0.1]:51820
localhost:51820 224.0.0.1:51820 239.255.255.250:1900 [ff02::1]:51820
255.255.255.255:51820 169.254.10.1:51820 [fe80::1]:51820 192.0.2.3:0
example.com:0"
for ep in $BAD; do
	refused "endpoint $ep" user1 PUT /v1/user/endpoint \
	    "{\"option\":\"Set\",\"content\":\"$ep\"}"
	refused "candidate $ep" user1 PUT /v1/user/candidates \
	    "[\"192.0.2.3:51820\",\"$ep\"]"
done
for ep in 0.0.0.0:51820 "[::]:51820" 0.0.0.0:0; do
	refused "candidate $ep" user1 PUT /v1/user/candidates "[\"$ep\"]"
done
refused "override endpoint without a port" user1 PUT /v1/user/endpoint \
    '{"option":"Set","content":"0.0.0.0:0"}'

# The admin's peer add and update.
# Each attempt has its own name, address and key, so that no refusal
# is merely a duplicate of an earlier attempt that was let through.
pubkey() {
	wg genkey | wg pubkey
}
peer_json() {	# NAME IP KEY ENDPOINT CANDIDATES
	echo "{\"name\":\"$1\",\"ip\":\"$2\",\"cidr_id\":3,
	    \"public_key\":\"$3\",\"endpoint\":$4,
	    \"persistent_keepalive_interval\":25,\"is_admin\":false,
	    \"is_disabled\":false,\"is_redeemed\":true,
	    \"invite_expires\":null,\"candidates\":$5}"
}
good=$(wg genkey | wg pubkey)
refused "add-peer with a loopback endpoint" admin POST /v1/admin/peers \
    "$(peer_json p1 10.66.1.51 "$(pubkey)" '"127.0.0.1:51820"' '[]')"
refused "add-peer with a port 0 endpoint" admin POST /v1/admin/peers \
    "$(peer_json p2 10.66.1.52 "$(pubkey)" '"192.0.2.9:0"' '[]')"
refused "add-peer with a multicast candidate" admin POST \
    /v1/admin/peers "$(peer_json p3 10.66.1.53 "$(pubkey)" null \
    '["224.0.0.251:5353"]')"
user1_id=$(peer_col user1 id)
user1_key=$(peer_col user1 public_key)
user1_ip=$(peer_col user1 ip)
refused "update with a link-local endpoint" admin PUT \
    "/v1/admin/peers/$user1_id" "$(peer_json user1 "$user1_ip" \
    "$user1_key" '"[fe80::2]:51820"' '["192.0.2.3:51820"]')"
refused "update with a broadcast candidate" admin PUT \
    "/v1/admin/peers/$user1_id" "$(peer_json user1 "$user1_ip" \
    "$user1_key" '"198.51.100.7:51820"' '["255.255.255.255:9"]')"

# Keys of small order: all zeros, one, the two of order 8, p - 1, p,
# p + 1, and one with the unused top bit set.
SMALL="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=
X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEVc=
7P///////////////////////////////////////38=
7f///////////////////////////////////////38=
7v///////////////////////////////////////38=
7f////////////////////////////////////////8="
WHY='small order'
i=60
for k in $SMALL; do
	i=$((i + 1))
	refused "add-peer with key $k" admin POST /v1/admin/peers \
	    "$(peer_json "k$i" "10.66.1.$i" "$k" null '[]')"
	refused "redeem with key $k" fresh POST /v1/user/redeem \
	    "{\"public_key\":\"$k\"}"
done

check "nothing changed in the database" unchanged
check "nothing changed on WireGuard" wg_unchanged
check "fresh is still unredeemed" test "$(peer_col fresh is_redeemed)" = 0

# What stays allowed.
accepted "the override form (unspecified address, a port)" 204 user1 \
    PUT /v1/user/endpoint '{"option":"Set","content":"0.0.0.0:51820"}'
accepted "a named endpoint" 204 user1 PUT /v1/user/endpoint \
    '{"option":"Set","content":"vpn.example.com:51820"}'
accepted "add-peer with a good key and endpoint" 201 admin POST \
    /v1/admin/peers "$(peer_json p1 10.66.1.50 "$good" \
    '"198.51.100.9:51820"' '["192.0.2.50:51820"]')"
accepted "fresh redeems with a real key" 204 fresh POST /v1/user/redeem \
    "{\"public_key\":\"$(wg genkey | wg pubkey)\"}"
check "daemon still running" daemon_running server
exit $FAILED
