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
 * What the engine and the parent could send innernet-wgd.  Each input is
 * a sequence of messages, framed as imsgs and taken by wgd's own
 * imsg_get loop and dispatch (wgd.c is compiled in here with its main
 * renamed, so its static handlers and state are reachable), while
 * WireGuard, the links and routes and the key files are a model in
 * memory: no interface, route or file is touched.  Beside the devices wgd
 * makes, the model's host has links wgd did not make (a bridge, and a
 * WireGuard device someone else runs), and wgd's link records.
 *
 * A record: flags, type, request id, length byte, then the payload.  The
 * type is picked among the messages the chosen pipe accepts (or taken
 * raw), the length is the exact size (or off by up to 128 bytes either
 * way), and the interface name and key fields may be set to names and
 * keys the model knows, so that whole flows (IF_UP, SYNC_*, keys, the
 * parent's answers and questions) happen.  The input's first byte makes
 * model operations fail.
 *
 * Checked: every message wgd sends the engine or the parent is well
 * formed; the backends and the key store are only given names and keys
 * that passed wgd's checks; no device, link or route is touched unless
 * a record says wgd made it, and then only inside the recorded network
 * (inside allowed-ranges, never /0, allowed IPs host addresses in it,
 * endpoints unicast); the parent is told the network only of a link wgd
 * made; after a SYNC the device holds exactly the wanted peers.
 * Where wgd would exit (fatal), its state is put back and the input
 * ends.
 */

#include "fuzzlog.h"

#define main		wgd_main
#define key_load	fuzz_key_load
#define key_store	fuzz_key_store
#define key_remove	fuzz_key_remove
#define backend_record	fuzz_backend_record
#include "wgd.c"
#undef main
#undef key_load
#undef key_store
#undef key_remove
#undef backend_record

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	backend_record(const char *, const struct wg_backend *);

#define FZ_MAXIN	(16 * 1024)
#define FZ_MAXDEV	4
#define FZ_MAXKEYS	8
#define FZ_MAXNAMES	256
#define FZ_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* The input's first byte: which model operations fail. */
#define FAIL_NOKERNEL	0x01
#define FAIL_SET	0x02
#define FAIL_RTNL	0x04
#define FAIL_GET	0x08
#define FAIL_PEER	0x10
#define FAIL_SYNC	0x20
#define FAIL_CREATE	0x40
#define FAIL_ADDRS	0x80

/* A record's flags. */
#define R_PARENT	0x01	/* from the parent, else from the engine */
#define R_RAWTYPE	0x02	/* the type byte as the type */
#define R_RAWLEN	0x04	/* exact size + (int8_t)length byte */
#define R_FIXUP		0x08	/* known names and keys in the payload */
#define R_NAME1		0x10	/* the second name */
#define R_KEYSHIFT	5	/* two bits: which key */
#define R_NAME2		0x80	/* the third or fourth name */

#define FIX_NAME	0x01
#define FIX_KEY		0x02
#define FIX_IF		0x08
#define FIX_ALLOWED	0x10	/* a peer's allowed IP in the network */

struct fzmsg {
	uint32_t	type;
	size_t		len;
	int		fix;
};

static const struct fzmsg engine_msgs[] = {
	{ IMSG_WG_IF_UP, sizeof(struct in_wgif), FIX_NAME | FIX_IF },
	{ IMSG_WG_IF_DOWN, sizeof(struct in_netreq), FIX_NAME },
	{ IMSG_WG_KEY_SET, sizeof(struct in_wgkey), FIX_NAME | FIX_KEY },
	{ IMSG_WG_KEY_NEW, sizeof(struct in_wgkey), FIX_NAME },
	{ IMSG_WG_KEY_PENDING, sizeof(struct in_wgkey), FIX_NAME },
	{ IMSG_WG_KEY_COMMIT, sizeof(struct in_wgkey), FIX_NAME },
	{ IMSG_WG_KEY_ABORT, sizeof(struct in_wgkey), FIX_NAME },
	{ IMSG_WG_KEY_DELETE, sizeof(struct in_wgkey), FIX_NAME },
	{ IMSG_WG_LISTEN_PORT, sizeof(struct in_wgkey), FIX_NAME },
	{ IMSG_WG_PEER_SET, sizeof(struct in_wgpeer),
	    FIX_NAME | FIX_KEY | FIX_ALLOWED },
	{ IMSG_WG_PEER_REMOVE, sizeof(struct in_wgpeer), FIX_NAME | FIX_KEY },
	{ IMSG_WG_SYNC_BEGIN, sizeof(struct in_netreq), FIX_NAME },
	{ IMSG_WG_SYNC_PEER, sizeof(struct in_wgpeer),
	    FIX_NAME | FIX_KEY | FIX_ALLOWED },
	{ IMSG_WG_SYNC_END, sizeof(struct in_netreq), FIX_NAME },
	{ IMSG_WG_STATS_REQ, sizeof(struct in_netreq), FIX_NAME },
	{ IMSG_WG_ADDRS_REQ, 0, 0 },
	{ IMSG_WG_ENDPOINTS_REQ, sizeof(struct in_netreq), FIX_NAME },
};

static const struct fzmsg parent_msgs[] = {
	{ IMSG_CONF_GLOBAL, sizeof(struct in_conf_global), 0 },
	{ IMSG_CONF_RANGE, sizeof(struct in_conf_range), 0 },
	{ IMSG_CONF_END, 0, 0 },
	{ IMSG_WG_OK, 0, 0 },
	{ IMSG_WG_ERR, sizeof(struct in_error), 0 },
	{ IMSG_PARENT_LINK_REQ, sizeof(struct in_netreq), FIX_NAME },
};

/* Two names for wgd to make, a bridge and someone else's WireGuard. */
static const char *fz_names[] = { "fz0", "fz1", "fzbr", "fzwg" };
#define FZ_BRIDGE	"fzbr"
#define FZ_BRIDGE_INDEX	50
#define FZ_FOREIGN	"fzwg"
/* The network FIX_IF and FIX_ALLOWED put things in. */
#define FZ_NET		"10.7.0.0/24"

static const char *fz_keys[] = {
	"YBVIgpfLbi/knrMCTEb0L6eVy0daiZnJJQkxBK9s+2I=",
	"4CNZorWVtohO64n6AAaH/JyFjIIgBFrfJK2SGtKjzEE=",
	"ACNZorWVtohO64n6AAaH/JyFjIIgBFrfJK2SGtKjzEE=",
	"gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=",
};

/* The model: WireGuard devices, stored keys, names given backends. */
struct fzdev {
	char			 name[IN_IFNAMSZ];	/* "" = free */
	const struct wg_backend	*be;
	struct wg_device	 dev;
	unsigned int		 gets;	/* roaming peers move per get */
};
struct fzkey {
	char		 ifname[IN_IFNAMSZ];
	char		 priv[IN_KEYSZ];
};
static struct fzdev	 devs[FZ_MAXDEV];
static struct fzkey	 keys[FZ_MAXKEYS];
static struct link_rec	 links[FZ_MAXDEV];	/* wgd's records */
static char		 recorded[FZ_MAXNAMES][IN_IFNAMSZ];
static size_t		 nrecorded;
static uint8_t		 fail;
static int		 show;		/* FUZZ_SHOW: print what wgd sends */

static void		 fz_host(void);

/* Only checked names reach the backends and the key store. */
static void
name_checked(const char *name)
{
	if (memchr(name, '\0', IN_IFNAMSZ) == NULL || !in_ifname_ok(name))
		abort();
}

static void
peer_checked(const struct wg_peer *p)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen;

	if (!in_key_ok(p->public_key) || p->nallowed > IN_MAXALLOWEDIPS ||
	    p->keepalive < -1 || p->keepalive > 65535 ||
	    memchr(p->endpoint, '\0', sizeof(p->endpoint)) == NULL ||
	    (p->endpoint[0] != '\0' &&
	    in_endpoint_numeric(p->endpoint, &ss, &sslen) == -1))
		abort();
}

