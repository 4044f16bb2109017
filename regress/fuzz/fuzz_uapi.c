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
 * libFuzzer target: arbitrary bytes as userspace WireGuard's answer to
 * get=1.  What the parser takes must hold together, and must survive a
 * round trip: each peer written as set=1 lines and parsed again is the
 * same peer.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wgd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
round_trip(const struct wg_device *d)
{
	struct wg_device	 again;
	struct wg_change	 ch;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			*buf;
	size_t			 i, len = 0, n, cap;

	cap = d->npeers * 2048 + 16;
	if ((buf = malloc(cap)) == NULL)
		return;
	for (i = 0; i < d->npeers; i++) {
		if (!in_key_ok(d->peers[i].public_key) ||
		    d->peers[i].nallowed > IN_MAXALLOWEDIPS ||
		    (d->peers[i].endpoint[0] != '\0' &&
		    in_endpoint_numeric(d->peers[i].endpoint, &ss,
		    &sslen) == -1))
			abort();
		ch.peer = &d->peers[i];
		ch.flags = WG_CHANGE_REPLACE_ALLOWED;
		if ((n = uapi_format_change(&ch, buf + len, 2048)) == 0)
			abort();
		len += n;
	}
	memcpy(buf + len, "errno=0\n\n", 9);
	len += 9;
	if (uapi_parse_get(buf, len, &again) == -1 ||
	    again.npeers != d->npeers)
		abort();
	for (i = 0; i < d->npeers; i++)
		if (!d->peers[i].more_allowed && (!wg_peer_same(&again.peers[i],
		    &d->peers[i]) || strcmp(again.peers[i].endpoint,
		    d->peers[i].endpoint) != 0))
			abort();
	wg_device_free(&again);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct wg_device	 d;
	char			*buf;

	/* the parser must not read past len: no NUL after the bytes */
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return (0);
	memcpy(buf, data, len);
	if (uapi_parse_get(buf, len, &d) == 0) {
		round_trip(&d);
		wg_device_free(&d);
	}
	free(buf);
	return (0);
}
