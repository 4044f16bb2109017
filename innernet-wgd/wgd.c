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
 * innernet-wgd: the privileged process.  It runs as its own user, not
 * root, with CAP_NET_ADMIN alone (the parent hands it over as an ambient
 * capability), sees only the WireGuard socket directory and its key
 * directory, and does exactly what the
 * typed messages from the engine ask after checking every field again.
 * It acts only on links it made itself (links.c), each held to the root
 * CIDR it was made for, and only inside the ranges root's configuration
 * allows innernet (allowed-ranges): a taken engine can disturb innernet's
 * own networks, never the host's other links, routes or names.
 * Each interface is driven by one backend, the kernel module over
 * generic netlink or userspace WireGuard over UAPI, chosen when it comes
 * up (backend.c) and reached through its table of operations after.
 */

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event.h>
#include <sodium.h>

#include "imsg.h"
#include "compat.h"
#include "proc.h"
#include "wgd.h"

/*
 * A peer set being received, by request id: at most one per network,
 * and no more peers than the network has host addresses.  A refused
 * stream keeps its first error and drops what follows, so a bad list
 * costs no memory.
 */
struct pending {
	TAILQ_ENTRY(pending) entry;
	uint32_t	 id;
	int		 type;		/* IMSG_WG_SYNC_BEGIN */
	char		 ifname[IN_IFNAMSZ];
	struct in_prefix net;		/* the link's recorded root CIDR */
	void		*items;
	size_t		 n, cap, size, max;
	int		 status;	/* 0, or the error answer's */
	char		 err[IN_ERRSZ];
};

/* IF_UP waiting for the parent to start userspace WireGuard. */
struct upwait {
	TAILQ_ENTRY(upwait) entry;
	uint32_t	 engine_id;
	uint32_t	 parent_id;
	struct in_wgif	 wif;
	const struct wg_backend *be;
	int		 down;		/* IF_DOWN came meanwhile */
};

/* A new key pair kept until the redeem that needs it succeeds. */
struct pendkey {
	TAILQ_ENTRY(pendkey) entry;
	char		 ifname[IN_IFNAMSZ];
	char		 priv[IN_KEYSZ];
};

#define MAX_PENDINGS	(2 * IN_MAXNETWORKS)

static struct proc_pipe	 pipe_parent, pipe_engine;
static TAILQ_HEAD(, pending)	pendings = TAILQ_HEAD_INITIALIZER(pendings);
static TAILQ_HEAD(, upwait)	upwaits = TAILQ_HEAD_INITIALIZER(upwaits);
static TAILQ_HEAD(, pendkey)	pendkeys = TAILQ_HEAD_INITIALIZER(pendkeys);
static char		 statedir[PATH_MAX - 16], keydir[PATH_MAX];
static uint32_t		 parent_ids;

/*
 * Root's configuration, from the parent: allowed-ranges.  Nothing is
 * allowed until the parent's first CONF_END, and the engine is not
 * heard before it.
 */
static struct in_prefix	 ranges[IN_MAXRANGES], ranges_new[IN_MAXRANGES];
static size_t		 nranges, nranges_new;
static struct event	 violate_ev;

static __attribute__((__noreturn__)) void
usage(void)
{
	fprintf(stderr, "usage: innernet-wgd [-dv] -u user -s statedir\n");
	exit(1);
}

static void
send_engine(uint32_t type, uint32_t id, const void *data, size_t len)
{
	if (proc_compose(&pipe_engine, type, id, data, len) == -1)
		fatalx("cannot answer the engine");
}

static void
answer_ok(uint32_t id)
{
	send_engine(IMSG_WG_OK, id, NULL, 0);
}

static void
answer_err(uint32_t id, int status, const char *msg)
{
	struct in_error	e;

	memset(&e, 0, sizeof(e));
	e.status = status;
	strlcpy(e.msg, msg, sizeof(e.msg));
	log_warnx("%s", msg);
	send_engine(IMSG_WG_ERR, id, &e, sizeof(e));
}

static void
answer_key(uint32_t id, const char *ifname, const char *pub, uint16_t port)
{
	struct in_wgkey	k;

	memset(&k, 0, sizeof(k));
	strlcpy(k.ifname, ifname, sizeof(k.ifname));
	strlcpy(k.key, pub, sizeof(k.key));
	k.listen_port = port;
	send_engine(IMSG_WG_KEY, id, &k, sizeof(k));
}

/*
 * The parent started us as wgd's user with CAP_NET_ADMIN as an ambient
 * capability and a bounding set of that alone (we could not drop it
 * ourselves).  Check all of it: wgd is never root and never more.  The
 * ambient set goes, so nothing we could start would inherit it.
 */
static void
check_privileges(const char *user)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];
	struct passwd			*pw;
	uid_t				 r, e, s;
	int				 cap;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s", user);
	if (getresuid(&r, &e, &s) == -1)
		fatal("getresuid");
	if (r == 0 || e == 0 || s == 0 || pw->pw_uid == 0)
		fatalx("must not run as root: innernetd starts it as %s",
		    user);
	if (r != pw->pw_uid || e != pw->pw_uid || s != pw->pw_uid)
		fatalx("must run as %s", user);
	for (cap = 0; cap <= 63; cap++)
		if (cap != CAP_NET_ADMIN &&
		    prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
			fatalx("capability %d in the bounding set: innernetd "
			    "starts wgd with CAP_NET_ADMIN alone", cap);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		fatal("PR_CAP_AMBIENT_CLEAR_ALL");
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = 1U << CAP_NET_ADMIN;
	if (syscall(SYS_capset, &hdr, data) == -1)
		fatal("without CAP_NET_ADMIN: innernetd starts wgd with it");
}

/*
 * An endpoint WireGuard may send to: numeric with a port, and a unicast
 * address that is not loopback, unspecified, broadcast or multicast.
 */
