#!/bin/sh
# Security of the server's API and of the sandboxes.  The API answers only
# inside the tunnel; admin routes only to admins; a disabled peer and a
# request without the server's key get 401; oversized requests are
# refused; idle and slow clients do not hold up other peers; a short load
# makes no errors.  Each sandboxed process is refused a file outside what
# it unveiled.  The peers are hand-made wireguard-go interfaces.
. "$(dirname "$0")/lib.sh"

NET=corp
PORT=51820
SRV=10.66.0.1
NIDLE=${SECURITY_IDLE:-1000}

# A service manager gives a daemon 1024 descriptors unless told otherwise,
# and innernetd.service does not say; the set runs with that here.
ulimit -Sn 1024

# innernetctl waits for its answer as long as it takes; bound it here.
ctl() {
	_h=$1; shift
	on "$_h" timeout 60 "$BIN/innernetctl" -s "$T/$_h/innernetd.sock" "$@"
}

net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2
host_add user1 192.0.2.3
host_add idler 192.0.2.4
host_add gone 192.0.2.5
host_add outsider 192.0.2.6

# raw HOST METHOD PATH [curl arguments...]: hp_api without the server key.
raw() {
	_h=$1 _m=$2 _p=$3
	shift 3
	on "$_h" curl -s -m 10 -o "$T/$_h/body" -w '%{http_code}' -X "$_m" \
	    --interface "$(cat "$T/$_h/ip")" "$@" "http://$SRV:$PORT$_p"
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
	fi
}

json() {	# json HOST METHOD PATH BODY: hp_api with a JSON body
	hp_api "$1" "$2" "$3" -H 'Content-Type: application/json' \
	    --data-binary "$4"
}

check "server daemon starts" daemon_start server
check "new network" ctl server new --network-name "$NET" \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:$PORT \
    --listen-port $PORT
check "add-cidr humans" ctl server add-cidr "$NET" --name humans \
    --cidr 10.66.1.0/24 --parent "$NET" --yes
check "add-cidr devs" ctl server add-cidr "$NET" --name devs \
    --cidr 10.66.2.0/24 --parent "$NET" --yes
for p in admin:true user1:false idler:false gone:false; do
	name=${p%:*}
	check "add-peer $name" ctl server add-peer "$NET" --name "$name" \
	    --cidr humans --admin "${p#*:}" --auto-ip \
	    --save-config "$T/$name.toml" --invite-expires 1h --yes
done
for h in admin user1 idler gone; do
	check "$h: interface from the invitation" \
	    hp_up "$h" "$T/$h.toml" 10.66.0.0/16
	check "$h reaches the server" wait_until 20 on "$h" ping -c1 -W1 $SRV
done
check "the peers redeem" hp_redeem admin user1 idler gone
for h in admin user1 idler gone; do
	check "$h reaches the server with its new key" \
	    wait_until 20 on "$h" ping -c1 -W1 $SRV
done
SKEY=$(cat "$T/admin/skey")
expect "admin fetches its state" 200 hp_api admin GET /v1/user/state

# --- only inside the tunnel -------------------------------------------
# From the link the server's WireGuard listens on: its address there,
# its overlay address routed over the link, and the overlay address of
# an admin as the source.  Nothing may answer.
no_answer() {	# no_answer CURL-ARGS...: curl gets no HTTP status at all
	_c=$(on outsider curl -s -m 3 -o /dev/null -w '%{http_code}' \
	    -H "X-Innernet-Server-Key: $SKEY" "$@")
	echo "status $_c"
	[ "$_c" = 000 ]
}
check "outsider reaches the server's link address" \
    on outsider ping -c1 -W2 192.0.2.1
check "no answer on the link address" \
    no_answer "http://192.0.2.1:$PORT/v1/user/state"
check "outsider routes the overlay to the server's link address" \
    on outsider ip route add 10.66.0.0/16 via 192.0.2.1
