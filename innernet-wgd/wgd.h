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


#ifndef WGD_H
#define WGD_H

#include "innernet.h"

/* A WireGuard peer as the device has it or as we want it. */
struct wg_peer {
	char		 public_key[IN_KEYSZ];
	char		 endpoint[IN_ENDPOINTSZ];	/* numeric, "" = none */
	int32_t		 keepalive;
	uint8_t		 nallowed;
	uint8_t		 more_allowed;	/* the device has more than we keep */
	struct in_prefix allowed[IN_MAXALLOWEDIPS];
	int64_t		 last_handshake;
	uint64_t	 rx, tx;
};

struct wg_device {
	char		 public_key[IN_KEYSZ];	/* "" = no key set */
	uint16_t	 listen_port;
	uint32_t	 fwmark;
	struct wg_peer	*peers;
	size_t		 npeers;
};

/* One change to a device's peers; the peer is not copied. */
#define WG_CHANGE_REMOVE		0x01
#define WG_CHANGE_REPLACE_ALLOWED	0x02
struct wg_change {
	const struct wg_peer	*peer;
	uint8_t			 flags;
};

/* Device settings; NULL or -1 leaves a setting as it is. */
struct wg_settings {
	const char	*private_key;		/* base64 */
	int32_t		 listen_port;
	int64_t		 fwmark;
};

/* A peer's raw public key and the endpoint the device has ("" none). */
typedef int (*wg_endpoint_cb)(void *, const unsigned char *, const char *);

/*
 * A WireGuard backend.  create is NULL when wgd cannot make the
 * interface itself (userspace WireGuard is a program the parent starts).
 */
struct wg_backend {
	const char	*name;
	int	(*exists)(const char *);
	int	(*create)(const char *, char *, size_t);
	int	(*set_device)(const char *, const struct wg_settings *, char *,
		    size_t);
	int	(*get)(const char *, struct wg_device *, char *, size_t);
	int	(*endpoints)(const char *, wg_endpoint_cb, void *, char *,
		    size_t);
	int	(*peer_set)(const char *, const struct wg_peer *, char *,
		    size_t);
	int	(*peer_remove)(const char *, const char *, char *, size_t);
	int	(*sync)(const char *, const struct wg_peer *, size_t, char *,
		    size_t);
	int	(*destroy)(const char *, char *, size_t);
};

/* endpoints.c: which endpoints the engine was told of */
typedef void (*endpoint_tell_cb)(void *, const char *, const char *);
int	 endpoints_changed(const char *, int, const struct wg_backend *,
	    endpoint_tell_cb, void *, char *, size_t);
void	 endpoints_forget(const char *);
extern unsigned int endpoints_keyhash_bits;	/* for tests */

/* backend.c: which backend drives which interface */
extern const struct wg_backend	wg_backend_kernel, wg_backend_userspace;
const struct wg_backend *backend_choose(const char *, uint8_t, char *,
	    size_t);
const struct wg_backend *backend_of(const char *);
int	 backend_record(const char *, const struct wg_backend *);
int	 backend_endpoints_get(const char *, wg_endpoint_cb, void *, char *,
	    size_t);
void	 backend_forget(const char *);
struct wg_peer *wg_device_add(struct wg_device *, size_t);
void	 wg_device_free(struct wg_device *);
int	 wg_peer_same(const struct wg_peer *, const struct wg_peer *);
int	 wg_diff(const struct wg_device *, const struct wg_peer *, size_t,
	    struct wg_change **, size_t *);

/* keys.c */
int	 key_public(const char *, char *);
int	 key_generate(char *, char *);
int	 key_load(const char *, const char *, char *);
int	 key_store(const char *, const char *, const char *);
int	 key_remove(const char *, const char *);
int	 key_b64_to_bin(const char *, unsigned char *);
void	 key_bin_to_b64(const unsigned char *, char *);
int	 key_b64_to_hex(const char *, char *);
int	 key_hex_to_b64(const char *, char *);
int	 key_hex_to_bin(const char *, size_t, unsigned char *);

/* links.c: the links wgd made, with the root CIDR each was made for */
struct link_rec {
	char		 ifname[IN_IFNAMSZ];
	int		 ifindex;
	struct in_prefix net;
};
int	 link_load(const char *, const char *, struct link_rec *);
int	 link_store(const char *, const struct link_rec *);
int	 link_remove(const char *, const char *);
size_t	 link_count(const char *, const char *);

/* wg_uapi.c: userspace WireGuard over its UAPI socket */
extern unsigned long	 uapi_peer_ops;	/* peers written, for tests */
int	 uapi_exists(const char *);
int	 uapi_set_device(const char *, const struct wg_settings *, char *,
	    size_t);
