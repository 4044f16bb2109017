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
 * Whole networks: the innernet_network row, opening every network's
 * database at start (upstream's migrations, the row read), creating a
 * network the way `innernet-server new` does, updating and deleting it.
 * db.c below holds the SQLite helpers and the schema, and calls nothing
 * here.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dbd.h"

#define SERVER_NAME	"innernet-server"

static const char *sql_network_read =
	"SELECT name, role, cidr, address, listen_port, server_ip, "
	"server_port, public_key, server_public_key, external_endpoint, "
	"override_endpoint, created, flags, fetch_interval, nat_exclude "
	"FROM innernet_network WHERE id = 1";

static const char *sql_network_write =
	"INSERT OR REPLACE INTO innernet_network (id, name, role, cidr, "
	"address, listen_port, server_ip, server_port, public_key, "
	"server_public_key, external_endpoint, override_endpoint, created, "
	"flags, fetch_interval, nat_exclude) VALUES (1, ?1, ?2, ?3, ?4, ?5, "
	"?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";

/* nat_exclude is stored as CIDRs separated by spaces. */
static int
exclude_parse(const char *text, struct in_network *net)
{
	char	buf[IN_MAXNATEXCLUDE * IN_CIDRSTRSZ], *s, *p;

	net->nexclude = 0;
	if (text == NULL || *text == '\0')
		return (0);
	if (strlcpy(buf, text, sizeof(buf)) >= sizeof(buf))
		return (-1);
	for (s = buf; (p = strsep(&s, " ")) != NULL;) {
		if (*p == '\0')
			continue;
		if (net->nexclude == IN_MAXNATEXCLUDE ||
		    in_prefix_parse(p, &net->nat_exclude[net->nexclude]) == -1)
			return (-1);
		net->nexclude++;
	}
	return (0);
}

static void
exclude_format(const struct in_network *net, char *buf, size_t len)
{
	char	c[IN_CIDRSTRSZ];
	int	i;

	buf[0] = '\0';
	for (i = 0; i < net->nexclude && i < IN_MAXNATEXCLUDE; i++) {
		if (in_prefix_str(&net->nat_exclude[i], c, sizeof(c)) == -1)
			continue;
		if (buf[0] != '\0')
			strlcat(buf, " ", len);
		strlcat(buf, c, len);
	}
}

static int
ip_ok(const struct in_ip *ip)
{
	return (ip->af == AF_INET || ip->af == AF_INET6);
}

static int
column_str(sqlite3_stmt *st, int col, char *buf, size_t len)
{
	return (db_column_text(st, col, buf, len));
}

int
db_network_read(sqlite3 *conn, const char *name, struct in_network *net,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	char		 buf[IN_CIDRSTRSZ];
	int		 rc, role;
	int64_t		 port, sport, flags;

	memset(net, 0, sizeof(*net));
	if (sqlite3_prepare_v2(conn, sql_network_read, -1, &st, NULL) !=
	    SQLITE_OK)
		return (db_sqlfail(conn, err, "reading the network"));
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return (db_fail(err, 500, "%s: no network row",
			    name));
		return (db_sqlfail(conn, err, "reading the network"));
	}
	role = sqlite3_column_int(st, 1);
	port = sqlite3_column_int64(st, 4);
	sport = sqlite3_column_int64(st, 6);
	if (column_str(st, 0, net->name, sizeof(net->name)) == -1 ||
	    strcmp(net->name, name) != 0)
		goto bad;
	if (role != IN_ROLE_SERVER && role != IN_ROLE_CLIENT)
		goto bad;
	net->role = (uint8_t)role;
	if (column_str(st, 2, buf, sizeof(buf)) == -1 ||
	    in_prefix_parse(buf, &net->net) == -1)
		goto bad;
	if (db_column_ip(st, 3, &net->address) == -1)
		goto bad;
	if (port < 0 || port > 65535 || sport < 0 || sport > 65535)
		goto bad;
	net->listen_port = (uint16_t)port;
	net->server_port = (uint16_t)sport;
	if (sqlite3_column_type(st, 5) != SQLITE_NULL &&
	    db_column_ip(st, 5, &net->server_ip) == -1)
		goto bad;
	if (column_str(st, 7, net->public_key, sizeof(net->public_key)) ==
	    -1 || column_str(st, 8, net->server_public_key,
	    sizeof(net->server_public_key)) == -1 ||
	    column_str(st, 9, net->external_endpoint,
	    sizeof(net->external_endpoint)) == -1 ||
	    column_str(st, 10, net->override_endpoint,
	    sizeof(net->override_endpoint)) == -1)
		goto bad;
	net->created = sqlite3_column_int64(st, 11);
	flags = sqlite3_column_int64(st, 12);
	if (flags < 0 || flags > IN_NETF_ALL)
		goto bad;
	net->flags = (uint8_t)flags;
	flags = sqlite3_column_int64(st, 13);
	if (flags < 0 || flags > IN_MAXFETCHINTERVAL)
		goto bad;
	net->fetch_interval = (uint32_t)flags;
	if (exclude_parse((const char *)sqlite3_column_text(st, 14), net) ==
	    -1)
		goto bad;
	sqlite3_finalize(st);
	return (0);
 bad:
	sqlite3_finalize(st);
	return (db_fail(err, 500, "%s: the network row is damaged", name));
}

