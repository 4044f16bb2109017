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
 * innernet-dbd: the databases.  Everything below dbd.c works without
 * imsg, so the unit test drives it directly on a scratch directory.
 */

#ifndef DBD_H
#define DBD_H

#include <sys/queue.h>

#include <sqlite3.h>

#include "innernet.h"

#define DBD_SERVERDIR		"server"
#define DBD_CLIENTDIR		"client"
#define DBD_SUFFIX		".db"
#define DBD_TMPPREFIX		".new-"
#define DBD_BUSY_TIMEOUT	5000	/* milliseconds */
#define DBD_CACHE_KB		"512"	/* SQLite page cache per database */
/* prepared statements per database */
#define DBD_MAXSTMTS		64
/*
 * A client store buffers its rows until STORE_END; beyond this many
 * the store fails instead of eating memory.
 */
#define DBD_STORE_MAXROWS	100000
#define DBD_STORE_MAXBYTES	(64 * 1024 * 1024)
#define DBD_MAXSTORES		(2 * IN_MAXNETWORKS)

/* One network's database. */
struct db {
	TAILQ_ENTRY(db)		 entry;
	sqlite3			*conn;
	struct in_network	 net;	/* the innernet_network row */
	char			 path[IN_PATHSZ * 2];
	struct {
		const char	*sql;
		sqlite3_stmt	*stmt;
	}			 stmts[DBD_MAXSTMTS];
};
TAILQ_HEAD(db_list, db);

/* All databases under one state directory. */
struct dbenv {
	char		dir[IN_PATHSZ];	/* "" once chrooted */
	struct db_list	dbs;
};

/* A peer row with its candidates, as it travels in imsgs. */
struct db_peer {
	struct in_peer	p;
	char		cand[IN_CANDIDATES_MAXLEN];
};

typedef int	(*db_peer_cb)(const struct db_peer *, void *);
typedef int	(*db_cidr_cb)(const struct in_cidr *, void *);
typedef int	(*db_assoc_cb)(const struct in_assoc *, void *);

/* db.c: files, schema, migrations, transactions, errors */
void		 dbenv_init(struct dbenv *, const char *);
struct db	*db_find(struct dbenv *, const char *);
int		 db_path(const struct dbenv *, int, const char *,
		    const char *, char *, size_t);
struct db	*db_open_file(const char *, struct in_error *);
struct db	*db_wrap(sqlite3 *, const char *, struct in_error *);
void		 db_close(struct db *);
int		 db_schema_server(sqlite3 *, struct in_error *);
int		 db_schema_client(sqlite3 *, struct in_error *);
int		 db_migrate_server(struct db *, const char *, int *, int *,
		    struct in_error *);
int		 db_migrate_client(struct db *, struct in_error *);
sqlite3_stmt	*db_stmt(struct db *, const char *, struct in_error *);
int		 db_exec(sqlite3 *, const char *, struct in_error *);
int		 db_begin(struct db *, struct in_error *);
int		 db_commit(struct db *, struct in_error *);
void		 db_rollback(struct db *);
int		 db_fail(struct in_error *, int, const char *, ...)
		    __attribute__((__format__ (printf, 3, 4)));
int		 db_sqlfail(sqlite3 *, struct in_error *, const char *);
int		 db_step_done(struct db *, sqlite3_stmt *, struct in_error *,
		    const char *);
/* db_bind_text binds "" as NULL, as upstream stores a missing endpoint */
int		 db_bind_text(sqlite3_stmt *, int, const char *);
int		 db_bind_ip(sqlite3_stmt *, int, const struct in_ip *);
int		 db_column_text(sqlite3_stmt *, int, char *, size_t);
int		 db_column_ip(sqlite3_stmt *, int, struct in_ip *);
int		 db_fsync_dir(const char *);

/* db_version.c: the version watching clients name (server role) */
int		 db_version_get(struct db *, struct in_version *,
		    struct in_error *);
int		 db_version_set(struct db *, const struct in_version *,
		    struct in_error *);

/* db_network.c: the innernet_network row and whole networks */
int		 dbenv_open_all(struct dbenv *);
void		 dbenv_close_all(struct dbenv *);
struct db	*db_open(const char *, int, const char *, struct in_error *);
int		 db_network_read(sqlite3 *, const char *,
		    struct in_network *, struct in_error *);
int		 db_network_write(sqlite3 *, const struct in_network *,
		    struct in_error *);
