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
 * The engine's mirror: lookups and the visibility rule, on the tree the
 * upstream server tests use (root, infra, admin, developer, user CIDRs
 * with two peers each, and an experimental CIDR with a sub-CIDR).
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_local.h"

static int	failures;

static void
check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

static void
add_cidr(struct netstate *ns, int64_t id, const char *name,
    const char *prefix, int64_t parent)
{
	struct in_cidr	c;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.parent = parent;
	strlcpy(c.name, name, sizeof(c.name));
	if (in_prefix_parse(prefix, &c.cidr) == -1 || ns_cidr_upsert(ns,
	    &c) == -1) {
		printf("not ok - setup cidr %s\n", name);
		exit(1);
	}
}

static void
make_peer(struct in_peer *p, int64_t id, const char *name, const char *ip,
    int64_t cidr)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->cidr_id = cidr;
	p->keepalive = IN_DEFAULT_KEEPALIVE;
	p->is_redeemed = 1;
	strlcpy(p->name, name, sizeof(p->name));
	snprintf(p->public_key, sizeof(p->public_key), "key-of-%s", name);
	if (in_ip_parse(ip, &p->ip) == -1) {
		printf("not ok - setup ip %s\n", ip);
		exit(1);
	}
}

static void
add_peer(struct netstate *ns, int64_t id, const char *name, const char *ip,
    int64_t cidr)
{
	struct in_peer	p;

	make_peer(&p, id, name, ip, cidr);
	if (ns_peer_upsert(ns, &p, NULL, 0) == -1) {
		printf("not ok - setup peer %s\n", name);
		exit(1);
	}
}

static void
add_assoc(struct netstate *ns, int64_t id, int64_t a, int64_t b)
{
	struct in_assoc	as;

	memset(&as, 0, sizeof(as));
	as.id = id;
	as.cidr_id_1 = a;
	as.cidr_id_2 = b;
	if (ns_assoc_upsert(ns, &as) == -1) {
		printf("not ok - setup association\n");
		exit(1);
	}
}

static void
fixture(struct netstate *ns)
{
	ns_init(ns);
	add_cidr(ns, 1, "test", "10.80.0.0/15", 0);
	add_cidr(ns, 2, "innernet-server", "10.80.0.1/32", 1);
	add_cidr(ns, 3, "admin", "10.80.1.0/24", 1);
	add_cidr(ns, 4, "developer", "10.80.64.0/24", 1);
	add_cidr(ns, 5, "user", "10.80.128.0/17", 1);
	add_peer(ns, 1, "innernet-server", "10.80.0.1", 2);
	add_peer(ns, 2, "admin", "10.80.1.1", 3);
	add_peer(ns, 3, "developer1", "10.80.64.2", 4);
	add_peer(ns, 4, "developer2", "10.80.64.3", 4);
	add_peer(ns, 5, "user1", "10.80.128.2", 5);
	add_peer(ns, 6, "user2", "10.80.129.2", 5);
}

/* The names a peer sees, sorted as the upstream tests compare them. */
static void
visible_names(struct netstate *ns, const char *viewer, char *buf,
    size_t len)
{
	struct ns_peer	*v;
	const char	*names[64];
	const char	*t;
	size_t		 i, j, n = 0;

	buf[0] = '\0';
	if ((v = ns_peer_by_name(ns, viewer)) == NULL) {
		strlcpy(buf, "(no viewer)", len);
		return;
	}
	for (i = 0; i < ns->npeers && n < 64; i++)
		if (ns_peer_visible_to(ns, v, &ns->peers[i]))
			names[n++] = ns->peers[i].p.name;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(buf, ",", len);
		strlcat(buf, names[i], len);
	}
}

static void
check_visible(struct netstate *ns, const char *viewer, const char *want,
    const char *what)
{
	char	got[1024];

	visible_names(ns, viewer, got, sizeof(got));
	check(strcmp(got, want) == 0, what);
	if (strcmp(got, want) != 0)
		printf("#   %s sees %s, want %s\n", viewer, got, want);
}

