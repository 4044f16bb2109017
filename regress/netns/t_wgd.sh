#!/bin/sh
# wgd's UAPI code against real userspace WireGuard: set and get, diff
# syncs of 1,000 peers counted in peer operations, and a peer's endpoint
# and handshake read back after a real handshake across a link.
. "$(dirname "$0")/lib.sh"

PROBE=$BIN/regress/uapi_probe
[ -x "$PROBE" ] || { echo "not ok - $PROBE is not built"; exit 1; }
net_init
host_add a 192.0.2.1
host_add b 192.0.2.2

check "wireguard-go on a" on a wireguard-go wgp0
on a "$PROBE" sync wgp0 > "$T/sync.out" 2>&1
cat "$T/sync.out"
grep -q "^not ok" "$T/sync.out" && FAILED=1
check "the probe reported every step" test "$(grep -c "^ok" "$T/sync.out")" = 12

# A real handshake: b knows a's key but not where a is.
check "wireguard-go on b" on b wireguard-go wgp0
(umask 077; wg genkey > "$T/b.key")
apub=$(on a wg show wgp0 public-key)
bpub=$(wg pubkey < "$T/b.key")
check "b: key, port, a as a peer without endpoint" on b wg set wgp0 \
    private-key "$T/b.key" listen-port 51900 peer "$apub" \
    allowed-ips 10.250.0.1/32
check "b: address" on b ip addr add 10.250.0.2/24 dev wgp0
check "b: up" on b ip link set wgp0 up
check "a: address" on a ip addr add 10.250.0.1/24 dev wgp0
check "a: up" on a ip link set wgp0 up
check "a: b as wgd sets a peer" on a "$PROBE" peer wgp0 "$bpub" \
    192.0.2.2:51900 10.250.0.2/32
check "a pings b through the tunnel" wait_until 10 \
    on a ping -c1 -W1 10.250.0.2
aport=$(on a wg show wgp0 listen-port)
on b "$PROBE" stats wgp0 "$apub" > "$T/stats" 2>&1
check "b reads a's endpoint back from the handshake" \
    grep -q "^192.0.2.1:$aport " "$T/stats"
check "and a handshake time" awk '{ exit !($2 > 1700000000) }' "$T/stats"
exit $FAILED