static int
ipv4_unicast(uint32_t a)
{
	return (a != INADDR_ANY && (a >> 24) != 127 && a < 0xe0000000);
}

static int
endpoint_ok(const char *ep)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sslen;
	uint32_t		 a;

	if (in_endpoint_numeric(ep, &ss, &sslen) == -1)
		return (0);
	if (ss.ss_family == AF_INET)
		return (sin->sin_port != 0 &&
		    ipv4_unicast(ntohl(sin->sin_addr.s_addr)));
	if (ss.ss_family != AF_INET6 || sin6->sin6_port == 0 ||
	    IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) ||
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
	    IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr))
		return (0);
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(&a, &sin6->sin6_addr.s6_addr[12], sizeof(a));
		return (ipv4_unicast(ntohl(a)));
	}
	return (1);
}

/*
 * A peer, checked.  With the link's root CIDR, the peer must also fit
 * the network: each allowed IP one host address inside it (both roles
 * give a peer its own address only), the endpoint a unicast one.
 */
static int
wgpeer_ok(const struct in_wgpeer *w, struct wg_peer *p,
    const struct in_prefix *net, char *err, size_t errlen)
{
	const struct in_prefix	*a;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 i;

	snprintf(err, errlen, "invalid WireGuard peer");
	if (!in_str_ok(w->ifname) || !in_ifname_ok(w->ifname) ||
	    !in_str_ok(w->public_key) || !in_key_ok(w->public_key) ||
	    !in_str_ok(w->endpoint) || w->nallowed > IN_MAXALLOWEDIPS)
		return (0);
	if (w->endpoint[0] != '\0' &&
	    in_endpoint_numeric(w->endpoint, &ss, &sslen) == -1)
		return (0);
	if (w->keepalive < -1 || w->keepalive > 65535)
		return (0);
	for (i = 0; i < w->nallowed; i++)
		if ((w->allowed[i].ip.af != AF_INET &&
		    w->allowed[i].ip.af != AF_INET6) ||
		    w->allowed[i].len > (w->allowed[i].ip.af == AF_INET ?
		    32 : 128))
			return (0);
	if (net != NULL) {
		if (w->endpoint[0] != '\0' && !endpoint_ok(w->endpoint)) {
			snprintf(err, errlen, "peer endpoint %.64s is not a "
			    "unicast address and port", w->endpoint);
			return (0);
		}
		for (i = 0; i < w->nallowed; i++) {
			a = &w->allowed[i];
			if (a->ip.af != net->ip.af || a->len !=
			    (a->ip.af == AF_INET ? 32 : 128) ||
			    !in_prefix_contains(net, &a->ip)) {
				snprintf(err, errlen, "%s: a peer's allowed "
				    "IPs must be host addresses inside the "
				    "network", w->ifname);
				return (0);
			}
		}
	}
	memset(p, 0, sizeof(*p));
	strlcpy(p->public_key, w->public_key, sizeof(p->public_key));
	strlcpy(p->endpoint, w->endpoint, sizeof(p->endpoint));
	p->keepalive = w->keepalive;
	p->nallowed = w->nallowed;
	memcpy(p->allowed, w->allowed, sizeof(p->allowed));
	return (1);
}

static int
prefix_equal(const struct in_prefix *a, const struct in_prefix *b)
{
	return (a->ip.af == b->ip.af && a->len == b->len &&
	    in_ip_cmp(&a->ip, &b->ip) == 0);
}

/*
 * Is the link ours?  Its record names it with the index it has now, and
 * its network still lies inside allowed-ranges.  0, or the status of
 * the error answer with err set.
 */
static int
link_ours(const char *ifname, struct link_rec *lr, char *err, size_t errlen)
{
	int	idx;

	if ((idx = rtnl_ifindex(ifname)) == -1) {
		snprintf(err, errlen, "no interface %s", ifname);
		return (404);
	}
	if (link_load(keydir, ifname, lr) == -1 || lr->ifindex != idx) {
		snprintf(err, errlen, "%s was not made by innernet; "
		    "leaving it alone", ifname);
		return (403);
	}
	if (!in_prefix_in_ranges(&lr->net, ranges, nranges)) {
		snprintf(err, errlen, "%s: its network lies outside "
		    "allowed-ranges", ifname);
		return (403);
	}
	return (0);
}

/* The backend of a link of ours, or an error answer. */
static const struct wg_backend *
owned_or_answer(uint32_t id, const char *ifname, struct link_rec *lr)
{
	const struct wg_backend	*be;
	char			 err[IN_ERRSZ];
	int			 status;

	if ((status = link_ours(ifname, lr, err, sizeof(err))) != 0) {
		answer_err(id, status, err);
		return (NULL);
	}
	if ((be = backend_of(ifname)) == NULL) {
		snprintf(err, sizeof(err), "no WireGuard interface %s",
		    ifname);
		answer_err(id, 500, err);
	}
	return (be);
}

/*
 * An interface a wgd made before links were recorded: it is ours if it
 * is a WireGuard device holding the private key we keep for its name,
 * which nobody else has.  Recorded once, with the root CIDR the engine
 * brings it up with (already checked against allowed-ranges).
 */
static int
link_adopt(const struct in_wgif *wif, int ifindex)
{
	const struct wg_backend	*be;
	struct wg_device	 dev;
	struct link_rec		 lr;
	char			 priv[IN_KEYSZ], pub[IN_KEYSZ], err[IN_ERRSZ];
	int			 same;

	if ((be = backend_of(wif->name)) == NULL ||
	    key_load(keydir, wif->name, priv) == -1)
		return (0);
	key_public(priv, pub);
	sodium_memzero(priv, sizeof(priv));
	if (be->get(wif->name, &dev, err, sizeof(err)) == -1)
		return (0);
	same = dev.public_key[0] != '\0' && strcmp(dev.public_key, pub) == 0;
	wg_device_free(&dev);
	if (!same)
		return (0);
	memset(&lr, 0, sizeof(lr));
	strlcpy(lr.ifname, wif->name, sizeof(lr.ifname));
	lr.ifindex = ifindex;
	lr.net = wif->route;
	if (link_store(keydir, &lr) == -1) {
		log_warn("%s: recording the link", wif->name);
		return (0);
	}
	log_info("%s: made before links were recorded, recorded now",
	    wif->name);
	return (1);
}

