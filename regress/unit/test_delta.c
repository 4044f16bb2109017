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
 * Deltas (innernetd/delta.c): random changes to a mirror, logged as the
 * server logs them; from every recent version, the delta applied to the
 * full state of that version must be the full state now, for callers in
 * different CIDRs (what each may see differs).  Then the client's
 * parsing of hostile deltas, versions and gzip.
 */

#include <sys/types.h>
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_local.h"
#include "delta.h"

#define STEPS		3000
#define KEEP		24	/* versions checked back */
#define NCALLERS	4
#define MAXPEER		40

static int		 failures;
static struct dlog	 dl;
static uint64_t		 counter = 1;
static struct netstate	*logged;

static void
check(int cond, const char *what)
{
	printf("%s - %s\n", cond ? "ok" : "not ok", what);
	if (!cond)
		failures++;
}

/* As watch.c's watch_changed(), without the waking. */
static void
hook(struct netstate *ns, enum ns_change what, int64_t id, int64_t cidr)
{
	if (ns != logged)
		return;
	counter++;
	if (what == NS_CH_RESET)
		dlog_reset(&dl, counter);
	else
		dlog_add(&dl, counter, what, id, cidr);
}

static const int64_t	 callers[NCALLERS] = { 3, 4, 6, 1 };

static json_t *
full_of(struct netstate *ns, int64_t cidr)
{
	struct ns_peer	caller;
	json_t		*j;

	memset(&caller, 0, sizeof(caller));
	caller.p.cidr_id = cidr;
	if ((j = delta_full(ns, &caller)) == NULL) {
		printf("not ok - delta_full\n");
		exit(1);
	}
	return (j);
}

static void
cidr_put(struct netstate *ns, int64_t id, int64_t parent, int n)
{
	struct in_cidr	c;
	char		p[32];

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.parent = parent;
	snprintf(c.name, sizeof(c.name), "c%lld-%d", (long long)id, n);
	snprintf(p, sizeof(p), "10.70.%lld.0/24", (long long)id);
	if (in_prefix_parse(p, &c.cidr) == -1 || ns_cidr_upsert(ns, &c) == -1)
		exit(1);
}

static void
peer_put(struct netstate *ns, int64_t id, int64_t cidr, int n)
{
	struct in_peer	p;
	char		ip[32], cands[64];
	size_t		len = 0;

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.cidr_id = cidr;
	p.keepalive = n % 3 == 0 ? -1 : IN_DEFAULT_KEEPALIVE;
	p.is_redeemed = n % 7 != 0;
	p.is_disabled = n % 11 == 0;
	p.is_admin = n % 5 == 0;
	snprintf(p.name, sizeof(p.name), "peer%lld", (long long)id);
	snprintf(p.public_key, sizeof(p.public_key), "key%lld-%d",
	    (long long)id, n % 4);
	if (n % 2)
		snprintf(p.endpoint, sizeof(p.endpoint), "192.0.2.%d:%d",
		    n % 250 + 1, 1000 + n);
	snprintf(ip, sizeof(ip), "10.70.%lld.%lld", (long long)cidr,
	    (long long)id + 1);
	in_ip_parse(ip, &p.ip);
	if (n % 3 == 1) {
		len = snprintf(cands, sizeof(cands), "198.51.100.%d:51820",
		    n % 250 + 1) + 1;
		p.ncandidates = 1;
	}
	p.candidates_len = len;
	if (ns_peer_upsert(ns, &p, cands, len) == -1)
		exit(1);
}

/* One random change, as the server's operations make them. */
static void
random_change(struct netstate *ns, int n)
{
	struct ns_peer	*np;
	struct in_assoc	 a;
	int64_t		 id = arc4random_uniform(MAXPEER) + 2;
	int64_t		 leaf = arc4random_uniform(5) + 3; /* 3-7 */
	char		 ep[32];
	int		 r = arc4random_uniform(100);

	np = ns_peer_by_id(ns, id);
	if (r < 45) {
		/* a peer added or changed, in its CIDR */
		peer_put(ns, id, np != NULL ? np->p.cidr_id : leaf, n);
	} else if (r < 55) {
		if (np != NULL)
			ns_peer_remove(ns, id);
	} else if (r < 75) {
		if (np != NULL) {
			snprintf(ep, sizeof(ep), "203.0.113.%d:%d",
			    n % 250 + 1, 2000 + n % 100);
			ns_peer_set_observed(ns, np->p.public_key, ep);
		}
	} else if (r < 80) {
		if (np != NULL)		/* moved */
			peer_put(ns, id, leaf, n);
	} else if (r < 86) {
		memset(&a, 0, sizeof(a));
		a.id = arc4random_uniform(4) + 1;
		a.cidr_id_1 = arc4random_uniform(5) + 3;
		a.cidr_id_2 = arc4random_uniform(5) + 3;
		if (arc4random_uniform(2))
			ns_assoc_upsert(ns, &a);
		else
			ns_assoc_remove(ns, a.id);
	} else if (r < 94) {
		/* renamed, or an empty CIDR added or removed */
		if (arc4random_uniform(2))
			cidr_put(ns, leaf, leaf == 7 ? 6 : 1, n);
		else
			cidr_put(ns, 8 + arc4random_uniform(3), 1, n);
	} else if (r < 99) {
		ns_cidr_remove(ns, 8 + arc4random_uniform(3));
	} else {
		/* reloaded: nothing before can be told as a delta */
		logged = NULL;
		ns_clear(ns);
		logged = ns;
		hook(ns, NS_CH_RESET, 0, 0);
		cidr_put(ns, 1, 0, n);
		cidr_put(ns, 2, 1, n);
		for (id = 3; id <= 7; id++)
			cidr_put(ns, id, id == 7 ? 6 : 1, n);
	}
}

