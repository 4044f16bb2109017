#!/bin/sh
# The command line alone, no daemon: help globally and per verb, the
# version, each verb's own flags, malformed values refused before any
# daemon is asked (exit 2), aliases, and completion files that match the
# verb table.  The socket does not exist: a command line that is right
# stops at "cannot reach innernetd" (exit 3).
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
rc=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; rc=1; }
ctl() { "$B/innernetctl" -s "$t/none.sock" "$@"; }

# expect CODE PATTERN DESCRIPTION command...: exit code and output.
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
# stdout_has PATTERN DESCRIPTION command...: exit 0, pattern on stdout.
stdout_has() {
	_pat=$1 _d=$2; shift 2
	"$@" </dev/null >"$t/out" 2>/dev/null
	_rc=$?
	if [ "$_rc" -eq 0 ] && grep -q -- "$_pat" "$t/out"; then
		ok "$_d"
	else
		notok "$_d (exit $_rc: $(head -3 "$t/out"))"
	fi
}

# Help and version.
stdout_has "client (a network joined" "-h lists the verbs by group" ctl -h
stdout_has "server and admin" "--help lists the admin verbs" ctl --help
stdout_has "^daemon and networks" "the daemon verbs have a group" ctl -h
stdout_has "--invite-expires DURATION" "add-peer --help shows its flags" \
    ctl add-peer --help
stdout_has "usage: innernetctl add-peer network" "add-peer -h" \
    ctl add-peer corp -h
stdout_has "--save-config FILE" "help add-peer" ctl help add-peer
stdout_has "or: innernetctl redeem" "help redeem names install" \
    ctl help redeem
stdout_has "^innernetctl [0-9]" "-V prints the version" ctl -V
stdout_has "^innernetctl [0-9]" "--version prints the version" ctl --version
expect 2 "usage: innernetctl" "no verb is a usage error" ctl
expect 2 "unknown verb 'frob'" "an unknown verb is a usage error" ctl frob
expect 2 "no verb 'frob'" "help of an unknown verb" ctl help frob

# Each verb has only its own flags.
expect 2 "install has no flag --hosts-path" "install refuses --hosts-path" \
    ctl install x.toml --hosts-path /etc/hosts
expect 2 "usage: innernetctl install invitation" \
    "a refused flag shows the verb's usage" \
    ctl install x.toml --hosts-path /etc/hosts
expect 2 "its flags: --name" "the refusal lists the verb's flags" \
    ctl rename-peer corp --cidr humans
expect 2 "list-associations has no flag --yes" "a flag of another verb" \
    ctl list-associations corp --yes
expect 2 "down has no flag -d" "down -d is refused" ctl down -d corp
expect 2 "no flag --frob" "an unknown flag" ctl list corp --frob
expect 2 "--tree takes no value" "a flag without value given one" \
    ctl list corp --tree=yes
expect 2 "needs a value" "a flag without its value" ctl add-peer corp --name
expect 3 "cannot reach innernetd" "up -d is --daemon, not --delete-invite" \
    ctl up -d corp
expect 3 "cannot reach innernetd" "list -ts: short flags together" \
    ctl list -ts corp
expect 3 "cannot reach innernetd" "set-listen-port -l PORT" \
    ctl set-listen-port corp -l 51999
expect 3 "cannot reach innernetd" "set-listen-port -l51999" \
    ctl set-listen-port corp -l51999
expect 3 "cannot reach innernetd" "override-endpoint -e" \
    ctl override-endpoint corp -e 198.51.100.4:51820 --yes
expect 3 "cannot reach innernetd" "show is list" ctl show corp
expect 3 "cannot reach innernetd" "list without a network" ctl list
expect 3 "cannot reach innernetd" "--flag=value" \
    ctl add-cidr corp --name=a --cidr=10.1.0.0/24 --parent=corp --yes
expect 3 "cannot reach innernetd" "up --daemon --interval" \
    ctl up corp --daemon --interval 30
expect 3 "cannot reach innernetd" "--exclude-nat-candidates twice" \
    ctl fetch corp --exclude-nat-candidates 10.0.0.0/8 \
    --exclude-nat-candidates 192.168.0.0/16