static struct fzdev *
dev_find(const char *name)
{
	int	i;

	name_checked(name);
	for (i = 0; i < FZ_MAXDEV; i++)
		if (devs[i].name[0] != '\0' && strcmp(devs[i].name, name) == 0)
			return (&devs[i]);
	return (NULL);
}

static struct fzdev *
dev_add(const char *name, const struct wg_backend *be)
{
	struct fzdev	*d;
	int		 i;

	if ((d = dev_find(name)) != NULL)
		return (d->be == be ? d : NULL);
	for (i = 0; i < FZ_MAXDEV; i++)
		if (devs[i].name[0] == '\0') {
			d = &devs[i];
			memset(d, 0, sizeof(*d));
			strlcpy(d->name, name, sizeof(d->name));
			d->be = be;
			d->dev.listen_port = 51820 + i;
			return (d);
		}
	return (NULL);
}

static void
dev_remove(struct fzdev *d)
{
	wg_device_free(&d->dev);
	memset(d, 0, sizeof(*d));
}

/* The link index of a device: its slot, 1-based; the bridge's is fixed. */
int
rtnl_ifindex(const char *name)
{
	struct fzdev	*d;

	if (!in_ifname_ok(name))
		return (-1);
	if (strcmp(name, FZ_BRIDGE) == 0)
		return (FZ_BRIDGE_INDEX);
	if ((d = dev_find(name)) == NULL)
		return (-1);
	return ((int)(d - devs) + 1);
}

