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
 * Deltas of the state document (our extension, innernetd(8) WATCH): the
 * change log a server network keeps, the delta a watching peer is sent,
 * and on the client the delta applied to the state it has.  A delta
 * applied to the state of version "since" gives exactly the state of the
 * version it names; regress/unit/test_delta.c checks that on random
 * changes.  Also gzip for full states, both ways.  No I/O here.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "engine_local.h"
#include "delta.h"

/* The change log: a ring of the last DLOG_MAX changes. */

void
dlog_init(struct dlog *dl, uint64_t counter)
{
	free(dl->ring);
	memset(dl, 0, sizeof(*dl));
	dl->base = counter;
}

void
dlog_free(struct dlog *dl)
{
	free(dl->ring);
	memset(dl, 0, sizeof(*dl));
}

/* Nothing before "counter" can be told as a delta any more. */
void
dlog_reset(struct dlog *dl, uint64_t counter)
{
	dl->head = dl->n = 0;
	dl->base = counter;
}

void
dlog_add(struct dlog *dl, uint64_t counter, uint8_t what, int64_t id,
    int64_t cidr)
{
	struct dlog_ent	*e;

	if (dl->ring == NULL) {
		if ((dl->ring = calloc(DLOG_MAX, sizeof(*dl->ring))) ==
		    NULL) {
			/* no log: every older version gets a full state */
			dl->base = counter;
			return;
		}
	}
	if (dl->n == DLOG_MAX) {
		/* the oldest goes: its version can no longer be told */
		dl->base = dl->ring[dl->head].counter;
		dl->head = (dl->head + 1) % DLOG_MAX;
		dl->n--;
	}
	e = &dl->ring[(dl->head + dl->n) % DLOG_MAX];
	e->counter = counter;
	e->what = what;
	e->id = id;
	e->cidr = cidr;
	dl->n++;
}

static int
id_cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}

/* Sort and drop duplicates; the new count. */
static size_t
ids_unique(int64_t *v, size_t n)
{
	size_t	i, k;

	if (n == 0)
		return (0);
	qsort(v, n, sizeof(*v), id_cmp);
	for (i = 1, k = 1; i < n; i++)
		if (v[i] != v[k - 1])
			v[k++] = v[i];
	return (k);
}

static int
cidr_marked(struct netstate *ns, const uint8_t *mark, int64_t cidr)
{
	ssize_t	i;

	if (mark == NULL)
		return (1);
	/* a CIDR gone since: its peers are gone, say so to be sure */
	if ((i = ns_cidr_index(ns, cidr)) == -1)
		return (1);
	return (mark[i]);
}

static int
append_id(json_t *a, int64_t id)
{
	return (json_array_append_new(a, json_integer(id)));
}

/*
 * The delta from version "since" to "now" for a caller in a CIDR whose
 * visible CIDRs are mark[] (NULL: everything, the local view).  The
 * answer is DELTA_FULL when the log does not reach back to since, or a
 * change in it alters what the caller may see broadly (an association,
 * a peer moved, the mirror reloaded), or when the delta would be larger
 * than half the network: a full state is then as cheap.  DELTA_NONE:
 * nothing the caller sees changed.  DELTA_OK: *docp is the document.
 */
