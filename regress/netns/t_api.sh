#!/bin/sh
# The server's HTTP API, spoken to directly with curl over WireGuard, as
# upstream's server tests do: status codes, shapes, visibility, limits.
# The peers here are bare wireguard-go interfaces configured by hand from
# their invitations, so only the server side of innernetd is under test.
. "$(dirname "$0")/lib.sh"

NET=corp
SRV_IP=10.66.0.1
PORT=51820

net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2
host_add user1 192.0.2.3
host_add dev1 192.0.2.4

# toml FILE SECTION KEY: a value from an invitation.
toml() {
	awk -v s="[$2]" -v k="$3" '
	    /^\[/ { in_s = ($0 == s) }
	    in_s && $1 == k { sub(/^[^=]*= */, ""); gsub(/"/, ""); print }
	' "$1"
}

# raw_up HOST INVITATION: the host's interface "wg0" with the invitation's
# key and address, one peer: the server.
raw_up() {
	_h=$1 _inv=$2
	_key=$(toml "$_inv" interface private-key)
	_addr=$(toml "$_inv" interface address)
	_spub=$(toml "$_inv" server public-key)
	_sep=$(toml "$_inv" server external-endpoint)
	echo "$_key" > "$T/$_h/wg.key"
	on "$_h" wireguard-go wg0 >/dev/null 2>&1 &&
	    on "$_h" wg set wg0 private-key "$T/$_h/wg.key" peer "$_spub" \
	    endpoint "$_sep" allowed-ips 10.66.0.0/16 \
	    persistent-keepalive 25 &&
	    on "$_h" ip addr add "$_addr" dev wg0 &&
	    on "$_h" ip link set wg0 up &&
	    echo "${_addr%/*}" > "$T/$_h/ip"
}

# rekey HOST: a new key pair for the host's interface; prints the public.
rekey() {
	wg genkey > "$T/$1/wg.key.new"
	wg pubkey < "$T/$1/wg.key.new"
}

rekey_apply() {
	mv "$T/$1/wg.key.new" "$T/$1/wg.key"
	on "$1" wg set wg0 private-key "$T/$1/wg.key"
}

# api HOST METHOD PATH [BODY]: prints the status; the body is in $T/body.
api() {
	_h=$1 _m=$2 _p=$3
	shift 3
	set -- -s -m 20 -o "$T/body" -w '%{http_code}' -X "$_m" \
	    --interface "$(cat "$T/$_h/ip")" \
	    -H "X-Innernet-Server-Key: ${KEY_OVERRIDE:-$SKEY}" "$@"
	on "$_h" curl "$@" "http://$SRV_IP:$PORT$_p"
}

api_json() {
	api "$1" "$2" "$3" -H 'Content-Type: application/json' \
	    --data-binary "$4"
}

# expect WHAT STATUS command...: the command must print STATUS.
expect() {
	_what=$1 _want=$2
	shift 2
	_got=$("$@" 2>/dev/null)
	if [ "$_got" = "$_want" ]; then
		ok "$_what"
	else
		notok "$_what (status $_got, want $_want)"
		# a JSON body ends without a newline: end the line, or the
		# next "ok" line is glued to it and not counted
		{ sed 's/^/#   /' "$T/body" 2>/dev/null | head -5; echo; } |
		    grep -v '^$'
	fi
}

body_has() {
	jqe "$1" "$T/body" >/dev/null
}

check "server daemon starts" daemon_start server
check "new network" ctl server new --network-name "$NET" \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:$PORT \
    --listen-port $PORT
check "add-cidr humans" ctl server add-cidr "$NET" --name humans \
    --cidr 10.66.1.0/24 --parent "$NET" --yes
check "add-cidr devs" ctl server add-cidr "$NET" --name devs \
    --cidr 10.66.2.0/24 --parent "$NET" --yes
for p in admin:humans:true user1:humans:false dev1:devs:false; do
	IFS=: read -r name cidr admin <<EOF
$p
EOF
	check "add-peer $name" ctl server add-peer "$NET" --name "$name" \
	    --cidr "$cidr" --admin "$admin" --auto-ip \
	    --save-config "$T/$name.toml" --invite-expires 1h --yes
done
SKEY=$(toml "$T/admin.toml" server public-key)
check "server key in the invitation" test -n "$SKEY"

for h in admin user1 dev1; do
	check "$h: interface from the invitation" raw_up "$h" "$T/$h.toml"
done
check "admin reaches the server" wait_until 20 on admin ping -c1 -W1 $SRV_IP

# Before redeeming: capabilities yes, state no.
expect "capabilities for an invited peer" 200 \
    api admin GET /v1/user/capabilities
check "capabilities body" body_has \
    '.unspecified_ip_in_override_endpoint == true'
expect "state before redeem is 401" 401 api admin GET /v1/user/state
expect "admin route before redeem is 401" 401 \
    api admin GET /v1/admin/peers
expect "redeem with a bad key is 400" 400 \
    api_json admin POST /v1/user/redeem '{"public_key":"nope"}'

for h in admin user1 dev1; do
	pub=$(rekey "$h")
	expect "$h redeems" 204 api_json "$h" POST /v1/user/redeem \
	    "{\"public_key\":\"$pub\"}"
	# at once: the old key reaches the server only until it swaps
	[ "$h" = admin ] && expect "second redeem is refused" 401 api_json \
	    admin POST /v1/user/redeem \
	    "{\"public_key\":\"$(wg genkey | wg pubkey)\"}"
done
sleep 6	# what an upstream client waits; our server swaps sooner
for h in admin user1 dev1; do
	rekey_apply "$h"
done
check "admin reaches the server with its new key" \
    wait_until 20 on admin ping -c1 -W1 $SRV_IP
check "user1 reaches the server with its new key" \
    wait_until 20 on user1 ping -c1 -W1 $SRV_IP
check "dev1 reaches the server with its new key" \
    wait_until 20 on dev1 ping -c1 -W1 $SRV_IP

# Identity and routing.
expect "state after redeem" 200 api user1 GET /v1/user/state
check "user1 sees its CIDR and infra" body_has \
    '[.peers[].name] | sort == ["admin","innernet-server","user1"]'
check "every CIDR listed" body_has '.cidrs | length == 4'
check "peer shape" body_has '.peers[0] | has("id") and has("name") and
    has("ip") and has("cidr_id") and has("public_key") and
    has("endpoint") and has("persistent_keepalive_interval") and
    has("is_admin") and has("is_disabled") and has("is_redeemed") and
    has("invite_expires") and has("candidates")'
expect "dev1 state" 200 api dev1 GET /v1/user/state
check "dev1 does not see humans" body_has \
    '[.peers[].name] | sort == ["dev1","innernet-server"]'
KEY_OVERRIDE=$(wg genkey | wg pubkey)
expect "wrong server key is 401" 401 api admin GET /v1/admin/peers
KEY_OVERRIDE='!!!'
expect "undecodable server key is 401" 401 api admin GET /v1/admin/peers
KEY_OVERRIDE=
expect "path outside /v1 is 404" 404 api admin GET /v2/admin/peers
expect "unknown area is 404" 404 api admin GET /v1/nothing
expect "unknown user route is 404" 404 api admin GET /v1/user/nothing
expect "admin route from a non-admin is 401" 401 \
    api user1 GET /v1/admin/peers

# ETag: the same document is not sent twice.
etag_of() {	# etag_of HEADERS: the ETag in a response's headers
	tr -d '\r' < "$1" | awk 'tolower($1) == "etag:" { print $2 }'
}
api user1 GET /v1/user/state -D "$T/hdr" >/dev/null
etag=$(etag_of "$T/hdr")
check "state has an ETag" test -n "$etag"
# The document holds the endpoints WireGuard observed: when one changed
# between the two requests, the 200 carries another ETag; ask again.
n=0
while :; do
	got=$(api user1 GET /v1/user/state -H "If-None-Match: $etag" \
	    -D "$T/hdr")
	[ "$got" = 200 ] && [ -n "$(etag_of "$T/hdr")" ] &&
	    [ "$(etag_of "$T/hdr")" != "$etag" ] && [ $n -lt 5 ] || break
	etag=$(etag_of "$T/hdr") n=$((n + 1))
done
expect "matching If-None-Match is 304" 304 echo "$got"

# Endpoint and candidates.
expect "override endpoint" 204 api_json user1 PUT /v1/user/endpoint \
    '{"option":"Set","content":"198.51.100.7:51820"}'
expect "bad override endpoint is 400" 400 api_json user1 PUT \
    /v1/user/endpoint 'endpoint=blah'
expect "candidates" 204 api_json user1 PUT /v1/user/candidates \
    '["192.0.2.3:51820"]'
eleven=$(jq -cn '[range(11) | "192.0.2.\(. + 1):1"]')
expect "eleven candidates are 413" 413 api_json user1 PUT \
    /v1/user/candidates "$eleven"
expect "admin list" 200 api admin GET /v1/admin/peers
check "endpoint and candidates stored" body_has '.[] |
    select(.name == "user1") | .endpoint == "198.51.100.7:51820" and
    (.candidates | index("192.0.2.3:51820") != null)'
observed_dev1() {
	[ "$(api admin GET /v1/admin/peers)" = 200 ] && body_has \
	    '.[] | select(.name == "dev1") | .endpoint | startswith("192.0.2.4:")'
}
check "endpoint WireGuard observed shows up" wait_until 15 observed_dev1
expect "unset override endpoint" 204 api_json user1 PUT /v1/user/endpoint \
    '{"option":"Unset"}'

# Admin: CIDRs, associations, peers.
expect "add CIDR" 201 api_json admin POST /v1/admin/cidrs \
    '{"name":"lab","cidr":"10.66.3.0/24","parent":1}'
check "CIDR answer" body_has '.name == "lab" and .cidr == "10.66.3.0/24"'
lab=$(jq -r .id "$T/body")
expect "overlapping CIDR is 400" 400 api_json admin POST /v1/admin/cidrs \
    '{"name":"lab2","cidr":"10.66.3.0/25","parent":1}'
expect "duplicate CIDR name is 400" 400 api_json admin POST \
    /v1/admin/cidrs '{"name":"lab","cidr":"10.66.4.0/24","parent":1}'
expect "rename CIDR" 204 api_json admin PUT "/v1/admin/cidrs/$lab" \
    '{"name":"lab-renamed","cidr":"10.66.3.0/24","parent":1}'
expect "delete CIDR with peers is 400" 400 api admin DELETE \
    /v1/admin/cidrs/3
expect "delete unknown CIDR is 404" 404 api admin DELETE \
    /v1/admin/cidrs/999
expect "delete CIDR" 204 api admin DELETE "/v1/admin/cidrs/$lab"

expect "associate humans and devs" 201 api_json admin POST \
    /v1/admin/associations '{"cidr_id_1":3,"cidr_id_2":4}'
check "association answer is empty, as upstream" test ! -s "$T/body"
expect "flipped duplicate association is 400" 400 api_json admin POST \
    /v1/admin/associations '{"cidr_id_1":4,"cidr_id_2":3}'
expect "dev1 state after association" 200 api dev1 GET /v1/user/state
check "dev1 now sees humans" body_has \
    '[.peers[].name] | sort == ["admin","dev1","innernet-server","user1"]'
expect "list associations" 200 api admin GET /v1/admin/associations
assoc=$(jq -r '.[0].id' "$T/body")
expect "delete association" 204 api admin DELETE \
    "/v1/admin/associations/$assoc"

newkey=$(wg genkey | wg pubkey)
peer="{\"name\":\"printer\",\"ip\":\"10.66.2.50\",\"cidr_id\":4,
    \"public_key\":\"$newkey\",\"endpoint\":null,
    \"persistent_keepalive_interval\":25,\"is_admin\":false,
    \"is_disabled\":false,\"is_redeemed\":true,\"invite_expires\":null}"
expect "add peer" 201 api_json admin POST /v1/admin/peers "$peer"
check "peer answer" body_has '.name == "printer" and .ip == "10.66.2.50"'
printer=$(jq -r .id "$T/body")
check "new peer on the server's WireGuard" on server sh -c \
    "wg show $NET peers | grep -q '$newkey'"
expect "duplicate peer name is 400" 400 api_json admin POST \
    /v1/admin/peers "$peer"
expect "peer outside its CIDR is 400" 400 api_json admin POST \
    /v1/admin/peers "$(echo "$peer" | sed 's/printer/p2/;
    s/10.66.2.50/10.66.1.50/')"
expect "non-numeric peer id is 404" 404 api_json admin PUT \
    /v1/admin/peers/abc "$peer"
expect "rename peer" 204 api_json admin PUT "/v1/admin/peers/$printer" \
    "$(echo "$peer" | sed 's/"printer"/"printer2"/')"
expect "bad JSON is 400" 400 api_json admin POST /v1/admin/peers '{'
expect "disable peer" 204 api admin DELETE "/v1/admin/peers/$printer"
check "disabled peer gone from WireGuard" on server sh -c \
    "! wg show $NET peers | grep -q '$newkey'"
expect "disable unknown peer is 404" 404 api admin DELETE \
    /v1/admin/peers/999

user1_id=$(api admin GET /v1/admin/peers >/dev/null;
    jq -r '.[] | select(.name == "user1") | .id' "$T/body")
expect "disable user1" 204 api admin DELETE "/v1/admin/peers/$user1_id"
check "disabled user1 is cut off" sh -c \
    "! nsenter -t $(cat "$T/user1/anchor.pid") -m -n ping -c1 -W2 $SRV_IP"
check "daemon still running" daemon_running server
exit $FAILED