static int
bind_str(sqlite3_stmt *st, int col, const char *s)
{
	return (sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT));
}

int
db_network_write(sqlite3 *conn, const struct in_network *net,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	char		 cidr[IN_CIDRSTRSZ], addr[IN_ADDRSTRSZ];
	char		 sip[IN_ADDRSTRSZ];
	char		 excl[IN_MAXNATEXCLUDE * IN_CIDRSTRSZ];
	int		 rc;

	if (in_prefix_str(&net->net, cidr, sizeof(cidr)) == -1 ||
	    in_ip_str(&net->address, addr, sizeof(addr)) == -1)
		return (db_fail(err, 400, "bad network prefix or address"));
	if (sqlite3_prepare_v2(conn, sql_network_write, -1, &st, NULL) !=
	    SQLITE_OK)
		return (db_sqlfail(conn, err, "writing the network"));
	bind_str(st, 1, net->name);
	sqlite3_bind_int(st, 2, net->role);
	bind_str(st, 3, cidr);
	bind_str(st, 4, addr);
	sqlite3_bind_int(st, 5, net->listen_port);
	if (ip_ok(&net->server_ip) &&
	    in_ip_str(&net->server_ip, sip, sizeof(sip)) == 0)
		bind_str(st, 6, sip);
	else
		sqlite3_bind_null(st, 6);
	sqlite3_bind_int(st, 7, net->server_port);
	bind_str(st, 8, net->public_key);
	bind_str(st, 9, net->server_public_key);
	bind_str(st, 10, net->external_endpoint);
	bind_str(st, 11, net->override_endpoint);
	sqlite3_bind_int64(st, 12, net->created);
	sqlite3_bind_int(st, 13, net->flags);
	sqlite3_bind_int64(st, 14, net->fetch_interval);
	exclude_format(net, excl, sizeof(excl));
	bind_str(st, 15, excl);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return (db_sqlfail(conn, err, "writing the network"));
	return (0);
}

