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
 * Kernel WireGuard over generic netlink (family "wireguard", resolved
 * with CTRL_CMD_GETFAMILY).  Messages are built into a caller's buffer
 * and answers parsed from bytes by functions that never see a socket;
 * the I/O at the end of the file only moves them.
 *
 * A set-device request is split: the first message carries the device
 * settings, each message as many whole peers as fit in GENL_SETMAX
 * bytes, and the kernel applies them one after another.  A peer has at
 * most IN_MAXALLOWEDIPS allowed IPs, so one always fits in a message.
 * A get-device answer is a dump whose messages repeat the device and
 * continue the peer list; a peer may continue in the next message with
 * more allowed IPs, and is joined to the one before.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "wgd.h"

#define GENL_MAXPEERS	(1024 * 1024)
#define GENL_TRIES	3	/* dumps the device changed under */

unsigned long	genl_messages;

static struct nlmsghdr *
genl_header(void *buf, size_t len, uint16_t type, uint16_t flags,
    uint8_t cmd, uint8_t version, uint32_t seq)
{
	struct nlmsghdr		*nlh;
	struct genlmsghdr	*g;

	memset(buf, 0, len);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return (nlh);
}

/* CTRL_CMD_GETFAMILY for a family name. */
size_t
genl_msg_getfamily(void *buf, size_t len, const char *name, uint32_t seq)
{
	struct nlmsghdr	*nlh;

	if (len < 64 || strlen(name) >= GENL_NAMSIZ)
		return (0);
	nlh = genl_header(buf, len, GENL_ID_CTRL, NLM_F_ACK,
	    CTRL_CMD_GETFAMILY, 1, seq);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	return (nlh->nlmsg_len);
}

/* The family id in a CTRL_CMD_NEWFAMILY answer; arg is a uint16_t. */
int
genl_parse_family(const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr	*attr;
	uint16_t		*family = arg;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    !nl_msg_attrs_whole(nlh, sizeof(struct genlmsghdr))) {
		errno = EBADMSG;
		return (-1);
	}
	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) != CTRL_ATTR_FAMILY_ID)
			continue;
		if (mnl_attr_get_payload_len(attr) != sizeof(uint16_t) ||
		    mnl_attr_get_u16(attr) == 0) {
			errno = EBADMSG;
			return (-1);
		}
		*family = mnl_attr_get_u16(attr);
	}
	return (0);
}

/* WG_CMD_GET_DEVICE: a dump of one device by name. */
size_t
genl_msg_get(void *buf, size_t len, uint16_t family, const char *ifname,
    uint32_t seq)
{
	struct nlmsghdr	*nlh;

	if (len < 64 || !in_ifname_ok(ifname))
		return (0);
	nlh = genl_header(buf, len, family, NLM_F_DUMP, WG_CMD_GET_DEVICE,
	    WG_GENL_VERSION, seq);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	return (nlh->nlmsg_len);
}

void
genl_set_init(struct genl_set *gs, uint16_t family, const char *ifname,
    const struct wg_settings *ws, const struct wg_change *changes,
    size_t nchanges)
{
	memset(gs, 0, sizeof(*gs));
	gs->family = family;
	gs->ifname = ifname;
	if (ws != NULL)
		gs->settings = *ws;
	else {
		gs->settings.listen_port = -1;
		gs->settings.fwmark = -1;
	}
	gs->changes = changes;
	gs->nchanges = nchanges;
}

static int
prefix_ok(const struct in_prefix *p)
{
	return ((p->ip.af == AF_INET && p->len <= 32) ||
	    (p->ip.af == AF_INET6 && p->len <= 128));
}

static int
change_ok(const struct wg_change *ch, unsigned char *key,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	const struct wg_peer	*p = ch->peer;
	int			 i;

	*sslen = 0;
	if (key_b64_to_bin(p->public_key, key) == -1)
		return (0);
	/* a removal is its key alone, whatever the device said of the peer */
	if (ch->flags & WG_CHANGE_REMOVE)
		return (1);
	if (p->nallowed > IN_MAXALLOWEDIPS || p->keepalive > UINT16_MAX)
		return (0);
	if (!in_str_ok(p->endpoint) || (p->endpoint[0] != '\0' &&
	    in_endpoint_numeric(p->endpoint, ss, sslen) == -1))
		return (0);
	for (i = 0; i < p->nallowed; i++)
		if (!prefix_ok(&p->allowed[i]))
			return (0);
	return (1);
}

