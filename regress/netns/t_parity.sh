#!/bin/sh
# What upstream users expect of the client verbs: list, fetch and up
# without a network mean every network; up --daemon --interval gives the
# network its own fetch interval; the NAT options of up and fetch are
# kept with the network and change what is reported to the server.
. "$(dirname "$0")/lib.sh"

net_init
host_add server 192.0.2.1
host_add alice 192.0.2.3

# cands: alice's NAT candidates as the server has them
cands() {
	ctl server -j list-peers corp |
	    jq -r '.[] | select(.name == "alice") | .candidates | join(" ")'
}
setting() { ctl alice -j list corp | jq -r ".$1"; }
# jqok HOST FILTER innernetctl-args...: the -j answer passes the filter.
# (jq -e passes empty input: the command must succeed and say something)
jqok() {
	_h=$1 _f=$2; shift 2
	_o=$(ctl "$_h" -j "$@") && [ -n "$_o" ] &&
	    printf '%s\n' "$_o" | jq -e "$_f" >/dev/null
}
# grepok HOST REGEX innernetctl-args...: the table has a matching line.
grepok() {
	_h=$1 _r=$2; shift 2
	ctl "$_h" "$@" | grep -q -- "$_r"
}
has_cands() { [ -n "$(cands)" ]; }
no_cands() { [ -z "$(cands)" ]; }
cands_outside() {
	! ctl server -j list-peers corp |
	    jq -r '.[] | select(.name == "alice") | .candidates[]' |
	    grep -q "^$1"
}

check "server starts" daemon_start server
check "new network" ctl server new --network-name corp \
    --network-cidr 10.69.0.0/16 --external-endpoint 192.0.2.1:51820 \
    --listen-port 51820
check "add-cidr humans" ctl server add-cidr corp --name humans \
    --cidr 10.69.1.0/24 --parent corp --yes
check "invite alice" ctl server add-peer corp --name alice --cidr humans \
    --auto-ip --save-config "$T/alice.toml" --yes
check "alice starts" daemon_start alice
check "alice installs" ctl alice install "$T/alice.toml" --default-name

# No network: every one.
check "list without a network" jqok alice \
    '.networks[0].network == "corp"' list
check "list without a network, each under its name" grepok alice \
    '^network corp: ' list
check "fetch without a network" jqok alice \
    '.networks[0].result.network == "corp"' fetch
check "fetch without a network, a line a network" grepok alice \
    '^corp: ' fetch
check "up without a network" ctl alice up
check "list on the server host without a network" jqok server \
    '.networks[0].network == "corp"' list
check "... as a table under the network's name" grepok server \
    '^network corp (served by this host):' list

# up --daemon --interval.
check "the configuration's interval by default" test "$(setting fetch_interval)" = 60
check_fails "--interval alone is refused (upstream: daemon mode only)" \
    ctl alice up corp --interval 30
check "up --daemon --interval 30" ctl alice up corp --daemon --interval 30
check "the network fetches every 30 s" test "$(setting fetch_interval)" = 30
check "alice's daemon stops" daemon_stop alice
check "alice's daemon is back" daemon_start alice
interval_is() { [ "$(setting fetch_interval)" = "$1" ]; }
check "the interval survives the restart" wait_until 10 interval_is 30
check "up --daemon alone: the configuration's again" \
    ctl alice up corp --daemon
check "60 again" test "$(setting fetch_interval)" = 60

# NAT options.
check "alice reported her candidates" wait_until 20 has_cands
check "fetch --no-nat-candidates" ctl alice fetch corp --no-nat-candidates
check "the server has none left" wait_until 10 no_cands
check "kept with the network" test "$(setting nat_candidates)" = false
check "up without NAT options: the defaults" ctl alice up corp
check "candidates again" wait_until 10 has_cands
check "up --exclude-nat-candidates 192.0.2.0/24" ctl alice up corp \
    --exclude-nat-candidates 192.0.2.0/24
check "no candidate in 192.0.2.0/24" wait_until 10 cands_outside '192\.0\.2\.'
check "shown in list" test "$(setting 'exclude_nat_candidates[0]')" = \
    192.0.2.0/24
check "... and in its table" grepok alice \
    'candidates reported except inside 192.0.2.0/24$' list corp
check "several exclusions in one value" ctl alice up corp \
    --exclude-nat-candidates 192.0.2.0/24,198.51.100.0/24
check "both kept" test "$(setting 'exclude_nat_candidates | join(" ")')" = \
    "192.0.2.0/24 198.51.100.0/24"
check_fails "a bad CIDR is refused" ctl alice up corp \
    --exclude-nat-candidates 192.0.2.0/33
check "up --no-nat-traversal" ctl alice up corp --no-nat-traversal
check "kept" test "$(setting nat_traversal)" = false
# override-peer-endpoint: alice reaches bob where she says, kept in her
# cache across fetches and restarts, shown in list.
host_add bob 192.0.2.4
check "invite bob" ctl server add-peer corp --name bob --cidr humans \
    --auto-ip --save-config "$T/bob.toml" --yes
check "bob starts" daemon_start bob
check "bob installs" ctl bob install "$T/bob.toml" --default-name
check "alice fetches bob" ctl alice fetch corp
bob_key=$(ctl server -j list-peers corp |
    jq -r '.[] | select(.name == "bob") | .public_key')
wg_endpoint() {
	on alice wg show corp endpoints | awk -v k="$1" '$1 == k { print $2 }'
}
endpoint_is() { [ "$(wg_endpoint "$1")" = "$2" ]; }
endpoint_not() { [ "$(wg_endpoint "$1")" != "$2" ]; }
check "override bob's endpoint" ctl alice override-peer-endpoint corp \
    --name bob --endpoint 198.51.100.77:51999 --yes
check "WireGuard has it" wait_until 5 endpoint_is "$bob_key" \
    198.51.100.77:51999
check "list shows it" jqok alice \
    '.peers[] | select(.name == "bob") | .endpoint_override == "198.51.100.77:51999"' \
    list corp
check "... and in its table" grepok alice \
    'endpoint: *198.51.100.77:51999 (overridden here' list corp
check "a fetch keeps it" ctl alice fetch corp
check "still there" endpoint_is "$bob_key" 198.51.100.77:51999
check "alice's daemon stops" daemon_stop alice
check "alice's daemon is back" daemon_start alice
check "a restart keeps it" wait_until 10 endpoint_is "$bob_key" \
    198.51.100.77:51999
check_fails "a name is refused (an address is needed)" ctl alice \
    override-peer-endpoint corp --name bob --endpoint bob.example:51999 \
    --yes
check_fails "an unknown peer is refused" ctl alice \
    override-peer-endpoint corp --name nobody --endpoint 10.1.1.1:1 --yes
check "unset it" ctl alice override-peer-endpoint corp --name bob \
    --unset --yes
check "the server's endpoint again" wait_until 10 endpoint_not "$bob_key" \
    198.51.100.77:51999
check "list shows none" jqok alice \
    '.peers[] | select(.name == "bob") | .endpoint_override == null' \
    list corp
[ $FAILED = 0 ] || daemon_log alice 30
exit $FAILED