int		 db_network_ok(const struct in_network *, struct in_error *);
int		 db_network_from_upstream(struct db *, const char *,
		    struct in_network *, struct in_error *);
int		 db_network_create(struct dbenv *,
		    const struct in_netcreate *, struct in_network *,
		    struct in_error *);
int		 db_network_update(struct dbenv *, const struct in_network *,
		    struct in_network *, struct in_error *);
int		 db_network_import(struct dbenv *, const struct in_network *,
		    struct in_network *, struct in_error *);
int		 db_network_delete(struct dbenv *, const char *,
		    struct in_error *);

/* db_peer.c */
int		 db_peer_get(struct db *, int64_t, struct db_peer *,
		    struct in_error *);
int		 db_peer_foreach(struct db *, db_peer_cb, void *,
		    struct in_error *);
int		 db_peer_from_row(struct db *, sqlite3_stmt *,
		    struct db_peer *, struct in_error *);
int		 db_peer_add(struct db *, const struct in_peer *,
		    const void *, size_t, struct db_peer *, struct in_error *);
int		 db_peer_insert(struct db *, const struct in_peer *,
		    const void *, size_t, int64_t *, struct in_error *);
int		 db_peer_update(struct db *, const struct in_peer *,
		    const void *, size_t, struct db_peer *, struct in_error *);
int		 db_peer_redeem(struct db *, int64_t, const char *, int64_t,
		    struct db_peer *, struct in_error *);
int		 db_client_override_set(struct db *,
		    const struct in_override *, struct in_error *);
int		 db_client_override_foreach(struct db *,
		    int (*)(const struct in_override *, void *), void *,
		    struct in_error *);
int		 db_peer_delete(struct db *, int64_t, int64_t,
		    struct db_peer *, struct in_error *);
int		 db_peer_sweep(struct db *, int64_t, int64_t **, size_t *,
		    struct in_error *);
int		 db_ip_assignable(const struct in_prefix *,
		    const struct in_ip *);
int		 db_peer_row_ok(const struct in_peer *, const void *, size_t,
		    struct in_error *);
char		*db_candidates_json(const char *, size_t,
		    struct in_error *);
int		 db_candidates_parse(const char *, struct db_peer *);

/* db_cidr.c */
int		 db_cidr_get(struct db *, int64_t, struct in_cidr *,
		    struct in_error *);
int		 db_cidr_foreach(struct db *, db_cidr_cb, void *,
		    struct in_error *);
int		 db_cidr_from_row(struct db *, sqlite3_stmt *,
		    struct in_cidr *, struct in_error *);
int		 db_cidr_add(struct db *, const struct in_cidr *,
		    struct in_cidr *, struct in_error *);
int		 db_cidr_insert(struct db *, const struct in_cidr *,
		    int64_t *, struct in_error *);
int		 db_cidr_update(struct db *, const struct in_cidr *,
		    struct in_cidr *, struct in_error *);
int		 db_cidr_delete(struct db *, int64_t, struct in_error *);
int		 db_cidr_name_ok(const char *);
int		 db_prefix_ok(const struct in_prefix *);

/* db_assoc.c */
int		 db_assoc_foreach(struct db *, db_assoc_cb, void *,
		    struct in_error *);
int		 db_assoc_add(struct db *, const struct in_assoc *,
		    struct in_assoc *, struct in_error *);
int		 db_assoc_delete(struct db *, int64_t, struct in_error *);

/* db_client.c: the client role's cache of the server's state */
struct db_store {
	TAILQ_ENTRY(db_store)	 entry;
	uint32_t		 id;
	char			 network[IN_IFNAMSZ];
	int			 failed;
	struct in_error		 err;
	size_t			 nrows;
	/* peer records: struct in_peer then its candidates, packed */
	unsigned char		*peers;
	size_t			 peers_len, peers_cap;
	struct in_cidr		*cidrs;
	size_t			 ncidrs, cidrs_cap;
};

struct db_store	*db_store_new(uint32_t, const char *);
void		 db_store_free(struct db_store *);
void		 db_store_add_peer(struct db_store *,
		    const struct in_peer *, const void *, size_t);
void		 db_store_add_cidr(struct db_store *,
		    const struct in_cidr *);
int		 db_store_commit(struct db *, struct db_store *,
		    struct in_error *);
int		 db_client_peer_foreach(struct db *, db_peer_cb, void *,
		    struct in_error *);
int		 db_client_cidr_foreach(struct db *, db_cidr_cb, void *,
		    struct in_error *);

#endif /* DBD_H */
