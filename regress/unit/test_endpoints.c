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
 * innernet-wgd's endpoint table (endpoints.c) over a made-up device:
 * what a refresh tells the engine, peers gone and back, a failed walk,
 * growth and shrinking, and keys made to collide (endpoints_keyhash_bits)
 * costing tells too many, never one too few; a model of the device and
 * of what the engine was told, walked at random, checks it all again.
 * And the UAPI walk's hex decoding of keys against libsodium's.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wgd.h"

static int	failed;

#define CHECK(cond, name) do {						\
	if (cond)							\
		printf("ok - %s\n", name);				\
	else {								\
		printf("not ok - %s (line %d)\n", name, __LINE__);	\
		failed = 1;						\
	}								\
} while (0)

#define MAXID	20000
#define IFNAME	"innernettest0"

/* The device: peers by id, in the order listed (shuffled at will). */
struct fpeer {
	uint32_t	 id;
	const char	*endpoint;
};
static struct fpeer	*dev;
static size_t		 ndev;
static size_t		 fail_after = SIZE_MAX;	/* peers, then fail */

/* What the last walk told: a flag and the endpoint a peer. */
static unsigned char	 told[MAXID];
static const char	*told_ep[MAXID];
static size_t		 ntold, told_twice, told_bad;

static void
key_of(uint32_t id, unsigned char *key)
{
	size_t	i;

	for (i = 0; i < 32; i++)
		key[i] = (unsigned char)(0xa5 ^ (i * 7));
	memcpy(key, &id, sizeof(id));
}

static int
fake_endpoints(const char *ifname, wg_endpoint_cb cb, void *arg, char *err,
    size_t errlen)
{
	unsigned char	key[32];
	size_t		i;

	for (i = 0; i < ndev; i++) {
		if (i == fail_after) {
			snprintf(err, errlen, "the device went away");
			return (-1);
		}
		key_of(dev[i].id, key);
		if (cb(arg, key, dev[i].endpoint) == -1) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
	}
	return (0);
}

static const struct fpeer *
dev_find(uint32_t id)
{
	size_t	i;

	for (i = 0; i < ndev; i++)
		if (dev[i].id == id)
			return (&dev[i]);
	return (NULL);
}

static void
fake_tell(void *arg, const char *b64, const char *endpoint)
{
	unsigned char	key[32], want[32];
	uint32_t	id;

	if (key_b64_to_bin(b64, key) == -1) {
		told_bad++;
		return;
	}
	memcpy(&id, key, sizeof(id));
	key_of(id, want);
	if (id >= MAXID || memcmp(key, want, 32) != 0) {
		told_bad++;
		return;
	}
	if (told[id])
		told_twice++;
	told[id] = 1;
	told_ep[id] = endpoint;	/* the device's own string, still there */
	ntold++;
}

static const struct wg_backend	fake_be = {
	.name = "fake", .endpoints = fake_endpoints
};

static int
walk_if(const char *ifname, int afresh)
{
	char	err[IN_ERRSZ];

	memset(told, 0, sizeof(told));
	memset(told_ep, 0, sizeof(told_ep));
	ntold = told_twice = told_bad = 0;
	return (endpoints_changed(ifname, afresh, &fake_be, fake_tell, NULL,
	    err, sizeof(err)));
}

static int
walk(int afresh)
{
	return (walk_if(IFNAME, afresh));
}

/* Exactly the ids given (ending in -1) were told, with their endpoints. */
static int
told_just(const int *ids)
{
	const struct fpeer	*p;
	size_t			 n = 0;

	for (; *ids != -1; ids++, n++)
		if (!told[*ids] || (p = dev_find(*ids)) == NULL ||
		    told_ep[*ids] == NULL ||
		    strcmp(told_ep[*ids], p->endpoint) != 0)
			return (0);
	return (ntold == n && told_bad == 0);
}

#define TOLD(...)	told_just((const int []){ __VA_ARGS__, -1 })
#define NONE_TOLD()	(ntold == 0 && told_bad == 0)

