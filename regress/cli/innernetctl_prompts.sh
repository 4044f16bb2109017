#!/bin/sh
# innernetctl asks for what the command line left out only when a
# terminal is attached; without one, the error names the flag.  The
# socket does not exist: a command that got all it needs stops at
# "cannot reach innernetd" (exit 3), one that did not at usage (exit 2).
B=${B:-build}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
rc=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; rc=1; }
ctl() { "$B/innernetctl" -s "$t/none.sock" "$@"; }

# expect CODE PATTERN DESCRIPTION command...
expect() {
	_code=$1 _pat=$2 _d=$3; shift 3
	"$@" </dev/null >"$t/out" 2>&1
	_rc=$?
	if [ "$_rc" -eq "$_code" ] && grep -q -- "$_pat" "$t/out"; then
		ok "$_d"
	else
		notok "$_d (exit $_rc: $(head -3 "$t/out"))"
	fi
}

expect 2 "add-cidr needs --name" "no terminal: add-cidr names --name" \
    ctl add-cidr corp
expect 2 "needs --parent" "no terminal: add-cidr names --parent" \
    ctl add-cidr corp --name a --cidr 10.1.0.0/24
expect 2 "needs --ip or --auto-ip" "no terminal: add-peer asks for an address" \
    ctl add-peer corp --name a --cidr humans
expect 2 "give --yes" "no terminal: uninstall needs --yes" \
    ctl uninstall corp
expect 3 "cannot reach innernetd" "uninstall --yes goes to the daemon" \
    ctl uninstall corp --yes
expect 2 "delete-peer corp changes things for good: give --yes" \
    "no terminal: delete-peer needs --yes" ctl delete-peer corp --name db
expect 3 "cannot reach innernetd" "delete-peer --yes goes to the daemon" \
    ctl delete-peer corp --name db --yes
expect 3 "cannot reach innernetd" "disable-peer without --yes goes on" \
    ctl disable-peer corp --name db
expect 2 "needs --endpoint" "no terminal: override-endpoint names --endpoint" \
    ctl override-endpoint corp
expect 3 "cannot reach innernetd" "override-endpoint --unset needs nothing" \
    ctl override-endpoint corp --unset
expect 3 "cannot reach innernetd" "add-cidr with every flag needs nothing" \
    ctl add-cidr corp --name a --cidr 10.1.0.0/24 --parent corp
expect 2 "network-cidr" "no terminal: new names --network-cidr" \
    ctl new --network-name corp
expect 2 "two CIDR names" "no terminal: add-association needs its CIDRs" \
    ctl add-association corp --yes

# With a terminal (script(1) gives one), the questions are asked and the
# answers checked like flags.
if command -v script >/dev/null 2>&1; then
	printf 'humans\n10.66.1.0/24\ncorp\ny\n' | script -qec \
	    "$B/innernetctl -s $t/none.sock add-cidr corp" /dev/null \
	    >"$t/tty" 2>&1
	if grep -q "CIDR name" "$t/tty" && grep -q "Parent CIDR name" \
	    "$t/tty" && grep -q "cannot reach innernetd" "$t/tty"; then
		ok "a terminal gets the add-cidr questions"
	else
		notok "a terminal gets the add-cidr questions: $(cat "$t/tty")"
	fi
	printf 'n\n' | script -qec \
	    "$B/innernetctl -s $t/none.sock uninstall corp" /dev/null \
	    >"$t/tty" 2>&1
	if grep -q "nothing done" "$t/tty" && ! grep -q "cannot reach" \
	    "$t/tty"; then
		ok "answering no changes nothing"
	else
		notok "answering no changes nothing: $(cat "$t/tty")"
	fi
	printf 'bad port\n70000\n51999\n' | script -qec \
	    "$B/innernetctl -s $t/none.sock set-listen-port corp" /dev/null \
	    >"$t/tty" 2>&1
	if [ "$(grep -c "port number" "$t/tty")" -ge 2 ] &&
	    grep -q "cannot reach innernetd" "$t/tty"; then
		ok "a bad answer is refused and asked again"
	else
		notok "a bad answer is refused and asked again: $(cat "$t/tty")"
	fi
	# The confirmation says what would be made; without a daemon to
	# list CIDRs from, the parent is asked for by name.
	printf 'corp\nn\n' | script -qec \
	    "$B/innernetctl -s $t/none.sock add-cidr corp --name humans \
	    --cidr 10.66.1.0/24" /dev/null >"$t/tty" 2>&1
	if grep -q "Parent CIDR name:" "$t/tty" &&
	    grep -q "CIDR humans (10.66.1.0/24) under corp in corp" "$t/tty" &&
	    grep -q "nothing done" "$t/tty"; then
		ok "the confirmation summarises the CIDR"
	else
		notok "the confirmation summarises the CIDR: $(cat "$t/tty")"
	fi
	printf '\nn\n' | script -qec \
	    "$B/innernetctl -s $t/none.sock add-peer corp --name carol \
	    --cidr humans --auto-ip --admin true --invite-expires 2w" \
	    /dev/null >"$t/tty" 2>&1
	if grep -q "Peer carol in CIDR humans of corp, address the next free one, admin, invitation valid 14d, saved to carol.toml" \
	    "$t/tty" && grep -q "nothing done" "$t/tty"; then
		ok "the confirmation summarises the peer"
	else
		notok "the confirmation summarises the peer: $(cat "$t/tty")"
	fi
	printf 'humans\nservers\nn\n' | script -qec \
	    "$B/innernetctl -s $t/none.sock add-association corp" /dev/null \
	    >"$t/tty" 2>&1
	if grep -q "First CIDR:" "$t/tty" && grep -q "Second CIDR:" "$t/tty" &&
	    grep -q "humans <=> servers in corp" "$t/tty" &&
	    grep -q "nothing done" "$t/tty"; then
		ok "add-association asks for its CIDRs"
	else
		notok "add-association asks for its CIDRs: $(cat "$t/tty")"
	fi
	printf 'x\n' | script -qec \
	    "$B/innernetctl -s $t/none.sock add-peer corp --name carol \
	    --cidr humans --auto-ip" /dev/null >"$t/tty" 2>&1
	if grep -q "Admin peer (true/false)" "$t/tty" &&
	    grep -q "true or false" "$t/tty"; then
		ok "a prompt's answer is checked as the flag's value"
	else
		notok "a prompt's answer is checked as the flag's value: $(cat "$t/tty")"
	fi
fi
exit $rc