static void
test_visibility(void)
{
	struct netstate	 ns;
	struct ns_peer	*p;

	fixture(&ns);
	check_visible(&ns, "developer1",
	    "developer1,developer2,innernet-server",
	    "developer sees own CIDR and infra");
	check_visible(&ns, "admin", "admin,innernet-server",
	    "admin peer sees own CIDR and infra only");
	check_visible(&ns, "user1", "innernet-server,user1,user2",
	    "user sees own CIDR and infra");
	check_visible(&ns, "innernet-server", "innernet-server",
	    "server without associations sees infra");

	/* Upstream's test_list_peers_for_developer_subcidr. */
	add_cidr(&ns, 6, "experiment cidr", "10.81.0.0/16", 1);
	add_cidr(&ns, 7, "experiment subcidr", "10.81.0.0/17", 6);
	add_peer(&ns, 7, "experiment-peer", "10.81.0.1", 7);
	add_assoc(&ns, 1, 4, 6);
	add_assoc(&ns, 2, 2, 6);
	check_visible(&ns, "developer1",
	    "developer1,developer2,experiment-peer,innernet-server",
	    "association with a parent CIDR shows its descendants");
	check_visible(&ns, "experiment-peer",
	    "developer1,developer2,experiment-peer,innernet-server",
	    "association of an ancestor applies to a sub-CIDR");
	check_visible(&ns, "user1", "innernet-server,user1,user2",
	    "unassociated CIDR unchanged by others' associations");
	check_visible(&ns, "innernet-server",
	    "experiment-peer,innernet-server",
	    "infra association shows the associated subtree");

	p = ns_peer_by_name(&ns, "developer2");
	p->p.is_disabled = 1;
	check_visible(&ns, "developer1",
	    "developer1,experiment-peer,innernet-server",
	    "disabled peer hidden");
	p->p.is_disabled = 0;
	p->p.is_redeemed = 0;
	check_visible(&ns, "developer1",
	    "developer1,experiment-peer,innernet-server",
	    "unredeemed peer hidden");
	p->p.is_redeemed = 1;

	/* Association in the other direction works the same. */
	ns_assoc_remove(&ns, 1);
	add_assoc(&ns, 3, 6, 3);
	check_visible(&ns, "admin",
	    "admin,experiment-peer,innernet-server",
	    "association is symmetric");
	check_visible(&ns, "developer1",
	    "developer1,developer2,innernet-server",
	    "removed association no longer applies");
	ns_clear(&ns);
}

static void
test_cycle(void)
{
	struct netstate	ns;
	uint8_t		mark[8];

	ns_init(&ns);
	add_cidr(&ns, 1, "root", "10.0.0.0/8", 3);
	add_cidr(&ns, 3, "a", "10.1.0.0/16", 4);
	add_cidr(&ns, 4, "b", "10.2.0.0/16", 3);
	check(ns_visible_cidrs(&ns, 3, mark) == 0,
	    "parent cycle does not hang the visibility walk");
	ns_clear(&ns);
}