/* An IPv4-mapped address in full: longer than the old table held. */
#define LONG_EP	"[0000:0000:0000:0000:0000:ffff:192.168.100.200]:65535"

static void
test_changes(void)
{
	struct fpeer	v[] = {
		{ 0, "192.0.2.1:51820" },
		{ 1, "" },
		{ 2, "[fe80::1%eth0]:51820" },
		{ 3, "[2001:db8::4]:51820" },
		{ 4, LONG_EP },
		{ 5, "wireguard.example:51820" },
	};

	dev = v;
	ndev = 6;
	CHECK(walk(0) == 0 && TOLD(0, 3, 4),
	    "endpoints: the first walk tells every endpoint but none, one "
	    "with a zone and a name");
	CHECK(walk(0) == 0 && NONE_TOLD(),
	    "endpoints: nothing changed, nothing told (a 53-byte endpoint "
	    "included)");
	v[0].endpoint = "192.0.2.9:51820";
	v[1].endpoint = "[2001:db8::2]:7";
	CHECK(walk(0) == 0 && TOLD(0, 1),
	    "endpoints: a moved endpoint and a first one are told");
	v[1].endpoint = "";
	CHECK(walk(0) == 0 && NONE_TOLD(),
	    "endpoints: an endpoint gone to none is not told");
	v[1].endpoint = "[2001:db8::2]:7";
	CHECK(walk(0) == 0 && TOLD(1),
	    "endpoints: the same endpoint after none is told again");
	v[2].endpoint = "[fe80::2%eth0]:51820";
	CHECK(walk(0) == 0 && NONE_TOLD(),
	    "endpoints: a zone index moved is still none");
	v[2].endpoint = "[2001:db8::3]:51820";
	v[5].endpoint = "198.51.100.5:1";
	CHECK(walk(0) == 0 && TOLD(2, 5),
	    "endpoints: after one we cannot read, one we can is told");
	v[0].endpoint = "192.0.2.1:51820";
	CHECK(walk(0) == 0 && TOLD(0),
	    "endpoints: back to an endpoint told before is told");
	CHECK(walk(1) == 0 && TOLD(0, 1, 2, 3, 4, 5),
	    "endpoints: asked afresh, every endpoint is told");
	CHECK(walk(0) == 0 && NONE_TOLD(),
	    "endpoints: and then nothing");
	endpoints_forget(IFNAME);
}

static void
test_gone(void)
{
	struct fpeer	v[] = {
		{ 0, "192.0.2.1:1" },
		{ 1, "192.0.2.2:2" },
		{ 2, "192.0.2.3:3" },
		{ 3, "" },
	};

	dev = v;
	ndev = 4;
	CHECK(walk(0) == 0 && TOLD(0, 1, 2), "endpoints: three told");
	v[1] = v[3];
	ndev = 3;
	CHECK(walk(0) == 0 && NONE_TOLD(), "endpoints: a peer gone is not "
	    "told");
	v[3].id = 1;
	v[3].endpoint = "192.0.2.2:2";
	ndev = 4;
	CHECK(walk(0) == 0 && TOLD(1),
	    "endpoints: a peer back on the device is told afresh, though "
	    "its endpoint is as before");
	ndev = 0;
	CHECK(walk(0) == 0 && NONE_TOLD(), "endpoints: every peer gone");
	ndev = 4;
	CHECK(walk(0) == 0 && TOLD(0, 1, 2),
	    "endpoints: and all back, all told");
	endpoints_forget(IFNAME);
}

