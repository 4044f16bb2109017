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
 * The two WireGuard backends behind one table of operations, which
 * interface each one drives, and what both need alike: comparing peers
 * and working out the difference between what a device has and what we
 * want, so a one-peer change is one small write whichever the backend.
 */

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wgd.h"

const struct wg_backend wg_backend_kernel = {
	.name = "kernel",
	.exists = genl_exists,
	.create = genl_create,
	.set_device = genl_set_device,
	.get = genl_get,
	.endpoints = backend_endpoints_get,
	.peer_set = genl_peer_set,
	.peer_remove = genl_peer_remove,
	.sync = genl_sync,
	.destroy = rtnl_link_delete,
};

const struct wg_backend wg_backend_userspace = {
	.name = "userspace",
	.exists = uapi_exists,
	.create = NULL,		/* the parent starts the program */
	.set_device = uapi_set_device,
	.get = uapi_get,
	.endpoints = uapi_endpoints,
	.peer_set = uapi_peer_set,
	.peer_remove = uapi_peer_remove,
	.sync = uapi_sync,
	.destroy = rtnl_link_delete,	/* the program exits with its link */
};

/*
 * The endpoint walk from a whole device, for a backend whose answer
 * comes as one (the kernel's is binary and small beside a userspace
 * one's text).
 */
int
backend_endpoints_get(const char *ifname, wg_endpoint_cb cb, void *arg,
    char *err, size_t errlen)
{
	struct wg_device	 dev;
	unsigned char		 key[32];
	size_t			 i;
	int			 rc = 0;

	if (genl_get(ifname, &dev, err, errlen) == -1)
		return (-1);
	for (i = 0; i < dev.npeers && rc == 0; i++) {
		if (key_b64_to_bin(dev.peers[i].public_key, key) == -1) {
			snprintf(err, errlen, "bad key from %s", ifname);
			rc = -1;
		} else if ((rc = cb(arg, key, dev.peers[i].endpoint)) == -1)
			snprintf(err, errlen, "out of memory");
	}
	wg_device_free(&dev);
	return (rc);
}

/*
 * Which backend runs each interface we brought up or found: kept so
 * every later operation goes where the interface lives without asking
 * the kernel again.
 */
struct ifbackend {
	LIST_ENTRY(ifbackend)	 entry;
	char			 ifname[IN_IFNAMSZ];
	const struct wg_backend	*be;
};
static LIST_HEAD(, ifbackend)	ifbackends = LIST_HEAD_INITIALIZER(ifbackends);

static struct ifbackend *
ifbackend_find(const char *ifname)
{
	struct ifbackend	*ib;

	LIST_FOREACH(ib, &ifbackends, entry)
		if (strcmp(ib->ifname, ifname) == 0)
			return (ib);
	return (NULL);
}

int
backend_record(const char *ifname, const struct wg_backend *be)
{
	struct ifbackend	*ib;

	if (!in_ifname_ok(ifname))
		return (-1);
	if ((ib = ifbackend_find(ifname)) == NULL) {
		if ((ib = calloc(1, sizeof(*ib))) == NULL)
			return (-1);
		strlcpy(ib->ifname, ifname, sizeof(ib->ifname));
		LIST_INSERT_HEAD(&ifbackends, ib, entry);
	}
	ib->be = be;
	return (0);
}

void
backend_forget(const char *ifname)
{
	struct ifbackend	*ib;

	if ((ib = ifbackend_find(ifname)) != NULL) {
		LIST_REMOVE(ib, entry);
		free(ib);
	}
}

/*
 * The backend for bringing an interface up.  AUTO keeps what already
 * runs the interface, else takes the kernel when it has WireGuard (the
 * family lookup loads the module if the kernel can), else userspace.
 */
const struct wg_backend *
backend_choose(const char *ifname, uint8_t want, char *err, size_t errlen)
{
	struct ifbackend	*ib;

	switch (want) {
	case IN_BACKEND_USERSPACE:
		return (&wg_backend_userspace);
	case IN_BACKEND_KERNEL:
		if (!genl_available()) {
			snprintf(err, errlen, "the kernel has no WireGuard "
			    "module; use backend: userspace");
			return (NULL);
		}
		if (uapi_exists(ifname)) {
			snprintf(err, errlen, "%s is run by userspace "
			    "WireGuard; bring it down first or use backend: "
			    "userspace", ifname);
			return (NULL);
		}
		return (&wg_backend_kernel);
	case IN_BACKEND_AUTO:
		if ((ib = ifbackend_find(ifname)) != NULL)
			return (ib->be);
		if (uapi_exists(ifname))
			return (&wg_backend_userspace);
		if (genl_available())
			return (&wg_backend_kernel);
		return (&wg_backend_userspace);
	default:
		snprintf(err, errlen, "unknown WireGuard backend %u", want);
		return (NULL);
	}
}

/* The backend of an existing interface, or NULL if there is none. */
const struct wg_backend *
backend_of(const char *ifname)
{
	struct ifbackend	*ib;
	const struct wg_backend	*be;

	if ((ib = ifbackend_find(ifname)) != NULL)
		return (ib->be);
	if (uapi_exists(ifname))
		be = &wg_backend_userspace;
	else if (genl_exists(ifname))
		be = &wg_backend_kernel;
	else
		return (NULL);
	(void)backend_record(ifname, be);	/* only a shortcut */
	return (be);
}

/*
 * A new zeroed peer at the end of the device's list, or NULL.  The list
 * doubles when its length is a power of two, so a dump of many peers
 * is not a realloc per peer.
 */
