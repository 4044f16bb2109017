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
 * Associations: pairs of CIDRs whose peers see each other.  A pair is
 * unordered, so (a, b) and (b, a) are the same association.
 */

#include <sys/types.h>

#include <string.h>

#include "dbd.h"

static const char *sql_assoc_list =
	"SELECT id, cidr_id_1, cidr_id_2 FROM associations ORDER BY id";
static const char *sql_assoc_get =
	"SELECT id, cidr_id_1, cidr_id_2 FROM associations WHERE id = ?1";
static const char *sql_assoc_dup =
	"SELECT COUNT(*) FROM associations WHERE "
	"(cidr_id_1 = ?1 AND cidr_id_2 = ?2) OR "
	"(cidr_id_1 = ?2 AND cidr_id_2 = ?1)";
static const char *sql_assoc_cidrs =
	"SELECT COUNT(*) FROM cidrs WHERE id = ?1 OR id = ?2";
static const char *sql_assoc_insert =
	"INSERT INTO associations (cidr_id_1, cidr_id_2) VALUES (?1, ?2)";
static const char *sql_assoc_delete =
	"DELETE FROM associations WHERE id = ?1";

static void
assoc_from_row(sqlite3_stmt *st, struct in_assoc *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->cidr_id_1 = sqlite3_column_int64(st, 1);
	a->cidr_id_2 = sqlite3_column_int64(st, 2);
}

int
db_assoc_foreach(struct db *db, db_assoc_cb cb, void *arg,
    struct in_error *err)
{
	struct in_assoc	 a;
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql_assoc_list, err)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		assoc_from_row(st, &a);
		if (cb(&a, arg) == -1) {
			sqlite3_reset(st);
			return (-1);
		}
	}
	if (rc != SQLITE_DONE)
		db_sqlfail(db->conn, err, "listing associations");
	sqlite3_reset(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

static int
assoc_get(struct db *db, int64_t id, struct in_assoc *a,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_stmt(db, sql_assoc_get, err)) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		assoc_from_row(st, a);
	else if (rc == SQLITE_DONE)
		db_fail(err, 404, "no association %lld", (long long)id);
	else
		db_sqlfail(db->conn, err, "reading an association");
	sqlite3_reset(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

static int
count2(struct db *db, const char *sql, int64_t a, int64_t b, int64_t *n,
    struct in_error *err)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, sql, err)) == NULL)
		return (-1);
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_sqlfail(db->conn, err, "count");
		sqlite3_reset(st);
		return (-1);
	}
	*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return (0);
}

/* upstream: no duplicate in either order, both CIDRs exist (and differ) */
int
db_assoc_add(struct db *db, const struct in_assoc *a, struct in_assoc *out,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	int64_t		 n, id;

	if (db->net.role != IN_ROLE_SERVER)
		return (db_fail(err, 400, "%s is not a server network",
		    db->net.name));
	if (db_begin(db, err) == -1)
		return (-1);
	if (count2(db, sql_assoc_dup, a->cidr_id_1, a->cidr_id_2, &n,
	    err) == -1)
		goto fail;
	if (n > 0) {
		db_fail(err, 400, "CIDRs %lld and %lld are associated already",
		    (long long)a->cidr_id_1, (long long)a->cidr_id_2);
		goto fail;
	}
	if (count2(db, sql_assoc_cidrs, a->cidr_id_1, a->cidr_id_2, &n,
	    err) == -1)
		goto fail;
	if (n != 2) {
		db_fail(err, 400, "an association needs two existing, "
		    "different CIDRs");
		goto fail;
	}
	if ((st = db_stmt(db, sql_assoc_insert, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, a->cidr_id_1);
	sqlite3_bind_int64(st, 2, a->cidr_id_2);
	if (db_step_done(db, st, err, "adding the association") == -1)
		goto fail;
	id = sqlite3_last_insert_rowid(db->conn);
	if (assoc_get(db, id, out, err) == -1 || db_commit(db, err) == -1)
		goto fail;
	return (0);
 fail:
	db_rollback(db);
	return (-1);
}

int
db_assoc_delete(struct db *db, int64_t id, struct in_error *err)
{
	struct in_assoc	 cur;
	sqlite3_stmt	*st;

	if (db->net.role != IN_ROLE_SERVER)
		return (db_fail(err, 400, "%s is not a server network",
		    db->net.name));
	if (db_begin(db, err) == -1)
		return (-1);
	if (assoc_get(db, id, &cur, err) == -1)
		goto fail;
	if ((st = db_stmt(db, sql_assoc_delete, err)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	if (db_step_done(db, st, err, "deleting the association") == -1 ||
	    db_commit(db, err) == -1)
		goto fail;
	return (0);
 fail:
	db_rollback(db);
	return (-1);
}