int
delta_build(struct netstate *ns, const struct dlog *dl, uint64_t since,
    uint64_t now, const uint8_t *mark, json_t **docp)
{
	const struct dlog_ent	*e;
	struct ns_peer		*np;
	struct in_cidr		*c;
	json_t			*doc = NULL, *peers, *rpeers;
	json_t			*cidrs, *rcidrs;
	int64_t			*pid = NULL, *cid = NULL;
	size_t			 i, k, np_n = 0, nc_n = 0, nchanges;
	int			 rc = DELTA_FULL;

	*docp = NULL;
	if (since > now || since < dl->base)
		return (DELTA_FULL);
	if (since == now)
		return (DELTA_NONE);
	/* the entries after since are the last ones of the ring */
	for (nchanges = 0; nchanges < dl->n; nchanges++) {
		e = &dl->ring[(dl->head + dl->n - 1 - nchanges) % DLOG_MAX];
		if (e->counter <= since)
			break;
	}
	if (nchanges > ns->npeers / 2 + 16)
		return (DELTA_FULL);
	if ((pid = calloc(nchanges + 1, sizeof(*pid))) == NULL ||
	    (cid = calloc(nchanges + 1, sizeof(*cid))) == NULL)
		goto done;
	for (i = dl->n - nchanges; i < dl->n; i++) {
		e = &dl->ring[(dl->head + i) % DLOG_MAX];
		switch (e->what) {
		case NS_CH_PEER:
		case NS_CH_OBSERVED:
			/* a peer the caller never saw: none of its business */
			if (cidr_marked(ns, mark, e->cidr))
				pid[np_n++] = e->id;
			break;
		case NS_CH_CIDR:
			cid[nc_n++] = e->id;
			break;
		default:
			goto done;	/* DELTA_FULL */
		}
	}
	np_n = ids_unique(pid, np_n);
	nc_n = ids_unique(cid, nc_n);
	if (np_n == 0 && nc_n == 0) {
		rc = DELTA_NONE;
		goto done;
	}
	rc = -1;
	if ((doc = json_object()) == NULL ||
	    json_object_set_new(doc, "peers", peers = json_array()) == -1 ||
	    json_object_set_new(doc, "removed_peers", rpeers =
	    json_array()) == -1 ||
	    json_object_set_new(doc, "cidrs", cidrs = json_array()) == -1 ||
	    json_object_set_new(doc, "removed_cidrs", rcidrs =
	    json_array()) == -1)
		goto done;
	for (k = 0; k < np_n; k++) {
		np = ns_peer_by_id(ns, pid[k]);
		if (np != NULL && !np->p.is_disabled && np->p.is_redeemed &&
		    cidr_marked(ns, mark, np->p.cidr_id)) {
			if (json_array_append_new(peers,
			    state_peer_json(np)) == -1)
				goto done;
		} else if (append_id(rpeers, pid[k]) == -1)
			goto done;
	}
	for (k = 0; k < nc_n; k++) {
		if ((c = ns_cidr_by_id(ns, cid[k])) != NULL) {
			if (json_array_append_new(cidrs,
			    json_from_cidr(c)) == -1)
				goto done;
		} else if (append_id(rcidrs, cid[k]) == -1)
			goto done;
	}
	*docp = doc;
	doc = NULL;
	rc = DELTA_OK;
 done:
	json_decref(doc);
	free(pid);
	free(cid);
	return (rc);
}

/*
 * The full state of a caller (NULL: everything) as the server writes it
 * (server_state_write), as a JSON tree: for tests and small networks.
 */
json_t *
delta_full(struct netstate *ns, const struct ns_peer *caller)
{
	json_t	*doc, *peers, *cidrs;
	uint8_t	*mark = NULL;
	size_t	 i;

	if (caller != NULL) {
		if ((mark = malloc(ns->ncidrs + 1)) == NULL)
			return (NULL);
		if (ns_visible_cidrs(ns, caller->p.cidr_id, mark) == -1) {
			free(mark);
			return (NULL);
		}
	}
	if ((doc = json_object()) == NULL ||
	    json_object_set_new(doc, "peers", peers = json_array()) == -1 ||
	    json_object_set_new(doc, "cidrs", cidrs = json_array()) == -1)
		goto fail;
	for (i = 0; i < ns->npeers; i++) {
		if (ns->peers[i].p.is_disabled || !ns->peers[i].p.is_redeemed ||
		    !cidr_marked(ns, mark, ns->peers[i].p.cidr_id))
			continue;
		if (json_array_append_new(peers,
		    state_peer_json(&ns->peers[i])) == -1)
			goto fail;
	}
	for (i = 0; i < ns->ncidrs; i++)
		if (json_array_append_new(cidrs,
		    json_from_cidr(&ns->cidrs[i])) == -1)
			goto fail;
	free(mark);
	return (doc);
 fail:
	free(mark);
	json_decref(doc);
	return (NULL);
}