static struct link_rec *
link_find(const char *name)
{
	int	i;

	for (i = 0; i < FZ_MAXDEV; i++)
		if (links[i].ifname[0] != '\0' &&
		    strcmp(links[i].ifname, name) == 0)
			return (&links[i]);
	return (NULL);
}

int
link_load(const char *dir, const char *name, struct link_rec *lr)
{
	struct link_rec	*l;

	name_checked(name);
	if ((l = link_find(name)) == NULL) {
		memset(lr, 0, sizeof(*lr));
		errno = ENOENT;
		return (-1);
	}
	*lr = *l;
	return (0);
}

int
link_store(const char *dir, const struct link_rec *lr)
{
	struct link_rec	*l;
	int		 i;

	name_checked(lr->ifname);
	/* only a link wgd made or adopted, as it is now */
	if (lr->ifindex != rtnl_ifindex(lr->ifname) ||
	    strcmp(lr->ifname, FZ_BRIDGE) == 0 ||
	    strcmp(lr->ifname, FZ_FOREIGN) == 0 ||
	    !in_prefix_in_ranges(&lr->net, ranges, nranges))
		abort();
	if ((l = link_find(lr->ifname)) == NULL)
		for (i = 0; i < FZ_MAXDEV && l == NULL; i++)
			if (links[i].ifname[0] == '\0')
				l = &links[i];
	if (l == NULL) {
		errno = ENOSPC;
		return (-1);
	}
	*l = *lr;
	return (0);
}

int
link_remove(const char *dir, const char *name)
{
	struct link_rec	*l;

	name_checked(name);
	if ((l = link_find(name)) != NULL)
		memset(l, 0, sizeof(*l));
	return (0);
}

size_t
link_count(const char *dir, const char *except)
{
	size_t	i, n = 0;

	for (i = 0; i < FZ_MAXDEV; i++)
		if (links[i].ifname[0] != '\0' &&
		    strcmp(links[i].ifname, except) != 0)
			n++;
	return (n);
}

/* wgd touches a device only when its record names it as it is now. */
static const struct link_rec *
owned(const char *name)
{
	const struct link_rec	*l;

	if ((l = link_find(name)) == NULL ||
	    l->ifindex != rtnl_ifindex(name) ||
	    !in_prefix_in_ranges(&l->net, ranges, nranges))
		abort();
	return (l);
}

/* A peer wgd sets: inside the link's network, endpoint unicast. */
static void
peer_in_net(const char *name, const struct wg_peer *p)
{
	const struct link_rec	*l = owned(name);
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	const struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	int			 i;

	for (i = 0; i < p->nallowed; i++)
		if (p->allowed[i].len != (p->allowed[i].ip.af == AF_INET ?
		    32 : 128) || !in_prefix_contains(&l->net,
		    &p->allowed[i].ip))
			abort();
	if (p->endpoint[0] != '\0' &&
	    (in_endpoint_numeric(p->endpoint, &ss, &sslen) == -1 ||
	    (ss.ss_family == AF_INET && (sin->sin_port == 0 ||
	    (ntohl(sin->sin_addr.s_addr) >> 24) == 127 ||
	    ntohl(sin->sin_addr.s_addr) >= 0xe0000000 ||
	    sin->sin_addr.s_addr == 0))))
		abort();
}

static int
fz_err(char *err, size_t len, const char *what, const char *name)
{
	snprintf(err, len, "%s: %s failed", name, what);
	return (-1);
}

static struct wg_peer *
dev_peer(struct fzdev *d, const char *key)
{
	size_t	i;

	for (i = 0; i < d->dev.npeers; i++)
		if (strcmp(d->dev.peers[i].public_key, key) == 0)
			return (&d->dev.peers[i]);
	return (NULL);
}

/* A peer set as the kernel keeps it. */
static int
dev_peer_set(struct fzdev *d, const struct wg_peer *p)
{
	struct wg_peer	*cur;
	char		 ep[IN_ENDPOINTSZ];

	if ((cur = dev_peer(d, p->public_key)) == NULL) {
		if ((cur = wg_device_add(&d->dev, SIZE_MAX)) == NULL)
			return (-1);
		ep[0] = '\0';
	} else
		strlcpy(ep, cur->endpoint, sizeof(ep));
	*cur = *p;
	cur->keepalive = p->keepalive > 0 ? p->keepalive : 0;
	cur->more_allowed = 0;
	if (p->endpoint[0] == '\0')
		strlcpy(cur->endpoint, ep, sizeof(cur->endpoint));
	return (0);
}