check "no answer on the overlay address over the link" \
    no_answer "http://$SRV:$PORT/v1/user/state"
admin_ip=$(cat "$T/admin/ip")
check "outsider takes the admin's overlay address" \
    on outsider ip addr add "$admin_ip/32" dev eth0
check "no answer to the admin's address from outside the tunnel" \
    no_answer --interface "$admin_ip" "http://$SRV:$PORT/v1/admin/peers"

# --- the server key header ---------------------------------------------
expect "state without the server key is 401" 401 \
    raw user1 GET /v1/user/state
expect "state with a wrong server key is 401" 401 \
    raw user1 GET /v1/user/state \
    -H "X-Innernet-Server-Key: $(wg genkey | wg pubkey)"
expect "state with an empty server key is 401" 401 \
    raw user1 GET /v1/user/state -H "X-Innernet-Server-Key;"
expect "admin route without the server key is 401" 401 \
    raw admin GET /v1/admin/peers
expect "admin route with a wrong server key is 401" 401 \
    raw admin GET /v1/admin/peers \
    -H "X-Innernet-Server-Key: $(wg genkey | wg pubkey)"
expect "admin write without the server key is 401" 401 \
    raw admin POST /v1/admin/cidrs -H 'Content-Type: application/json' \
    --data-binary '{"name":"nokey","cidr":"10.66.9.0/24","parent":1}'

# --- admin routes refuse a peer that is not an admin -------------------
snapshot() {	# snapshot FILE: peers, CIDRs and associations as admin sees
	for _r in peers cidrs associations; do
		[ "$(hp_api admin GET /v1/admin/$_r)" = 200 ] || return 1
		# what WireGuard observes may change meanwhile
		jq -cS 'map(del(.endpoint))' "$T/admin/body" || return 1
	done > "$1"
}
hp_api admin GET /v1/admin/peers >/dev/null
admin_id=$(jq -r '.[] | select(.name == "admin") | .id' "$T/admin/body")
expect "admin associates humans and devs" 201 json admin POST \
    /v1/admin/associations '{"cidr_id_1":3,"cidr_id_2":4}'
hp_api admin GET /v1/admin/associations >/dev/null
assoc_id=$(jq -r '.[0].id' "$T/admin/body")
check "admin's id and the association's id known" \
    test -n "$admin_id" -a -n "$assoc_id" -a "$assoc_id" != null
check "admin lists everything" snapshot "$T/before"
newpeer="{\"name\":\"intruder\",\"ip\":\"10.66.2.50\",\"cidr_id\":4,
    \"public_key\":\"$(wg genkey | wg pubkey)\",\"endpoint\":null,
    \"persistent_keepalive_interval\":25,\"is_admin\":true,
    \"is_disabled\":false,\"is_redeemed\":true,\"invite_expires\":null}"
hp_api admin GET /v1/admin/peers >/dev/null
mepeer=$(jq -c '.[] | select(.name == "user1") | .is_admin = true' \
    "$T/admin/body")
newcidr='{"name":"mine","cidr":"10.66.9.0/24","parent":1}'
expect "GET /v1/admin/peers from a non-admin is 401" 401 \
    hp_api user1 GET /v1/admin/peers
expect "POST /v1/admin/peers from a non-admin is 401" 401 \
    json user1 POST /v1/admin/peers "$newpeer"
expect "PUT /v1/admin/peers/ID from a non-admin is 401" 401 \
    json user1 PUT "/v1/admin/peers/$(echo "$mepeer" | jq .id)" "$mepeer"
expect "DELETE /v1/admin/peers/ID from a non-admin is 401" 401 \
    hp_api user1 DELETE "/v1/admin/peers/$admin_id"
expect "GET /v1/admin/cidrs from a non-admin is 401" 401 \
    hp_api user1 GET /v1/admin/cidrs
expect "POST /v1/admin/cidrs from a non-admin is 401" 401 \
    json user1 POST /v1/admin/cidrs "$newcidr"
