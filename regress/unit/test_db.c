/*
 * Copyright (c) 2026 The innernet-in-C authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * innernet-dbd's database layer on a scratch state directory: the network
 * upstream's server tests build, then each case of upstream's server,
 * database and API tests that concerns the database, the migration of an
 * original (version 0) upstream database, and the client cache.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "dbd.h"

static int	failures;
static char	tmpdir[IN_PATHSZ];

static void
check(int ok, const char *fmt, ...)
{
	va_list	ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		failures++;
}

/* rc and err as a function left them: success, or the given status. */
static void
expect(int rc, const struct in_error *err, int status, const char *what)
{
	if (status == 0)
		check(rc == 0, "%s%s%s", what, rc == 0 ? "" : ": ",
		    rc == 0 ? "" : err->msg);
	else
		check(rc == -1 && err->status == status, "%s -> %d (%d %s)",
		    what, status, rc == -1 ? err->status : 0,
		    rc == -1 ? err->msg : "succeeded");
}

static void
newkey(char *buf)
{
	unsigned char	bin[32];

	randombytes_buf(bin, sizeof(bin));
	sodium_bin2base64(buf, IN_KEYSZ, bin, sizeof(bin),
	    sodium_base64_VARIANT_ORIGINAL);
}

static struct in_ip
ip(const char *s)
{
	struct in_ip	a;

	if (in_ip_parse(s, &a) == -1)
		errx(1, "bad address %s", s);
	return (a);
}

static struct in_prefix
prefix(const char *s)
{
	struct in_prefix	p;

	if (in_prefix_parse(s, &p) == -1)
		errx(1, "bad prefix %s", s);
	return (p);
}

static struct in_peer
mkpeer(const char *name, const char *addr, int64_t cidr_id, int admin)
{
	struct in_peer	p;

	memset(&p, 0, sizeof(p));
	strlcpy(p.name, name, sizeof(p.name));
	p.ip = ip(addr);
	p.cidr_id = cidr_id;
	newkey(p.public_key);
	p.keepalive = -1;
	p.is_admin = admin;
	p.is_redeemed = 1;
	return (p);
}

static struct in_cidr
mkcidr(const char *name, const char *cidr, int64_t parent)
{
	struct in_cidr	c;

	memset(&c, 0, sizeof(c));
	strlcpy(c.name, name, sizeof(c.name));
	c.cidr = prefix(cidr);
	c.parent = parent;
	return (c);
}

/* Pack endpoints as they follow a struct in_peer. */
static size_t
mkcands(struct in_peer *p, char *buf, size_t sz, const char **list, int n)
{
	size_t	off = 0, l;
	int	i;

	for (i = 0; i < n; i++) {
		l = strlen(list[i]) + 1;
		if (off + l > sz)
			errx(1, "candidates too long");
		memcpy(buf + off, list[i], l);
		off += l;
	}
	p->ncandidates = n;
	p->candidates_len = off;
	return (off);
}

static int64_t
sql_int(struct db *db, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
		errx(1, "%s: %s", sql, sqlite3_errmsg(db->conn));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return (v);
}

static void
sql_text(struct db *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt	*st;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db->conn, sql, -1, &st, NULL) != SQLITE_OK)
		errx(1, "%s: %s", sql, sqlite3_errmsg(db->conn));
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL)
		strlcpy(buf, (const char *)sqlite3_column_text(st, 0), len);
	sqlite3_finalize(st);
}

static int64_t
npeers(struct db *db)
{
	return (sql_int(db, "SELECT COUNT(*) FROM peers"));
}

static int64_t
ncidrs(struct db *db)
{
	return (sql_int(db, "SELECT COUNT(*) FROM cidrs"));
}

static void
rm_rf(const char *path)
{
	char		 sub[IN_PATHSZ * 2];
	struct dirent	*de;
	DIR		*d;

	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

static int
file_exists(const char *fmt, ...)
{
	char	path[IN_PATHSZ * 2];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return (access(path, F_OK) == 0);
}

static int
leftovers(const char *sub)
{
	char		 path[IN_PATHSZ * 2];
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, sub);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, DBD_TMPPREFIX,
		    strlen(DBD_TMPPREFIX)) == 0)
			n++;
	closedir(d);
	return (n);
}

/* upstream's test network (server/src/test.rs), IPv4 flavour */
#define ROOT_CIDR_ID		1
#define INFRA_CIDR_ID		2
#define ADMIN_CIDR_ID		3
#define DEVELOPER_CIDR_ID	4
#define USER_CIDR_ID		5
#define ADMIN_PEER_ID		2
#define DEVELOPER1_PEER_ID	3
#define USER1_PEER_ID		5

static struct db *
make_server(struct dbenv *env, const char *name)
{
	struct in_netcreate	 nc;
	struct in_network	 out;
	struct in_error		 err;
	struct in_cidr		 c, cout;
	struct in_peer		 p;
	struct db_peer		 dp;
	struct db		*db;
	struct {
		const char	*name, *cidr;
		int64_t		 id;
	} cidrs[] = {
		{ "admin", "10.80.1.0/24", ADMIN_CIDR_ID },
		{ "developer", "10.80.64.0/24", DEVELOPER_CIDR_ID },
		{ "user", "10.80.128.0/17", USER_CIDR_ID },
	};
	struct {
		const char	*name, *ip;
		int64_t		 cidr, id;
		int		 admin;
	} peers[] = {
		{ "admin", "10.80.1.1", ADMIN_CIDR_ID, 2, 1 },
		{ "developer1", "10.80.64.2", DEVELOPER_CIDR_ID, 3, 0 },
		{ "developer2", "10.80.64.3", DEVELOPER_CIDR_ID, 4, 0 },
		{ "user1", "10.80.128.2", USER_CIDR_ID, 5, 0 },
		{ "user2", "10.80.129.2", USER_CIDR_ID, 6, 0 },
	};
	/* negative: CIDR -n, else peer n */
	const int		 order[] = { -1, 0, -2, 1, 2, -3, 3, 4 };
	size_t			 i;
	int			 ok = 1;

	memset(&nc, 0, sizeof(nc));
	strlcpy(nc.net.name, name, sizeof(nc.net.name));
	nc.net.role = IN_ROLE_SERVER;
	nc.net.net = prefix("10.80.0.0/15");
	nc.net.listen_port = 54321;
	newkey(nc.net.public_key);
	strlcpy(nc.net.external_endpoint, "155.155.155.155:54321",
	    sizeof(nc.net.external_endpoint));
	expect(db_network_create(env, &nc, &out, &err), &err, 0,
	    "create server network");
	if ((db = db_find(env, name)) == NULL)
		errx(1, "network %s missing after create", name);

	/* in upstream's order, so the ids are upstream's */
	for (i = 0; i < 8; i++) {
		if (order[i] < 0) {
			c = mkcidr(cidrs[-order[i] - 1].name,
			    cidrs[-order[i] - 1].cidr, ROOT_CIDR_ID);
			if (db_cidr_add(db, &c, &cout, &err) == -1 ||
			    cout.id != cidrs[-order[i] - 1].id) {
				warnx("cidr %s: %s", c.name, err.msg);
				ok = 0;
			}
			continue;
		}
		p = mkpeer(peers[order[i]].name, peers[order[i]].ip,
		    peers[order[i]].cidr, peers[order[i]].admin);
		if (db_peer_add(db, &p, NULL, 0, &dp, &err) == -1 ||
		    dp.p.id != peers[order[i]].id) {
			warnx("peer %s: %s", p.name, err.msg);
			ok = 0;
		}
	}
	check(ok, "upstream's test network with upstream's ids");
	return (db);
}

