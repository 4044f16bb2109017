#!/bin/sh
# The daemon set drops privileges and sandboxes itself: engine and dbd run
# as the unprivileged user in a chroot, every child has NoNewPrivs and a
# seccomp filter, wgd runs as its own user with CAP_NET_ADMIN alone and
# owns its keys, the parent keeps only the capabilities it still needs; a
# child that makes a call outside its promises is killed by the kernel
# and takes the set down (regress builds: make REGRESS=1).
. "$(dirname "$0")/lib.sh"

net_init
host_add h 192.0.2.10

uid=$(id -u _innernet)
wuid=$(id -u _innernetwg)

child_pid() {	# child_pid EXE-NAME: the child of the daemon running EXE
	_pp=$(daemon_pid h)
	for _c in $(grep -l "^PPid:[[:space:]]*$_pp\$" /proc/[0-9]*/status \
	    2>/dev/null | cut -d/ -f3); do
		case "$(readlink "/proc/$_c/exe")" in
		*/"$1") echo "$_c"; return 0 ;;
		esac
	done
	return 1
}

status_field() {	# status_field PID FIELD
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

uids_are() {	# every uid of PID (real, effective, saved, fs) is $2
	awk -v u="$2" '$1 == "Uid:" {exit !($2 == u && $3 == u && $4 == u &&
	    $5 == u)}' "/proc/$1/status"
}

check "daemon set starts" daemon_start h
sleep 1
e=$(child_pid innernetd); d=$(child_pid innernet-dbd); w=$(child_pid innernet-wgd)
check "engine, dbd and wgd are running" test -n "$e" -a -n "$d" -a -n "$w"

check "engine runs as _innernet" uids_are "$e" "$uid"
check "engine is chrooted to /var/empty" \
    test "$(readlink /proc/$e/root)" = /var/empty
check "engine has NoNewPrivs" test "$(status_field "$e" NoNewPrivs)" = 1
check "engine has a seccomp filter" test "$(status_field "$e" Seccomp)" = 2

check "dbd runs as _innernet" uids_are "$d" "$uid"
check "dbd is chrooted to its state dir" \
    test "$(readlink /proc/$d/root)" = "$T/h/state"
check "dbd has NoNewPrivs" test "$(status_field "$d" NoNewPrivs)" = 1
check "dbd has a seccomp filter" test "$(status_field "$d" Seccomp)" = 2

check "wgd runs as _innernetwg, not root" uids_are "$w" "$wuid"
check "wgd's groups are its user's alone" test "$(awk '$1 == "Groups:" \
    {print $2 $3}' "/proc/$w/status")" = "$(id -g _innernetwg)"
check "wgd keeps only CAP_NET_ADMIN" \
    test "$(status_field "$w" CapEff)" = 0000000000001000
check "wgd permits only CAP_NET_ADMIN" \
    test "$(status_field "$w" CapPrm)" = 0000000000001000
check "wgd has an empty bounding set beyond CAP_NET_ADMIN" \
    test "$(status_field "$w" CapBnd)" = 0000000000001000
check "wgd has no ambient or inheritable capability left" \
    test "$(status_field "$w" CapAmb)$(status_field "$w" CapInh)" = \
    00000000000000000000000000000000
# parent: CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_NET_BIND_SERVICE and
# CAP_NET_ADMIN (bits 5, 6, 7, 10, 12), also as its bounding set
p=$(daemon_pid h)
check "the parent keeps five capabilities" test "$(status_field "$p" \
    CapEff)$(status_field "$p" CapPrm)" = 00000000000014e000000000000014e0
check "the parent's bounding set is the same five" \
    test "$(status_field "$p" CapBnd)" = 00000000000014e0
check "wgd has NoNewPrivs" test "$(status_field "$w" NoNewPrivs)" = 1
check "wgd has a seccomp filter" test "$(status_field "$w" Seccomp)" = 2

check "status lists the processes" sh -c \
    "$(command -v nsenter) -t $(cat "$T/h/anchor.pid") -m -n -- \
    '$BIN/innernetctl' -s '$T/h/innernetd.sock' status | grep -q dbd"
check "the state dir holds no key readable by _innernet" \
    test "$(stat -c %a "$T/h/state/keys")" = 700
check "the key directory belongs to wgd's user" \
    test "$(stat -c %U "$T/h/state/keys")" = _innernetwg
check "SIGTERM stops the set cleanly" daemon_stop h
check "control socket removed on exit" test ! -e "$T/h/innernetd.sock"

# A key an older wgd left as root becomes wgd's user's at start; a link
# planted in the key directory never hands its target over.
echo 'not a key' > "$T/h/victim"
chmod 0644 "$T/h/victim"
(umask 077; wg genkey > "$T/h/state/keys/old0.key")
chmod 0640 "$T/h/state/keys/old0.key"
chown 0:0 "$T/h/state/keys/old0.key"
ln -s "$T/h/victim" "$T/h/state/keys/evil.key"
ln "$T/h/victim" "$T/h/state/keys/hard.key"
check "the set starts with an old key and links in keys/" daemon_start h
check "the old key is wgd's user's, 0600" test "$(stat -c '%U %a' \
    "$T/h/state/keys/old0.key")" = "_innernetwg 600"
check "the target of a link in keys/ is untouched" test "$(stat -c \
    '%U %a' "$T/h/victim")" = "root 644"
check "the set stops" daemon_stop h
rm -f "$T/h/state/keys/old0.key" "$T/h/state/keys/evil.key" \
    "$T/h/state/keys/hard.key"

if ! grep -q INNERNET_REGRESS_VIOLATE "$BIN/innernetd"; then
	echo "ok - sandbox violations # skip not a regress build"
	exit $FAILED
fi
check "a default build has no violation switch" sh -c "! grep -q \
    INNERNET_REGRESS_VIOLATE '$TOP/build/innernetd' 2>/dev/null"
for p in engine dbd wgd; do
	: > "$T/h/daemon.log"
	INNERNET_REGRESS_VIOLATE=$p
	export INNERNET_REGRESS_VIOLATE
	(exec nsenter -t "$(cat "$T/h/anchor.pid")" -m -n -- \
	    "$BIN/innernetd" -d -f "$T/h/innernet.conf" \
	    >>"$T/h/daemon.log" 2>&1) &
	pid=$!
	unset INNERNET_REGRESS_VIOLATE
	n=0
	while kill -0 $pid 2>/dev/null && [ $n -lt 75 ]; do
		sleep 0.2; n=$((n + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		notok "$p: set still running after a sandbox violation"
		kill -TERM $pid
		wait $pid
		continue
	fi
	wait $pid
	rc=$?
	check "$p: parent exits non-zero after the violation" test $rc -ne 0
	check "$p: the kernel killed it with SIGSYS" \
	    grep -q "$p (pid [0-9]*) was killed by signal 31" "$T/h/daemon.log"
	check "$p: nothing survived" sh -c \
	    "! ps -eo args | grep -v grep | grep -q '$T/h/innernet.conf'"
done
exit $FAILED
