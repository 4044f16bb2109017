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
 * Addresses, MTU, link state, routes and new WireGuard links, over
 * rtnetlink: the messages are built here into a caller's buffer, sent
 * one at a time by netlink.c, each acknowledged.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "wgd.h"

#define RTNL_MSGSZ	1024	/* every request here is a few attributes */

static int
ip_len(const struct in_ip *ip)
{
	return (ip->af == AF_INET ? 4 : 16);
}

static struct nlmsghdr *
rtnl_header(void *buf, size_t len, uint16_t type, uint16_t flags,
    uint32_t seq)
{
	struct nlmsghdr	*nlh;

	if (len < RTNL_MSGSZ)
		return (NULL);
	memset(buf, 0, RTNL_MSGSZ);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	return (nlh);
}

/* RTM_NEWLINK creating a link of the given kind, e.g. "wireguard". */
size_t
rtnl_msg_newlink(void *buf, size_t len, const char *ifname, const char *kind,
    uint32_t seq)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	struct nlattr		*linkinfo;

	if (!in_ifname_ok(ifname) || (nlh = rtnl_header(buf, len,
	    RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK, seq)) == NULL)
		return (0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	mnl_attr_nest_end(nlh, linkinfo);
	return (nlh->nlmsg_len);
}

/* RTM_NEWADDR: the address with the network's prefix length. */
size_t
rtnl_msg_addr(void *buf, size_t len, int ifindex, const struct in_prefix *addr,
    uint32_t seq)
{
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;

	if ((addr->ip.af != AF_INET && addr->ip.af != AF_INET6) ||
	    addr->len > ip_len(&addr->ip) * 8 || ifindex <= 0 ||
	    (nlh = rtnl_header(buf, len, RTM_NEWADDR,
	    NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK, seq)) == NULL)
		return (0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = addr->ip.af;
	ifa->ifa_prefixlen = addr->len;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, ip_len(&addr->ip), addr->ip.u.b);
	mnl_attr_put(nlh, IFA_ADDRESS, ip_len(&addr->ip), addr->ip.u.b);
	return (nlh->nlmsg_len);
}

/* RTM_NEWLINK on an existing link: up, and the MTU unless it is 0. */
size_t
rtnl_msg_link_up(void *buf, size_t len, int ifindex, uint32_t mtu,
    uint32_t seq)
{
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;

	if (ifindex <= 0 || (nlh = rtnl_header(buf, len, RTM_NEWLINK,
	    NLM_F_ACK, seq)) == NULL)
		return (0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return (nlh->nlmsg_len);
}

/* RTM_NEWROUTE: the prefix routed into the interface. */
size_t
rtnl_msg_route(void *buf, size_t len, int ifindex, const struct in_prefix *dst,
    uint32_t seq)
{
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;

	if ((dst->ip.af != AF_INET && dst->ip.af != AF_INET6) ||
	    dst->len > ip_len(&dst->ip) * 8 || ifindex <= 0 ||
	    (nlh = rtnl_header(buf, len, RTM_NEWROUTE,
	    NLM_F_CREATE | NLM_F_REPLACE | NLM_F_ACK, seq)) == NULL)
		return (0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->ip.af;
	rtm->rtm_dst_len = dst->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, ip_len(&dst->ip), dst->ip.u.b);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return (nlh->nlmsg_len);
}

/* RTM_GETADDR dump of every address of every family. */
size_t
rtnl_msg_getaddr(void *buf, size_t len, uint32_t seq)
{
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;

	if ((nlh = rtnl_header(buf, len, RTM_GETADDR, NLM_F_DUMP,
	    seq)) == NULL)
		return (0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	return (nlh->nlmsg_len);
}

/*
 * One RTM_NEWADDR of a dump: keep its global address.  Loopback and
 * link-local addresses reach nobody, so they are skipped.
 */
int
rtnl_parse_addr(const struct nlmsghdr *nlh, void *arg)
{
	struct rtnl_addrs	*ra = arg;
	struct ifaddrmsg	 ifa;
	const struct nlattr	*attr;
	struct in_ip		*ip;
	size_t			 alen;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return (0);
	if (!nl_msg_attrs_whole(nlh, sizeof(ifa))) {
		errno = EBADMSG;
		return (-1);
	}
	memcpy(&ifa, mnl_nlmsg_get_payload(nlh), sizeof(ifa));
	if (ifa.ifa_scope != RT_SCOPE_UNIVERSE ||
	    (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6))
		return (0);
	alen = ifa.ifa_family == AF_INET ? 4 : 16;
	mnl_attr_for_each(attr, nlh, sizeof(ifa)) {
		if (mnl_attr_get_type(attr) != IFA_ADDRESS)
			continue;
		if (mnl_attr_get_payload_len(attr) != alen) {
			errno = EBADMSG;
			return (-1);
		}
		if (ra->n >= ra->max)
			return (0);
		ip = &ra->addrs[ra->n++];
		memset(ip, 0, sizeof(*ip));
		ip->af = ifa.ifa_family;
		memcpy(ip->u.b, mnl_attr_get_payload(attr), alen);
	}
	return (0);
}

static int
rtnl_parse_link(const struct nlmsghdr *nlh, void *arg)
{
	struct ifinfomsg	 ifi;
	int			*ifindex = arg;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return (0);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifi)) {
		errno = EBADMSG;
		return (-1);
	}
	memcpy(&ifi, mnl_nlmsg_get_payload(nlh), sizeof(ifi));
	*ifindex = ifi.ifi_index;
	return (0);
}