static void
test_create(struct dbenv *env, struct db *db)
{
	struct in_cidr	c;
	struct db_peer	dp;
	struct in_error	err;
	char		buf[256];

	check(sql_int(db, "PRAGMA user_version") == 2, "user_version 2");
	check(sql_int(db, "PRAGMA foreign_keys") == 1, "foreign keys on");
	check(sql_int(db, "PRAGMA synchronous") == 2, "synchronous FULL");
	sql_text(db, "PRAGMA journal_mode", buf, sizeof(buf));
	check(strcmp(buf, "wal") == 0, "journal mode WAL (%s)", buf);
	check(leftovers(DBD_SERVERDIR) == 0, "no temporary file left");

	expect(db_cidr_get(db, ROOT_CIDR_ID, &c, &err), &err, 0, "root CIDR");
	in_prefix_str(&c.cidr, buf, sizeof(buf));
	check(strcmp(c.name, "test") == 0 && strcmp(buf, "10.80.0.0/15") ==
	    0 && c.parent == 0, "root CIDR named after the network: %s %s",
	    c.name, buf);
	expect(db_cidr_get(db, INFRA_CIDR_ID, &c, &err), &err, 0,
	    "infra CIDR");
	in_prefix_str(&c.cidr, buf, sizeof(buf));
	check(strcmp(c.name, "innernet-server") == 0 &&
	    strcmp(buf, "10.80.0.1/32") == 0 && c.parent == ROOT_CIDR_ID,
	    "infra CIDR is the server's /32 below the root: %s %s", c.name,
	    buf);
	expect(db_peer_get(db, IN_SERVER_PEER_ID, &dp, &err), &err, 0,
	    "server peer");
	in_ip_str(&dp.p.ip, buf, sizeof(buf));
	check(strcmp(dp.p.name, "innernet-server") == 0 &&
	    strcmp(buf, "10.80.0.1") == 0 && dp.p.cidr_id == INFRA_CIDR_ID &&
	    dp.p.is_admin && dp.p.is_redeemed && !dp.p.is_disabled &&
	    strcmp(dp.p.endpoint, "155.155.155.155:54321") == 0 &&
	    strcmp(dp.p.public_key, db->net.public_key) == 0 &&
	    dp.p.invite_expires == 0,
	    "server peer as upstream's `new` makes it");
	sql_text(db, "SELECT candidates FROM peers WHERE id = 1", buf,
	    sizeof(buf));
	check(strcmp(buf, "[]") == 0, "server peer candidates stored as []");
	in_ip_str(&db->net.address, buf, sizeof(buf));
	check(db->net.role == IN_ROLE_SERVER && db->net.listen_port ==
	    54321 && strcmp(buf, "10.80.0.1") == 0 && db->net.created > 0,
	    "network row: role, port, address");
	sql_text(db, "SELECT group_concat(name, ',') FROM "
	    "pragma_table_info('peers')", buf, sizeof(buf));
	check(strcmp(buf, "id,name,ip,public_key,endpoint,cidr_id,is_admin,"
	    "is_disabled,is_redeemed,invite_expires,candidates") == 0,
	    "peers columns as upstream: %s", buf);
	sql_text(db, "SELECT group_concat(name, ',') FROM "
	    "pragma_table_info('cidrs')", buf, sizeof(buf));
	check(strcmp(buf, "id,name,ip,prefix,parent") == 0,
	    "cidrs columns as upstream");
	(void)env;
}

static void
test_network_create_errors(struct dbenv *env, struct db *db)
{
	struct in_netcreate	nc;
	struct in_network	out;
	struct in_error		err;

	memset(&nc, 0, sizeof(nc));
	nc.net = db->net;
	expect(db_network_create(env, &nc, &out, &err), &err, 400,
	    "create an existing network");
	nc.net.role = IN_ROLE_CLIENT;
	expect(db_network_create(env, &nc, &out, &err), &err, 400,
	    "create a client network named like a server one");
	nc.net.role = IN_ROLE_SERVER;
	strlcpy(nc.net.name, "Bad_Name", sizeof(nc.net.name));
	expect(db_network_create(env, &nc, &out, &err), &err, 400,
	    "create with an invalid name");
	strlcpy(nc.net.name, "other", sizeof(nc.net.name));
	strlcpy(nc.net.public_key, "not-a-key", sizeof(nc.net.public_key));
	expect(db_network_create(env, &nc, &out, &err), &err, 400,
	    "create with an invalid key");
	newkey(nc.net.public_key);
	nc.net.external_endpoint[0] = '\0';
	expect(db_network_create(env, &nc, &out, &err), &err, 400,
	    "create a server without external endpoint");
	strlcpy(nc.net.external_endpoint, "1.2.3.4:5",
	    sizeof(nc.net.external_endpoint));
	nc.net.net.ip.u.b[3] = 1;	/* host bits */
	expect(db_network_create(env, &nc, &out, &err), &err, 400,
	    "create with host bits in the CIDR");
	check(!file_exists("%s/server/other.db", tmpdir) &&
	    leftovers(DBD_SERVERDIR) == 0, "failed creates leave no file");
}

