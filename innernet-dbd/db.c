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
 * What every table's file shares: file layout, opening a database file
 * with our pragmas, the schema and upstream's migrations, the statement
 * cache, transactions and error mapping.  It calls none of the tables'
 * files; opening a network (its row read, or recorded from an upstream
 * database) is db_network.c's.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbd.h"

/*
 * The server schema is upstream innernet-server's, column for column and
 * constraint for constraint, so a database moves between the two.
 * Upstream creates the tables in this order.
 */
static const char *schema_server[] = {
	"CREATE TABLE peers (\n"
	"  id             INTEGER PRIMARY KEY,\n"
	"  name           TEXT NOT NULL UNIQUE,\n"
	"  ip             TEXT NOT NULL UNIQUE,\n"
	"  public_key     TEXT NOT NULL UNIQUE,\n"
	"  endpoint       TEXT,\n"
	"  cidr_id        INTEGER NOT NULL,\n"
	"  is_admin       INTEGER DEFAULT 0 NOT NULL,\n"
	"  is_disabled    INTEGER DEFAULT 0 NOT NULL,\n"
	"  is_redeemed    INTEGER DEFAULT 0 NOT NULL,\n"
	"  invite_expires INTEGER,\n"
	"  candidates     TEXT,\n"
	"  FOREIGN KEY (cidr_id) REFERENCES cidrs (id)\n"
	"    ON UPDATE RESTRICT ON DELETE RESTRICT\n"
	")",
	"CREATE TABLE associations (\n"
	"  id        INTEGER PRIMARY KEY,\n"
	"  cidr_id_1 INTEGER NOT NULL,\n"
	"  cidr_id_2 INTEGER NOT NULL,\n"
	"  UNIQUE(cidr_id_1, cidr_id_2),\n"
	"  FOREIGN KEY (cidr_id_1) REFERENCES cidrs (id)\n"
	"    ON UPDATE RESTRICT ON DELETE RESTRICT,\n"
	"  FOREIGN KEY (cidr_id_2) REFERENCES cidrs (id)\n"
	"    ON UPDATE RESTRICT ON DELETE RESTRICT\n"
	")",
	"CREATE TABLE cidrs (\n"
	"  id     INTEGER PRIMARY KEY,\n"
	"  name   TEXT NOT NULL UNIQUE,\n"
	"  ip     TEXT NOT NULL,\n"
	"  prefix INTEGER NOT NULL,\n"
	"  parent INTEGER REFERENCES cidrs,\n"
	"  UNIQUE(ip, prefix),\n"
	"  FOREIGN KEY (parent) REFERENCES cidrs (id)\n"
	"    ON UPDATE RESTRICT ON DELETE RESTRICT\n"
	")",
	NULL
};

/* Ours: what this host knows about the network.  Upstream ignores it. */
static const char *schema_network =
	"CREATE TABLE IF NOT EXISTS innernet_network (\n"
	"  id                INTEGER PRIMARY KEY CHECK (id = 1),\n"
	"  name              TEXT NOT NULL,\n"
	"  role              INTEGER NOT NULL,\n"
	"  cidr              TEXT NOT NULL,\n"
	"  address           TEXT NOT NULL,\n"
	"  listen_port       INTEGER NOT NULL DEFAULT 0,\n"
	"  server_ip         TEXT,\n"
	"  server_port       INTEGER NOT NULL DEFAULT 0,\n"
	"  public_key        TEXT NOT NULL DEFAULT '',\n"
	"  server_public_key TEXT NOT NULL DEFAULT '',\n"
	"  external_endpoint TEXT NOT NULL DEFAULT '',\n"
	"  override_endpoint TEXT NOT NULL DEFAULT '',\n"
	"  created           INTEGER NOT NULL,\n"
	"  flags             INTEGER NOT NULL DEFAULT 0,\n"
	"  fetch_interval    INTEGER NOT NULL DEFAULT 0,\n"
	"  nat_exclude       TEXT NOT NULL DEFAULT ''\n"
	")";

/*
 * Ours, in server databases: peers deleted with innernetctl delete-peer,
 * whose rows stay retired (see db_peer_delete).  Upstream ignores
 * tables it does not know.
 */
static const char *schema_deleted =
	"CREATE TABLE IF NOT EXISTS innernet_deleted_peers (\n"
	"  id      INTEGER PRIMARY KEY REFERENCES peers (id),\n"
	"  name    TEXT NOT NULL,\n"
	"  deleted INTEGER NOT NULL\n"
	")";

/*
 * The client's cache of what its server last sent: shaped like the
 * server's tables, without foreign keys (it mirrors, it does not judge)
 * and with the keepalive the server announced.
 */