static void
dev_peer_remove(struct fzdev *d, const char *key)
{
	struct wg_peer	*p;

	if ((p = dev_peer(d, key)) == NULL)
		return;
	*p = d->dev.peers[--d->dev.npeers];
}

int
genl_available(void)
{
	return (!(fail & FAIL_NOKERNEL));
}

int
genl_exists(const char *name)
{
	struct fzdev	*d;

	return ((d = dev_find(name)) != NULL && d->be == &wg_backend_kernel);
}

int
uapi_exists(const char *name)
{
	struct fzdev	*d;

	return ((d = dev_find(name)) != NULL &&
	    d->be == &wg_backend_userspace);
}

int
genl_create(const char *name, char *err, size_t len)
{
	if ((fail & FAIL_CREATE) || strcmp(name, FZ_BRIDGE) == 0 ||
	    dev_find(name) != NULL || dev_add(name, &wg_backend_kernel) == NULL)
		return (fz_err(err, len, "create", name));
	return (0);
}

static int
fz_set_device(const char *name, const struct wg_settings *ws, char *err,
    size_t len)
{
	struct fzdev	*d;

	if ((d = dev_find(name)) == NULL || (fail & FAIL_SET))
		return (fz_err(err, len, "set", name));
	owned(name);
	if ((ws->private_key != NULL && !in_key_ok(ws->private_key)) ||
	    ws->listen_port < -1 || ws->listen_port > 65535 ||
	    ws->fwmark < -1 || ws->fwmark > UINT32_MAX)
		abort();
	if (ws->private_key != NULL)
		key_public(ws->private_key, d->dev.public_key);
	if (ws->listen_port > 0)
		d->dev.listen_port = ws->listen_port;
	if (ws->fwmark != -1)
		d->dev.fwmark = ws->fwmark;
	return (0);
}

static int
fz_get(const char *name, struct wg_device *out, char *err, size_t len)
{
	struct fzdev	*d;
	struct wg_peer	*p;
	size_t		 i;

	if ((d = dev_find(name)) == NULL || (fail & FAIL_GET))
		return (fz_err(err, len, "get", name));
	memset(out, 0, sizeof(*out));
	strlcpy(out->public_key, d->dev.public_key, sizeof(out->public_key));
	out->listen_port = d->dev.listen_port;
	out->fwmark = d->dev.fwmark;
	for (i = 0; i < d->dev.npeers; i++) {
		if ((p = wg_device_add(out, SIZE_MAX)) == NULL) {
			wg_device_free(out);
			return (fz_err(err, len, "get", name));
		}
		*p = d->dev.peers[i];
		p->last_handshake = 1700000000 + i;
		p->rx = i * 100;
		/* a peer without a set endpoint roams among four */
		if (p->endpoint[0] == '\0' && (i & 1) == 0)
			snprintf(p->endpoint, sizeof(p->endpoint),
			    "203.0.113.%zu:51820", (d->gets / 2 + i) % 4);
	}
	d->gets++;
	return (0);
}

/* As backend_endpoints_get does it for the kernel, over the model. */
int
uapi_endpoints(const char *name, wg_endpoint_cb cb, void *arg, char *err,
    size_t len)
{
	struct wg_device	 dev;
	unsigned char		 key[32];
	size_t			 i;
	int			 rc = 0;

	if (fz_get(name, &dev, err, len) == -1)
		return (-1);
	for (i = 0; i < dev.npeers && rc == 0; i++) {
		if (key_b64_to_bin(dev.peers[i].public_key, key) == -1)
			abort();
		if ((rc = cb(arg, key, dev.peers[i].endpoint)) == -1)
			snprintf(err, len, "out of memory");
	}
	wg_device_free(&dev);
	return (rc);
}

static int
fz_peer_set(const char *name, const struct wg_peer *p, char *err,
    size_t len)
{
	struct fzdev	*d;

	peer_checked(p);
	if ((d = dev_find(name)) != NULL)
		peer_in_net(name, p);
	if (d == NULL || (fail & FAIL_PEER) || dev_peer_set(d, p) == -1)
		return (fz_err(err, len, "peer set", name));
	return (0);
}

static int
fz_peer_remove(const char *name, const char *key, char *err, size_t len)
{
	struct fzdev	*d;

	if (!in_key_ok(key))
		abort();
	if ((d = dev_find(name)) == NULL || (fail & FAIL_PEER))
		return (fz_err(err, len, "peer remove", name));
	owned(name);
	dev_peer_remove(d, key);
	return (0);
}

/*
 * wg_diff's changes, made to the model as the kernel would; then the
 * device must hold each wanted key, as one of its wanted versions, and
 * nothing else.
 */
