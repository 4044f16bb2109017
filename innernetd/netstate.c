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
 * The engine's copy of a server network's database, and the visibility
 * rule applied to it.  dbd stays the truth: every change is committed
 * there first and only then mirrored here.  Rows are kept sorted by id
 * (which is also the order upstream lists them in), so lookups by id are
 * binary searches; peers are also hashed by address, name and key, since
 * every API request looks its caller up by source address.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine_local.h"

struct ns_hash {
	uint32_t	*slots;		/* peer index + 1, 0 = empty */
	size_t		 mask;		/* table size - 1 */
};

struct ns_index {
	struct ns_hash	 by_ip;
	struct ns_hash	 by_name;
	struct ns_hash	 by_key;
	size_t		 size;
	int		 stale;		/* rebuild before the next lookup */
};

enum ns_field { NS_IP, NS_NAME, NS_KEY };

static uint32_t
hash_bytes(const void *data, size_t len)
{
	const uint8_t	*p = data;
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return (h);
}

static size_t
ip_bytes(const struct in_ip *ip)
{
	return (ip->af == AF_INET ? 4 : 16);
}

static uint32_t
peer_hash(const struct ns_row *p, enum ns_field f)
{
	switch (f) {
	case NS_IP:
		return (hash_bytes(p->ip.u.b, ip_bytes(&p->ip)) ^ p->ip.af);
	case NS_NAME:
		return (hash_bytes(p->name, strnlen(p->name,
		    sizeof(p->name))));
	case NS_KEY:
		return (hash_bytes(p->public_key, strnlen(p->public_key,
		    sizeof(p->public_key))));
	}
	return (0);
}

static struct ns_hash *
index_table(struct ns_index *ix, enum ns_field f)
{
	switch (f) {
	case NS_IP:
		return (&ix->by_ip);
	case NS_NAME:
		return (&ix->by_name);
	default:
		return (&ix->by_key);
	}
}

static void
index_insert(struct netstate *ns, size_t i)
{
	struct ns_index	*ix = ns->index;
	struct ns_hash	*t;
	enum ns_field	 f;
	size_t		 slot;

	for (f = NS_IP; f <= NS_KEY; f++) {
		t = index_table(ix, f);
		slot = peer_hash(&ns->peers[i].p, f) & t->mask;
		while (t->slots[slot] != 0)
			slot = (slot + 1) & t->mask;
		t->slots[slot] = (uint32_t)i + 1;
	}
}

static void
index_free(struct ns_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->by_ip.slots);
	free(ix->by_name.slots);
	free(ix->by_key.slots);
	free(ix);
}

unsigned long	ns_index_rebuilds;	/* for tests: the work is counted */

/* Size the tables for at least twice the peers, then fill them. */
static int
index_rebuild(struct netstate *ns)
{
	struct ns_index	*ix;
	size_t		 size = 16, i;
	enum ns_field	 f;

	while (size < ns->npeers * 2 + 2)
		size *= 2;
	if ((ix = calloc(1, sizeof(*ix))) == NULL)
		return (-1);
	for (f = NS_IP; f <= NS_KEY; f++) {
		if ((index_table(ix, f)->slots = calloc(size,
		    sizeof(uint32_t))) == NULL) {
			index_free(ix);
			return (-1);
		}
		index_table(ix, f)->mask = size - 1;
	}
	ix->size = size;
	index_free(ns->index);
	ns->index = ix;
	for (i = 0; i < ns->npeers; i++)
		index_insert(ns, i);
	ns_index_rebuilds++;
	return (0);
}

static int
index_ready(struct netstate *ns)
{
	if (ns->index == NULL || ns->index->stale)
		return (index_rebuild(ns));
	return (0);
}

static void
index_stale(struct netstate *ns)
{
	if (ns->index != NULL)
		ns->index->stale = 1;
}

/*
 * Told of every change of any mirror, after it is made: the watch of a
 * server network (watch.c) keeps its change log by it.  NULL: nobody.
 */
ns_change_fn	 ns_change_hook;

static void
changed(struct netstate *ns, enum ns_change what, int64_t id, int64_t cidr)
{
	if (ns_change_hook != NULL)
		ns_change_hook(ns, what, id, cidr);
}