static const char *schema_client[] = {
	"CREATE TABLE IF NOT EXISTS cidrs (\n"
	"  id     INTEGER PRIMARY KEY,\n"
	"  name   TEXT NOT NULL,\n"
	"  ip     TEXT NOT NULL,\n"
	"  prefix INTEGER NOT NULL,\n"
	"  parent INTEGER\n"
	")",
	"CREATE TABLE IF NOT EXISTS peers (\n"
	"  id                            INTEGER PRIMARY KEY,\n"
	"  name                          TEXT NOT NULL,\n"
	"  ip                            TEXT NOT NULL,\n"
	"  public_key                    TEXT NOT NULL,\n"
	"  endpoint                      TEXT,\n"
	"  cidr_id                       INTEGER NOT NULL,\n"
	"  is_admin                      INTEGER DEFAULT 0 NOT NULL,\n"
	"  is_disabled                   INTEGER DEFAULT 0 NOT NULL,\n"
	"  is_redeemed                   INTEGER DEFAULT 0 NOT NULL,\n"
	"  invite_expires                INTEGER,\n"
	"  candidates                    TEXT,\n"
	"  persistent_keepalive_interval INTEGER\n"
	")",
	/* override-peer-endpoint: ours, kept across fetches */
	"CREATE TABLE IF NOT EXISTS peer_endpoint_overrides (\n"
	"  public_key TEXT PRIMARY KEY,\n"
	"  endpoint   TEXT NOT NULL\n"
	")",
	NULL
};

void
dbenv_init(struct dbenv *env, const char *dir)
{
	memset(env, 0, sizeof(*env));
	if (strlcpy(env->dir, dir, sizeof(env->dir)) >= sizeof(env->dir))
		fatalx("state directory name too long: %s", dir);
	TAILQ_INIT(&env->dbs);
}

static const char *
role_dir(int role)
{
	return (role == IN_ROLE_SERVER ? DBD_SERVERDIR : DBD_CLIENTDIR);
}

/* <dir>/<server|client>/<prefix><name>.db */
int
db_path(const struct dbenv *env, int role, const char *prefix,
    const char *name, char *buf, size_t len)
{
	const char	*sep;
	int		 n;

	sep = env->dir[0] != '\0' && env->dir[strlen(env->dir) - 1] == '/' ?
	    "" : "/";
	n = snprintf(buf, len, "%s%s%s/%s%s%s", env->dir, sep, role_dir(role),
	    prefix, name, DBD_SUFFIX);
	if (n < 0 || (size_t)n >= len)
		return (-1);
	return (0);
}

struct db *
db_find(struct dbenv *env, const char *name)
{
	struct db	*db;

	TAILQ_FOREACH(db, &env->dbs, entry)
		if (strcmp(db->net.name, name) == 0)
			return (db);
	return (NULL);
}

int
db_fail(struct in_error *err, int status, const char *fmt, ...)
{
	va_list	ap;

	if (err != NULL) {
		memset(err, 0, sizeof(*err));
		err->status = status;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return (-1);
}

/*
 * As upstream maps rusqlite errors: a constraint violation is the
 * caller's fault (400), anything else is ours (500).
 */
int
db_sqlfail(sqlite3 *conn, struct in_error *err, const char *what)
{
	int	code = sqlite3_extended_errcode(conn);

	if ((code & 0xff) == SQLITE_CONSTRAINT)
		return (db_fail(err, 400, "%s: %s", what,
		    sqlite3_errmsg(conn)));
	log_warnx("database: %s: %s", what, sqlite3_errmsg(conn));
	return (db_fail(err, 500, "database error: %s: %s", what,
	    sqlite3_errmsg(conn)));
}

int
db_exec(sqlite3 *conn, const char *sql, struct in_error *err)
{
	if (sqlite3_exec(conn, sql, NULL, NULL, NULL) != SQLITE_OK)
		return (db_sqlfail(conn, err, "statement"));
	return (0);
}

/* A cached statement, reset and with no bindings. */
sqlite3_stmt *
db_stmt(struct db *db, const char *sql, struct in_error *err)
{
	int	i;

	for (i = 0; i < DBD_MAXSTMTS && db->stmts[i].sql != NULL; i++) {
		if (db->stmts[i].sql == sql) {
			sqlite3_reset(db->stmts[i].stmt);
			sqlite3_clear_bindings(db->stmts[i].stmt);
			return (db->stmts[i].stmt);
		}
	}
	if (i == DBD_MAXSTMTS)
		fatalx("statement cache full");
	if (sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &db->stmts[i].stmt, NULL) != SQLITE_OK) {
		db_sqlfail(db->conn, err, "prepare");
		return (NULL);
	}
	db->stmts[i].sql = sql;
	return (db->stmts[i].stmt);
}

