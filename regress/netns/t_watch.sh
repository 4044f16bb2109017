#!/bin/sh
# Our watch extension (innernetd(8), WATCH): a change reaches watching
# clients at once, not at their next fetch; deltas, versions that
# survive a restart, gzip on request, and upstream's requests answered
# exactly as before.  Clients poll once an hour here, so what reaches
# them within seconds came by the watch.  Then the watch is refused and
# the clients fall back to polling.
. "$(dirname "$0")/lib.sh"

NET=watchnet
net_init
host_add server 192.0.2.1
host_add alice 192.0.2.2
host_add bob 192.0.2.3
host_add carol 192.0.2.4
host_add dave 192.0.2.5
host_add erin 192.0.2.6
for h in alice bob; do
	echo "fetch-interval: 3600" >> "$T/$h/innernet.conf"
done

key_of() {
	ctl server -j list-peers $NET |
	    jq -r ".[] | select(.name == \"$1\") | .public_key"
}
wg_has() { on "$1" wg show $NET peers | grep -qF -- "$2"; }
wg_lacks() { ! wg_has "$@"; }
# hdr HOST NAME: a header of the last answer hp_get got
hdr() {
	tr -d '\r' < "$T/$1/hdrs" | awk -v n="$2" -F': ' \
	    'tolower($1) == tolower(n) { print $2 }'
}
# hp_get HOST PATH [curl arguments]: GET with the headers kept
hp_get() {
	_h=$1 _p=$2; shift 2
	hp_api "$_h" GET "$_p" -D "$T/$_h/hdrs" "$@"
}
# got CODE HOST PATH [curl arguments]: GET answered with CODE
got() {
	_c=$1; shift
	[ "$(hp_get "$@")" = "$_c" ]
}
# hdr_is HOST NAME VALUE
hdr_is() { [ "$(hdr "$1" "$2")" = "$3" ]; }
has_peer_named() { jq -e ".peers[] | select(.name == \"$2\")" "$1" \
    >/dev/null; }
canon() { jq -S '{peers: (.peers | sort_by(.id)), cidrs: (.cidrs |
    sort_by(.id))}' "$1"; }
same_json() { [ "$(canon "$1")" = "$(canon "$2")" ]; }

check "server starts" daemon_start server
check "new network" ctl server new --network-name $NET \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:51820 \
    --listen-port 51820
check "add-cidr humans" ctl server add-cidr $NET --name humans \
    --cidr 10.66.1.0/24 --parent $NET --yes
for h in alice bob carol dave; do
	check "invite $h" ctl server add-peer $NET --name $h --cidr humans \
	    --admin false --auto-ip --save-config "$T/$h.toml" \
	    --invite-expires 1h --yes
done
for h in alice bob; do
	check "$h starts" daemon_start $h
	check "$h installs" ctl $h install "$T/$h.toml" --name $NET
done
# erin sees neither of them, nor they her
check "add-cidr robots" ctl server add-cidr $NET --name robots \
    --cidr 10.66.2.0/24 --parent $NET --yes
check "invite erin" ctl server add-peer $NET --name erin --cidr robots \
    --admin false --auto-ip --save-config "$T/erin.toml" \
    --invite-expires 1h --yes
for h in carol dave erin; do
	check "$h, a hand-made peer, is up" hp_up $h "$T/$h.toml" 10.66.0.0/16
done
check "carol, dave and erin redeem" hp_redeem carol dave erin

check "capabilities name the watch" got 200 carol /v1/user/capabilities
check "  with version, hold and gzip" jq -e \
    '.innernet_c_watch.version == 1 and .innernet_c_watch.hold == 55 and
    (.innernet_c_watch.encodings | index("gzip"))' "$T/carol/body"
for h in alice bob; do
	check "$h found the server can be watched" wait_until 20 \
	    grep -q "the server can be watched" "$T/$h/daemon.log"
done

# dave redeemed after alice and bob fetched: it reaches them by the watch.
dave=$(key_of dave)
for h in alice bob; do
	check "dave's redemption reached $h (polls hourly)" \
	    wait_until 15 wg_has $h "$dave"
