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
 * innernet-wgd's netlink messages on bytes alone: set-device, get-device
 * and family requests, the rtnetlink requests, all against bytes worked
 * out by hand from the kernel's UAPI headers; hand-made answers parsed,
 * whole, split across reads, truncated and malformed; a 10,000 peer set
 * split under the size limit; the peer difference; the UAPI parser.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>

#include <linux/genetlink.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/wireguard.h>

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

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

/* Netlink is in host byte order; the expected bytes follow it. */
#if BYTE_ORDER == LITTLE_ENDIAN
#define U16(x)	((x) & 0xff), (((x) >> 8) & 0xff)
#define U32(x)	((x) & 0xff), (((x) >> 8) & 0xff), (((x) >> 16) & 0xff), \
	(((x) >> 24) & 0xff)
#else
#define U16(x)	(((x) >> 8) & 0xff), ((x) & 0xff)
#define U32(x)	(((x) >> 24) & 0xff), (((x) >> 16) & 0xff), \
	(((x) >> 8) & 0xff), ((x) & 0xff)
#endif
#define U64(lo)	U32(lo), U32(0)		/* values below 2^32 */
/* nlmsghdr: length, type, flags, sequence, port id 0 */
#define NLMSG(len, type, flags, seq) U32(len), U16(type), U16(flags), \
	U32(seq), U32(0)
/* nlattr: length, type; a nest carries NLA_F_NESTED as libmnl puts it */
#define NLA(len, type)	U16(len), U16(type)
#define NEST(len, type)	U16(len), U16((type) | NLA_F_NESTED)
#define K8(b)	b, b, b, b, b, b, b, b
#define KEY(b)	K8(b), K8(b), K8(b), K8(b)	/* a key of 32 equal bytes */

#define FAMILY	28	/* any id the controller could give */

/* Messages are built and parsed in 4-byte aligned buffers. */
static uint32_t	msgbuf[GENL_SETMAX / 4];

static int
same_bytes(const void *got, size_t gotlen, const unsigned char *want,
    size_t wantlen)
{
	const unsigned char	*g = got;
	size_t			 i;

	if (gotlen != wantlen) {
		printf("# length %zu, expected %zu\n", gotlen, wantlen);
		return (0);
	}
	for (i = 0; i < wantlen; i++)
		if (g[i] != want[i]) {
			printf("# byte %zu is 0x%02x, expected 0x%02x\n", i,
			    g[i], want[i]);
			return (0);
		}
	return (1);
}

static void
b64key(unsigned char b, char *out)
{
	unsigned char	bin[32];

	memset(bin, b, sizeof(bin));
	key_bin_to_b64(bin, out);
}

static void
pfx(const char *s, struct in_prefix *p)
{
	if (in_prefix_parse(s, p) == -1) {
		printf("not ok - bad prefix %s in the test\n", s);
		exit(1);
	}
}

static void
test_getfamily(void)
{
	static const unsigned char want[] = {
		NLMSG(36, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, 1),
		CTRL_CMD_GETFAMILY, 1, 0, 0,
		NLA(14, CTRL_ATTR_FAMILY_NAME),
		'w', 'i', 'r', 'e', 'g', 'u', 'a', 'r', 'd', 0, 0, 0,
	};
	/* the controller's answer, then its acknowledgement */
	static const unsigned char answer[] __attribute__((aligned(4))) = {
		NLMSG(52, GENL_ID_CTRL, 0, 1),
		CTRL_CMD_NEWFAMILY, 2, 0, 0,
		NLA(14, CTRL_ATTR_FAMILY_NAME),
		'w', 'i', 'r', 'e', 'g', 'u', 'a', 'r', 'd', 0, 0, 0,
		NLA(6, CTRL_ATTR_FAMILY_ID), U16(FAMILY), 0, 0,
		NLA(8, CTRL_ATTR_VERSION), U32(1),
		NLMSG(36, NLMSG_ERROR, NLM_F_CAPPED, 1),
		U32(0), NLMSG(36, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, 1),
	};
	static const unsigned char noent[] __attribute__((aligned(4))) = {
		NLMSG(36, NLMSG_ERROR, NLM_F_CAPPED, 1),
		U32(-ENOENT), NLMSG(36, GENL_ID_CTRL, NLM_F_REQUEST, 1),
	};
	uint16_t	family = 0;
	size_t		n;

	n = genl_msg_getfamily(msgbuf, sizeof(msgbuf), WG_GENL_NAME, 1);
	CHECK(same_bytes(msgbuf, n, want, sizeof(want)),
	    "genl: CTRL_CMD_GETFAMILY \"wireguard\" bytes");
	CHECK(nl_walk(answer, sizeof(answer), 1, 0, genl_parse_family,
	    &family) == 1 && family == FAMILY,
	    "genl: family id read from the controller's answer");
	family = 0;
	CHECK(nl_walk(noent, sizeof(noent), 1, 0, genl_parse_family,
	    &family) == -1 && errno == ENOENT && family == 0,
	    "genl: no such family is ENOENT");
	CHECK(nl_walk(answer, sizeof(answer), 2, 0, genl_parse_family,
	    &family) == -1, "genl: an answer to another request is refused");
}

static void
test_get_request(void)
{
	static const unsigned char want[] = {
		NLMSG(28, FAMILY, NLM_F_REQUEST | NLM_F_DUMP, 9),
		WG_CMD_GET_DEVICE, WG_GENL_VERSION, 0, 0,
		NLA(8, WGDEVICE_A_IFNAME), 'w', 'g', '0', 0,
	};
	size_t	n;

	n = genl_msg_get(msgbuf, sizeof(msgbuf), FAMILY, "wg0", 9);
	CHECK(same_bytes(msgbuf, n, want, sizeof(want)),
	    "genl: WG_CMD_GET_DEVICE dump request bytes");
	CHECK(genl_msg_get(msgbuf, sizeof(msgbuf), FAMILY, "bad name", 9) ==
	    0, "genl: a bad interface name is not sent");
}

/*
 * Key, port, fwmark and three peers: one with an IPv4 endpoint that
 * replaces its allowed IPs, one with an IPv6 endpoint that adds to
 * them, one removed.
 */
