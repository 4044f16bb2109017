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
 * The client's key pinning at size: a fetched state merged with a cache
 * of thousands of peers.  The merge is checked against the rule stated
 * plainly (peer by peer, the way the client first did it), on growth,
 * on mass removal and on a mix of kept, dropped, moved and reused rows;
 * then the rows parsed from a state sent out of id order.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "engine_local.h"

/*
 * A 50,000-peer mass removal is checked by its work, not its time: the
 * peer-by-peer merge rebuilt the lookup index once per peer kept; now
 * it grows by doubling, so the builds may be twice the peers' log2.
 */
#define MASS_REMOVAL_PEERS	50000

static int		failures;
static uint32_t		rnd_state;

static void
check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

static uint32_t
rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16);
}

/* 10.x.y.z for a number below 2^24: distinct numbers, distinct addresses */
static void
ip_of(uint32_t n, struct in_ip *ip)
{
	char	s[32];

	snprintf(s, sizeof(s), "10.%u.%u.%u", (n >> 16) & 255,
	    (n >> 8) & 255, n & 255);
	if (in_ip_parse(s, ip) == -1) {
		printf("not ok - setup address %s\n", s);
		exit(1);
	}
}

/* A valid WireGuard key, distinct per (tag, n). */
static void
key_of(char tag, uint32_t n, char *key)
{
	unsigned char	bin[32];

	memset(bin, 0, sizeof(bin));
	bin[0] = (unsigned char)tag;
	memcpy(bin + 1, &n, sizeof(n));
	sodium_bin2base64(key, IN_KEYSZ, bin, sizeof(bin),
	    sodium_base64_VARIANT_ORIGINAL);
}

static void
make_peer(struct in_peer *p, int64_t id, char tag, uint32_t keyn,
    uint32_t ipn)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->cidr_id = 1;
	p->keepalive = IN_DEFAULT_KEEPALIVE;
	p->is_redeemed = 1;
	snprintf(p->name, sizeof(p->name), "%c%u", tag, keyn);
	key_of(tag, keyn, p->public_key);
	ip_of(ipn, &p->ip);
}

/* Peers to go into a netstate, gathered first so they go in by id. */
struct rows {
	struct in_peer	*v;
	size_t		 n, cap;
};

static struct in_peer *
rows_add(struct rows *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		if ((r->v = reallocarray(r->v, r->cap, sizeof(*r->v))) ==
		    NULL) {
			printf("not ok - setup: out of memory\n");
			exit(1);
		}
	}
	return (&r->v[r->n++]);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct in_peer	*x = a, *y = b;

	return (x->id < y->id ? -1 : x->id > y->id);
}

static const char cands[] = "192.0.2.7:51820\0[2001:db8::7]:51820";

