#!/bin/sh
# Uninstalling a server network while its own work is still on the way:
# while a start's load is being answered, right after new (the start
# still waits for WireGuard), while peers are being added, and while
# WireGuard is being brought up again after its userspace process died.  Userspace WireGuard starts a second late here,
# so the uninstall lands inside the start every time.  The daemon must
# survive, and nothing of the network may be left: no interface, no key,
# no database.
. "$(dirname "$0")/lib.sh"

net_init
host_add server 192.0.2.1

# A userspace WireGuard that starts late, as on a loaded machine.
# With the file wg-fail it fails at once instead.
cat > "$T/server/slow-wg" <<SH
#!/bin/sh
[ -e "$T/server/wg-fail" ] && exit 1
sleep 1
exec wireguard-go "\$@"
SH
chmod +x "$T/server/slow-wg"
echo "wireguard-userspace: $T/server/slow-wg" >> "$T/server/innernet.conf"

# gone NET: nothing of the network is left on the server.
gone() {
	! on server ip link show "$1" >/dev/null 2>&1 &&
	    ! find "$T/server/state" -name "*$1*" | grep -q . &&
	    ctl server -j status > "$T/status" 2>/dev/null &&
	    ! grep -q "\"$1\"" "$T/status"
}
alive() {
	daemon_running server && ctl server status >/dev/null
}
newnet() {
	ctl server new --network-name "$1" --network-cidr "10.$2.0.0/16" \
	    --external-endpoint "192.0.2.1:$((51800 + $2))" \
	    --listen-port "$((51800 + $2))"
}

# server_pid PROGRAM [WORD]: a process of the server host running
# PROGRAM (with WORD among its arguments).
server_pid() {
	for _p in $(ip netns pids "${RUN}server" 2>/dev/null); do
		case "$(readlink "/proc/$_p/exe" 2>/dev/null)" in
		*/"$1")
			tr '\0' ' ' < "/proc/$_p/cmdline" |
			    grep -qw -- "${2:-$1}" && echo "$_p"
			;;
		esac
	done
}

check "server starts" daemon_start server

# A failed start is tried again START_RETRY (10) seconds later.  dbd is
# held still over that retry, so its load waits there while the
# network is uninstalled, and answers (rows, then the end) only once
# the network is stopped.
n=${RUN}r
touch "$T/server/wg-fail"
check "new for the held load" newnet "$n" 69
check "its start fails" wait_until 60 grep -q "$n: trying again" \
    "$T/server/daemon.log"
rm -f "$T/server/wg-fail"
dbd=$(server_pid innernet-dbd)
check "dbd found" test -n "$dbd"
if [ -n "$dbd" ]; then
	kill -STOP $dbd
	sleep 15
	ctl server uninstall "$n" --yes > "$T/held.out" 2>&1 &
	up=$!
	check "uninstall begins while the load waits" wait_until 30 \
	    grep -q "$n: deleting the network" "$T/server/daemon.log"
	kill -CONT $dbd
	wait $up
	rc=$?
	cat "$T/held.out"
	check "uninstall after the held load succeeds" test $rc -eq 0
fi
check "daemon survives the held load" alive
check "nothing of the held network left" wait_until 10 gone "$n"

# new, then uninstall at once, while the start waits for WireGuard
i=1
while [ $i -le 5 ]; do
	n=${RUN}u$i
	check "new $i" newnet "$n" $((70 + i))
	check "uninstall $i at once" ctl server uninstall "$n" --yes
	check "daemon survives uninstall $i" alive
	check "nothing of network $i left" wait_until 10 gone "$n"
	i=$((i + 1))
done

# uninstall while peers are being added
n=${RUN}p
check "new for peers" newnet "$n" 80
check "network up" wait_until 30 on server ip link show "$n"
ctl server add-cidr "$n" --name c --cidr 10.80.1.0/24 --parent "$n" \
    --yes >/dev/null 2>&1
i=1 pids=
while [ $i -le 5 ]; do
	ctl server add-peer "$n" --name "p$i" --cidr c --auto-ip \
	    --save-config "$T/p$i.toml" --yes >/dev/null 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
check "uninstall while adding peers" ctl server uninstall "$n" --yes
for p in $pids; do
	wait $p
done
check "daemon survives uninstall under add-peer" alive
check "nothing of the peers' network left" wait_until 10 gone "$n"

# uninstall while WireGuard is being brought up again
n=${RUN}w
check "new for restart" newnet "$n" 81
check "its WireGuard up" wait_until 30 on server ip link show "$n"
check "its API up" wait_until 30 grep -q "$n: API listening" \
    "$T/server/daemon.log"
p=$(server_pid wireguard-go "$n")
check "its wireguard-go found" test -n "$p"
[ -z "$p" ] || kill -KILL $p
check "WireGuard died" wait_until 10 sh -c "! ip -n ${RUN}server link show $n"
check "heal begins" wait_until 90 grep -q "$n: WireGuard" \
    "$T/server/daemon.log"
check "uninstall while WireGuard restarts" ctl server uninstall "$n" --yes
check "daemon survives uninstall under restart" alive
check "nothing of the restarted network left" wait_until 10 gone "$n"

# and the daemon still works
check "a network made afterwards comes up" newnet "${RUN}z" 82
check "... and is up" wait_until 30 on server ip link show "${RUN}z"
check "daemon still alive at the end" alive
exit $FAILED