static const unsigned char set_want[] = {
	NLMSG(392, FAMILY, NLM_F_REQUEST | NLM_F_ACK, 7),
	WG_CMD_SET_DEVICE, WG_GENL_VERSION, 0, 0,
	NLA(8, WGDEVICE_A_IFNAME), 'w', 'g', '0', 0,
	NLA(36, WGDEVICE_A_PRIVATE_KEY), KEY(0x11),
	NLA(6, WGDEVICE_A_LISTEN_PORT), U16(51820), 0, 0,
	NLA(8, WGDEVICE_A_FWMARK), U32(0x42),
	NEST(312, WGDEVICE_A_PEERS),
	  NEST(108, 0),
	    NLA(36, WGPEER_A_PUBLIC_KEY), KEY(0xaa),
	    NLA(8, WGPEER_A_FLAGS), U32(WGPEER_F_REPLACE_ALLOWEDIPS),
	    NLA(20, WGPEER_A_ENDPOINT),
	      U16(AF_INET), 0xca, 0x6c, 192, 0, 2, 1, K8(0),
	    NLA(6, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL), U16(25), 0, 0,
	    NEST(32, WGPEER_A_ALLOWEDIPS),
	      NEST(28, 0),
		NLA(6, WGALLOWEDIP_A_FAMILY), U16(AF_INET), 0, 0,
		NLA(8, WGALLOWEDIP_A_IPADDR), 10, 0, 0, 2,
		NLA(5, WGALLOWEDIP_A_CIDR_MASK), 32, 0, 0, 0,
	  NEST(152, 0),
	    NLA(36, WGPEER_A_PUBLIC_KEY), KEY(0xbb),
	    NLA(32, WGPEER_A_ENDPOINT),
	      U16(AF_INET6), 0xca, 0x6d, 0, 0, 0, 0,
	      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	      0, 0, 0, 0,
	    NLA(6, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL), U16(0), 0, 0,
	    NEST(72, WGPEER_A_ALLOWEDIPS),
	      NEST(28, 0),
		NLA(6, WGALLOWEDIP_A_FAMILY), U16(AF_INET), 0, 0,
		NLA(8, WGALLOWEDIP_A_IPADDR), 10, 0, 0, 0,
		NLA(5, WGALLOWEDIP_A_CIDR_MASK), 24, 0, 0, 0,
	      NEST(40, 0),
		NLA(6, WGALLOWEDIP_A_FAMILY), U16(AF_INET6), 0, 0,
		NLA(20, WGALLOWEDIP_A_IPADDR),
		  0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		NLA(5, WGALLOWEDIP_A_CIDR_MASK), 64, 0, 0, 0,
	  NEST(48, 0),
	    NLA(36, WGPEER_A_PUBLIC_KEY), KEY(0xcc),
	    NLA(8, WGPEER_A_FLAGS), U32(WGPEER_F_REMOVE_ME),
};

static void
test_set(void)
{
	struct wg_peer		p[3];
	struct wg_change	ch[3];
	struct wg_settings	ws;
	struct genl_set		gs;
	char			priv[IN_KEYSZ];
	size_t			len;
	int			rc;

	memset(p, 0, sizeof(p));
	b64key(0x11, priv);
	b64key(0xaa, p[0].public_key);
	strlcpy(p[0].endpoint, "192.0.2.1:51820", sizeof(p[0].endpoint));
	p[0].keepalive = 25;
	p[0].nallowed = 1;
	pfx("10.0.0.2/32", &p[0].allowed[0]);
	b64key(0xbb, p[1].public_key);
	strlcpy(p[1].endpoint, "[2001:db8::1]:51821", sizeof(p[1].endpoint));
	p[1].keepalive = -1;
	p[1].nallowed = 2;
	pfx("10.0.0.0/24", &p[1].allowed[0]);
	pfx("fd00::/64", &p[1].allowed[1]);
	b64key(0xcc, p[2].public_key);
	ch[0].peer = &p[0];
	ch[0].flags = WG_CHANGE_REPLACE_ALLOWED;
	ch[1].peer = &p[1];
	ch[1].flags = 0;
	ch[2].peer = &p[2];
	ch[2].flags = WG_CHANGE_REMOVE;
	ws.private_key = priv;
	ws.listen_port = 51820;
	ws.fwmark = 0x42;

	genl_set_init(&gs, FAMILY, "wg0", &ws, ch, 3);
	rc = genl_set_next(&gs, msgbuf, sizeof(msgbuf), 7, &len);
	CHECK(rc == 1 && same_bytes(msgbuf, len, set_want, sizeof(set_want)),
	    "genl: WG_CMD_SET_DEVICE bytes (key, port, fwmark, v4/v6 "
	    "endpoints, allowed IPs, keepalive, replace and remove flags)");
	CHECK(genl_set_next(&gs, msgbuf, sizeof(msgbuf), 8, &len) == 0 &&
	    len == 0, "genl: and nothing after it");

	/* the same request under a limit that fits about one peer */
	genl_set_init(&gs, FAMILY, "wg0", &ws, ch, 3);
	rc = genl_set_next(&gs, msgbuf, 200, 7, &len);
	CHECK(rc == 1 && len == 16 + 4 + 8 + 36 + 8 + 8 + 4 + 108 &&
	    gs.next == 1, "genl: a small limit: settings and the first peer");
	rc = genl_set_next(&gs, msgbuf, 200, 8, &len);
	CHECK(rc == 1 && gs.next == 2 && len == 16 + 4 + 8 + 4 + 152,
	    "genl: then the second peer alone, without settings");
	rc = genl_set_next(&gs, msgbuf, 200, 9, &len);
	CHECK(rc == 1 && gs.next == 3 && len == 16 + 4 + 8 + 4 + 48 &&
	    genl_set_next(&gs, msgbuf, 200, 10, &len) == 0,
	    "genl: then the third, then done");
	genl_set_init(&gs, FAMILY, "wg0", NULL, &ch[1], 1);
	CHECK(genl_set_next(&gs, msgbuf, 160, 1, &len) == -1 &&
	    errno == EMSGSIZE, "genl: a limit below one peer is an error");

	genl_set_init(&gs, FAMILY, "wg0", NULL, NULL, 0);
	CHECK(genl_set_next(&gs, msgbuf, sizeof(msgbuf), 1, &len) == 0,
	    "genl: nothing to set is no message");
	ws.private_key = NULL;
	ws.fwmark = -1;
	ws.listen_port = 0;
	genl_set_init(&gs, FAMILY, "wg0", &ws, NULL, 0);
	CHECK(genl_set_next(&gs, msgbuf, sizeof(msgbuf), 1, &len) == 1 &&
	    len == 16 + 4 + 8 + 8, "genl: a port alone (0: WireGuard "
	    "chooses)");

	strlcpy(p[0].endpoint, "wireguard.example:51820",
	    sizeof(p[0].endpoint));
	genl_set_init(&gs, FAMILY, "wg0", NULL, ch, 3);
	CHECK(genl_set_next(&gs, msgbuf, sizeof(msgbuf), 1, &len) == -1 &&
	    errno == EINVAL, "genl: a name as endpoint is refused");
	strlcpy(p[0].endpoint, "", sizeof(p[0].endpoint));
	p[0].allowed[0].len = 33;
	genl_set_init(&gs, FAMILY, "wg0", NULL, ch, 3);
	CHECK(genl_set_next(&gs, msgbuf, sizeof(msgbuf), 1, &len) == -1,
	    "genl: an allowed IP /33 is refused");
	p[0].allowed[0].len = 32;
	strlcpy(p[0].public_key, "not a key", sizeof(p[0].public_key));
	genl_set_init(&gs, FAMILY, "wg0", NULL, ch, 3);
	CHECK(genl_set_next(&gs, msgbuf, sizeof(msgbuf), 1, &len) == -1,
	    "genl: a bad public key is refused");
	genl_set_init(&gs, FAMILY, "../wg0", NULL, &ch[1], 1);
	CHECK(genl_set_next(&gs, msgbuf, sizeof(msgbuf), 1, &len) == -1,
	    "genl: a bad interface name is refused");
}

/* A set-device message read back as if it were a get-device one. */
static int
reparse(void *msg, struct genl_dump *gd)
{
	struct genlmsghdr	*g;

	g = mnl_nlmsg_get_payload(msg);
	g->cmd = WG_CMD_GET_DEVICE;
	return (genl_parse_get(msg, gd));
}