/* Every field of a network as the engine sends it. */
int
db_network_ok(const struct in_network *n, struct in_error *err)
{
	int	i;

	if (!in_str_ok(n->name) || !in_str_ok(n->public_key) ||
	    !in_str_ok(n->server_public_key) ||
	    !in_str_ok(n->external_endpoint) ||
	    !in_str_ok(n->override_endpoint))
		return (db_fail(err, 400, "unterminated string in network"));
	if (!in_ifname_ok(n->name))
		return (db_fail(err, 400, "invalid network name"));
	if (n->role != IN_ROLE_SERVER && n->role != IN_ROLE_CLIENT)
		return (db_fail(err, 400, "%s: unknown role %u", n->name,
		    n->role));
	if ((n->flags & ~IN_NETF_ALL) != 0)
		return (db_fail(err, 400, "%s: unknown flags", n->name));
	if (n->fetch_interval > IN_MAXFETCHINTERVAL ||
	    n->nexclude > IN_MAXNATEXCLUDE)
		return (db_fail(err, 400, "%s: invalid fetch interval or NAT "
		    "exclusions", n->name));
	for (i = 0; i < n->nexclude; i++)
		if (!db_prefix_ok(&n->nat_exclude[i]))
			return (db_fail(err, 400, "%s: invalid NAT exclusion",
			    n->name));
	if (!db_prefix_ok(&n->net))
		return (db_fail(err, 400, "%s: invalid network CIDR",
		    n->name));
	if (n->public_key[0] != '\0' && !in_key_ok(n->public_key))
		return (db_fail(err, 400, "%s: invalid public key", n->name));
	if (n->server_public_key[0] != '\0' &&
	    !in_key_ok(n->server_public_key))
		return (db_fail(err, 400, "%s: invalid server public key",
		    n->name));
	if (n->external_endpoint[0] != '\0' &&
	    !in_endpoint_ok(n->external_endpoint))
		return (db_fail(err, 400, "%s: invalid external endpoint",
		    n->name));
	if (n->override_endpoint[0] != '\0' &&
	    !in_endpoint_ok(n->override_endpoint))
		return (db_fail(err, 400, "%s: invalid override endpoint",
		    n->name));
	if (n->server_ip.af != 0 && (!ip_ok(&n->server_ip) ||
	    !in_prefix_contains(&n->net, &n->server_ip)))
		return (db_fail(err, 400, "%s: server address outside of "
		    "the network", n->name));
	if (n->role == IN_ROLE_SERVER && n->public_key[0] == '\0')
		return (db_fail(err, 400, "%s: a server needs its public "
		    "key", n->name));
	if (n->role == IN_ROLE_SERVER && n->external_endpoint[0] == '\0')
		return (db_fail(err, 400, "%s: a server needs its external "
		    "endpoint", n->name));
	if (n->role == IN_ROLE_CLIENT && n->server_public_key[0] == '\0')
		return (db_fail(err, 400, "%s: a client needs the server's "
		    "public key", n->name));
	return (0);
}

/*
 * A database made by upstream innernet-server has no network row: the
 * root CIDR and the server peer (id 1 both) say what it needs.  The
 * listen port is upstream's configuration, not the database; the
 * external endpoint's port is the best guess.
 */
static const char *sql_upstream_root =
	"SELECT ip, prefix FROM cidrs WHERE id = 1";
static const char *sql_upstream_server =
	"SELECT ip, public_key, endpoint FROM peers WHERE id = 1";

int
db_network_from_upstream(struct db *db, const char *name,
    struct in_network *net, struct in_error *err)
{
	sqlite3_stmt	*st;
	uint16_t	 port;
	int		 prefix;

	memset(net, 0, sizeof(*net));
	strlcpy(net->name, name, sizeof(net->name));
	net->role = IN_ROLE_SERVER;
	net->created = time(NULL);

