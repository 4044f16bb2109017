#!/bin/sh
# Faults.  A child killed with SIGKILL takes the whole set down; the set
# started again has every write it acknowledged, an intact database and
# WireGuard as the database says.  A full or read-only state directory
# makes writes fail to the caller and nothing else; once there is room
# again, writes work and the database is intact.
. "$(dirname "$0")/../netns/lib.sh"

NET=corp
PORT=51820
NWRITES=${FAULT_WRITES:-1000}

# innernetctl waits for its answer as long as it takes; bound it here.
ctl() {
	_h=$1; shift
	on "$_h" timeout 60 "$BIN/innernetctl" -s "$T/$_h/innernetd.sock" "$@"
}

net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2

STATE=$T/server/state
DB=$STATE/server/$NET.db
uid=$(id -u _innernet)
gid=$(id -g _innernet)

# child_pid EXE-NAME: the child of the server's innernetd running EXE.
child_pid() {
	_pp=$(daemon_pid server)
	for _c in $(grep -l "^PPid:[[:space:]]*$_pp\$" /proc/[0-9]*/status \
	    2>/dev/null | cut -d/ -f3); do
		case "$(readlink "/proc/$_c/exe")" in
		*/"$1") echo "$_c"; return 0 ;;
		esac
	done
	return 1
}

# Read the database as the daemon's user, so that SQLite never leaves a
# file root owns next to it.
integrity_ok() {
	_r=$(on server setpriv --reuid="$uid" --regid="$gid" --clear-groups \
	    sqlite3 "$DB" 'PRAGMA integrity_check')
	echo "$_r"
	[ "$_r" = ok ]
}

# set_gone: the server's set has exited; its status is in $T/set.rc.
set_gone() {
	_p=$(daemon_pid server)
	wait_until 30 sh -c "! kill -0 $_p 2>/dev/null" || return 1
	wait "$_p"
	echo $? > "$T/set.rc"
	rm -f "$T/server/daemon.pid"
}

# Nothing of the set is left: no process started from its configuration
# or state directory.
no_strays() {
	! ps -eo pid=,args= | grep -v grep | grep -q \
	    -e "$T/server/innernet.conf" -e "$STATE"
}

# wggo_count: wireguard-go processes in the server's namespace.
wggo_count() {
	_n=0
	for _p in $(ip netns pids "${RUN}server"); do
		[ "$(cat "/proc/$_p/comm" 2>/dev/null)" = wireguard-go ] &&
		    _n=$((_n + 1))
	done
	echo $_n
}

one_wggo() {
	[ "$(wggo_count)" -eq 1 ]
}

# went_down NAME SIGNAL: the parent logged that the set went down after
# an error.  It should also say that NAME was killed by SIGNAL, but the
# other children leave when their pipe to NAME closes, and the parent may
# see one of them go first and log only that one (innernetd.c,
# parent_dispatch and child_reap): that is reported here, not asserted.
went_down() {
	grep -q "parent: terminating after an error" "$T/server/daemon.log" ||
	    return 1
	grep -q "$1 (pid [0-9]*) was killed by signal $2" \
	    "$T/server/daemon.log" && return 0
	echo "# the log does not say $1 was killed by signal $2:" \
	    "$(grep 'parent: .*(pid' "$T/server/daemon.log" | tail -1)"
}

# cidr_json NAME INDEX: a /28 of 10.66.128.0/17 for write number INDEX.
cidr_json() {
	printf '{"name":"%s","cidr":"10.66.%d.%d/28","parent":1}' "$1" \
	    $((128 + $2 / 16)) $(($2 % 16 * 16))
}

post_cidr() {	# post_cidr NAME INDEX: prints the status
	hp_api admin POST /v1/admin/cidrs -H 'Content-Type: application/json' \
	    --data-binary "$(cidr_json "$1" "$2")"
}

cidr_names() {	# the CIDR names the server lists, one a line, sorted
	[ "$(hp_api admin GET /v1/admin/cidrs)" = 200 ] &&
	    jq -r '.[].name' "$T/admin/body" | sort
}

admin_state() {
	[ "$(hp_api admin GET /v1/user/state)" = 200 ]
}

check "server daemon starts" daemon_start server
check "new network" ctl server new --network-name "$NET" \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:$PORT \
    --listen-port $PORT
check "add-cidr admins" ctl server add-cidr "$NET" --name admins \
    --cidr 10.66.1.0/24 --parent "$NET" --yes
check "add-peer admin" ctl server add-peer "$NET" --name admin \
    --cidr admins --admin true --auto-ip --save-config "$T/admin.toml" \
    --invite-expires 1h --yes
check "admin: interface from the invitation" \
    hp_up admin "$T/admin.toml" 10.66.0.0/16
check "admin reaches the server" wait_until 20 on admin ping -c1 -W1 \
    10.66.0.1
check "admin redeems" hp_redeem admin
check "admin reaches the server with its new key" \
    wait_until 20 on admin ping -c1 -W1 10.66.0.1
