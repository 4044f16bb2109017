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
 * keep what the last walk found of each peer and tell the engine only
 * what differs.  A peer gone from the device leaves the table, so one that
 * comes back is told afresh.  The engine asks for everything when it has
 * nothing (a network starting) or after a failed walk, which also
 * empties the table.
 *
 * The table holds no key and no endpoint, only two keyed hashes a peer
 * (SipHash-2-4, libsodium's crypto_shorthash, under a key drawn when the
 * first table is made) in 16 bytes, where a key and an endpoint took
 * some 90: one of the public key, which names the peer, and one of the
 * public key and the endpoint the device gave last, which tells whether
 * that changed.  A peer is told when the endpoint changed (or the peer
 * is new) and is one we can read: none, and one with a zone index, are
 * not told, as before; an endpoint of any length is now held, where one
 * of 48 bytes or more was told at every walk.
 *
 * No one can aim at a collision without the hash key.  An unlucky one
 * (at 50,000 peers, one in 10^10 that any two keys share a hash) costs
 * this much:
 *
 * - Two keys with one hash share an entry, and each finds there the
 *   other's second hash, which covers the key: both are told at every
 *   walk, too often, never too seldom (test_endpoints makes keys collide
 *   and checks just that).
 * - A new endpoint of a peer hashed as its last one is not told: one in
 *   2^63 per change, the one collision that loses a tell, until the
 *   endpoint changes again or the engine asks afresh.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wgd.h"

/*
 * One peer.  kh 0 is a free slot (a key that hashes to 0 is taken as
 * 1).  The low bit of eh is the mark of the last walk that found the
 * peer; the other 63 are the hash of key and endpoint.
 */
struct ep_entry {
	uint64_t	 kh;
	uint64_t	 eh;
};

/*
 * Open addressing, linear probing, at most four fifths full: a peer
 * found is some two slots from its own on average, in one or two cache
 * lines, and 50,000 peers fit 65,536 slots (1 MiB).
 */
#define EP_MINSLOTS	64
#define EP_FULL(slots)	((slots) / 5 * 4)

struct ep_table {
	LIST_ENTRY(ep_table)	 entry;
	char			 ifname[IN_IFNAMSZ];
	struct ep_entry		*v;		/* mask + 1 slots, or NULL */
	size_t			 mask;
	size_t			 n;		/* entries */
	size_t			 found;		/* of them, marked this walk */
	uint64_t		 mark;		/* this walk's: 0 or 1 */
};

/* One walk: the table, and whom to tell. */
struct ep_walk {
	struct ep_table		*t;
	endpoint_tell_cb	 tell;
	void			*arg;
};

static LIST_HEAD(, ep_table)	tables = LIST_HEAD_INITIALIZER(tables);
static unsigned char		hashkey[crypto_shorthash_KEYBYTES];
static int			hashkey_made;

/* For tests: keep only this many bits of a key's hash, so keys collide. */
unsigned int			endpoints_keyhash_bits = 64;

static uint64_t
key_hash(const unsigned char *key)
{
	uint64_t	h;

	(void)crypto_shorthash((unsigned char *)&h, key, 32, hashkey);
	if (endpoints_keyhash_bits < 64)
		h &= ((uint64_t)1 << endpoints_keyhash_bits) - 1;
	return (h != 0 ? h : 1);
}

/* The hash of key and endpoint, low bit clear for the mark. */
static uint64_t
endpoint_hash(const unsigned char *key, const char *endpoint, size_t len)
{
	unsigned char	in[32 + IN_ENDPOINTSZ];
	uint64_t	h;

	memcpy(in, key, 32);
	memcpy(in + 32, endpoint, len);
	(void)crypto_shorthash((unsigned char *)&h, in, 32 + len, hashkey);
	return (h & ~(uint64_t)1);
}