static void
test_peers(struct db *db)
{
	struct in_peer	 p;
	struct db_peer	 dp, dp2;
	struct in_error	 err;
	int64_t		 before;
	char		 cand[IN_CANDIDATES_MAXLEN], buf[512];
	const char	*cl[] = { "1.2.3.4:51820", "[fd00::1]:5",
	    "host.example.com:7" };
	const char	*eleven[11];
	int		 i;

	/* test_add_peer */
	p = mkpeer("developer3", "10.80.64.4", DEVELOPER_CIDR_ID, 0);
	mkcands(&p, cand, sizeof(cand), cl, 3);
	expect(db_peer_add(db, &p, cand, p.candidates_len, &dp, &err), &err,
	    0, "add peer");
	check(dp.p.id == 7 && strcmp(dp.p.name, "developer3") == 0 &&
	    in_ip_cmp(&dp.p.ip, &p.ip) == 0 &&
	    strcmp(dp.p.public_key, p.public_key) == 0 &&
	    dp.p.ncandidates == 3 && dp.p.candidates_len ==
	    p.candidates_len && memcmp(dp.cand, cand, p.candidates_len) == 0,
	    "the added row comes back whole, id %lld", (long long)dp.p.id);
	sql_text(db, "SELECT candidates FROM peers WHERE id = 7", buf,
	    sizeof(buf));
	check(strcmp(buf, "[\"1.2.3.4:51820\",\"[fd00::1]:5\","
	    "\"host.example.com:7\"]") == 0,
	    "candidates stored as upstream's JSON text: %s", buf);
	sql_text(db, "SELECT ip FROM peers WHERE id = 7", buf, sizeof(buf));
	check(strcmp(buf, "10.80.64.4") == 0, "ip stored as text");

	before = npeers(db);
	/* test_add_peer_with_invalid_name and hostname(7) */
	p = mkpeer("devel oper", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "peer name with a space");
	p = mkpeer("Developer", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "peer name with a capital");
	p = mkpeer("-dev", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "peer name with a leading hyphen");
	p = mkpeer("dev--x", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "peer name with a double hyphen");
	p = mkpeer("", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "empty peer name");
	/* test_add_peer_with_duplicate_name / _ip, and the key */
	p = mkpeer("developer2", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "duplicate peer name");
	p = mkpeer("developer4", "10.80.64.3", DEVELOPER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "duplicate peer address");
	p = mkpeer("developer4", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	db_peer_get(db, DEVELOPER1_PEER_ID, &dp2, &err);
	strlcpy(p.public_key, dp2.p.public_key, sizeof(p.public_key));
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "duplicate public key");
	/* test_add_peer_with_outside_cidr_range_ip */
	p = mkpeer("developer4", "10.80.65.4", DEVELOPER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "address outside of the CIDR");
	p = mkpeer("developer4", "10.80.64.0", DEVELOPER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "the CIDR's network address");
	p = mkpeer("developer4", "10.80.64.255", DEVELOPER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "the CIDR's broadcast address");
	p = mkpeer("developer4", "10.80.64.5", 99, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 404,
	    "a CIDR that does not exist");
	p = mkpeer("developer4", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	strlcpy(p.public_key, "AAAA", sizeof(p.public_key));
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "an invalid public key");
	p = mkpeer("developer4", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	strlcpy(p.endpoint, "nope", sizeof(p.endpoint));
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "an invalid endpoint");
	p = mkpeer("developer4", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	for (i = 0; i < 11; i++)
		eleven[i] = "1.1.1.1:1";
	mkcands(&p, cand, sizeof(cand), eleven, 11);
	expect(db_peer_add(db, &p, cand, p.candidates_len, &dp, &err), &err,
	    400, "eleven candidates");
	p = mkpeer("developer4", "10.80.64.5", DEVELOPER_CIDR_ID, 0);
	mkcands(&p, cand, sizeof(cand), cl, 2);
	p.ncandidates = 3;
	expect(db_peer_add(db, &p, cand, p.candidates_len, &dp, &err), &err,
	    400, "candidates not matching their count");
	check(npeers(db) == before, "no failed add left a row");

	/* test_update_peer_from_admin */
	db_peer_get(db, DEVELOPER1_PEER_ID, &dp2, &err);
	p = dp2.p;
	strlcpy(p.name, "new-peer-name", sizeof(p.name));
	p.ip = ip("10.80.64.99");		/* ignored, as upstream */
	newkey(p.public_key);			/* ignored */
	p.cidr_id = USER_CIDR_ID;		/* ignored */
	p.is_admin = 1;
	strlcpy(p.endpoint, "169.10.26.8:14720", sizeof(p.endpoint));
	mkcands(&p, cand, sizeof(cand), cl, 1);
	expect(db_peer_update(db, &p, cand, p.candidates_len, &dp, &err),
	    &err, 0, "update peer");
	check(strcmp(dp.p.name, "new-peer-name") == 0 && dp.p.is_admin &&
	    strcmp(dp.p.endpoint, "169.10.26.8:14720") == 0 &&
	    dp.p.ncandidates == 1 && in_ip_cmp(&dp.p.ip, &dp2.p.ip) == 0 &&
	    strcmp(dp.p.public_key, dp2.p.public_key) == 0 &&
	    dp.p.cidr_id == DEVELOPER_CIDR_ID,
	    "update changes name, admin, endpoint, candidates only");
	p = dp.p;
	p.ncandidates = 0;
	p.candidates_len = 0;
	strlcpy(p.name, "user1", sizeof(p.name));
	expect(db_peer_update(db, &p, NULL, 0, &dp2, &err), &err, 400,
	    "rename to a taken name");
	strlcpy(p.name, "Bad", sizeof(p.name));
	expect(db_peer_update(db, &p, NULL, 0, &dp2, &err), &err, 400,
	    "rename to an invalid name");
	p.endpoint[0] = '\0';
	strlcpy(p.name, "ghost", sizeof(p.name));
	p.id = 999;
	expect(db_peer_update(db, &p, NULL, 0, &dp2, &err), &err, 404,
	    "update an unknown peer");
	/* test_delete: peers are disabled, never deleted */
	db_peer_get(db, USER1_PEER_ID, &dp2, &err);
	p = dp2.p;
	p.is_disabled = 1;
	expect(db_peer_update(db, &p, NULL, 0, &dp, &err), &err, 0,
	    "disable a peer");
	check(dp.p.is_disabled && npeers(db) == before,
	    "a disabled peer stays in the table");
	p = dp.p;
	p.endpoint[0] = '\0';
	expect(db_peer_update(db, &p, NULL, 0, &dp, &err), &err, 0,
	    "unset an endpoint");
	sql_text(db, "SELECT quote(endpoint) FROM peers WHERE id = 5", buf,
	    sizeof(buf));
	check(strcmp(buf, "NULL") == 0, "an unset endpoint is NULL");
}

static void
test_cidrs(struct db *db)
{
	struct in_cidr	 c, out, exp, sub;
	struct in_peer	 p;
	struct in_assoc	 a, aout;
	struct db_peer	 dp;
	struct in_error	 err;
	int64_t		 before;
	char		 buf[64];

	/* test_cidr_add */
	before = ncidrs(db);
	c = mkcidr("experimental", "10.81.0.0/16", ROOT_CIDR_ID);
	expect(db_cidr_add(db, &c, &exp, &err), &err, 0, "add CIDR");
	in_prefix_str(&exp.cidr, buf, sizeof(buf));
	check(exp.id == 6 && strcmp(exp.name, "experimental") == 0 &&
	    strcmp(buf, "10.81.0.0/16") == 0 && exp.parent == ROOT_CIDR_ID &&
	    ncidrs(db) == before + 1, "the added CIDR comes back whole");
	/* test_cidr_name_uniqueness */
	c = mkcidr("experimental", "10.81.0.0/17", exp.id);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "CIDR name taken");
	/* test_cidr_bad_parent */
	c = mkcidr("experimental-sub", "10.81.0.0/17", ROOT_CIDR_ID);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "CIDR below the wrong (not closest) parent");
	/* test_cidr_overlap: 10.80.1.0/21 overlaps the admin CIDR */
	c = mkcidr("overlap", "10.80.0.0/21", ROOT_CIDR_ID);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "CIDR overlapping a sibling");
	c = mkcidr("outside", "10.99.0.0/16", ROOT_CIDR_ID);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "CIDR outside of the root");
	c = mkcidr("devsub", "10.80.64.128/25", DEVELOPER_CIDR_ID);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "CIDR below a parent that has peers");
	c = mkcidr("experimental2", "10.81.0.0/16", ROOT_CIDR_ID);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "the same CIDR twice");
	c = mkcidr("nowhere", "10.81.0.0/17", 99);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "a parent that does not exist");
	c = mkcidr("noparent", "10.81.0.0/17", 0);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "a second root");
	c = mkcidr("hostbits", "10.81.0.0/17", exp.id);
	c.cidr.ip.u.b[3] = 7;
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "a prefix with host bits");
	c = mkcidr("", "10.81.0.0/17", exp.id);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400, "empty CIDR name");
	c = mkcidr("bad\nname", "10.81.0.0/17", exp.id);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "control character in a CIDR name");
	check(ncidrs(db) == before + 1, "no failed add left a row");

	/* test_cidr_delete_fail_with_child_cidr */
	c = mkcidr("experimental subcidr", "10.81.0.0/17", exp.id);
	expect(db_cidr_add(db, &c, &sub, &err), &err, 0,
	    "add a child CIDR (names may have spaces)");
	expect(db_cidr_delete(db, exp.id, &err), &err, 400,
	    "delete a CIDR with a child");
	expect(db_cidr_delete(db, sub.id, &err), &err, 0,
	    "delete the leaf child");
	expect(db_cidr_delete(db, exp.id, &err), &err, 0,
	    "delete the now childless parent");
	expect(db_cidr_delete(db, exp.id, &err), &err, 404,
	    "delete it again");

	/* test_cidr_delete_fail_with_peer_inside */
	c = mkcidr("experimental", "10.81.0.0/16", ROOT_CIDR_ID);
	expect(db_cidr_add(db, &c, &exp, &err), &err, 0, "add CIDR again");
	p = mkpeer("experiment-peer", "10.81.0.1", exp.id, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 0,
	    "add a peer to it");
	expect(db_cidr_delete(db, exp.id, &err), &err, 400,
	    "delete a CIDR with a peer");
	expect(db_cidr_delete(db, ROOT_CIDR_ID, &err), &err, 400,
	    "delete the root");

	/* rename only */
	c = exp;
	strlcpy(c.name, "lab", sizeof(c.name));
	c.cidr = prefix("10.82.0.0/16");
	c.parent = ADMIN_CIDR_ID;
	expect(db_cidr_update(db, &c, &out, &err), &err, 0, "rename CIDR");
	check(strcmp(out.name, "lab") == 0 && out.parent == ROOT_CIDR_ID &&
	    in_ip_cmp(&out.cidr.ip, &exp.cidr.ip) == 0 &&
	    out.cidr.len == exp.cidr.len, "a rename changes the name only");
	strlcpy(c.name, "admin", sizeof(c.name));
	expect(db_cidr_update(db, &c, &out, &err), &err, 400,
	    "rename to a taken name");
	c.id = 99;
	strlcpy(c.name, "ghost", sizeof(c.name));
	expect(db_cidr_update(db, &c, &out, &err), &err, 404,
	    "rename an unknown CIDR");

	/* associations: test_double_add, test_nonexistent_cidr_id */
	memset(&a, 0, sizeof(a));
	a.cidr_id_1 = ADMIN_CIDR_ID;
	a.cidr_id_2 = DEVELOPER_CIDR_ID;
	expect(db_assoc_add(db, &a, &aout, &err), &err, 0, "add association");
	check(aout.id == 1 && aout.cidr_id_1 == ADMIN_CIDR_ID &&
	    aout.cidr_id_2 == DEVELOPER_CIDR_ID, "association row");
	expect(db_assoc_add(db, &a, &aout, &err), &err, 400,
	    "the same association twice");
	a.cidr_id_1 = DEVELOPER_CIDR_ID;
	a.cidr_id_2 = ADMIN_CIDR_ID;
	expect(db_assoc_add(db, &a, &aout, &err), &err, 400,
	    "the association reversed");
	a.cidr_id_1 = ROOT_CIDR_ID;
	a.cidr_id_2 = ncidrs(db) + 10;
	expect(db_assoc_add(db, &a, &aout, &err), &err, 400,
	    "an association with an unknown CIDR");
	a.cidr_id_2 = ROOT_CIDR_ID;
	expect(db_assoc_add(db, &a, &aout, &err), &err, 400,
	    "a CIDR associated with itself");
	a.cidr_id_1 = ADMIN_CIDR_ID;
	a.cidr_id_2 = exp.id;
	expect(db_assoc_add(db, &a, &aout, &err), &err, 0,
	    "associate the lab");
	expect(db_peer_get(db, 1, &dp, &err), &err, 0, "still readable");
	/* an association holds its CIDRs, as upstream's foreign keys do */
	db_exec(db->conn, "DELETE FROM peers WHERE name = 'experiment-peer'",
	    &err);
	expect(db_cidr_delete(db, exp.id, &err), &err, 400,
	    "delete a CIDR held by an association");
	expect(db_assoc_delete(db, aout.id, &err), &err, 0,
	    "delete the association");
	expect(db_assoc_delete(db, aout.id, &err), &err, 404,
	    "delete it again");
	expect(db_cidr_delete(db, exp.id, &err), &err, 0,
	    "then the CIDR goes");
}