static int
has_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr	*a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == type)
			return (1);
	return (0);
}

static void
make_peer(struct wg_peer *p, unsigned int i)
{
	unsigned char	bin[32];

	memset(p, 0, sizeof(*p));
	memset(bin, 0, sizeof(bin));
	memcpy(bin, &i, sizeof(i));
	bin[31] = 0x5a;
	key_bin_to_b64(bin, p->public_key);
	snprintf(p->endpoint, sizeof(p->endpoint), "198.51.%u.%u:%u",
	    (i >> 8) & 0xff, i & 0xff, 10000 + i % 50000);
	p->keepalive = 25;
	p->nallowed = 2;
	p->allowed[0].ip.af = AF_INET;
	p->allowed[0].ip.u.b[0] = 10;
	p->allowed[0].ip.u.b[1] = (i >> 16) & 0xff;
	p->allowed[0].ip.u.b[2] = (i >> 8) & 0xff;
	p->allowed[0].ip.u.b[3] = i & 0xff;
	p->allowed[0].len = 32;
	p->allowed[1].ip.af = AF_INET6;
	p->allowed[1].ip.u.b[0] = 0xfd;
	memcpy(&p->allowed[1].ip.u.b[12], &i, sizeof(i));
	p->allowed[1].len = 128;
}

#define NPEERS	10000

static void
test_split(void)
{
	struct wg_peer		*want;
	struct wg_change	*ch;
	struct wg_device	 dev, cur;
	struct wg_settings	 ws = { NULL, 51820, -1 };
	struct genl_set		 gs;
	struct genl_dump	 gd;
	char			 priv[IN_KEYSZ];
	size_t			 i, len, nch, msgs = 0, maxlen = 0;
	int			 rc, ok = 1, settings_once = 1, sameall = 1;

	if ((want = calloc(NPEERS, sizeof(*want))) == NULL ||
	    (ch = calloc(NPEERS, sizeof(*ch))) == NULL) {
		printf("not ok - out of memory\n");
		exit(1);
	}
	for (i = 0; i < NPEERS; i++) {
		make_peer(&want[i], i);
		ch[i].peer = &want[i];
		ch[i].flags = WG_CHANGE_REPLACE_ALLOWED;
	}
	b64key(0x11, priv);
	ws.private_key = priv;
	memset(&dev, 0, sizeof(dev));
	memset(&gd, 0, sizeof(gd));
	gd.family = FAMILY;
	gd.dev = &dev;
	genl_set_init(&gs, FAMILY, "wg0", &ws, ch, NPEERS);
	while ((rc = genl_set_next(&gs, msgbuf, GENL_SETMAX, msgs + 1,
	    &len)) == 1) {
		msgs++;
		if (len > GENL_SETMAX)
			ok = 0;
		if (len > maxlen)
			maxlen = len;
		if (has_attr((struct nlmsghdr *)msgbuf,
		    WGDEVICE_A_PRIVATE_KEY) != (msgs == 1))
			settings_once = 0;
		if (reparse(msgbuf, &gd) == -1)
			ok = 0;
	}
	printf("# %d peers: %zu messages, the largest %zu bytes\n", NPEERS,
	    msgs, maxlen);
	CHECK(rc == 0 && msgs > 1, "genl: 10,000 peers take several "
	    "messages");
	CHECK(ok && maxlen <= GENL_SETMAX,
	    "genl: each message is within the limit");
	CHECK(maxlen > GENL_SETMAX - 400, "genl: each message is filled");
	CHECK(settings_once, "genl: the settings go in the first only");
	for (i = 0; i < NPEERS && i < dev.npeers; i++)
		if (!wg_peer_same(&dev.peers[i], &want[i]) ||
		    strcmp(dev.peers[i].endpoint, want[i].endpoint) != 0)
			sameall = 0;
	CHECK(dev.npeers == NPEERS && sameall,
	    "genl: read back, the messages hold every peer, in order");

	/* the device has them all; one keepalive changes */
	free(ch);
	want[4321].keepalive = 0;
	CHECK(wg_diff(&dev, want, NPEERS, &ch, &nch) == 0 && nch == 1 &&
	    ch[0].peer == &want[4321], "diff: one changed peer of 10,000 "
	    "is one change");
	genl_set_init(&gs, FAMILY, "wg0", NULL, ch, nch);
	rc = genl_set_next(&gs, msgbuf, GENL_SETMAX, 1, &len);
	CHECK(rc == 1 && len < 256 && genl_set_next(&gs, msgbuf, GENL_SETMAX,
	    2, &len) == 0, "genl: which is one small message");
	free(ch);

	/* the same set in another order, spelled otherwise: no change */
	cur = dev;
	for (i = 0; i < NPEERS / 2; i++) {
		struct wg_peer	t = want[i];

		want[i] = want[NPEERS - 1 - i];
		want[NPEERS - 1 - i] = t;
	}
	want[NPEERS - 1 - 4321].keepalive = 25;
	want[7].allowed[0] = dev.peers[NPEERS - 1 - 7].allowed[1];
	want[7].allowed[1] = dev.peers[NPEERS - 1 - 7].allowed[0];
	want[7].allowed[0].ip.u.b[15] |= 0;
	CHECK(wg_diff(&cur, want, NPEERS, &ch, &nch) == 0 && nch == 0,
	    "diff: order of peers and of allowed IPs does not matter");
	free(ch);
	want[8].endpoint[0] = '\0';
	CHECK(wg_diff(&cur, want, NPEERS, &ch, &nch) == 0 && nch == 0,
	    "diff: no endpoint wanted keeps the one the device has");
	free(ch);
	CHECK(wg_diff(&cur, want, NPEERS - 2, &ch, &nch) == 0 && nch == 2 &&
	    ch[0].flags == WG_CHANGE_REMOVE && ch[1].flags ==
	    WG_CHANGE_REMOVE, "diff: two peers no longer wanted are removed");
	free(ch);
	CHECK(wg_diff(&cur, NULL, 0, &ch, &nch) == 0 && nch == NPEERS,
	    "diff: an empty set removes every peer");
	free(ch);
	wg_device_free(&dev);
	free(want);
}