/* Client side: a delta from the network, untrusted. */

static int
row_id(json_t *o, int64_t *id)
{
	json_t	*v;

	if (!json_is_object(o) || !json_is_integer(v = json_object_get(o,
	    "id")))
		return (-1);
	*id = json_integer_value(v);
	return (0);
}

static int
row_cmp(const void *a, const void *b)
{
	int64_t	x, y;

	/* rows were checked to have an id before sorting */
	row_id(*(json_t * const *)a, &x);
	row_id(*(json_t * const *)b, &y);
	return (x < y ? -1 : x > y);
}

/* The array sorted by "id", as the server writes it. */
static int
rows_sort(json_t *arr)
{
	json_t	**v;
	size_t	  i, n = json_array_size(arr);
	int64_t	  id;

	if (n < 2)
		return (0);
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		v[i] = json_incref(json_array_get(arr, i));
		if (row_id(v[i], &id) == -1) {
			while (i + 1 > 0)
				json_decref(v[i--]);
			free(v);
			return (-1);
		}
	}
	qsort(v, n, sizeof(*v), row_cmp);
	json_array_clear(arr);
	for (i = 0; i < n; i++)
		if (json_array_append_new(arr, v[i]) == -1) {
			while (++i < n)
				json_decref(v[i]);
			free(v);
			return (-1);
		}
	free(v);
	return (0);
}

/*
 * Replace the rows of arr named in "removed" (ids) or "rows" (objects
 * with an id) by "rows".  Both from the network: every element checked.
 */
static int
rows_apply(json_t *arr, json_t *rows, json_t *removed, const char *what,
    char *err, size_t len)
{
	int64_t	*drop = NULL, id;
	size_t	 i, n = 0, nrows, nrem;
	json_t	*o;
	int	 rc = -1;

	if (!json_is_array(arr) || !json_is_array(rows) ||
	    !json_is_array(removed)) {
		snprintf(err, len, "the delta's %s are not arrays", what);
		return (-1);
	}
	nrows = json_array_size(rows);
	nrem = json_array_size(removed);
	if (nrows > DELTA_MAXROWS || nrem > DELTA_MAXROWS) {
		snprintf(err, len, "the delta has more than %d %s",
		    DELTA_MAXROWS, what);
		return (-1);
	}
	if ((drop = calloc(nrows + nrem + 1, sizeof(*drop))) == NULL) {
		snprintf(err, len, "out of memory");
		return (-1);
	}
	for (i = 0; i < nrows; i++)
		if (row_id(json_array_get(rows, i), &drop[n++]) == -1) {
			snprintf(err, len, "%s %zu of the delta has no id",
			    what, i);
			goto done;
		}
	for (i = 0; i < nrem; i++) {
		if (!json_is_integer(o = json_array_get(removed, i))) {
			snprintf(err, len, "removed %s %zu is not an id",
			    what, i);
			goto done;
		}
		drop[n++] = json_integer_value(o);
	}
	n = ids_unique(drop, n);
	if (n != nrows + nrem) {
		/* an id both changed and removed, or twice: not ours */
		snprintf(err, len, "the delta names a %s twice", what);
		goto done;
	}
	for (i = json_array_size(arr); i > 0; i--) {
		if (row_id(json_array_get(arr, i - 1), &id) == -1) {
			snprintf(err, len, "a cached %s has no id", what);
			goto done;
		}
		if (bsearch(&id, drop, n, sizeof(*drop), id_cmp) != NULL &&
		    json_array_remove(arr, i - 1) == -1)
			goto oom;
	}
	for (i = 0; i < nrows; i++)
		if (json_array_append(arr, json_array_get(rows, i)) == -1)
			goto oom;
	if (rows_sort(arr) == -1)
		goto oom;
	rc = 0;
	goto done;
 oom:
	snprintf(err, len, "out of memory");
 done:
	free(drop);
	return (rc);
}

