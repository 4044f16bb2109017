#!/bin/sh
# Requests the HTTP library refuses before the API sees them get the
# API's JSON error, not the library's HTML page: sent for real through
# the tunnel by an admin peer, each a request that would change the
# database if it were read (a new CIDR): a malformed request line, an
# HTTP/2.0 or HTTP/-1.1 one, an unknown method, a header without a
# colon, headers over 8 KiB (431), a body over max-body announced,
# behind an Expect: 100-continue or chunked (413), a malformed chunked
# body, also after an interim 100 Continue, a malformed request after a
# good one on the same connection, an Expect other than 100-continue
# (417), a Content-Length that is no number.  Each answer has its
# status, Content-Type application/json and a non-empty
# {"error": "..."}; the database is unchanged; the same request, well
# formed, then makes the CIDR.
. "$(dirname "$0")/lib.sh"

NET=corp
PORT=51820
SRV=10.66.0.1
RAW="$TOP/regress/netns/rawhttp.py"

net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2

cat >> "$T/server/innernet.conf" <<CONF
api:
  max-body: 1024
CONF

check "server daemon starts" daemon_start server
check "new network" ctl server new --network-name "$NET" \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:$PORT \
    --listen-port $PORT
check "add-cidr humans" ctl server add-cidr "$NET" --name humans \
    --cidr 10.66.1.0/24 --parent "$NET" --yes
check "add-peer admin" ctl server add-peer "$NET" --name admin \
    --cidr humans --admin true --auto-ip --save-config "$T/admin.toml" \
    --invite-expires 1h --yes
check "admin: interface from the invitation" \
    hp_up admin "$T/admin.toml" 10.66.0.0/16
check "admin reaches the server" wait_until 20 on admin ping -c1 -W1 $SRV
check "admin redeems" hp_redeem admin
check "admin reaches the server with its new key" \
    wait_until 20 on admin ping -c1 -W1 $SRV
[ "$FAILED" -eq 0 ] || exit 1

snapshot() {
	sqlite3 "$T/server/state/server/$NET.db" \
	    'SELECT * FROM cidrs ORDER BY id;
	     SELECT * FROM peers ORDER BY id;
	     SELECT * FROM associations ORDER BY id'
}
unchanged() {
	snapshot > "$T/after.txt" && cmp "$T/before.txt" "$T/after.txt"
}

# req METHOD PATH [HEADER...]: a request line, Host, the server's key,
# the headers given and the empty line.
req() {
	printf '%s %s HTTP/1.1\r\nHost: %s\r\nX-Innernet-Server-Key: %s\r\n' \
	    "$1" "$2" "$(cat "$T/admin/api")" "$(cat "$T/admin/skey")"
	shift 2
	for _h in "$@"; do
		printf '%s\r\n' "$_h"
	done
	printf '\r\n'
}

# answered WHAT STATUS: the answer in $T/admin/body{,.head} has STATUS,
# is JSON and holds an error.
answered() {
	if [ "$_st" = "$2" ] && [ -s "$T/admin/body" ] &&
	    grep -qi '^content-type: application/json' "$T/admin/body.head" &&
	    jq -e '.error | type == "string" and length > 0' \
	    "$T/admin/body" >/dev/null 2>&1; then
		ok "$1: $2, $(jq -r .error "$T/admin/body")"
	else
		notok "$1 (status $_st, want $2 with a JSON error)"
		{ cat "$T/admin/body.head"; echo; cat "$T/admin/body"; echo; } \
		    2>/dev/null | tr -d '\r' | sed 's/^/#   /' | head -12
	fi
}

# raw WHAT STATUS: standard input sent as it is from the admin peer.
raw() {
	rm -f "$T/admin/body" "$T/admin/body.head"
	_st=$(on admin python3 "$RAW" $SRV $PORT "$(cat "$T/admin/ip")" \
	    "$T/admin/body")
	answered "$@"
}