	if ((st = db_stmt(db, sql_upstream_root, err)) == NULL)
		return (-1);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return (db_fail(err, 500, "%s: no root CIDR", name));
	}
	prefix = sqlite3_column_int(st, 1);
	if (db_column_ip(st, 0, &net->net.ip) == -1 || prefix < 0 ||
	    prefix > (net->net.ip.af == AF_INET ? 32 : 128)) {
		sqlite3_reset(st);
		return (db_fail(err, 500, "%s: bad root CIDR", name));
	}
	net->net.len = (uint8_t)prefix;
	sqlite3_reset(st);

	if ((st = db_stmt(db, sql_upstream_server, err)) == NULL)
		return (-1);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return (db_fail(err, 500, "%s: no server peer", name));
	}
	if (db_column_ip(st, 0, &net->address) == -1 ||
	    db_column_text(st, 1, net->public_key,
	    sizeof(net->public_key)) == -1) {
		sqlite3_reset(st);
		return (db_fail(err, 500, "%s: bad server peer", name));
	}
	if (db_column_text(st, 2, net->external_endpoint,
	    sizeof(net->external_endpoint)) == -1)
		net->external_endpoint[0] = '\0';
	sqlite3_reset(st);
	if (in_endpoint_parse(net->external_endpoint, NULL, 0, &port) == 0)
		net->listen_port = port;
	else
		net->listen_port = IN_DEFAULT_PORT;
	net->server_ip = net->address;
	net->server_port = net->listen_port;
	strlcpy(net->server_public_key, net->public_key,
	    sizeof(net->server_public_key));
	return (0);
}

static int
role_dirpath(const struct dbenv *env, int role, char *buf, size_t len)
{
	int	n;

	n = snprintf(buf, len, "%s/%s", env->dir,
	    role == IN_ROLE_SERVER ? DBD_SERVERDIR : DBD_CLIENTDIR);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/* A column our network row gained after its first release. */
static int
network_column(sqlite3 *conn, const char *name, const char *decl,
    struct in_error *err)
{
	sqlite3_stmt	*st;
	char		 sql[256];

	snprintf(sql, sizeof(sql), "SELECT %s FROM innernet_network", name);
	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		return (0);
	}
	snprintf(sql, sizeof(sql), "ALTER TABLE innernet_network ADD COLUMN "
	    "%s %s", name, decl);
	return (db_exec(conn, sql, err));
}

static int
network_flags_column(sqlite3 *conn, struct in_error *err)
{
	if (network_column(conn, "flags", "INTEGER NOT NULL DEFAULT 0",
	    err) == -1 ||
	    network_column(conn, "fetch_interval", "INTEGER NOT NULL "
	    "DEFAULT 0", err) == -1 ||
	    network_column(conn, "nat_exclude", "TEXT NOT NULL DEFAULT ''",
	    err) == -1)
		return (-1);
	return (0);
}

/*
 * Open an existing database of the given role, bring it to the current
 * version and read its network row.  A database written by an upstream
 * server has no network row yet: it is recorded from what the database
 * says, in the migration's transaction.
 */
struct db *
db_open(const char *path, int role, const char *name, struct in_error *err)
{
	struct db	*db;
	int		 version, network;

	if ((db = db_open_file(path, err)) == NULL)
		return (NULL);
	if (role == IN_ROLE_SERVER) {
		if (db_begin(db, err) == -1)
			goto fail;
		if (db_migrate_server(db, name, &version, &network,
		    err) == -1)
			goto rollback;
		if (!network) {
			if (db_network_from_upstream(db, name, &db->net,
			    err) == -1 ||
			    db_network_write(db->conn, &db->net, err) == -1)
				goto rollback;
			log_info("%s: recorded the network of an upstream "
			    "database", name);
		}
		if (db_commit(db, err) == -1)
			goto fail;
		if (version != IN_DB_VERSION)
			log_info("%s: migrated the database from version %d "
			    "to %d", name, version, IN_DB_VERSION);
	} else if (db_migrate_client(db, err) == -1)
		goto fail;
	if (network_flags_column(db->conn, err) == -1 ||
	    db_network_read(db->conn, name, &db->net, err) == -1)
		goto fail;
	if (db->net.role != role) {
		db_fail(err, 500, "%s: the database is not of the %s role",
		    name, role == IN_ROLE_SERVER ? "server" : "client");
		goto fail;
	}
	return (db);
 rollback:
	db_rollback(db);
 fail:
	db_close(db);
	return (NULL);
}

/* "<net>.db" with a valid network name; anything else is not ours. */
static int
db_filename(const char *file, char *name, size_t len)
{
	size_t	n = strlen(file), s = strlen(DBD_SUFFIX);

	if (n <= s || strcmp(file + n - s, DBD_SUFFIX) != 0 || n - s >= len)
		return (-1);
	memcpy(name, file, n - s);
	name[n - s] = '\0';
	return (in_ifname_ok(name) ? 0 : -1);
}