/*
 * One peer into the message, if it fits in limit bytes: 1 if it was
 * put, 0 if there is no room (the message is as before), -1 if the peer
 * is invalid.
 */
static int
put_peer(struct nlmsghdr *nlh, size_t limit, const struct wg_change *ch)
{
	const struct wg_peer	*p = ch->peer;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct nlattr		*peer, *allowed, *ip;
	unsigned char		 key[WG_KEY_LEN];
	uint32_t		 flags = 0;
	int			 i;

	if (!change_ok(ch, key, &ss, &sslen))
		return (-1);
	if (ch->flags & WG_CHANGE_REMOVE)
		flags |= WGPEER_F_REMOVE_ME;
	else if (ch->flags & WG_CHANGE_REPLACE_ALLOWED)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if ((peer = mnl_attr_nest_start_check(nlh, limit, 0)) == NULL)
		return (0);
	if (!mnl_attr_put_check(nlh, limit, WGPEER_A_PUBLIC_KEY, sizeof(key),
	    key) || (flags != 0 && !mnl_attr_put_u32_check(nlh, limit,
	    WGPEER_A_FLAGS, flags)))
		goto full;
	if (flags & WGPEER_F_REMOVE_ME)
		goto done;
	if (sslen > 0 && !mnl_attr_put_check(nlh, limit, WGPEER_A_ENDPOINT,
	    sslen, &ss))
		goto full;
	if (!mnl_attr_put_u16_check(nlh, limit,
	    WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
	    p->keepalive > 0 ? p->keepalive : 0))
		goto full;
	if (p->nallowed > 0) {
		if ((allowed = mnl_attr_nest_start_check(nlh, limit,
		    WGPEER_A_ALLOWEDIPS)) == NULL)
			goto full;
		for (i = 0; i < p->nallowed; i++) {
			if ((ip = mnl_attr_nest_start_check(nlh, limit,
			    0)) == NULL ||
			    !mnl_attr_put_u16_check(nlh, limit,
			    WGALLOWEDIP_A_FAMILY, p->allowed[i].ip.af) ||
			    !mnl_attr_put_check(nlh, limit,
			    WGALLOWEDIP_A_IPADDR, p->allowed[i].ip.af ==
			    AF_INET ? 4 : 16, p->allowed[i].ip.u.b) ||
			    !mnl_attr_put_u8_check(nlh, limit,
			    WGALLOWEDIP_A_CIDR_MASK, p->allowed[i].len))
				goto full;
			mnl_attr_nest_end(nlh, ip);
		}
		mnl_attr_nest_end(nlh, allowed);
	}
done:
	mnl_attr_nest_end(nlh, peer);
	return (1);
full:
	mnl_attr_nest_cancel(nlh, peer);
	return (0);
}

/*
 * Build the next WG_CMD_SET_DEVICE message of the request into buf,
 * never more than limit bytes.  Returns 1 with its length in *len, 0
 * when the whole request has been built, -1 (errno) on an invalid
 * setting or peer, or a limit too small for a single peer.
 */
