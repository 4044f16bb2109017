#!/bin/sh
# A compromised engine against the real innernet-wgd: the hostile_wgd
# harness plays the engine (and the parent, starting wireguard-go) and
# sends what a taken engine could.  wgd must refuse every request about
# a link it did not make, any network outside allowed-ranges or /0, a
# peer outside its network, and unbounded streams, and name to the
# parent only the networks of its own links; and nothing of the host
# may change: links, addresses, routes, the keys of a WireGuard device
# someone else made.  Every run of
# the harness is a new wgd, so what wgd keeps across restarts is tested
# too.  HOSTILE_WGD=<an older innernet-wgd> HOSTILE_NO_RANGES=1 runs the
# same attacks against a wgd from before these checks.
# wgd and every wireguard-go run as the set runs them: as _innernetwg
# with CAP_NET_ADMIN alone (the harness does what innernetd does), so the
# foreign devices below are ones wgd could reach, and only its own
# checks keep it off them.
. "$(dirname "$0")/lib.sh"

HOSTILE=$BIN/regress/hostile_wgd
WGD=${HOSTILE_WGD:-$BIN/innernet-wgd}
[ -x "$HOSTILE" ] || { echo "not ok - $HOSTILE is not built"; exit 1; }
net_init
host_add h 192.0.2.1
S=$T/h/state

# engine VERB ARGS...: one request from the hostile engine, answer in
# $T/out.
engine() {
	on h "$HOSTILE" "$WGD" "$S" "$@" > "$T/out" 2>&1
	sed 's/^/# /' "$T/out"
}
answered() { grep -q "^$1" "$T/out"; }
refused() { grep -q "^err " "$T/out" || grep -q "^exit" "$T/out"; }
has_link() { on h ip link show "$1" >/dev/null 2>&1; }

# What the host has that innernet did not make.
on h ip link add hbr0 type bridge
on h ip link add hve0 type veth peer name hve1
on h ip addr add 198.51.100.7/24 dev hve0
on h ip link set hve0 up
# The WireGuard socket directory and keys/ as innernetd prepares them.
on h chgrp _innernetwg /var/run/wireguard
on h chmod 01775 /var/run/wireguard
mkdir -p "$S/keys"
chown _innernetwg:_innernetwg "$S/keys"
chmod 0700 "$S/keys"
check "someone else's WireGuard device" on h "$HOSTILE" wggo hwg0
(umask 077; wg genkey > "$T/foreign.key"; wg genkey > "$T/evil.key")
on h wg set hwg0 private-key "$T/foreign.key" listen-port 51999
foreign_pub=$(wg pubkey < "$T/foreign.key")

snapshot() {
	# (IPv6 link-local addresses come and go by themselves)
	on h ip -o link show 2>/dev/null | sed 's/^[0-9]*: //; s/ link\/.*//' |
	    grep -v '^inwg0'
	on h ip -o addr show | grep -v ' inwg0 \|fe80'
	on h ip -4 route show table all | grep -v 'dev inwg0'
	on h ip -6 route show table all | grep -v 'dev inwg0\|fe80'
	on h wg show hwg0 dump
}

# A network of ours, the control: wgd makes it and may act on it.
engine keynew inwg0
check "KEY_NEW for a name no link has" answered ok
engine up inwg0 10.77.0.1/24 10.77.0.0/24
check "a network inside allowed-ranges comes up" answered ok
check "recorded as wgd's own, out of the engine's reach" \
    test -s "$S/keys/inwg0.link"
check "its route is the root CIDR" sh -c \
    "nsenter -t $(cat "$T/h/anchor.pid") -n ip route show dev inwg0 |
    grep -q '^10.77.0.0/24'"
snapshot > "$T/before"

# IF_DOWN of links innernet did not make.
for l in hbr0 hve0 hve1 hwg0 eth0 lo; do
	engine down $l
	check "IF_DOWN $l refused" refused
	check "$l still exists" has_link $l
done

