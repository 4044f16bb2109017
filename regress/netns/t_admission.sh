#!/bin/sh
# Admission of API connections, played by a slow peer inside the tunnel:
# a cap per peer address, total deadlines for headers and for the body
# that a trickle does not extend, and another peer served meanwhile.
# Then SIGHUP applies the api: block to the running listener, paths with
# extra segments are no route, and errors are JSON.
. "$(dirname "$0")/lib.sh"

NET=corp
PORT=51820
SRV=10.66.0.1
SLOW="$TOP/regress/netns/slowloris.py"

net_init
host_add server 192.0.2.1
host_add slow 192.0.2.2
host_add user1 192.0.2.3

cat >> "$T/server/innernet.conf" <<CONF
api:
  max-per-source: 20
  header-timeout: 4
  body-timeout: 4
  timeout: 20
CONF

check "server daemon starts" daemon_start server
check "new network" ctl server new --network-name "$NET" \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:$PORT \
    --listen-port $PORT
check "add-cidr humans" ctl server add-cidr "$NET" --name humans \
    --cidr 10.66.1.0/24 --parent "$NET" --yes
for p in slow:true user1:false; do
	name=${p%:*}
	check "add-peer $name" ctl server add-peer "$NET" --name "$name" \
	    --cidr humans --admin "${p#*:}" --auto-ip \
	    --save-config "$T/$name.toml" --invite-expires 1h --yes
done
for h in slow user1; do
	check "$h: interface from the invitation" \
	    hp_up "$h" "$T/$h.toml" 10.66.0.0/16
	check "$h reaches the server" wait_until 20 on "$h" ping -c1 -W1 $SRV
done
check "the peers redeem" hp_redeem slow user1
for h in slow user1; do
	check "$h reaches the server with its new key" \
	    wait_until 20 on "$h" ping -c1 -W1 $SRV
done
[ "$FAILED" -eq 0 ] || exit 1

# slowloris MODE N: prints "opened held-at-1.5s open-at-end seconds".
slowloris() {
	on slow timeout 40 python3 "$SLOW" $SRV $PORT "$(cat "$T/slow/ip")" \
	    "$2" 30 "$1"
}
state_ok() {
	[ "$(hp_api user1 GET /v1/user/state)" = 200 ]
}

# --- headers sent a line a second ----------------------------------------
slowloris headers 150 > "$T/headers.out" &
sl=$!
sleep 2
check "another peer gets its state during the attack" state_ok
wait $sl
read -r opened held left secs < "$T/headers.out"
echo "# headers: $opened opened, $held held at 1.5 s, $left left, ${secs}s"
check "the slow peer opened its connections" test "${opened:-0}" -eq 150
check "at most max-per-source (20) held" test "${held:-999}" -le 20
check "some were held" test "${held:-0}" -ge 1
check "every one closed by header-timeout despite the trickle" \
    test "${left:-1}" -eq 0
check "closed well before the 30 s trickle ended" \
    awk -v s="${secs:-99}" 'BEGIN { exit !(s < 20) }'
check "the per-source refusals are logged" \
    grep -q "refused connections over max-per-source" "$T/server/daemon.log"
check "the deadline closes are logged" \
    grep -q "slower than header-timeout" "$T/server/daemon.log"

# --- a body sent a byte a second ------------------------------------------
slowloris body 10 > "$T/body.out"
read -r opened held left secs < "$T/body.out"
echo "# body: $opened opened, $held held at 1.5 s, $left left, ${secs}s"
check "slow bodies held at first" test "${held:-0}" -ge 1
check "every slow body closed by body-timeout" test "${left:-1}" -eq 0
check "closed well before the trickle ended" \
    awk -v s="${secs:-99}" 'BEGIN { exit !(s < 20) }'
check "another peer still gets its state" state_ok

# --- SIGHUP applies the api: block ------------------------------------------
# 3 KB: an endpoint far too long, a 400 when the body is read at all
big=$(awk 'BEGIN { printf "{\"option\":\"Set\",\"content\":\"";
    for (i = 0; i < 3000; i++) printf "a"; printf ":1\"}" }')
body_status() {
	hp_api user1 PUT /v1/user/endpoint \
	    -H 'Content-Type: application/json' --data-binary "$big"
}
st=$(body_status)
check "a 3 KB body is read before the reload (status $st)" \
    test "$st" != 413 -a "$st" != 000
sed -i 's/^  max-per-source: 20$/  max-per-source: 20\n  max-body: 1024/' \
    "$T/server/innernet.conf"
check "max-body: 1024 in the configuration" \
    grep -q "max-body: 1024" "$T/server/innernet.conf"
check "SIGHUP" kill -HUP "$(daemon_pid server)"
refused_big() { [ "$(body_status)" = 413 ]; }
check "after the reload a 3 KB body is 413" wait_until 10 refused_big
check "a small body still passes" state_ok

# --- paths and errors ---------------------------------------------------------
hp_api slow POST /v1/admin/cidrs -H 'Content-Type: application/json' \
    --data-binary '{"name":"victim","cidr":"10.66.5.0/24","parent":1}' \
    >/dev/null
cid=$(jq -r '.id // empty' "$T/slow/body")
check "a CIDR to aim at" test -n "$cid"
st=$(hp_api slow DELETE "/v1/admin/cidrs/$cid/extra")
check "DELETE /v1/admin/cidrs/$cid/extra is 404 (status $st)" test "$st" = 404
check "the 404 body is JSON" jqe '.error' "$T/slow/body"
cidr_exists() {
	ctl server -j list-cidrs "$NET" | jqe ".[] | select(.id == $cid)"
}
check "CIDR $cid is still there" cidr_exists
st=$(hp_api user1 GET /v1/user/state/extra)
check "GET /v1/user/state/extra is 404 (status $st)" test "$st" = 404
st=$(hp_api user1 PATCH /v1/user/state)
check "PATCH is 405 (status $st)" test "$st" = 405
check "the 405 body is JSON" jqe '.error' "$T/user1/body"
st=$(hp_api user1 OPTIONS /v1/user/state)
check "OPTIONS is 405 (status $st)" test "$st" = 405
check "the set is still running" daemon_running server
exit $FAILED