struct snap {
	uint64_t	 counter;
	json_t		*full[NCALLERS];
};

static void
random_sequences(void)
{
	struct netstate	 ns;
	struct snap	 snaps[KEEP];
	json_t		*now[NCALLERS], *doc, *d;
	uint8_t		*mark;
	char		 err[256];
	int		 step, k, c, rc, bad = 0;
	unsigned long	 nok = 0, nnone = 0, nfull = 0;
	int64_t		 id;

	memset(snaps, 0, sizeof(snaps));
	ns_init(&ns);
	ns_change_hook = hook;
	logged = &ns;
	dlog_init(&dl, counter);
	cidr_put(&ns, 1, 0, 0);
	cidr_put(&ns, 2, 1, 0);
	for (id = 3; id <= 7; id++)
		cidr_put(&ns, id, id == 7 ? 6 : 1, 0);
	for (step = 1; step <= STEPS && !bad; step++) {
		random_change(&ns, step);
		for (c = 0; c < NCALLERS; c++)
			now[c] = full_of(&ns, callers[c]);
		for (k = 0; k < KEEP && !bad; k++) {
			if (snaps[k].full[0] == NULL)
				continue;
			for (c = 0; c < NCALLERS && !bad; c++) {
				if ((mark = malloc(ns.ncidrs + 1)) == NULL ||
				    ns_visible_cidrs(&ns, callers[c], mark) ==
				    -1)
					exit(1);
				rc = delta_build(&ns, &dl, snaps[k].counter,
				    counter, mark, &d);
				free(mark);
				if (rc == DELTA_FULL) {
					nfull++;
					continue;
				}
				doc = json_deep_copy(snaps[k].full[c]);
				if (rc == DELTA_OK) {
					nok++;
					if (delta_apply(doc, d, err,
					    sizeof(err)) == -1) {
						printf("# %s\n", err);
						bad = 1;
					}
					json_decref(d);
				} else
					nnone++;
				delta_canon(doc);
				if (!json_equal(doc, now[c])) {
					printf("# step %d, from %llu to %llu, "
					    "caller in CIDR %lld: differs\n",
					    step, (unsigned long long)
					    snaps[k].counter,
					    (unsigned long long)counter,
					    (long long)callers[c]);
					bad = 1;
				}
				json_decref(doc);
			}
		}
		/* this version joins the ring of those checked back */
		k = step % KEEP;
		for (c = 0; c < NCALLERS; c++) {
			json_decref(snaps[k].full[c]);
			snaps[k].full[c] = now[c];
		}
		snaps[k].counter = counter;
	}
	printf("# %lu deltas applied, %lu empty, %lu full states\n", nok,
	    nnone, nfull);
	check(!bad, "random changes: a delta applied to the state of its "
	    "version is the full state, for every caller");
	check(nok > 1000 && nnone > 0 && nfull > 0,
	    "  and deltas, empty deltas and full states all occurred");
	for (k = 0; k < KEEP; k++)
		for (c = 0; c < NCALLERS; c++)
			json_decref(snaps[k].full[c]);
	logged = NULL;
	ns_clear(&ns);
	dlog_free(&dl);
}

static int
apply_str(const char *state, const char *delta)
{
	json_t	*s, *d;
	char	 err[256];
	int	 rc;

	s = json_loads(state, 0, NULL);
	d = json_loads(delta, 0, NULL);
	rc = delta_apply(s, d, err, sizeof(err));
	json_decref(s);
	json_decref(d);
	return (rc);
}