static void
test_diff_details(void)
{
	struct wg_peer		 a, b;
	struct wg_device	 cur;
	struct wg_change	*ch;
	size_t			 nch;

	make_peer(&a, 1);
	b = a;
	strlcpy(a.endpoint, "[2001:db8::1]:51820", sizeof(a.endpoint));
	strlcpy(b.endpoint, "[2001:0db8:0:0::1]:51820", sizeof(b.endpoint));
	CHECK(wg_peer_same(&a, &b), "diff: an IPv6 endpoint spelled "
	    "otherwise is the same");
	strlcpy(b.endpoint, "[2001:db8::1]:51821", sizeof(b.endpoint));
	CHECK(!wg_peer_same(&a, &b), "diff: another port is a change");
	b = a;
	b.allowed[0].ip.u.b[3] ^= 1;
	CHECK(!wg_peer_same(&a, &b), "diff: another allowed IP is a change");
	b = a;
	a.allowed[1].len = 64;
	b.allowed[1].len = 64;
	b.allowed[1].ip.u.b[15] = 0x77;	/* host bits the kernel drops */
	CHECK(wg_peer_same(&a, &b), "diff: host bits of a prefix do not "
	    "count");
	b = a;
	a.more_allowed = 1;
	CHECK(!wg_peer_same(&a, &b), "diff: a peer with more allowed IPs "
	    "than we keep is rewritten");
	a.more_allowed = 0;
	b.keepalive = -1;
	a.keepalive = 0;
	CHECK(wg_peer_same(&a, &b), "diff: keepalive off is 0 on the device");

	memset(&cur, 0, sizeof(cur));
	cur.peers = &a;
	cur.npeers = 1;
	b = a;
	CHECK(wg_diff(&cur, &b, 1, &ch, &nch) == 0 && nch == 0,
	    "diff: nothing to do");
	free(ch);
	{
		struct wg_peer	two[2] = { a, a };

		CHECK(wg_diff(&cur, two, 2, &ch, &nch) == 0 && nch == 0,
		    "diff: a peer wanted twice counts once");
		free(ch);
		cur.peers = two;
		cur.npeers = 2;
		CHECK(wg_diff(&cur, &b, 1, &ch, &nch) == 0 && nch == 0,
		    "diff: a peer listed twice is not removed");
		free(ch);
	}
}

/*
 * A get-device dump in three messages: the device with peer A, the
 * device again with A continued (one more allowed IP) and peer B, done.
 */
#define DUMP1_LEN	(16 + 4 + 8 + 8 + 36 + 8 + 8 + 4 + 4 + 184)
#define DUMP2_LEN	(16 + 4 + 8 + 4 + 76 + 104)
static const unsigned char dump[] __attribute__((aligned(4))) = {
	NLMSG(DUMP1_LEN, FAMILY, NLM_F_MULTI, 5),
	WG_CMD_GET_DEVICE, WG_GENL_VERSION, 0, 0,
	NLA(8, WGDEVICE_A_IFINDEX), U32(4),
	NLA(8, WGDEVICE_A_IFNAME), 'w', 'g', '0', 0,
	NLA(36, WGDEVICE_A_PUBLIC_KEY), KEY(0x22),
	NLA(6, WGDEVICE_A_LISTEN_PORT), U16(51820), 0, 0,
	NLA(8, WGDEVICE_A_FWMARK), U32(0),
	NEST(192, WGDEVICE_A_PEERS),
	  NEST(188, 0),
	    NLA(36, WGPEER_A_PUBLIC_KEY), KEY(0xaa),
	    NLA(36, WGPEER_A_PRESHARED_KEY), KEY(0),
	    NLA(20, WGPEER_A_ENDPOINT),
	      U16(AF_INET), 0xca, 0x6c, 192, 0, 2, 1, K8(0),
	    NLA(6, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL), U16(25), 0, 0,
	    NLA(20, WGPEER_A_LAST_HANDSHAKE_TIME),
	      U64(1700000000), U64(5),
	    NLA(12, WGPEER_A_RX_BYTES), U64(1000),
	    NLA(12, WGPEER_A_TX_BYTES), U64(2000),
	    NEST(32, WGPEER_A_ALLOWEDIPS),
	      NEST(28, 0),
		NLA(6, WGALLOWEDIP_A_FAMILY), U16(AF_INET), 0, 0,
		NLA(8, WGALLOWEDIP_A_IPADDR), 10, 0, 0, 2,
		NLA(5, WGALLOWEDIP_A_CIDR_MASK), 32, 0, 0, 0,
	    NLA(8, WGPEER_A_PROTOCOL_VERSION), U32(1),
	NLMSG(DUMP2_LEN, FAMILY, NLM_F_MULTI, 5),
	WG_CMD_GET_DEVICE, WG_GENL_VERSION, 0, 0,
	NLA(8, WGDEVICE_A_IFNAME), 'w', 'g', '0', 0,
	NEST(184, WGDEVICE_A_PEERS),
	  NEST(76, 0),
	    NLA(36, WGPEER_A_PUBLIC_KEY), KEY(0xaa),
	    NEST(36, WGPEER_A_ALLOWEDIPS),
	      NEST(32, 0),
		NLA(6, WGALLOWEDIP_A_FAMILY), U16(AF_INET), 0, 0,
		NLA(8, WGALLOWEDIP_A_IPADDR), 10, 1, 0, 0,
		NLA(5, WGALLOWEDIP_A_CIDR_MASK), 16, 0, 0, 0,
		NLA(4, 99),	/* an attribute a newer kernel adds */
	  NEST(104, 0),
	    NLA(36, WGPEER_A_PUBLIC_KEY), KEY(0xbb),
	    NLA(32, WGPEER_A_ENDPOINT),
	      U16(AF_INET6), 0xca, 0x6d, 0, 0, 0, 0,
	      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	      0, 0, 0, 0,
	    NEST(32, WGPEER_A_ALLOWEDIPS),
	      NEST(28, 0),
		NLA(6, WGALLOWEDIP_A_FAMILY), U16(AF_INET), 0, 0,
		NLA(8, WGALLOWEDIP_A_IPADDR), 10, 2, 0, 0,
		NLA(5, WGALLOWEDIP_A_CIDR_MASK), 24, 0, 0, 0,
	NLMSG(20, NLMSG_DONE, NLM_F_MULTI, 5), U32(0),
};

/* Where the attributes of the first message's peer A are. */
#define D_PEERS		(16 + 4 + 8 + 8 + 36 + 8 + 8)
#define D_AKEY		(D_PEERS + 4 + 4)
#define D_AENDPOINT	(D_AKEY + 36 + 36)
#define D_AFAMILY	(D_AENDPOINT + 20 + 8 + 20 + 12 + 12 + 4 + 4)
#define D_AMASK		(D_AFAMILY + 8 + 8)
#define D_APROTO	(D_AMASK + 8)