static void
test_lookups(void)
{
	struct netstate	 ns;
	struct in_peer	 p;
	struct in_ip	 ip;
	struct ns_peer	*np;
	char		 name[IN_NAMESZ], addr[IN_ADDRSTRSZ];
	int		 i, ok;
	uint64_t	 gen;

	fixture(&ns);
	in_ip_parse("10.80.64.3", &ip);
	np = ns_peer_by_ip(&ns, &ip);
	check(np != NULL && np->p.id == 4, "peer by ip");
	check(ns_peer_by_id(&ns, 5) != NULL &&
	    strcmp(ns_peer_by_id(&ns, 5)->p.name, "user1") == 0,
	    "peer by id");
	check(ns_peer_by_key(&ns, "key-of-user2") != NULL,
	    "peer by key");
	check(ns_peer_by_name(&ns, "nobody") == NULL, "unknown name");
	in_ip_parse("10.80.80.80", &ip);
	check(ns_peer_by_ip(&ns, &ip) == NULL, "unknown ip");
	check(ns_cidr_by_name(&ns, "developer") != NULL &&
	    ns_cidr_by_name(&ns, "developer")->id == 4, "cidr by name");
	check(ns_cidr_by_id(&ns, 9) == NULL, "unknown cidr id");

	gen = ns.generation;
	check(ns_peer_remove(&ns, 3) == 0 && ns.generation != gen,
	    "remove bumps generation");
	in_ip_parse("10.80.64.2", &ip);
	check(ns_peer_by_ip(&ns, &ip) == NULL, "removed peer gone by ip");
	in_ip_parse("10.80.129.2", &ip);
	check(ns_peer_by_ip(&ns, &ip) != NULL &&
	    ns_peer_by_ip(&ns, &ip)->p.id == 6, "others found after remove");
	check(ns_peer_remove(&ns, 3) == -1, "removing twice fails");

	/* An update that changes the key keeps the row, drops observed. */
	make_peer(&p, 4, "developer2", "10.80.64.3", 4);
	ns_peer_set_observed(&ns, p.public_key, "192.0.2.9:5000");
	strlcpy(p.public_key, "new-key", sizeof(p.public_key));
	ns_peer_upsert(&ns, &p, NULL, 0);
	np = ns_peer_by_key(&ns, "new-key");
	check(np != NULL && np->p.id == 4 && np->observed[0] == '\0',
	    "key change found by new key, observed endpoint dropped");
	check(ns_peer_by_key(&ns, "key-of-developer2") == NULL,
	    "old key gone");

	/* Insert out of order: rows stay sorted by id. */
	add_peer(&ns, 3, "developer1", "10.80.64.2", 4);
	ok = 1;
	for (i = 1; i < (int)ns.npeers; i++)
		if (ns.peers[i - 1].p.id >= ns.peers[i].p.id)
			ok = 0;
	check(ok && ns.npeers == 6, "peers sorted by id after insert");
	in_ip_parse("10.80.64.2", &ip);
	check(ns_peer_by_ip(&ns, &ip) != NULL, "reinserted peer by ip");
	ns_clear(&ns);

	/* Many peers: every lookup by address succeeds. */
	fixture(&ns);
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "peer%d", i);
		snprintf(addr, sizeof(addr), "10.80.%d.%d", 130 + i / 200,
		    2 + i % 200);
		add_peer(&ns, 100 + i, name, addr, 5);
	}
	ok = 1;
	for (i = 0; i < 10000; i++) {
		snprintf(addr, sizeof(addr), "10.80.%d.%d", 130 + i / 200,
		    2 + i % 200);
		in_ip_parse(addr, &ip);
		np = ns_peer_by_ip(&ns, &ip);
		if (np == NULL || np->p.id != 100 + i)
			ok = 0;
	}
	check(ok, "10000 peers all found by address");
	snprintf(name, sizeof(name), "peer%d", 4321);
	check(ns_peer_by_name(&ns, name) != NULL &&
	    ns_peer_by_name(&ns, name)->p.id == 4421, "found by name");
	ns_clear(&ns);
}

static void
merged(struct netstate *ns, int64_t id, struct in_peer *out, char *cands,
    size_t *len)
{
	*len = ns_peer_merged(ns_peer_by_id(ns, id), out, cands,
	    NS_MERGED_CANDSZ);
}

