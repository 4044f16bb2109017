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
 * The CIDR tree of a server network, with upstream's rules: a new CIDR
 * hangs below the closest CIDR containing it, that parent holds no
 * peers, siblings do not overlap; a CIDR in use cannot go.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbd.h"

#define CIDR_COLUMNS	"id, name, ip, prefix, parent"

static const char *sql_cidr_get =
	"SELECT " CIDR_COLUMNS " FROM cidrs WHERE id = ?1";
static const char *sql_cidr_list =
	"SELECT " CIDR_COLUMNS " FROM cidrs ORDER BY id";
static const char *sql_cidr_insert =
	"INSERT INTO cidrs (name, ip, prefix, parent) VALUES (?1, ?2, ?3, ?4)";
static const char *sql_cidr_rename =
	"UPDATE cidrs SET name = ?2 WHERE id = ?1";
static const char *sql_cidr_delete = "DELETE FROM cidrs WHERE id = ?1";
static const char *sql_cidr_by_name = "SELECT id FROM cidrs WHERE name = ?1";
static const char *sql_cidr_npeers =
	"SELECT COUNT(*) FROM peers WHERE cidr_id = ?1";
static const char *sql_cidr_nchildren =
	"SELECT COUNT(*) FROM cidrs WHERE parent = ?1";
static const char *sql_cidr_nassocs =
	"SELECT COUNT(*) FROM associations WHERE cidr_id_1 = ?1 OR "
	"cidr_id_2 = ?1";

/* Upstream takes any name; we keep out what would break a terminal. */
int
db_cidr_name_ok(const char *name)
{
	size_t	i, n;

	n = strnlen(name, IN_NAMESZ);
	if (n == 0 || n >= IN_NAMESZ)
		return (0);
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return (0);
	return (1);
}

/* A known family, a possible length and no host bits. */
int
db_prefix_ok(const struct in_prefix *p)
{
	int	i, n, len;

	if (p->ip.af == AF_INET)
		n = 4;
	else if (p->ip.af == AF_INET6)
		n = 16;
	else
		return (0);
	if (p->len > n * 8)
		return (0);
	len = p->len;
	for (i = 0; i < n; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		if (p->ip.u.b[i] & (uint8_t)(0xff >> len))
			return (0);
		len = 0;
	}
	return (1);
}

int
db_cidr_from_row(struct db *db, sqlite3_stmt *st, struct in_cidr *c,
    struct in_error *err)
{
	char		addr[IN_ADDRSTRSZ], buf[IN_CIDRSTRSZ];
	int		prefix;

	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	if (db_column_text(st, 1, c->name, sizeof(c->name)) == -1)
		return (db_fail(err, 500, "%s: CIDR %lld: name too long in the "
		    "database", db->net.name, (long long)c->id));
	prefix = sqlite3_column_int(st, 3);
	/* upstream may have kept host bits; the prefix is what counts */
	if (db_column_text(st, 2, addr, sizeof(addr)) == -1 ||
	    snprintf(buf, sizeof(buf), "%s/%d", addr, prefix) >=
	    (int)sizeof(buf) || in_prefix_parse(buf, &c->cidr) == -1)
		return (db_fail(err, 500, "%s: CIDR %lld: invalid prefix in "
		    "the database", db->net.name, (long long)c->id));
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		c->parent = sqlite3_column_int64(st, 4);
	return (0);
}

int
db_cidr_get(struct db *db, int64_t id, struct in_cidr *c,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql_cidr_get, err)) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return (db_fail(err, 404, "no CIDR %lld", (long long)id));
	}
	if (rc != SQLITE_ROW) {
		db_sqlfail(db->conn, err, "reading a CIDR");
		sqlite3_reset(st);
		return (-1);
	}
	rc = db_cidr_from_row(db, st, c, err);
	sqlite3_reset(st);
	return (rc);
}

