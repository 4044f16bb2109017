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
	char		 endpoint[IN_ENDPOINTSZ];
	int32_t		 keepalive;
	uint8_t		 nallowed;
	struct in_prefix allowed[IN_MAXALLOWEDIPS];
	int64_t		 last_handshake;
	uint64_t	 rx, tx;
};

struct wg_device {
	char		 public_key[IN_KEYSZ];
	uint16_t	 listen_port;
	struct wg_peer	*peers;
	size_t		 npeers;
};

/* keys.c */
int	 key_public(const char *, char *);
int	 key_generate(char *, char *);
int	 key_load(const char *, const char *, char *);
int	 key_store(const char *, const char *, const char *);
int	 key_remove(const char *, const char *);
int	 key_b64_to_hex(const char *, char *);
int	 key_hex_to_b64(const char *, char *);

/* wg_uapi.c: userspace WireGuard over its UAPI socket */
extern unsigned long	 uapi_peer_ops;	/* peers written, for tests */
int	 uapi_exists(const char *);
int	 uapi_set_key_port(const char *, const char *, int, char *, size_t);
int	 uapi_get(const char *, struct wg_device *, char *, size_t);
int	 uapi_parse_get(const char *, struct wg_device *);
int	 uapi_sync(const char *, const struct wg_peer *, size_t, char *,
	    size_t);
int	 uapi_peer_set(const char *, const struct wg_peer *, char *, size_t);
int	 uapi_peer_remove(const char *, const char *, char *, size_t);
size_t	 uapi_format_peer(const struct wg_peer *, char *, size_t);
void	 wg_device_free(struct wg_device *);

/* rtnl.c */
int	 rtnl_ifindex(const char *);
int	 rtnl_setup(const char *, const struct in_prefix *,
	    const struct in_prefix *, uint32_t, char *, size_t);
int	 rtnl_link_delete(const char *, char *, size_t);
int	 rtnl_local_addrs(struct in_ip *, size_t);

/* hosts.c */
int	 hosts_rewrite(const char *, const char *, const struct in_hostent *,
	    size_t, char *, size_t);
int	 hosts_section(const char *, size_t, const char *,
	    const struct in_hostent *, size_t, char **, size_t *);

#endif /* WGD_H */