expect "PUT /v1/admin/cidrs/ID from a non-admin is 401" 401 \
    json user1 PUT /v1/admin/cidrs/4 \
    '{"name":"renamed","cidr":"10.66.2.0/24","parent":1}'
expect "DELETE /v1/admin/cidrs/ID from a non-admin is 401" 401 \
    hp_api user1 DELETE /v1/admin/cidrs/4
expect "GET /v1/admin/associations from a non-admin is 401" 401 \
    hp_api user1 GET /v1/admin/associations
expect "POST /v1/admin/associations from a non-admin is 401" 401 \
    json user1 POST /v1/admin/associations '{"cidr_id_1":1,"cidr_id_2":3}'
expect "DELETE /v1/admin/associations/ID from a non-admin is 401" 401 \
    hp_api user1 DELETE "/v1/admin/associations/$assoc_id"
check "admin lists everything again" snapshot "$T/after"
check "nothing changed" cmp "$T/before" "$T/after"

# --- oversized requests (limits in innernetd/http.c) -------------------
head -c 1100000 /dev/zero | tr '\0' ' ' > "$T/big.json"
expect "a body over max-body is 413" 413 hp_api admin POST \
    /v1/admin/cidrs -H 'Content-Type: application/json' -H 'Expect:' \
    --data-binary "@$T/big.json"
expect "a body over max-body is 413 also after Expect: 100-continue" 413 \
    hp_api admin POST /v1/admin/cidrs -H 'Content-Type: application/json' \
    -H 'Expect: 100-continue' --data-binary "@$T/big.json"
expect "a chunked body over max-body is 413" 413 hp_api admin POST \
    /v1/admin/cidrs -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary "@$T/big.json"
big=$(head -c 9000 /dev/zero | tr '\0' a)
expect "a header over the header limit is 431" 431 \
    hp_api admin GET /v1/user/state -H "X-Padding: $big"