int
db_step_done(struct db *db, sqlite3_stmt *st, struct in_error *err,
    const char *what)
{
	int	rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_sqlfail(db->conn, err, what);
		sqlite3_reset(st);
		return (-1);
	}
	sqlite3_reset(st);
	return (0);
}

int
db_begin(struct db *db, struct in_error *err)
{
	if (sqlite3_exec(db->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return (db_sqlfail(db->conn, err, "begin"));
	return (0);
}

int
db_commit(struct db *db, struct in_error *err)
{
	if (sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_sqlfail(db->conn, err, "commit");
		db_rollback(db);
		return (-1);
	}
	return (0);
}

void
db_rollback(struct db *db)
{
	int	i;

	/* a statement left mid-step would keep the transaction busy */
	for (i = 0; i < DBD_MAXSTMTS && db->stmts[i].sql != NULL; i++)
		sqlite3_reset(db->stmts[i].stmt);
	if (!sqlite3_get_autocommit(db->conn) &&
	    sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		log_warnx("%s: rollback: %s", db->net.name,
		    sqlite3_errmsg(db->conn));
}

int
db_bind_text(sqlite3_stmt *st, int col, const char *s)
{
	if (s == NULL || s[0] == '\0')
		return (sqlite3_bind_null(st, col) == SQLITE_OK ? 0 : -1);
	return (sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT) ==
	    SQLITE_OK ? 0 : -1);
}

int
db_bind_ip(sqlite3_stmt *st, int col, const struct in_ip *ip)
{
	char	buf[IN_ADDRSTRSZ];

	if (in_ip_str(ip, buf, sizeof(buf)) == -1)
		return (-1);
	return (db_bind_text(st, col, buf));
}

/* NULL reads as "", too long is an error. */
int
db_column_text(sqlite3_stmt *st, int col, char *buf, size_t len)
{
	const unsigned char	*s;

	if ((s = sqlite3_column_text(st, col)) == NULL) {
		buf[0] = '\0';
		return (0);
	}
	if ((size_t)sqlite3_column_bytes(st, col) >= len ||
	    strlen((const char *)s) != (size_t)sqlite3_column_bytes(st, col))
		return (-1);
	memcpy(buf, s, sqlite3_column_bytes(st, col) + 1);
	return (0);
}

int
db_column_ip(sqlite3_stmt *st, int col, struct in_ip *ip)
{
	char	buf[IN_ADDRSTRSZ];

	if (db_column_text(st, col, buf, sizeof(buf)) == -1)
		return (-1);
	return (in_ip_parse(buf, ip));
}

static int
schema_create(sqlite3 *conn, const char **tables, struct in_error *err)
{
	int	i;

	for (i = 0; tables[i] != NULL; i++)
		if (db_exec(conn, tables[i], err) == -1)
			return (-1);
	return (db_exec(conn, schema_network, err));
}

int
db_schema_server(sqlite3 *conn, struct in_error *err)
{
	if (schema_create(conn, schema_server, err) == -1 ||
	    db_exec(conn, schema_deleted, err) == -1)
		return (-1);
	return (db_exec(conn, "PRAGMA user_version = 2", err));
}

int
db_schema_client(sqlite3 *conn, struct in_error *err)
{
	if (schema_create(conn, schema_client, err) == -1)
		return (-1);
	return (db_exec(conn, "PRAGMA user_version = 2", err));
}

static int
pragma_int(sqlite3 *conn, const char *sql, int *val, struct in_error *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK)
		return (db_sqlfail(conn, err, sql));
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return (db_sqlfail(conn, err, sql));
	}
	*val = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (0);
}

static int
table_exists(sqlite3 *conn, const char *table, int *exists,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(conn, "SELECT COUNT(*) FROM sqlite_master "
	    "WHERE type = 'table' AND name = ?1", -1, &st, NULL) != SQLITE_OK)
		return (db_sqlfail(conn, err, "sqlite_master"));
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return (db_sqlfail(conn, err, "sqlite_master"));
	}
	*exists = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	return (0);
}

/*
 * Upstream's auto_migrate: version 1 added invite_expires, version 2 the
 * candidates.  A database written by an upstream server opens as is.
 * Run inside the caller's transaction; *version is what the database
 * was, and *network says whether it had our network table: when it had
 * not, the table is made here and the caller fills its row from what
 * the database says.
 */