static void
test_redeem(struct db *db)
{
	struct in_peer	 p;
	struct db_peer	 dp, inv;
	struct in_error	 err;
	char		 key[IN_KEYSZ];
	time_t		 now = time(NULL);

	/* test_redeem */
	p = mkpeer("invited", "10.80.128.10", USER_CIDR_ID, 0);
	p.is_redeemed = 0;
	p.invite_expires = now + 100;
	expect(db_peer_add(db, &p, NULL, 0, &inv, &err), &err, 0,
	    "add an invited peer");
	check(inv.p.invite_expires == now + 100 && !inv.p.is_redeemed,
	    "invitation row");
	newkey(key);
	expect(db_peer_redeem(db, inv.p.id, key, now, &dp, &err), &err, 0,
	    "redeem");
	check(dp.p.is_redeemed && strcmp(dp.p.public_key, key) == 0 &&
	    dp.p.invite_expires == now + 100,
	    "redeemed: new key, expiry kept as upstream");
	newkey(key);
	expect(db_peer_redeem(db, inv.p.id, key, now, &dp, &err), &err, 410,
	    "redeem twice");
	expect(db_peer_redeem(db, 999, key, now, &dp, &err), &err, 404,
	    "redeem an unknown peer");

	/* test_redeem_expired */
	p = mkpeer("late", "10.80.128.11", USER_CIDR_ID, 0);
	p.is_redeemed = 0;
	p.invite_expires = now - 1;
	expect(db_peer_add(db, &p, NULL, 0, &inv, &err), &err, 0,
	    "add an expired invitation");
	expect(db_peer_redeem(db, inv.p.id, key, now, &dp, &err), &err, 401,
	    "redeem an expired invitation");

	p = mkpeer("taken", "10.80.128.12", USER_CIDR_ID, 0);
	p.is_redeemed = 0;
	expect(db_peer_add(db, &p, NULL, 0, &inv, &err), &err, 0,
	    "add an invitation without expiry");
	db_peer_get(db, ADMIN_PEER_ID, &dp, &err);
	expect(db_peer_redeem(db, inv.p.id, dp.p.public_key, now, &dp, &err),
	    &err, 400, "redeem with a key in use");
	expect(db_peer_redeem(db, inv.p.id, "garbage", now, &dp, &err), &err,
	    400, "redeem with an invalid key");
	db_peer_get(db, inv.p.id, &dp, &err);
	check(!dp.p.is_redeemed && strcmp(dp.p.public_key, p.public_key) ==
	    0, "failed redeems change nothing");
}

