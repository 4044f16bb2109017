#!/bin/sh
# innernetctl against a real daemon, as a user reads it: every change
# says what it did in a line (and -j gives an object), lists name CIDRs
# and keep their columns with long names, associations read as
# upstream's, status names users in a stable order and says whether
# networks are up, prompts offer numbered choices and summarise before
# they confirm, and an admin peer's error is the server's sentence.
. "$(dirname "$0")/lib.sh"

net_init
host_add server 192.0.2.1
host_add admin 192.0.2.2

jqok() {
	_h=$1 _f=$2; shift 2
	ctl "$_h" -j "$@" | jqe "$_f" >/dev/null
}
# says HOST PATTERN innernetctl-args...: exit 0 and stdout matches.
says() {
	_h=$1 _p=$2; shift 2
	ctl "$_h" "$@" > "$T/says" 2>&1 || { cat "$T/says"; return 1; }
	cat "$T/says"
	grep -q -- "$_p" "$T/says"
}
# aligned FILE WORD: WORD's column starts where every row's cell does.
aligned() {
	awk -v w="$2" 'NR == 1 { c = index($0, w); next }
	    { s = substr($0, c - 2, 2); if (s != "  " ||
	    substr($0, c, 1) == " ") bad = 1 }
	    END { exit (c == 0 || bad) }' "$1"
}

check "server starts" daemon_start server
check "new says what it made, not JSON" says server \
    "^network corp created: this host is 10.66.0.1" new \
    --network-name corp --network-cidr 10.66.0.0/16 \
    --external-endpoint 192.0.2.1:51820 --listen-port 51820
check "new prints no JSON without -j" sh -c "! grep -q '{' '$T/says'"
check "-j new is an object" jqok server '.network == "two"' new \
    --network-name two --network-cidr 10.67.0.0/16 \
    --external-endpoint 192.0.2.1:51821 --listen-port 51821
check "uninstall says it" says server "^two uninstalled from this host$" \
    uninstall two --yes
check "add-cidr says what it added" says server \
    "^CIDR humans (10.66.1.0/24) added to corp under corp$" add-cidr corp \
    --name humans --cidr 10.66.1.0/24 --parent corp --yes
long=a-very-long-cidr-name-for-the-machines-of-the-second-floor
check "add-cidr of a long name, -j an object" jqok server \
    ".name == \"$long\"" add-cidr corp --name "$long" \
    --cidr 10.66.2.0/24 --parent corp --yes
check "add-peer says peer, CIDR, address and file" says server \
    "^peer admin added to humans (10.66.1.1), invitation saved to $T/admin.toml$" \
    add-peer corp --name admin --cidr humans --admin true --auto-ip \
    --save-config "$T/admin.toml" --invite-expires 1h --yes
lp=a-peer-with-a-rather-long-name-that-would-break-fixed-columns
check "add-peer of a long name" says server "^peer $lp added to $long" \
    add-peer corp --name "$lp" --cidr "$long" --auto-ip \
    --save-config "$T/long.toml" --yes

ctl server list-peers corp > "$T/peers"
cat "$T/peers"
check "list-peers names the CIDR" grep -q "^2 .*admin .*10.66.1.1 .*humans" \
    "$T/peers"
check "list-peers names a long CIDR" grep -q "$lp .*$long" "$T/peers"
check "the IP column holds with long names" aligned "$T/peers" IP
check "the STATE column holds with long names" aligned "$T/peers" STATE
check "list-peers has no keys without --verbose" \
    sh -c "! grep -q 'PUBLIC KEY' '$T/peers'"
key=$(ctl server -j list-peers corp | jq -r '.[] | select(.name ==
    "admin") | .public_key')
check "list-peers --verbose prints keys in full" \
    sh -c "$BIN/innernetctl -s $T/server/innernetd.sock list-peers corp \
    --verbose | grep -qF -- '$key'"
check "show on a server host is list" says server "$lp" show corp
check "list --tree on a server host" says server "^  10.66.1.0/24 humans" \
    list --tree corp

check "add-association says it" says server \
    "^humans <=> $long associated in corp$" add-association corp humans \
    "$long" --yes
check "list-associations reads as upstream's" says server \
    "^[0-9]*: humans <=> $long$" list-associations corp
check "-j delete-association is an object" jqok server \
    '.verb == "delete-association" and .network == "corp"' \
    delete-association corp humans "$long" --yes