int
db_migrate_server(struct db *db, const char *name, int *version,
    int *network, struct in_error *err)
{
	int	exists;

	if (pragma_int(db->conn, "PRAGMA user_version", version, err) == -1)
		return (-1);
	if (*version > IN_DB_VERSION)
		return (db_fail(err, 500, "%s: database version %d is newer "
		    "than %d", name, *version, IN_DB_VERSION));
	if (table_exists(db->conn, "peers", &exists, err) == -1)
		return (-1);
	if (!exists)
		return (db_fail(err, 500, "%s: not an innernet server "
		    "database (no peers table)", name));
	if (*version < 1 && db_exec(db->conn,
	    "ALTER TABLE peers ADD COLUMN invite_expires INTEGER", err) == -1)
		return (-1);
	if (*version < 2 && db_exec(db->conn,
	    "ALTER TABLE peers ADD COLUMN candidates TEXT", err) == -1)
		return (-1);
	if (*version != IN_DB_VERSION && db_exec(db->conn,
	    "PRAGMA user_version = 2", err) == -1)
		return (-1);
	if (db_exec(db->conn, schema_deleted, err) == -1)
		return (-1);
	if (table_exists(db->conn, "innernet_network", network, err) == -1)
		return (-1);
	if (!*network && db_exec(db->conn, schema_network, err) == -1)
		return (-1);
	return (0);
}

int
db_migrate_client(struct db *db, struct in_error *err)
{
	if (db_begin(db, err) == -1)
		return (-1);
	if (schema_create(db->conn, schema_client, err) == -1) {
		db_rollback(db);
		return (-1);
	}
	return (db_commit(db, err));
}

/* Wrap a connection; pragmas every connection of ours runs with. */
struct db *
db_wrap(sqlite3 *conn, const char *path, struct in_error *err)
{
	struct db	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		sqlite3_close_v2(conn);
		db_fail(err, 500, "out of memory");
		return (NULL);
	}
	db->conn = conn;
	strlcpy(db->path, path, sizeof(db->path));
	sqlite3_busy_timeout(conn, DBD_BUSY_TIMEOUT);
	sqlite3_extended_result_codes(conn, 1);
	/*
	 * A small page cache: at 10,000 peers SQLite's default 2 MB would
	 * hold the whole database, which the kernel's page cache already
	 * does; the B-trees' inner pages, what every change walks, fit.
	 */
	if (db_exec(conn, "PRAGMA foreign_keys = ON", err) == -1 ||
	    db_exec(conn, "PRAGMA cache_size = -" DBD_CACHE_KB, err) == -1 ||
	    db_exec(conn, "PRAGMA temp_store = MEMORY", err) == -1 ||
	    db_exec(conn, "PRAGMA trusted_schema = OFF", err) == -1) {
		db_close(db);
		return (NULL);
	}
	return (db);
}

/*
 * Open an existing database file with the pragmas of ours; db_open()
 * (db_network.c) then brings it to the current version.
 */
struct db *
db_open_file(const char *path, struct in_error *err)
{
	sqlite3		*conn = NULL;
	struct db	*db;
	int		 fk;

	if (sqlite3_open_v2(path, &conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (conn == NULL) {
			db_fail(err, 500, "%s: out of memory", path);
			return (NULL);
		}
		db_fail(err, 500, "%s: %s", path, sqlite3_errmsg(conn));
		sqlite3_close_v2(conn);
		return (NULL);
	}
	if ((db = db_wrap(conn, path, err)) == NULL)
		return (NULL);
	/* durable once acknowledged */
	if (db_exec(conn, "PRAGMA journal_mode = WAL", err) == -1 ||
	    db_exec(conn, "PRAGMA synchronous = FULL", err) == -1)
		goto fail;
	if (pragma_int(conn, "PRAGMA foreign_keys", &fk, err) == -1)
		goto fail;
	if (!fk) {
		db_fail(err, 500, "%s: SQLite without foreign keys", path);
		goto fail;
	}
	return (db);
 fail:
	db_close(db);
	return (NULL);
}

void
db_close(struct db *db)
{
	int	i;

	if (db == NULL)
		return;
	for (i = 0; i < DBD_MAXSTMTS && db->stmts[i].sql != NULL; i++)
		sqlite3_finalize(db->stmts[i].stmt);
	if (sqlite3_close(db->conn) != SQLITE_OK)
		log_warnx("%s: close: %s", db->path, sqlite3_errmsg(db->conn));
	free(db);
}

int
db_fsync_dir(const char *dir)
{
	int	fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	if (fsync(fd) == -1 && errno != EINVAL)
		rc = -1;
	close(fd);
	return (rc);
}
