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
 * wgd's UAPI code against a real userspace WireGuard (run by t_wgd.sh in
 * a namespace of its own):
 *
 *	uapi_probe sync IFNAME		key and port, then diff syncs of
 *					1,000 peers, checked by reading back
 *	uapi_probe peer IFNAME KEY ENDPOINT ALLOWED
 *					one peer, as wgd sets it
 *	uapi_probe stats IFNAME KEY	"endpoint handshake" of that peer
 */

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wgd.h"

#define NPEERS	1000

static int	failed;

#define CHECK(c, n) do { if (c) printf("ok - %s\n", n); else {		\
	printf("not ok - %s\n", n); failed = 1; } } while (0)

static const struct wg_peer *
find(const struct wg_device *d, const char *key)
{
	size_t	i;

	for (i = 0; i < d->npeers; i++)
		if (strcmp(d->peers[i].public_key, key) == 0)
			return (&d->peers[i]);
	return (NULL);
}

/* Everything wanted is on the device as wanted, nothing else is. */
static int
matches(const char *ifname, const struct wg_peer *want, size_t n)
{
	struct wg_device	 d;
	const struct wg_peer	*p;
	char			 err[IN_ERRSZ];
	size_t			 i;
	int			 ok;

	if (uapi_get(ifname, &d, err, sizeof(err)) == -1) {
		printf("# get: %s\n", err);
		return (0);
	}
	ok = d.npeers == n;
	for (i = 0; ok && i < n; i++) {
		if ((p = find(&d, want[i].public_key)) == NULL ||
		    p->nallowed != 1 || p->allowed[0].len !=
		    want[i].allowed[0].len || in_ip_cmp(&p->allowed[0].ip,
		    &want[i].allowed[0].ip) != 0 || p->keepalive !=
		    want[i].keepalive || strcmp(p->endpoint,
		    want[i].endpoint) != 0)
			ok = 0;
	}
	wg_device_free(&d);
	return (ok);
}

static int
sync_probe(const char *ifname)
{
	struct wg_settings	 ws;
	struct wg_device	 d;
	struct wg_peer		*p;
	char			 priv[IN_KEYSZ], pub[IN_KEYSZ], err[IN_ERRSZ];
	char			 pk[IN_KEYSZ];
	unsigned long		 ops;
	size_t			 i;
	int			 rc;

	key_generate(priv, pub);
	memset(&ws, 0, sizeof(ws));
	ws.private_key = priv;
	ws.listen_port = 51999;
	ws.fwmark = -1;
	rc = uapi_set_device(ifname, &ws, err, sizeof(err));
	CHECK(rc == 0, "set: private key and listen port");
	rc = uapi_get(ifname, &d, err, sizeof(err));
	CHECK(rc == 0 && strcmp(d.public_key, pub) == 0 &&
	    d.listen_port == 51999,
	    "get: the public key of that private key, the port");
	if (rc == 0)
		wg_device_free(&d);

	if ((p = calloc(NPEERS + 1, sizeof(*p))) == NULL)
		abort();
	for (i = 0; i < NPEERS + 1; i++) {
		key_generate(priv, p[i].public_key);
		p[i].nallowed = 1;
		p[i].allowed[0].ip.af = AF_INET;
		p[i].allowed[0].ip.u.b[0] = 10;
		p[i].allowed[0].ip.u.b[1] = 200;
		p[i].allowed[0].ip.u.b[2] = (uint8_t)(i / 250);
		p[i].allowed[0].ip.u.b[3] = (uint8_t)(i % 250 + 1);
		p[i].allowed[0].len = 32;
		p[i].keepalive = i % 2 ? 25 : 0;
		if (i % 3 == 0)
			snprintf(p[i].endpoint, sizeof(p[i].endpoint),
			    "198.51.100.%zu:%zu", i % 200 + 1, 20000 + i);
	}
	ops = uapi_peer_ops;
	rc = uapi_sync(ifname, p, NPEERS, err, sizeof(err));
	CHECK(rc == 0 && uapi_peer_ops - ops == NPEERS,
	    "sync of 1,000 new peers: 1,000 peer operations");
	CHECK(matches(ifname, p, NPEERS), "get: all 1,000 read back as set");

	ops = uapi_peer_ops;
	rc = uapi_sync(ifname, p, NPEERS, err, sizeof(err));
	CHECK(rc == 0 && uapi_peer_ops == ops, "the same set again: nothing");

	ops = uapi_peer_ops;
	rc = uapi_sync(ifname, p, NPEERS + 1, err, sizeof(err));
	CHECK(rc == 0 && uapi_peer_ops - ops == 1,
	    "one peer more: one operation");
	CHECK(matches(ifname, p, NPEERS + 1), "get: 1,001 peers");

	strlcpy(p[7].endpoint, "203.0.113.7:7777", sizeof(p[7].endpoint));
	p[8].allowed[0].ip.u.b[1] = 201;
	ops = uapi_peer_ops;
	rc = uapi_sync(ifname, p, NPEERS + 1, err, sizeof(err));
	CHECK(rc == 0 && uapi_peer_ops - ops == 2,
	    "an endpoint and an allowed IP changed: two operations");
	CHECK(matches(ifname, p, NPEERS + 1), "get: the changes read back");

	strlcpy(pk, p[0].public_key, sizeof(pk));
	p[0] = p[NPEERS];
	ops = uapi_peer_ops;
	rc = uapi_sync(ifname, p, NPEERS, err, sizeof(err));
	CHECK(rc == 0 && uapi_peer_ops - ops == 1,
	    "one peer gone: one removal");
	rc = uapi_get(ifname, &d, err, sizeof(err));
	CHECK(rc == 0 && find(&d, pk) == NULL && d.npeers == NPEERS,
	    "get: the removed peer is gone");
	if (rc == 0)
		wg_device_free(&d);

	ops = uapi_peer_ops;
	rc = uapi_sync(ifname, p, 0, err, sizeof(err));
	CHECK(rc == 0 && uapi_peer_ops - ops == NPEERS && matches(ifname, p,
	    0), "an empty set removes every peer");
	free(p);
	return (failed);
}

int
main(int argc, char *argv[])
{
	struct wg_device	 d;
	struct wg_peer		 p;
	const struct wg_peer	*q;
	char			 err[IN_ERRSZ];

	if (argc == 3 && strcmp(argv[1], "sync") == 0)
		return (sync_probe(argv[2]));
	if (argc == 6 && strcmp(argv[1], "peer") == 0) {
		memset(&p, 0, sizeof(p));
		strlcpy(p.public_key, argv[3], sizeof(p.public_key));
		strlcpy(p.endpoint, argv[4], sizeof(p.endpoint));
		p.keepalive = 25;
		p.nallowed = 1;
		if (in_prefix_parse(argv[5], &p.allowed[0]) == -1 ||
		    uapi_peer_set(argv[2], &p, err, sizeof(err)) == -1) {
			fprintf(stderr, "uapi_probe: %s\n", err);
			return (1);
		}
		return (0);
	}
	if (argc == 4 && strcmp(argv[1], "stats") == 0) {
		if (uapi_get(argv[2], &d, err, sizeof(err)) == -1) {
			fprintf(stderr, "uapi_probe: %s\n", err);
			return (1);
		}
		if ((q = find(&d, argv[3])) == NULL)
			return (1);
		printf("%s %lld\n", q->endpoint[0] ? q->endpoint : "-",
		    (long long)q->last_handshake);
		wg_device_free(&d);
		return (0);
	}
	fprintf(stderr, "usage: uapi_probe sync|peer|stats ...\n");
	return (2);
}