CIDR='{"name":"victim","cidr":"10.66.5.0/24","parent":1}'
LEN=${#CIDR}
snapshot > "$T/before.txt"

printf 'GARBAGE\r\n\r\n' | raw "a malformed request line" 400
{ printf 'POST /v1/admin/cidrs HTTP/2.0\r\n'; req POST /v1/admin/cidrs \
    "Content-Length: $LEN" | sed 1d; printf '%s' "$CIDR"; } |
    raw "an HTTP/2.0 request line" 400
# answered by the library in that version: "HTTP/-1.1 400 ..."
{ printf 'POST /v1/admin/cidrs HTTP/-1.1\r\n'; req POST /v1/admin/cidrs \
    "Content-Length: $LEN" "NoColonHere" | sed 1d; printf '%s' "$CIDR"; } |
    raw "an HTTP/-1.1 request line, a header without a colon" 400
{ req BREW /v1/admin/cidrs "Content-Length: $LEN"; printf '%s' "$CIDR"; } |
    raw "an unknown method" 501
{ req POST /v1/admin/cidrs "Content-Length: $LEN" "NoColonHere"
    printf '%s' "$CIDR"; } | raw "a header line without a colon" 400
big=$(awk 'BEGIN { for (i = 0; i < 9000; i++) printf "a" }')
{ req POST /v1/admin/cidrs "Content-Length: $LEN" "X-Big: $big"
    printf '%s' "$CIDR"; } | raw "headers over 8 KiB" 431
{ printf 'POST /v1/admin/cidrs?%s HTTP/1.1\r\n' "$big"; req POST / |
    sed 1d; } | raw "a request line over 8 KiB" 431
req POST /v1/admin/cidrs "Content-Length: 1048576" |
    raw "a Content-Length over max-body" 413
req POST /v1/admin/cidrs "Content-Length: 1048576" "Expect: 100-continue" |
    raw "Expect: 100-continue with a Content-Length over max-body" 413
req POST /v1/admin/cidrs "Transfer-Encoding: chunked" |
    { cat; printf '100000\r\n'; } |
    raw "a chunked body over max-body" 413
{ req POST /v1/admin/cidrs "Transfer-Encoding: chunked"
    printf 'zz\r\n%s\r\n0\r\n\r\n' "$CIDR"; } |
    raw "a malformed chunked body (413, as the library has it)" 413
{ req POST /v1/admin/cidrs "Transfer-Encoding: chunked" \
    "Expect: 100-continue"; printf -- '--\nzz\r\n'; } |
    raw "a malformed chunk after 100 Continue" 413
{ req GET /v1/user/state; printf -- '--\n'
    req POST /v1/admin/cidrs "Content-Length: $LEN" "NoColonHere"
    printf '%s' "$CIDR"; } |
    raw "a malformed request after another on the connection" 400
{ req POST /v1/admin/cidrs "Content-Length: $LEN" "Expect: bogus"
    printf '%s' "$CIDR"; } | raw "an Expect other than 100-continue" 417
{ req POST /v1/admin/cidrs "Content-Length: abc"; printf '%s' "$CIDR"; } |
    raw "a Content-Length that is no number" 400
{ req POST /v1/admin/cidrs "Content-Length: -$LEN"; printf '%s' "$CIDR"; } |
    raw "a negative Content-Length" 400

# curl sends a body over max-body whole, or waits for 100 Continue
pad=$(awk 'BEGIN { for (i = 0; i < 3000; i++) printf " " }')
_st=$(hp_api admin POST /v1/admin/cidrs -H 'Content-Type: application/json' \
    --data-binary "$CIDR$pad" -D "$T/admin/body.head")
answered "curl: a 3 KB body" 413
_st=$(hp_api admin POST /v1/admin/cidrs -H 'Content-Type: application/json' \
    -H 'Expect: 100-continue' --data-binary "$CIDR$pad" \
    -D "$T/admin/body.head")
answered "curl: a 3 KB body behind Expect: 100-continue" 413

check "the database is unchanged" unchanged
check "the daemon still runs" daemon_running server
# the same request, well formed: the database would have changed
_st=$(hp_api admin POST /v1/admin/cidrs -H 'Content-Type: application/json' \
    --data-binary "$CIDR")
check "the well-formed request makes the CIDR (status $_st)" \
    test "$_st" = 201
check_fails "and changes the database" unchanged
# an API error still comes from the API, the connection kept
_st=$(hp_api admin GET /v1/nowhere -D "$T/admin/body.head")
answered "an unknown path" 404
exit $FAILED
