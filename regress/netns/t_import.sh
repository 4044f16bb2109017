#!/bin/sh
# innernetctl import: an upstream innernet-server (its TOML configuration
# and SQLite database, made here with upstream's schema) and an upstream
# client configuration move under innernetd; nobody is invited again and
# every key stays what it was.
. "$(dirname "$0")/lib.sh"

net_init
host_add server 192.0.2.1
host_add laptop 192.0.2.2

U="$T/upstream"
mkdir -p "$U/laptop"
umask 077
wg genkey > "$U/server.key"
wg genkey > "$U/laptop.key"
spub=$(wg pubkey < "$U/server.key")
lpub=$(wg pubkey < "$U/laptop.key")

sqlite3 "$U/evilcorp.db" <<SQL
CREATE TABLE cidrs (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    ip TEXT NOT NULL, prefix INTEGER NOT NULL,
    parent INTEGER REFERENCES cidrs, UNIQUE(ip, prefix));
CREATE TABLE peers (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
    ip TEXT NOT NULL UNIQUE, cidr_id INTEGER NOT NULL,
    public_key TEXT NOT NULL UNIQUE, endpoint TEXT,
    is_admin INTEGER DEFAULT 0 NOT NULL,
    is_disabled INTEGER DEFAULT 0 NOT NULL,
    is_redeemed INTEGER DEFAULT 0 NOT NULL, invite_expires INTEGER,
    candidates TEXT, FOREIGN KEY (cidr_id) REFERENCES cidrs (id)
    ON UPDATE RESTRICT ON DELETE RESTRICT);
CREATE TABLE associations (id INTEGER PRIMARY KEY,
    cidr_id_1 INTEGER NOT NULL, cidr_id_2 INTEGER NOT NULL,
    UNIQUE(cidr_id_1, cidr_id_2),
    FOREIGN KEY (cidr_id_1) REFERENCES cidrs (id) ON DELETE CASCADE,
    FOREIGN KEY (cidr_id_2) REFERENCES cidrs (id) ON DELETE CASCADE);
INSERT INTO cidrs VALUES (1, 'evilcorp', '10.66.0.0', 16, NULL);
INSERT INTO cidrs VALUES (2, 'innernet-server', '10.66.0.1', 32, 1);
INSERT INTO cidrs VALUES (3, 'humans', '10.66.1.0', 24, 1);
INSERT INTO peers VALUES (1, 'innernet-server', '10.66.0.1', 2, '$spub',
    '192.0.2.1:51820', 0, 0, 1, NULL, NULL);
INSERT INTO peers VALUES (2, 'laptop', '10.66.1.1', 3, '$lpub', NULL, 1, 0,
    1, NULL, NULL);
PRAGMA user_version = 2;
SQL
cat > "$U/evilcorp.conf" <<CONF
private-key = "$(cat "$U/server.key")"
listen-port = 51820
address = "10.66.0.1"
network-cidr-prefix = 16
CONF
cat > "$U/laptop/evilcorp.conf" <<CONF
[interface]
network-name = "evilcorp"
address = "10.66.1.1/16"
private-key = "$(cat "$U/laptop.key")"
listen-port = 51820

[server]
public-key = "$spub"
external-endpoint = "192.0.2.1:51820"
internal-endpoint = "10.66.0.1:51820"
CONF
# The same server, with a private key that is not the server peer's.
wg genkey > "$U/other.key"
sed "s|^private-key = .*|private-key = \"$(cat "$U/other.key")\"|" \
    "$U/evilcorp.conf" > "$U/wrongkey.conf"
printf 'private-key = "x"\nlisten-port = 1\n' > "$U/garbage.conf"

no_leftover() {
	[ -z "$(ls -A "$T/server/state/server")" ] &&
	    [ -z "$(ls -A "$T/server/state/keys")" ] &&
	    [ "$(ctl server -j status | jq '.networks | length')" = 0 ]
}

check "server starts" daemon_start server
check_fails "a configuration that is not upstream's is refused" \
    ctl server import --state-dir "$T/server/state" \
    --server-config "$U/garbage.conf" --database "$U/evilcorp.db"
check_fails "a key that is not the server peer's is refused" \
    ctl server import --state-dir "$T/server/state" \
    --server-config "$U/wrongkey.conf" --database "$U/evilcorp.db" \
    --name evilcorp
check "and leaves nothing behind" no_leftover
check "the server imports" ctl server import --state-dir "$T/server/state" \
    --server-config "$U/evilcorp.conf" --database "$U/evilcorp.db"
check "the upstream peers are there" test "$(ctl server -j list-peers \
    evilcorp | jq -r '[.[].name] | sort | join(",")')" = \
    "innernet-server,laptop"
check "the key went into wgd's store, 0600" \
    test "$(stat -c %a "$T/server/state/keys/evilcorp.key")" = 600
# The import's answer comes once the network is recorded; its interface
# comes up just after.
wg_is() { test "$(on server wg show evilcorp "$1" 2>/dev/null)" = "$2"; }
check "WireGuard has the server's key" wait_until 10 wg_is public-key "$spub"
check "and upstream's listen port" wait_until 10 wg_is listen-port 51820
check_fails "importing it twice is refused" ctl server import \
    --state-dir "$T/server/state" --server-config "$U/evilcorp.conf" --database "$U/evilcorp.db"

check "laptop starts" daemon_start laptop
check "the laptop imports its client configuration" \
    ctl laptop import --client-config "$U/laptop/evilcorp.conf"
check "the laptop keeps its key (no new invitation)" \
    test "$(on laptop wg show evilcorp public-key)" = "$lpub"
check "the laptop fetches" wait_until 20 ctl laptop fetch evilcorp
check "the laptop reaches the server" \
    wait_until 20 on laptop ping -c1 -W1 10.66.0.1
check "the laptop is still an admin" ctl laptop add-cidr evilcorp \
    --name servers --cidr 10.66.2.0/24 --parent evilcorp --yes
check "the server stops" daemon_stop server
check "server starts again" daemon_start server
check "the imported network is still served" \
    wait_until 20 ctl laptop fetch evilcorp
exit $FAILED