static void
hostile_deltas(void)
{
	const char	*st = "{\"peers\":[{\"id\":2},{\"id\":3}],"
			    "\"cidrs\":[{\"id\":1}]}";
	const char	*empty = ",\"removed_peers\":[],\"cidrs\":[],"
			    "\"removed_cidrs\":[]}";
	char		 buf[256];

	snprintf(buf, sizeof(buf), "{\"peers\":[{\"id\":4}]%s", empty);
	check(apply_str(st, buf) == 0, "a well-formed delta applies");
	check(apply_str(st, "[]") == -1, "a delta that is no object: refused");
	check(apply_str(st, "{\"peers\":[]}") == -1,
	    "a delta without its arrays: refused");
	snprintf(buf, sizeof(buf), "{\"peers\":[{\"name\":\"x\"}]%s", empty);
	check(apply_str(st, buf) == -1, "a peer without id: refused");
	snprintf(buf, sizeof(buf), "{\"peers\":[{\"id\":\"2\"}]%s", empty);
	check(apply_str(st, buf) == -1, "an id that is a string: refused");
	snprintf(buf, sizeof(buf), "{\"peers\":[{\"id\":4},{\"id\":4}]%s",
	    empty);
	check(apply_str(st, buf) == -1, "a peer named twice: refused");
	check(apply_str(st, "{\"peers\":[{\"id\":4}],\"removed_peers\":[4],"
	    "\"cidrs\":[],\"removed_cidrs\":[]}") == -1,
	    "a peer both changed and removed: refused");
	check(apply_str(st, "{\"peers\":[],\"removed_peers\":[null],"
	    "\"cidrs\":[],\"removed_cidrs\":[]}") == -1,
	    "a removed id that is no integer: refused");
	check(apply_str("{\"peers\":[{\"x\":1}],\"cidrs\":[]}",
	    "{\"peers\":[],\"removed_peers\":[],\"cidrs\":[],"
	    "\"removed_cidrs\":[]}") == -1,
	    "a held state without ids: refused");
}

static void
versions(void)
{
	uint64_t	e, c;
	char		buf[DELTA_VERSIONSZ];

	check(delta_version_parse("0", &e, &c) == 0 && e == 0 && c == 0,
	    "version 0 is none");
	delta_version_str(0x0123456789abcdefULL, 42, buf, sizeof(buf));
	check(strcmp(buf, "0123456789abcdef:42") == 0, "a version is written");
	check(delta_version_parse(buf, &e, &c) == 0 &&
	    e == 0x0123456789abcdefULL && c == 42, "and read back");
	check(delta_version_parse("0123456789ABCDEF:42", &e, &c) == -1,
	    "upper case hex: refused");
	check(delta_version_parse("0123456789abcdef:", &e, &c) == -1,
	    "no counter: refused");
	check(delta_version_parse("0123456789abcdef:042", &e, &c) == -1,
	    "a leading zero: refused");
	check(delta_version_parse("0123456789abcdef:1x", &e, &c) == -1,
	    "trailing bytes: refused");
	check(delta_version_parse("0123456789abcdef:99999999999999999999999",
	    &e, &c) == -1, "a counter too long: refused");
	check(delta_version_parse("0000000000000000:5", &e, &c) == -1,
	    "epoch 0: refused");
	check(delta_version_parse("0123456789abcde:5", &e, &c) == -1,
	    "a short epoch: refused");
}

static void
gzip_both_ways(void)
{
	char		 text[8192];
	uint8_t		*z, *out;
	size_t		 zlen, olen, i;

	for (i = 0; i < sizeof(text); i++)
		text[i] = "{\"peers\":[]}"[i % 12];
	check(gz_deflate(text, sizeof(text), &z, &zlen) == 0 &&
	    zlen < sizeof(text) / 4, "gzip makes a state smaller");
	check(gz_inflate(z, zlen, sizeof(text), &out, &olen) == 0 &&
	    olen == sizeof(text) && memcmp(out, text, olen) == 0,
	    "and inflates back to it");
	free(out);
	check(gz_inflate(z, zlen, sizeof(text) - 1, &out, &olen) == -1,
	    "inflating beyond the limit is refused");
	check(gz_inflate(z, zlen - 4, sizeof(text), &out, &olen) == -1,
	    "a truncated body is refused");
	z[zlen / 2] ^= 0x55;
	check(gz_inflate(z, zlen, sizeof(text), &out, &olen) == -1,
	    "a corrupt body is refused");
	free(z);
	check(gz_inflate("not gzip", 8, 1024, &out, &olen) == -1,
	    "what is not gzip is refused");
}

int
main(void)
{
	log_init(1, 0);
	random_sequences();
	hostile_deltas();
	versions();
	gzip_both_ways();
	return (failures != 0);
}
