#!/bin/sh
# The service unit as make install writes it is rated by systemd's own
# offline analysis at an exposure of 2.5 or lower, and systemd knows
# every setting in it.  regress/netns/t_unit.sh runs the set within it.
B=${B:-build}
BOUND=2.5
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
rc=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; rc=1; }

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "ok - the unit's rating # skip systemd-analyze is not installed"
	exit 0
fi
make -s install B="$B" DESTDIR="$t/root" PREFIX=/usr >"$t/install.log" 2>&1 ||
    { notok "make install: $(tail -3 "$t/install.log")"; exit 1; }
unit=$t/root/lib/systemd/system/innernetd.service
systemd-analyze security --offline=true --no-pager "$unit" >"$t/out" 2>"$t/err"
level=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' \
    "$t/out")
if [ -z "$level" ]; then
	notok "systemd-analyze rated the unit: $(head -3 "$t/err")"
elif awk -v l="$level" -v b="$BOUND" 'BEGIN { exit !(l + 0 <= b + 0) }'
then
	ok "the unit's exposure level is $level, at most $BOUND"
else
	notok "the unit's exposure level is $level, above $BOUND"
	grep '✗' "$t/out" | sed 's/^/#   /'
fi
if grep -qi "unknown\|failed to parse\|invalid" "$t/err"; then
	notok "systemd understands every setting of the unit"
	sed 's/^/#   /' "$t/err"
else
	ok "systemd understands every setting of the unit"
fi
# What the analysis does not rate: the writable paths.
if grep -q '^ReadWritePaths=.*/etc\( \|$\)' "$unit" ||
    grep -q '^ReadWritePaths=.*/run\( \|$\)' "$unit"; then
	notok "the unit makes no more of /etc and /run writable than it needs"
else
	ok "the unit makes no more of /etc and /run writable than it needs"
fi
exit $rc
