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
 * Addresses, MTU, link state and routes of WireGuard interfaces, over
 * rtnetlink with libmnl; one request at a time, each acknowledged.
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

struct rtnl_ctx {
	int		 ifindex;
	struct in_ip	*addrs;
	size_t		 naddrs, maxaddrs;
};

static int
rtnl_data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rtnl_ctx		*ctx = arg;
	struct ifinfomsg	*ifi;
	struct ifaddrmsg	*ifa;
	struct nlattr		*attr;
	struct in_ip		*ip;

	if (ctx == NULL)
		return (MNL_CB_OK);
	if (nlh->nlmsg_type == RTM_NEWLINK) {
		ifi = mnl_nlmsg_get_payload(nlh);
		ctx->ifindex = ifi->ifi_index;
	} else if (nlh->nlmsg_type == RTM_NEWADDR && ctx->addrs != NULL) {
		ifa = mnl_nlmsg_get_payload(nlh);
		/* global addresses only: loopback and link-local reach nobody */
		if (ifa->ifa_scope != RT_SCOPE_UNIVERSE)
			return (MNL_CB_OK);
		mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
			if (mnl_attr_get_type(attr) != IFA_ADDRESS ||
			    ctx->naddrs >= ctx->maxaddrs)
				continue;
			ip = &ctx->addrs[ctx->naddrs];
			memset(ip, 0, sizeof(*ip));
			if (ifa->ifa_family == AF_INET &&
			    mnl_attr_get_payload_len(attr) == 4) {
				ip->af = AF_INET;
				memcpy(ip->u.b, mnl_attr_get_payload(attr), 4);
			} else if (ifa->ifa_family == AF_INET6 &&
			    mnl_attr_get_payload_len(attr) == 16) {
				ip->af = AF_INET6;
				memcpy(ip->u.b, mnl_attr_get_payload(attr), 16);
			} else
				continue;
			ctx->naddrs++;
		}
	}
	return (MNL_CB_OK);
}

/* Send one request, run the answers through the callback. */
static int
rtnl_talk(struct nlmsghdr *nlh, struct rtnl_ctx *ctx, char *err,
    size_t errlen)
{
	struct mnl_socket	*nl;
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int		 seq, portid;
	ssize_t			 n;
	int			 rc;

	if ((nl = mnl_socket_open(NETLINK_ROUTE)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		if (nl != NULL)
			mnl_socket_close(nl);
		return (-1);
	}
	portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_seq = seq = time(NULL);
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		mnl_socket_close(nl);
		return (-1);
	}
	rc = 0;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		rc = mnl_cb_run(buf, n, seq, portid, rtnl_data_cb, ctx);
		if (rc <= MNL_CB_STOP)
			break;
	}
	if (rc == -1 || n == -1) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		mnl_socket_close(nl);
		return (-1);
	}
	mnl_socket_close(nl);
	return (0);
}

int
rtnl_ifindex(const char *ifname)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE], err[128];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	struct rtnl_ctx		 ctx;

	memset(&ctx, 0, sizeof(ctx));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	if (rtnl_talk(nlh, &ctx, err, sizeof(err)) == -1)
		return (-1);
	return (ctx.ifindex > 0 ? ctx.ifindex : -1);
}

static int
rtnl_addr(int ifindex, const struct in_prefix *addr, const struct in_ip *ip,
    char *err, size_t errlen)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;
	int			 len = ip->af == AF_INET ? 4 : 16;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = ip->af;
	ifa->ifa_prefixlen = addr->len;
	ifa->ifa_index = ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, len, ip->u.b);
	mnl_attr_put(nlh, IFA_ADDRESS, len, ip->u.b);
	return (rtnl_talk(nlh, NULL, err, errlen));
}

static int
rtnl_link_up(int ifindex, uint32_t mtu, char *err, size_t errlen)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu > 0)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return (rtnl_talk(nlh, NULL, err, errlen));
}

static int
rtnl_route(int ifindex, const struct in_prefix *dst, char *err, size_t errlen)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->ip.af;
	rtm->rtm_dst_len = dst->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, dst->ip.af == AF_INET ? 4 : 16,
	    dst->ip.u.b);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	return (rtnl_talk(nlh, NULL, err, errlen));
}

/* Address with the network's prefix, MTU, up, and the route. */
int
rtnl_setup(const char *ifname, const struct in_prefix *addr,
    const struct in_prefix *route, uint32_t mtu, char *err, size_t errlen)
{
	int	ifindex;

	if ((ifindex = rtnl_ifindex(ifname)) == -1) {
		snprintf(err, errlen, "no interface %s", ifname);
		return (-1);
	}
	if (rtnl_addr(ifindex, addr, &addr->ip, err, errlen) == -1 ||
	    rtnl_link_up(ifindex, mtu, err, errlen) == -1)
		return (-1);
	if (route != NULL && route->len > 0 &&
	    rtnl_route(ifindex, route, err, errlen) == -1)
		return (-1);
	return (0);
}

int
rtnl_link_delete(const char *ifname, char *err, size_t errlen)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct ifinfomsg	*ifi;
	int			 ifindex;

	if ((ifindex = rtnl_ifindex(ifname)) == -1)
		return (0);	/* already gone */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return (rtnl_talk(nlh, NULL, err, errlen));
}

int
rtnl_local_addrs(struct in_ip *addrs, size_t max)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE], err[128];
	struct nlmsghdr		*nlh;
	struct ifaddrmsg	*ifa;
	struct rtnl_ctx		 ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.addrs = addrs;
	ctx.maxaddrs = max;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	if (rtnl_talk(nlh, &ctx, err, sizeof(err)) == -1)
		return (-1);
	return ((int)ctx.naddrs);
}
