#!/bin/sh
# The engine short of descriptors.  The set runs with a limit of 200
# descriptors (the engine cannot be lowered from outside: it runs as
# another user and regress has no CAP_SYS_RESOURCE), the caps are set
# far above it, and a peer inside the tunnel opens 100 slow connections,
# then 150 more.  libevent's accept loop used to spin at a full core on
# EMFILE, logging each failed accept(), and nobody else was served: now
# connections are capped below the limit (the listener pauses if it is
# reached all the same), another peer's state fetch is answered within a
# second, so is a peer of another network of the same server, the
# engine's CPU stays low and the log quiet.
. "$(dirname "$0")/lib.sh"

NET=corp
PORT=51820
SRV=10.66.0.1
SLOW="$TOP/regress/netns/slowloris.py"

net_init
host_add server 192.0.2.1
host_add flood 192.0.2.2
host_add user1 192.0.2.3
host_add labuser 192.0.2.4

# Nothing but descriptors limits the flood here.
cat >> "$T/server/innernet.conf" <<CONF
api:
  max-connections: 5000
  max-per-source: 5000
  header-timeout: 120
  timeout: 120
CONF

NOFILE=200
start_limited() {
	(ulimit -n $NOFILE && daemon_start server)
}
check "server daemon starts" start_limited
check "new network" ctl server new --network-name "$NET" \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:$PORT \
    --listen-port $PORT
check "add-cidr humans" ctl server add-cidr "$NET" --name humans \
    --cidr 10.66.1.0/24 --parent "$NET" --yes
for name in flood user1; do
	check "add-peer $name" ctl server add-peer "$NET" --name "$name" \
	    --cidr humans --admin false --auto-ip \
	    --save-config "$T/$name.toml" --invite-expires 1h --yes
done
# A second network on the same server, with a peer of its own.
check "second network lab" ctl server new --network-name lab \
    --network-cidr 10.67.0.0/16 --external-endpoint 192.0.2.1:51821 \
    --listen-port 51821
check "add-cidr lab/people" ctl server add-cidr lab --name people \
    --cidr 10.67.1.0/24 --parent lab --yes
check "add-peer labuser" ctl server add-peer lab --name labuser \
    --cidr people --admin false --auto-ip \
    --save-config "$T/labuser.toml" --invite-expires 1h --yes
check "flood: interface from the invitation" \
    hp_up flood "$T/flood.toml" 10.66.0.0/16
check "user1: interface from the invitation" \
    hp_up user1 "$T/user1.toml" 10.66.0.0/16
check "labuser: interface from the invitation" \
    hp_up labuser "$T/labuser.toml" 10.67.0.0/16
for h in flood user1; do
	check "$h reaches the server" wait_until 20 on "$h" ping -c1 -W1 $SRV
done
check "labuser reaches the server" \
    wait_until 20 on labuser ping -c1 -W1 10.67.0.1
check "the peers redeem" hp_redeem flood user1 labuser
for h in flood user1; do
	check "$h reaches the server with its new key" \
	    wait_until 20 on "$h" ping -c1 -W1 $SRV
done
[ "$FAILED" -eq 0 ] || exit 1

engine=""
pp=$(daemon_pid server)
for c in $(grep -l "^PPid:[[:space:]]*$pp\$" /proc/[0-9]*/status \
    2>/dev/null | cut -d/ -f3); do
	case "$(readlink "/proc/$c/exe")" in
	*/innernetd) engine=$c ;;
	esac
done
check "the engine's pid" test -n "$engine"

flood() {	# flood N SECONDS: slow connections from the flood peer
	on flood timeout $(($2 + 20)) python3 "$SLOW" $SRV $PORT \
	    "$(cat "$T/flood/ip")" "$1" "$2" headers
}
cpu_ticks() {	# utime + stime of the engine
	awk '{ print $14 + $15 }' "/proc/$engine/stat"
}

check "the engine's descriptor limit is $NOFILE" \
    awk -v n=$NOFILE '/^Max open files/ { f = ($4 == n) } END { exit !f }' \
    "/proc/$engine/limits"
flood 100 40 > "$T/flood1.out" &
f1=$!
check "the flood holds connections" wait_until 15 sh -c \
    "[ \$(ls /proc/$engine/fd | wc -l) -ge 60 ]"
echo "# the engine has $(ls "/proc/$engine/fd" | wc -l) descriptors open"
loglines=$(wc -l < "$T/server/daemon.log")
t0=$(date +%s.%N)
c0=$(cpu_ticks)
flood 150 15 > "$T/flood2.out" &
f2=$!
sleep 3

fetches=0
answered=0
while [ $fetches -lt 3 ]; do
	fetches=$((fetches + 1))
	st=$(hp_api user1 GET /v1/user/state -m 1)
	echo "# fetch $fetches: status $st"
	[ "$st" = 200 ] && answered=$((answered + 1))
	sleep 1
done
check "another peer's state fetch answered within 1 s ($answered of 3)" \
    test "$answered" -ge 1
lab=0
for i in 1 2 3; do
	st=$(hp_api labuser GET /v1/user/state -m 1)
	echo "# labuser's fetch on the other network: status $st"
	[ "$st" = 200 ] && { lab=1; break; }
	sleep 1
done
check "a peer of another network is answered within 1 s too" \
    test "$lab" -eq 1
sleep 3
c1=$(cpu_ticks)
t1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
share=$(awk -v c="$((c1 - c0))" -v hz="$hz" -v a="$t0" -v b="$t1" \
    'BEGIN { printf "%.2f", c / hz / (b - a) }')
echo "# engine CPU: $share of a core over $(awk -v a="$t0" -v b="$t1" \
    'BEGIN { printf "%.1f", b - a }') s"
check "the engine's CPU stays low (< 50% of a core)" \
    awk -v s="$share" 'BEGIN { exit !(s < 0.5) }'
wait $f2
new=$(($(wc -l < "$T/server/daemon.log") - loglines))
echo "# $new log lines during the flood"
check "the log stays quiet (< 50 lines)" test "$new" -lt 50
check "running out of descriptors is logged" \
    grep -q "out of descriptors\|refused connections" "$T/server/daemon.log"
kill "$f1" 2>/dev/null
wait "$f1" 2>/dev/null
check "the engine is the same process" test -d "/proc/$engine"
check "the set is still running" daemon_running server
st=$(hp_api user1 GET /v1/user/state)
check "state after the flood (status $st)" test "$st" = 200
exit $FAILED