static void
test_failed(void)
{
	struct fpeer	v[] = {
		{ 0, "192.0.2.1:1" },
		{ 1, "192.0.2.2:2" },
		{ 2, "192.0.2.3:3" },
	};

	dev = v;
	ndev = 3;
	CHECK(walk(0) == 0 && TOLD(0, 1, 2), "endpoints: three told");
	v[0].endpoint = "192.0.2.9:9";
	v[2].endpoint = "192.0.2.8:8";
	fail_after = 1;
	CHECK(walk(0) == -1 && TOLD(0),
	    "endpoints: a failed walk fails after what it told");
	fail_after = SIZE_MAX;
	CHECK(walk(0) == 0 && TOLD(0, 1, 2),
	    "endpoints: after a failed walk everything is told again");
	CHECK(walk(0) == 0 && NONE_TOLD(), "endpoints: and then nothing");
	fail_after = 0;
	CHECK(walk(0) == -1 && NONE_TOLD(),
	    "endpoints: a walk failing at once tells nothing");
	fail_after = SIZE_MAX;
	CHECK(walk(0) == 0 && TOLD(0, 1, 2),
	    "endpoints: and empties the table as well");
	endpoints_forget(IFNAME);
	CHECK(walk(0) == 0 && TOLD(0, 1, 2),
	    "endpoints: an interface gone down starts afresh");
	endpoints_forget(IFNAME);
}

static void
test_interfaces(void)
{
	struct fpeer	v[] = {
		{ 0, "192.0.2.1:1" },
		{ 1, "192.0.2.2:2" },
	};

	dev = v;
	ndev = 2;
	CHECK(walk_if("innernettest0", 0) == 0 && TOLD(0, 1) &&
	    walk_if("innernettest1", 0) == 0 && TOLD(0, 1),
	    "endpoints: each interface has a table of its own");
	endpoints_forget("innernettest0");
	CHECK(walk_if("innernettest1", 0) == 0 && NONE_TOLD() &&
	    walk_if("innernettest0", 0) == 0 && TOLD(0, 1),
	    "endpoints: one forgotten, the other kept");
	endpoints_forget("innernettest0");
	endpoints_forget("innernettest1");
}

/* Keys made to share one hash: told too often, never too seldom. */
static void
test_collisions(void)
{
	struct fpeer	v[] = {
		{ 0, "192.0.2.1:1" },
		{ 1, "192.0.2.1:1" },		/* as 0's */
		{ 2, "192.0.2.3:3" },
		{ 3, "" },
	};
	int		ok = 1, i;

	endpoints_keyhash_bits = 0;
	dev = v;
	ndev = 4;
	CHECK(walk(0) == 0 && TOLD(0, 1, 2),
	    "collisions: every key alike, the first walk tells all");
	for (i = 0; i < 3; i++)
		if (walk(0) != 0 || !TOLD(0, 1, 2))
			ok = 0;
	CHECK(ok, "collisions: each later walk tells all again, the two "
	    "peers at one endpoint too: more than needed, none missed");
	ndev = 1;
	CHECK(walk(0) == 0 && TOLD(0) && walk(0) == 0 && NONE_TOLD(),
	    "collisions: one peer left, told once more (the entry was the "
	    "last one's), then no more");
	endpoints_keyhash_bits = 64;
	endpoints_forget(IFNAME);
}