static int
fz_sync(const char *name, const struct wg_peer *want, size_t n, char *err,
    size_t len)
{
	struct fzdev		*d;
	struct wg_change	*ch;
	struct wg_peer		*copy, *p;
	size_t			 nch, i, j;

	if ((d = dev_find(name)) == NULL || (fail & FAIL_SYNC))
		return (fz_err(err, len, "sync", name));
	for (i = 0; i < n; i++) {
		peer_checked(&want[i]);
		peer_in_net(name, &want[i]);
	}
	if (wg_diff(&d->dev, want, n, &ch, &nch) == -1)
		return (fz_err(err, len, "diff", name));
	/* the changes point into the device, which changes under them */
	if ((copy = calloc(nch + 1, sizeof(*copy))) == NULL)
		abort();
	for (i = 0; i < nch; i++)
		copy[i] = *ch[i].peer;
	for (i = 0; i < nch; i++) {
		if (ch[i].flags & WG_CHANGE_REMOVE)
			dev_peer_remove(d, copy[i].public_key);
		else if (dev_peer_set(d, &copy[i]) == -1)
			abort();
	}
	free(copy);
	free(ch);
	for (i = 0; i < d->dev.npeers; i++) {
		p = &d->dev.peers[i];
		for (j = 0; j < n; j++)
			if (strcmp(want[j].public_key, p->public_key) == 0 &&
			    wg_peer_same(p, &want[j]))
				break;
		if (j == n)
			abort();
	}
	for (j = 0; j < n; j++)
		if (dev_peer(d, want[j].public_key) == NULL)
			abort();
	return (0);
}

int
genl_set_device(const char *n, const struct wg_settings *ws, char *e,
    size_t l)
{
	return (fz_set_device(n, ws, e, l));
}

int
uapi_set_device(const char *n, const struct wg_settings *ws, char *e,
    size_t l)
{
	return (fz_set_device(n, ws, e, l));
}

int
genl_get(const char *n, struct wg_device *d, char *e, size_t l)
{
	return (fz_get(n, d, e, l));
}

int
uapi_get(const char *n, struct wg_device *d, char *e, size_t l)
{
	return (fz_get(n, d, e, l));
}

int
genl_peer_set(const char *n, const struct wg_peer *p, char *e, size_t l)
{
	return (fz_peer_set(n, p, e, l));
}

int
uapi_peer_set(const char *n, const struct wg_peer *p, char *e, size_t l)
{
	return (fz_peer_set(n, p, e, l));
}

int
genl_peer_remove(const char *n, const char *k, char *e, size_t l)
{
	return (fz_peer_remove(n, k, e, l));
}

int
uapi_peer_remove(const char *n, const char *k, char *e, size_t l)
{
	return (fz_peer_remove(n, k, e, l));
}

int
genl_sync(const char *n, const struct wg_peer *p, size_t np, char *e,
    size_t l)
{
	return (fz_sync(n, p, np, e, l));
}

int
uapi_sync(const char *n, const struct wg_peer *p, size_t np, char *e,
    size_t l)
{
	return (fz_sync(n, p, np, e, l));
}

int
rtnl_link_delete(const char *name, char *err, size_t len)
{
	struct fzdev	*d;

	if (strcmp(name, FZ_BRIDGE) == 0)
		abort();
	if ((d = dev_find(name)) == NULL)
		return (fz_err(err, len, "delete", name));
	owned(name);
	dev_remove(d);
	return (0);
}

int
rtnl_setup(const char *name, const struct in_prefix *addr,
    const struct in_prefix *route, uint32_t mtu, char *err, size_t len)
{
	const struct link_rec	*l;

	if ((addr->ip.af != AF_INET && addr->ip.af != AF_INET6) ||
	    mtu < 576 || mtu > 9000 || route == NULL)
		abort();
	if (dev_find(name) == NULL || (fail & FAIL_RTNL))
		return (fz_err(err, len, "setup", name));
	/* the route is the recorded network, the address inside it */
	l = owned(name);
	if (route->len != l->net.len || in_ip_cmp(&route->ip,
	    &l->net.ip) != 0 || !in_prefix_contains(route, &addr->ip))
		abort();
	return (0);
}

int
rtnl_local_addrs(struct in_ip *addrs, size_t max)
{
	if ((fail & FAIL_ADDRS) || max < 2)
		return (-1);
	in_ip_parse("192.0.2.7", &addrs[0]);
	in_ip_parse("2001:db8::7", &addrs[1]);
	return (2);
}

int
fuzz_key_load(const char *dir, const char *ifname, char *priv)
{
	int	i;

	name_checked(ifname);
	for (i = 0; i < FZ_MAXKEYS; i++)
		if (keys[i].ifname[0] != '\0' &&
		    strcmp(keys[i].ifname, ifname) == 0) {
			strlcpy(priv, keys[i].priv, IN_KEYSZ);
			return (0);
		}
	errno = ENOENT;
	return (-1);
}