done
check "disable-peer dave" ctl server disable-peer $NET --name dave --yes
check "dave left the server's WireGuard at once" wg_lacks server "$dave"
for h in alice bob; do
	check "dave left $h's WireGuard by the watch" \
	    wait_until 10 wg_lacks $h "$dave"
done

# Upstream's poll: no version, no encoding, whatever it sends.
check "upstream's GET /v1/user/state" got 200 carol /v1/user/state \
    -H 'Accept-Encoding: gzip'
cp "$T/carol/body" "$T/plain.json"
check "  is JSON, not compressed" jq -e '.peers and .cidrs' "$T/plain.json"
check "  with no header of ours" hdr_is carol X-Innernet-Version ""
check "  and no encoding" hdr_is carol Content-Encoding ""
check_fails "  and without dave" has_peer_named "$T/plain.json" dave

# Full states: with since=0, compressed when asked.
check "since=0 with gzip" got 200 carol '/v1/user/state?since=0' \
    -H 'Accept-Encoding: gzip'
check "  is gzip" hdr_is carol Content-Encoding gzip
check "  and a full state" hdr_is carol X-Innernet-State full
# gz_matches: a gzip full state is upstream's state, taken between two
# of upstream's of the same ETag (the endpoints the server sees may move
# on meanwhile: then again, a few times).
gz_matches() {
	for _i in 1 2 3 4 5; do
		got 200 carol /v1/user/state || return 1
		cp "$T/carol/body" "$T/plain.json"
		_e=$(hdr carol ETag)
		got 200 carol '/v1/user/state?since=0' \
		    -H 'Accept-Encoding: gzip' || return 1
		V=$(hdr carol X-Innernet-Version)
		gunzip -c < "$T/carol/body" > "$T/gz.json" || return 1
		got 200 carol /v1/user/state || return 1
		[ "$(hdr carol ETag)" = "$_e" ] || continue
		same_json "$T/gz.json" "$T/plain.json"
		return
	done
	return 1
}
check "  which decompresses to the very same state" gz_matches
check "  and names a version" sh -c "echo '$V' |
    grep -Eq '^[0-9a-f]{16}:[0-9]+\$'"
# v304: the version just named again is answered 304 (again if the
# endpoints moved on in between); V is left at it.
v304() {
	for _i in 1 2 3 4 5; do
		got 200 carol '/v1/user/state?since=0' || return 1
		V=$(hdr carol X-Innernet-Version)
		cp "$T/carol/body" "$T/base.json"
		got 304 carol "/v1/user/state?since=$V" && return 0
	done
	return 1
}
check "the same version again: 304" v304

# A delta, applied, gives the full state.
check "enable-peer dave" ctl server enable-peer $NET --name dave --yes
check "since the version before: 200" got 200 carol "/v1/user/state?since=$V"
check "  a delta" hdr_is carol X-Innernet-State delta
cp "$T/carol/body" "$T/delta.json"
check "  with dave in it" has_peer_named "$T/delta.json" dave
check "  under 2 KB" test "$(wc -c < "$T/delta.json")" -lt 2048
# apply_matches BASE DELTA_SINCE: the delta since that version applied
# to BASE is the full state of the delta's version (the endpoints the
# server sees may move on meanwhile: then again, a few times).
apply_matches() {
	for _i in 1 2 3 4 5; do
		got 200 carol "/v1/user/state?since=$2" || return 1
		cp "$T/carol/body" "$T/d.json"
		_vd=$(hdr carol X-Innernet-Version)
		got 200 carol "/v1/user/state?since=0" || return 1
		[ "$(hdr carol X-Innernet-Version)" = "$_vd" ] || continue
		jq -s '.[0] as $s | .[1] as $d |
		    ($d.removed_peers + ($d.peers | map(.id))) as $dp |
		    ($d.removed_cidrs + ($d.cidrs | map(.id))) as $dc |
		    {peers: ([$s.peers[] | select(.id as $i | $dp | index($i) |
		    not)] + $d.peers), cidrs: ([$s.cidrs[] | select(.id as $i |
		    $dc | index($i) | not)] + $d.cidrs)}' "$1" "$T/d.json" \
		    > "$T/applied.json"
		same_json "$T/applied.json" "$T/carol/body"
		return
	done
	return 1
}
check "  which applied is the full state" apply_matches "$T/base.json" "$V"
E=${V%%:*}
check "a version before the log: 200" got 200 carol "/v1/user/state?since=$E:0"
check "  a full state" hdr_is carol X-Innernet-State full
check "an unknown epoch: 200" got 200 carol \
    "/v1/user/state?since=00000000000000aa:5"