/* Open, send the one message, read its answer, close. */
static int
rtnl_talk(void *msg, nl_cb cb, void *arg, char *err, size_t errlen)
{
	struct nl_conn	c;
	int		rc;

	if (nl_open(&c, NETLINK_ROUTE, err, errlen) == -1)
		return (-1);
	rc = nl_request(&c, msg, cb, arg, err, errlen);
	nl_close(&c);
	return (rc);
}

int
rtnl_ifindex(const char *ifname)
{
	char			 buf[RTNL_MSGSZ], err[128];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	int			 ifindex = 0;

	if (!in_ifname_ok(ifname) || (nlh = rtnl_header(buf, sizeof(buf),
	    RTM_GETLINK, NLM_F_ACK, (uint32_t)time(NULL))) == NULL)
		return (-1);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	if (rtnl_talk(nlh, rtnl_parse_link, &ifindex, err, sizeof(err)) == -1)
		return (-1);
	return (ifindex > 0 ? ifindex : -1);
}

/* Address with the network's prefix, MTU, up, and the route. */
int
rtnl_setup(const char *ifname, const struct in_prefix *addr,
    const struct in_prefix *route, uint32_t mtu, char *err, size_t errlen)
{
	char		buf[RTNL_MSGSZ];
	uint32_t	seq = (uint32_t)time(NULL);
	int		ifindex;

	if ((ifindex = rtnl_ifindex(ifname)) == -1) {
		snprintf(err, errlen, "no interface %s", ifname);
		return (-1);
	}
	if (rtnl_msg_addr(buf, sizeof(buf), ifindex, addr, seq) == 0) {
		snprintf(err, errlen, "bad interface address");
		return (-1);
	}
	if (rtnl_talk(buf, NULL, NULL, err, errlen) == -1)
		return (-1);
	if (rtnl_msg_link_up(buf, sizeof(buf), ifindex, mtu, seq) == 0 ||
	    rtnl_talk(buf, NULL, NULL, err, errlen) == -1)
		return (-1);
	if (route == NULL || route->len == 0)
		return (0);
	if (rtnl_msg_route(buf, sizeof(buf), ifindex, route, seq) == 0) {
		snprintf(err, errlen, "bad route");
		return (-1);
	}
	return (rtnl_talk(buf, NULL, NULL, err, errlen));
}

/* A new link of this kind; the kernel loads the module if it can. */
int
rtnl_link_add(const char *ifname, const char *kind, char *err, size_t errlen)
{
	char	buf[RTNL_MSGSZ];

	if (rtnl_msg_newlink(buf, sizeof(buf), ifname, kind,
	    (uint32_t)time(NULL)) == 0) {
		snprintf(err, errlen, "bad interface name");
		return (-1);
	}
	if (rtnl_talk(buf, NULL, NULL, err, errlen) == -1) {
		if (errno == EOPNOTSUPP)
			snprintf(err, errlen, "the kernel cannot make %s "
			    "interfaces", kind);
		else if (errno == EEXIST)
			snprintf(err, errlen, "interface %s already exists",
			    ifname);
		return (-1);
	}
	return (0);
}

int
rtnl_link_delete(const char *ifname, char *err, size_t errlen)
{
	char			 buf[RTNL_MSGSZ];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	int			 ifindex;

	if ((ifindex = rtnl_ifindex(ifname)) == -1)
		return (0);	/* already gone */
	if ((nlh = rtnl_header(buf, sizeof(buf), RTM_DELLINK, NLM_F_ACK,
	    (uint32_t)time(NULL))) == NULL)
		return (-1);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return (rtnl_talk(nlh, NULL, NULL, err, errlen));
}

int
rtnl_local_addrs(struct in_ip *addrs, size_t max)
{
	char			buf[RTNL_MSGSZ], err[128];
	struct rtnl_addrs	ra;

	memset(&ra, 0, sizeof(ra));
	ra.addrs = addrs;
	ra.max = max;
	if (rtnl_msg_getaddr(buf, sizeof(buf), (uint32_t)time(NULL)) == 0 ||
	    rtnl_talk(buf, rtnl_parse_addr, &ra, err, sizeof(err)) == -1)
		return (-1);
	return ((int)ra.n);
}