int
genl_set_next(struct genl_set *gs, void *buf, size_t limit, uint32_t seq,
    size_t *len)
{
	const struct wg_settings	*ws = &gs->settings;
	struct nlmsghdr			*nlh;
	struct nlattr			*peers;
	unsigned char			 key[WG_KEY_LEN];
	size_t				 before;
	int				 rc, progress = 0;

	*len = 0;
	if (gs->started && gs->next >= gs->nchanges)
		return (0);
	if (!gs->started && gs->nchanges == 0 && ws->private_key == NULL &&
	    ws->listen_port < 0 && ws->fwmark < 0) {
		gs->started = 1;
		return (0);	/* nothing to say */
	}
	/* nest lengths are 16 bits */
	if (limit < 128 || limit > UINT16_MAX || !in_ifname_ok(gs->ifname) ||
	    ws->listen_port > UINT16_MAX || ws->fwmark > UINT32_MAX) {
		errno = EINVAL;
		return (-1);
	}
	nlh = genl_header(buf, limit, gs->family, NLM_F_ACK,
	    WG_CMD_SET_DEVICE, WG_GENL_VERSION, seq);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, gs->ifname);
	if (!gs->started) {
		progress = ws->private_key != NULL || ws->listen_port >= 0 ||
		    ws->fwmark >= 0;
		if (ws->private_key != NULL) {
			if (key_b64_to_bin(ws->private_key, key) == -1) {
				errno = EINVAL;
				return (-1);
			}
			mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, sizeof(key),
			    key);
			explicit_bzero(key, sizeof(key));
		}
		if (ws->listen_port >= 0)
			mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT,
			    ws->listen_port);
		if (ws->fwmark >= 0)
			mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, ws->fwmark);
		gs->started = 1;
	}
	if (gs->next < gs->nchanges &&
	    (peers = mnl_attr_nest_start_check(nlh, limit,
	    WGDEVICE_A_PEERS)) != NULL) {
		before = gs->next;
		for (; gs->next < gs->nchanges; gs->next++) {
			rc = put_peer(nlh, limit, &gs->changes[gs->next]);
			if (rc == -1) {
				explicit_bzero(buf, limit);
				errno = EINVAL;
				return (-1);
			}
			if (rc == 0)
				break;
		}
		if (gs->next > before) {
			mnl_attr_nest_end(nlh, peers);
			progress = 1;
		} else
			mnl_attr_nest_cancel(nlh, peers);
	}
	if (!progress) {
		errno = EMSGSIZE;
		return (-1);
	}
	*len = nlh->nlmsg_len;
	return (1);
}

static int
nested_whole(const struct nlattr *nest)
{
	return (nl_attrs_whole(mnl_attr_get_payload(nest),
	    mnl_attr_get_payload_len(nest)));
}

static int
attr_len_is(const struct nlattr *attr, size_t len)
{
	return (mnl_attr_get_payload_len(attr) == len);
}

/* One allowed IP: family, address of its length, mask within it. */
static int
parse_allowed(const struct nlattr *nest, struct in_prefix *pfx)
{
	const struct nlattr	*a;
	const void		*addr = NULL;
	size_t			 alen = 0;
	int			 family = -1, mask = -1;

	if (!nested_whole(nest))
		return (-1);
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGALLOWEDIP_A_FAMILY:
			if (!attr_len_is(a, 2))
				return (-1);
			family = mnl_attr_get_u16(a);
			break;
		case WGALLOWEDIP_A_IPADDR:
			alen = mnl_attr_get_payload_len(a);
			addr = mnl_attr_get_payload(a);
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			if (!attr_len_is(a, 1))
				return (-1);
			mask = mnl_attr_get_u8(a);
			break;
		}
	}
	memset(pfx, 0, sizeof(*pfx));
	if (family == AF_INET && alen == 4 && mask >= 0 && mask <= 32)
		pfx->ip.af = AF_INET;
	else if (family == AF_INET6 && alen == 16 && mask >= 0 && mask <= 128)
		pfx->ip.af = AF_INET6;
	else
		return (-1);
	memcpy(pfx->ip.u.b, addr, alen);
	pfx->len = mask;
	return (0);
}

static void
add_allowed(struct wg_peer *p, const struct in_prefix *pfx)
{
	if (p->nallowed < IN_MAXALLOWEDIPS)
		p->allowed[p->nallowed++] = *pfx;
	else
		p->more_allowed = 1;
}