static void
put16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void
put32(unsigned char *p, int32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static int
parse_dump(const void *buf, size_t len, struct wg_device *d)
{
	struct genl_dump	gd;
	int			rc;

	memset(d, 0, sizeof(*d));
	memset(&gd, 0, sizeof(gd));
	gd.family = FAMILY;
	gd.dev = d;
	rc = nl_walk(buf, len, 5, 0, genl_parse_get, &gd);
	if (rc != 1)
		wg_device_free(d);
	return (rc);
}

/* A copy of the dump in an aligned buffer, to damage. */
static unsigned char *
dump_copy(void)
{
	memcpy(msgbuf, dump, sizeof(dump));
	return ((unsigned char *)msgbuf);
}

static void
test_get_parse(void)
{
	struct wg_device	 d;
	struct genl_dump	 gd;
	struct wg_peer		*a, *b;
	unsigned char		*m;
	char			 key[IN_KEYSZ];
	size_t			 cut;
	int			 rc, bad = 0;

	CHECK(sizeof(dump) == DUMP1_LEN + DUMP2_LEN + 20,
	    "genl: the hand-made dump adds up");
	rc = parse_dump(dump, sizeof(dump), &d);
	CHECK(rc == 1 && d.npeers == 2, "genl: a three-part dump gives two "
	    "peers");
	if (rc != 1 || d.npeers != 2)
		return;
	a = &d.peers[0];
	b = &d.peers[1];
	b64key(0x22, key);
	CHECK(strcmp(d.public_key, key) == 0 && d.listen_port == 51820,
	    "genl: device public key and port");
	b64key(0xaa, key);
	CHECK(strcmp(a->public_key, key) == 0 &&
	    strcmp(a->endpoint, "192.0.2.1:51820") == 0 && a->keepalive == 25 &&
	    a->last_handshake == 1700000000 && a->rx == 1000 && a->tx == 2000,
	    "genl: peer key, IPv4 endpoint, keepalive, handshake, rx, tx");
	CHECK(a->nallowed == 2 && a->allowed[0].len == 32 &&
	    a->allowed[1].len == 16 && a->allowed[1].ip.u.b[1] == 1,
	    "genl: a peer continued in the next message is joined");
	CHECK(strcmp(b->endpoint, "[2001:db8::1]:51821") == 0 &&
	    b->nallowed == 1 && b->allowed[0].len == 24,
	    "genl: second peer with an IPv6 endpoint");
	wg_device_free(&d);

	/* the same dump over two reads */
	memset(&d, 0, sizeof(d));
	memset(&gd, 0, sizeof(gd));
	gd.family = FAMILY;
	gd.dev = &d;
	rc = nl_walk(dump, DUMP1_LEN, 5, 0, genl_parse_get, &gd);
	CHECK(rc == 0 && nl_walk(dump + DUMP1_LEN, sizeof(dump) - DUMP1_LEN,
	    5, 0, genl_parse_get, &gd) == 1 && d.npeers == 2 &&
	    d.peers[0].nallowed == 2, "genl: a dump over two reads");
	wg_device_free(&d);

	/* cut anywhere: more to come at a message boundary, else refused */
	for (cut = 0; cut < sizeof(dump); cut++) {
		memcpy(msgbuf, dump, cut);
		rc = parse_dump(msgbuf, cut, &d);
		if (rc == 1 || (rc == 0 && cut != 0 && cut != DUMP1_LEN &&
		    cut != DUMP1_LEN + DUMP2_LEN))
			bad++;
		wg_device_free(&d);
	}
	CHECK(bad == 0, "genl: a dump cut at any byte is refused or "
	    "incomplete, never taken");

	m = dump_copy();
	put16(m + D_AKEY, 4 + 31);
	CHECK(parse_dump(m, sizeof(dump), &d) == -1 && errno == EBADMSG,
	    "genl: a 31-byte peer key is refused");
	m = dump_copy();
	put16(m + D_AENDPOINT, 4 + 14);
	CHECK(parse_dump(m, sizeof(dump), &d) == -1,
	    "genl: an endpoint of 14 bytes is refused");
	m = dump_copy();
	put16(m + D_AFAMILY + 4, AF_INET6);
	CHECK(parse_dump(m, sizeof(dump), &d) == -1,
	    "genl: an IPv6 allowed IP of 4 bytes is refused");
	m = dump_copy();
	m[D_AMASK + 4] = 33;
	CHECK(parse_dump(m, sizeof(dump), &d) == -1,
	    "genl: an allowed IP /33 is refused");
	m = dump_copy();
	put16(m + D_PEERS, 0x1ff);
	CHECK(parse_dump(m, sizeof(dump), &d) == -1,
	    "genl: a nest longer than its message is refused");
	m = dump_copy();
	put16(m + D_APROTO, 12);
	CHECK(parse_dump(m, sizeof(dump), &d) == -1,
	    "genl: an attribute running past its nest is refused");
	m = dump_copy();
	put16(m + DUMP1_LEN + 4, FAMILY + 1);
	CHECK(parse_dump(m, sizeof(dump), &d) == -1,
	    "genl: a message of another family is refused");
	m = dump_copy();
	put16(m + DUMP1_LEN + 6, NLM_F_MULTI | NLM_F_DUMP_INTR);
	CHECK(parse_dump(m, sizeof(dump), &d) == -1 && errno == EAGAIN,
	    "genl: a dump the device changed under is asked again");
	m = dump_copy();
	put32(m + DUMP1_LEN + DUMP2_LEN + 16, -ENODEV);
	CHECK(parse_dump(m, sizeof(dump), &d) == -1 && errno == ENODEV,
	    "genl: the error in NLMSG_DONE is taken");
	/* A again as the second peer of message 2: not a continuation */
	m = dump_copy();
	memset(m + DUMP1_LEN + 16 + 4 + 8 + 4 + 76 + 4 + 4, 0xaa, 32);
	CHECK(parse_dump(m, sizeof(dump), &d) == -1,
	    "genl: a peer repeated inside a message is refused");
}

/* More allowed IPs than we keep, over several messages. */
static void
test_get_overflow(void)
{
	static const unsigned char one[] __attribute__((aligned(4))) = {
		NLMSG(16 + 4 + 4 + 4 + 36 + 4 + 5 * 28, FAMILY, NLM_F_MULTI,
		    0),
		WG_CMD_GET_DEVICE, WG_GENL_VERSION, 0, 0,
		NEST(4 + 4 + 36 + 4 + 5 * 28, WGDEVICE_A_PEERS),
		  NEST(4 + 36 + 4 + 5 * 28, 0),
		    NLA(36, WGPEER_A_PUBLIC_KEY), KEY(0xaa),
		    NEST(4 + 5 * 28, WGPEER_A_ALLOWEDIPS),
#define IP4(n)	NEST(28, 0),						\
		NLA(6, WGALLOWEDIP_A_FAMILY), U16(AF_INET), 0, 0,	\
		NLA(8, WGALLOWEDIP_A_IPADDR), 10, 0, 0, n,		\
		NLA(5, WGALLOWEDIP_A_CIDR_MASK), 32, 0, 0, 0
		      IP4(1), IP4(2), IP4(3), IP4(4), IP4(5),
	};
	struct wg_device	d;
	struct genl_dump	gd;
	int			i, rc = 0;

	memset(&d, 0, sizeof(d));
	memset(&gd, 0, sizeof(gd));
	gd.family = FAMILY;
	gd.dev = &d;
	for (i = 0; i < 2 && rc == 0; i++)
		rc = nl_walk(one, sizeof(one), 0, 0, genl_parse_get, &gd);
	CHECK(rc == 0 && d.npeers == 1 && d.peers[0].nallowed ==
	    IN_MAXALLOWEDIPS && d.peers[0].more_allowed,
	    "genl: ten allowed IPs keep eight and mark the peer");
	wg_device_free(&d);
}

static void
test_rtnl(void)
{
	static const unsigned char addr4[] = {
		NLMSG(40, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK |
		    NLM_F_REPLACE | NLM_F_CREATE, 3),
		AF_INET, 16, 0, 0, U32(7),
		NLA(8, IFA_LOCAL), 10, 66, 0, 2,
		NLA(8, IFA_ADDRESS), 10, 66, 0, 2,
	};
	static const unsigned char addr6[] = {
		NLMSG(64, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK |
		    NLM_F_REPLACE | NLM_F_CREATE, 3),
		AF_INET6, 64, 0, 0, U32(7),
		NLA(20, IFA_LOCAL), 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		  0, 0, 2,
		NLA(20, IFA_ADDRESS), 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		  0, 0, 0, 2,
	};
	static const unsigned char up[] = {
		NLMSG(40, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 4),
		AF_UNSPEC, 0, U16(0), U32(7), U32(IFF_UP), U32(IFF_UP),
		NLA(8, IFLA_MTU), U32(1420),
	};
	static const unsigned char route[] = {
		NLMSG(44, RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK |
		    NLM_F_REPLACE | NLM_F_CREATE, 5),
		AF_INET, 16, 0, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_LINK,
		RTN_UNICAST, U32(0),
		NLA(8, RTA_DST), 10, 66, 0, 0,
		NLA(8, RTA_OIF), U32(7),
	};
	static const unsigned char newlink[] = {
		NLMSG(60, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK |
		    NLM_F_EXCL | NLM_F_CREATE, 6),
		AF_UNSPEC, 0, U16(0), U32(0), U32(0), U32(0),
		NLA(8, IFLA_IFNAME), 'w', 'g', '0', 0,
		NEST(20, IFLA_LINKINFO),
		  NLA(14, IFLA_INFO_KIND),
		  'w', 'i', 'r', 'e', 'g', 'u', 'a', 'r', 'd', 0, 0, 0,
	};
	static const unsigned char getaddr[] = {
		NLMSG(24, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 8),
		AF_UNSPEC, 0, 0, 0, U32(0),
	};
	struct in_prefix	p;
	size_t			n;

	pfx("10.66.0.2/16", &p);	/* an address with its prefix */
	p.ip.u.b[3] = 2;
	n = rtnl_msg_addr(msgbuf, sizeof(msgbuf), 7, &p, 3);
	CHECK(same_bytes(msgbuf, n, addr4, sizeof(addr4)),
	    "rtnl: RTM_NEWADDR IPv4 bytes");
	pfx("fd00::/64", &p);
	p.ip.u.b[15] = 2;
	n = rtnl_msg_addr(msgbuf, sizeof(msgbuf), 7, &p, 3);
	CHECK(same_bytes(msgbuf, n, addr6, sizeof(addr6)),
	    "rtnl: RTM_NEWADDR IPv6 bytes");
	n = rtnl_msg_link_up(msgbuf, sizeof(msgbuf), 7, 1420, 4);
	CHECK(same_bytes(msgbuf, n, up, sizeof(up)),
	    "rtnl: RTM_NEWLINK up with MTU bytes");
	n = rtnl_msg_link_up(msgbuf, sizeof(msgbuf), 7, 0, 4);
	CHECK(n == sizeof(up) - 8, "rtnl: no MTU attribute for MTU 0");
	pfx("10.66.0.0/16", &p);
	n = rtnl_msg_route(msgbuf, sizeof(msgbuf), 7, &p, 5);
	CHECK(same_bytes(msgbuf, n, route, sizeof(route)),
	    "rtnl: RTM_NEWROUTE bytes");
	n = rtnl_msg_newlink(msgbuf, sizeof(msgbuf), "wg0", "wireguard", 6);
	CHECK(same_bytes(msgbuf, n, newlink, sizeof(newlink)),
	    "rtnl: RTM_NEWLINK kind wireguard bytes");
	n = rtnl_msg_getaddr(msgbuf, sizeof(msgbuf), 8);
	CHECK(same_bytes(msgbuf, n, getaddr, sizeof(getaddr)),
	    "rtnl: RTM_GETADDR dump bytes");
	p.len = 33;
	CHECK(rtnl_msg_route(msgbuf, sizeof(msgbuf), 7, &p, 5) == 0 &&
	    rtnl_msg_addr(msgbuf, sizeof(msgbuf), 7, &p, 5) == 0 &&
	    rtnl_msg_link_up(msgbuf, sizeof(msgbuf), 0, 0, 5) == 0 &&
	    rtnl_msg_newlink(msgbuf, sizeof(msgbuf), "a b", "x", 5) == 0,
	    "rtnl: bad prefixes, indexes and names build nothing");
}

/* An RTM_GETADDR dump: global v4, loopback, global v6, link-local, done. */
#define ADDR(len, family, plen, scope, index)			\
	NLMSG(len, RTM_NEWADDR, NLM_F_MULTI, 8),			\
	family, plen, 0, scope, U32(index)
static const unsigned char addrs[] __attribute__((aligned(4))) = {
	ADDR(52, AF_INET, 24, RT_SCOPE_UNIVERSE, 2),
	NLA(8, IFA_ADDRESS), 192, 0, 2, 10,
	NLA(8, IFA_LOCAL), 192, 0, 2, 10,
	NLA(9, IFA_LABEL), 'e', 't', 'h', '0', 0, 0, 0, 0,
	ADDR(40, AF_INET, 8, RT_SCOPE_HOST, 1),
	NLA(8, IFA_ADDRESS), 127, 0, 0, 1,
	NLA(8, IFA_LOCAL), 127, 0, 0, 1,
	ADDR(52, AF_INET6, 64, RT_SCOPE_UNIVERSE, 2),
	NLA(20, IFA_ADDRESS), 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	  0, 0, 0, 0, 0, 0, 0, 0x10,
	NLA(8, IFA_FLAGS), U32(0x80),
	ADDR(44, AF_INET6, 64, RT_SCOPE_LINK, 2),
	NLA(20, IFA_ADDRESS), 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
	  0, 0, 0, 0, 0, 0, 0, 1,
	NLMSG(20, NLMSG_DONE, NLM_F_MULTI, 8), U32(0),
};

static int
parse_addrs(const void *buf, size_t len, struct in_ip *ips, size_t max,
    size_t *n)
{
	struct rtnl_addrs	ra;
	int			rc;

	memset(&ra, 0, sizeof(ra));
	ra.addrs = ips;
	ra.max = max;
	rc = nl_walk(buf, len, 8, 0, rtnl_parse_addr, &ra);
	*n = ra.n;
	return (rc);
}

static void
test_rtnl_parse(void)
{
	struct in_ip	ips[4];
	char		s[2][IN_ADDRSTRSZ];
	unsigned char	*m;
	size_t		n, cut;
	int		rc, bad = 0;

	rc = parse_addrs(addrs, sizeof(addrs), ips, 4, &n);
	in_ip_str(&ips[0], s[0], sizeof(s[0]));
	in_ip_str(&ips[1], s[1], sizeof(s[1]));
	CHECK(rc == 1 && n == 2 && strcmp(s[0], "192.0.2.10") == 0 &&
	    strcmp(s[1], "2001:db8::10") == 0,
	    "rtnl: RTM_NEWADDR dump keeps the two global addresses");
	CHECK(parse_addrs(addrs, sizeof(addrs), ips, 1, &n) == 1 && n == 1,
	    "rtnl: no more addresses than room for");
	for (cut = 0; cut < sizeof(addrs); cut++) {
		memcpy(msgbuf, addrs, cut);
		if (parse_addrs(msgbuf, cut, ips, 4, &n) == 1)
			bad++;
	}
	CHECK(bad == 0, "rtnl: an address dump cut at any byte is not taken");
	memcpy(msgbuf, addrs, sizeof(addrs));
	m = (unsigned char *)msgbuf;
	put16(m + 24, 4 + 5);	/* a 5-byte IPv4 address */
	CHECK(parse_addrs(m, sizeof(addrs), ips, 4, &n) == -1,
	    "rtnl: an IPv4 address of 5 bytes is refused");
	memcpy(msgbuf, addrs, sizeof(addrs));
	put32(m, 47);	/* shorter than its attributes */
	CHECK(parse_addrs(m, sizeof(addrs), ips, 4, &n) == -1,
	    "rtnl: a message shorter than its attributes is refused");
	put32(m, -1);	/* 2^32 - 1, negative as an int */
	CHECK(parse_addrs(m, sizeof(addrs), ips, 4, &n) == -1 &&
	    errno == EBADMSG, "rtnl: a message length of 2^32 - 1 is refused");
	put32(m, INT32_MIN + 16);
	CHECK(parse_addrs(m, sizeof(addrs), ips, 4, &n) == -1 &&
	    errno == EBADMSG, "rtnl: a message length of 2^31 + 16 is refused");
	{
		static const unsigned char err[] __attribute__((aligned(4))) = {
			NLMSG(36, NLMSG_ERROR, 0, 8), U32(-EPERM),
			NLMSG(24, RTM_GETADDR, NLM_F_REQUEST, 8),
		};

		CHECK(parse_addrs(err, sizeof(err), ips, 4, &n) == -1 &&
		    errno == EPERM, "rtnl: an error answer gives its errno");
		CHECK(parse_addrs(err, 20, ips, 4, &n) == -1 &&
		    errno == EBADMSG, "rtnl: a short error answer is refused");
	}
}

static void
test_uapi(void)
{
	static const char get[] =
	    "private_key=77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab17"
	    "7fba51db92c2a\n"
	    "listen_port=51820\n"
	    "fwmark=66\n"
	    "public_key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaa\n"
	    "preshared_key=00000000000000000000000000000000000000000000000000"
	    "00000000000000\n"
	    "protocol_version=1\n"
	    "endpoint=[2001:db8::1]:51821\n"
	    "last_handshake_time_sec=1700000000\n"
	    "last_handshake_time_nsec=5\n"
	    "tx_bytes=2000\n"
	    "rx_bytes=1000\n"
	    "persistent_keepalive_interval=25\n"
	    "allowed_ip=10.0.0.2/32\n"
	    "allowed_ip=fd00::/64\n"
	    "public_key=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbb\n"
	    "endpoint=[fe80::1%eth0]:51820\n"
	    "errno=0\n"
	    "\n";
	struct wg_device	 d;
	struct wg_peer		 p;
	struct wg_change	 ch = { &p, WG_CHANGE_REPLACE_ALLOWED };
	char			 buf[sizeof(get)], out[1024], key[IN_KEYSZ];
	size_t			 n;

	CHECK(uapi_parse_get(get, sizeof(get) - 1, &d) == 0 &&
	    d.npeers == 2 && d.listen_port == 51820 && d.fwmark == 66,
	    "uapi: get=1 answer with two peers");
	/* RFC 7748 6.1: Alice's private key and public key */
	CHECK(strcmp(d.public_key,
	    "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=") == 0,
	    "uapi: the device's public key from its private key");
	if (d.npeers == 2) {
		b64key(0xaa, key);
		CHECK(strcmp(d.peers[0].public_key, key) == 0 &&
		    strcmp(d.peers[0].endpoint, "[2001:db8::1]:51821") == 0 &&
		    d.peers[0].rx == 1000 && d.peers[0].tx == 2000 &&
		    d.peers[0].last_handshake == 1700000000 &&
		    d.peers[0].keepalive == 25 && d.peers[0].nallowed == 2,
		    "uapi: the first peer in full");
		CHECK(d.peers[1].endpoint[0] == '\0',
		    "uapi: an endpoint with a zone counts as none");
	}
	wg_device_free(&d);
	memcpy(buf, get, sizeof(get) - 1);	/* no NUL after it */
	CHECK(uapi_parse_get(buf, sizeof(get) - 11, &d) == -1,
	    "uapi: an answer cut before errno is refused");
	CHECK(uapi_parse_get("listen_port=65536\nerrno=0\n\n", 27, &d) == -1,
	    "uapi: a port out of range is refused");
	CHECK(uapi_parse_get("listen_port=1x\nerrno=0\n\n", 24, &d) == -1,
	    "uapi: a number with trailing junk is refused");
	CHECK(uapi_parse_get("listen_port=1\0\nerrno=0\n\n", 24, &d) == -1,
	    "uapi: a NUL inside the answer is refused");
	CHECK(uapi_parse_get("errno=22\n\n", 10, &d) == -1,
	    "uapi: a non-zero errno is refused");

	make_peer(&p, 3);
	n = uapi_format_change(&ch, out, sizeof(out));
	out[n] = '\0';
	CHECK(n > 0 && strcmp(out, "public_key=03"
	    "000000000000000000000000000000000000000000000000000000000000"
	    "5a\n"
	    "replace_allowed_ips=true\n"
	    "endpoint=198.51.0.3:10003\n"
	    "persistent_keepalive_interval=25\n"
	    "allowed_ip=10.0.0.3/32\n"
	    "allowed_ip=fd00::300:0/128\n") == 0, "uapi: a peer as set=1 lines");
	ch.flags = WG_CHANGE_REMOVE;
	n = uapi_format_change(&ch, out, sizeof(out));
	out[n] = '\0';
	CHECK(n > 0 && strcmp(out, "public_key=03"
	    "000000000000000000000000000000000000000000000000000000000000"
	    "5a\nremove=true\n") == 0,
	    "uapi: a removal as set=1 lines");
}

static void
test_backend(void)
{
	const struct wg_backend	*be;
	char			 err[IN_ERRSZ];

	err[0] = '\0';
	be = backend_choose("innernettest0", IN_BACKEND_KERNEL, err,
	    sizeof(err));
	if (genl_available())
		CHECK(be == &wg_backend_kernel,
		    "backend: kernel asked, kernel given");
	else
		CHECK(be == NULL && strcmp(err, "the kernel has no WireGuard "
		    "module; use backend: userspace") == 0,
		    "backend: kernel asked without the module: a clear error");
	be = backend_choose("innernettest0", IN_BACKEND_AUTO, err,
	    sizeof(err));
	CHECK(be == (genl_available() ? &wg_backend_kernel :
	    &wg_backend_userspace), "backend: auto takes the kernel if it "
	    "has WireGuard, else userspace");
	CHECK(backend_choose("innernettest0", IN_BACKEND_USERSPACE, err,
	    sizeof(err)) == &wg_backend_userspace &&
	    backend_choose("innernettest0", 9, err, sizeof(err)) == NULL,
	    "backend: userspace asked, userspace given; unknown refused");
	CHECK(backend_of("innernettest0") == NULL,
	    "backend: no interface, no backend");
	CHECK(backend_record("innernettest0", &wg_backend_kernel) == 0 &&
	    backend_of("innernettest0") == &wg_backend_kernel &&
	    backend_choose("innernettest0", IN_BACKEND_AUTO, err,
	    sizeof(err)) == &wg_backend_kernel,
	    "backend: an interface keeps the backend it came up with");
	backend_forget("innernettest0");
	CHECK(backend_of("innernettest0") == NULL,
	    "backend: forgotten when it goes down");
}

/* wg_endpoint_cb for the walk: "<first key byte>=<endpoint>;" */
static int
walk_seen(void *arg, const unsigned char *key, const char *endpoint)
{
	char	*out = arg;
	size_t	 l = strlen(out);

	snprintf(out + l, 512 - l, "%02x=%s;", key[0], endpoint);
	return (0);
}

/* Feed text to a walk in pieces of at most step bytes, as reads would. */
static int
walk_text(const char *text, size_t len, size_t step, char *out)
{
	struct uapi_walk	 w;
	char			 buf[4096];
	size_t			 have = 0, off = 0, n, used;

	memset(&w, 0, sizeof(w));
	w.cb = walk_seen;
	w.arg = out;
	out[0] = '\0';
	while (off < len && !w.done && w.rc == 0) {
		n = len - off < step ? len - off : step;
		memcpy(buf + have, text + off, n);
		off += n;
		have += n;
		used = uapi_walk_feed(&w, buf, have);
		have -= used;
		memmove(buf, buf + used, have);
	}
	return (uapi_walk_end(&w));
}

static void
test_uapi_walk(void)
{
	static const char get[] =
	    "private_key=77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab17"
	    "7fba51db92c2a\n"
	    "listen_port=51820\n"
	    "public_key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaa\n"
	    "preshared_key=00000000000000000000000000000000000000000000000000"
	    "00000000000000\n"
	    "protocol_version=1\n"
	    "endpoint=[2001:db8::1]:51821\n"
	    "last_handshake_time_sec=1700000000\n"
	    "allowed_ip=10.0.0.2/32\n"
	    "public_key=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	    "bbbbbbbb\n"
	    "endpoint=[fe80::1%eth0]:51820\n"
	    "public_key=cccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
	    "cccccccc\n"
	    "errno=0\n"
	    "\n";
	const char	*want =
	    "aa=[2001:db8::1]:51821;bb=[fe80::1%eth0]:51820;cc=;";
	char		 out[512];
	size_t		 step;
	int		 bad = 0;

	for (step = 1; step <= sizeof(get) - 1; step++)
		if (walk_text(get, sizeof(get) - 1, step, out) != 0 ||
		    strcmp(out, want) != 0)
			bad++;
	CHECK(bad == 0, "uapi walk: keys and endpoints alike, read in "
	    "pieces of any size");
	CHECK(walk_text("public_key=aa\nerrno=0\n\n", 23, 64, out) == -1,
	    "uapi walk: a short key is refused");
	CHECK(walk_text("listen_port=1\nerrno=22\n\n", 25, 64, out) == -1,
	    "uapi walk: a non-zero errno is refused");
	CHECK(walk_text(get, sizeof(get) - 10, 64, out) == -1,
	    "uapi walk: an answer without its errno is refused");
}

/* A device for the endpoint report: peers by the byte of their key. */
struct fake_peer {
	unsigned char	 b;
	const char	*endpoint;
};
static const struct fake_peer	*fake_peers;
static size_t			 fake_npeers;
static int			 fake_fail;
static char			 told[64];	/* key bytes told */
static size_t			 ntold;

static int
fake_endpoints(const char *ifname, wg_endpoint_cb cb, void *arg, char *err,
    size_t errlen)
{
	unsigned char	key[32];
	size_t		i;

	for (i = 0; i < fake_npeers; i++) {
		memset(key, fake_peers[i].b, sizeof(key));
		if (cb(arg, key, fake_peers[i].endpoint) == -1)
			return (-1);
		if (fake_fail && i == 0) {
			snprintf(err, errlen, "the device went away");
			return (-1);
		}
	}
	return (0);
}

static void
fake_tell(void *arg, const char *key, const char *endpoint)
{
	unsigned char	bin[32];

	if (key_b64_to_bin(key, bin) == 0 && ntold < sizeof(told) - 1)
		told[ntold++] = bin[0];
	told[ntold] = '\0';
}

/* Walk the fake device; what was told, as the key bytes. */
static const char *
walk(const struct fake_peer *v, size_t n, int afresh, int *rc)
{
	static const struct wg_backend	be = {
		.name = "fake", .endpoints = fake_endpoints
	};
	char				err[IN_ERRSZ];

	fake_peers = v;
	fake_npeers = n;
	ntold = 0;
	told[0] = '\0';
	*rc = endpoints_changed("innernettest0", afresh, &be, fake_tell, NULL,
	    err, sizeof(err));
	return (told);
}

static void
test_endpoints(void)
{
	const struct fake_peer	first[] = {
		{ 'a', "192.0.2.1:51820" },
		{ 'b', "" },
		{ 'c', "[fe80::1%eth0]:51820" },
		{ 'd', "[2001:db8::4]:51820" },
	}, moved[] = {
		{ 'a', "192.0.2.9:51820" },
		{ 'b', "[2001:db8::2]:7" },
		{ 'c', "[fe80::1%eth0]:51820" },
		{ 'd', "[2001:db8::4]:51820" },
	}, without_a[] = {
		{ 'b', "[2001:db8::2]:7" },
		{ 'c', "[fe80::1%eth0]:51820" },
		{ 'd', "[2001:db8::4]:51820" },
	};
	const char		*t;
	int			 rc;

	t = walk(first, 4, 0, &rc);
	CHECK(rc == 0 && strcmp(t, "ad") == 0,
	    "endpoints: the first report tells every endpoint but none and "
	    "one with a zone");
	t = walk(first, 4, 0, &rc);
	CHECK(rc == 0 && strcmp(t, "") == 0,
	    "endpoints: nothing changed, nothing told");
	t = walk(moved, 4, 0, &rc);
	CHECK(rc == 0 && strcmp(t, "ab") == 0,
	    "endpoints: a moved endpoint and a first one are told");
	t = walk(without_a, 3, 0, &rc);
	CHECK(rc == 0 && strcmp(t, "") == 0,
	    "endpoints: a peer gone is not told");
	t = walk(moved, 4, 0, &rc);
	CHECK(rc == 0 && strcmp(t, "a") == 0,
	    "endpoints: a peer back on the device is told afresh");
	t = walk(moved, 4, 1, &rc);
	CHECK(rc == 0 && strcmp(t, "abd") == 0,
	    "endpoints: asked afresh, every endpoint is told");
	fake_fail = 1;
	t = walk(first, 4, 0, &rc);
	fake_fail = 0;
	CHECK(rc == -1 && strcmp(t, "a") == 0,
	    "endpoints: a failed walk fails after what it told");
	t = walk(moved, 4, 0, &rc);
	CHECK(rc == 0 && strcmp(t, "abd") == 0,
	    "endpoints: after a failed walk everything is told again");
	endpoints_forget("innernettest0");
	t = walk(moved, 4, 0, &rc);
	CHECK(rc == 0 && strcmp(t, "abd") == 0,
	    "endpoints: an interface gone down starts afresh");
	endpoints_forget("innernettest0");
}

int
main(void)
{
	test_getfamily();
	test_get_request();
	test_set();
	test_split();
	test_diff_details();
	test_get_parse();
	test_get_overflow();
	test_rtnl();
	test_rtnl_parse();
	test_uapi();
	test_backend();
	test_uapi_walk();
	test_endpoints();
	return (failed);
}