int
fuzz_key_store(const char *dir, const char *ifname, const char *priv)
{
	int	i, freeslot = -1;

	name_checked(ifname);
	if (!in_key_ok(priv))
		abort();
	for (i = 0; i < FZ_MAXKEYS; i++) {
		if (keys[i].ifname[0] == '\0') {
			if (freeslot == -1)
				freeslot = i;
		} else if (strcmp(keys[i].ifname, ifname) == 0)
			break;
	}
	if (i == FZ_MAXKEYS && (i = freeslot) == -1) {
		errno = ENOSPC;
		return (-1);
	}
	strlcpy(keys[i].ifname, ifname, sizeof(keys[i].ifname));
	strlcpy(keys[i].priv, priv, sizeof(keys[i].priv));
	return (0);
}

int
fuzz_key_remove(const char *dir, const char *ifname)
{
	int	i;

	name_checked(ifname);
	for (i = 0; i < FZ_MAXKEYS; i++)
		if (strcmp(keys[i].ifname, ifname) == 0)
			memset(&keys[i], 0, sizeof(keys[i]));
	return (0);
}

/* backend.c keeps which backend runs a name: remember to forget it. */
int
fuzz_backend_record(const char *name, const struct wg_backend *be)
{
	size_t	i;

	for (i = 0; i < nrecorded; i++)
		if (strcmp(recorded[i], name) == 0)
			break;
	if (i == nrecorded) {
		if (nrecorded == FZ_MAXNAMES)
			abort();
		strlcpy(recorded[nrecorded++], name, IN_IFNAMSZ);
	}
	return (backend_record(name, be));
}

/* What wgd sent, checked, then dropped; the parent starts wireguard-go. */
static void
check_sent(struct proc_pipe *p)
{
	struct ibuf		*b;
	struct imsg_hdr		 hdr;
	const void		*data;
	const struct in_error	*e;
	const struct in_wgkey	*k;
	const struct in_wgstat	*s;
	const struct in_ip	*ip;
	const struct in_wgif	*wif;
	const struct in_linknet	*ln;
	const struct link_rec	*l;
	size_t			 len;

	TAILQ_FOREACH(b, &p->ibuf.w.bufs, entry) {
		if (b->wpos < IMSG_HEADER_SIZE)
			abort();
		memcpy(&hdr, b->buf, sizeof(hdr));
		if (hdr.len != b->wpos)
			abort();
		data = b->buf + IMSG_HEADER_SIZE;
		len = hdr.len - IMSG_HEADER_SIZE;
		if (show)
			fprintf(stderr, "-> %s %s id %u\n", p->name,
			    in_imsg_name(hdr.type), hdr.peerid);
		switch (hdr.type) {
		case IMSG_PROCINFO:
			if (len != sizeof(struct in_procinfo))
				abort();
			break;
		case IMSG_WG_OK:
		case IMSG_WG_END:
			if (p != &pipe_engine || len != 0)
				abort();
			break;
		case IMSG_WG_ERR:
			e = data;
			/* the status may be the parent's, passed on */
			if (len != sizeof(*e) || !in_str_ok(e->msg))
				abort();
			break;
		case IMSG_WG_KEY:
			k = data;
			if (p != &pipe_engine || len != sizeof(*k) ||
			    !in_str_ok(k->ifname) || !in_ifname_ok(k->ifname) ||
			    !in_str_ok(k->key) || !in_key_ok(k->key))
				abort();
			break;
		case IMSG_WG_STAT:
			s = data;
			if (p != &pipe_engine || len != sizeof(*s) ||
			    !in_str_ok(s->ifname) ||
			    !in_str_ok(s->public_key) ||
			    !in_str_ok(s->endpoint))
				abort();
			break;
		case IMSG_WG_ADDR:
			ip = data;
			if (p != &pipe_engine || len != sizeof(*ip) ||
			    (ip->af != AF_INET && ip->af != AF_INET6))
				abort();
			break;
		case IMSG_PARENT_WGGO_START:
			wif = data;
			if (p != &pipe_parent || len != sizeof(*wif) ||
			    !in_str_ok(wif->name) || !in_ifname_ok(wif->name) ||
			    rtnl_ifindex(wif->name) != -1 ||
			    !in_prefix_in_ranges(&wif->route, ranges, nranges))
				abort();
			if (!(fail & FAIL_CREATE))
				dev_add(wif->name, &wg_backend_userspace);
			break;
		case IMSG_PARENT_LINK:
			ln = data;
			if (p != &pipe_parent || len != sizeof(*ln) ||
			    !in_str_ok(ln->network))
				abort();
			/* only a link wgd made, with the network it recorded */
			if ((l = link_find(ln->network)) == NULL ||
			    l->net.len != ln->net.len ||
			    in_ip_cmp(&l->net.ip, &ln->net.ip) != 0 ||
			    !in_prefix_in_ranges(&ln->net, ranges, nranges))
				abort();
			break;
		default:
			abort();
		}
	}
	msgbuf_clear(&p->ibuf.w);
}