/* Peers only in leaves; a CIDR with peers takes no children. */
static void
test_tree_rules(struct db *db)
{
	struct in_peer	 p;
	struct in_cidr	 c, out;
	struct db_peer	 dp;
	struct in_error	 err;

	p = mkpeer("rootling", "10.80.200.5", ROOT_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "no peer in the root, which has children");
	check(strstr(err.msg, "child CIDRs") != NULL,
	    "the error says why: %s", err.msg);
	c = mkcidr("team", "10.80.2.0/24", ROOT_CIDR_ID);
	expect(db_cidr_add(db, &c, &out, &err), &err, 0, "add a leaf CIDR");
	c = mkcidr("squad", "10.80.2.0/25", out.id);
	expect(db_cidr_add(db, &c, &out, &err), &err, 0,
	    "a child under an empty CIDR");
	p = mkpeer("teamer", "10.80.2.200", out.parent, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "no peer in a CIDR with a child");
	p = mkpeer("squaddie", "10.80.2.5", out.id, 0);
	p.is_disabled = 1;
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 0,
	    "a (disabled) peer in the leaf");
	c = mkcidr("platoon", "10.80.2.0/26", out.id);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "no CIDR under a CIDR with a disabled peer");
	c = mkcidr("infrakid", "10.80.0.0/31", INFRA_CIDR_ID);
	expect(db_cidr_add(db, &c, &out, &err), &err, 400,
	    "no CIDR under infra, which holds the server");
}

/* delete-peer: withdraw an invitation, retire a redeemed peer. */
static void
test_delete(struct db *db)
{
	struct in_peer	 p, again;
	struct db_peer	 dp, inv, red;
	struct in_error	 err;
	char		 key[IN_KEYSZ];
	time_t		 now = time(NULL);

	p = mkpeer("withdrawn", "10.80.128.40", USER_CIDR_ID, 0);
	p.is_redeemed = 0;
	p.invite_expires = now + 100;
	expect(db_peer_add(db, &p, NULL, 0, &inv, &err), &err, 0,
	    "add an invitation");
	expect(db_peer_delete(db, inv.p.id, now, &dp, &err), &err, 0,
	    "withdraw it");
	check(!dp.p.is_redeemed && strcmp(dp.p.name, "withdrawn") == 0,
	    "the answer is the withdrawn row");
	expect(db_peer_get(db, inv.p.id, &dp, &err), &err, 404,
	    "its row is gone");
	again = mkpeer("withdrawn", "10.80.128.40", USER_CIDR_ID, 0);
	expect(db_peer_add(db, &again, NULL, 0, &dp, &err), &err, 0,
	    "its name and address were never used: free again");

	p = mkpeer("leaver", "10.80.128.41", USER_CIDR_ID, 0);
	expect(db_peer_add(db, &p, NULL, 0, &red, &err), &err, 0,
	    "add a redeemed peer");
	expect(db_peer_delete(db, red.p.id, now, &dp, &err), &err, 0,
	    "delete it");
	check(dp.p.is_redeemed && dp.p.is_disabled && !dp.p.is_admin &&
	    strncmp(dp.p.name, "deleted-", 8) == 0,
	    "its row stays, disabled and renamed (%s)", dp.p.name);
	again = mkpeer("leaver", "10.80.128.42", USER_CIDR_ID, 0);
	expect(db_peer_add(db, &again, NULL, 0, &dp, &err), &err, 0,
	    "its name is free again");
	again = mkpeer("comeback", "10.80.128.41", USER_CIDR_ID, 0);
	expect(db_peer_add(db, &again, NULL, 0, &dp, &err), &err, 400,
	    "its address never comes back");
	again = mkpeer("comeback", "10.80.128.43", USER_CIDR_ID, 0);
	strlcpy(again.public_key, p.public_key, sizeof(again.public_key));
	expect(db_peer_add(db, &again, NULL, 0, &dp, &err), &err, 400,
	    "nor its key");
	p.is_redeemed = 0;
	p.invite_expires = now + 100;
	again = mkpeer("comeback", "10.80.128.44", USER_CIDR_ID, 0);
	again.is_redeemed = 0;
	expect(db_peer_add(db, &again, NULL, 0, &inv, &err), &err, 0,
	    "an invitation");
	expect(db_peer_redeem(db, inv.p.id, p.public_key, now, &dp, &err),
	    &err, 400, "cannot redeem with the deleted peer's key");
	db_peer_get(db, red.p.id, &dp, &err);
	dp.p.is_disabled = 0;
	strlcpy(dp.p.name, "revived", sizeof(dp.p.name));
	expect(db_peer_update(db, &dp.p, NULL, 0, &inv, &err), &err, 410,
	    "a deleted peer cannot be enabled or renamed");
	expect(db_peer_delete(db, red.p.id, now, &dp, &err), &err, 410,
	    "nor deleted twice");
	expect(db_peer_delete(db, IN_SERVER_PEER_ID, now, &dp, &err), &err,
	    400, "the server's own peer cannot be deleted");
	newkey(key);
	expect(db_peer_delete(db, 9999, now, &dp, &err), &err, 404,
	    "an unknown peer");
}

static void
test_sweep(struct db *db)
{
	struct in_peer	 p;
	struct db_peer	 dp, gone, stay, kept;
	struct in_error	 err;
	int64_t		*ids;
	size_t		 n, i;
	time_t		 now = time(NULL);
	int		 found = 0;

	p = mkpeer("expired", "10.80.128.20", USER_CIDR_ID, 0);
	p.is_redeemed = 0;
	p.invite_expires = now - 5;
	expect(db_peer_add(db, &p, NULL, 0, &gone, &err), &err, 0,
	    "add an expired invitation");
	p = mkpeer("pending", "10.80.128.21", USER_CIDR_ID, 0);
	p.is_redeemed = 0;
	p.invite_expires = now + 3600;
	expect(db_peer_add(db, &p, NULL, 0, &stay, &err), &err, 0,
	    "add a pending invitation");
	p = mkpeer("redeemed-old", "10.80.128.22", USER_CIDR_ID, 0);
	p.invite_expires = now - 5;
	expect(db_peer_add(db, &p, NULL, 0, &kept, &err), &err, 0,
	    "add a redeemed peer with a past expiry");

	expect(db_peer_sweep(db, now, &ids, &n, &err), &err, 0, "sweep");
	for (i = 0; i < n; i++) {
		if (ids[i] == gone.p.id)
			found = 1;
		if (ids[i] == stay.p.id || ids[i] == kept.p.id)
			found = -100;
	}
	free(ids);
	/* "late" from the redeem test expired as well */
	check(found == 1 && n == 2, "the sweep removes exactly the expired "
	    "unredeemed invitations (%zu)", n);
	expect(db_peer_get(db, gone.p.id, &dp, &err), &err, 404,
	    "the expired invitation is gone");
	expect(db_peer_get(db, stay.p.id, &dp, &err), &err, 0,
	    "the pending invitation stays");
	expect(db_peer_get(db, kept.p.id, &dp, &err), &err, 0,
	    "the redeemed peer stays");
	expect(db_peer_sweep(db, now, &ids, &n, &err), &err, 0,
	    "sweep again");
	check(n == 0, "nothing left to sweep");
	free(ids);
}

