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
 * The client role's cache: what the server last sent, replaced as a
 * whole.  Rows arrive one imsg at a time and are held in memory until the
 * stream ends, so a failed or abandoned fetch never touches the cache.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "dbd.h"

static const char *sql_client_peers =
	"SELECT id, name, ip, cidr_id, public_key, endpoint, is_admin, "
	"is_disabled, is_redeemed, invite_expires, candidates, "
	"persistent_keepalive_interval FROM peers ORDER BY id";
static const char *sql_client_cidrs =
	"SELECT id, name, ip, prefix, parent FROM cidrs ORDER BY id";
static const char *sql_client_peer_insert =
	"INSERT INTO peers (id, name, ip, cidr_id, public_key, endpoint, "
	"is_admin, is_disabled, is_redeemed, invite_expires, candidates, "
	"persistent_keepalive_interval) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	"?8, ?9, ?10, ?11, ?12)";
static const char *sql_client_cidr_insert =
	"INSERT INTO cidrs (id, name, ip, prefix, parent) "
	"VALUES (?1, ?2, ?3, ?4, ?5)";

static const char *sql_override_list =
	"SELECT public_key, endpoint FROM peer_endpoint_overrides "
	"ORDER BY public_key";
static const char *sql_override_set =
	"INSERT OR REPLACE INTO peer_endpoint_overrides (public_key, "
	"endpoint) VALUES (?1, ?2)";
static const char *sql_override_unset =
	"DELETE FROM peer_endpoint_overrides WHERE public_key = ?1";

/* override-peer-endpoint: set (endpoint not "") or unset one. */
int
db_client_override_set(struct db *db, const struct in_override *o,
    struct in_error *err)
{
	sqlite3_stmt	*st;

	if (db->net.role != IN_ROLE_CLIENT)
		return (db_fail(err, 400, "%s is not a joined network",
		    db->net.name));
	if (!in_key_ok(o->public_key))
		return (db_fail(err, 400, "invalid public key"));
	if (o->endpoint[0] != '\0' && !in_endpoint_ok(o->endpoint))
		return (db_fail(err, 400, "invalid endpoint"));
	if (db_begin(db, err) == -1)
		return (-1);
	if ((st = db_stmt(db, o->endpoint[0] != '\0' ? sql_override_set :
	    sql_override_unset, err)) == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, o->public_key, -1, SQLITE_TRANSIENT);
	if (o->endpoint[0] != '\0')
		sqlite3_bind_text(st, 2, o->endpoint, -1, SQLITE_TRANSIENT);
	if (db_step_done(db, st, err, "storing the override") == -1 ||
	    db_commit(db, err) == -1)
		goto fail;
	return (0);
 fail:
	db_rollback(db);
	return (-1);
}

/* Rows that do not check out are left out, as a bad endpoint is. */
int
db_client_override_foreach(struct db *db,
    int (*cb)(const struct in_override *, void *), void *arg,
    struct in_error *err)
{
	struct in_override	 o;
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_stmt(db, sql_override_list, err)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&o, 0, sizeof(o));
		strlcpy(o.network, db->net.name, sizeof(o.network));
		if (db_column_text(st, 0, o.public_key,
		    sizeof(o.public_key)) == -1 || db_column_text(st, 1,
		    o.endpoint, sizeof(o.endpoint)) == -1 ||
		    !in_key_ok(o.public_key) || !in_endpoint_ok(o.endpoint))
			continue;
		if (cb(&o, arg) == -1) {
			sqlite3_reset(st);
			return (-1);
		}
	}
	if (rc != SQLITE_DONE)
		db_sqlfail(db->conn, err, "listing endpoint overrides");
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

struct db_store *
db_store_new(uint32_t id, const char *network)
{
	struct db_store	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (NULL);
	s->id = id;
	strlcpy(s->network, network, sizeof(s->network));
	return (s);
}

void
db_store_free(struct db_store *s)
{
	if (s == NULL)
		return;
	free(s->peers);
	free(s->cidrs);
	free(s);
}

static int
store_room(struct db_store *s, size_t bytes)
{
	if (s->failed)
		return (0);
	if (s->nrows >= DBD_STORE_MAXROWS ||
	    s->peers_len + s->ncidrs * sizeof(struct in_cidr) + bytes >
	    DBD_STORE_MAXBYTES) {
		s->failed = 1;
		db_fail(&s->err, 400, "%s: more than %d rows or %d bytes in "
		    "one store", s->network, DBD_STORE_MAXROWS,
		    DBD_STORE_MAXBYTES);
		return (0);
	}
	return (1);
}

/* Check and keep one peer row; a bad one fails the whole store. */
void
db_store_add_peer(struct db_store *s, const struct in_peer *p,
    const void *cand, size_t candlen)
{
	size_t		 need = sizeof(*p) + candlen, cap;
	unsigned char	*nb;

	if (!store_room(s, need))
		return;
	if (db_peer_row_ok(p, cand, candlen, &s->err) == -1 || p->id <= 0) {
		if (p->id <= 0)
			db_fail(&s->err, 400, "invalid peer id");
		s->failed = 1;
		return;
	}
	if (s->peers_len + need > s->peers_cap) {
		cap = s->peers_cap == 0 ? 16384 : s->peers_cap;
		while (cap < s->peers_len + need)
			cap *= 2;
		if ((nb = realloc(s->peers, cap)) == NULL) {
			s->failed = 1;
			db_fail(&s->err, 500, "out of memory");
			return;
		}
		s->peers = nb;
		s->peers_cap = cap;
	}
	memcpy(s->peers + s->peers_len, p, sizeof(*p));
	if (candlen > 0)
		memcpy(s->peers + s->peers_len + sizeof(*p), cand, candlen);
	s->peers_len += need;
	s->nrows++;
}

