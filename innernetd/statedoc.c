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
 * The state document, GET /v1/user/state: what a caller may see of a
 * server network's mirror, in upstream's JSON, written as it is made.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_local.h"

json_t *
state_cidrs_json(struct netstate *ns)
{
	json_t	*a;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return (NULL);
	for (i = 0; i < ns->ncidrs; i++)
		if (json_array_append_new(a, json_from_cidr(&ns->cidrs[i])) ==
		    -1) {
			json_decref(a);
			return (NULL);
		}
	return (a);
}

/*
 * The state document as it is written: a buffer of DUMP_CHUNK bytes,
 * flushed to a descriptor whenever full, so a document of any size
 * takes that much memory while it is made.
 */
#define DUMP_CHUNK	(64 * 1024)

struct dump {
	int	 fd;
	size_t	 len;		/* in buf */
	size_t	 total;		/* written */
	char	 buf[DUMP_CHUNK];
};

static int
dump_flush(struct dump *d)
{
	size_t	off;
	ssize_t	n;

	for (off = 0; off < d->len; off += n)
		if ((n = write(d->fd, d->buf + off, d->len - off)) <= 0) {
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			return (-1);
		}
	d->total += d->len;
	d->len = 0;
	return (0);
}

static int
dump_add(struct dump *d, const char *s, size_t n)
{
	size_t	l;

	while (n > 0) {
		if (d->len == sizeof(d->buf) && dump_flush(d) == -1)
			return (-1);
		l = sizeof(d->buf) - d->len;
		if (l > n)
			l = n;
		memcpy(d->buf + d->len, s, l);
		d->len += l;
		s += l;
		n -= l;
	}
	return (0);
}

static int
dump_json(struct dump *d, json_t *j)
{
	char	*s;
	int	 rc;

	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		return (-1);
	}
	rc = dump_add(d, s, strlen(s));
	free(s);
	json_decref(j);
	return (rc);
}

/*
 * GET /v1/user/state for a caller (NULL: everything), written a peer at
 * a time to fd: a network of 10,000 peers never exists as a tree of JSON
 * objects, nor as a whole text in our memory.  *lenp is its length.
 */
int
server_state_write(struct engine_net *en, const struct ns_peer *caller,
    int fd, size_t *lenp)
{
	struct netstate	*ns = &en->state;
	struct dump	*d;
	uint8_t		*mark = NULL;
	size_t		 i;
	ssize_t		 ci;
	int		 first = 1;

	if ((d = malloc(sizeof(*d))) == NULL)
		return (-1);
	d->fd = fd;
	d->len = d->total = 0;
	if (caller != NULL) {
		if ((mark = malloc(ns->ncidrs + 1)) == NULL)
			goto fail;
		if (ns_visible_cidrs(ns, caller->p.cidr_id, mark) == -1)
			goto fail;
	}
	if (dump_add(d, "{\"peers\":[", 10) == -1)
		goto fail;
	for (i = 0; i < ns->npeers; i++) {
		if (ns->peers[i].p.is_disabled || !ns->peers[i].p.is_redeemed)
			continue;
		if (mark != NULL && ((ci = ns_cidr_index(ns,
		    ns->peers[i].p.cidr_id)) == -1 || !mark[ci]))
			continue;
		if ((!first && dump_add(d, ",", 1) == -1) ||
		    dump_json(d, state_peer_json(&ns->peers[i])) == -1)
			goto fail;
		first = 0;
	}
	if (dump_add(d, "],\"cidrs\":", 10) == -1 ||
	    dump_json(d, state_cidrs_json(ns)) == -1 ||
	    dump_add(d, "}", 1) == -1 || dump_flush(d) == -1)
		goto fail;
	*lenp = d->total;
	free(mark);
	free(d);
	return (0);
 fail:
	free(mark);
	free(d);
	return (-1);
}