check "-j rename-peer is an object, never null" jqok server \
    'type == "object" and .new_name == "longpeer"' rename-peer corp \
    --name "$lp" --new-name longpeer --yes
check "disable-peer says it" says server "^peer longpeer of corp disabled$" \
    disable-peer corp --name longpeer --yes
check "enable-peer says it" says server "^peer longpeer of corp enabled$" \
    enable-peer corp --name longpeer --yes
check "rename-cidr says it" says server "^CIDR $long of corp renamed to machines$" \
    rename-cidr corp --name "$long" --new-name machines --yes
check_fails "a CIDR that does not exist is exit 1" ctl server delete-cidr \
    corp --name nosuch --yes
ctl server delete-cidr corp --name nosuch --yes > /dev/null 2>&1
check "... exactly 1" test $? -eq 1

# status: users by name, processes and networks sorted, up or down.
ctl server status > "$T/status"
cat "$T/status"
check "status names the engine's user" grep -q "^engine .* _innernet " \
    "$T/status"
check "status names root" grep -q "^parent .* root " "$T/status"
check "status lists the processes in a stable order" test \
    "$(awk '/^PROCESS/ { p = 1; next } p && NF == 0 { exit }
    p { printf "%s ", $1 }' "$T/status")" = "dbd engine parent wgd "
check "status says the network is up" grep -q "^corp  *server  *up " \
    "$T/status"

# Prompts under a terminal: numbered choices, a summary, then confirm.
# The leaf CIDRs offered to a peer: infra (2), humans (3), machines (4).
if command -v script >/dev/null 2>&1; then
	printf 'carol\n2\n\n\n\n%s\ny\n' "$T/carol.toml" | on server \
	    script -qec "$BIN/innernetctl -s $T/server/innernetd.sock \
	    add-peer corp" /dev/null > "$T/tty" 2>&1
	cat "$T/tty"
	check "the CIDRs are offered as a numbered list" \
	    grep -q "2) humans  *10.66.1.0/24" "$T/tty"
	check "the CIDR with children is not offered" \
	    sh -c "! grep -q ') corp ' '$T/tty'"
	check "the confirmation summarises the peer" grep -q \
	    "Peer carol in CIDR humans of corp, address the next free one, not an admin, invitation valid 14d, saved to $T/carol.toml" \
	    "$T/tty"
	check "the answer by number took humans" jqok server \
	    '.[] | select(.name == "carol") | .cidr_id == 3' list-peers corp
	printf '1\nn\n' | on server script -qec \
	    "$BIN/innernetctl -s $T/server/innernetd.sock disable-peer corp" \
	    /dev/null > "$T/tty" 2>&1
	cat "$T/tty"
	check "disable-peer offers the enabled peers, not the server" sh -c \
	    "grep -q '1) admin' '$T/tty' && ! grep -q innernet-server '$T/tty'"
	check "... and summarises before it confirms" grep -q \
	    "Peer admin of corp" "$T/tty"
	check "answering no changes nothing" jqok server \
	    '.[] | select(.name == "admin") | .is_disabled == false' \
	    list-peers corp
	# CIDRs by id: corp 1, infra 2, humans 3, machines 4.
	printf '3\n4\ny\n' | on server script -qec \
	    "$BIN/innernetctl -s $T/server/innernetd.sock add-association \
	    corp" /dev/null > "$T/tty" 2>&1
	cat "$T/tty"
	check "add-association offers the CIDRs and summarises" sh -c \
	    "grep -q '4) machines' '$T/tty' &&
	    grep -q 'humans <=> machines in corp' '$T/tty'"
	check "the CIDRs picked by number are associated" says server \
	    "^[0-9]*: humans <=> machines$" list-associations corp
fi

# An admin peer: the server's refusal is its own sentence.
check "admin daemon starts" daemon_start admin
check "admin installs" ctl admin install "$T/admin.toml" --name corp \
    --delete-invite
ctl admin add-cidr corp --name humans --cidr 10.66.9.0/24 --parent corp \
    --yes > "$T/refusal" 2>&1
rc=$?
cat "$T/refusal"
check "a refusal from the server is exit 1" test $rc -eq 1
check "... and its sentence, not the HTTP answer" sh -c \
    "grep -q 'the server refused: ' '$T/refusal' &&
    ! grep -q 'Bad Request' '$T/refusal' && ! grep -q '{' '$T/refusal'"
check "list-peers on the admin peer names CIDRs" says admin \
    "carol .*humans" list-peers corp
exit $FAILED