/* Walks of n peers, n = 1, 2, ... 300: each tells the one peer added. */
static void
test_growth(void)
{
	static char	 eps[MAXID][24];
	struct fpeer	*v;
	size_t		 i, n, bad = 0;
	int		 one[2] = { 0, -1 };

	if ((v = calloc(MAXID, sizeof(*v))) == NULL)
		abort();
	for (i = 0; i < MAXID; i++) {
		snprintf(eps[i], sizeof(eps[i]), "10.%zu.%zu.%zu:%zu",
		    i >> 16, (i >> 8) & 0xff, i & 0xff, 1024 + i % 60000);
		v[i].id = (uint32_t)i;
		v[i].endpoint = eps[i];
	}
	dev = v;
	for (n = 1; n <= 300; n++) {
		ndev = n;
		one[0] = (int)(n - 1);
		if (walk(0) != 0 || !told_just(one))
			bad++;
	}
	CHECK(bad == 0, "growth: 300 walks of one peer more, through four "
	    "resizes: each tells the new one");
	ndev = MAXID;
	CHECK(walk(0) == 0 && ntold == MAXID - 300 && told_twice == 0 &&
	    told_bad == 0, "growth: 19,700 more at once: those told");
	CHECK(walk(0) == 0 && NONE_TOLD(), "growth: 20,000, nothing changed");
	/* the odd ones go */
	for (i = 0; i < MAXID / 2; i++)
		v[i] = v[2 * i];
	ndev = MAXID / 2;
	CHECK(walk(0) == 0 && NONE_TOLD(),
	    "growth: half of them gone, nothing told");
	CHECK(walk(0) == 0 && NONE_TOLD(), "growth: the table shrunk holds "
	    "the other half");
	for (i = 0; i < MAXID; i++) {
		v[i].id = (uint32_t)i;
		v[i].endpoint = eps[i];
	}
	ndev = MAXID;
	bad = 0;
	if (walk(0) != 0 || ntold != MAXID / 2)
		bad++;
	for (i = 0; i < MAXID; i++)
		if (told[i] != (i & 1))
			bad++;
	CHECK(bad == 0, "growth: the half back is told, only it");
	CHECK(walk(1) == 0 && ntold == MAXID && told_twice == 0,
	    "growth: afresh, all 20,000 told");
	ndev = 0;
	CHECK(walk(0) == 0 && NONE_TOLD(), "growth: all gone");
	ndev = 3;
	CHECK(walk(0) == 0 && TOLD(0, 1, 2), "growth: three back");
	endpoints_forget(IFNAME);
	free(v);
}

/*
 * A random device against a model of what the engine was told.  A peer
 * must be told when it has an endpoint we can read that is not the one
 * the last walk saw of it (or the last walk did not see it); with keys
 * colliding (bits < 64) it may be told more, never less.
 */
static const char *const	model_eps[] = {
	"", "", "192.0.2.1:1", "192.0.2.1:1", "192.0.2.2:2",
	"[2001:db8::1]:1", "[2001:db8::1]:2", "[fe80::1%eth0]:1",
	"198.51.100.7:51820", LONG_EP, "name.example:1",
};
#define NMODEL_EPS	(sizeof(model_eps) / sizeof(model_eps[0]))
#define MODEL_PEERS	300

static int
readable(const char *ep)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen;

	return (ep[0] != '\0' && in_endpoint_numeric(ep, &ss, &sslen) == 0);
}