expect "many headers over the header limit are 431" 431 \
    hp_api admin GET /v1/user/state $(i=0; while [ $i -lt 300 ]; do
    echo "-H X-Pad$i:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; i=$((i + 1)); done)
expect "a path over the path limit is 404" 404 \
    hp_api admin GET "/v1/user/$(head -c 600 /dev/zero | tr '\0' a)"
expect "the API still answers" 200 hp_api admin GET /v1/user/state
check "the set is still running" daemon_running server

# --- idle and slow clients do not hold up another peer -----------------
# idler opens NIDLE connections that never send a byte, and a few that
# send a request's headers and then dribble its body, a byte a second.
# The server keeps max-per-source (32) of them and closes the rest at
# once.  Meanwhile user1's state fetch must take under a second.
cat > "$T/hold.pl" <<'EOF'
use strict;
use IO::Socket::INET;
my ($src, $dst, $port, $nidle, $nslow, $secs, $ready, $key) = @ARGV;
my (@idle, @slow);
$SIG{PIPE} = 'IGNORE';
for (1 .. $nidle) {
	my $s = IO::Socket::INET->new(PeerAddr => $dst, PeerPort => $port,
	    LocalAddr => $src, Proto => 'tcp', Timeout => 3) or last;
	push @idle, $s;
}
for (1 .. $nslow) {
	my $s = IO::Socket::INET->new(PeerAddr => $dst, PeerPort => $port,
	    LocalAddr => $src, Proto => 'tcp', Timeout => 3) or last;
	$s->autoflush(1);
	print $s "PUT /v1/user/candidates HTTP/1.1\r\nHost: $dst\r\n" .
	    "X-Innernet-Server-Key: $key\r\n" .
	    "Content-Type: application/json\r\n" .
	    "Content-Length: 100000\r\n\r\n[";
	push @slow, $s;
}
open(my $f, '>', "$ready.tmp") or die;
print $f scalar(@idle), " ", scalar(@slow), "\n";
close($f);
rename("$ready.tmp", $ready);
for (1 .. $secs) {
	sleep(1);
	print {$_} " " for @slow;
}
EOF
(on idler sh -c "ulimit -Sn $((NIDLE + 64)); exec perl '$T/hold.pl' \
    $(cat "$T/idler/ip") $SRV $PORT $NIDLE 4 60 '$T/held' '$SKEY'" \
    >/dev/null 2>&1) &
holder=$!
check "idler holds its connections" wait_until 60 test -s "$T/held"
echo "# idle and slow connections held: $(cat "$T/held" 2>/dev/null)"
check "all $NIDLE idle and 4 slow connections are open" \
    test "$(cat "$T/held" 2>/dev/null)" = "$NIDLE 4"
established() {	# connections to the API the server's kernel holds
	on server ss -Htn state established "( sport = :$PORT )" | wc -l
}
echo "# established on the server: $(established)"
check "the server holds some of them" test "$(established)" -ge 1
check "the server holds no more than max-per-source (32)" \
    test "$(established)" -le 32
fetch_fast() {	# a state fetch from user1 in under a second
	_r=$(on user1 curl -s -m 10 -o /dev/null \
	    -w '%{http_code} %{time_total}' --interface "$(cat "$T/user1/ip")" \
	    -H "X-Innernet-Server-Key: $SKEY" "http://$SRV:$PORT/v1/user/state")
	echo "# user1's state fetch: $_r"
	echo "$_r" | awk '{ exit !($1 == 200 && $2 < 1.0) }'
}
fetch_fast > "$T/fetch" || fetch_fast >> "$T/fetch"
check "user1 fetches its state within a second (one retry)" \
    grep -q "^# user1's state fetch: 200 0\." "$T/fetch"
cat "$T/fetch"
# A fetch that waited for the server to time the idle ones out proves
# nothing: idler's must still be there.
check "idler's connections were there all along" \
    test "$(established)" -ge 1
kill "$holder" 2>/dev/null
for p in $(ip netns pids "${RUN}idler"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = perl ] && kill "$p"
done
wait "$holder" 2>/dev/null
check "the set is still running" daemon_running server
expect "the API still answers" 200 hp_api user1 GET /v1/user/state

# --- a short load: no errors -------------------------------------------
# The long version with memory figures is regress/load/load.sh.
if command -v wrk >/dev/null 2>&1; then
	on user1 wrk -t2 -c16 -d5s --timeout 2s \
	    -H "X-Innernet-Server-Key: $SKEY" \
	    "http://$SRV:$PORT/v1/user/state" > "$T/wrk.out" 2>&1
	sed 's/^/#   wrk: /' "$T/wrk.out"
	check "wrk made requests" grep -q ' requests in ' "$T/wrk.out"
	check "wrk saw no socket errors" sh -c "! grep -q 'Socket errors' \
	    '$T/wrk.out'"
	check "wrk saw only 2xx and 3xx" sh -c "! grep -q 'Non-2xx' \
	    '$T/wrk.out'"
else
	echo "# wrk is not installed: no short load"
fi

# --- a disabled peer ---------------------------------------------------
hp_api admin GET /v1/admin/peers >/dev/null
gone_id=$(jq -r '.[] | select(.name == "gone") | .id' "$T/admin/body")
gone_pub=$(wg pubkey < "$T/gone/wg.key")
expect "gone fetches its state while enabled" 200 \
    hp_api gone GET /v1/user/state
expect "admin disables gone" 204 hp_api admin DELETE "/v1/admin/peers/$gone_id"
check "gone is off the server's WireGuard" wait_until 10 on server sh -c \
    "! wg show $NET peers | grep -qF '$gone_pub'"
check "gone gets no answer" sh -c "test \"\$($(command -v nsenter) -t \
    $(cat "$T/gone/anchor.pid") -m -n curl -s -m 3 -o /dev/null \
    -w '%{http_code}' -H 'X-Innernet-Server-Key: $SKEY' \
    http://$SRV:$PORT/v1/user/state)\" = 000"
# Had WireGuard not caught up with the database, the engine itself must
# still refuse: put gone back on the interface by hand.
disabled_401() {
	on server wg set "$NET" peer "$gone_pub" \
	    allowed-ips "$(cat "$T/gone/ip")/32" || return 1
	[ "$(hp_api gone GET /v1/user/state)" = 401 ]
}
check "a disabled peer still on WireGuard gets 401 on its state" \
    wait_until 20 disabled_401
expect "and 401 on an endpoint update" 401 json gone PUT /v1/user/endpoint \
    '{"option":"Unset"}'
on server wg set "$NET" peer "$gone_pub" remove
expect "the others still fetch their state" 200 \
    hp_api user1 GET /v1/user/state
check "the set stops" daemon_stop server

# --- sandboxes: a file outside what a process unveiled -----------------
if ! grep -q INNERNET_REGRESS_OPEN "$BIN/innernetd"; then
	echo "ok - sandboxed opens # skip not a regress build (make REGRESS=1)"
	exit $FAILED
fi
# INNERNET_REGRESS_VIOLATE=PROC with INNERNET_REGRESS_OPEN=PATH makes PROC
# open PATH a second after it sandboxed itself (innernetd/util.c); it
# logs the refusal and goes on, or stops the set if it got the file.
# Each file would be open to the process's user were it not sandboxed.
uid=$(id -u _innernet)
gid=$(id -g _innernet)
echo secret > "$T/outside"
echo secret > "$T/server/state/outside"
chmod 0644 "$T/outside" "$T/server/state/outside"
check "_innernet could read the file in the state directory" \
    setpriv --reuid="$uid" --regid="$gid" --clear-groups \
    cat "$T/server/state/outside"
# engine: chrooted to an empty directory with nothing unveiled, its root
# is the one thing there; dbd: chrooted to the state directory with
# server/ and client/ unveiled; wgd: its own user without a chroot, with
# WireGuard's socket directory and its keys only (the parent rewrites
# the hosts file: renaming over it needs its whole directory).
for p in "engine:/" "dbd:/outside" "wgd:$T/outside" "wgd:$T/server/hosts"; do
	proc=${p%%:*} path=${p#*:}
	: > "$T/server/daemon.log"
	INNERNET_REGRESS_VIOLATE=$proc INNERNET_REGRESS_OPEN=$path
	export INNERNET_REGRESS_VIOLATE INNERNET_REGRESS_OPEN
	check "$proc: the set starts" daemon_start server
	unset INNERNET_REGRESS_VIOLATE INNERNET_REGRESS_OPEN
	check "$proc: cannot open $path" wait_until 10 grep -q \
	    "regress: $proc cannot open $path: Permission denied" \
	    "$T/server/daemon.log"
	check "$proc: the set goes on" daemon_running server
	check "$proc: the set stops" daemon_stop server
done
# The trigger itself: wgd may open its keys, and the set then stops.
: > "$T/server/daemon.log"
INNERNET_REGRESS_VIOLATE=wgd INNERNET_REGRESS_OPEN=$T/server/state/keys
export INNERNET_REGRESS_VIOLATE INNERNET_REGRESS_OPEN
(exec nsenter -t "$(cat "$T/server/anchor.pid")" -m -n -- \
    "$BIN/innernetd" -d -f "$T/server/innernet.conf" \
    >>"$T/server/daemon.log" 2>&1) &
pid=$!
unset INNERNET_REGRESS_VIOLATE INNERNET_REGRESS_OPEN
check "control: wgd opens a file it unveiled and the set stops" \
    wait_until 15 sh -c "! kill -0 $pid 2>/dev/null"
kill -TERM "$pid" 2>/dev/null
wait "$pid"
check "control: the set said why" grep -q \
    "regress: wgd was not stopped from opening $T/server/state/keys" \
    "$T/server/daemon.log"
exit $FAILED