static void
rows_load(struct rows *r, struct netstate *ns)
{
	size_t	i;

	qsort(r->v, r->n, sizeof(*r->v), row_cmp);
	ns_init(ns);
	for (i = 0; i < r->n; i++)
		if (ns_peer_upsert(ns, &r->v[i], r->v[i].candidates_len > 0 ?
		    cands : NULL, r->v[i].candidates_len) == -1) {
			printf("not ok - setup: out of memory\n");
			exit(1);
		}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/*
 * A cache of about n peers and the state a server sends next, from a
 * seed: the same seed gives the same pair.  Of the cached peers some
 * come back unchanged, some are dropped, some come back at another
 * address, some lose their id to a new peer, some come back under a
 * new id; new peers fill the cache's gaps and follow its last id.
 */
static void
scenario(uint32_t seed, uint32_t n, struct netstate *cache,
    struct netstate *fresh)
{
	struct rows	 rc, rf;
	struct in_peer	*p, *q;
	uint32_t	 id;

	memset(&rc, 0, sizeof(rc));
	memset(&rf, 0, sizeof(rf));
	rnd_state = seed;
	for (id = 1; id <= n; id++) {
		if (rnd() % 10 == 0) {	/* a gap: a new peer takes it */
			make_peer(rows_add(&rf), id, 'n', id,
			    3000000 + id);
			continue;
		}
		p = rows_add(&rc);
		make_peer(p, id, 'k', id, id);
		p->is_disabled = rnd() % 8 == 0;
		p->candidates_len = rnd() % 3 == 0 ? sizeof(cands) : 0;
		switch (rnd() % 10) {
		case 0: case 1: case 2: case 3: case 4:	/* unchanged */
			q = rows_add(&rf);
			*q = *p;
			q->candidates_len = 0;
			break;
		case 5: case 6:				/* dropped */
			break;
		case 7:					/* moved */
			q = rows_add(&rf);
			*q = *p;
			ip_of(1000000 + id, &q->ip);
			break;
		case 8:					/* id reused */
			make_peer(rows_add(&rf), id, 'r', id,
			    2000000 + id);
			break;
		case 9:					/* new id */
			q = rows_add(&rf);
			*q = *p;
			q->id = 4 * n + id;
			ip_of(4000000 + id, &q->ip);
			break;
		}
	}
	for (id = n + 1; id <= n + n / 10; id++)
		make_peer(rows_add(&rf), id, 'n', id, 3000000 + id);
	rows_load(&rc, cache);
	rows_load(&rf, fresh);
}

/* The rule as first written: one peer at a time, straight into fresh. */
static int
merge_by_rule(struct netstate *fresh, struct netstate *cache,
    size_t *added, size_t *removed)
{
	struct ns_peer	*cp, *np;
	struct in_peer	 p;
	size_t		 i;

	*added = *removed = 0;
	for (i = 0; i < cache->npeers; i++) {
		cp = &cache->peers[i];
		np = ns_peer_by_ip(fresh, &cp->p.ip);
		if (np != NULL && strcmp(np->p.public_key,
		    cp->p.public_key) != 0)
			return (-1);
		if (np == NULL && !cp->p.is_disabled)
			(*removed)++;
		if (ns_peer_by_key(fresh, cp->p.public_key) != NULL ||
		    ns_peer_by_id(fresh, cp->p.id) != NULL)
			continue;
		ns_peer_get(cp, &p);
		p.is_disabled = 1;
		if (ns_peer_upsert(fresh, &p, cp->candidates,
		    p.candidates_len) == -1)
			return (-1);
	}
	for (i = 0; i < fresh->npeers; i++)
		if (!fresh->peers[i].p.is_disabled &&
		    ns_peer_by_key(cache, fresh->peers[i].p.public_key) ==
		    NULL)
			(*added)++;
	return (0);
}

static int
peers_equal(const struct ns_peer *a, const struct ns_peer *b)
{
	return (memcmp(&a->p, &b->p, sizeof(a->p)) == 0 &&
	    (a->endpoint == NULL) == (b->endpoint == NULL) &&
	    (a->endpoint == NULL || strcmp(a->endpoint, b->endpoint) == 0) &&
	    (a->p.candidates_len == 0 || memcmp(a->candidates,
	    b->candidates, a->p.candidates_len) == 0) &&
	    strcmp(a->observed, b->observed) == 0);
}

/* Sorted by id, and every row found again by id, address and key. */
static int
lookups_hold(struct netstate *ns)
{
	struct ns_peer	*np;
	size_t		 i;

	for (i = 0; i < ns->npeers; i++) {
		np = &ns->peers[i];
		if ((i > 0 && ns->peers[i - 1].p.id >= np->p.id) ||
		    ns_peer_by_id(ns, np->p.id) != np ||
		    ns_peer_by_ip(ns, &np->p.ip) != np ||
		    ns_peer_by_key(ns, np->p.public_key) != np)
			return (0);
	}
	return (1);
}

static void
test_against_rule(uint32_t seed, uint32_t n)
{
	struct netstate	 cache, fresh, cache2, ref;
	size_t		 added, removed, radded, rremoved, i;
	int		 same;
	char		 what[128], err[IN_ERRSZ];

	scenario(seed, n, &cache, &fresh);
	scenario(seed, n, &cache2, &ref);
	snprintf(what, sizeof(what), "%u peers, seed %u: merged", n, seed);
	check(pin_merge(&fresh, &cache, &added, &removed, err,
	    sizeof(err)) == 0, what);
	snprintf(what, sizeof(what), "%u peers, seed %u: the rule merges",
	    n, seed);
	check(merge_by_rule(&ref, &cache2, &radded, &rremoved) == 0, what);
	same = fresh.npeers == ref.npeers;
	for (i = 0; same && i < fresh.npeers; i++)
		same = peers_equal(&fresh.peers[i], &ref.peers[i]);
	snprintf(what, sizeof(what), "%u peers, seed %u: the same %zu rows "
	    "as the rule", n, seed, ref.npeers);
	check(same, what);
	snprintf(what, sizeof(what), "%u peers, seed %u: %zu added, %zu "
	    "gone, as the rule", n, seed, radded, rremoved);
	check(added == radded && removed == rremoved && added > 0 &&
	    removed > 0, what);
	snprintf(what, sizeof(what), "%u peers, seed %u: lookups after the "
	    "merge", n, seed);
	check(lookups_hold(&fresh), what);
	ns_clear(&cache);
	ns_clear(&fresh);
	ns_clear(&cache2);
	ns_clear(&ref);
}

/*
 * The benchmark's shape: the server, an admin and the client itself
 * stay, n generated peers between them in id order go away, then come
 * back.
 */
static void
mass_state(struct netstate *ns, uint32_t n, int with_generated)
{
	struct rows	 r;
	uint32_t	 i;

	memset(&r, 0, sizeof(r));
	make_peer(rows_add(&r), 1, 's', 1, 1);
	make_peer(rows_add(&r), 2, 'a', 2, 2);
	make_peer(rows_add(&r), n + 10, 'c', n + 10, 5000000);
	for (i = 0; with_generated && i < n; i++) {
		make_peer(rows_add(&r), 3 + i, 'g', i, 100 + i);
		r.v[r.n - 1].candidates_len = i % 2 ? sizeof(cands) : 0;
	}
	rows_load(&r, ns);
}

static void
test_mass(uint32_t n)
{
	struct netstate	 cache, fresh, back;
	struct ns_peer	*np;
	struct in_ip	 ip;
	size_t		 added, removed, i, disabled = 0, cands_kept = 0;
	size_t		 staying_disabled = 0;
	unsigned long	 rebuilds, maxrebuilds = 8;
	uint32_t	 k;
	char		 what[128], err[IN_ERRSZ], key[IN_KEYSZ];
	int		 rc;

	mass_state(&cache, n, 1);
	mass_state(&fresh, n, 0);
	rebuilds = ns_index_rebuilds;
	rc = pin_merge(&fresh, &cache, &added, &removed, err, sizeof(err));
	rebuilds = ns_index_rebuilds - rebuilds;
	snprintf(what, sizeof(what), "%u peers gone: merged", n);
	check(rc == 0, what);
	snprintf(what, sizeof(what), "%u peers gone: all kept, %zu rows",
	    n, fresh.npeers);
	check(fresh.npeers == n + 3, what);
	for (i = 0; i < fresh.npeers; i++) {
		np = &fresh.peers[i];
		if (np->p.id >= 3 && np->p.id < n + 3) {
			disabled += np->p.is_disabled;
			cands_kept += np->p.candidates_len > 0 &&
			    np->candidates != NULL &&
			    memcmp(np->candidates, cands,
			    sizeof(cands)) == 0;
		} else
			staying_disabled += np->p.is_disabled;
	}
	snprintf(what, sizeof(what), "%u peers gone: every one disabled, "
	    "no other", n);
	check(disabled == n && staying_disabled == 0, what);
	snprintf(what, sizeof(what), "%u peers gone: candidates kept", n);
	check(cands_kept == n / 2, what);
	snprintf(what, sizeof(what), "%u peers gone: counted %zu gone, %zu "
	    "new", n, removed, added);
	check(removed == n && added == 0, what);
	snprintf(what, sizeof(what), "%u peers gone: lookups after the "
	    "merge", n);
	check(lookups_hold(&fresh), what);
	key_of('g', n / 2, key);
	ip_of(100 + n / 2, &ip);
	np = ns_peer_by_key(&fresh, key);
	snprintf(what, sizeof(what), "%u peers gone: a kept peer by key",
	    n);
	check(np != NULL && np->p.id == 3 + n / 2 && np->p.is_disabled &&
	    ns_peer_by_ip(&fresh, &ip) == np, what);
	for (k = n; k > 1; k /= 2)
		maxrebuilds += 2;
	snprintf(what, sizeof(what), "%u peers gone: the index built %lu "
	    "times (at most %lu)", n, rebuilds, maxrebuilds);
	check(rebuilds <= maxrebuilds, what);

	/*
	 * And back: enabled again, none kept twice, none new (their keys
	 * were cached).
	 */
	mass_state(&back, n, 1);
	rc = pin_merge(&back, &fresh, &added, &removed, err, sizeof(err));
	snprintf(what, sizeof(what), "%u peers back: merged, %zu rows, %zu "
	    "new, %zu gone", n, back.npeers, added, removed);
	check(rc == 0 && back.npeers == n + 3 && added == 0 &&
	    removed == 0, what);
	for (i = 0, disabled = 0; i < back.npeers; i++)
		disabled += back.peers[i].p.is_disabled;
	snprintf(what, sizeof(what), "%u peers back: none disabled", n);
	check(disabled == 0, what);
	ns_clear(&cache);
	ns_clear(&fresh);
	ns_clear(&back);
}

static void
test_refused(void)
{
	struct netstate	 cache, fresh;
	size_t		 added, removed, n;
	char		 err[IN_ERRSZ];

	mass_state(&cache, 2000, 1);
	mass_state(&fresh, 2000, 1);
	/* the server hands a cached address to another key */
	key_of('x', 1000, fresh.peers[1000].p.public_key);
	n = fresh.npeers;
	check(pin_merge(&fresh, &cache, &added, &removed, err,
	    sizeof(err)) == -1 && strstr(err, "pinning error") != NULL,
	    "an address with another key is refused");
	check(fresh.npeers == n, "a refused state is left as it was");
	ns_clear(&cache);
	ns_clear(&fresh);
}

/* Rows whose id ns already has are dropped: ns keeps its own. */
static void
test_merge_duplicates(void)
{
	struct netstate	 ns, from;
	struct in_peer	 p;
	size_t		 i;
	int		 ok = 1;

	ns_init(&ns);
	ns_init(&from);
	for (i = 1; i <= 20; i++) {
		make_peer(&p, i * 2, 'a', i, i);
		ns_peer_upsert(&ns, &p, NULL, 0);
	}
	for (i = 1; i <= 20; i++) {
		make_peer(&p, i * 3, 'b', i, 100 + i);
		ns_peer_upsert(&from, &p, cands, sizeof(cands));
	}
	check(ns_peers_merge(&ns, &from) == 0 && from.npeers == 0,
	    "merge moves every row");
	/* ids 2..40 even, and 3..60 by three: 6, 12, ... 36 in both */
	check(ns.npeers == 20 + 20 - 6, "rows of a known id are dropped");
	for (i = 0; i < ns.npeers; i++)
		if (ns.peers[i].p.id <= 40 && ns.peers[i].p.id % 2 == 0 &&
		    ns.peers[i].p.name[0] != 'a')
			ok = 0;
	check(ok, "the known rows are kept as they were");
	check(lookups_hold(&ns), "lookups after a merge with duplicates");
	ns_clear(&ns);
}

/* A state sent in reverse id order loads as the one in order does. */
static void
test_state_order(void)
{
	struct netstate	 fwd, rev;
	struct in_peer	 p;
	json_t		*st[2], *peers;
	size_t		 i, k, n = 3000;
	int		 same;
	char		 err[IN_ERRSZ];

	for (k = 0; k < 2; k++) {
		peers = json_array();
		for (i = 0; i < n; i++) {
			make_peer(&p, k ? n - i : i + 1, 'j',
			    k ? n - i : i + 1, k ? n - i : i + 1);
			json_array_append_new(peers, json_from_peer(&p,
			    NULL, 0));
		}
		if (k == 1) {	/* id 7 twice: the later row wins */
			make_peer(&p, 7, 'j', 7, 7);
			strlcpy(p.name, "seven", sizeof(p.name));
			json_array_append_new(peers, json_from_peer(&p,
			    NULL, 0));
		}
		st[k] = json_pack("{s:o, s:[]}", "peers", peers, "cidrs");
	}
	ns_init(&fwd);
	ns_init(&rev);
	check(json_to_state(st[0], &fwd, NULL, err, sizeof(err)) == 0 &&
	    json_to_state(st[1], &rev, NULL, err, sizeof(err)) == 0,
	    "states in and out of id order parsed");
	same = fwd.npeers == n && rev.npeers == n;
	for (i = 0; same && i < n; i++)
		same = fwd.peers[i].p.id == rev.peers[i].p.id &&
		    strcmp(fwd.peers[i].p.public_key,
		    rev.peers[i].p.public_key) == 0 &&
		    in_ip_cmp(&fwd.peers[i].p.ip, &rev.peers[i].p.ip) == 0 &&
		    (fwd.peers[i].p.id == 7 ||
		    strcmp(fwd.peers[i].p.name, rev.peers[i].p.name) == 0);
	check(same, "out of id order: the same rows, sorted");
	check(ns_peer_by_id(&rev, 7) != NULL &&
	    strcmp(ns_peer_by_id(&rev, 7)->p.name, "seven") == 0,
	    "out of id order: the later of two rows wins");
	check(lookups_hold(&fwd) && lookups_hold(&rev),
	    "out of id order: lookups");
	json_decref(st[0]);
	json_decref(st[1]);
	ns_clear(&fwd);
	ns_clear(&rev);
}

int
main(void)
{
	if (sodium_init() == -1) {
		printf("not ok - sodium_init\n");
		return (1);
	}
	test_against_rule(1, 200);
	test_against_rule(7, 3000);
	test_against_rule(42, 6000);
	test_mass(10000);
	test_mass(MASS_REMOVAL_PEERS);
	test_refused();
	test_merge_duplicates();
	test_state_order();
	return (failures ? 1 : 0);
}