int
db_cidr_foreach(struct db *db, db_cidr_cb cb, void *arg,
    struct in_error *err)
{
	struct in_cidr	 c;
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql_cidr_list, err)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (db_cidr_from_row(db, st, &c, err) == -1 ||
		    cb(&c, arg) == -1) {
			sqlite3_reset(st);
			return (-1);
		}
	}
	if (rc != SQLITE_DONE)
		db_sqlfail(db->conn, err, "listing CIDRs");
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

struct cidr_vec {
	struct in_cidr	*v;
	size_t		 n, cap;
	struct in_error	*err;
};

static int
cidr_collect(const struct in_cidr *c, void *arg)
{
	struct cidr_vec	*cv = arg;
	struct in_cidr	*nv;
	size_t		 cap;

	if (cv->n == cv->cap) {
		cap = cv->cap == 0 ? 16 : cv->cap * 2;
		if ((nv = reallocarray(cv->v, cap, sizeof(*nv))) == NULL)
			return (db_fail(cv->err, 500, "out of memory"));
		cv->v = nv;
		cv->cap = cap;
	}
	cv->v[cv->n++] = *c;
	return (0);
}

static int
count(struct db *db, const char *sql, int64_t id, int64_t *n,
    struct in_error *err)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, sql, err)) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_sqlfail(db->conn, err, "count");
		sqlite3_reset(st);
		return (-1);
	}
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return (0);
}

static int
name_taken(struct db *db, const char *name, int64_t self,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	int		 rc;
	int64_t		 id = 0;

	if ((st = db_stmt(db, sql_cidr_by_name, err)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (db_sqlfail(db->conn, err, "lookup"));
	if (id != 0 && id != self)
		return (db_fail(err, 400, "CIDR name %s is already in use",
		    name));
	return (0);
}

/* The INSERT alone; the caller holds the transaction and checked. */
int
db_cidr_insert(struct db *db, const struct in_cidr *c, int64_t *id,
    struct in_error *err)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, sql_cidr_insert, err)) == NULL)
		return (-1);
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_TRANSIENT);
	db_bind_ip(st, 2, &c->cidr.ip);
	sqlite3_bind_int(st, 3, c->cidr.len);
	if (c->parent > 0)
		sqlite3_bind_int64(st, 4, c->parent);
	else
		sqlite3_bind_null(st, 4);
	if (db_step_done(db, st, err, "adding the CIDR") == -1)
		return (-1);
	*id = sqlite3_last_insert_rowid(db->conn);
	return (0);
}

/* upstream's DatabaseCidr::create checks, in its order */
static int
cidr_place_ok(struct db *db, const struct in_cidr *c, struct in_error *err)
{
	struct cidr_vec	 cv;
	struct in_cidr	*closest = NULL, *x;
	int64_t		 npeers;
	size_t		 i;
	int		 rc = -1;

	memset(&cv, 0, sizeof(cv));
	cv.err = err;
	if (count(db, sql_cidr_npeers, c->parent, &npeers, err) == -1)
		return (-1);
	if (npeers > 0)
		return (db_fail(err, 400, "the parent CIDR has peers; a CIDR "
		    "cannot go below it"));
	if (db_cidr_foreach(db, cidr_collect, &cv, err) == -1)
		goto done;
	for (i = 0; i < cv.n; i++) {
		x = &cv.v[i];
		if (x->cidr.len == c->cidr.len &&
		    in_ip_cmp(&x->cidr.ip, &c->cidr.ip) == 0) {
			db_fail(err, 400, "the CIDR exists already as %s",
			    x->name);
			goto done;
		}
		if (in_prefix_within(&c->cidr, &x->cidr) &&
		    (closest == NULL || x->cidr.len >= closest->cidr.len))
			closest = x;
	}
	if (closest == NULL) {
		db_fail(err, 400, "the CIDR lies outside of the network");
		goto done;
	}
	if (closest->id != c->parent) {
		db_fail(err, 400, "wrong place in the tree: the CIDR belongs "
		    "below %s (id %lld)", closest->name,
		    (long long)closest->id);
		goto done;
	}
	for (i = 0; i < cv.n; i++) {
		x = &cv.v[i];
		if (x->parent == c->parent &&
		    in_prefix_overlaps(&x->cidr, &c->cidr)) {
			db_fail(err, 400, "the CIDR overlaps its sibling %s",
			    x->name);
			goto done;
		}
	}
	rc = 0;
 done:
	free(cv.v);
	return (rc);
}

