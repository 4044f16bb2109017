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
 * The peers table of a server network: rows, upstream's rules for adding,
 * updating and redeeming, and the sweep of expired invitations.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dbd.h"

#define PEER_COLUMNS \
	"id, name, ip, cidr_id, public_key, endpoint, is_admin, " \
	"is_disabled, is_redeemed, invite_expires, candidates"

static const char *sql_peer_get =
	"SELECT " PEER_COLUMNS " FROM peers WHERE id = ?1";
static const char *sql_peer_list =
	"SELECT " PEER_COLUMNS " FROM peers ORDER BY id";
static const char *sql_peer_insert =
	"INSERT INTO peers (name, ip, cidr_id, public_key, endpoint, "
	"is_admin, is_disabled, is_redeemed, invite_expires, candidates) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
static const char *sql_peer_update =
	"UPDATE peers SET name = ?2, endpoint = ?3, is_admin = ?4, "
	"is_disabled = ?5, candidates = ?6 WHERE id = ?1";
/* invite_expires stays, as upstream's redeem leaves it */
static const char *sql_peer_redeem =
	"UPDATE peers SET is_redeemed = 1, public_key = ?2 "
	"WHERE id = ?1 AND is_redeemed = 0";
static const char *sql_peer_by_name = "SELECT id FROM peers WHERE name = ?1";
static const char *sql_peer_by_ip = "SELECT id FROM peers WHERE ip = ?1";
static const char *sql_peer_by_key =
	"SELECT id FROM peers WHERE public_key = ?1";
static const char *sql_peer_expired =
	"SELECT id FROM peers WHERE is_redeemed = 0 AND invite_expires < ?1 "
	"ORDER BY id";
static const char *sql_peer_delete = "DELETE FROM peers WHERE id = ?1";
static const char *sql_peer_deleted =
	"SELECT COUNT(*) FROM innernet_deleted_peers WHERE id = ?1";
static const char *sql_peer_mark_deleted =
	"INSERT INTO innernet_deleted_peers (id, name, deleted) "
	"VALUES (?1, ?2, ?3)";
static const char *sql_peer_retire =
	"UPDATE peers SET name = ?2, endpoint = NULL, is_admin = 0, "
	"is_disabled = 1, candidates = '[]' WHERE id = ?1";
static const char *sql_cidr_nchildren =
	"SELECT COUNT(*) FROM cidrs WHERE parent = ?1";

/*
 * upstream's IpNetExt::is_assignable: inside, and for IPv4 neither the
 * network nor the broadcast address, for IPv6 not the network address
 * (point-to-point prefixes excepted).
 */
int
db_ip_assignable(const struct in_prefix *net, const struct in_ip *ip)
{
	if (!in_prefix_contains(net, ip))
		return (0);
	if (ip->af == AF_INET)
		return (net->len >= 31 ||
		    !in_prefix_is_network_or_broadcast(net, ip));
	return (net->len >= 127 || in_ip_cmp(ip, &net->ip) != 0);
}

/* The JSON text upstream stores: an array of endpoint strings. */
char *
db_candidates_json(const char *cand, size_t len, struct in_error *err)
{
	json_t		*a;
	const char	*s, *end;
	char		*text;

	if (cand == NULL)
		len = 0;
	s = cand;
	end = len > 0 ? cand + len : cand;
	if ((a = json_array()) == NULL)
		goto oom;
	while (s < end) {
		if (json_array_append_new(a, json_string(s)) == -1) {
			json_decref(a);
			goto oom;
		}
		s += strlen(s) + 1;
	}
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (text == NULL)
		goto oom;
	return (text);
 oom:
	db_fail(err, 500, "out of memory");
	return (NULL);
}

/*
 * Candidates as stored; ones we cannot use are left out rather than
 * failing the row, as upstream reads a bad endpoint as none.
 */