static void
open_role(struct dbenv *env, int role)
{
	char		 dir[IN_PATHSZ * 2], path[IN_PATHSZ * 2];
	char		 name[IN_IFNAMSZ];
	struct in_error	 err;
	struct dirent	*de;
	struct db	*db;
	DIR		*d;
	int		 n;

	if (role_dirpath(env, role, dir, sizeof(dir)) == -1)
		fatalx("state directory name too long");
	if ((d = opendir(dir)) == NULL)
		fatal("%s", dir);
	while ((de = readdir(d)) != NULL) {
		/* a create that never finished leaves its temporary file */
		if (strncmp(de->d_name, DBD_TMPPREFIX,
		    strlen(DBD_TMPPREFIX)) == 0) {
			n = snprintf(path, sizeof(path), "%s/%s", dir,
			    de->d_name);
			if (n > 0 && (size_t)n < sizeof(path)) {
				log_info("removing leftover %s", path);
				unlink(path);
			}
			continue;
		}
		if (db_filename(de->d_name, name, sizeof(name)) == -1)
			continue;
		if (db_find(env, name) != NULL) {
			log_warnx("network %s exists in both server and "
			    "client roles; ignoring the client one", name);
			continue;
		}
		if (db_path(env, role, "", name, path, sizeof(path)) == -1)
			continue;
		if ((db = db_open(path, role, name, &err)) == NULL) {
			log_warnx("cannot open network %s: %s", name, err.msg);
			continue;
		}
		TAILQ_INSERT_TAIL(&env->dbs, db, entry);
		log_debug("opened %s", path);
	}
	closedir(d);
}

int
dbenv_open_all(struct dbenv *env)
{
	int	n = 0;
	struct db *db;

	open_role(env, IN_ROLE_SERVER);
	open_role(env, IN_ROLE_CLIENT);
	TAILQ_FOREACH(db, &env->dbs, entry)
		n++;
	return (n);
}

void
dbenv_close_all(struct dbenv *env)
{
	struct db	*db;

	while ((db = TAILQ_FIRST(&env->dbs)) != NULL) {
		TAILQ_REMOVE(&env->dbs, db, entry);
		db_close(db);
	}
}

/*
 * The server's own address when the caller leaves it unset: upstream
 * takes the first assignable host of the root CIDR.
 */
static void
first_host(const struct in_prefix *net, struct in_ip *ip)
{
	int	max = net->ip.af == AF_INET ? 32 : 128;
	int	i, n = net->ip.af == AF_INET ? 4 : 16;

	*ip = net->ip;
	if (net->len >= max - 1)
		return;
	for (i = n - 1; i >= 0; i--)
		if (++ip->u.b[i] != 0)
			break;
}

/* What `innernet-server new` writes: root CIDR, infra CIDR, server peer. */
static int
populate_server(struct db *db, const struct in_netcreate *nc,
    const struct in_network *net, struct in_error *err)
{
	struct in_cidr	root, infra;
	struct in_peer	me;
	int64_t		id;

	memset(&root, 0, sizeof(root));
	strlcpy(root.name, nc->root_name[0] != '\0' ? nc->root_name :
	    net->name, sizeof(root.name));
	root.cidr = net->net;
	if (db_cidr_insert(db, &root, &id, err) == -1)
		return (-1);
	if (id != IN_ROOT_CIDR_ID)
		return (db_fail(err, 500, "root CIDR got id %lld",
		    (long long)id));

	memset(&infra, 0, sizeof(infra));
	strlcpy(infra.name, nc->server_name[0] != '\0' ? nc->server_name :
	    SERVER_NAME, sizeof(infra.name));
	in_prefix_host(&net->address, &infra.cidr);
	infra.parent = IN_ROOT_CIDR_ID;
	if (db_cidr_insert(db, &infra, &id, err) == -1)
		return (-1);
	if (id != IN_INFRA_CIDR_ID)
		return (db_fail(err, 500, "infra CIDR got id %lld",
		    (long long)id));

	memset(&me, 0, sizeof(me));
	strlcpy(me.name, infra.name, sizeof(me.name));
	me.ip = net->address;
	me.cidr_id = IN_INFRA_CIDR_ID;
	strlcpy(me.public_key, net->public_key, sizeof(me.public_key));
	strlcpy(me.endpoint, net->external_endpoint, sizeof(me.endpoint));
	me.keepalive = IN_DEFAULT_KEEPALIVE;
	me.is_admin = 1;
	me.is_redeemed = 1;
	if (db_peer_insert(db, &me, NULL, 0, &id, err) == -1)
		return (-1);
	if (id != IN_SERVER_PEER_ID)
		return (db_fail(err, 500, "server peer got id %lld",
		    (long long)id));
	return (0);
}