/* The entry of kh, or the free slot where it would go. */
static struct ep_entry *
slot_find(const struct ep_table *t, uint64_t kh)
{
	size_t	s;

	for (s = kh & t->mask; t->v[s].kh != 0 && t->v[s].kh != kh;
	    s = (s + 1) & t->mask)
		;
	return (&t->v[s]);
}

/*
 * Move the entries into slots enough for want of them: all, or those
 * the walk marked (the others are gone from the device).
 */
static int
table_rebuild(struct ep_table *t, size_t want, int marked_only)
{
	struct ep_table	 nt;
	struct ep_entry	*e;
	size_t		 slots = EP_MINSLOTS, i;

	while (EP_FULL(slots) < want) {
		if (slots > SIZE_MAX / 2 / sizeof(*e))
			return (-1);
		slots *= 2;
	}
	memset(&nt, 0, sizeof(nt));
	if ((nt.v = calloc(slots, sizeof(*nt.v))) == NULL)
		return (-1);
	nt.mask = slots - 1;
	for (i = 0; t->v != NULL && i <= t->mask; i++) {
		if (t->v[i].kh == 0 ||
		    (marked_only && (t->v[i].eh & 1) != t->mark))
			continue;
		e = slot_find(&nt, t->v[i].kh);
		*e = t->v[i];
		nt.n++;
	}
	free(t->v);
	t->v = nt.v;
	t->mask = nt.mask;
	t->n = nt.n;
	return (0);
}

static void
table_empty(struct ep_table *t)
{
	free(t->v);
	t->v = NULL;
	t->mask = t->n = t->found = 0;
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

/* wg_endpoint_cb: one peer of the device. */
static int
endpoint_seen(void *arg, const unsigned char *key, const char *endpoint)
{
	struct ep_walk		*w = arg;
	struct ep_table		*t = w->t;
	struct ep_entry		*e = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 b64[IN_KEYSZ];
	uint64_t		 kh, eh;
	size_t			 len;

	kh = key_hash(key);
	/* the slot is a cache miss at 50,000 peers: ask while we hash */
	if (t->v != NULL)
		__builtin_prefetch(&t->v[kh & t->mask]);
	/* longer than the engine takes (none is): as none */
	if ((len = strnlen(endpoint, IN_ENDPOINTSZ)) == IN_ENDPOINTSZ) {
		endpoint = "";
		len = 0;
	}
	eh = endpoint_hash(key, endpoint, len);
	if (t->v != NULL && (e = slot_find(t, kh))->kh == kh) {
		if ((e->eh & 1) != t->mark) {
			e->eh ^= 1;
			t->found++;
		}
		if ((e->eh & ~(uint64_t)1) == eh)
			return (0);
	} else {
		if (t->v == NULL || t->n + 1 > EP_FULL(t->mask + 1)) {
			if (table_rebuild(t, t->n + 1, 0) == -1)
				return (-1);
			e = slot_find(t, kh);
		}
		e->kh = kh;
		t->n++;
		t->found++;
	}
	e->eh = eh | t->mark;
	/*
	 * None is not told: the engine keeps the last endpoint seen.  As
	 * the full report, one we cannot read (a zone index) is none.
	 */
	if (len == 0 || in_endpoint_numeric(endpoint, &ss, &sslen) == -1)
		return (0);
	key_bin_to_b64(key, b64);
	w->tell(w->arg, b64, endpoint);
	return (0);
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
	if (!hashkey_made) {
		if (sodium_init() == -1) {
			snprintf(err, errlen, "libsodium");
			return (-1);
		}
		crypto_shorthash_keygen(hashkey);
		hashkey_made = 1;
	}
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
	t->mark ^= 1;
	t->found = 0;
	/* then drop the peers the walk did not find */
	if (be->endpoints(ifname, endpoint_seen, &w, err, errlen) == -1 ||
	    (t->found < t->n && table_rebuild(t, t->found, 1) == -1)) {
		endpoints_forget(ifname);
		if (err[0] == '\0')
			snprintf(err, errlen, "out of memory");
		return (-1);
	}
	return (0);
}