# IF_UP outside allowed-ranges, /0, the two halves of everything.
engine up evil0 10.0.0.1/1 0.0.0.0/1
check "IF_UP with route 0.0.0.0/1 refused" refused
engine up evil0 128.0.0.1/1 128.0.0.0/1
check "IF_UP with route 128.0.0.0/1 refused" refused
engine up evil0 10.0.0.1/0 0.0.0.0/0
check "IF_UP with a /0 refused" refused
engine up evil0 fd00::1/0 ::/0
check "IF_UP with ::/0 refused" refused
engine up evil0 198.51.100.9/24 198.51.100.0/24
check "IF_UP outside allowed-ranges refused" refused
engine up evil0 10.78.0.1/24 10.79.0.0/24
check "IF_UP with an address outside its route refused" refused
check "no link evil0 was made" sh -c "! nsenter -t \
    $(cat "$T/h/anchor.pid") -n ip link show evil0"
engine up hve0 10.80.0.1/24 10.80.0.0/24
check "IF_UP of an existing veth refused" refused
engine up hwg0 10.81.0.1/24 10.81.0.0/24
check "IF_UP of someone else's WireGuard device refused" refused

# Keys and settings of someone else's WireGuard device.
engine keyset hwg0 "$(cat "$T/evil.key")"
check "KEY_SET on a foreign WireGuard device refused" refused
engine keynew hwg0
check "KEY_NEW on a foreign WireGuard device refused" refused
engine port hwg0 51000
check "LISTEN_PORT on a foreign WireGuard device refused" refused
engine peer hwg0 "$foreign_pub" 192.0.2.9:51820 10.81.0.9/32
check "PEER_SET on a foreign WireGuard device refused" refused
engine stats hwg0
check "STATS of a foreign WireGuard device refused" refused
check "its key is unchanged" test \
    "$(on h wg show hwg0 public-key)" = "$foreign_pub"

# Peers of our own network: inside it, host addresses, unicast.
PK=$(wg genkey | wg pubkey)
engine peer inwg0 "$PK" 192.0.2.9:51820 0.0.0.0/0
check "PEER_SET with allowed-IP 0.0.0.0/0 refused" refused
engine peer inwg0 "$PK" 192.0.2.9:51820 10.99.0.5/32
check "PEER_SET with an allowed-IP outside the network refused" refused
engine peer inwg0 "$PK" 192.0.2.9:51820 10.77.0.0/24
check "PEER_SET with a whole prefix refused" refused
for ep in 127.0.0.1:51820 224.0.0.1:51820 255.255.255.255:51820 \
    0.0.0.0:51820 192.0.2.9:0 '[::1]:51820' '[ff02::1]:51820'; do
	engine peer inwg0 "$PK" "$ep" 10.77.0.5/32
	check "PEER_SET with endpoint $ep refused" refused
done
check "no peer reached the device" test -z "$(on h wg show inwg0 peers)"
engine peer inwg0 "$PK" 192.0.2.9:51820 10.77.0.5/32
check "a peer inside the network is set" answered ok
check "and is on the device" sh -c "nsenter -t $(cat "$T/h/anchor.pid") \
    -m -n wg show inwg0 allowed-ips | grep -q '10.77.0.5/32'"

# The hosts file is the parent's: it asks wgd for the root CIDR of the
# network's link, and holds every line to it (the lines themselves are
# refused in regress/unit/test_hosts.c, on the parent's hosts path).
# wgd names only links it made.
engine link inwg0
check "PARENT_LINK names the network wgd recorded" \
    answered "link 10.77.0.0/24"
engine link hbr0
check "PARENT_LINK for a link innernet did not make refused" refused
engine link hwg0
check "PARENT_LINK for someone else's WireGuard device refused" refused
engine link lo
check "PARENT_LINK for lo refused" refused

