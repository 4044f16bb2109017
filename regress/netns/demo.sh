#!/bin/sh
# make demo: a server and two peers, each a network namespace running the
# real daemon set over userspace WireGuard.  Shows the network from a
# peer's side and pings across the overlay, then tears everything down.
. "$(dirname "$0")/lib.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "\$ $*" | sed "s|$BIN/||; s|-s $T/[a-z]*/innernetd.sock ||"; "$@"; }
die() { echo "demo failed: $*" >&2; FAILED=1; exit 1; }

net_init
host_add server 192.0.2.1
host_add laptop 192.0.2.2
host_add phone 192.0.2.3

say "server: start innernetd and create the network"
daemon_start server || die "innernetd did not start on the server"
run ctl server new --network-name demo --network-cidr 10.42.0.0/16 \
    --external-endpoint 192.0.2.1:51820 --listen-port 51820 ||
    die "new"
run ctl server add-cidr demo --name devices --cidr 10.42.1.0/24 \
    --parent demo --yes || die "add-cidr"
run ctl server add-peer demo --name laptop --cidr devices --admin true \
    --auto-ip --save-config "$T/laptop.toml" --invite-expires 1h --yes ||
    die "add-peer laptop"

say "laptop: install the invitation, then invite the phone"
daemon_start laptop || die "innernetd did not start on the laptop"
run ctl laptop install "$T/laptop.toml" --default-name || die "install"
run ctl laptop add-peer demo --name phone --cidr devices --admin false \
    --auto-ip --save-config "$T/phone.toml" --invite-expires 1h --yes ||
    die "add-peer phone"

say "phone: install its invitation"
daemon_start phone || die "innernetd did not start on the phone"
run ctl phone install "$T/phone.toml" --default-name || die "install"
ctl laptop fetch demo >/dev/null

say "the network as the laptop sees it"
run ctl laptop list --tree demo

phone_ip=$(ctl server -j list-peers demo |
    jq -r '.[] | select(.name == "phone") | .ip')
say "laptop pings the phone ($phone_ip) over WireGuard"
wait_until 20 on laptop ping -c1 -W1 "$phone_ip" || die "no answer"
on laptop ping -c3 -i0.3 "$phone_ip"

say "done; tearing down"
exit 0