struct counts {
	int	cidrs, peers, assocs, cands;
};

static int
count_cidr(const struct in_cidr *c, void *arg)
{
	((struct counts *)arg)->cidrs++;
	return (0);
}

static int
count_peer(const struct db_peer *dp, void *arg)
{
	((struct counts *)arg)->peers++;
	((struct counts *)arg)->cands += dp->p.ncandidates;
	return (0);
}

static int
count_assoc(const struct in_assoc *a, void *arg)
{
	((struct counts *)arg)->assocs++;
	return (0);
}

static void
test_reopen(struct dbenv *env)
{
	struct in_network	 before, after;
	struct counts		 c1, c2;
	struct in_error		 err;
	struct db		*db;

	db = db_find(env, "test");
	before = db->net;
	memset(&c1, 0, sizeof(c1));
	db_cidr_foreach(db, count_cidr, &c1, &err);
	db_peer_foreach(db, count_peer, &c1, &err);
	db_assoc_foreach(db, count_assoc, &c1, &err);
	dbenv_close_all(env);
	check(dbenv_open_all(env) >= 1, "reopen the state directory");
	if ((db = db_find(env, "test")) == NULL) {
		check(0, "network found after reopening");
		return;
	}
	after = db->net;
	memset(&c2, 0, sizeof(c2));
	db_cidr_foreach(db, count_cidr, &c2, &err);
	db_peer_foreach(db, count_peer, &c2, &err);
	db_assoc_foreach(db, count_assoc, &c2, &err);
	check(memcmp(&before, &after, sizeof(before)) == 0,
	    "the network row survives");
	check(c1.cidrs == c2.cidrs && c1.peers == c2.peers &&
	    c1.assocs == c2.assocs && c1.cands == c2.cands && c1.peers > 0,
	    "every row survives (%d CIDRs, %d peers, %d associations)",
	    c2.cidrs, c2.peers, c2.assocs);
}

static void
test_network_update_delete(struct dbenv *env)
{
	struct in_network	 n, out;
	struct in_netcreate	 nc;
	struct in_error		 err;
	struct db		*db;

	memset(&nc, 0, sizeof(nc));
	strlcpy(nc.net.name, "doomed", sizeof(nc.net.name));
	nc.net.role = IN_ROLE_SERVER;
	nc.net.net = prefix("10.10.0.0/16");
	newkey(nc.net.public_key);
	strlcpy(nc.net.external_endpoint, "server.example.net:51820",
	    sizeof(nc.net.external_endpoint));
	strlcpy(nc.root_name, "rootname", sizeof(nc.root_name));
	expect(db_network_create(env, &nc, &out, &err), &err, 0,
	    "create a second server network");
	db = db_find(env, "doomed");
	check(db != NULL && sql_int(db, "SELECT COUNT(*) FROM cidrs WHERE "
	    "id = 1 AND name = 'rootname'") == 1, "root named as asked");

	n = out;
	n.listen_port = 4444;
	strlcpy(n.external_endpoint, "192.0.2.7:4444",
	    sizeof(n.external_endpoint));
	expect(db_network_update(env, &n, &out, &err), &err, 0,
	    "update the network");
	check(out.listen_port == 4444 && db->net.listen_port == 4444,
	    "the update shows");
	strlcpy(n.external_endpoint, "bad endpoint",
	    sizeof(n.external_endpoint));
	expect(db_network_update(env, &n, &out, &err), &err, 400,
	    "update with a bad endpoint");
	strlcpy(n.name, "nosuch", sizeof(n.name));
	expect(db_network_update(env, &n, &out, &err), &err, 404,
	    "update an unknown network");

	dbenv_close_all(env);
	dbenv_open_all(env);
	db = db_find(env, "doomed");
	check(db != NULL && db->net.listen_port == 4444 &&
	    strcmp(db->net.external_endpoint, "192.0.2.7:4444") == 0,
	    "the update survives reopening");

	check(file_exists("%s/server/doomed.db", tmpdir), "database file");
	expect(db_network_delete(env, "doomed", &err), &err, 0,
	    "delete the network");
	check(!file_exists("%s/server/doomed.db", tmpdir) &&
	    !file_exists("%s/server/doomed.db-wal", tmpdir) &&
	    !file_exists("%s/server/doomed.db-shm", tmpdir) &&
	    db_find(env, "doomed") == NULL, "its files are gone");
	expect(db_network_delete(env, "doomed", &err), &err, 404,
	    "delete it again");
}

static void
test_ipv6(struct dbenv *env)
{
	struct in_netcreate	 nc;
	struct in_network	 out;
	struct in_cidr		 c, cout;
	struct in_peer		 p;
	struct db_peer		 dp;
	struct in_error		 err;
	struct db		*db;
	char			 buf[64];

	memset(&nc, 0, sizeof(nc));
	strlcpy(nc.net.name, "six", sizeof(nc.net.name));
	nc.net.role = IN_ROLE_SERVER;
	nc.net.net = prefix("fd00:1337::/64");
	newkey(nc.net.public_key);
	strlcpy(nc.net.external_endpoint, "[2001:db8::1]:51820",
	    sizeof(nc.net.external_endpoint));
	expect(db_network_create(env, &nc, &out, &err), &err, 0,
	    "create an IPv6 network");
	db = db_find(env, "six");
	in_ip_str(&out.address, buf, sizeof(buf));
	check(strcmp(buf, "fd00:1337::1") == 0, "server takes ::1 (%s)", buf);
	expect(db_cidr_get(db, INFRA_CIDR_ID, &c, &err), &err, 0,
	    "IPv6 infra CIDR");
	check(c.cidr.len == 128, "infra CIDR is a /128");
	c = mkcidr("experimental", "fd00:1337::4:0:0:0/80", ROOT_CIDR_ID);
	expect(db_cidr_add(db, &c, &cout, &err), &err, 0, "add IPv6 CIDR");
	c = mkcidr("sub", "fd00:1337::4:0:0:0/81", ROOT_CIDR_ID);
	expect(db_cidr_add(db, &c, &cout, &err), &err, 400,
	    "IPv6 CIDR below the wrong parent");
	p = mkpeer("net", "fd00:1337::4:0:0:0", 3, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "IPv6 network address");
	p = mkpeer("last", "fd00:1337::4:ffff:ffff:ffff", 3, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 0,
	    "IPv6 has no broadcast address (as upstream)");
	p = mkpeer("peer6", "fd00:1337::4:0:0:1", 3, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 0,
	    "IPv6 peer");
	sql_text(db, "SELECT ip FROM peers WHERE name = 'peer6'", buf,
	    sizeof(buf));
	check(strcmp(buf, "fd00:1337::4:0:0:1") == 0,
	    "IPv6 stored in its canonical form (%s)", buf);
}

