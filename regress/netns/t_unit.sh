#!/bin/sh
# The set runs within what the shipped service unit leaves it, short of
# systemd itself: the unit's capability bounding set, no new privileges,
# its umask, and a read-only file system but for what the unit makes
# writable (the state directory, the control socket's directory, the
# userspace WireGuard's sockets and the hosts file itself, not its
# directory).  The unit's system call filter is checked by its rating
# (regress/cli/innernetd_unit.sh) and by reasoning, not here.
. "$(dirname "$0")/lib.sh"

UNIT_IN="$TOP/etc/systemd/innernetd.service.in"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT_IN" | tr ' ' '\n' |
    sed -n 's/^CAP_\(.*\)/+\1/p' | tr 'A-Z' 'a-z' | paste -sd, -)
umask_unit=$(sed -n 's/^UMask=//p' "$UNIT_IN")

net_init
host_add server 192.0.2.1
host_add alice 192.0.2.3

# unit_start HOST: innernetd in a mount namespace of its own, confined as
# the unit would; its control socket in run/, reached by the usual path.
unit_start() {
	_h=$1 _ud="$T/$1"
	mkdir -p "$_ud/run"
	chmod 0755 "$_ud/run"
	sed -i "s|^control-socket: .*|control-socket: $_ud/run/innernetd.sock|" \
	    "$_ud/innernet.conf"
	ln -sf run/innernetd.sock "$_ud/innernetd.sock"
	(exec nsenter -t "$(cat "$_ud/anchor.pid")" -m -n -- \
	    unshare -m --propagation slave sh -c '
	    set -e
	    for p in "$1/state" "$1/run" "$1/hosts" /var/run/wireguard; do
		mount --bind "$p" "$p"
	    done
	    for m in / "$(findmnt -no TARGET -T "$1")" \
		"$(findmnt -no TARGET -T /run)" \
		"$(findmnt -no TARGET -T /etc)"; do
		mount -o remount,bind,ro "$m"
	    done
	    umask "$2"
	    exec setpriv --no-new-privs --bounding-set=-all,"$3" \
		"$4/innernetd" -d -v -f "$1/innernet.conf"' sh \
	    "$_ud" "$umask_unit" "$caps" "$BIN" >>"$_ud/daemon.log" 2>&1) &
	echo $! > "$_ud/daemon.pid"
	wait_until 10 test -S "$_ud/innernetd.sock" &&
	    wait_until 10 ctl "$_h" status
}
unit_restart() { daemon_stop "$1"; unit_start "$1"; }
mode() { stat -c %a "$1"; }
ino() { stat -c %i "$1"; }

check "the unit names its capabilities" test -n "$caps"
check "the unit sets a umask" test -n "$umask_unit"
hosts_ino=$(ino "$T/alice/hosts")
hosts_mode=$(mode "$T/alice/hosts")

check "server starts confined" unit_start server
check "its control socket is 0660 whatever the umask" \
    test "$(mode "$T/server/run/innernetd.sock")" = 660
check "the test directory is read-only to it" on server sh -c \
    "nsenter -t \$(cat '$T/server/daemon.pid') -m touch '$T/server/x' \
    2>&1 | grep -q 'Read-only file system'"
check "new network" ctl server new --network-name corp \
    --network-cidr 10.66.0.0/16 --external-endpoint 192.0.2.1:51820 \
    --listen-port 51820
check "add-cidr humans" ctl server add-cidr corp --name humans \
    --cidr 10.66.1.0/24 --parent corp --yes
check "add-peer alice" ctl server add-peer corp --name alice \
    --cidr humans --auto-ip --save-config "$T/alice.toml" --yes
check "alice starts confined" unit_start alice
check "alice installs" ctl alice install "$T/alice.toml" --default-name
check "alice fetches" ctl alice fetch corp
check "alice reaches the server" wait_until 20 on alice ping -c1 -W1 10.66.0.1
check "alice's hosts file names the server" wait_until 10 grep -q \
    "innernet-server.corp.wg" "$T/alice/hosts"
check "rewritten in place: the same file" \
    test "$(ino "$T/alice/hosts")" = "$hosts_ino"
check "with its mode kept" test "$(mode "$T/alice/hosts")" = "$hosts_mode"
check "the line that is not ours is kept" \
    grep -q "^# a line that is not ours$" "$T/alice/hosts"
check "no temporary file was left beside it" sh -c \
    "! ls -a '$T/alice' | grep -q '^.hosts.innernet'"

# A second start finds everything made by the first: nothing then needs
# a capability the unit does not grant.
check "the server restarts confined" unit_restart server
check "alice restarts confined" unit_restart alice
check "alice fetches after both restarts" wait_until 20 ctl alice fetch corp
check "the server lists alice" sh -c "$(command -v nsenter) -t \
    $(cat "$T/server/anchor.pid") -m -n '$BIN/innernetctl' -s \
    '$T/server/innernetd.sock' -j list-peers corp | grep -q alice"
check "alice's daemon stops" daemon_stop alice
check "her hosts file is still the same file" \
    test "$(ino "$T/alice/hosts")" = "$hosts_ino"
check "neither daemon logged a refused operation" sh -c \
    "! grep -E 'Operation not permitted|Permission denied' \
    '$T/server/daemon.log' '$T/alice/daemon.log'"
exit $FAILED