static void
test_merge(void)
{
	struct netstate	 ns;
	struct in_peer	 p, out;
	struct ns_peer	*np;
	char		 cands[NS_MERGED_CANDSZ];
	static const char two[] = "1.1.1.1:51820\0" "192.0.2.7:4000";
	size_t		 len;
	uint64_t	 gen;

	fixture(&ns);
	merged(&ns, 3, &out, cands, &len);
	check(out.endpoint[0] == '\0' && len == 0,
	    "nothing observed: no endpoint, no candidates");

	gen = ns.endpoint_generation;
	check(ns_peer_set_observed(&ns, "key-of-developer1",
	    "169.10.26.8:14720") == 1 && ns.endpoint_generation != gen,
	    "observed endpoint recorded");
	check(ns_peer_set_observed(&ns, "key-of-developer1",
	    "169.10.26.8:14720") == 0, "same observed endpoint: no change");
	check(ns_peer_set_observed(&ns, "no-such-key", "1.2.3.4:5") == -1,
	    "observed endpoint for unknown key");
	merged(&ns, 3, &out, cands, &len);
	check(strcmp(out.endpoint, "169.10.26.8:14720") == 0 && len == 0,
	    "no endpoint: observed becomes the endpoint, not a candidate");

	make_peer(&p, 3, "developer1", "10.80.64.2", 4);
	p.ncandidates = 1;
	ns_peer_upsert(&ns, &p, "1.1.1.1:51820", 14);
	merged(&ns, 3, &out, cands, &len);
	check(strcmp(out.endpoint, "169.10.26.8:14720") == 0 && len == 14 &&
	    out.ncandidates == 1, "candidates kept, observed not repeated");

	strlcpy(p.endpoint, "1.2.3.4:51820", sizeof(p.endpoint));
	ns_peer_upsert(&ns, &p, "1.1.1.1:51820", 14);
	merged(&ns, 3, &out, cands, &len);
	check(strcmp(out.endpoint, "1.2.3.4:51820") == 0 &&
	    out.ncandidates == 2 && len == 14 + 18 &&
	    strcmp(cands + 14, "169.10.26.8:14720") == 0,
	    "override endpoint: observed appended to candidates");

	p.ncandidates = 2;
	strlcpy(p.endpoint, "0.0.0.0:7777", sizeof(p.endpoint));
	ns_peer_upsert(&ns, &p, two, sizeof(two));
	np = ns_peer_by_id(&ns, 3);
	strlcpy(np->observed, "192.0.2.7:4000", sizeof(np->observed));
	merged(&ns, 3, &out, cands, &len);
	check(strcmp(out.endpoint, "192.0.2.7:7777") == 0 &&
	    out.ncandidates == 2 && len == sizeof(two),
	    "unspecified host: observed address with the stated port");

	np->observed[0] = '\0';
	merged(&ns, 3, &out, cands, &len);
	check(out.endpoint[0] == '\0' && len == sizeof(two),
	    "unspecified host and nothing observed: endpoint unset");

	strlcpy(p.endpoint, "[::]:7777", sizeof(p.endpoint));
	p.ncandidates = 0;
	ns_peer_upsert(&ns, &p, NULL, 0);
	np = ns_peer_by_id(&ns, 3);
	strlcpy(np->observed, "[2001:db8::1]:4000", sizeof(np->observed));
	merged(&ns, 3, &out, cands, &len);
	check(strcmp(out.endpoint, "[2001:db8::1]:7777") == 0 &&
	    out.ncandidates == 1, "unspecified IPv6 host replaced");

	check(ns_endpoint_eq("[2001:DB8:0::1]:5", "[2001:db8::1]:5") &&
	    !ns_endpoint_eq("1.2.3.4:5", "1.2.3.4:6") &&
	    ns_endpoint_eq("Example.com:5", "example.com:5"),
	    "endpoint equality");
	ns_clear(&ns);
}

/* The endpoint is held apart from the row; every field comes back. */
static void
test_row(void)
{
	struct netstate	 ns;
	struct in_peer	 p, q;
	struct ns_peer	*np;
	size_t		 i;

	ns_init(&ns);
	make_peer(&p, 7, "longname", "10.80.0.7", 2);
	p.invite_expires = 1700000000;
	p.keepalive = 17;
	p.is_admin = 1;
	p.ncandidates = 1;
	for (i = 0; i < sizeof(p.endpoint) - 7; i++)
		p.endpoint[i] = 'a' + i % 26;
	memcpy(p.endpoint + i, ".x:123", 7);
	check(strlen(p.endpoint) == sizeof(p.endpoint) - 1,
	    "setup: an endpoint of the longest length");
	check(ns_peer_upsert(&ns, &p, "1.2.3.4:5", 10) == 0, "row added");
	np = ns_peer_by_id(&ns, 7);
	ns_peer_get(np, &q);
	p.candidates_len = 10;
	check(memcmp(&p, &q, sizeof(p)) == 0, "every field given back");

	p.endpoint[0] = '\0';
	check(ns_peer_upsert(&ns, &p, NULL, 0) == 0, "row updated");
	np = ns_peer_by_id(&ns, 7);
	ns_peer_get(np, &q);
	check(np->endpoint == NULL && q.endpoint[0] == '\0' &&
	    q.candidates_len == 0, "endpoint and candidates dropped");

	strlcpy(p.endpoint, "example.com:51820", sizeof(p.endpoint));
	check(ns_peer_upsert(&ns, &p, NULL, 0) == 0 &&
	    ns_peer_upsert(&ns, &p, NULL, 0) == 0, "host name set twice");
	ns_peer_get(ns_peer_by_id(&ns, 7), &q);
	check(strcmp(q.endpoint, "example.com:51820") == 0,
	    "host name given back");
	check(sizeof(struct ns_peer) * 2 < sizeof(struct in_peer) + 64,
	    "a mirror row is less than half of a wire row");
	ns_clear(&ns);
}

int
main(void)
{
	test_visibility();
	test_cycle();
	test_lookups();
	test_merge();
	test_row();
	return (failures ? 1 : 0);
}