int
db_candidates_parse(const char *text, struct db_peer *dp)
{
	json_t		*a, *v;
	size_t		 i, l, off = 0;
	const char	*s;

	dp->p.ncandidates = 0;
	dp->p.candidates_len = 0;
	if ((a = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return (-1);
	if (!json_is_array(a)) {
		json_decref(a);
		return (-1);
	}
	json_array_foreach(a, i, v) {
		if ((s = json_string_value(v)) == NULL) {
			json_decref(a);
			return (-1);
		}
		if (dp->p.ncandidates == IN_MAXCANDIDATES ||
		    !in_endpoint_ok(s))
			continue;
		l = strlen(s) + 1;
		if (off + l > sizeof(dp->cand))
			continue;
		memcpy(dp->cand + off, s, l);
		off += l;
		dp->p.ncandidates++;
	}
	json_decref(a);
	dp->p.candidates_len = (uint16_t)off;
	return (0);
}

int
db_peer_from_row(struct db *db, sqlite3_stmt *st, struct db_peer *dp,
    struct in_error *err)
{
	struct in_peer	*p = &dp->p;
	const char	*cand;
	int64_t		 id;

	memset(dp, 0, sizeof(*dp));
	id = p->id = sqlite3_column_int64(st, 0);
	if (db_column_text(st, 1, p->name, sizeof(p->name)) == -1 ||
	    !in_hostname_ok(p->name))
		return (db_fail(err, 500, "%s: peer %lld: invalid name in the "
		    "database", db->net.name, (long long)id));
	if (db_column_ip(st, 2, &p->ip) == -1)
		return (db_fail(err, 500, "%s: peer %lld: invalid address in "
		    "the database", db->net.name, (long long)id));
	p->cidr_id = sqlite3_column_int64(st, 3);
	if (db_column_text(st, 4, p->public_key, sizeof(p->public_key)) ==
	    -1)
		return (db_fail(err, 500, "%s: peer %lld: invalid public key "
		    "in the database", db->net.name, (long long)id));
	if (db_column_text(st, 5, p->endpoint, sizeof(p->endpoint)) == -1 ||
	    (p->endpoint[0] != '\0' && !in_endpoint_ok(p->endpoint)))
		p->endpoint[0] = '\0';
	p->is_admin = sqlite3_column_int(st, 6) != 0;
	p->is_disabled = sqlite3_column_int(st, 7) != 0;
	p->is_redeemed = sqlite3_column_int(st, 8) != 0;
	if (sqlite3_column_type(st, 9) != SQLITE_NULL &&
	    sqlite3_column_int64(st, 9) > 0)
		p->invite_expires = sqlite3_column_int64(st, 9);
	cand = (const char *)sqlite3_column_text(st, 10);
	if (cand != NULL && db_candidates_parse(cand, dp) == -1)
		return (db_fail(err, 500, "%s: peer %lld: invalid candidates "
		    "in the database", db->net.name, (long long)id));
	/* upstream never stores a keepalive and always serves its default */
	p->keepalive = IN_DEFAULT_KEEPALIVE;
	if (sqlite3_column_count(st) > 11) {
		if (sqlite3_column_type(st, 11) == SQLITE_NULL)
			p->keepalive = -1;
		else
			p->keepalive = sqlite3_column_int(st, 11);
	}
	return (0);
}

int
db_peer_get(struct db *db, int64_t id, struct db_peer *dp,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql_peer_get, err)) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return (db_fail(err, 404, "no peer %lld", (long long)id));
	}
	if (rc != SQLITE_ROW) {
		db_sqlfail(db->conn, err, "reading a peer");
		sqlite3_reset(st);
		return (-1);
	}
	rc = db_peer_from_row(db, st, dp, err);
	sqlite3_reset(st);
	return (rc);
}

