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
 * libFuzzer target: arbitrary bytes as what the kernel answers wgd over
 * netlink.  The first byte picks the parser (a WireGuard get-device
 * dump, the generic netlink controller, an rtnetlink address dump) and
 * where the bytes are cut into two reads.  Whatever is taken must hold
 * together: valid keys, at most IN_MAXALLOWEDIPS allowed IPs, endpoints
 * that read back, and a device whose peers can all be removed again and
 * that differs in nothing from itself.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wgd.h"

#define FAMILY	28

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Each read in a buffer of its own, aligned as the kernel's would be. */
static int
walk(const uint8_t *data, size_t len, size_t cut, nl_cb cb, void *arg)
{
	void	*a, *b;
	int	 rc;

	if (cut > len)
		cut = len;
	if ((a = malloc(cut + 1)) == NULL || (b = malloc(len - cut + 1)) ==
	    NULL) {
		free(a);
		return (-1);
	}
	memcpy(a, data, cut);
	memcpy(b, data + cut, len - cut);
	rc = nl_walk(a, cut, 0, 0, cb, arg);
	if (rc == 0 && cut < len)
		rc = nl_walk(b, len - cut, 0, 0, cb, arg);
	free(a);
	free(b);
	return (rc);
}

static void
check_device(struct wg_device *d)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct wg_change	*ch;
	struct genl_set		 gs;
	static uint32_t		 buf[GENL_SETMAX / 4];
	size_t			 i, j, nch, len;
	int			 rc, plain = 1;

	for (i = 0; i < d->npeers; i++) {
		if (!in_key_ok(d->peers[i].public_key) ||
		    d->peers[i].nallowed > IN_MAXALLOWEDIPS ||
		    (d->peers[i].endpoint[0] != '\0' &&
		    in_endpoint_numeric(d->peers[i].endpoint, &ss,
		    &sslen) == -1))
			abort();
		if (d->peers[i].more_allowed)
			plain = 0;
		for (j = 0; j < i && plain; j++)
			if (strcmp(d->peers[i].public_key,
			    d->peers[j].public_key) == 0)
				plain = 0;
	}
	/* the device against itself */
	if (wg_diff(d, d->peers, d->npeers, &ch, &nch) == -1)
		return;
	if (plain && nch != 0)
		abort();
	free(ch);
	/* and with nothing wanted: every peer goes, in messages that fit */
	if (wg_diff(d, NULL, 0, &ch, &nch) == -1)
		return;
	if (nch != d->npeers)
		abort();
	genl_set_init(&gs, FAMILY, "wg0", NULL, ch, nch);
	while ((rc = genl_set_next(&gs, buf, sizeof(buf), 1, &len)) == 1)
		if (len > sizeof(buf))
			abort();
	if (rc != 0)
		abort();
	free(ch);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct wg_device	d;
	struct genl_dump	gd;
	struct rtnl_addrs	ra;
	struct in_ip		addrs[16];
	uint16_t		family = 0;
	size_t			cut, i;

	if (len < 1)
		return (0);
	cut = (data[0] >> 2) * 8;
	switch (data[0] & 3) {
	case 0:
	case 1:
		memset(&d, 0, sizeof(d));
		memset(&gd, 0, sizeof(gd));
		gd.family = FAMILY;
		gd.dev = &d;
		if (walk(data + 1, len - 1, cut, genl_parse_get, &gd) == 1)
			check_device(&d);
		wg_device_free(&d);
		break;
	case 2:
		(void)walk(data + 1, len - 1, cut, genl_parse_family, &family);
		break;
	case 3:
		memset(&ra, 0, sizeof(ra));
		ra.addrs = addrs;
		ra.max = 16;
		if (walk(data + 1, len - 1, cut, rtnl_parse_addr, &ra) == 1) {
			if (ra.n > ra.max)
				abort();
			for (i = 0; i < ra.n; i++)
				if (addrs[i].af != AF_INET &&
				    addrs[i].af != AF_INET6)
					abort();
		}
		break;
	}
	return (0);
}