static int
parse_endpoint(const struct nlattr *a, char *buf, size_t len)
{
	struct sockaddr_storage	ss;
	size_t			plen = mnl_attr_get_payload_len(a);

	memset(&ss, 0, sizeof(ss));
	if (plen != sizeof(struct sockaddr_in) &&
	    plen != sizeof(struct sockaddr_in6))
		return (-1);
	memcpy(&ss, mnl_attr_get_payload(a), plen);
	if ((ss.ss_family == AF_INET && plen != sizeof(struct sockaddr_in)) ||
	    (ss.ss_family == AF_INET6 &&
	    plen != sizeof(struct sockaddr_in6)))
		return (-1);
	return (in_sockaddr_endpoint((struct sockaddr *)&ss, buf, len));
}

static int
parse_peer(const struct nlattr *nest, struct wg_peer *p)
{
	const struct nlattr	*a, *ipa;
	struct in_prefix	 pfx;
	int64_t			 ts[2];
	int			 havekey = 0;

	memset(p, 0, sizeof(*p));
	if (!nested_whole(nest))
		return (-1);
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case WGPEER_A_PUBLIC_KEY:
			if (!attr_len_is(a, WG_KEY_LEN))
				return (-1);
			key_bin_to_b64(mnl_attr_get_payload(a), p->public_key);
			havekey = 1;
			break;
		case WGPEER_A_PRESHARED_KEY:
			if (!attr_len_is(a, WG_KEY_LEN))
				return (-1);
			break;
		case WGPEER_A_ENDPOINT:
			if (parse_endpoint(a, p->endpoint,
			    sizeof(p->endpoint)) == -1)
				return (-1);
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			if (!attr_len_is(a, 2))
				return (-1);
			p->keepalive = mnl_attr_get_u16(a);
			break;
		case WGPEER_A_LAST_HANDSHAKE_TIME:
			/* struct __kernel_timespec: two signed 64 bits */
			if (!attr_len_is(a, sizeof(ts)))
				return (-1);
			memcpy(ts, mnl_attr_get_payload(a), sizeof(ts));
			if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
				return (-1);
			p->last_handshake = ts[0];
			break;
		case WGPEER_A_RX_BYTES:
			if (!attr_len_is(a, 8))
				return (-1);
			p->rx = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_TX_BYTES:
			if (!attr_len_is(a, 8))
				return (-1);
			p->tx = mnl_attr_get_u64(a);
			break;
		case WGPEER_A_ALLOWEDIPS:
			if (!nested_whole(a))
				return (-1);
			mnl_attr_for_each_nested(ipa, a) {
				if (parse_allowed(ipa, &pfx) == -1)
					return (-1);
				add_allowed(p, &pfx);
			}
			break;
		case WGPEER_A_PROTOCOL_VERSION:
			if (!attr_len_is(a, 4))
				return (-1);
			break;
		}
	}
	return (havekey ? 0 : -1);
}

/* A peer of the dump: new, or the one before continued. */
static int
dump_peer(struct genl_dump *gd, const struct wg_peer *p, int first)
{
	struct wg_device	*d = gd->dev;
	struct wg_peer		*last, *np;
	int			 i;

	last = d->npeers > 0 ? &d->peers[d->npeers - 1] : NULL;
	if (last != NULL && strcmp(last->public_key, p->public_key) == 0) {
		/* only the first peer of a later message continues */
		if (!first || gd->msgs == 0)
			return (-1);
		for (i = 0; i < p->nallowed; i++)
			add_allowed(last, &p->allowed[i]);
		if (p->more_allowed)
			last->more_allowed = 1;
		return (0);
	}
	if ((np = wg_device_add(d, GENL_MAXPEERS)) == NULL)
		return (-1);
	*np = *p;
	return (0);
}

/*
 * One message of a WG_CMD_GET_DEVICE dump into gd->dev; arg is a struct
 * genl_dump whose device starts zeroed.  Attributes a newer kernel adds
 * are skipped; a known one of the wrong size refuses the message.
 */