void
ns_init(struct netstate *ns)
{
	memset(ns, 0, sizeof(*ns));
}

static void
peer_free(struct ns_peer *np)
{
	free(np->endpoint);
	free(np->candidates);
}

void
ns_clear(struct netstate *ns)
{
	size_t	i;

	for (i = 0; i < ns->npeers; i++)
		peer_free(&ns->peers[i]);
	free(ns->peers);
	free(ns->cidrs);
	free(ns->assocs);
	index_free(ns->index);
	ns_init(ns);
	changed(ns, NS_CH_RESET, 0, 0);
}

static int
grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t	 ncap;
	void	*p;

	if (n < *cap)
		return (0);
	ncap = *cap ? *cap * 2 : 16;
	if ((p = reallocarray(*arr, ncap, elem)) == NULL)
		return (-1);
	*arr = p;
	*cap = ncap;
	return (0);
}

/*
 * Binary search in an array sorted by an int64_t id at offset 0 of each
 * element: the index of the id, or of where it would be inserted.
 */
static size_t
find_id(const void *arr, size_t n, size_t elem, int64_t id, int *found)
{
	size_t	lo = 0, hi = n, mid;
	int64_t	v;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		memcpy(&v, (const char *)arr + mid * elem, sizeof(v));
		if (v == id) {
			*found = 1;
			return (mid);
		}
		if (v < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

static void
row_from(struct ns_row *r, const struct in_peer *p)
{
	r->id = p->id;
	r->cidr_id = p->cidr_id;
	r->invite_expires = p->invite_expires;
	memcpy(r->name, p->name, sizeof(r->name));
	memcpy(r->public_key, p->public_key, sizeof(r->public_key));
	r->ip = p->ip;
	r->keepalive = p->keepalive;
	r->is_admin = p->is_admin;
	r->is_disabled = p->is_disabled;
	r->is_redeemed = p->is_redeemed;
	r->ncandidates = p->ncandidates;
	r->candidates_len = p->candidates_len;
}

/* The whole row, as the wire and the JSON code take it. */
void
ns_peer_get(const struct ns_peer *np, struct in_peer *p)
{
	const struct ns_row	*r = &np->p;

	memset(p, 0, sizeof(*p));
	p->id = r->id;
	p->cidr_id = r->cidr_id;
	p->invite_expires = r->invite_expires;
	memcpy(p->name, r->name, sizeof(p->name));
	memcpy(p->public_key, r->public_key, sizeof(p->public_key));
	if (np->endpoint != NULL)
		strlcpy(p->endpoint, np->endpoint, sizeof(p->endpoint));
	p->ip = r->ip;
	p->keepalive = r->keepalive;
	p->is_admin = r->is_admin;
	p->is_disabled = r->is_disabled;
	p->is_redeemed = r->is_redeemed;
	p->ncandidates = r->ncandidates;
	p->candidates_len = r->candidates_len;
}

int
ns_peer_upsert(struct netstate *ns, const struct in_peer *p,
    const void *cands, size_t len)
{
	struct ns_peer	*np;
	char		*c = NULL, *ep = NULL;
	size_t		 i;
	int		 found, append;
	enum ns_change	 what = NS_CH_PEER;

	if (len > 0) {
		if ((c = malloc(len)) == NULL)
			return (-1);
		memcpy(c, cands, len);
	}
	if (p->endpoint[0] != '\0' && (ep = strndup(p->endpoint,
	    sizeof(p->endpoint) - 1)) == NULL) {
		free(c);
		return (-1);
	}
	i = find_id(ns->peers, ns->npeers, sizeof(*ns->peers), p->id, &found);
	if (found) {
		np = &ns->peers[i];
		if (np->p.cidr_id != p->cidr_id)
			what = NS_CH_PEER_MOVED;
		if (strcmp(np->p.public_key, p->public_key) != 0)
			np->observed[0] = '\0';
		if (in_ip_cmp(&np->p.ip, &p->ip) != 0 ||
		    strcmp(np->p.name, p->name) != 0 ||
		    strcmp(np->p.public_key, p->public_key) != 0)
			index_stale(ns);
		peer_free(np);
	} else {
		if (grow((void **)&ns->peers, &ns->peers_cap, ns->npeers,
		    sizeof(*ns->peers)) == -1) {
			free(ep);
			free(c);
			return (-1);
		}
		append = (i == ns->npeers);
		if (!append)
			memmove(&ns->peers[i + 1], &ns->peers[i],
			    (ns->npeers - i) * sizeof(*ns->peers));
		ns->npeers++;
		np = &ns->peers[i];
		memset(np, 0, sizeof(*np));
		if (!append || ns->index == NULL ||
		    ns->npeers * 2 + 2 > ns->index->size)
			index_stale(ns);
	}
	row_from(&np->p, p);
	np->p.candidates_len = (uint16_t)len;
	np->endpoint = ep;
	np->candidates = c;
	if (!found && ns->index != NULL && !ns->index->stale)
		index_insert(ns, i);
	ns->generation++;
	changed(ns, what, p->id, p->cidr_id);
	return (0);
}

/*
 * Move every peer of "from" (sorted by id, as a netstate is) into ns in
 * one backward merge, so adding many rows costs one pass and one index
 * rebuild instead of a move and a rebuild per row.  A row whose id ns
 * already has is dropped: ns keeps its own.  "from" is left empty.
 */
int
ns_peers_merge(struct netstate *ns, struct netstate *from)
{
	struct ns_peer	*np;
	size_t		 n = ns->npeers, m = from->npeers, i, j, k;

	if (m == 0)
		return (0);
	if (n + m > ns->peers_cap) {
		if ((np = reallocarray(ns->peers, n + m, sizeof(*np))) ==
		    NULL)
			return (-1);
		ns->peers = np;
		ns->peers_cap = n + m;
	}
	/* k only ever stays at or above i: nothing unread is overwritten */
	for (i = n, j = m, k = n + m; j > 0; ) {
		if (i > 0 && ns->peers[i - 1].p.id >=
		    from->peers[j - 1].p.id) {
			if (ns->peers[i - 1].p.id == from->peers[j - 1].p.id)
				peer_free(&from->peers[--j]);
			else
				ns->peers[--k] = ns->peers[--i];
		} else
			ns->peers[--k] = from->peers[--j];
	}
	/* rows dropped as duplicates leave a gap above ns's first i */
	if (k > i)
		memmove(&ns->peers[i], &ns->peers[k],
		    (n + m - k) * sizeof(*ns->peers));
	ns->npeers = n + m - (k - i);
	from->npeers = 0;
	ns_clear(from);
	index_stale(ns);
	ns->generation++;
	changed(ns, NS_CH_RESET, 0, 0);
	return (0);
}

int
ns_peer_remove(struct netstate *ns, int64_t id)
{
	size_t	i;
	int	found;
	int64_t	cidr;

	i = find_id(ns->peers, ns->npeers, sizeof(*ns->peers), id, &found);
	if (!found)
		return (-1);
	cidr = ns->peers[i].p.cidr_id;
	peer_free(&ns->peers[i]);
	memmove(&ns->peers[i], &ns->peers[i + 1],
	    (ns->npeers - i - 1) * sizeof(*ns->peers));
	ns->npeers--;
	index_stale(ns);
	ns->generation++;
	changed(ns, NS_CH_PEER, id, cidr);
	return (0);
}

int
ns_cidr_upsert(struct netstate *ns, const struct in_cidr *c)
{
	size_t	i;
	int	found;

	i = find_id(ns->cidrs, ns->ncidrs, sizeof(*ns->cidrs), c->id, &found);
	if (!found) {
		if (grow((void **)&ns->cidrs, &ns->cidrs_cap, ns->ncidrs,
		    sizeof(*ns->cidrs)) == -1)
			return (-1);
		memmove(&ns->cidrs[i + 1], &ns->cidrs[i],
		    (ns->ncidrs - i) * sizeof(*ns->cidrs));
		ns->ncidrs++;
	}
	ns->cidrs[i] = *c;
	ns->generation++;
	changed(ns, NS_CH_CIDR, c->id, c->id);
	return (0);
}

int
ns_cidr_remove(struct netstate *ns, int64_t id)
{
	size_t	i;
	int	found;

	i = find_id(ns->cidrs, ns->ncidrs, sizeof(*ns->cidrs), id, &found);
	if (!found)
		return (-1);
	memmove(&ns->cidrs[i], &ns->cidrs[i + 1],
	    (ns->ncidrs - i - 1) * sizeof(*ns->cidrs));
	ns->ncidrs--;
	ns->generation++;
	changed(ns, NS_CH_CIDR, id, id);
	return (0);
}

int
ns_assoc_upsert(struct netstate *ns, const struct in_assoc *a)
{
	size_t	i;
	int	found;

	i = find_id(ns->assocs, ns->nassocs, sizeof(*ns->assocs), a->id,
	    &found);
	if (!found) {
		if (grow((void **)&ns->assocs, &ns->assocs_cap, ns->nassocs,
		    sizeof(*ns->assocs)) == -1)
			return (-1);
		memmove(&ns->assocs[i + 1], &ns->assocs[i],
		    (ns->nassocs - i) * sizeof(*ns->assocs));
		ns->nassocs++;
	}
	ns->assocs[i] = *a;
	ns->generation++;
	changed(ns, NS_CH_ASSOC, a->id, 0);
	return (0);
}

int
ns_assoc_remove(struct netstate *ns, int64_t id)
{
	size_t	i;
	int	found;

	i = find_id(ns->assocs, ns->nassocs, sizeof(*ns->assocs), id,
	    &found);
	if (!found)
		return (-1);
	memmove(&ns->assocs[i], &ns->assocs[i + 1],
	    (ns->nassocs - i - 1) * sizeof(*ns->assocs));
	ns->nassocs--;
	ns->generation++;
	changed(ns, NS_CH_ASSOC, id, 0);
	return (0);
}

struct in_assoc *
ns_assoc_by_id(struct netstate *ns, int64_t id)
{
	size_t	i;
	int	found;

	i = find_id(ns->assocs, ns->nassocs, sizeof(*ns->assocs), id,
	    &found);
	return (found ? &ns->assocs[i] : NULL);
}

static int
peer_field_eq(const struct ns_row *p, enum ns_field f, const void *key)
{
	switch (f) {
	case NS_IP:
		return (in_ip_cmp(&p->ip, key) == 0);
	case NS_NAME:
		return (strcmp(p->name, key) == 0);
	case NS_KEY:
		return (strcmp(p->public_key, key) == 0);
	}
	return (0);
}

static struct ns_peer *
peer_lookup(struct netstate *ns, enum ns_field f, const void *key,
    uint32_t h)
{
	struct ns_hash	*t;
	size_t		 slot;
	uint32_t	 v;

	if (ns->npeers == 0 || index_ready(ns) == -1)
		return (NULL);
	t = index_table(ns->index, f);
	for (slot = h & t->mask; (v = t->slots[slot]) != 0;
	    slot = (slot + 1) & t->mask)
		if (peer_field_eq(&ns->peers[v - 1].p, f, key))
			return (&ns->peers[v - 1]);
	return (NULL);
}

struct ns_peer *
ns_peer_by_ip(struct netstate *ns, const struct in_ip *ip)
{
	if (ip->af != AF_INET && ip->af != AF_INET6)
		return (NULL);
	return (peer_lookup(ns, NS_IP, ip,
	    hash_bytes(ip->u.b, ip_bytes(ip)) ^ ip->af));
}

struct ns_peer *
ns_peer_by_name(struct netstate *ns, const char *name)
{
	return (peer_lookup(ns, NS_NAME, name,
	    hash_bytes(name, strnlen(name, IN_NAMESZ))));
}

struct ns_peer *
ns_peer_by_key(struct netstate *ns, const char *key)
{
	return (peer_lookup(ns, NS_KEY, key,
	    hash_bytes(key, strnlen(key, IN_KEYSZ))));
}

struct ns_peer *
ns_peer_by_id(struct netstate *ns, int64_t id)
{
	size_t	i;
	int	found;

	i = find_id(ns->peers, ns->npeers, sizeof(*ns->peers), id, &found);
	return (found ? &ns->peers[i] : NULL);
}

struct in_cidr *
ns_cidr_by_id(struct netstate *ns, int64_t id)
{
	size_t	i;
	int	found;

	i = find_id(ns->cidrs, ns->ncidrs, sizeof(*ns->cidrs), id, &found);
	return (found ? &ns->cidrs[i] : NULL);
}

ssize_t
ns_cidr_index(struct netstate *ns, int64_t id)
{
	size_t	i;
	int	found;

	i = find_id(ns->cidrs, ns->ncidrs, sizeof(*ns->cidrs), id, &found);
	return (found ? (ssize_t)i : -1);
}

struct in_cidr *
ns_cidr_by_name(struct netstate *ns, const char *name)
{
	size_t	i;

	for (i = 0; i < ns->ncidrs; i++)
		if (strcmp(ns->cidrs[i].name, name) == 0)
			return (&ns->cidrs[i]);
	return (NULL);
}

/*
 * The CIDRs whose peers a peer in CIDR "from" may see, as flags in mark[]
 * by CIDR index: its own CIDR, the infra CIDR, every CIDR associated with
 * its CIDR or an ancestor of it, and all descendants of those.  Parent
 * walks are bounded by the number of CIDRs, so a corrupt tree with a
 * cycle cannot hang us.
 */
int
ns_visible_cidrs(struct netstate *ns, int64_t from, uint8_t *mark)
{
	uint8_t	*ancestor, *seed;
	ssize_t	 i, a, b;
	size_t	 j, steps;
	int64_t	 id;

	memset(mark, 0, ns->ncidrs);
	if (ns->ncidrs == 0)
		return (0);
	if ((ancestor = calloc(2, ns->ncidrs)) == NULL)
		return (-1);
	seed = ancestor + ns->ncidrs;

	for (id = from, steps = 0; steps < ns->ncidrs &&
	    (i = ns_cidr_index(ns, id)) != -1; steps++) {
		ancestor[i] = 1;
		id = ns->cidrs[i].parent;
	}
	if ((i = ns_cidr_index(ns, from)) != -1)
		seed[i] = 1;
	if ((i = ns_cidr_index(ns, IN_INFRA_CIDR_ID)) != -1)
		seed[i] = 1;
	for (j = 0; j < ns->nassocs; j++) {
		a = ns_cidr_index(ns, ns->assocs[j].cidr_id_1);
		b = ns_cidr_index(ns, ns->assocs[j].cidr_id_2);
		if (a == -1 || b == -1)
			continue;
		if (ancestor[a])
			seed[b] = 1;
		if (ancestor[b])
			seed[a] = 1;
	}
	for (j = 0; j < ns->ncidrs; j++) {
		i = (ssize_t)j;
		for (steps = 0; steps < ns->ncidrs && i != -1; steps++) {
			if (seed[i]) {
				mark[j] = 1;
				break;
			}
			i = ns_cidr_index(ns, ns->cidrs[i].parent);
		}
	}
	free(ancestor);
	return (0);
}

int
ns_peer_visible_to(struct netstate *ns, const struct ns_peer *viewer,
    const struct ns_peer *peer)
{
	uint8_t	*mark;
	ssize_t	 i;
	int	 visible;

	if (peer->p.is_disabled || !peer->p.is_redeemed)
		return (0);
	if ((i = ns_cidr_index(ns, peer->p.cidr_id)) == -1)
		return (0);
	if ((mark = malloc(ns->ncidrs)) == NULL)
		return (0);
	if (ns_visible_cidrs(ns, viewer->p.cidr_id, mark) == -1)
		visible = 0;
	else
		visible = mark[i];
	free(mark);
	return (visible);
}

/*
 * Record the endpoint WireGuard last saw for a key.  Returns 1 when it
 * changed (so cached answers must be rebuilt), 0 when not, -1 for an
 * unknown key.
 */
int
ns_peer_set_observed(struct netstate *ns, const char *key,
    const char *endpoint)
{
	struct ns_peer	*np;

	if ((np = ns_peer_by_key(ns, key)) == NULL)
		return (-1);
	if (endpoint[0] == '\0' || strcmp(np->observed, endpoint) == 0)
		return (0);
	if (strlcpy(np->observed, endpoint, sizeof(np->observed)) >=
	    sizeof(np->observed)) {
		np->observed[0] = '\0';
		return (0);
	}
	ns->endpoint_generation++;
	changed(ns, NS_CH_OBSERVED, np->p.id, np->p.cidr_id);
	return (1);
}

/* Endpoints are equal when host and port are: addresses compared parsed. */
int
ns_endpoint_eq(const char *a, const char *b)
{
	char		ha[IN_HOSTSZ], hb[IN_HOSTSZ];
	uint16_t	pa, pb;
	struct in_ip	ia, ib;

	if (in_endpoint_parse(a, ha, sizeof(ha), &pa) == -1 ||
	    in_endpoint_parse(b, hb, sizeof(hb), &pb) == -1)
		return (strcmp(a, b) == 0);
	if (pa != pb)
		return (0);
	if (in_ip_parse(ha, &ia) == 0 && in_ip_parse(hb, &ib) == 0)
		return (in_ip_cmp(&ia, &ib) == 0);
	return (strcasecmp(ha, hb) == 0);
}

static int
endpoint_with_port(const char *observed, uint16_t port, char *buf,
    size_t len)
{
	char		host[IN_HOSTSZ];
	struct in_ip	ip;
	int		n;

	if (in_endpoint_parse(observed, host, sizeof(host), NULL) == -1 ||
	    in_ip_parse(host, &ip) == -1)
		return (-1);
	if (ip.af == AF_INET6)
		n = snprintf(buf, len, "[%s]:%u", host, port);
	else
		n = snprintf(buf, len, "%s:%u", host, port);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

static int
endpoint_host_unspecified(const char *endpoint, uint16_t *port)
{
	char		host[IN_HOSTSZ];
	struct in_ip	ip;

	if (in_endpoint_parse(endpoint, host, sizeof(host), port) == -1)
		return (0);
	if (in_ip_parse(host, &ip) == -1)
		return (0);
	return (in_ip_is_unspecified(&ip));
}

/*
 * The peer as the API shows it, with the endpoint WireGuard observed
 * merged in as upstream does: no endpoint of its own -> the observed one;
 * an endpoint with an unspecified address -> the observed address with
 * the stated port, or none if nothing was observed; and the observed
 * endpoint is added to the candidates unless it is already the endpoint
 * or one of them.  Returns the length of the candidates written to cands
 * (at least NS_MERGED_CANDSZ bytes); out->ncandidates and candidates_len
 * describe them.
 */
size_t
ns_peer_merged(const struct ns_peer *np, struct in_peer *out, char *cands,
    size_t candsz)
{
	const char	*obs = np->observed, *s, *end;
	size_t		 len = np->p.candidates_len, l;
	uint16_t	 port;
	int		 present = 0;

	ns_peer_get(np, out);
	if (len > candsz)
		len = 0;
	if (len > 0)
		memcpy(cands, np->candidates, len);
	out->candidates_len = (uint16_t)len;

	if (out->endpoint[0] == '\0') {
		if (obs[0] != '\0')
			strlcpy(out->endpoint, obs, sizeof(out->endpoint));
	} else if (endpoint_host_unspecified(out->endpoint, &port)) {
		if (obs[0] == '\0' || endpoint_with_port(obs, port,
		    out->endpoint, sizeof(out->endpoint)) == -1)
			out->endpoint[0] = '\0';
	}
	if (obs[0] == '\0')
		return (len);

	if (out->endpoint[0] != '\0' && ns_endpoint_eq(out->endpoint, obs))
		present = 1;
	for (s = cands, end = cands + len; !present && s < end;
	    s += strlen(s) + 1)
		if (ns_endpoint_eq(s, obs))
			present = 1;
	l = strlen(obs) + 1;
	if (!present && len + l <= candsz) {
		memcpy(cands + len, obs, l);
		len += l;
		out->ncandidates++;
		out->candidates_len = (uint16_t)len;
	}
	return (len);
}
