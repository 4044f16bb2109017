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
 * Netlink plumbing shared by rtnl.c and wg_genl.c: a socket, one request
 * at a time, and a walk over the answers that trusts no length in them.
 * Building and parsing live with their users and never touch a socket,
 * so they can be tested on bytes alone.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <linux/netlink.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "wgd.h"

int
nl_open(struct nl_conn *c, int bus, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if ((c->buf = malloc(NL_RECVSZ)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if ((c->nl = mnl_socket_open(bus)) == NULL ||
	    mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		nl_close(c);
		return (-1);
	}
	c->portid = mnl_socket_get_portid(c->nl);
	c->seq = (uint32_t)time(NULL);
	return (0);
}

void
nl_close(struct nl_conn *c)
{
	int	saved = errno;

	if (c->nl != NULL)
		mnl_socket_close(c->nl);
	if (c->buf != NULL) {
		/* set-device answers may echo a private key */
		explicit_bzero(c->buf, NL_RECVSZ);
		free(c->buf);
	}
	memset(c, 0, sizeof(*c));
	errno = saved;
}

/*
 * The attributes in len bytes at buf fill them exactly, each within the
 * bytes left; only then do libmnl's loops visit every one of them.
 */
int
nl_attrs_whole(const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	struct nlattr		 a;
	size_t			 off = 0;

	while (off < len) {
		if (len - off < sizeof(a))
			return (0);
		memcpy(&a, p + off, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > len - off)
			return (0);
		off += MNL_ALIGN(a.nla_len);
	}
	return (1);
}

/* The attributes of a message after its fixed header of hdrlen bytes. */
int
nl_msg_attrs_whole(const struct nlmsghdr *nlh, size_t hdrlen)
{
	if (mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return (0);
	return (nl_attrs_whole((const char *)mnl_nlmsg_get_payload(nlh) +
	    hdrlen, mnl_nlmsg_get_payload_len(nlh) - hdrlen));
}

/*
 * Walk the messages in one read.  Returns 1 once the answer is complete
 * (an acknowledgement or the end of a dump), 0 if more is to come, -1
 * with errno on an error answer or anything malformed.  Every data
 * message goes to cb, which returns -1 (and sets errno) to refuse it.
 */
int
nl_walk(const void *buf, size_t len, uint32_t seq, uint32_t portid, nl_cb cb,
    void *arg)
{
	const unsigned char	*p = buf;
	const struct nlmsghdr	*nlh;
	const struct nlmsgerr	*e;
	size_t			 off, mlen;
	int			 v;

	/* not mnl_nlmsg_ok(): it takes a length of 2^31 or more as fine */
	for (off = 0; off < len; off += NLMSG_ALIGN(mlen)) {
		if (len - off < sizeof(*nlh)) {
			errno = EBADMSG;
			return (-1);
		}
		nlh = (const struct nlmsghdr *)(p + off);
		mlen = nlh->nlmsg_len;
		/* the last message's padding must be there too */
		if (mlen < sizeof(*nlh) || mlen > len - off ||
		    NLMSG_ALIGN(mlen) > len - off) {
			errno = EBADMSG;
			return (-1);
		}
		if (!mnl_nlmsg_seq_ok(nlh, seq) ||
		    !mnl_nlmsg_portid_ok(nlh, portid)) {
			errno = EPROTO;
			return (-1);
		}
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			/* the device changed under the dump: ask again */
			errno = EAGAIN;
			return (-1);
		}
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_OVERRUN:
			errno = ENOBUFS;
			return (-1);
		case NLMSG_ERROR:
			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
				errno = EBADMSG;
				return (-1);
			}
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0)
				return (1);
			errno = e->error < 0 && e->error > -4096 ?
			    -e->error : EPROTO;
			return (-1);
		case NLMSG_DONE:
			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(v)) {
				memcpy(&v, mnl_nlmsg_get_payload(nlh),
				    sizeof(v));
				if (v < 0) {
					errno = v > -4096 ? -v : EPROTO;
					return (-1);
				}
			}
			return (1);
		default:
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (cb != NULL && cb(nlh, arg) == -1)
				return (-1);
		}
	}
	return (0);
}

/* Send one request; read until it is answered in full. */
int
nl_request(struct nl_conn *c, struct nlmsghdr *nlh, nl_cb cb, void *arg,
    char *err, size_t errlen)
{
	ssize_t	n;
	int	rc;

	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return (-1);
	}
	for (;;) {
		if ((n = mnl_socket_recvfrom(c->nl, c->buf, NL_RECVSZ)) <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			break;
		}
		if ((rc = nl_walk(c->buf, n, nlh->nlmsg_seq, c->portid, cb,
		    arg)) != 0) {
			if (rc == 1)
				return (0);
			break;
		}
	}
	snprintf(err, errlen, "netlink: %s", strerror(errno));
	return (-1);
}