check "admin fetches its state" wait_until 10 admin_state
ADMINPUB=$(wg pubkey < "$T/admin/wg.key")

# --- (a) innernet-dbd killed during concurrent admin writes -----------
# One curl runs every write, up to 32 at once (the API's max-per-source:
# more would be closed unanswered); each transfer prints its status and
# the name it wrote as soon as it ends.
api=$(cat "$T/admin/api") skey=$(cat "$T/admin/skey") ip=$(cat "$T/admin/ip")
i=0
while [ $i -lt "$NWRITES" ]; do
	printf 'url = "http://%s/v1/admin/cidrs?w=%d"\n' "$api" $i
	printf 'data-binary = "%s"\n' "$(cidr_json w$i $i | sed 's/"/\\"/g')"
	printf 'header = "Content-Type: application/json"\n'
	printf 'header = "X-Innernet-Server-Key: %s"\n' "$skey"
	printf 'interface = "%s"\noutput = "/dev/null"\nmax-time = 20\n' "$ip"
	printf 'write-out = "%%{stderr}%%{http_code} w%d\\n"\nnext\n' $i
	i=$((i + 1))
done > "$T/writes.cfg"
: > "$T/writes.out"
# The statuses go to stderr, which is not buffered: each line is in the
# file as soon as its transfer ends.
(on admin curl -s --no-progress-meter --parallel --parallel-max 32 \
    -K "$T/writes.cfg" 2>> "$T/writes.out" >/dev/null
    echo done >> "$T/writes.end") &
writer=$!
acked() {
	[ "$(grep -cE '^201 w[0-9]+$' "$T/writes.out")" -ge "$1" ]
}
check "writes are being acknowledged" wait_until 60 acked 100
dbd=$(child_pid innernet-dbd)
check "dbd found" test -n "$dbd"
kill -KILL "$dbd"
check "the set exits after dbd is killed" set_gone
check "the set exits non-zero" test "$(cat "$T/set.rc")" -ne 0
went_down dbd 9 > "$T/went"
check "the log says the set went down after an error" test $? -eq 0
cat "$T/went"
check "no process of the set is left" wait_until 10 no_strays
check "the writer finishes" wait_until 60 test -s "$T/writes.end"
wait "$writer"
grep -E '^201 w[0-9]+$' "$T/writes.out" | awk '{print $2}' | sort \
    > "$T/acked"
nacked=$(wc -l < "$T/acked")
echo "# $nacked of $NWRITES writes acknowledged before the kill;" \
    "statuses: $(grep -E '^[0-9]{3} w[0-9]+$' "$T/writes.out" |
    awk '{print $1}' | sort | uniq -c | tr -s '\n ' '  ')"
check "the kill came while writes were in flight" \
    test "$nacked" -gt 0 -a "$nacked" -lt "$NWRITES"
check "the database is intact after the kill" integrity_ok
check "the set starts again" daemon_start server
check "admin fetches its state again" wait_until 20 admin_state
check "CIDRs listed" cidr_names
cidr_names > "$T/present"
check "every acknowledged write is there" sh -c \
    "test -s '$T/acked' && test -z \"\$(comm -23 '$T/acked' '$T/present')\""
echo "# $(grep -c '^w' "$T/present") written CIDRs present"
check "the database is intact after the restart" integrity_ok

# --- (b) innernet-wgd killed ----------------------------------------------
wgd=$(child_pid innernet-wgd)
check "wgd found" test -n "$wgd"
kill -KILL "$wgd"
check "the set exits after wgd is killed" set_gone
check "the set exits non-zero" test "$(cat "$T/set.rc")" -ne 0
went_down wgd 9 > "$T/went"
check "the log says the set went down after an error" test $? -eq 0
cat "$T/went"
check "no process of the set is left" wait_until 10 no_strays
# The interface outlives the set, like a kernel interface: wireguard-go
# runs on its own.  Take the admin off it so the restart must put it back.
check "the interface outlives the set" one_wggo
check "admin removed from the interface by hand" \
    on server wg set "$NET" peer "$ADMINPUB" remove
check "the set starts again" daemon_start server
check "admin is back on the server's WireGuard" wait_until 20 on server \
    sh -c "wg show $NET peers | grep -qF '$ADMINPUB'"
check "still one wireguard-go" one_wggo
check "admin reaches the server" wait_until 20 on admin ping -c1 -W1 \
    10.66.0.1
check "admin fetches its state" wait_until 20 admin_state

# --- (b) engine killed, and the interface gone too --------------------
engine=$(child_pid innernetd)
check "engine found" test -n "$engine"
kill -KILL "$engine"
check "the set exits after the engine is killed" set_gone
check "the set exits non-zero" test "$(cat "$T/set.rc")" -ne 0
went_down engine 9 > "$T/went"
check "the log says the set went down after an error" test $? -eq 0
cat "$T/went"
check "no process of the set is left" wait_until 10 no_strays
# As after a reboot: no interface at all.
for p in $(ip netns pids "${RUN}server"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = wireguard-go ] && kill "$p"
done
check "the interface is gone" wait_until 10 sh -c \
    "! nsenter -t $(cat "$T/server/anchor.pid") -m -n ip link show $NET"