# Streams: bounded by the network, one at a time.
engine flood inwg0 200000 10.77.0.0/24
check "a SYNC longer than the network refused" refused
rss=$(awk '/^rss-growth/ { print $2 }' "$T/out")
# AddressSanitizer keeps freed memory in its quarantine: growth is
# judged on the plain build only.
if grep -q __asan_init "$BIN/innernet-wgd" 2>/dev/null; then
	echo "# wgd grew ${rss:-?} KB, not judged: AddressSanitizer build"
else
	check "wgd's memory stayed bounded (grew ${rss:-?} KB)" \
	    test "${rss:-999999}" -lt 16384
fi
engine flood hwg0 20000 10.81.0.0/24
check "a SYNC for a foreign device refused" refused
engine twosync inwg0
check "two SYNC streams for one network at once: wgd leaves" \
    answered exit

snapshot > "$T/after"
check "nothing else on the host changed" cmp "$T/before" "$T/after"
diff "$T/before" "$T/after" | sed 's/^/#   /' | head -20

# Across a restart the record holds: our link goes down, and a link
# that took a recorded name is someone else's.
engine down inwg0
check "IF_DOWN of our own link, made by an earlier wgd" answered ok
check "the link is gone" sh -c "! nsenter -t $(cat "$T/h/anchor.pid") \
    -n ip link show inwg0"
check "and its record" test ! -e "$S/keys/inwg0.link"
check "its userspace WireGuard went with it" \
    wait_until 5 on h test ! -e /var/run/wireguard/inwg0.sock
engine up inwg0 10.77.0.1/24 10.77.0.0/24
check "brought up again" answered ok
on h ip link del inwg0
on h ip link add inwg0 type bridge
engine down inwg0
check "IF_DOWN of a link that took a recorded name refused" refused
check "that link still exists" has_link inwg0
on h ip link del inwg0

# An interface an older wgd made (its key in our key directory, no
# record) is taken over once; without the key it is not.
check "an older wgd's interface" on h "$HOSTILE" wggo old0
# (innernetd hands the keys in keys/ to wgd's user when it starts)
(umask 077; wg genkey > "$S/keys/old0.key")
chown _innernetwg:_innernetwg "$S/keys/old0.key"
on h wg set old0 private-key "$S/keys/old0.key"
engine up old0 10.82.0.1/24 10.82.0.0/24
check "it is adopted" answered ok
check "and recorded" test -s "$S/keys/old0.link"
engine down old0
check "and goes down" answered ok

# The engine checks allowed-ranges before it makes anything: new and
# install outside them fail with a message naming the key.
host_add d 192.0.2.2
check "a daemon set starts" daemon_start d
ctl d new --network-name far --network-cidr 198.51.100.0/24 \
    --external-endpoint 192.0.2.2:51820 --listen-port 51820 > "$T/out" 2>&1
check "new outside allowed-ranges fails" test $? -ne 0
check "naming the key" grep -q allowed-ranges "$T/out"
check "and makes no interface" sh -c "! nsenter -t \
    $(cat "$T/d/anchor.pid") -n ip link show far"
cat > "$T/far.toml" <<TOML
[interface]
network-name = "far"
address = "198.51.100.5/24"
private-key = "$(wg genkey)"

[server]
public-key = "$(wg genkey | wg pubkey)"
external-endpoint = "192.0.2.9:51820"
internal-endpoint = "198.51.100.1:51820"
TOML
chmod 0600 "$T/far.toml"
ctl d install "$T/far.toml" --default-name > "$T/out" 2>&1
check "install outside allowed-ranges fails" test $? -ne 0
check "naming the key" grep -q allowed-ranges "$T/out"
check "and leaves no key or interface" sh -c "[ -z \"\$(ls $T/d/state/keys \
    2>/dev/null)\" ] && ! nsenter -t $(cat "$T/d/anchor.pid") -n \
    ip link show far"
check "a network inside them still comes up" ctl d new --network-name near \
    --network-cidr 10.83.0.0/16 --external-endpoint 192.0.2.2:51820 \
    --listen-port 51820
check "with its interface" wait_until 10 on d ip link show near
[ $FAILED = 0 ] || daemon_log d
exit $FAILED