static void
unlink_db_files(const char *path)
{
	char	aux[IN_PATHSZ * 2 + 16];
	const char *suffix[] = { "-wal", "-shm", "-journal", NULL };
	int	i;

	for (i = 0; suffix[i] != NULL; i++) {
		snprintf(aux, sizeof(aux), "%s%s", path, suffix[i]);
		if (unlink(aux) == -1 && errno != ENOENT)
			log_warn("unlink %s", aux);
	}
}

int
db_network_create(struct dbenv *env, const struct in_netcreate *nc,
    struct in_network *out, struct in_error *err)
{
	struct in_network	 net = nc->net;
	struct db		*db;
	sqlite3			*conn = NULL;
	char			 tmp[IN_PATHSZ * 2], path[IN_PATHSZ * 2];
	char			 other[IN_PATHSZ * 2], dir[IN_PATHSZ * 2];
	int			 max, orole;

	if (!in_str_ok(nc->root_name) || !in_str_ok(nc->server_name))
		return (db_fail(err, 400, "unterminated name"));
	if (net.role == IN_ROLE_SERVER && !ip_ok(&net.address))
		first_host(&net.net, &net.address);
	if (db_network_ok(&net, err) == -1)
		return (-1);
	if (!ip_ok(&net.address) || !in_prefix_contains(&net.net,
	    &net.address))
		return (db_fail(err, 400, "%s: address outside of the network",
		    net.name));
	if (net.created == 0)
		net.created = time(NULL);
	max = net.net.ip.af == AF_INET ? 32 : 128;
	if (net.role == IN_ROLE_SERVER) {
		if (net.net.len >= max)
			return (db_fail(err, 400, "%s: the network CIDR holds "
			    "no address besides the server", net.name));
		if (!db_ip_assignable(&net.net, &net.address))
			return (db_fail(err, 400, "%s: the server address is "
			    "not assignable", net.name));
		if (nc->root_name[0] != '\0' &&
		    !db_cidr_name_ok(nc->root_name))
			return (db_fail(err, 400, "invalid root CIDR name"));
		if (nc->server_name[0] != '\0' &&
		    !in_hostname_ok(nc->server_name))
			return (db_fail(err, 400, "invalid server name"));
		if (net.server_ip.af == 0) {
			net.server_ip = net.address;
			net.server_port = net.listen_port;
			strlcpy(net.server_public_key, net.public_key,
			    sizeof(net.server_public_key));
		}
	}
	if (db_find(env, net.name) != NULL)
		return (db_fail(err, 400, "network %s exists", net.name));
	orole = net.role == IN_ROLE_SERVER ? IN_ROLE_CLIENT : IN_ROLE_SERVER;
	if (db_path(env, net.role, "", net.name, path, sizeof(path)) == -1 ||
	    db_path(env, net.role, DBD_TMPPREFIX, net.name, tmp,
	    sizeof(tmp)) == -1 ||
	    db_path(env, orole, "", net.name, other, sizeof(other)) == -1 ||
	    role_dirpath(env, net.role, dir, sizeof(dir)) == -1)
		return (db_fail(err, 500, "path too long"));
	if (access(path, F_OK) == 0 || access(other, F_OK) == 0)
		return (db_fail(err, 400, "a database for network %s exists",
		    net.name));

