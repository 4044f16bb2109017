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
 * The version of a server network's state that watching clients name:
 * an epoch (drawn by the engine the first time, then kept here for
 * good) and the ceiling of the counter the engine has reserved.  One row
 * of a table of our own; upstream's innernet-server ignores it.
 */

#include <sys/types.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbd.h"

static const char *sql_version_table =
	"CREATE TABLE IF NOT EXISTS innernet_version (\n"
	"  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
	"  epoch TEXT NOT NULL,\n"
	"  counter INTEGER NOT NULL\n"
	")";
static const char *sql_version_read =
	"SELECT epoch, counter FROM innernet_version WHERE id = 1";
static const char *sql_version_insert =
	"INSERT INTO innernet_version (id, epoch, counter) VALUES (1, ?1, ?2)";
/* the counter never goes back, whatever the engine says */
static const char *sql_version_update =
	"UPDATE innernet_version SET counter = max(counter, ?1) WHERE id = 1";

static int
version_table(struct db *db, struct in_error *err)
{
	if (db->net.role != IN_ROLE_SERVER)
		return (db_fail(err, 400, "%s is not a server network",
		    db->net.name));
	return (db_exec(db->conn, sql_version_table, err));
}

/*
 * The stored version; a database without one takes the epoch proposed
 * in *v and counter 0.
 */
int
db_version_get(struct db *db, struct in_version *v, struct in_error *err)
{
	sqlite3_stmt	*st;
	char		 epoch[32], *end;
	int		 rc;

	if (version_table(db, err) == -1)
		return (-1);
	if ((st = db_stmt(db, sql_version_read, err)) == NULL)
		return (-1);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (db_column_text(st, 0, epoch, sizeof(epoch)) == -1) {
			sqlite3_reset(st);
			return (db_fail(err, 500, "bad version epoch"));
		}
		v->epoch = strtoull(epoch, &end, 16);
		v->counter = (uint64_t)sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		if (*end != '\0' || v->epoch == 0)
			return (db_fail(err, 500, "bad version epoch"));
		return (0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return (db_sqlfail(db->conn, err, "version"));
	if (v->epoch == 0)
		return (db_fail(err, 400, "no epoch proposed"));
	v->counter = 0;
	snprintf(epoch, sizeof(epoch), "%016" PRIx64, v->epoch);
	if ((st = db_stmt(db, sql_version_insert, err)) == NULL ||
	    db_bind_text(st, 1, epoch) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, 0) != SQLITE_OK)
		return (db_sqlfail(db->conn, err, "version"));
	return (db_step_done(db, st, err, "version"));
}

int
db_version_set(struct db *db, const struct in_version *v,
    struct in_error *err)
{
	sqlite3_stmt	*st;

	if (v->counter > INT64_MAX)
		return (db_fail(err, 400, "version counter out of range"));
	if (version_table(db, err) == -1)
		return (-1);
	if ((st = db_stmt(db, sql_version_update, err)) == NULL ||
	    sqlite3_bind_int64(st, 1, (int64_t)v->counter) != SQLITE_OK)
		return (db_sqlfail(db->conn, err, "version"));
	if (db_step_done(db, st, err, "version") == -1)
		return (-1);
	if (sqlite3_changes(db->conn) != 1)
		return (db_fail(err, 404, "no version to advance"));
	return (0);
}