int	 uapi_get(const char *, struct wg_device *, char *, size_t);
int	 uapi_parse_get(const char *, size_t, struct wg_device *);
int	 uapi_endpoints(const char *, wg_endpoint_cb, void *, char *,
	    size_t);

/* Where the endpoint walk is in a get=1 answer. */
struct uapi_walk {
	wg_endpoint_cb	 cb;
	void		*arg;
	unsigned char	 key[32];
	char		 endpoint[IN_ENDPOINTSZ];
	int		 have;		/* key holds a peer not yet given */
	int		 got_errno;
	int		 done;		/* the blank line was read */
	int		 rc;		/* -1 malformed, -2 cb failed */
};
size_t	 uapi_walk_feed(struct uapi_walk *, const char *, size_t);
int	 uapi_walk_end(struct uapi_walk *);
int	 uapi_sync(const char *, const struct wg_peer *, size_t, char *,
	    size_t);
int	 uapi_peer_set(const char *, const struct wg_peer *, char *, size_t);
int	 uapi_peer_remove(const char *, const char *, char *, size_t);
size_t	 uapi_format_change(const struct wg_change *, char *, size_t);

/* netlink.c: one request, its answers, with libmnl */
struct nlmsghdr;
typedef int (*nl_cb)(const struct nlmsghdr *, void *);
#define NL_RECVSZ	32768	/* the most a kernel dump puts in one read */
struct nl_conn {
	struct mnl_socket	*nl;
	uint32_t		 portid;
	uint32_t		 seq;
	void			*buf;	/* NL_RECVSZ bytes */
};
int	 nl_open(struct nl_conn *, int, char *, size_t);
void	 nl_close(struct nl_conn *);
int	 nl_request(struct nl_conn *, struct nlmsghdr *, nl_cb, void *, char *,
	    size_t);
int	 nl_walk(const void *, size_t, uint32_t, uint32_t, nl_cb, void *);
int	 nl_attrs_whole(const void *, size_t);
int	 nl_msg_attrs_whole(const struct nlmsghdr *, size_t);

/* wg_genl.c: kernel WireGuard over generic netlink */
#define GENL_SETMAX	8192	/* bytes in one set-device message */
struct genl_set {
	uint16_t		 family;
	const char		*ifname;
	struct wg_settings	 settings;
	const struct wg_change	*changes;
	size_t			 nchanges;
	size_t			 next;		/* first change not yet built */
	int			 started;	/* settings sent */
};
extern unsigned long	 genl_messages;	/* set-device messages, for tests */
int	 genl_available(void);
int	 genl_exists(const char *);
int	 genl_create(const char *, char *, size_t);
int	 genl_set_device(const char *, const struct wg_settings *, char *,
	    size_t);
int	 genl_get(const char *, struct wg_device *, char *, size_t);
int	 genl_peer_set(const char *, const struct wg_peer *, char *, size_t);
int	 genl_peer_remove(const char *, const char *, char *, size_t);
int	 genl_sync(const char *, const struct wg_peer *, size_t, char *,
	    size_t);
size_t	 genl_msg_getfamily(void *, size_t, const char *, uint32_t);
int	 genl_parse_family(const struct nlmsghdr *, void *);
size_t	 genl_msg_get(void *, size_t, uint16_t, const char *, uint32_t);
void	 genl_set_init(struct genl_set *, uint16_t, const char *,
	    const struct wg_settings *, const struct wg_change *, size_t);
int	 genl_set_next(struct genl_set *, void *, size_t, uint32_t,
	    size_t *);
struct genl_dump {
	uint16_t		 family;
	struct wg_device	*dev;
	int			 msgs;		/* messages seen */
};
int	 genl_parse_get(const struct nlmsghdr *, void *);

/* rtnl.c */
int	 rtnl_ifindex(const char *);
int	 rtnl_setup(const char *, const struct in_prefix *,
	    const struct in_prefix *, uint32_t, char *, size_t);
int	 rtnl_link_add(const char *, const char *, char *, size_t);
int	 rtnl_link_delete(const char *, char *, size_t);
int	 rtnl_local_addrs(struct in_ip *, size_t);
size_t	 rtnl_msg_newlink(void *, size_t, const char *, const char *,
	    uint32_t);
size_t	 rtnl_msg_addr(void *, size_t, int, const struct in_prefix *,
	    uint32_t);
size_t	 rtnl_msg_link_up(void *, size_t, int, uint32_t, uint32_t);
size_t	 rtnl_msg_route(void *, size_t, int, const struct in_prefix *,
	    uint32_t);
size_t	 rtnl_msg_getaddr(void *, size_t, uint32_t);
struct rtnl_addrs {
	struct in_ip	*addrs;
	size_t		 n, max;
};
int	 rtnl_parse_addr(const struct nlmsghdr *, void *);

#endif /* WGD_H */