/*
 * The tables as the first upstream release created them: no
 * invite_expires, no candidates, user_version 0.
 */
static const char *v0_schema =
	"CREATE TABLE peers (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  ip TEXT NOT NULL UNIQUE,\n"
	"  public_key TEXT NOT NULL UNIQUE,\n"
	"  endpoint TEXT,\n"
	"  cidr_id INTEGER NOT NULL,\n"
	"  is_admin INTEGER DEFAULT 0 NOT NULL,\n"
	"  is_disabled INTEGER DEFAULT 0 NOT NULL,\n"
	"  is_redeemed INTEGER DEFAULT 0 NOT NULL,\n"
	"  FOREIGN KEY (cidr_id) REFERENCES cidrs (id)\n"
	"    ON UPDATE RESTRICT ON DELETE RESTRICT);\n"
	"CREATE TABLE associations (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  cidr_id_1 INTEGER NOT NULL,\n"
	"  cidr_id_2 INTEGER NOT NULL,\n"
	"  UNIQUE(cidr_id_1, cidr_id_2),\n"
	"  FOREIGN KEY (cidr_id_1) REFERENCES cidrs (id)\n"
	"    ON UPDATE RESTRICT ON DELETE RESTRICT,\n"
	"  FOREIGN KEY (cidr_id_2) REFERENCES cidrs (id)\n"
	"    ON UPDATE RESTRICT ON DELETE RESTRICT);\n"
	"CREATE TABLE cidrs (\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  name TEXT NOT NULL UNIQUE,\n"
	"  ip TEXT NOT NULL,\n"
	"  prefix INTEGER NOT NULL,\n"
	"  parent INTEGER REFERENCES cidrs,\n"
	"  UNIQUE(ip, prefix),\n"
	"  FOREIGN KEY (parent) REFERENCES cidrs (id)\n"
	"    ON UPDATE RESTRICT ON DELETE RESTRICT);\n"
	"INSERT INTO cidrs VALUES (1, 'old', '10.90.0.0', 16, NULL);\n"
	"INSERT INTO cidrs VALUES (2, 'innernet-server', '10.90.0.1', 32, 1);\n"
	"INSERT INTO cidrs VALUES (3, 'laptops', '10.90.8.0', 22, 1);\n"
	"INSERT INTO peers VALUES (1, 'innernet-server', '10.90.0.1', "
	"'SERVERKEY', '203.0.113.5:51999', 2, 1, 0, 1);\n"
	"INSERT INTO peers VALUES (2, 'laptop', '10.90.8.2', 'LAPTOPKEY', "
	"NULL, 3, 0, 0, 1);\n"
	"INSERT INTO associations VALUES (1, 3, 2);\n";

static void
test_migration(struct dbenv *env)
{
	struct in_error	 err;
	struct in_peer	 p;
	struct db_peer	 dp;
	struct counts	 c;
	struct db	*db;
	sqlite3		*conn;
	char		 path[IN_PATHSZ * 2], schema[4096], k1[IN_KEYSZ];
	char		 k2[IN_KEYSZ], buf[128], *s;
	const char	*cl[] = { "198.51.100.1:51820" };
	char		 cand[64];

	/* real keys in place of the placeholders */
	newkey(k1);
	newkey(k2);
	strlcpy(schema, v0_schema, sizeof(schema));
	s = strstr(schema, "SERVERKEY");
	memmove(s + IN_KEYSZ - 1, s + 9, strlen(s + 9) + 1);
	memcpy(s, k1, IN_KEYSZ - 1);
	s = strstr(schema, "LAPTOPKEY");
	memmove(s + IN_KEYSZ - 1, s + 9, strlen(s + 9) + 1);
	memcpy(s, k2, IN_KEYSZ - 1);

	snprintf(path, sizeof(path), "%s/server/old.db", tmpdir);
	if (sqlite3_open(path, &conn) != SQLITE_OK ||
	    sqlite3_exec(conn, schema, NULL, NULL, NULL) != SQLITE_OK)
		errx(1, "version 0 database: %s", sqlite3_errmsg(conn));
	sqlite3_close(conn);

	dbenv_close_all(env);
	dbenv_open_all(env);
	if ((db = db_find(env, "old")) == NULL) {
		check(0, "a version 0 upstream database opens");
		return;
	}
	check(1, "a version 0 upstream database opens");
	check(sql_int(db, "PRAGMA user_version") == 2,
	    "migrated to version 2");
	sql_text(db, "SELECT group_concat(name, ',') FROM "
	    "pragma_table_info('peers')", buf, sizeof(buf));
	check(strstr(buf, "invite_expires,candidates") != NULL,
	    "the columns of versions 1 and 2 are added");
	memset(&c, 0, sizeof(c));
	db_cidr_foreach(db, count_cidr, &c, &err);
	db_peer_foreach(db, count_peer, &c, &err);
	db_assoc_foreach(db, count_assoc, &c, &err);
	check(c.cidrs == 3 && c.peers == 2 && c.assocs == 1 && c.cands == 0,
	    "every row survives the migration");
	expect(db_peer_get(db, 2, &dp, &err), &err, 0, "read an old peer");
	check(strcmp(dp.p.name, "laptop") == 0 && strcmp(dp.p.public_key,
	    k2) == 0 && dp.p.is_redeemed && dp.p.invite_expires == 0 &&
	    dp.p.ncandidates == 0, "old peer intact");
	in_ip_str(&db->net.address, buf, sizeof(buf));
	check(db->net.role == IN_ROLE_SERVER && strcmp(buf, "10.90.0.1") ==
	    0 && strcmp(db->net.public_key, k1) == 0 &&
	    strcmp(db->net.external_endpoint, "203.0.113.5:51999") == 0 &&
	    db->net.listen_port == 51999,
	    "the network row is read from the upstream database");
	p = mkpeer("laptop2", "10.90.8.3", 3, 0);
	mkcands(&p, cand, sizeof(cand), cl, 1);
	expect(db_peer_add(db, &p, cand, p.candidates_len, &dp, &err), &err,
	    0, "add a peer to the migrated database");
	p = mkpeer("laptop3", "10.90.8.2", 3, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "old rows still count for uniqueness");

	/* a newer database than we know stays closed */
	snprintf(path, sizeof(path), "%s/server/future.db", tmpdir);
	if (sqlite3_open(path, &conn) != SQLITE_OK ||
	    sqlite3_exec(conn, "CREATE TABLE peers (id INTEGER); "
	    "PRAGMA user_version = 3", NULL, NULL, NULL) != SQLITE_OK)
		errx(1, "future database");
	sqlite3_close(conn);
	dbenv_close_all(env);
	dbenv_open_all(env);
	check(db_find(env, "future") == NULL && db_find(env, "old") != NULL,
	    "a database of a newer version is not opened");
	unlink(path);
}