int
genl_parse_get(const struct nlmsghdr *nlh, void *arg)
{
	struct genl_dump	*gd = arg;
	struct wg_device	*d = gd->dev;
	const struct nlattr	*attr, *pa;
	struct genlmsghdr	 g;
	struct wg_peer		 p;
	size_t			 len;
	int			 first = 1;

	if (nlh->nlmsg_type != gd->family ||
	    !nl_msg_attrs_whole(nlh, sizeof(g)))
		goto bad;
	memcpy(&g, mnl_nlmsg_get_payload(nlh), sizeof(g));
	if (g.cmd != WG_CMD_GET_DEVICE)
		goto bad;
	mnl_attr_for_each(attr, nlh, sizeof(g)) {
		len = mnl_attr_get_payload_len(attr);
		switch (mnl_attr_get_type(attr)) {
		case WGDEVICE_A_IFINDEX:
		case WGDEVICE_A_FWMARK:
			if (len != 4)
				goto bad;
			if (mnl_attr_get_type(attr) == WGDEVICE_A_FWMARK)
				d->fwmark = mnl_attr_get_u32(attr);
			break;
		case WGDEVICE_A_IFNAME:
			if (len == 0 || len > IFNAMSIZ ||
			    memchr(mnl_attr_get_payload(attr), '\0', len) ==
			    NULL)
				goto bad;
			break;
		case WGDEVICE_A_PRIVATE_KEY:
			if (len != WG_KEY_LEN)
				goto bad;
			break;	/* the key file is the truth */
		case WGDEVICE_A_PUBLIC_KEY:
			if (len != WG_KEY_LEN)
				goto bad;
			key_bin_to_b64(mnl_attr_get_payload(attr),
			    d->public_key);
			break;
		case WGDEVICE_A_LISTEN_PORT:
			if (len != 2)
				goto bad;
			d->listen_port = mnl_attr_get_u16(attr);
			break;
		case WGDEVICE_A_PEERS:
			if (!nested_whole(attr))
				goto bad;
			mnl_attr_for_each_nested(pa, attr) {
				if (parse_peer(pa, &p) == -1 ||
				    dump_peer(gd, &p, first) == -1)
					goto bad;
				first = 0;
			}
			break;
		}
	}
	gd->msgs++;
	return (0);
bad:
	errno = EBADMSG;
	return (-1);
}

/* A generic netlink socket and the WireGuard family's id. */
static int
genl_open(struct nl_conn *c, uint16_t *family, char *err, size_t errlen)
{
	uint32_t	buf[64];

	*family = 0;
	if (nl_open(c, NETLINK_GENERIC, err, errlen) == -1)
		return (-1);
	if (genl_msg_getfamily(buf, sizeof(buf), WG_GENL_NAME, ++c->seq) ==
	    0 || nl_request(c, (struct nlmsghdr *)buf, genl_parse_family,
	    family, err, errlen) == -1 || *family == 0) {
		snprintf(err, errlen, "the kernel has no WireGuard module");
		nl_close(c);
		errno = ENOENT;
		return (-1);
	}
	return (0);
}

int
genl_available(void)
{
	struct nl_conn	c;
	uint16_t	family;
	char		err[IN_ERRSZ];

	if (genl_open(&c, &family, err, sizeof(err)) == -1)
		return (0);
	nl_close(&c);
	return (1);
}

static void
genl_error(const char *ifname, int e, char *err, size_t errlen)
{
	if (e == ENODEV)
		snprintf(err, errlen, "no interface %s", ifname);
	else if (e == EOPNOTSUPP)
		snprintf(err, errlen, "%s is not a kernel WireGuard interface",
		    ifname);
	else
		snprintf(err, errlen, "%s: %s", ifname, strerror(e));
}

int
genl_get(const char *ifname, struct wg_device *d, char *err, size_t errlen)
{
	struct nl_conn		c;
	struct genl_dump	gd;
	uint32_t		buf[64];
	int			tries, rc = -1, saved = 0;

	for (tries = 0; tries < GENL_TRIES && rc == -1; tries++) {
		memset(d, 0, sizeof(*d));
		memset(&gd, 0, sizeof(gd));
		gd.dev = d;
		if (genl_open(&c, &gd.family, err, errlen) == -1)
			return (-1);
		if (genl_msg_get(buf, sizeof(buf), gd.family, ifname,
		    ++c.seq) == 0) {
			nl_close(&c);
			snprintf(err, errlen, "bad interface name");
			return (-1);
		}
		rc = nl_request(&c, (struct nlmsghdr *)buf, genl_parse_get,
		    &gd, err, errlen);
		saved = errno;
		nl_close(&c);
		if (rc == -1) {
			wg_device_free(d);
			if (saved != EAGAIN)
				break;
		}
	}
	if (rc == -1)
		genl_error(ifname, saved, err, errlen);
	return (rc);
}

