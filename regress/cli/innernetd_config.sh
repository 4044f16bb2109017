#!/bin/sh
# innernetd -n: a good file is accepted, a bad one is named with its line
# and nothing starts.
B=${B:-build}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
rc=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; rc=1; }

if "$B/innernetd" -n -f etc/innernet.conf 2>"$t/err" &&
    grep -q "configuration OK" "$t/err"; then
	ok "innernetd -n accepts etc/innernet.conf"
else
	notok "innernetd -n accepts etc/innernet.conf"
fi
printf 'mtu: 1280\nnetworks:\n  corp:\n    listen-port: 99999\n' > "$t/bad.conf"
if "$B/innernetd" -n -f "$t/bad.conf" 2>"$t/err"; then
	notok "innernetd -n refuses a bad file"
else
	ok "innernetd -n refuses a bad file"
fi
if grep -q "^$t/bad.conf:4: 'listen-port' must be a number" "$t/err"; then
	ok "the error names file and line"
else
	notok "the error names file and line: $(cat "$t/err")"
fi
if "$B/innernetd" -d -f "$t/bad.conf" 2>/dev/null; then
	notok "innernetd refuses to start with a bad file"
else
	ok "innernetd refuses to start with a bad file"
fi
# "key:" with no value takes the default, as innernet.conf(5) says.
printf 'mtu:\nfetch-interval:\nnetworks:\n  corp:\n    mtu:\n' > "$t/empty.conf"
if "$B/innernetd" -n -v -f "$t/empty.conf" >"$t/out" 2>"$t/err" &&
    grep -q "^mtu: 1280$" "$t/out" && grep -q "^fetch-interval: 60$" "$t/out"
then
	ok "an empty key takes its default"
else
	notok "an empty key takes its default: $(cat "$t/err")"
fi
printf 'user: no-such-user-here\n' > "$t/user.conf"
if "$B/innernetd" -n -f "$t/user.conf" 2>"$t/err"; then
	notok "innernetd -n refuses an unknown user"
elif grep -q "unknown user no-such-user-here" "$t/err"; then
	ok "innernetd -n refuses an unknown user"
else
	notok "innernetd -n refuses an unknown user: $(cat "$t/err")"
fi
if "$B/innernetd" -x 2>"$t/err" || ! grep -q usage "$t/err"; then
	notok "an unknown flag prints usage"
else
	ok "an unknown flag prints usage"
fi
exit $rc