/* wgd as it started: what a fatal error or the last input left goes. */
static void
wgd_reset(void)
{
	struct upwait	*u;
	size_t		 i;

	while (!TAILQ_EMPTY(&pendings))
		pending_free(TAILQ_FIRST(&pendings));
	while ((u = TAILQ_FIRST(&upwaits)) != NULL) {
		TAILQ_REMOVE(&upwaits, u, entry);
		free(u);
	}
	while (!TAILQ_EMPTY(&pendkeys))
		pendkey_forget(TAILQ_FIRST(&pendkeys));
	for (i = 0; i < nrecorded; i++) {
		backend_forget(recorded[i]);
		endpoints_forget(recorded[i]);
	}
	nrecorded = 0;
	for (i = 0; i < FZ_MAXDEV; i++) {
		if (devs[i].name[0] != '\0') {
			backend_forget(devs[i].name);
			endpoints_forget(devs[i].name);
		}
		dev_remove(&devs[i]);
	}
	memset(keys, 0, sizeof(keys));
	memset(links, 0, sizeof(links));
	fz_host();
	parent_ids = 0;
	msgbuf_clear(&pipe_parent.ibuf.w);
	msgbuf_clear(&pipe_engine.ibuf.w);
	pipe_parent.ibuf.r.rpos = pipe_parent.ibuf.r.wpos = 0;
	pipe_engine.ibuf.r.rpos = pipe_engine.ibuf.r.wpos = 0;
	log_setverbose(0);
}

/*
 * The host before any input: someone else's WireGuard device with its
 * own key, and root's configuration (the default ranges, a network with
 * a host suffix of its own).
 */
static void
fz_host(void)
{
	struct fzdev	*d;

	if ((d = dev_add(FZ_FOREIGN, &wg_backend_kernel)) == NULL)
		abort();
	strlcpy(d->dev.public_key, fz_keys[3], sizeof(d->dev.public_key));
	in_ranges_default(ranges, &nranges);
	nranges_new = 0;
}

static void
pipe_setup(struct proc_pipe *p, const char *name, proc_dispatch_cb dispatch)
{
	int	sv[2];

	/* a real descriptor for the event, never read: bytes go in below */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	proc_pipe_init(p, name, sv[0], dispatch, pipe_closed, NULL);
}

/* The parent's answer goes to one of the requests wgd made it. */
static uint32_t
parent_peerid(uint8_t b)
{
	struct upwait	*u;
	size_t		 n = 0, i;

	TAILQ_FOREACH(u, &upwaits, entry)
		n++;
	if ((b & 0x80) || n == 0)
		return (b & 0x7f);
	i = b % n;
	TAILQ_FOREACH(u, &upwaits, entry)
		if (i-- == 0)
			return (u->parent_id);
	abort();
}

static void
fixup(uint8_t *pl, size_t len, const struct fzmsg *m, uint8_t flags)
{
	struct in_wgif	 wif;
	const char	*name = fz_names[((flags & R_NAME1) ? 1 : 0) |
			    ((flags & R_NAME2) ? 2 : 0)];
	struct in_wgpeer w;
	struct in_prefix net;
	const char	*key = fz_keys[(flags >> R_KEYSHIFT) & 3];

	if (len < m->len)
		return;
	if (m->fix & FIX_NAME) {
		memset(pl, 0, IN_IFNAMSZ);
		strlcpy((char *)pl, name, IN_IFNAMSZ);
	}
	if (m->fix & FIX_KEY) {
		/* in_wgpeer.public_key and in_wgkey.key follow the name */
		memset(pl + IN_IFNAMSZ, 0, IN_KEYSZ);
		memcpy(pl + IN_IFNAMSZ, key, IN_KEYSZ - 1);
		if (m->type != IMSG_WG_KEY_SET)
			pl[offsetof(struct in_wgpeer, endpoint) +
			    IN_ENDPOINTSZ - 1] = '\0';
	}
	in_prefix_parse(FZ_NET, &net);
	if (m->fix & FIX_ALLOWED) {
		/* one host of the network, unless the input says more */
		memcpy(&w, pl, sizeof(w));
		if (w.nallowed == 0 || w.nallowed > IN_MAXALLOWEDIPS)
			w.nallowed = 1;
		w.allowed[0].ip.af = AF_INET;
		memcpy(w.allowed[0].ip.u.b, net.ip.u.b, 3);
		if (!(w.pad[0] & 1))
			w.allowed[0].len = 32;
		if (w.pad[1] & 1)
			strlcpy(w.endpoint, "192.0.2.9:51820",
			    sizeof(w.endpoint));
		memcpy(pl, &w, sizeof(w));
	}
	if (m->fix & FIX_IF) {
		memcpy(&wif, pl, sizeof(wif));
		if (wif.address.ip.af != AF_INET6)
			wif.address.ip.af = AF_INET;
		wif.backend %= 3;
		if (wif.mtu != 0 && (wif.mtu < 576 || wif.mtu > 9000))
			wif.mtu = 1420;
		/* mostly the network, its address inside */
		if (!(wif.pad[0] & 1)) {
			wif.route = net;
			wif.address.ip = net.ip;
			wif.address.ip.u.b[3] = wif.pad[1];
			wif.address.len = net.len;
		}
		memcpy(pl, &wif, sizeof(wif));
	}
}