/*
 * Apply a delta document to a full state document, in place.  On
 * failure the state may be half changed: the caller drops it and asks
 * for a full state.
 */
int
delta_apply(json_t *state, json_t *delta, char *err, size_t len)
{
	if (!json_is_object(state) || !json_is_object(delta)) {
		snprintf(err, len, "the delta is not an object");
		return (-1);
	}
	if (rows_apply(json_object_get(state, "peers"),
	    json_object_get(delta, "peers"),
	    json_object_get(delta, "removed_peers"), "peers", err,
	    len) == -1 ||
	    rows_apply(json_object_get(state, "cidrs"),
	    json_object_get(delta, "cidrs"),
	    json_object_get(delta, "removed_cidrs"), "cidrs", err, len) == -1)
		return (-1);
	return (0);
}

/* Peers and CIDRs sorted by id: two states compare with json_equal(). */
int
delta_canon(json_t *state)
{
	if (rows_sort(json_object_get(state, "peers")) == -1 ||
	    rows_sort(json_object_get(state, "cidrs")) == -1)
		return (-1);
	return (0);
}

/*
 * Versions: "<epoch, 16 hex digits>:<counter>", or "0" for none.
 */
int
delta_version_parse(const char *s, uint64_t *epoch, uint64_t *counter)
{
	char			*end;
	unsigned long long	 e, c;
	size_t			 i;

	*epoch = *counter = 0;
	if (strcmp(s, "0") == 0)
		return (0);
	for (i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (-1);
	if (s[16] != ':' || s[17] < '0' || s[17] > '9' ||
	    (s[17] == '0' && s[18] != '\0') || strlen(s) > 16 + 1 + 20)
		return (-1);
	e = strtoull(s, NULL, 16);
	c = strtoull(s + 17, &end, 10);
	if (*end != '\0' || e == 0 || c == 0xffffffffffffffffULL)
		return (-1);
	*epoch = e;
	*counter = c;
	return (0);
}

void
delta_version_str(uint64_t epoch, uint64_t counter, char *buf, size_t len)
{
	snprintf(buf, len, "%016llx:%llu", (unsigned long long)epoch,
	    (unsigned long long)counter);
}

/* gzip (RFC 1952) through zlib. */

int
gz_deflate(const void *in, size_t inlen, uint8_t **outp, size_t *outlen)
{
	z_stream	 zs;
	uint8_t		*out;
	size_t		 cap;
	int		 rc;

	*outp = NULL;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return (-1);
	cap = deflateBound(&zs, inlen);
	if ((out = malloc(cap)) == NULL) {
		deflateEnd(&zs);
		return (-1);
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = inlen;
	zs.next_out = out;
	zs.avail_out = cap;
	rc = deflate(&zs, Z_FINISH);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(out);
		return (-1);
	}
	*outp = out;
	return (0);
}

/*
 * Inflate a gzip body from the network into at most max bytes: a
 * small body that would inflate beyond is refused, not followed.
 */
int
gz_inflate(const void *in, size_t inlen, size_t max, uint8_t **outp,
    size_t *outlen)
{
	z_stream	 zs;
	uint8_t		*out = NULL, *p;
	size_t		 cap = 0;
	int		 rc;

	*outp = NULL;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		return (-1);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = inlen;
	do {
		if (zs.total_out == cap) {
			if (cap >= max)
				goto fail;
			cap = cap == 0 ? (inlen * 4 + 1024) : cap * 2;
			if (cap > max)
				cap = max;
			if ((p = realloc(out, cap + 1)) == NULL)
				goto fail;
			out = p;
		}
		zs.next_out = out + zs.total_out;
		zs.avail_out = cap - zs.total_out;
		rc = inflate(&zs, Z_NO_FLUSH);
	} while (rc == Z_OK);
	if (rc != Z_STREAM_END || zs.avail_in != 0)
		goto fail;
	*outlen = zs.total_out;
	out[*outlen] = '\0';
	inflateEnd(&zs);
	*outp = out;
	return (0);
 fail:
	inflateEnd(&zs);
	free(out);
	return (-1);
}