expect 3 "cannot reach innernetd" "override-peer-endpoint" \
    ctl override-peer-endpoint corp --name bob -e 192.0.2.9:51820 --yes
expect 3 "cannot reach innernetd" "delete-peer" \
    ctl delete-peer corp --name bob --yes

# Malformed values: 2, before the daemon is asked.
expect 2 "--cidr 10.0.0.0/33: not a CIDR" "a /33 is refused" \
    ctl add-cidr corp --name a --cidr 10.0.0.0/33 --parent corp --yes
expect 2 "--endpoint garbage: not host:port" "a garbage endpoint" \
    ctl override-endpoint corp --endpoint garbage --yes
expect 2 "--external-endpoint" "new with a bad endpoint" \
    ctl new --network-name corp --network-cidr 10.60.0.0/16 \
    --external-endpoint 203.0.113.7
expect 2 "not an IPv4 or IPv6 address" "a bad --ip" \
    ctl add-peer corp --name a --cidr humans --ip 10.0.0.300 --yes
expect 2 "exclude each other" "--ip with --auto-ip" \
    ctl add-peer corp --name a --cidr humans --ip 10.0.0.3 --auto-ip --yes
expect 2 "port number" "a bad port" ctl set-listen-port corp -l 70000
expect 2 "port number" "a port that is not a number" \
    ctl new --network-name corp --network-cidr 10.60.0.0/16 \
    --external-endpoint 203.0.113.7:51820 --listen-port 5x
expect 2 "duration" "a bad duration" \
    ctl add-peer corp --name a --cidr humans --auto-ip \
    --invite-expires 3fortnights --yes
expect 2 "true or false" "--admin takes true or false" \
    ctl add-peer corp --name a --cidr humans --auto-ip --admin maybe --yes
expect 2 "lowercase letters" "a peer name that is no hostname" \
    ctl add-peer corp --name Alice --cidr humans --auto-ip --yes
expect 2 "not a network name" "a network name that is no interface" \
    ctl list-peers Corp_Net
expect 2 "exclude each other" "--endpoint with --unset" \
    ctl override-endpoint corp --endpoint 192.0.2.1:1 --unset
expect 2 "seconds" "--interval 0" ctl up corp --daemon --interval 0
expect 2 "not a CIDR" "--exclude-nat-candidates takes CIDRs" \
    ctl fetch corp --exclude-nat-candidates 10.0.0.1
expect 2 "takes one network name" "two networks" ctl down a b
expect 2 "completions takes bash or zsh" "completions of another shell" \
    ctl completions fish

# Completions: made from the verb table, the installed files are theirs.
for sh in bash zsh; do
	case $sh in
	bash) f=$top/etc/bash_completion.d/innernetctl ;;
	zsh) f=$top/etc/zsh/_innernetctl ;;
	esac
	if ctl completions $sh > "$t/$sh" && cmp -s "$t/$sh" "$f"; then
		ok "$f is what completions $sh prints"
	else
		notok "$f differs from completions $sh (regenerate it)"
	fi
done
if bash -n "$t/bash"; then
	ok "the bash completions parse"
else
	notok "the bash completions parse"
fi
# Every verb and every flag of every verb's help is completed.
missing=
for v in $(ctl -h | awk '/^  [a-z]/ { print $1 }'); do
	grep -q -- "$v" "$t/bash" || missing="$missing $v"
	grep -q -- "'$v:" "$t/zsh" || missing="$missing zsh:$v"
	for fl in $(ctl help "$v" | awk '/^  .*--/ { for (i = 1; i <= NF;
	    i++) if ($i ~ /^--/) { print $i; break } }'); do
		grep -q -- "$fl" "$t/bash" || missing="$missing $v:$fl"
		grep -q -- "$fl\[" "$t/zsh" || missing="$missing zsh:$v:$fl"
	done
done
if [ -z "$missing" ]; then
	ok "the completions know every verb and flag"
else
	notok "the completions miss:$missing"
fi
if bash -c ". '$t/bash'; COMP_WORDS=(innernetctl up -); COMP_CWORD=2;
    _innernetctl; echo \"\${COMPREPLY[*]}\"" | grep -q -- --daemon; then
	ok "bash completes up's flags"
else
	notok "bash completes up's flags"
fi
exit $rc