static void
test_client(struct dbenv *env)
{
	struct in_netcreate	 nc;
	struct in_network	 out;
	struct in_error		 err;
	struct in_peer		 p;
	struct in_cidr		 c;
	struct db_store		*s;
	struct db_peer		 dp;
	struct counts		 cnt;
	struct db		*db, *srv;
	char			 cand[256];
	const char		*cl[] = { "192.0.2.1:1", "192.0.2.2:2" };
	int			 i, ok;

	memset(&nc, 0, sizeof(nc));
	strlcpy(nc.net.name, "home", sizeof(nc.net.name));
	nc.net.role = IN_ROLE_CLIENT;
	nc.net.net = prefix("10.42.0.0/16");
	nc.net.address = ip("10.42.0.5");
	nc.net.server_ip = ip("10.42.0.1");
	nc.net.server_port = 51820;
	newkey(nc.net.public_key);
	newkey(nc.net.server_public_key);
	strlcpy(nc.net.external_endpoint, "203.0.113.9:51820",
	    sizeof(nc.net.external_endpoint));
	expect(db_network_create(env, &nc, &out, &err), &err, 0,
	    "create a client network");
	check(file_exists("%s/client/home.db", tmpdir) &&
	    leftovers(DBD_CLIENTDIR) == 0, "client database in client/");
	db = db_find(env, "home");

	s = db_store_new(7, "home");
	for (i = 0; i < 2; i++) {
		c = mkcidr(i == 0 ? "home" : "innernet-server",
		    i == 0 ? "10.42.0.0/16" : "10.42.0.1/32", i);
		c.id = i + 1;
		db_store_add_cidr(s, &c);
	}
	for (i = 0; i < 3; i++) {
		char name[16], addr[16];

		snprintf(name, sizeof(name), "peer%d", i);
		snprintf(addr, sizeof(addr), "10.42.0.%d", i + 1);
		p = mkpeer(name, addr, 2, 0);
		p.id = i + 1;
		p.keepalive = 25;
		mkcands(&p, cand, sizeof(cand), cl, i == 1 ? 2 : 0);
		db_store_add_peer(s, &p, cand, p.candidates_len);
	}
	expect(db_store_commit(db, s, &err), &err, 0, "store the state");
	db_store_free(s);
	memset(&cnt, 0, sizeof(cnt));
	db_client_cidr_foreach(db, count_cidr, &cnt, &err);
	db_client_peer_foreach(db, count_peer, &cnt, &err);
	check(cnt.cidrs == 2 && cnt.peers == 3 && cnt.cands == 2,
	    "the cache holds what was stored");

	s = db_store_new(8, "home");
	c = mkcidr("home", "10.42.0.0/16", 0);
	c.id = 1;
	db_store_add_cidr(s, &c);
	p = mkpeer("only", "10.42.0.9", 1, 0);
	p.id = 9;
	db_store_add_peer(s, &p, NULL, 0);
	expect(db_store_commit(db, s, &err), &err, 0, "store again");
	db_store_free(s);
	memset(&cnt, 0, sizeof(cnt));
	db_client_cidr_foreach(db, count_cidr, &cnt, &err);
	db_client_peer_foreach(db, count_peer, &cnt, &err);
	check(cnt.cidrs == 1 && cnt.peers == 1, "a store replaces the cache");

	s = db_store_new(9, "home");
	db_store_add_cidr(s, &c);
	p = mkpeer("Bad Name", "10.42.0.9", 1, 0);
	p.id = 10;
	db_store_add_peer(s, &p, NULL, 0);
	expect(db_store_commit(db, s, &err), &err, 400,
	    "a store with a bad row");
	db_store_free(s);
	s = db_store_new(10, "home");
	p = mkpeer("twin", "10.42.0.9", 1, 0);
	p.id = 10;
	db_store_add_peer(s, &p, NULL, 0);
	p = mkpeer("twin2", "10.42.0.10", 1, 0);
	p.id = 10;
	db_store_add_peer(s, &p, NULL, 0);
	expect(db_store_commit(db, s, &err), &err, 400,
	    "a store with a duplicate id");
	db_store_free(s);
	memset(&cnt, 0, sizeof(cnt));
	db_client_cidr_foreach(db, count_cidr, &cnt, &err);
	db_client_peer_foreach(db, count_peer, &cnt, &err);
	check(cnt.cidrs == 1 && cnt.peers == 1,
	    "failed stores leave the cache alone");

	s = db_store_new(11, "home");
	c = mkcidr("x", "10.42.0.0/16", 0);
	for (i = 0, ok = 1; i <= DBD_STORE_MAXROWS; i++) {
		c.id = i + 1;
		db_store_add_cidr(s, &c);
	}
	ok = s->failed && s->ncidrs == DBD_STORE_MAXROWS;
	expect(db_store_commit(db, s, &err), &err, 400,
	    "a store beyond the row limit");
	check(ok, "the store stopped keeping rows at the limit");
	db_store_free(s);

	srv = db_find(env, "test");
	s = db_store_new(12, "test");
	expect(db_store_commit(srv, s, &err), &err, 400,
	    "a store into a server network");
	db_store_free(s);
	p = mkpeer("nope", "10.42.0.20", 1, 0);
	expect(db_peer_add(db, &p, NULL, 0, &dp, &err), &err, 400,
	    "server mutations refuse a client network");

	dbenv_close_all(env);
	dbenv_open_all(env);
	db = db_find(env, "home");
	memset(&cnt, 0, sizeof(cnt));
	if (db != NULL) {
		db_client_cidr_foreach(db, count_cidr, &cnt, &err);
		db_client_peer_foreach(db, count_peer, &cnt, &err);
	}
	check(db != NULL && db->net.role == IN_ROLE_CLIENT &&
	    db->net.server_port == 51820 && cnt.peers == 1,
	    "the client network and its cache survive reopening");
}

int
main(void)
{
	struct dbenv	 env;
	struct db	*db;
	const char	*t;
	char		 path[IN_PATHSZ * 2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, LOG_DAEMON);
	log_setverbose(0);
	log_procinit("test_db");
	if (sodium_init() == -1)
		errx(1, "sodium_init");
	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = P_tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_db.XXXXXX", t);
	if (mkdtemp(tmpdir) == NULL)
		err(1, "mkdtemp");
	snprintf(path, sizeof(path), "%s/server", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/client", tmpdir);
	mkdir(path, 0700);

	dbenv_init(&env, tmpdir);
	check(dbenv_open_all(&env) == 0, "an empty state directory");
	db = make_server(&env, "test");
	test_create(&env, db);
	test_network_create_errors(&env, db);
	test_peers(db);
	test_cidrs(db);
	test_redeem(db);
	test_tree_rules(db);
	test_delete(db);
	test_sweep(db);
	test_reopen(&env);
	test_network_update_delete(&env);
	test_ipv6(&env);
	test_migration(&env);
	test_client(&env);

	dbenv_close_all(&env);
	rm_rf(tmpdir);
	printf("%s\n", failures ? "FAILED" : "all passed");
	return (failures ? 1 : 0);
}
