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
 * The server's endpoint refresh asks every 10 s for the endpoints
 * WireGuard has seen.  Endpoints seldom change, so for each interface we
 * keep what the engine was last told of each peer, in a compact table
 * keyed by the raw public key, and tell it only what differs.  A peer
 * gone from the device leaves the table, so one that comes back is told
 * afresh.  The engine asks for everything when it has nothing (a network
 * starting) or after a failed walk, which also empties the table.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wgd.h"

/* Long enough for any numeric endpoint without a zone index. */
#define EP_HELD		48

struct ep_entry {
	unsigned char	 key[32];
	uint32_t	 seen;		/* the walk that last found it */
	char		 endpoint[EP_HELD]; /* as told, "" = none */
};

struct ep_table {
	LIST_ENTRY(ep_table)	 entry;
	char			 ifname[IN_IFNAMSZ];
	struct ep_entry		*v;
	size_t			 n, cap;
	uint32_t		*slots;		/* index + 1, 0: empty */
	size_t			 mask;		/* slots - 1 */
	uint32_t		 walk;
};

/* One walk: the table, and whom to tell. */
struct ep_walk {
	struct ep_table		*t;
	endpoint_tell_cb	 tell;
	void			*arg;
};

static LIST_HEAD(, ep_table)	tables = LIST_HEAD_INITIALIZER(tables);

/* Public keys are uniformly random: their first bytes are a hash. */
static size_t
key_slot(const struct ep_table *t, const unsigned char *key)
{
	uint32_t	h;

	memcpy(&h, key, sizeof(h));
	return (h & t->mask);
}

static int
slots_rebuild(struct ep_table *t)
{
	size_t		 size = 64, i, s;
	uint32_t	*slots;

	while (size < t->n * 2 + 2)
		size *= 2;
	if ((slots = calloc(size, sizeof(*slots))) == NULL)
		return (-1);
	free(t->slots);
	t->slots = slots;
	t->mask = size - 1;
	for (i = 0; i < t->n; i++) {
		for (s = key_slot(t, t->v[i].key); t->slots[s] != 0;
		    s = (s + 1) & t->mask)
			;
		t->slots[s] = (uint32_t)i + 1;
	}
	return (0);
}

static void
table_empty(struct ep_table *t)
{
	free(t->v);
	free(t->slots);
	t->v = NULL;
	t->slots = NULL;
	t->n = t->cap = 0;
	t->mask = 0;
}

static struct ep_table *
table_find(const char *ifname)
{
	struct ep_table	*t;

	LIST_FOREACH(t, &tables, entry)
		if (strcmp(t->ifname, ifname) == 0)
			return (t);
	return (NULL);
}

void
endpoints_forget(const char *ifname)
{
	struct ep_table	*t;

	if ((t = table_find(ifname)) != NULL) {
		LIST_REMOVE(t, entry);
		table_empty(t);
		free(t);
	}
}

static struct ep_entry *
entry_get(struct ep_table *t, const unsigned char *key, uint32_t *index)
{
	struct ep_entry	*v;
	size_t		 s, cap;
	uint32_t	 i;

	if (t->slots != NULL) {
		for (s = key_slot(t, key); (i = t->slots[s]) != 0;
		    s = (s + 1) & t->mask)
			if (memcmp(t->v[i - 1].key, key, 32) == 0) {
				*index = i - 1;
				return (&t->v[i - 1]);
			}
	}
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 64;
		if (cap > UINT32_MAX / 2 ||
		    (v = reallocarray(t->v, cap, sizeof(*v))) == NULL)
			return (NULL);
		t->v = v;
		t->cap = cap;
	}
	v = &t->v[t->n];
	memset(v, 0, sizeof(*v));
	memcpy(v->key, key, 32);
	*index = (uint32_t)t->n++;
	if (t->slots == NULL || t->n * 2 + 2 > t->mask + 1) {
		if (slots_rebuild(t) == -1) {
			t->n--;
			return (NULL);
		}
	} else {
		for (s = key_slot(t, key); t->slots[s] != 0;
		    s = (s + 1) & t->mask)
			;
		t->slots[s] = *index + 1;
	}
	return (v);
}

/* wg_endpoint_cb: one peer of the device. */
static int
endpoint_seen(void *arg, const unsigned char *key, const char *endpoint)
{
	struct ep_walk		*w = arg;
	struct ep_entry		*e;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 b64[IN_KEYSZ];
	uint32_t		 i;

	if ((e = entry_get(w->t, key, &i)) == NULL)
		return (-1);
	e->seen = w->t->walk;
	if (strcmp(e->endpoint, endpoint) == 0)
		return (0);
	/* as the full report: one we cannot read (a zone index) is none */
	if (endpoint[0] != '\0' &&
	    in_endpoint_numeric(endpoint, &ss, &sslen) == -1)
		endpoint = "";
	if (strcmp(e->endpoint, endpoint) == 0)
		return (0);
	/* one too long to hold is held as none, so told at every walk */
	if (strlcpy(e->endpoint, endpoint, sizeof(e->endpoint)) >=
	    sizeof(e->endpoint))
		e->endpoint[0] = '\0';
	/* none is not told: the engine keeps the last endpoint seen */
	if (endpoint[0] == '\0')
		return (0);
	key_bin_to_b64(key, b64);
	w->tell(w->arg, b64, endpoint);
	return (0);
}

/* Drop the peers the last walk did not find. */
static int
table_sweep(struct ep_table *t)
{
	size_t	i, j;

	for (i = j = 0; i < t->n; i++)
		if (t->v[i].seen == t->walk) {
			if (i != j)
				t->v[j] = t->v[i];
			j++;
		}
	if (j == t->n)
		return (0);
	t->n = j;
	return (slots_rebuild(t));
}

/*
 * Walk the device and call tell for every peer whose endpoint the engine
 * was not told yet, or all that have one when afresh, as it walks: what
 * is told before a walk fails is true, and the engine asks afresh after.
 */
int
endpoints_changed(const char *ifname, int afresh,
    const struct wg_backend *be, endpoint_tell_cb tell, void *arg, char *err,
    size_t errlen)
{
	struct ep_walk	 w;
	struct ep_table	*t;

	err[0] = '\0';
	if ((t = table_find(ifname)) == NULL) {
		if ((t = calloc(1, sizeof(*t))) == NULL) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		strlcpy(t->ifname, ifname, sizeof(t->ifname));
		LIST_INSERT_HEAD(&tables, t, entry);
	} else if (afresh)
		table_empty(t);
	w.t = t;
	w.tell = tell;
	w.arg = arg;
	t->walk++;
	if (be->endpoints(ifname, endpoint_seen, &w, err, errlen) == -1 ||
	    table_sweep(t) == -1) {
		endpoints_forget(ifname);
		if (err[0] == '\0')
			snprintf(err, errlen, "out of memory");
		return (-1);
	}
	return (0);
}