int
db_cidr_add(struct db *db, const struct in_cidr *c, struct in_cidr *out,
    struct in_error *err)
{
	int64_t	id;

	if (db->net.role != IN_ROLE_SERVER)
		return (db_fail(err, 400, "%s is not a server network",
		    db->net.name));
	if (!db_cidr_name_ok(c->name))
		return (db_fail(err, 400, "invalid CIDR name"));
	if (!db_prefix_ok(&c->cidr))
		return (db_fail(err, 400, "invalid CIDR prefix"));
	if (c->parent <= 0)
		return (db_fail(err, 400, "a new CIDR needs a parent"));
	if (db_begin(db, err) == -1)
		return (-1);
	if (cidr_place_ok(db, c, err) == -1 ||
	    name_taken(db, c->name, 0, err) == -1 ||
	    db_cidr_insert(db, c, &id, err) == -1 ||
	    db_cidr_get(db, id, out, err) == -1 ||
	    db_commit(db, err) == -1) {
		db_rollback(db);
		return (-1);
	}
	return (0);
}

/* Only the name changes, as upstream. */
int
db_cidr_update(struct db *db, const struct in_cidr *c, struct in_cidr *out,
    struct in_error *err)
{
	struct in_cidr	 cur;
	sqlite3_stmt	*st;

	if (db->net.role != IN_ROLE_SERVER)
		return (db_fail(err, 400, "%s is not a server network",
		    db->net.name));
	if (!db_cidr_name_ok(c->name))
		return (db_fail(err, 400, "invalid CIDR name"));
	if (db_begin(db, err) == -1)
		return (-1);
	if (db_cidr_get(db, c->id, &cur, err) == -1 ||
	    name_taken(db, c->name, c->id, err) == -1)
		goto fail;
	if ((st = db_stmt(db, sql_cidr_rename, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_text(st, 2, c->name, -1, SQLITE_TRANSIENT);
	if (db_step_done(db, st, err, "renaming the CIDR") == -1 ||
	    db_cidr_get(db, c->id, out, err) == -1 ||
	    db_commit(db, err) == -1)
		goto fail;
	return (0);
 fail:
	db_rollback(db);
	return (-1);
}

/*
 * Upstream leaves this to the foreign keys (a constraint error, 400); we
 * say which rows hold the CIDR.
 */
int
db_cidr_delete(struct db *db, int64_t id, struct in_error *err)
{
	struct in_cidr	 cur;
	sqlite3_stmt	*st;
	int64_t		 n;

	if (db->net.role != IN_ROLE_SERVER)
		return (db_fail(err, 400, "%s is not a server network",
		    db->net.name));
	if (db_begin(db, err) == -1)
		return (-1);
	if (db_cidr_get(db, id, &cur, err) == -1)
		goto fail;
	if (count(db, sql_cidr_nchildren, id, &n, err) == -1)
		goto fail;
	if (n > 0) {
		db_fail(err, 400, "CIDR %s has child CIDRs", cur.name);
		goto fail;
	}
	if (count(db, sql_cidr_npeers, id, &n, err) == -1)
		goto fail;
	if (n > 0) {
		db_fail(err, 400, "CIDR %s has peers", cur.name);
		goto fail;
	}
	if (count(db, sql_cidr_nassocs, id, &n, err) == -1)
		goto fail;
	if (n > 0) {
		db_fail(err, 400, "CIDR %s has associations", cur.name);
		goto fail;
	}
	if ((st = db_stmt(db, sql_cidr_delete, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (db_step_done(db, st, err, "deleting the CIDR") == -1 ||
	    db_commit(db, err) == -1)
		goto fail;
	return (0);
 fail:
	db_rollback(db);
	return (-1);
}