static void
test_model(unsigned int bits, const char *name)
{
	struct fpeer	 v[MODEL_PEERS], tmp;
	const char	*cur[MODEL_PEERS], *seen[MODEL_PEERS];
	int		 present[MODEL_PEERS];
	size_t		 i, j, round, missed = 0, extra = 0, wrong = 0;
	size_t		 walked, must, total = 0;
	int		 afresh, rc;

	endpoints_keyhash_bits = bits;
	for (i = 0; i < MODEL_PEERS; i++) {
		present[i] = randombytes_uniform(4) != 0;
		cur[i] = model_eps[randombytes_uniform(NMODEL_EPS)];
		seen[i] = NULL;		/* not seen by the last walk */
	}
	dev = v;
	for (round = 0; round < 400; round++) {
		/* some peers move, go, come back */
		for (i = 0; i < MODEL_PEERS; i++) {
			switch (randombytes_uniform(20)) {
			case 0:
				present[i] = !present[i];
				break;
			case 1:
			case 2:
				cur[i] = model_eps[
				    randombytes_uniform(NMODEL_EPS)];
				break;
			}
		}
		for (i = ndev = 0; i < MODEL_PEERS; i++)
			if (present[i]) {
				v[ndev].id = (uint32_t)i;
				v[ndev++].endpoint = cur[i];
			}
		/* in an order of its own each time, as wireguard-go */
		for (i = ndev; i > 1; i--) {
			j = randombytes_uniform((uint32_t)i);
			tmp = v[i - 1];
			v[i - 1] = v[j];
			v[j] = tmp;
		}
		afresh = randombytes_uniform(25) == 0;
		fail_after = randombytes_uniform(25) == 0 ?
		    randombytes_uniform((uint32_t)ndev + 1) : SIZE_MAX;
		rc = walk(afresh);
		walked = fail_after < ndev ? fail_after : ndev;
		if (afresh)
			for (i = 0; i < MODEL_PEERS; i++)
				seen[i] = NULL;
		for (i = 0; i < walked; i++) {
			j = v[i].id;
			must = readable(cur[j]) && (seen[j] == NULL ||
			    strcmp(seen[j], cur[j]) != 0);
			if (must && !told[j])
				missed++;
			else if (!must && told[j])
				extra++;
			if (told[j] && strcmp(told_ep[j], cur[j]) != 0)
				wrong++;
		}
		for (i = walked; i < ndev; i++)
			if (told[v[i].id])
				wrong++;
		total += ntold;
		if (told_bad || told_twice)
			wrong++;
		/* what the next walk compares with */
		for (i = 0; i < MODEL_PEERS; i++)
			seen[i] = NULL;
		if (rc == 0)
			for (i = 0; i < walked; i++)
				seen[v[i].id] = cur[v[i].id];
		else if (fail_after >= ndev)
			wrong++;	/* failed, not asked to */
	}
	fail_after = SIZE_MAX;
	endpoints_keyhash_bits = 64;
	endpoints_forget(IFNAME);
	printf("# %s: %zu told, %zu more than needed\n", name, total, extra);
	if (bits >= 64)
		CHECK(missed == 0 && extra == 0 && wrong == 0, name);
	else
		CHECK(missed == 0 && extra > 0 && wrong == 0, name);
}

/* The walk's own hex decoding takes what libsodium takes. */
static void
test_hex(void)
{
	unsigned char	bin[32], a[32], b[32];
	char		hex[65];
	size_t		i, got, bad = 0;
	int		c, ra, rb;

	for (i = 0; i < 1000; i++) {
		randombytes_buf(bin, sizeof(bin));
		sodium_bin2hex(hex, sizeof(hex), bin, sizeof(bin));
		if (i & 1)
			for (c = 0; c < 64; c++)
				if (hex[c] >= 'a' && hex[c] <= 'f')
					hex[c] -= 'a' - 'A';
		if (key_hex_to_bin(hex, 64, a) == -1 ||
		    memcmp(a, bin, 32) != 0)
			bad++;
	}
	CHECK(bad == 0, "hex: 1,000 keys, lower and upper case, as they "
	    "were");
	for (c = 0; c < 256; c++) {
		sodium_bin2hex(hex, sizeof(hex), bin, sizeof(bin));
		hex[c % 64] = (char)c;
		ra = key_hex_to_bin(hex, 64, a);
		rb = sodium_hex2bin(b, 32, hex, 64, NULL, &got, NULL) == 0 &&
		    got == 32 ? 0 : -1;
		if (ra != rb || (ra == 0 && memcmp(a, b, 32) != 0))
			bad++;
	}
	CHECK(bad == 0, "hex: every byte in a key, refused or taken as "
	    "libsodium does");
	CHECK(key_hex_to_bin(hex, 63, a) == -1 &&
	    key_hex_to_bin(hex, 65, a) == -1, "hex: 64 digits, no fewer, no "
	    "more");
}

int
main(void)
{
	if (sodium_init() == -1)
		return (1);
	test_changes();
	test_gone();
	test_failed();
	test_interfaces();
	test_collisions();
	test_growth();
	test_model(64, "model: 400 random walks of 300 peers, told exactly "
	    "what changed");
	test_model(4, "model: the same with 16 key hashes among 300 peers: "
	    "told more than needed, never less");
	test_model(0, "model: the same with one key hash for all");
	test_hex();
	return (failed);
}