/* One message into the pipe's read buffer, then wgd's get loop. */
static int
deliver(struct proc_pipe *p, uint32_t type, uint32_t peerid,
    const uint8_t *pl, size_t len)
{
	struct imsg_hdr	 hdr;
	struct imsg	 imsg;
	jmp_buf		 jb;
	ssize_t		 n;
	volatile int	 have = 0;

	if (len > MAX_IMSGSIZE - IMSG_HEADER_SIZE ||
	    p->ibuf.r.wpos + IMSG_HEADER_SIZE + len > sizeof(p->ibuf.r.buf))
		abort();
	memset(&hdr, 0, sizeof(hdr));
	hdr.type = type;
	hdr.len = IMSG_HEADER_SIZE + len;
	hdr.peerid = peerid;
	memcpy(p->ibuf.r.buf + p->ibuf.r.wpos, &hdr, sizeof(hdr));
	memcpy(p->ibuf.r.buf + p->ibuf.r.wpos + sizeof(hdr), pl, len);
	p->ibuf.r.wpos += hdr.len;

	if (setjmp(jb) != 0) {
		if (have)
			imsg_free(&imsg);
		return (-1);
	}
	fuzz_fatal_jmp = &jb;
	/* proc.c's get loop without the read and write */
	for (;;) {
		if ((n = imsg_get(&p->ibuf, &imsg)) == -1)
			abort();
		if (n == 0)
			break;
		have = 1;
		p->dispatch(p, &imsg);
		imsg_free(&imsg);
		have = 0;
	}
	fuzz_fatal_jmp = NULL;
	check_sent(&pipe_parent);
	check_sent(&pipe_engine);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 ready;
	static uint8_t		 pl[2048];
	const struct fzmsg	*m;
	struct fzmsg		 raw;
	struct proc_pipe	*p;
	size_t			 off = 1, len, take;
	uint32_t		 peerid;
	uint8_t			 flags, tb, ib, lb;

	if (!ready) {
		if (sodium_init() == -1)
			abort();
		event_init();
		pipe_setup(&pipe_parent, PROC_PARENT, dispatch_parent);
		pipe_setup(&pipe_engine, PROC_ENGINE, dispatch_engine);
		fz_host();
		show = getenv("FUZZ_SHOW") != NULL;
		ready = 1;
	}
	if (size < 1)
		return (0);
	if (size > FZ_MAXIN)
		size = FZ_MAXIN;
	fail = data[0];
	while (size - off >= 4) {
		flags = data[off];
		tb = data[off + 1];
		ib = data[off + 2];
		lb = data[off + 3];
		off += 4;
		if (flags & R_PARENT) {
			p = &pipe_parent;
			m = &parent_msgs[tb % FZ_NITEMS(parent_msgs)];
			peerid = parent_peerid(ib);
		} else {
			p = &pipe_engine;
			m = &engine_msgs[tb % FZ_NITEMS(engine_msgs)];
			peerid = ib & 3;
		}
		if (flags & R_RAWTYPE) {
			raw.type = tb;
			raw.len = 0;
			raw.fix = 0;
			m = &raw;
		}
		len = m->len;
		if (flags & R_RAWLEN) {
			if ((int)len + (int8_t)lb < 0)
				len = 0;
			else
				len += (int8_t)lb;
		}
		if (len > sizeof(pl))
			len = sizeof(pl);
		take = size - off < len ? size - off : len;
		memset(pl, 0, len);
		memcpy(pl, data + off, take);
		off += take;
		if (flags & R_FIXUP)
			fixup(pl, len, m, flags);
		if (deliver(p, m->type, peerid, pl, len) == -1)
			break;
	}
	wgd_reset();
	return (0);
}