int
db_peer_foreach(struct db *db, db_peer_cb cb, void *arg,
    struct in_error *err)
{
	struct db_peer	 dp;
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql_peer_list, err)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (db_peer_from_row(db, st, &dp, err) == -1 ||
		    cb(&dp, arg) == -1) {
			sqlite3_reset(st);
			return (-1);
		}
	}
	if (rc != SQLITE_DONE)
		db_sqlfail(db->conn, err, "listing peers");
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* The id of the row sql (one text parameter) finds, 0 if none. */
static int
lookup_id(struct db *db, const char *sql, const char *val, int64_t *id,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	*id = 0;
	if ((st = db_stmt(db, sql, err)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, val, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE) {
		db_sqlfail(db->conn, err, "lookup");
		sqlite3_reset(st);
		return (-1);
	}
	sqlite3_reset(st);
	return (0);
}

static int
peer_fields_ok(const struct in_peer *p, const void *cand, size_t candlen,
    struct in_error *err)
{
	static const char	none[1];

	if (cand == NULL) {
		cand = none;
		candlen = 0;
	}
	if (!in_str_ok(p->name) || !in_str_ok(p->public_key) ||
	    !in_str_ok(p->endpoint))
		return (db_fail(err, 400, "unterminated string in peer"));
	if (!in_hostname_ok(p->name))
		return (db_fail(err, 400, "invalid peer name \"%s\": it must "
		    "be a hostname(7) label", p->name));
	if (p->endpoint[0] != '\0' && !in_endpoint_ok(p->endpoint))
		return (db_fail(err, 400, "invalid endpoint \"%s\"",
		    p->endpoint));
	if (p->is_admin > 1 || p->is_disabled > 1 || p->is_redeemed > 1)
		return (db_fail(err, 400, "invalid peer flags"));
	if (p->ncandidates > IN_MAXCANDIDATES)
		return (db_fail(err, 400, "more than %d candidates",
		    IN_MAXCANDIDATES));
	if (!in_peer_candidates_ok(p, cand, candlen))
		return (db_fail(err, 400, "invalid candidates"));
	return (0);
}

/* Everything a new peer row must satisfy on its own. */
int
db_peer_row_ok(const struct in_peer *p, const void *cand, size_t candlen,
    struct in_error *err)
{
	if (peer_fields_ok(p, cand, candlen, err) == -1)
		return (-1);
	if (p->ip.af != AF_INET && p->ip.af != AF_INET6)
		return (db_fail(err, 400, "invalid peer address"));
	if (!in_key_ok(p->public_key))
		return (db_fail(err, 400, "invalid public key"));
	if (p->invite_expires < 0)
		return (db_fail(err, 400, "invalid invitation expiry"));
	if (p->cidr_id <= 0)
		return (db_fail(err, 404, "no CIDR %lld",
		    (long long)p->cidr_id));
	return (0);
}

/* The INSERT alone; the caller holds the transaction and checked. */
int
db_peer_insert(struct db *db, const struct in_peer *p, const void *cand,
    size_t candlen, int64_t *id, struct in_error *err)
{
	sqlite3_stmt	*st;
	char		*json;

	if ((json = db_candidates_json(cand, candlen, err)) == NULL)
		return (-1);
	if ((st = db_stmt(db, sql_peer_insert, err)) == NULL) {
		free(json);
		return (-1);
	}
	sqlite3_bind_text(st, 1, p->name, -1, SQLITE_TRANSIENT);
	db_bind_ip(st, 2, &p->ip);
	sqlite3_bind_int64(st, 3, p->cidr_id);
	sqlite3_bind_text(st, 4, p->public_key, -1, SQLITE_TRANSIENT);
	db_bind_text(st, 5, p->endpoint);
	sqlite3_bind_int(st, 6, p->is_admin);
	sqlite3_bind_int(st, 7, p->is_disabled);
	sqlite3_bind_int(st, 8, p->is_redeemed);
	if (p->invite_expires > 0)
		sqlite3_bind_int64(st, 9, p->invite_expires);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_text(st, 10, json, -1, SQLITE_TRANSIENT);
	free(json);
	if (db_step_done(db, st, err, "adding the peer") == -1)
		return (-1);
	*id = sqlite3_last_insert_rowid(db->conn);
	return (0);
}

/* A peer whose name, address or key another row holds. */
static int
peer_unique(struct db *db, const struct in_peer *p, int64_t self,
    int check_ip_key, struct in_error *err)
{
	char	addr[IN_ADDRSTRSZ];
	int64_t	id;

	if (lookup_id(db, sql_peer_by_name, p->name, &id, err) == -1)
		return (-1);
	if (id != 0 && id != self)
		return (db_fail(err, 400, "peer name %s is already in use",
		    p->name));
	if (!check_ip_key)
		return (0);
	if (in_ip_str(&p->ip, addr, sizeof(addr)) == -1)
		return (db_fail(err, 400, "invalid peer address"));
	if (lookup_id(db, sql_peer_by_ip, addr, &id, err) == -1)
		return (-1);
	if (id != 0 && id != self)
		return (db_fail(err, 400, "address %s is already in use",
		    addr));
	if (lookup_id(db, sql_peer_by_key, p->public_key, &id, err) == -1)
		return (-1);
	if (id != 0 && id != self)
		return (db_fail(err, 400, "public key is already in use"));
	return (0);
}

/*
 * Peers live only in the leaves of the tree: a CIDR holding both peers
 * and child CIDRs could never lose either again (a CIDR goes only when
 * empty, a peer never), so the tree would be stuck.  -1 with err set if
 * the CIDR has children.
 */
static int
cidr_has_children(struct db *db, const struct in_cidr *c,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	int64_t		 n = 0;
	int		 rc;

	if ((st = db_stmt(db, sql_cidr_nchildren, err)) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, c->id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return (db_sqlfail(db->conn, err, "counting child CIDRs"));
	if (n > 0)
		return (db_fail(err, 400, "CIDR %s has child CIDRs; peers go "
		    "only into CIDRs without children", c->name));
	return (0);
}

int
db_peer_add(struct db *db, const struct in_peer *p, const void *cand,
    size_t candlen, struct db_peer *out, struct in_error *err)
{
	struct in_cidr	c;
	int64_t		id;

	if (db->net.role != IN_ROLE_SERVER)
		return (db_fail(err, 400, "%s is not a server network",
		    db->net.name));
	if (db_peer_row_ok(p, cand, candlen, err) == -1)
		return (-1);
	if (db_begin(db, err) == -1)
		return (-1);
	if (db_cidr_get(db, p->cidr_id, &c, err) == -1)
		goto fail;
	if (!in_prefix_contains(&c.cidr, &p->ip)) {
		db_fail(err, 400, "the address lies outside of CIDR %s",
		    c.name);
		goto fail;
	}
	if (!db_ip_assignable(&c.cidr, &p->ip)) {
		db_fail(err, 400, "the address is the network or broadcast "
		    "address of CIDR %s", c.name);
		goto fail;
	}
	if (cidr_has_children(db, &c, err) != 0)
		goto fail;
	if (peer_unique(db, p, 0, 1, err) == -1)
		goto fail;
	if (db_peer_insert(db, p, cand, candlen, &id, err) == -1 ||
	    db_peer_get(db, id, out, err) == -1 ||
	    db_commit(db, err) == -1)
		goto fail;
	return (0);
 fail:
	db_rollback(db);
	return (-1);
}

/* 1 if the peer was deleted (its row kept retired), 0 if not, -1 error. */
static int
peer_is_deleted(struct db *db, int64_t id, struct in_error *err)
{
	sqlite3_stmt	*st;
	int64_t		 n = 0;
	int		 rc;

	err->status = 0;
	if ((st = db_stmt(db, sql_peer_deleted, err)) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return (db_sqlfail(db->conn, err, "reading deleted peers"));
	return (n > 0);
}

/*
 * As upstream's DatabasePeer::update: name, endpoint, the admin and
 * disabled flags and the candidates; address, key, CIDR and redemption
 * stay as they are.
 */
int
db_peer_update(struct db *db, const struct in_peer *p, const void *cand,
    size_t candlen, struct db_peer *out, struct in_error *err)
{
	struct db_peer	 cur;
	sqlite3_stmt	*st;
	char		*json;

	if (db->net.role != IN_ROLE_SERVER)
		return (db_fail(err, 400, "%s is not a server network",
		    db->net.name));
	if (peer_fields_ok(p, cand, candlen, err) == -1)
		return (-1);
	if ((json = db_candidates_json(cand, candlen, err)) == NULL)
		return (-1);
	if (db_begin(db, err) == -1) {
		free(json);
		return (-1);
	}
	if (db_peer_get(db, p->id, &cur, err) == -1 ||
	    peer_unique(db, p, p->id, 0, err) == -1)
		goto fail;
	if (peer_is_deleted(db, p->id, err) != 0) {
		if (err->status == 0)
			db_fail(err, 410, "peer %s was deleted; it stays "
			    "disabled for good", cur.p.name);
		goto fail;
	}
	if ((st = db_stmt(db, sql_peer_update, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_TRANSIENT);
	db_bind_text(st, 3, p->endpoint);
	sqlite3_bind_int(st, 4, p->is_admin);
	sqlite3_bind_int(st, 5, p->is_disabled);
	sqlite3_bind_text(st, 6, json, -1, SQLITE_TRANSIENT);
	if (db_step_done(db, st, err, "updating the peer") == -1 ||
	    db_peer_get(db, p->id, out, err) == -1 ||
	    db_commit(db, err) == -1)
		goto fail;
	free(json);
	return (0);
 fail:
	free(json);
	db_rollback(db);
	return (-1);
}

/*
 * Statuses as upstream: a redeemed invitation is gone (410), an expired
 * or disabled one unauthorized (401).
 */
int
db_peer_redeem(struct db *db, int64_t id, const char *key, int64_t now,
    struct db_peer *out, struct in_error *err)
{
	struct db_peer	 cur;
	struct in_peer	 probe;
	sqlite3_stmt	*st;

	if (db->net.role != IN_ROLE_SERVER)
		return (db_fail(err, 400, "%s is not a server network",
		    db->net.name));
	if (strnlen(key, IN_KEYSZ) >= IN_KEYSZ || !in_key_ok(key))
		return (db_fail(err, 400, "invalid public key"));
	if (db_begin(db, err) == -1)
		return (-1);
	if (db_peer_get(db, id, &cur, err) == -1)
		goto fail;
	if (cur.p.is_redeemed) {
		db_fail(err, 410, "peer %s has redeemed its invitation "
		    "already", cur.p.name);
		goto fail;
	}
	if (cur.p.is_disabled) {
		db_fail(err, 401, "peer %s is disabled", cur.p.name);
		goto fail;
	}
	if (cur.p.invite_expires != 0 && cur.p.invite_expires < now) {
		db_fail(err, 401, "the invitation of peer %s has expired",
		    cur.p.name);
		goto fail;
	}
	probe = cur.p;
	strlcpy(probe.public_key, key, sizeof(probe.public_key));
	if (peer_unique(db, &probe, id, 1, err) == -1)
		goto fail;
	if ((st = db_stmt(db, sql_peer_redeem, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
	if (db_step_done(db, st, err, "redeeming") == -1)
		goto fail;
	if (sqlite3_changes(db->conn) == 0) {
		db_fail(err, 404, "no unredeemed peer %lld", (long long)id);
		goto fail;
	}
	if (db_peer_get(db, id, out, err) == -1 || db_commit(db, err) == -1)
		goto fail;
	return (0);
 fail:
	db_rollback(db);
	return (-1);
}

/*
 * innernetctl delete-peer.  An invitation never redeemed is withdrawn:
 * its row goes, as the sweeper's would, for nothing was ever used.  A
 * redeemed peer's row stays, disabled and renamed deleted-<id>, so its
 * address and public key stay taken for good (by the UNIQUE columns,
 * which an upstream server opening this database honours too) while
 * its name is free again; innernet_deleted_peers remembers the old name
 * and refuses to enable it again.  *out receives the row as it is now,
 * or as it was for a withdrawn invitation (is_redeemed 0 tells which).
 */
int
db_peer_delete(struct db *db, int64_t id, int64_t now, struct db_peer *out,
    struct in_error *err)
{
	struct db_peer	 cur;
	struct in_peer	 probe;
	sqlite3_stmt	*st;
	int		 deleted;

	if (db->net.role != IN_ROLE_SERVER)
		return (db_fail(err, 400, "%s is not a server network",
		    db->net.name));
	if (db_begin(db, err) == -1)
		return (-1);
	if (db_peer_get(db, id, &cur, err) == -1)
		goto fail;
	if (in_ip_cmp(&cur.p.ip, &db->net.address) == 0) {
		db_fail(err, 400, "%s is the server's own peer; it cannot be "
		    "deleted", cur.p.name);
		goto fail;
	}
	if (!cur.p.is_redeemed) {
		if ((st = db_stmt(db, sql_peer_delete, err)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		if (db_step_done(db, st, err, "withdrawing the invitation") ==
		    -1 || db_commit(db, err) == -1)
			goto fail;
		*out = cur;
		return (0);
	}
	if ((deleted = peer_is_deleted(db, id, err)) == -1)
		goto fail;
	if (deleted) {
		db_fail(err, 410, "peer %lld was deleted already",
		    (long long)id);
		goto fail;
	}
	probe = cur.p;
	snprintf(probe.name, sizeof(probe.name), "deleted-%lld",
	    (long long)id);
	if (peer_unique(db, &probe, id, 0, err) == -1)
		goto fail;
	if ((st = db_stmt(db, sql_peer_mark_deleted, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, cur.p.name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now);
	if (db_step_done(db, st, err, "recording the deletion") == -1)
		goto fail;
	if ((st = db_stmt(db, sql_peer_retire, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, probe.name, -1, SQLITE_TRANSIENT);
	if (db_step_done(db, st, err, "retiring the peer") == -1 ||
	    db_peer_get(db, id, out, err) == -1 || db_commit(db, err) == -1)
		goto fail;
	return (0);
 fail:
	db_rollback(db);
	return (-1);
}

/*
 * Remove the invitations that expired unredeemed; *ids receives the
 * removed ids (free it).
 */
int
db_peer_sweep(struct db *db, int64_t now, int64_t **ids, size_t *nids,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	int64_t		*v = NULL, *nv;
	size_t		 n = 0, cap = 0, i;
	int		 rc;

	*ids = NULL;
	*nids = 0;
	if (db->net.role != IN_ROLE_SERVER)
		return (0);
	if (db_begin(db, err) == -1)
		return (-1);
	if ((st = db_stmt(db, sql_peer_expired, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				sqlite3_reset(st);
				db_fail(err, 500, "out of memory");
				goto fail;
			}
			v = nv;
		}
		v[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_sqlfail(db->conn, err, "finding expired invitations");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if ((st = db_stmt(db, sql_peer_delete, err)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, v[i]);
		if (db_step_done(db, st, err, "removing an invitation") == -1)
			goto fail;
	}
	if (n == 0) {
		db_rollback(db);
		free(v);
		return (0);
	}
	if (db_commit(db, err) == -1)
		goto fail;
	*ids = v;
	*nids = n;
	return (0);
 fail:
	free(v);
	db_rollback(db);
	return (-1);
}
