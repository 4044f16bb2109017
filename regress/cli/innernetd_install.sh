#!/bin/sh
# make install into a DESTDIR: the tree is complete, the unit names the
# installed program, its ExecStartPre and ExecStart lines work against a
# test configuration, bash completion offers verbs and networks, and
# make uninstall takes everything away again.
B=${B:-build}
t=$(mktemp -d)
# wgd is not root: it must be able to pass through to its key directory
chmod 0755 "$t"
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && sleep 1
	rm -rf "$t"
}
trap cleanup EXIT
rc=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; rc=1; }
check() {
	_d=$1; shift
	if "$@" >"$t/out" 2>&1; then ok "$_d"; else notok "$_d: $(head -3 "$t/out")"; fi
}

D=$t/root
make -s install B="$B" DESTDIR="$D" PREFIX=/usr >"$t/install.log" 2>&1 ||
    { notok "make install: $(tail -3 "$t/install.log")"; exit 1; }
for f in usr/sbin/innernetd usr/sbin/innernet-dbd usr/sbin/innernet-wgd \
    usr/sbin/innernetctl usr/share/man/man5/innernet.conf.5 \
    usr/share/man/man8/innernetd.8 usr/share/man/man8/innernetctl.8 \
    usr/share/man/man8/innernet-dbd.8 usr/share/man/man8/innernet-wgd.8 \
    lib/systemd/system/innernetd.service \
    usr/lib/sysusers.d/innernet.conf usr/lib/tmpfiles.d/innernet.conf \
    etc/innernet.conf \
    usr/share/bash-completion/completions/innernetctl \
    usr/share/zsh/vendor-completions/_innernetctl; do
	check "installed $f" test -s "$D/$f"
done
check "the programs are executable" test -x "$D/usr/sbin/innernetd"
unit=$D/lib/systemd/system/innernetd.service
check "the unit starts the installed innernetd" \
    grep -q '^ExecStart=/usr/sbin/innernetd -d$' "$unit"
check "the unit checks the configuration first" \
    grep -q '^ExecStartPre=/usr/sbin/innernetd -n$' "$unit"
check "the unit bounds capabilities" grep -q '^CapabilityBoundingSet=' "$unit"

# The unit's two lines, with the test configuration added.
# Another suite may add a user at the same moment: useradd then fails
# on the lock of /etc/passwd, or because the user exists by now.
for u in _innernet _innernetwg; do
	n=0
	until getent passwd "$u" >/dev/null 2>&1 || [ $n -ge 60 ]; do
		useradd -r -M -d /var/empty -s /usr/sbin/nologin "$u" \
		    2>/dev/null || sleep 0.5
		n=$((n + 1))
	done
done
mkdir -p "$t/state"
cat > "$t/innernet.conf" <<CONF
state-dir: $t/state
control-socket: $t/ctl.sock
hosts-file: $t/hosts
backend: userspace
CONF
touch "$t/hosts"
pre=$(sed -n 's/^ExecStartPre=//p' "$unit")
start=$(sed -n 's/^ExecStart=//p' "$unit")
check "ExecStartPre accepts the test configuration" \
    $D$pre -f "$t/innernet.conf"
$D$start -f "$t/innernet.conf" >"$t/daemon.log" 2>&1 &
pid=$!
n=0
while [ ! -S "$t/ctl.sock" ] && [ $n -lt 150 ]; do sleep 0.2; n=$((n + 1)); done
check "ExecStart runs the set, innernetctl reaches it" \
    "$D/usr/sbin/innernetctl" -s "$t/ctl.sock" status
check "the installed set has its four processes" sh -c \
    "[ \$('$D/usr/sbin/innernetctl' -s '$t/ctl.sock' -j status |
    grep -c '\"pid\"') = 4 ]"
kill -TERM "$pid"
n=0
while kill -0 "$pid" 2>/dev/null && [ $n -lt 150 ]; do sleep 0.2; n=$((n + 1)); done
check "SIGTERM stops it" sh -c "! kill -0 $pid 2>/dev/null"
pid=

# bash completion: verbs, then flags of a verb.
if command -v bash >/dev/null 2>&1; then
	out=$(bash -c ". '$D/usr/share/bash-completion/completions/innernetctl'
	    COMP_WORDS=(innernetctl add-); COMP_CWORD=1; _innernetctl
	    echo \"\${COMPREPLY[*]}\"")
	case "$out" in
	*add-cidr*add-peer*) ok "bash completes verbs" ;;
	*) notok "bash completes verbs: $out" ;;
	esac
	out=$(bash -c ". '$D/usr/share/bash-completion/completions/innernetctl'
	    COMP_WORDS=(innernetctl install --de); COMP_CWORD=2; _innernetctl
	    echo \"\${COMPREPLY[*]}\"")
	case "$out" in
	*--default-name*--delete-invite*) ok "bash completes flags" ;;
	*) notok "bash completes flags: $out" ;;
	esac
fi

make -s uninstall DESTDIR="$D" PREFIX=/usr >/dev/null 2>&1
left=$(find "$D" -type f ! -path "*/etc/innernet.conf")
if [ -z "$left" ]; then
	ok "make uninstall removes what it installed (the configuration stays)"
else
	notok "make uninstall left: $left"
fi
exit $rc