struct wg_peer *
wg_device_add(struct wg_device *d, size_t max)
{
	struct wg_peer	*np;
	size_t		 n = d->npeers;

	if (n >= max)
		return (NULL);
	if (n == 0 || (n >= 16 && (n & (n - 1)) == 0)) {
		if ((np = reallocarray(d->peers, n == 0 ? 16 : n * 2,
		    sizeof(*np))) == NULL)
			return (NULL);
		d->peers = np;
	}
	np = &d->peers[d->npeers++];
	memset(np, 0, sizeof(*np));
	return (np);
}

void
wg_device_free(struct wg_device *d)
{
	free(d->peers);
	d->peers = NULL;
	d->npeers = 0;
}

static int
prefix_same(const struct in_prefix *a, const struct in_prefix *b)
{
	struct in_prefix	x = *a, y = *b;
	int			i, bits;

	if (a->ip.af != b->ip.af || a->len != b->len)
		return (0);
	/* the kernel keeps a prefix's network address only */
	for (i = 0; i < 16; i++) {
		bits = a->len - i * 8;
		if (bits >= 8)
			continue;
		x.ip.u.b[i] &= bits <= 0 ? 0 : 0xff << (8 - bits);
		y.ip.u.b[i] &= bits <= 0 ? 0 : 0xff << (8 - bits);
	}
	return (memcmp(x.ip.u.b, y.ip.u.b, 16) == 0);
}

static int
endpoint_same(const char *a, const char *b)
{
	struct sockaddr_storage	sa, sb;
	socklen_t		la, lb;

	if (strcmp(a, b) == 0)
		return (1);
	/* the device prints its own spelling of an IPv6 address */
	if (in_endpoint_numeric(a, &sa, &la) == -1 ||
	    in_endpoint_numeric(b, &sb, &lb) == -1)
		return (0);
	return (la == lb && memcmp(&sa, &sb, la) == 0);
}

/*
 * Does the device's peer "cur" already match "want"?  Allowed IPs are a
 * set (the kernel lists them in its own order); an endpoint is only
 * compared when we have one, so a roaming peer's observed one stays.
 */
int
wg_peer_same(const struct wg_peer *cur, const struct wg_peer *want)
{
	int	i, j;

	if (strcmp(cur->public_key, want->public_key) != 0 ||
	    cur->more_allowed || cur->nallowed != want->nallowed ||
	    cur->keepalive != (want->keepalive > 0 ? want->keepalive : 0))
		return (0);
	if (want->endpoint[0] != '\0' &&
	    !endpoint_same(cur->endpoint, want->endpoint))
		return (0);
	for (i = 0; i < want->nallowed; i++) {
		for (j = 0; j < cur->nallowed; j++)
			if (prefix_same(&want->allowed[i], &cur->allowed[j]))
				break;
		if (j == cur->nallowed)
			return (0);
	}
	return (1);
}

static int
peer_ptr_cmp(const void *a, const void *b)
{
	const struct wg_peer	*const *pa = a, *const *pb = b;

	return (strcmp((*pa)->public_key, (*pb)->public_key));
}

static const struct wg_peer **
peer_index(const struct wg_peer *peers, size_t n)
{
	const struct wg_peer	**idx;
	size_t			  i;

	if ((idx = calloc(n + 1, sizeof(*idx))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		idx[i] = &peers[i];
	qsort(idx, n, sizeof(*idx), peer_ptr_cmp);
	return (idx);
}

/*
 * The changes that turn the device's peers into "want": new and changed
 * peers (allowed IPs replaced), and removals.  Both lists are sorted by
 * key and walked together, so 10,000 peers cost a sort, not 10^8
 * comparisons.  The changes point into want and cur.
 */
int
wg_diff(const struct wg_device *cur, const struct wg_peer *want,
    size_t nwant, struct wg_change **out, size_t *nout)
{
	const struct wg_peer	**w = NULL, **c = NULL;
	struct wg_change	 *ch = NULL;
	const char		 *key;
	size_t			  i = 0, j = 0, n = 0;
	int			  cmp;

	*out = NULL;
	*nout = 0;
	if ((w = peer_index(want, nwant)) == NULL ||
	    (c = peer_index(cur->peers, cur->npeers)) == NULL ||
	    (ch = calloc(nwant + cur->npeers + 1, sizeof(*ch))) == NULL) {
		free(w);
		free(c);
		errno = ENOMEM;
		return (-1);
	}
	while (i < nwant || j < cur->npeers) {
		if (i == nwant)
			cmp = 1;
		else if (j == cur->npeers)
			cmp = -1;
		else
			cmp = strcmp(w[i]->public_key, c[j]->public_key);
		if (cmp < 0) {
			ch[n].peer = w[i++];
			ch[n++].flags = WG_CHANGE_REPLACE_ALLOWED;
		} else if (cmp > 0) {
			ch[n].peer = c[j++];
			ch[n++].flags = WG_CHANGE_REMOVE;
		} else {
			if (!wg_peer_same(c[j], w[i])) {
				ch[n].peer = w[i];
				ch[n++].flags = WG_CHANGE_REPLACE_ALLOWED;
			}
			key = c[j]->public_key;
			/* a key wanted twice counts once */
			for (i++; i < nwant && strcmp(w[i]->public_key,
			    key) == 0; i++)
				;
			/* and one the device lists twice is matched once */
			for (j++; j < cur->npeers && strcmp(c[j]->public_key,
			    key) == 0; j++)
				;
		}
	}
	free(w);
	free(c);
	*out = ch;
	*nout = n;
	return (0);
}
