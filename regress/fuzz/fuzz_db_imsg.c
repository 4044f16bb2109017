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
 * What a compromised engine could send dbd: each input is a sequence of
 * requests whose payloads are the fuzzer's bytes.  Payloads pass the
 * checks dbd.c makes before dispatch (sizes, terminated strings) and go
 * to the database layer; afterwards the network must still keep every
 * rule: peers inside their CIDR on an assignable address, CIDRs inside
 * their parent without overlapping siblings.
 *
 * The databases are made on disk once, as dbd makes them, then moved
 * into memory; each input starts from that same image again, so no
 * input pays for files, locks or a fresh schema.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "dbd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void	reset(void);

static struct dbenv	 env;
static struct db	*srv, *cli;
static char		 dir[IN_PATHSZ];

/* A database's image right after setup. */
struct image {
	unsigned char	*buf;
	sqlite3_int64	 len;
	int		 changes;	/* the connection's count at load */
};
static struct image	 srv_img, cli_img;

static void
cleanup(void)
{
	char	path[IN_PATHSZ + 16];

	db_network_delete(&env, "fz", NULL);
	db_network_delete(&env, "fzc", NULL);
	snprintf(path, sizeof(path), "%s/server", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/client", dir);
	rmdir(path);
	rmdir(dir);
}

static void
image_take(struct db *db, struct image *img)
{
	if ((img->buf = sqlite3_serialize(db->conn, "main", &img->len,
	    0)) == NULL || img->len < 100)
		abort();
	/* an image in WAL mode cannot live in memory: say rollback */
	img->buf[18] = img->buf[19] = 1;
	img->changes = -1;
}

/*
 * Put the image back, as the connection's whole database, in memory,
 * unless nothing was written since it was last put back.
 */
static void
image_load(struct db *db, struct image *img)
{
	unsigned char	*copy;

	if (img->changes != -1 &&
	    sqlite3_total_changes(db->conn) == img->changes)
		return;
	if ((copy = sqlite3_malloc64(img->len)) == NULL)
		abort();
	memcpy(copy, img->buf, img->len);
	if (sqlite3_deserialize(db->conn, "main", copy, img->len, img->len,
	    SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
	    SQLITE_OK)
		abort();
	img->changes = sqlite3_total_changes(db->conn);
}

static void
setup(void)
{
	struct in_netcreate	nc;
	struct in_error		err;
	unsigned char		bin[32];
	char			path[IN_PATHSZ + 16];
	const char		*t;

	log_init(1, LOG_DAEMON);
	log_setverbose(0);
	if (sodium_init() == -1)
		abort();
	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = P_tmpdir;
	snprintf(dir, sizeof(dir), "%s/fuzz_db.XXXXXX", t);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/server", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/client", dir);
	mkdir(path, 0700);
	dbenv_init(&env, dir);

	memset(&nc, 0, sizeof(nc));
	strlcpy(nc.net.name, "fz", sizeof(nc.net.name));
	nc.net.role = IN_ROLE_SERVER;
	in_prefix_parse("10.0.0.0/8", &nc.net.net);
	randombytes_buf(bin, sizeof(bin));
	sodium_bin2base64(nc.net.public_key, IN_KEYSZ, bin, sizeof(bin),
	    sodium_base64_VARIANT_ORIGINAL);
	strlcpy(nc.net.external_endpoint, "192.0.2.1:51820",
	    sizeof(nc.net.external_endpoint));
	if (db_network_create(&env, &nc, NULL, &err) == -1)
		abort();
	nc.net.role = IN_ROLE_CLIENT;
	in_ip_parse("10.0.0.5", &nc.net.address);
	strlcpy(nc.net.name, "fzc", sizeof(nc.net.name));
	strlcpy(nc.net.server_public_key, nc.net.public_key,
	    sizeof(nc.net.server_public_key));
	if (db_network_create(&env, &nc, NULL, &err) == -1)
		abort();
	srv = db_find(&env, "fz");
	cli = db_find(&env, "fzc");
	atexit(cleanup);
	if (srv == NULL || cli == NULL)
		abort();
	image_take(srv, &srv_img);
	image_take(cli, &cli_img);
	reset();
}

/* Both databases as setup left them, whatever the last input did. */
static void
reset(void)
{
	image_load(srv, &srv_img);
	image_load(cli, &cli_img);
}

struct snapshot {
	struct in_cidr	c[256];
	size_t		nc;
};

static int
snap_cidr(const struct in_cidr *c, void *arg)
{
	struct snapshot	*s = arg;

	if (s->nc < sizeof(s->c) / sizeof(s->c[0]))
		s->c[s->nc++] = *c;
	return (0);
}

static const struct in_cidr *
snap_find(const struct snapshot *s, int64_t id)
{
	size_t	i;

	for (i = 0; i < s->nc; i++)
		if (s->c[i].id == id)
			return (&s->c[i]);
	return (NULL);
}

static int
check_peer(const struct db_peer *dp, void *arg)
{
	const struct in_cidr	*c;

	if ((c = snap_find(arg, dp->p.cidr_id)) == NULL)
		abort();
	if (!in_hostname_ok(dp->p.name) || !db_ip_assignable(&c->cidr,
	    &dp->p.ip))
		abort();
	return (0);
}

/* The rules still hold, whatever was sent. */
static void
check_invariants(void)
{
	static struct snapshot	 s;
	const struct in_cidr	*p;
	struct in_error		 err;
	size_t			 i, j;

	s.nc = 0;
	if (db_cidr_foreach(srv, snap_cidr, &s, &err) == -1)
		abort();
	for (i = 0; i < s.nc; i++) {
		if (s.c[i].id == IN_ROOT_CIDR_ID)
			continue;
		if ((p = snap_find(&s, s.c[i].parent)) == NULL ||
		    !in_prefix_within(&s.c[i].cidr, &p->cidr))
			abort();
		for (j = 0; j < s.nc; j++)
			if (j != i && s.c[j].parent == s.c[i].parent &&
			    in_prefix_overlaps(&s.c[j].cidr, &s.c[i].cidr))
				abort();
	}
	if (db_peer_foreach(srv, check_peer, &s, &err) == -1)
		abort();
}

/* A peer as dbd.c accepts it: terminated strings, exact trailing length. */
static int
peer_ok(const struct in_peer *p, size_t avail)
{
	return (in_str_ok(p->name) && in_str_ok(p->public_key) &&
	    in_str_ok(p->endpoint) && p->candidates_len <= avail);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in_peer		 peer;
	struct in_cidr		 cidr, cout;
	struct in_assoc		 assoc, aout;
	struct in_redeem	 rd;
	struct in_network	 net;
	struct in_netreq	 nr;
	struct in_error		 err;
	struct db_peer		 dp;
	struct db_store		*st;
	size_t			 off = 0, need;
	uint8_t			 op;

	if (srv == NULL)
		setup();
	while (off < size) {
		op = data[off++] % 10;
		switch (op) {
		case 0:
		case 1:
		case 8:
			if (size - off < sizeof(peer))
				goto done;
			memcpy(&peer, data + off, sizeof(peer));
			off += sizeof(peer);
			if (!peer_ok(&peer, size - off))
				goto done;
			need = peer.candidates_len;
			if (op == 0)
				db_peer_add(srv, &peer, data + off, need, &dp,
				    &err);
			else if (op == 1)
				db_peer_update(srv, &peer, data + off, need,
				    &dp, &err);
			else if ((st = db_store_new(1, "fzc")) != NULL) {
				db_store_add_peer(st, &peer, data + off,
				    need);
				db_store_commit(cli, st, &err);
				db_store_free(st);
			}
			off += need;
			break;
		case 2:
			if (size - off < sizeof(rd))
				goto done;
			memcpy(&rd, data + off, sizeof(rd));
			off += sizeof(rd);
			if (!in_str_ok(rd.public_key))
				goto done;
			db_peer_redeem(srv, rd.id, rd.public_key, time(NULL),
			    &dp, &err);
			break;
		case 3:
		case 4:
			if (size - off < sizeof(cidr))
				goto done;
			memcpy(&cidr, data + off, sizeof(cidr));
			off += sizeof(cidr);
			if (!in_str_ok(cidr.name))
				goto done;
			if (op == 3)
				db_cidr_add(srv, &cidr, &cout, &err);
			else
				db_cidr_update(srv, &cidr, &cout, &err);
			break;
		case 5:
		case 7:
			if (size - off < sizeof(nr))
				goto done;
			memcpy(&nr, data + off, sizeof(nr));
			off += sizeof(nr);
			if (op == 5)
				db_cidr_delete(srv, nr.id, &err);
			else
				db_assoc_delete(srv, nr.id, &err);
			break;
		case 6:
			if (size - off < sizeof(assoc))
				goto done;
			memcpy(&assoc, data + off, sizeof(assoc));
			off += sizeof(assoc);
			db_assoc_add(srv, &assoc, &aout, &err);
			break;
		case 9:
			if (size - off < sizeof(net))
				goto done;
			memcpy(&net, data + off, sizeof(net));
			off += sizeof(net);
			if (!in_str_ok(net.name) ||
			    !in_str_ok(net.public_key) ||
			    !in_str_ok(net.server_public_key) ||
			    !in_str_ok(net.external_endpoint) ||
			    !in_str_ok(net.override_endpoint))
				goto done;
			/* never rename the network under test */
			strlcpy(net.name, "fz", sizeof(net.name));
			db_network_update(&env, &net, NULL, &err);
			break;
		}
	}
 done:
	check_invariants();
	reset();
	return (0);
}
