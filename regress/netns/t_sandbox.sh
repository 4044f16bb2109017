#!/bin/sh
# A taken child stays in its sandbox.  Each child of the real set (engine,
# dbd, wgd), once sandboxed, is made to try an escape a bug would give an
# attacker: chmod 04777 of a root-owned file, connect to a root-only
# UNIX socket and to an abstract one outside the set, a netfilter and an
# xfrm netlink socket, open outside what it unveiled, exec, and kill of a
# process outside the set.  Each is refused (an error, or the kernel
# kills the child with SIGSYS) and nothing changed.  Needs a regress
# build (make REGRESS=1): INNERNET_REGRESS_ESCAPE, innernetd/util.c.
. "$(dirname "$0")/lib.sh"

net_init
host_add h 192.0.2.10

if ! grep -q INNERNET_REGRESS_ESCAPE "$BIN/innernetd"; then
	echo "ok - escape attempts # skip not a regress build"
	exit 0
fi

# The targets, as root, outside every child's directories.  dbd sees the
# state directory as its root, so its targets are made there too; the
# engine's root is an empty directory, where "/" is the one thing.
for f in "$T/h/victim" "$T/h/state/victim"; do
	echo 'root only' > "$f"
	chown 0:0 "$f"
	chmod 0644 "$f"
done
cat > "$T/listen.pl" <<'EOF'
use strict;
use Socket;
# listen.pl PATH|@NAME MARK: accept on a UNIX socket, record any caller
my ($path, $mark) = @ARGV;
$path =~ s/^@/\0/;
socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
unlink($path) if $path !~ /^\0/;
bind($s, pack_sockaddr_un($path)) or die "bind: $!";
chmod(0600, $path) if $path !~ /^\0/;
listen($s, 5) or die "listen: $!";
open(my $r, '>', "$mark.ready") or die;
close($r);
while (accept(my $c, $s)) {
	open(my $f, '>>', $mark) or die;
	print $f "accepted\n";
	close($f);
}
EOF
abs="innernet-regress-$RUN"
on h perl "$T/listen.pl" "$T/h/rootsock" "$T/h/acc.path" 2>&1 &
listeners=$!
on h perl "$T/listen.pl" "$T/h/state/rootsock" "$T/h/acc.state" 2>&1 &
listeners="$listeners $!"
on h perl "$T/listen.pl" "@$abs" "$T/h/acc.abs" 2>&1 &
listeners="$listeners $!"
check "a root-only socket listens" wait_until 10 test -e "$T/h/acc.path.ready"
check "a root-only socket listens in the state dir" \
    wait_until 10 test -e "$T/h/acc.state.ready"
check "an abstract socket listens" wait_until 10 test -e "$T/h/acc.abs.ready"
check "the root-only socket is 0600 root" test "$(stat -c '%U %a' \
    "$T/h/rootsock")" = "root 600"
on h sleep 600 &
bystander=$!
check "a bystander process runs" kill -0 "$bystander"

# escape PROC KIND ARG: the set starts with PROC told to try KIND ARG a
# second after it sandboxed itself; it must be refused or killed.
escape() {
	_p=$1 _k=$2 _a=$3
	: > "$T/h/daemon.log"
	INNERNET_REGRESS_VIOLATE=$_p INNERNET_REGRESS_ESCAPE="$_k:$_a"
	export INNERNET_REGRESS_VIOLATE INNERNET_REGRESS_ESCAPE
	(exec nsenter -t "$(cat "$T/h/anchor.pid")" -m -n -- \
	    "$BIN/innernetd" -d -f "$T/h/innernet.conf" \
	    >>"$T/h/daemon.log" 2>&1) &
	_pid=$!
	unset INNERNET_REGRESS_VIOLATE INNERNET_REGRESS_ESCAPE
	wait_until 15 grep -Eq "regress: $_p (refused|escaped)|$_p \(pid \
[0-9]+\) was killed by signal 31" "$T/h/daemon.log"
	if grep -q "regress: $_p escaped" "$T/h/daemon.log"; then
		notok "$_p: $_k $_a was not refused"
	elif ! grep -q "regress: $_p attempts $_k $_a" "$T/h/daemon.log"; then
		notok "$_p: $_k $_a was never attempted"
	elif grep -q "regress: $_p refused $_k" "$T/h/daemon.log"; then
		ok "$_p: $_k $_a refused ($(sed -n "s/.*regress: $_p \
refused [^:]*: //p" "$T/h/daemon.log" | head -1))"
	elif grep -q "$_p (pid [0-9]*) was killed by signal 31" \
	    "$T/h/daemon.log"; then
		ok "$_p: $_k $_a refused (killed by the sandbox)"
	else
		notok "$_p: $_k $_a: no outcome"
	fi
	kill -TERM "$_pid" 2>/dev/null
	wait_until 10 sh -c "! kill -0 $_pid 2>/dev/null" ||
	    kill -KILL "$_pid" 2>/dev/null
	wait "$_pid" 2>/dev/null
}

for p in engine dbd wgd; do
	case $p in
	engine)	dir= victim=/ sock=/rootsock outside=/etc/passwd ;;
	dbd)	dir=$T/h/state victim=/victim sock=/rootsock outside=/victim ;;
	wgd)	dir= victim=$T/h/victim sock=$T/h/rootsock outside=$T/h/victim ;;
	esac
	escape $p chmod "$victim"
	escape $p connect "$sock"
	escape $p abstract "$abs"
	escape $p netlink 12		# NETLINK_NETFILTER
	escape $p netlink 6		# NETLINK_XFRM
	escape $p open "$outside"
	escape $p exec /bin/sh
	escape $p kill "$bystander"
done

check "the root-owned files kept their mode" test "$(stat -c %a \
    "$T/h/victim") $(stat -c %a "$T/h/state/victim")" = "644 644"
check "no one connected to the root-only sockets" \
    test ! -e "$T/h/acc.path" -a ! -e "$T/h/acc.state"
check "no one connected to the abstract socket" test ! -e "$T/h/acc.abs"
check "the bystander is alive" kill -0 "$bystander"
check "nothing of the set survived" sh -c \
    "! ps -eo args | grep -v grep | grep -q '$T/h/innernet.conf'"
kill $bystander $listeners 2>/dev/null
exit $FAILED