/* The link now exists: record it as ours with its network. */
static int
link_record(const struct in_wgif *wif, char *err, size_t errlen)
{
	struct link_rec	lr, cur;

	memset(&lr, 0, sizeof(lr));
	strlcpy(lr.ifname, wif->name, sizeof(lr.ifname));
	lr.net = wif->route;
	if ((lr.ifindex = rtnl_ifindex(wif->name)) == -1) {
		snprintf(err, errlen, "no interface %s", wif->name);
		return (-1);
	}
	/* the ranges may have changed while userspace WireGuard started */
	if (!in_prefix_in_ranges(&lr.net, ranges, nranges)) {
		snprintf(err, errlen, "%s: the network lies outside "
		    "allowed-ranges", wif->name);
		return (-1);
	}
	if (link_load(keydir, wif->name, &cur) == 0 &&
	    cur.ifindex == lr.ifindex) {
		if (prefix_equal(&cur.net, &lr.net))
			return (0);
		snprintf(err, errlen, "%s was made for another network",
		    wif->name);
		return (-1);
	}
	if (link_store(keydir, &lr) == -1) {
		snprintf(err, errlen, "recording %s: %s", wif->name,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* The interface exists: key, port, address, MTU, up, route. */
static void
if_up_finish(uint32_t id, const struct in_wgif *wif,
    const struct wg_backend *be)
{
	struct wg_device	dev;
	struct wg_settings	ws;
	char			priv[IN_KEYSZ], pub[IN_KEYSZ], err[IN_ERRSZ];

	if (backend_record(wif->name, be) == -1)
		fatal(NULL);
	if (link_record(wif, err, sizeof(err)) == -1) {
		answer_err(id, 500, err);
		return;
	}
	if (key_load(keydir, wif->name, priv) == -1) {
		answer_err(id, 500, "no private key stored for this network");
		return;
	}
	ws.private_key = priv;
	ws.listen_port = wif->listen_port ? wif->listen_port : -1;
	ws.fwmark = wif->fwmark ? (int64_t)wif->fwmark : -1;	/* 0: as is */
	if (be->set_device(wif->name, &ws, err, sizeof(err)) == -1 ||
	    rtnl_setup(wif->name, &wif->address, &wif->route, wif->mtu ?
	    wif->mtu : IN_DEFAULT_MTU, err, sizeof(err)) == -1 ||
	    be->get(wif->name, &dev, err, sizeof(err)) == -1) {
		sodium_memzero(priv, sizeof(priv));
		answer_err(id, 500, err);
		return;
	}
	key_public(priv, pub);
	sodium_memzero(priv, sizeof(priv));
	answer_key(id, wif->name, pub, dev.listen_port);
	wg_device_free(&dev);
	answer_ok(id);
}

/*
 * The interface's network: inside allowed-ranges (so never /0), our
 * address inside it with its prefix length, the route exactly it.
 */
static int
wif_ok(const struct in_wgif *wif, char *err, size_t errlen)
{
	char	net[IN_CIDRSTRSZ];

	if (in_prefix_str(&wif->route, net, sizeof(net)) == -1)
		strlcpy(net, "?", sizeof(net));
	if (!in_prefix_in_ranges(&wif->route, ranges, nranges)) {
		snprintf(err, errlen, "%s: network %s lies outside "
		    "allowed-ranges", wif->name, net);
		return (0);
	}
	if (wif->address.ip.af != wif->route.ip.af ||
	    wif->address.len != wif->route.len ||
	    !in_prefix_contains(&wif->route, &wif->address.ip)) {
		snprintf(err, errlen, "%s: the address is not inside %s",
		    wif->name, net);
		return (0);
	}
	return (1);
}

static void
if_up(uint32_t id, const struct in_wgif *wifp)
{
	struct in_wgif		 wif = *wifp;
	struct upwait		*u;
	struct link_rec		 lr;
	const struct wg_backend	*be;
	char			 err[IN_ERRSZ];
	int			 idx;

	if (!in_str_ok(wif.name) || !in_ifname_ok(wif.name) ||
	    (wif.address.ip.af != AF_INET && wif.address.ip.af != AF_INET6) ||
	    (wif.mtu != 0 && (wif.mtu < 576 || wif.mtu > 9000))) {
		answer_err(id, 400, "invalid interface settings");
		return;
	}
	if (!wif_ok(&wif, err, sizeof(err))) {
		answer_err(id, 403, err);
		return;
	}
	TAILQ_FOREACH(u, &upwaits, entry)
		if (strcmp(u->wif.name, wif.name) == 0) {
			answer_err(id, 409, "the interface is coming up "
			    "already");
			return;
		}
	/* an existing link must be ours, made for this network */
	if ((idx = rtnl_ifindex(wif.name)) != -1) {
		if (link_load(keydir, wif.name, &lr) == 0 &&
		    lr.ifindex == idx) {
			if (!prefix_equal(&lr.net, &wif.route)) {
				snprintf(err, sizeof(err), "%s was made for "
				    "another network; bring it down first",
				    wif.name);
				answer_err(id, 409, err);
				return;
			}
		} else if (!link_adopt(&wif, idx)) {
			snprintf(err, sizeof(err), "%s exists and was not "
			    "made by innernet; leaving it alone", wif.name);
			answer_err(id, 403, err);
			return;
		}
	} else if (link_count(keydir, wif.name) >= IN_MAXNETWORKS) {
		answer_err(id, 503, "too many innernet interfaces");
		return;
	}
	if ((be = backend_choose(wif.name, wif.backend, err,
	    sizeof(err))) == NULL) {
		answer_err(id, 500, err);
		return;
	}
	if (be->exists(wif.name)) {
		if_up_finish(id, &wif, be);
		return;
	}
	if (idx != -1) {
		snprintf(err, sizeof(err), "%s is not run by %s WireGuard",
		    wif.name, be->name);
		answer_err(id, 500, err);
		return;
	}
	if (be->create != NULL) {
		if (be->create(wif.name, err, sizeof(err)) == -1)
			answer_err(id, 500, err);
		else
			if_up_finish(id, &wif, be);
		return;
	}
	/* the parent starts userspace WireGuard: wgd may not exec */
	if ((u = calloc(1, sizeof(*u))) == NULL)
		fatal(NULL);
	u->engine_id = id;
	u->parent_id = ++parent_ids;
	u->wif = wif;
	u->be = be;
	TAILQ_INSERT_TAIL(&upwaits, u, entry);
	proc_compose(&pipe_parent, IMSG_PARENT_WGGO_START, u->parent_id, &wif,
	    sizeof(wif));
}

/*
 * Only a link of ours goes down; a link already gone just loses its
 * record.  Userspace WireGuard exits with its link.
 */
static void
if_down(uint32_t id, const struct in_netreq *nrp)
{
	struct in_netreq	 nr = *nrp;
	struct link_rec		 lr;
	const struct wg_backend	*be;
	struct upwait		*u;
	char			 err[IN_ERRSZ];
	int			 status;

	if (!in_ifname_ok(nr.network)) {
		answer_err(id, 400, "invalid interface name");
		return;
	}
	/*
	 * The link is still being made for an IF_UP of ours (userspace
	 * WireGuard starting): it has no record yet and would look foreign
	 * here, then be recorded and left behind once it exists.  It goes
	 * when the parent answers.
	 */
	TAILQ_FOREACH(u, &upwaits, entry)
		if (strcmp(u->wif.name, nr.network) == 0)
			u->down = 1;
	status = link_ours(nr.network, &lr, err, sizeof(err));
	if (status != 0 && status != 404) {
		answer_err(id, status, err);
		return;
	}
	if (status == 0) {
		if ((be = backend_of(nr.network)) == NULL)
			be = &wg_backend_userspace;	/* rtnl either way */
		if (be->destroy(nr.network, err, sizeof(err)) == -1) {
			answer_err(id, 500, err);
			return;
		}
	}
	if (link_remove(keydir, nr.network) == -1)
		log_warn("%s: removing the link record", nr.network);
	backend_forget(nr.network);
	endpoints_forget(nr.network);
	answer_ok(id);
}

/* The parent started userspace WireGuard (e NULL), or could not. */
static void
parent_answer(uint32_t id, const struct in_error *pe)
{
	struct upwait	*u;
	struct in_error	 e;

	memset(&e, 0, sizeof(e));
	if (pe != NULL) {
		e = *pe;
		if (!in_str_ok(e.msg))
			fatalx("parent: unterminated string in WG_ERR");
	}
	TAILQ_FOREACH(u, &upwaits, entry)
		if (u->parent_id == id)
			break;
	if (u == NULL)
		fatalx("parent: answer to an unknown request");
	TAILQ_REMOVE(&upwaits, u, entry);
	if (u->down) {
		/*
		 * Made at our request: recorded as ours, as every link wgd
		 * touches is, then taken down again with its record.
		 */
		if (pe == NULL) {
			if (link_record(&u->wif, e.msg, sizeof(e.msg)) == -1 ||
			    u->be->destroy(u->wif.name, e.msg,
			    sizeof(e.msg)) == -1)
				log_warnx("%s: %s", u->wif.name, e.msg);
			else if (link_remove(keydir, u->wif.name) == -1)
				log_warn("%s: removing the link record",
				    u->wif.name);
		}
		backend_forget(u->wif.name);
		endpoints_forget(u->wif.name);
		answer_err(u->engine_id, 410, "the interface was taken down "
		    "while it came up");
	} else if (pe == NULL)
		if_up_finish(u->engine_id, &u->wif, u->be);
	else
		answer_err(u->engine_id, e.status, e.msg);
	free(u);
}

static struct pendkey *
pendkey_find(const char *ifname)
{
	struct pendkey	*k;

	TAILQ_FOREACH(k, &pendkeys, entry)
		if (strcmp(k->ifname, ifname) == 0)
			return (k);
	return (NULL);
}

static void
pendkey_forget(struct pendkey *k)
{
	TAILQ_REMOVE(&pendkeys, k, entry);
	sodium_memzero(k, sizeof(*k));
	free(k);
}

/*
 * A key goes to a link of ours, or only into the key file of a name no
 * link has yet (it comes up with it); never to someone else's device.
 */
static int
key_target_ok(uint32_t id, const char *ifname)
{
	struct link_rec	lr;
	char		err[IN_ERRSZ];
	int		status;

	if ((status = link_ours(ifname, &lr, err, sizeof(err))) == 0 ||
	    status == 404)
		return (1);
	answer_err(id, status, err);
	return (0);
}

/*
 * A key request, checked: the name, the key field terminated, and for
 * what changes a device's key, a link of ours (or none yet).  On a
 * refusal it is answered and the key wiped.
 */
static int
key_req_ok(uint32_t id, struct in_wgkey *k, int target)
{
	if (!in_str_ok(k->ifname) || !in_ifname_ok(k->ifname) ||
	    !in_str_ok(k->key)) {
		sodium_memzero(k->key, sizeof(k->key));
		answer_err(id, 400, "invalid key request");
		return (0);
	}
	if (target && !key_target_ok(id, k->ifname)) {
		sodium_memzero(k->key, sizeof(k->key));
		return (0);
	}
	return (1);
}

/* Store a private key and give it to the device if it is up. */
static void
key_install(uint32_t id, const char *ifname, char *priv)
{
	struct wg_settings	 ws = { NULL, -1, -1 };
	const struct wg_backend	*be;
	char			 pub[IN_KEYSZ], err[IN_ERRSZ];

	if (key_store(keydir, ifname, priv) == -1) {
		snprintf(err, sizeof(err), "storing key: %s",
		    strerror(errno));
		sodium_memzero(priv, IN_KEYSZ);
		answer_err(id, 500, err);
		return;
	}
	/* an interface not up yet takes the key when it comes up */
	ws.private_key = priv;
	if ((be = backend_of(ifname)) != NULL &&
	    be->set_device(ifname, &ws, err, sizeof(err)) == -1) {
		sodium_memzero(priv, IN_KEYSZ);
		answer_err(id, 500, err);
		return;
	}
	key_public(priv, pub);
	sodium_memzero(priv, IN_KEYSZ);
	answer_key(id, ifname, pub, 0);
	answer_ok(id);
}

static void
key_set(uint32_t id, struct in_wgkey *k)
{
	char	priv[IN_KEYSZ];

	if (!key_req_ok(id, k, 1))
		return;
	if (!in_key_ok(k->key)) {
		sodium_memzero(k->key, sizeof(k->key));
		answer_err(id, 400, "invalid private key");
		return;
	}
	strlcpy(priv, k->key, sizeof(priv));
	sodium_memzero(k->key, sizeof(k->key));
	key_install(id, k->ifname, priv);
}

static void
key_new(uint32_t id, struct in_wgkey *k)
{
	char	priv[IN_KEYSZ], pub[IN_KEYSZ];

	if (!key_req_ok(id, k, 1))
		return;
	key_generate(priv, pub);
	key_install(id, k->ifname, priv);
}

/* A new pair kept aside until the redeem that needs it succeeds. */
static void
key_pending(uint32_t id, struct in_wgkey *k)
{
	struct pendkey	*pk;
	char		 pub[IN_KEYSZ];

	if (!key_req_ok(id, k, 0))
		return;
	if ((pk = pendkey_find(k->ifname)) != NULL)
		pendkey_forget(pk);
	if ((pk = calloc(1, sizeof(*pk))) == NULL)
		fatal(NULL);
	strlcpy(pk->ifname, k->ifname, sizeof(pk->ifname));
	key_generate(pk->priv, pub);
	TAILQ_INSERT_TAIL(&pendkeys, pk, entry);
	answer_key(id, k->ifname, pub, 0);
	answer_ok(id);
}

static void
key_commit(uint32_t id, struct in_wgkey *k)
{
	struct pendkey		*pk;
	struct wg_settings	 ws = { NULL, -1, -1 };
	const struct wg_backend	*be;
	char			 err[IN_ERRSZ];

	if (!key_req_ok(id, k, 1))
		return;
	if ((pk = pendkey_find(k->ifname)) == NULL) {
		answer_err(id, 400, "no pending key");
		return;
	}
	ws.private_key = pk->priv;
	if (key_store(keydir, k->ifname, pk->priv) == -1 ||
	    ((be = backend_of(k->ifname)) != NULL &&
	    be->set_device(k->ifname, &ws, err, sizeof(err)) == -1)) {
		answer_err(id, 500, "cannot apply the new key");
		return;
	}
	pendkey_forget(pk);
	answer_ok(id);
}

static void
key_abort(uint32_t id, struct in_wgkey *k)
{
	struct pendkey	*pk;

	if (!key_req_ok(id, k, 0))
		return;
	if ((pk = pendkey_find(k->ifname)) != NULL)
		pendkey_forget(pk);
	answer_ok(id);
}

static void
key_delete(uint32_t id, struct in_wgkey *k)
{
	if (!key_req_ok(id, k, 0))
		return;
	if (key_remove(keydir, k->ifname) == -1)
		answer_err(id, 500, "cannot remove the key");
	else
		answer_ok(id);
}

static void
listen_port(uint32_t id, struct in_wgkey *k)
{
	struct wg_settings	 ws = { NULL, -1, -1 };
	struct link_rec		 lr;
	const struct wg_backend	*be;
	char			 err[IN_ERRSZ];

	if (!key_req_ok(id, k, 0))
		return;
	ws.listen_port = k->listen_port;	/* 0: WireGuard chooses */
	if ((be = owned_or_answer(id, k->ifname, &lr)) == NULL)
		return;
	if (be->set_device(k->ifname, &ws, err, sizeof(err)) == -1)
		answer_err(id, 500, err);
	else
		answer_ok(id);
}

static struct pending *
pending_find(uint32_t id, int type)
{
	struct pending	*p;

	TAILQ_FOREACH(p, &pendings, entry)
		if (p->id == id && p->type == type)
			return (p);
	return (NULL);
}

static void
pending_free(struct pending *p)
{
	TAILQ_REMOVE(&pendings, p, entry);
	free(p->items);
	free(p);
}

/* The stream is refused: keep the first reason, drop its items. */
static void
pending_fail(struct pending *p, int status, const char *msg)
{
	if (p->status != 0)
		return;
	p->status = status;
	strlcpy(p->err, msg, sizeof(p->err));
	free(p->items);
	p->items = NULL;
	p->n = p->cap = 0;
}

static void
pending_add(struct pending *p, const void *item)
{
	void	*n;
	size_t	 cap;

	if (p->status != 0)
		return;
	if (p->n >= p->max) {
		pending_fail(p, 413, "more entries than the network has "
		    "addresses");
		return;
	}
	if (p->n == p->cap) {
		cap = p->cap ? p->cap * 2 : 64;
		if ((n = reallocarray(p->items, cap, p->size)) == NULL) {
			pending_fail(p, 500, "out of memory");
			return;
		}
		p->items = n;
		p->cap = cap;
	}
	memcpy((char *)p->items + p->n * p->size, item, p->size);
	p->n++;
}

/* The request naming a network, at its size, its name terminated. */
static void
netreq_get(struct proc_pipe *p, struct imsg *imsg, struct in_netreq *nr)
{
	proc_get(p, imsg, nr, sizeof(*nr));
	if (!in_str_ok(nr->network))
		proc_bad(p, imsg, "unterminated network name");
}

/* Host addresses of a network, as many entries as a stream may hold. */
static size_t
net_hosts(const struct in_prefix *net)
{
	int	bits = (net->ip.af == AF_INET ? 32 : 128) - net->len;

	return (bits >= 16 ? IN_MAXNETPEERS : (size_t)1 << bits);
}

/*
 * A stream opens for a link of ours, one of each kind per network at a
 * time (the engine sends each whole, so a second is a broken engine).
 * For anything else the stream is refused at once and answered at its
 * end.
 */
static void
sync_begin(uint32_t id, const struct in_netreq *nrp)
{
	struct in_netreq	 nr = *nrp;
	struct pending		*p;
	struct link_rec		 lr;
	char			 err[IN_ERRSZ];
	size_t			 n = 0;
	int			 status, type = IMSG_WG_SYNC_BEGIN;
	size_t			 size = sizeof(struct wg_peer);

	TAILQ_FOREACH(p, &pendings, entry) {
		if (p->type == type && (p->id == id ||
		    strcmp(p->ifname, nr.network) == 0))
			fatalx("engine: a second %s for %s",
			    in_imsg_name(type), nr.network);
		n++;
	}
	if (n >= MAX_PENDINGS)
		fatalx("engine: too many open streams");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal(NULL);
	p->id = id;
	p->type = type;
	p->size = size;
	strlcpy(p->ifname, nr.network, sizeof(p->ifname));
	TAILQ_INSERT_TAIL(&pendings, p, entry);
	if (!in_ifname_ok(nr.network))
		pending_fail(p, 400, "invalid interface name");
	else if ((status = link_ours(nr.network, &lr, err, sizeof(err))) != 0)
		pending_fail(p, status, err);
	else {
		p->net = lr.net;
		p->max = net_hosts(&lr.net);
	}
}

static void
sync_peer(uint32_t id, const struct in_wgpeer *w)
{
	struct pending	*pd;
	struct wg_peer	 p;
	char		 err[IN_ERRSZ];

	if ((pd = pending_find(id, IMSG_WG_SYNC_BEGIN)) == NULL)
		fatalx("engine: SYNC_PEER without SYNC_BEGIN");
	if (pd->status != 0)
		return;
	if (!in_str_ok(w->ifname) || strcmp(w->ifname, pd->ifname) != 0)
		pending_fail(pd, 400, "a peer for another interface");
	else if (!wgpeer_ok(w, &p, &pd->net, err, sizeof(err)))
		pending_fail(pd, 403, err);
	else
		pending_add(pd, &p);
}

static void
sync_end(uint32_t id, const struct in_netreq *nr)
{
	struct pending		*p;
	struct link_rec		 lr;
	const struct wg_backend	*be;
	char			 err[IN_ERRSZ];

	if ((p = pending_find(id, IMSG_WG_SYNC_BEGIN)) == NULL)
		fatalx("engine: SYNC_END without SYNC_BEGIN");
	if (p->status != 0)
		answer_err(id, p->status, p->err);
	else if ((be = owned_or_answer(id, p->ifname, &lr)) == NULL)
		;
	else if (!prefix_equal(&lr.net, &p->net))
		answer_err(id, 409, "the interface changed during the sync");
	else if (be->sync(p->ifname, p->items, p->n, err, sizeof(err)) == -1)
		answer_err(id, 500, err);
	else
		answer_ok(id);
	pending_free(p);
}

/*
 * The parent rewrites the hosts file from the engine's entries and asks
 * us for the root CIDR we recorded when we made the network's link: the
 * engine cannot write that record, so a name's address is held to the
 * network innernet really runs there.
 */
static void
link_tell(uint32_t id, const struct in_netreq *nr)
{
	struct in_linknet	 ln;
	struct link_rec		 lr;
	struct in_error		 e;
	int			 status;

	memset(&e, 0, sizeof(e));
	if (!in_ifname_ok(nr->network)) {
		e.status = 400;
		strlcpy(e.msg, "invalid interface name", sizeof(e.msg));
	} else if ((status = link_ours(nr->network, &lr, e.msg,
	    sizeof(e.msg))) != 0)
		e.status = status;
	if (e.status != 0) {
		proc_compose(&pipe_parent, IMSG_WG_ERR, id, &e, sizeof(e));
		return;
	}
	memset(&ln, 0, sizeof(ln));
	strlcpy(ln.network, nr->network, sizeof(ln.network));
	ln.net = lr.net;
	proc_compose(&pipe_parent, IMSG_PARENT_LINK, id, &ln, sizeof(ln));
}

static void
stats(uint32_t id, const struct in_netreq *nrp)
{
	struct in_netreq	 nr = *nrp;
	struct wg_device	 dev;
	struct in_wgstat	 st;
	struct link_rec		 lr;
	const struct wg_backend	*be;
	char			 err[IN_ERRSZ];
	size_t			 i;

	if (!in_ifname_ok(nr.network)) {
		answer_err(id, 400, "invalid interface name");
		return;
	}
	if ((be = owned_or_answer(id, nr.network, &lr)) == NULL)
		return;
	if (be->get(nr.network, &dev, err, sizeof(err)) == -1) {
		answer_err(id, 500, err);
		return;
	}
	for (i = 0; i < dev.npeers; i++) {
		memset(&st, 0, sizeof(st));
		strlcpy(st.ifname, nr.network, sizeof(st.ifname));
		strlcpy(st.public_key, dev.peers[i].public_key,
		    sizeof(st.public_key));
		strlcpy(st.endpoint, dev.peers[i].endpoint,
		    sizeof(st.endpoint));
		st.last_handshake = dev.peers[i].last_handshake;
		st.rx_bytes = dev.peers[i].rx;
		st.tx_bytes = dev.peers[i].tx;
		send_engine(IMSG_WG_STAT, id, &st, sizeof(st));
	}
	wg_device_free(&dev);
	send_engine(IMSG_WG_END, id, NULL, 0);
}

/* An endpoint report in progress: the request and its interface. */
struct endpoint_req {
	uint32_t	 id;
	const char	*ifname;
};

/* endpoint_tell_cb: one endpoint for the engine. */
static void
endpoint_tell(void *arg, const char *key, const char *endpoint)
{
	struct endpoint_req	*er = arg;
	struct in_wgstat	 st;

	memset(&st, 0, sizeof(st));
	strlcpy(st.ifname, er->ifname, sizeof(st.ifname));
	strlcpy(st.public_key, key, sizeof(st.public_key));
	strlcpy(st.endpoint, endpoint, sizeof(st.endpoint));
	send_engine(IMSG_WG_STAT, er->id, &st, sizeof(st));
}

/*
 * The server's endpoint refresh: only the endpoints that changed since
 * the last report (nr.id 1), or all (0).  Only the key and the endpoint
 * of each WG_STAT are filled.
 */
static void
endpoints(uint32_t id, const struct in_netreq *nrp)
{
	struct in_netreq	 nr = *nrp;
	struct endpoint_req	 er;
	struct link_rec		 lr;
	const struct wg_backend	*be;
	char			 err[IN_ERRSZ];

	if (!in_ifname_ok(nr.network) || (nr.id != 0 && nr.id != 1)) {
		answer_err(id, 400, "invalid endpoint request");
		return;
	}
	if ((be = owned_or_answer(id, nr.network, &lr)) == NULL)
		return;
	er.id = id;
	er.ifname = nr.network;
	if (endpoints_changed(nr.network, nr.id == 0, be, endpoint_tell, &er,
	    err, sizeof(err)) == -1) {
		answer_err(id, 500, err);
		return;
	}
	send_engine(IMSG_WG_END, id, NULL, 0);
}

static void
local_addrs(uint32_t id)
{
	struct in_ip	addrs[128];
	int		i, n;

	if ((n = rtnl_local_addrs(addrs, 128)) == -1) {
		answer_err(id, 500, "cannot list local addresses");
		return;
	}
	for (i = 0; i < n; i++)
		send_engine(IMSG_WG_ADDR, id, &addrs[i], sizeof(addrs[i]));
	send_engine(IMSG_WG_END, id, NULL, 0);
}

/* PEER_SET / PEER_REMOVE on a link of ours, inside its network. */
static void
peer_apply(uint32_t id, const struct in_wgpeer *w, int set)
{
	struct wg_peer		 p;
	struct link_rec		 lr;
	const struct wg_backend	*be;
	char			 err[IN_ERRSZ];

	if (!in_str_ok(w->ifname) || !in_ifname_ok(w->ifname)) {
		answer_err(id, 400, "invalid WireGuard peer");
		return;
	}
	if ((be = owned_or_answer(id, w->ifname, &lr)) == NULL)
		return;
	if (!wgpeer_ok(w, &p, set ? &lr.net : NULL,
	    err, sizeof(err))) {
		answer_err(id, 403, err);
		return;
	}
	if ((set ?
	    be->peer_set(w->ifname, &p, err, sizeof(err)) :
	    be->peer_remove(w->ifname, p.public_key, err,
	    sizeof(err))) == -1)
		answer_err(id, 500, err);
	else
		answer_ok(id);
}

static void
peer_set(uint32_t id, const struct in_wgpeer *w)
{
	peer_apply(id, w, 1);
}

static void
peer_remove(uint32_t id, const struct in_wgpeer *w)
{
	peer_apply(id, w, 0);
}

static void
dispatch_engine(struct proc_pipe *p, struct imsg *imsg)
{
	uint32_t		id = imsg->hdr.peerid;
	struct in_wgif		wif;
	struct in_wgkey		k;
	struct in_wgpeer	w;
	struct in_netreq	nr;

	switch (imsg->hdr.type) {
	case IMSG_WG_IF_UP:
		proc_get(p, imsg, &wif, sizeof(wif));
		if_up(id, &wif);
		break;
	case IMSG_WG_IF_DOWN:
		netreq_get(p, imsg, &nr);
		if_down(id, &nr);
		break;
	case IMSG_WG_KEY_SET:
		proc_get(p, imsg, &k, sizeof(k));
		key_set(id, &k);
		break;
	case IMSG_WG_KEY_NEW:
		proc_get(p, imsg, &k, sizeof(k));
		key_new(id, &k);
		break;
	case IMSG_WG_KEY_PENDING:
		proc_get(p, imsg, &k, sizeof(k));
		key_pending(id, &k);
		break;
	case IMSG_WG_KEY_COMMIT:
		proc_get(p, imsg, &k, sizeof(k));
		key_commit(id, &k);
		break;
	case IMSG_WG_KEY_ABORT:
		proc_get(p, imsg, &k, sizeof(k));
		key_abort(id, &k);
		break;
	case IMSG_WG_KEY_DELETE:
		proc_get(p, imsg, &k, sizeof(k));
		key_delete(id, &k);
		break;
	case IMSG_WG_LISTEN_PORT:
		proc_get(p, imsg, &k, sizeof(k));
		listen_port(id, &k);
		break;
	case IMSG_WG_PEER_SET:
		proc_get(p, imsg, &w, sizeof(w));
		peer_set(id, &w);
		break;
	case IMSG_WG_PEER_REMOVE:
		proc_get(p, imsg, &w, sizeof(w));
		peer_remove(id, &w);
		break;
	case IMSG_WG_SYNC_BEGIN:
		netreq_get(p, imsg, &nr);
		sync_begin(id, &nr);
		break;
	case IMSG_WG_SYNC_PEER:
		proc_get(p, imsg, &w, sizeof(w));
		sync_peer(id, &w);
		break;
	case IMSG_WG_SYNC_END:
		netreq_get(p, imsg, &nr);
		sync_end(id, &nr);
		break;
	case IMSG_WG_STATS_REQ:
		netreq_get(p, imsg, &nr);
		stats(id, &nr);
		break;
	case IMSG_WG_ENDPOINTS_REQ:
		netreq_get(p, imsg, &nr);
		endpoints(id, &nr);
		break;
	case IMSG_WG_ADDRS_REQ:
		proc_get_none(p, imsg);
		local_addrs(id);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
}

/* Root's configuration: allowed-ranges, applied at CONF_END. */
static void
conf_global(const struct in_conf_global *g)
{
	log_setverbose(g->verbose);
	nranges_new = 0;
}

static void
conf_range(const struct in_conf_range *r)
{
	if (nranges_new >= IN_MAXRANGES)
		fatalx("parent: too many allowed ranges");
	ranges_new[nranges_new++] = r->range;
}

static void
conf_end(void)
{
	memcpy(ranges, ranges_new, sizeof(ranges));
	nranges = nranges_new;
	proc_release(&pipe_engine);
}

static void
dispatch_parent(struct proc_pipe *p, struct imsg *imsg)
{
	struct in_conf_global	g;
	struct in_conf_range	r;
	struct in_error		e;
	struct in_netreq	nr;

	switch (imsg->hdr.type) {
	case IMSG_CONF_GLOBAL:
		proc_get(p, imsg, &g, sizeof(g));
		conf_global(&g);
		break;
	case IMSG_CONF_RANGE:
		proc_get(p, imsg, &r, sizeof(r));
		conf_range(&r);
		break;
	case IMSG_CONF_END:
		proc_get_none(p, imsg);
		conf_end();
		break;
	case IMSG_WG_OK:
		proc_get_none(p, imsg);
		parent_answer(imsg->hdr.peerid, NULL);
		break;
	case IMSG_WG_ERR:
		proc_get(p, imsg, &e, sizeof(e));
		parent_answer(imsg->hdr.peerid, &e);
		break;
	case IMSG_PARENT_LINK_REQ:
		netreq_get(p, imsg, &nr);
		link_tell(imsg->hdr.peerid, &nr);
		break;
	default:
		proc_bad(p, imsg, "unexpected");
	}
}

/* The set is going down. */
static void
pipe_closed(struct proc_pipe *p)
{
	exit(0);
}

static void
violate(int fd, short event, void *arg)
{
	regress_violate(PROC_WGD);
}

static void
on_signal(int sig, short event, void *arg)
{
	exit(0);
}

DAEMON_SANITIZER_OPTIONS

int
main(int argc, char *argv[], char *envp[])
{
	struct event	 ev_term, ev_int;
	struct timeval	 tv = { 1, 0 };
	const char	*user = NULL;
	int		 ch, debug = 0, verbose = 0;

	setproctitle_init(argc, argv, envp);
	while ((ch = getopt(argc, argv, "ds:u:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 's':
			if (strlcpy(statedir, optarg, sizeof(statedir)) >=
			    sizeof(statedir))
				usage();
			break;
		case 'u':
			user = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (user == NULL || statedir[0] == '\0' || optind != argc)
		usage();
	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);
	log_procinit(PROC_WGD);
	setproctitle("%s", PROC_WGD);
	check_privileges(user);
	if (sodium_init() == -1)
		fatalx("libsodium");

	/* both made by the parent, keys/ for our user alone */
	snprintf(keydir, sizeof(keydir), "%s/keys", statedir);

	event_init();
	proc_info(PROC_WGD, NULL, NULL);
	proc_pipe_init(&pipe_parent, PROC_PARENT, PROC_FD_PARENT,
	    dispatch_parent, pipe_closed, NULL);
	proc_pipe_init(&pipe_engine, PROC_ENGINE, PROC_FD_ENGINE,
	    dispatch_engine, pipe_closed, NULL);
	/* the engine waits for the configuration that bounds it */
	proc_hold(&pipe_engine);
	signal_set(&ev_term, SIGTERM, on_signal, NULL);
	signal_set(&ev_int, SIGINT, on_signal, NULL);
	signal_add(&ev_term, NULL);
	signal_add(&ev_int, NULL);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * UAPI sockets are only connected to (the parent made the
	 * directory and hands each socket to our user); keys are made,
	 * replaced and removed.  No TCP, no file attributes.
	 */
	unveil_no_tcp();
	if (unveil(INNERNET_WGSOCKDIR, "rw") == -1 ||
	    unveil(keydir, "rwc") == -1 ||
	    unveil(NULL, NULL) == -1)
		fatal("unveil");
	if (pledge("stdio rpath wpath cpath unix route", NULL) == -1)
		fatal("pledge");

	if (regress_violate_wanted(PROC_WGD)) {
		evtimer_set(&violate_ev, violate, NULL);
		evtimer_add(&violate_ev, &tv);
	}
	memtrim_start();
	event_dispatch();
	return (0);
}