	/* built aside and renamed into place: never seen half-made */
	if (unlink(tmp) == -1 && errno != ENOENT)
		return (db_fail(err, 500, "unlink %s: %s", tmp,
		    strerror(errno)));
	unlink_db_files(tmp);
	if (sqlite3_open_v2(tmp, &conn, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_fail(err, 500, "create %s: %s", tmp, conn != NULL ?
		    sqlite3_errmsg(conn) : "out of memory");
		sqlite3_close_v2(conn);
		unlink(tmp);
		return (-1);
	}
	if ((db = db_wrap(conn, tmp, err)) == NULL) {
		unlink(tmp);
		return (-1);
	}
	db->net = net;
	if (db_exec(conn, "PRAGMA synchronous = FULL", err) == -1 ||
	    db_begin(db, err) == -1)
		goto fail;
	if (net.role == IN_ROLE_SERVER) {
		if (db_schema_server(conn, err) == -1 ||
		    populate_server(db, nc, &net, err) == -1)
			goto fail;
	} else if (db_schema_client(conn, err) == -1)
		goto fail;
	if (db_network_write(conn, &net, err) == -1 ||
	    db_commit(db, err) == -1)
		goto fail;
	db_close(db);
	db = NULL;
	if (rename(tmp, path) == -1) {
		db_fail(err, 500, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		unlink_db_files(tmp);
		return (-1);
	}
	unlink_db_files(tmp);
	if (db_fsync_dir(dir) == -1)
		log_warn("fsync %s", dir);

	if ((db = db_open(path, net.role, net.name, err)) == NULL) {
		unlink(path);
		unlink_db_files(path);
		return (-1);
	}
	TAILQ_INSERT_TAIL(&env->dbs, db, entry);
	if (out != NULL)
		*out = db->net;
	log_info("%s: created the %s database", net.name,
	    net.role == IN_ROLE_SERVER ? "server" : "client");
	return (0);
 fail:
	db_rollback(db);
	db_close(db);
	unlink(tmp);
	unlink_db_files(tmp);
	return (-1);
}

/* Only what may change while a network lives. */
int
db_network_update(struct dbenv *env, const struct in_network *n,
    struct in_network *out, struct in_error *err)
{
	struct db		*db;
	struct in_network	 net;

	if (!in_str_ok(n->name) || !in_ifname_ok(n->name))
		return (db_fail(err, 400, "invalid network name"));
	if ((db = db_find(env, n->name)) == NULL)
		return (db_fail(err, 404, "no network %s", n->name));
	net = db->net;
	net.listen_port = n->listen_port;
	memcpy(net.override_endpoint, n->override_endpoint,
	    sizeof(net.override_endpoint));
	memcpy(net.public_key, n->public_key, sizeof(net.public_key));
	memcpy(net.external_endpoint, n->external_endpoint,
	    sizeof(net.external_endpoint));
	net.flags = n->flags;
	net.fetch_interval = n->fetch_interval;
	net.nexclude = n->nexclude;
	memcpy(net.nat_exclude, n->nat_exclude, sizeof(net.nat_exclude));
	if (db_network_ok(&net, err) == -1)
		return (-1);
	if (db_begin(db, err) == -1)
		return (-1);
	if (db_network_write(db->conn, &net, err) == -1 ||
	    db_commit(db, err) == -1) {
		db_rollback(db);
		return (-1);
	}
	db->net = net;
	if (out != NULL)
		*out = net;
	return (0);
}

/*
 * An upstream innernet-server database copied in by innernetctl import:
 * it takes its place, is opened (and migrated) like any other, and the
 * listen port of upstream's configuration is recorded.  The key given
 * must be the server peer's, or the copy goes.
 */
int
db_network_import(struct dbenv *env, const struct in_network *n,
    struct in_network *out, struct in_error *err)
{
	struct db		*db;
	struct in_network	 net;
	char			 tmp[IN_PATHSZ * 2], path[IN_PATHSZ * 2];
	char			 other[IN_PATHSZ * 2], dir[IN_PATHSZ * 2];

	if (!in_str_ok(n->name) || !in_ifname_ok(n->name) ||
	    !in_str_ok(n->public_key) || !in_key_ok(n->public_key) ||
	    n->listen_port == 0)
		return (db_fail(err, 400, "invalid import request"));
	if (db_path(env, IN_ROLE_SERVER, IN_IMPORT_PREFIX, n->name, tmp,
	    sizeof(tmp)) == -1 ||
	    db_path(env, IN_ROLE_SERVER, "", n->name, path,
	    sizeof(path)) == -1 ||
	    db_path(env, IN_ROLE_CLIENT, "", n->name, other,
	    sizeof(other)) == -1 ||
	    role_dirpath(env, IN_ROLE_SERVER, dir, sizeof(dir)) == -1)
		return (db_fail(err, 500, "path too long"));
	if (db_find(env, n->name) != NULL || access(path, F_OK) == 0 ||
	    access(other, F_OK) == 0) {
		unlink(tmp);
		return (db_fail(err, 409, "network %s exists already",
		    n->name));
	}
	if (access(tmp, F_OK) == -1)
		return (db_fail(err, 400, "no database to import for %s",
		    n->name));
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		return (db_fail(err, 500, "rename %s: %s", path,
		    strerror(errno)));
	}
	if (db_fsync_dir(dir) == -1)
		log_warn("fsync %s", dir);
	if ((db = db_open(path, IN_ROLE_SERVER, n->name, err)) == NULL)
		goto gone;
	if (strcmp(db->net.public_key, n->public_key) != 0) {
		db_close(db);
		db_fail(err, 400, "%s: the private key of the configuration "
		    "is not the server peer's key in the database", n->name);
		goto gone;
	}
	net = db->net;
	net.listen_port = n->listen_port;
	net.server_port = n->listen_port;
	net.server_ip = net.address;
	strlcpy(net.server_public_key, net.public_key,
	    sizeof(net.server_public_key));
	if (db_begin(db, err) == -1 ||
	    db_network_write(db->conn, &net, err) == -1 ||
	    db_commit(db, err) == -1) {
		db_rollback(db);
		db_close(db);
		goto gone;
	}
	db->net = net;
	TAILQ_INSERT_TAIL(&env->dbs, db, entry);
	if (out != NULL)
		*out = net;
	log_info("%s: imported an innernet-server database", n->name);
	return (0);
 gone:
	unlink(path);
	unlink_db_files(path);
	return (-1);
}

int
db_network_delete(struct dbenv *env, const char *name, struct in_error *err)
{
	struct db	*db;
	char		 path[IN_PATHSZ * 2], dir[IN_PATHSZ * 2];
	int		 role;

	if ((db = db_find(env, name)) == NULL)
		return (db_fail(err, 404, "no network %s", name));
	role = db->net.role;
	strlcpy(path, db->path, sizeof(path));
	if (role_dirpath(env, role, dir, sizeof(dir)) == -1)
		return (db_fail(err, 500, "path too long"));
	TAILQ_REMOVE(&env->dbs, db, entry);
	db_close(db);
	if (unlink(path) == -1 && errno != ENOENT) {
		db_fail(err, 500, "unlink %s: %s", path, strerror(errno));
		/* still there: keep serving it */
		if ((db = db_open(path, role, name, NULL)) != NULL)
			TAILQ_INSERT_TAIL(&env->dbs, db, entry);
		return (-1);
	}
	unlink_db_files(path);
	if (db_fsync_dir(dir) == -1)
		log_warn("fsync %s", dir);
	log_info("%s: deleted the database", name);
	return (0);
}