void
db_store_add_cidr(struct db_store *s, const struct in_cidr *c)
{
	struct in_cidr	*nv;
	size_t		 cap;

	if (!store_room(s, sizeof(*c)))
		return;
	if (!in_str_ok(c->name) || !db_cidr_name_ok(c->name) ||
	    !db_prefix_ok(&c->cidr) || c->id <= 0 || c->parent < 0) {
		s->failed = 1;
		db_fail(&s->err, 400, "invalid CIDR row");
		return;
	}
	if (s->ncidrs == s->cidrs_cap) {
		cap = s->cidrs_cap == 0 ? 64 : s->cidrs_cap * 2;
		if ((nv = reallocarray(s->cidrs, cap, sizeof(*nv))) == NULL) {
			s->failed = 1;
			db_fail(&s->err, 500, "out of memory");
			return;
		}
		s->cidrs = nv;
		s->cidrs_cap = cap;
	}
	s->cidrs[s->ncidrs++] = *c;
	s->nrows++;
}

static int
store_peer(struct db *db, const struct in_peer *p, const char *cand,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	char		*json;

	if ((json = db_candidates_json(cand, p->candidates_len, err)) ==
	    NULL)
		return (-1);
	if ((st = db_stmt(db, sql_client_peer_insert, err)) == NULL) {
		free(json);
		return (-1);
	}
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_TRANSIENT);
	db_bind_ip(st, 3, &p->ip);
	sqlite3_bind_int64(st, 4, p->cidr_id);
	sqlite3_bind_text(st, 5, p->public_key, -1, SQLITE_TRANSIENT);
	db_bind_text(st, 6, p->endpoint);
	sqlite3_bind_int(st, 7, p->is_admin);
	sqlite3_bind_int(st, 8, p->is_disabled);
	sqlite3_bind_int(st, 9, p->is_redeemed);
	if (p->invite_expires > 0)
		sqlite3_bind_int64(st, 10, p->invite_expires);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_text(st, 11, json, -1, SQLITE_TRANSIENT);
	free(json);
	if (p->keepalive >= 0)
		sqlite3_bind_int(st, 12, p->keepalive);
	else
		sqlite3_bind_null(st, 12);
	return (db_step_done(db, st, err, "storing a peer"));
}

static int
store_cidr(struct db *db, const struct in_cidr *c, struct in_error *err)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, sql_client_cidr_insert, err)) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, c->id);
	sqlite3_bind_text(st, 2, c->name, -1, SQLITE_TRANSIENT);
	db_bind_ip(st, 3, &c->cidr.ip);
	sqlite3_bind_int(st, 4, c->cidr.len);
	if (c->parent > 0)
		sqlite3_bind_int64(st, 5, c->parent);
	else
		sqlite3_bind_null(st, 5);
	return (db_step_done(db, st, err, "storing a CIDR"));
}

/* Replace the cache with the store's rows in one transaction. */
int
db_store_commit(struct db *db, struct db_store *s, struct in_error *err)
{
	struct in_peer	 p;
	size_t		 off, i;

	if (s->failed) {
		*err = s->err;
		return (-1);
	}
	if (db->net.role != IN_ROLE_CLIENT)
		return (db_fail(err, 400, "%s is not a client network",
		    db->net.name));
	if (db_begin(db, err) == -1)
		return (-1);
	if (db_exec(db->conn, "DELETE FROM peers", err) == -1 ||
	    db_exec(db->conn, "DELETE FROM cidrs", err) == -1)
		goto fail;
	for (i = 0; i < s->ncidrs; i++)
		if (store_cidr(db, &s->cidrs[i], err) == -1)
			goto fail;
	for (off = 0; off < s->peers_len; ) {
		memcpy(&p, s->peers + off, sizeof(p));
		off += sizeof(p);
		if (store_peer(db, &p, (char *)s->peers + off, err) == -1)
			goto fail;
		off += p.candidates_len;
	}
	if (db_commit(db, err) == -1)
		goto fail;
	return (0);
 fail:
	db_rollback(db);
	return (-1);
}

int
db_client_peer_foreach(struct db *db, db_peer_cb cb, void *arg,
    struct in_error *err)
{
	struct db_peer	 dp;
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql_client_peers, err)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (db_peer_from_row(db, st, &dp, err) == -1 ||
		    cb(&dp, arg) == -1) {
			sqlite3_reset(st);
			return (-1);
		}
	}
	if (rc != SQLITE_DONE)
		db_sqlfail(db->conn, err, "listing cached peers");
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

int
db_client_cidr_foreach(struct db *db, db_cidr_cb cb, void *arg,
    struct in_error *err)
{
	struct in_cidr	 c;
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql_client_cidrs, err)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (db_cidr_from_row(db, st, &c, err) == -1 ||
		    cb(&c, arg) == -1) {
			sqlite3_reset(st);
			return (-1);
		}
	}
	if (rc != SQLITE_DONE)
		db_sqlfail(db->conn, err, "listing cached CIDRs");
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}