check "the set starts again" daemon_start server
check "the interface is back" wait_until 20 on server ip link show "$NET"
check "one wireguard-go" wait_until 10 one_wggo
check "same server key" wait_until 10 on server sh -c \
    "test \"\$(wg show $NET public-key)\" = '$(cat "$T/admin/skey")'"
check "same listen port" wait_until 10 on server sh -c \
    "test \"\$(wg show $NET listen-port)\" = $PORT"
check "admin is on the server's WireGuard" wait_until 20 on server \
    sh -c "wg show $NET peers | grep -qF '$ADMINPUB'"
check "admin reaches the server" wait_until 30 on admin ping -c1 -W1 \
    10.66.0.1
check "admin fetches its state" wait_until 20 admin_state
check "the database is intact" integrity_ok

# --- (c) full and read-only state directory ---------------------------
# A small tmpfs over server/ in the server's mount namespace, holding a
# copy of the databases; it is in place before the set starts, so dbd
# opens its files there.
check "the set stops" daemon_stop server
mkdir -p "$T/dbcopy"
cp -a "$STATE/server/." "$T/dbcopy/"
kb=$(du -sk "$T/dbcopy" | awk '{print $1}')
check "a ${kb}k database on a $((kb + 1024))k tmpfs" on server mount -t \
    tmpfs -o "size=$((kb + 1024))k,mode=0700,uid=$uid,gid=$gid" tmpfs \
    "$STATE/server"
check "databases copied onto it" on server cp -a "$T/dbcopy/." \
    "$STATE/server/"
check "the set starts on it" daemon_start server
check "admin fetches its state" wait_until 20 admin_state
check "a write works before the disk is full" test \
    "$(post_cidr before-full 1001)" = 201

# Fill it: dd stops at the end of the space.
on server dd if=/dev/zero of="$STATE/server/filler" bs=64k \
    count=$(((kb + 1024) / 64 + 1)) 2>/dev/null
check "the state directory is full" on server sh -c \
    "! dd if=/dev/zero of='$STATE/server/filler2' bs=4k count=1 \
    2>/dev/null && rm -f '$STATE/server/filler2'"
check "an API write on a full disk is 500" test \
    "$(post_cidr full-api 1002)" = 500
check "the 500 has an error message" jqe '.error | length > 0' \
    "$T/admin/body"
ctl server add-cidr "$NET" --name full-ctl --cidr 10.66.200.0/24 \
    --parent "$NET" --yes > "$T/ctl.out" 2>&1
echo $? > "$T/ctl.rc"
check "innernetctl add-cidr on a full disk fails" \
    test "$(cat "$T/ctl.rc")" -ne 0
check "and says why" test -s "$T/ctl.out"
sed 's/^/#   innernetctl: /' "$T/ctl.out"
check "the set is still running" daemon_running server
check "reads still work" admin_state
check "the database is intact while full" integrity_ok
on server rm -f "$STATE/server/filler"
check "an API write works once there is room" test \
    "$(post_cidr after-full 1003)" = 201
check "innernetctl add-cidr works once there is room" ctl server add-cidr \
    "$NET" --name after-ctl --cidr 10.66.201.0/24 --parent "$NET" --yes

# Linux does not remount a file system read-only while a file on it is
# open for writing, so the set meets the read-only directory at start.
check "the set stops" daemon_stop server
check "read-only remount" on server mount -o remount,ro "$STATE/server"
(exec nsenter -t "$(cat "$T/server/anchor.pid")" -m -n -- \
    "$BIN/innernetd" -d -v -f "$T/server/innernet.conf" \
    >>"$T/server/daemon.log" 2>&1) &
echo $! > "$T/server/daemon.pid"
check "the set does not start on a read-only state directory" set_gone
check "it exits non-zero" test "$(cat "$T/set.rc")" -ne 0
check "and says why" grep -q "$STATE/server: Read-only file system" \
    "$T/server/daemon.log"
check "read-write remount" on server mount -o remount,rw "$STATE/server"
check "the database is intact after the refused start" integrity_ok
check "the set starts again" daemon_start server
check "an API write works again" test "$(post_cidr after-ro 1005)" = 201

cidr_names > "$T/present"
check "acknowledged writes are there" sh -c "grep -qx before-full \
    '$T/present' && grep -qx after-full '$T/present' && grep -qx after-ctl \
    '$T/present' && grep -qx after-ro '$T/present'"
check "failed writes are not" sh -c "! grep -qx -e full-api -e full-ctl \
    '$T/present'"
check "the set stops cleanly" daemon_stop server
check "the database is intact" integrity_ok
check "the set starts again on it" daemon_start server
check "and serves the state" wait_until 20 admin_state
exit $FAILED