check "  a full state" hdr_is carol X-Innernet-State full
check "a malformed version: 400" got 400 carol "/v1/user/state?since=xyz"
check "watch without since: 400" got 400 carol "/v1/user/state?watch=5"

# A held watch is answered by a change.  held: one is held 2 s (the
# endpoints the server sees may move on before it is made: again).
held() {
	for _i in 1 2 3; do
		hp_get carol /v1/user/state?since=0 >/dev/null
		V=$(hdr carol X-Innernet-Version)
		(hp_api carol GET "/v1/user/state?since=$V&watch=30" \
		    -D "$T/carol/whdrs" > "$T/carol/wstatus") &
		wpid=$!
		sleep 2
		kill -0 $wpid && return 0
		wait $wpid
	done
	return 1
}
check "the watch is held while nothing changes" held
check "rename-peer dave" ctl server rename-peer $NET --name dave \
    --new-name dave2 --yes
check "the held watch is answered" wait_until 10 sh -c "! kill -0 $wpid"
wait $wpid 2>/dev/null
cp "$T/carol/body" "$T/carol/wbody"
check "  with 200" test "$(cat "$T/carol/wstatus")" = 200
check "  and a delta naming dave2" has_peer_named "$T/carol/wbody" dave2

# A restart keeps the epoch and moves the counter on.
hp_get carol /v1/user/state?since=0 >/dev/null
V1=$(hdr carol X-Innernet-Version)
daemon_stop server
for h in alice bob; do daemon_stop $h; done
cat >> "$T/server/innernet.conf" <<CONF
api:
  max-connections: 2
CONF
check "server restarts (max-connections 2: one watch)" daemon_start server
check "the API is back" wait_until 20 got 200 carol "/v1/user/state?since=0"
V2=$(hdr carol X-Innernet-Version)
check "the epoch survived the restart ($V1, $V2)" \
    test "${V1%%:*}" = "${V2%%:*}"
check "  and the counter went on" test "${V2##*:}" -gt "${V1##*:}"
check "the version before the restart: 200" got 200 carol \
    "/v1/user/state?since=$V1"
check "  a full state" hdr_is carol X-Innernet-State full

# erin holds the one watch: alice and bob are refused, and poll.  She
# sees nothing of theirs, so nothing they do ends her watch early.
hold_watch() {
	_end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt $_end ]; do
		hp_get erin /v1/user/state?since=0 >/dev/null
		hp_api erin GET "/v1/user/state?since=$(hdr erin \
		    X-Innernet-Version)&watch=55" -m 60 >/dev/null
	done
}
(hold_watch 90) &
wpid=$!
sleep 2
check "a second watch is answered at once" got 304 dave \
    "/v1/user/state?since=$V2&watch=55" -m 5
check "  refused" hdr_is dave X-Innernet-Watch refused
for h in alice bob; do
	sed -i 's/^fetch-interval: .*/fetch-interval: 4/' \
	    "$T/$h/innernet.conf"
	check "$h restarts (fetch-interval 4)" daemon_start $h
done
for h in alice bob; do
	check "$h falls back to polling" wait_until 30 \
	    grep -q "watch refused.*polling" "$T/$h/daemon.log"
done
check "disable-peer dave2" ctl server disable-peer $NET --name dave2 --yes
for h in alice bob; do
	check "dave2 left $h's WireGuard by polling" \
	    wait_until 30 wg_lacks $h "$dave"
done
kill $wpid 2>/dev/null
wait $wpid 2>/dev/null
# A full engine drops an idle connection for a newcomer: once it was
# the newcomer's own source's last, and the engine used it freed.
check "the server's engine lived through a full max-connections" \
    daemon_running server
check_fails "  and no process of it was killed" grep -q "killed by signal" \
    "$T/server/daemon.log"

exit $FAILED
