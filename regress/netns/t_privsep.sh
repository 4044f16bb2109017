#!/bin/sh
# The daemon set drops privileges and sandboxes itself: engine and dbd run
# as the unprivileged user in a chroot, every child has NoNewPrivs and a
# seccomp filter, wgd keeps only CAP_NET_ADMIN; a child that makes a call
# outside its promises is killed by the kernel and takes the set down.
. "$(dirname "$0")/lib.sh"

net_init
host_add h 192.0.2.10

uid=$(id -u _innernet)

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

check "wgd runs as root" uids_are "$w" 0
check "wgd keeps only CAP_NET_ADMIN" \
    test "$(status_field "$w" CapEff)" = 0000000000001000
check "wgd has an empty bounding set beyond CAP_NET_ADMIN" \
    test "$(status_field "$w" CapBnd)" = 0000000000001000
check "wgd has NoNewPrivs" test "$(status_field "$w" NoNewPrivs)" = 1
check "wgd has a seccomp filter" test "$(status_field "$w" Seccomp)" = 2

check "status lists the processes" sh -c \
    "$(command -v nsenter) -t $(cat "$T/h/anchor.pid") -m -n -- \
    '$BIN/innernetctl' -s '$T/h/innernetd.sock' status | grep -q dbd"
check "the state dir holds no key readable by _innernet" \
    test "$(stat -c %a "$T/h/state/keys")" = 700
check "SIGTERM stops the set cleanly" daemon_stop h
check "control socket removed on exit" test ! -e "$T/h/innernetd.sock"

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
