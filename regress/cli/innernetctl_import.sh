#!/bin/sh
# innernetctl import of a server, against a control socket that answers
# as a taken engine would: whatever it asks for, the server's private
# key never reaches the socket (it goes into wgd's key store), and no
# path or owner in its answers directs where root writes.
B=${B:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d)
nc_pid=
cleanup() {
	[ -n "$nc_pid" ] && kill "$nc_pid" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
rc=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; rc=1; }
check() {
	_d=$1; shift
	if "$@" >"$t/out" 2>&1; then ok "$_d"; else notok "$_d: $(head -3 "$t/out")"; fi
}

if ! command -v nc >/dev/null 2>&1 || ! command -v wg >/dev/null 2>&1; then
	echo "ok - import against a hostile engine # skip nc or wg missing"
	exit 0
fi
# The message types of the control protocol, from the header.
cat > "$t/types.c" <<'C'
#include <stdio.h>
#include "innernet.h"
int main(void) { printf("%d %d\n", IMSG_CTL_DATA, IMSG_CTL_END); return 0; }
C
${CC:-cc} -I"$TOP/innernetd" -I"$TOP/imsg" -I"$TOP/compat" \
    -o "$t/types" "$t/types.c" ||
    { notok "the control message types"; exit 1; }
set -- $("$t/types")
data=$1 end=$2

# le32/le16 as octal escapes for printf
le32() { printf '\\%03o\\%03o\\%03o\\%03o' $(($1 & 255)) \
    $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
le16() { printf '\\%03o\\%03o' $(($1 & 255)) $((($1 >> 8) & 255)); }
# One imsg: type, length, flags, peerid, pid, then the payload.
imsg() {
	_len=$((16 + ${#2}))
	printf "$(le32 "$1")$(le16 "$_len")$(le16 0)$(le32 0)$(le32 0)"
	printf '%s' "$2"
}

# What a taken engine answers: "your state is here, write it as nobody".
evil=$t/evil
mkdir -p "$evil/server" "$evil/keys"
answer="{\"ok\":true,\"result\":{\"state_dir\":\"$evil\",\"user\":\"nobody\",\"network\":\"corp\",\"networks\":[]}}"
{ imsg "$data" "$answer"; imsg "$end" ""; } > "$t/answer"

serve() {
	rm -f "$t/ctl.sock"
	(exec nc -lU "$t/ctl.sock" < "$t/answer" >> "$t/seen") &
	nc_pid=$!
	_n=0
	while [ ! -S "$t/ctl.sock" ] && [ $_n -lt 50 ]; do
		sleep 0.1; _n=$((_n + 1))
	done
}

# The upstream server: its configuration and an empty database.
umask 077
wg genkey > "$t/server.key"
priv=$(cat "$t/server.key")
cat > "$t/corp.conf" <<CONF
private-key = "$priv"
listen-port = 51820
address = "10.66.0.1"
network-cidr-prefix = 16
CONF
printf 'SQLite format 3\0' > "$t/corp.db"
state=$t/state
mkdir -p "$state/server" "$state/keys"
chown nobody "$state/server"

: > "$t/seen"
serve
# The state directory from the environment: the same command line as
# before --state-dir existed.
INNERNET_STATEDIR=$state timeout 10 "$B/innernetctl" -s "$t/ctl.sock" \
    import --server-config "$t/corp.conf" --database "$t/corp.db" \
    >"$t/ctl.out" 2>&1
kill "$nc_pid" 2>/dev/null
serve	# a second request, if innernetctl makes one
sleep 1
kill "$nc_pid" 2>/dev/null
nc_pid=

check "the private key never reached the control socket" \
    sh -c "! grep -qF '$priv' '$t/seen'"
check "the public key did" grep -qF "$(wg pubkey < "$t/server.key")" \
    "$t/seen"
check "nothing was written where the answer pointed" \
    sh -c "test -z \"\$(find '$evil' -type f)\""
check "the database went into the state directory given" \
    test -f "$state/server/.import-corp.db"
check "owned by the owner of that directory, not by the answer's user" \
    test "$(stat -c %U "$state/server/.import-corp.db")" = nobody
check "the key went into wgd's key store, 0600, root's like the store" \
    test "$(stat -c '%a %U' "$state/keys/corp.key")" = "600 root"
check "holding the key" grep -qxF "$priv" "$state/keys/corp.key"

# A key store entry of that name already there is never replaced.
rm -f "$state/server/.import-corp.db"
echo other > "$state/keys/corp.key"
serve
timeout 10 "$B/innernetctl" -s "$t/ctl.sock" import --state-dir "$state" \
    --server-config "$t/corp.conf" --database "$t/corp.db" \
    >"$t/ctl.out" 2>&1 && notok "a second import of corp is refused" ||
    ok "a second import of corp is refused"
kill "$nc_pid" 2>/dev/null
nc_pid=
check "the key there is left as it was" grep -qx other "$state/keys/corp.key"
check "and the copied database is taken away again" \
    test ! -e "$state/server/.import-corp.db"
exit $rc