int
genl_exists(const char *ifname)
{
	struct wg_device	d;
	char			err[IN_ERRSZ];

	if (!in_ifname_ok(ifname) || genl_get(ifname, &d, err,
	    sizeof(err)) == -1)
		return (0);
	wg_device_free(&d);
	return (1);
}

int
genl_create(const char *ifname, char *err, size_t errlen)
{
	return (rtnl_link_add(ifname, WG_GENL_NAME, err, errlen));
}

/* Send a whole set-device request, message after message. */
static int
genl_apply(const char *ifname, const struct wg_settings *ws,
    const struct wg_change *ch, size_t nch, char *err, size_t errlen)
{
	struct nl_conn	 c;
	struct genl_set	 gs;
	uint16_t	 family;
	void		*buf;
	size_t		 len;
	int		 rc;

	if (!in_ifname_ok(ifname)) {
		snprintf(err, errlen, "bad interface name");
		return (-1);
	}
	if ((buf = malloc(GENL_SETMAX)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if (genl_open(&c, &family, err, errlen) == -1) {
		free(buf);
		return (-1);
	}
	genl_set_init(&gs, family, ifname, ws, ch, nch);
	for (;;) {
		if ((rc = genl_set_next(&gs, buf, GENL_SETMAX, ++c.seq,
		    &len)) == 0)
			break;
		if (rc == -1) {
			snprintf(err, errlen, "bad %s", gs.started ?
			    "peer" : "device settings");
			break;
		}
		genl_messages++;
		/* what went before stays applied; a sync repairs it */
		if (nl_request(&c, buf, NULL, NULL, err, errlen) == -1) {
			genl_error(ifname, errno, err, errlen);
			rc = -1;
			break;
		}
	}
	explicit_bzero(buf, GENL_SETMAX);
	free(buf);
	nl_close(&c);
	return (rc);
}

int
genl_set_device(const char *ifname, const struct wg_settings *ws, char *err,
    size_t errlen)
{
	return (genl_apply(ifname, ws, NULL, 0, err, errlen));
}

int
genl_peer_set(const char *ifname, const struct wg_peer *p, char *err,
    size_t errlen)
{
	struct wg_change	ch = { p, WG_CHANGE_REPLACE_ALLOWED };

	return (genl_apply(ifname, NULL, &ch, 1, err, errlen));
}

int
genl_peer_remove(const char *ifname, const char *pub, char *err,
    size_t errlen)
{
	struct wg_peer		p;
	struct wg_change	ch = { &p, WG_CHANGE_REMOVE };

	memset(&p, 0, sizeof(p));
	if (strlcpy(p.public_key, pub, sizeof(p.public_key)) >=
	    sizeof(p.public_key) || !in_key_ok(p.public_key)) {
		snprintf(err, errlen, "bad public key");
		return (-1);
	}
	return (genl_apply(ifname, NULL, &ch, 1, err, errlen));
}

/* Make the device's peers what "want" says, sending the difference. */
int
genl_sync(const char *ifname, const struct wg_peer *want, size_t nwant,
    char *err, size_t errlen)
{
	struct wg_device	 cur;
	struct wg_change	*ch;
	size_t			 nch;
	int			 rc;

	if (genl_get(ifname, &cur, err, errlen) == -1)
		return (-1);
	if (wg_diff(&cur, want, nwant, &ch, &nch) == -1) {
		wg_device_free(&cur);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	rc = nch > 0 ? genl_apply(ifname, NULL, ch, nch, err, errlen) : 0;
	free(ch);
	wg_device_free(&cur);
	return (rc);
}
